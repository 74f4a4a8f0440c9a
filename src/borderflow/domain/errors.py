"""Errors the domain raises; adapters translate them (HTTP status, CLI exit code)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (JSON path), what, and a stable code."""

    loc: str
    msg: str
    code: str


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
        self.msg = msg


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
