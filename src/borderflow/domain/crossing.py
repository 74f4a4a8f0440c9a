"""The Crossing aggregate: one truck through one gate pair in one direction.

It owns its status and refuses illegal moves; every move is recorded as an
event (time, actor, cause) that the store appends to the crossing's history.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from borderflow.domain import lifecycle
from borderflow.domain.errors import Conflict

LANE_CHECK = {"yellow": "document", "red": "physical"}


@dataclass(frozen=True, slots=True)
class CrossingEvent:
    action: str
    from_status: str | None
    to_status: str
    at: datetime
    actor: str
    cause: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Crossing:
    id: str
    reference: str
    direction: str
    gate: str
    declarant_tax_id: str
    status: str
    risk_lane: str
    risk_reasons: list[str]
    version: int = 1
    hold_reason: str | None = None
    checks_passed: set[str] = field(default_factory=set)  # "document", "physical"
    new_events: list[CrossingEvent] = field(default_factory=list)

    @classmethod
    def declare(cls, *, id: str, reference: str, direction: str, gate: str, declarant_tax_id: str,
                risk_lane: str, risk_reasons: list[str], at: datetime, actor: str,
                cause: str = "declaration submitted") -> Crossing:
        crossing = cls(id=id, reference=reference, direction=direction, gate=gate,
                       declarant_tax_id=declarant_tax_id, status=lifecycle.DECLARED,
                       risk_lane=risk_lane, risk_reasons=list(risk_reasons))
        crossing.new_events.append(CrossingEvent(
            "declare", None, lifecycle.DECLARED, at, actor, cause,
            {"risk_lane": risk_lane, "risk_reasons": list(risk_reasons), "version": 1}))
        return crossing

    def apply(self, action: str, *, at: datetime, actor: str, cause: str, **data: Any) -> CrossingEvent:
        target = lifecycle.next_status(self.status, action)
        if target is None or (action == "depart_partner" and self.direction != "import"):
            allowed = ", ".join(lifecycle.allowed_actions(self.status)) or "none"
            raise Conflict(f"cannot {action.replace('_', ' ')} a crossing that is {self.status} "
                           f"(allowed now: {allowed})", current_status=self.status)
        event = CrossingEvent(action, self.status, target, at, actor, cause, dict(data))
        self.status = target
        self.hold_reason = cause if target == lifecycle.HELD else None
        self.new_events.append(event)
        return event

    # --- guarded moves -------------------------------------------------

    def missing_check(self) -> str | None:
        """The check the risk lane still demands before release, if any."""
        needed = LANE_CHECK.get(self.risk_lane)
        if needed is None:
            return None
        if needed == "document" and self.checks_passed & {"document", "physical"}:
            return None
        if needed in self.checks_passed:
            return None
        return needed

    def release(self, *, at: datetime, actor: str, cause: str) -> CrossingEvent:
        missing = self.missing_check()
        if missing is not None:
            raise Conflict(f"{self.risk_lane} lane: {missing} inspection not yet passed",
                           current_status=self.status)
        return self.apply("release", at=at, actor=actor, cause=cause)

    def record_check(self, *, kind: str, passed: bool, at: datetime, actor: str, notes: str) -> list[CrossingEvent]:
        """A document check is a record; a physical inspection needs the truck (arrived or held)."""
        events = []
        if kind == "physical":
            if self.status != lifecycle.INSPECTING:
                events.append(self.apply("start_inspection", at=at, actor=actor, cause="physical inspection started"))
            action = "pass_inspection" if passed else "fail_inspection"
            cause = "physical inspection passed" if passed else f"physical inspection failed: {notes or 'no notes'}"
            events.append(self.apply(action, at=at, actor=actor, cause=cause, notes=notes))
        else:
            if self.status in lifecycle.TERMINAL or self.status == lifecycle.RELEASED:
                raise Conflict(f"cannot check documents of a crossing that is {self.status}",
                               current_status=self.status)
            if not passed:
                events.append(self.apply("hold", at=at, actor=actor,
                                         cause=f"document check failed: {notes or 'no notes'}"))
        if passed:
            self.checks_passed.add(kind)
        return events

    def reassess(self, *, risk_lane: str, risk_reasons: list[str], version: int, at: datetime, actor: str) -> CrossingEvent:
        if self.status not in lifecycle.AMENDABLE:
            raise Conflict(f"cannot amend a crossing that is {self.status}: it was already released at the gate"
                           if self.status in (lifecycle.RELEASED, lifecycle.EXITED)
                           else f"cannot amend a crossing that is {self.status}", current_status=self.status)
        event = CrossingEvent("amend", self.status, self.status, at, actor, f"declaration amended to version {version}",
                              {"risk_lane": risk_lane, "risk_reasons": list(risk_reasons), "version": version,
                               "previous_lane": self.risk_lane})
        self.risk_lane, self.risk_reasons, self.version = risk_lane, list(risk_reasons), version
        self.checks_passed.discard("document")  # the documents may have changed with the amendment
        self.new_events.append(event)
        return event

    def note(self, action: str, *, at: datetime, actor: str, cause: str, **data: Any) -> CrossingEvent:
        """Something worth the history that changes no state (news from the partner side)."""
        event = CrossingEvent(action, self.status, self.status, at, actor, cause, dict(data))
        self.new_events.append(event)
        return event
