"""The one small interface a barrier controller speaks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

STATES = ("open", "closed", "fault")


@dataclass(frozen=True, slots=True)
class Command:
    id: int
    gate: str
    lane: str
    command: str  # open
    crossing_id: str | None


@dataclass(frozen=True, slots=True)
class Report:
    """What the barrier answered: its state when it said one (None: it will report later)."""

    state: str | None
    detail: str = ""


class BarrierUnreachable(Exception):
    """The barrier did not take the command (no answer, refused, or an answer the node cannot read)."""


class BarrierController(Protocol):
    def send(self, command: Command) -> Report: ...
