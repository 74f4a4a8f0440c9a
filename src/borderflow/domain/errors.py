"""Errors the domain raises; adapters translate them (HTTP status, CLI exit code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from borderflow.domain.messages import Message, known


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (JSON path), what, and a stable code.

    `code` names the rule that failed; the sentence is the message `message_code` with
    `params` (`msg` is its English rendering). Built from a `Message`, both come from it.
    """

    loc: str
    msg: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    message_code: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.msg, Message):
            if not self.params:
                object.__setattr__(self, "params", self.msg.params)
            if self.message_code is None:
                object.__setattr__(self, "message_code", self.msg.code)

    @property
    def message(self) -> Message | None:
        """The sentence as a message, when it came from the catalogue."""
        if isinstance(self.msg, Message):
            return self.msg
        code = self.message_code or self.code  # a rule whose code is also its sentence's
        return Message(code, self.params) if known(code) else None


class DomainError(Exception):
    """Base for refusals that are the caller's fault, never the node's."""


class ValidationFailed(DomainError):
    """The input broke one or more rules; every problem is listed, not just the first."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


class IdentifierError(ValueError):
    """An identifier (plate, container number, HS code) is malformed.

    `code` is stable for clients; `msg` says what was wrong and what is expected.
    """

    def __init__(self, code: str, msg: str):
        super().__init__(msg)
        self.code = code
        self.msg = msg  # a Message when it came from the catalogue


class NotFound(DomainError):
    def __init__(self, what: str):
        super().__init__(what)
        self.what = what


class Conflict(DomainError):
    """The request is well-formed but the current state forbids it (HTTP 409).

    `rule` names the rule that refused it (a stable code for clients) and `until` says when
    that refusal ends; `until` is None where it does not end by waiting.
    """

    def __init__(self, detail: str, *, current_status: str | None = None, rule: str | None = None,
                 until: datetime | None = None):
        super().__init__(detail)
        self.detail = detail
        self.current_status = current_status
        self.rule = rule
        self.until = until


class Forbidden(DomainError):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail
