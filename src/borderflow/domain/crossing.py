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
from borderflow.domain.signoffs import FAILED, PASSED, PENDING, Requirement, Signoff, covers



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
    signoffs: dict[str, Signoff] = field(default_factory=dict)  # by agency
    new_events: list[CrossingEvent] = field(default_factory=list)

    @classmethod
    def declare(cls, *, id: str, reference: str, direction: str, gate: str, declarant_tax_id: str,
                risk_lane: str, risk_reasons: list[str], at: datetime, actor: str,
                cause: str = "declaration submitted",
                signoffs: dict[str, Requirement] | None = None) -> Crossing:
        crossing = cls(id=id, reference=reference, direction=direction, gate=gate,
                       declarant_tax_id=declarant_tax_id, status=lifecycle.DECLARED,
                       risk_lane=risk_lane, risk_reasons=list(risk_reasons),
                       signoffs={a: Signoff.asked(r) for a, r in (signoffs or {}).items()})
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

    def pending_signoffs(self) -> list[str]:
        """The agencies whose required sign-off has not passed yet, in the rules' order."""
        return [a for a, s in self.signoffs.items() if s.required and s.status != PASSED]

    @property
    def checks_passed(self) -> set[str]:
        return {s.done for s in self.signoffs.values() if s.required and s.status == PASSED and s.done}

    def release(self, *, at: datetime, actor: str, cause: str) -> CrossingEvent:
        pending = self.pending_signoffs()
        if pending:
            raise Conflict(f"release needs the sign-off of {', '.join(pending)} first",
                           current_status=self.status)
        return self.apply("release", at=at, actor=actor, cause=cause)

    def record_signoff(self, *, agency: str, kind: str, passed: bool, at: datetime, actor: str,
                       notes: str) -> list[CrossingEvent]:
        """An agency's check and its result. A physical inspection needs the truck (it moves the
        crossing through `inspecting`); a failure holds or refuses the truck as the rules say."""
        if self.status in lifecycle.TERMINAL or self.status == lifecycle.RELEASED:
            raise Conflict(f"cannot record a {agency} check on a crossing that is {self.status}",
                           current_status=self.status)
        signoff = self.signoffs.get(agency) or Signoff(agency, kind, required=False)
        events = []
        result = "passed" if passed else f"failed: {notes or 'no notes'}"
        cause = f"{agency.replace('_', ' ')} {kind} check {result}"
        if kind == "physical":
            if self.status != lifecycle.INSPECTING:
                events.append(self.apply("start_inspection", at=at, actor=actor,
                                         cause=f"{agency.replace('_', ' ')} physical inspection started"))
            events.append(self.apply("pass_inspection" if passed else "fail_inspection", at=at, actor=actor,
                                     cause=cause, agency=agency, notes=notes))
        elif not passed:
            events.append(self.apply("hold", at=at, actor=actor, cause=cause, agency=agency, notes=notes))
        else:
            events.append(self.note("signoff", at=at, actor=actor, cause=cause, agency=agency, check=kind))
        if not passed and signoff.on_failure == "refuse":
            events.append(self.apply("refuse", at=at, actor=actor, cause=cause, agency=agency))
        if passed:
            signoff.status = PASSED if covers(kind, signoff.check) else signoff.status
        else:
            signoff.status = FAILED
        signoff.done, signoff.by, signoff.at, signoff.notes = kind, actor, at, notes
        self.signoffs[agency] = signoff
        return events

    def reassess(self, *, risk_lane: str, risk_reasons: list[str], version: int, at: datetime, actor: str,
                 signoffs: dict[str, Requirement] | None = None) -> CrossingEvent:
        if self.status not in lifecycle.AMENDABLE:
            raise Conflict(f"cannot amend a crossing that is {self.status}: it was already released at the gate"
                           if self.status in (lifecycle.RELEASED, lifecycle.EXITED)
                           else f"cannot amend a crossing that is {self.status}", current_status=self.status)
        event = CrossingEvent("amend", self.status, self.status, at, actor, f"declaration amended to version {version}",
                              {"risk_lane": risk_lane, "risk_reasons": list(risk_reasons), "version": version,
                               "previous_lane": self.risk_lane})
        self.risk_lane, self.risk_reasons, self.version = risk_lane, list(risk_reasons), version
        self._require(signoffs or {})
        self.new_events.append(event)
        return event

    def _require(self, requirements: dict[str, Requirement]) -> None:
        """Sign-offs after an amendment: a document check starts again (the documents may have
        changed); a passed physical inspection stands; checks no rule asks for any more stay on
        record as not required."""
        signoffs = {}
        for agency, requirement in requirements.items():
            before = self.signoffs.get(agency)
            fresh = Signoff.asked(requirement)
            if before is not None and before.status == PASSED and before.done == "physical":
                fresh.status, fresh.done, fresh.by, fresh.at, fresh.notes = (PASSED, before.done, before.by,
                                                                            before.at, before.notes)
            signoffs[agency] = fresh
        for agency, before in self.signoffs.items():
            if agency not in signoffs and before.status != PENDING:
                before.required = False
                signoffs[agency] = before
        self.signoffs = signoffs

    def note(self, action: str, *, at: datetime, actor: str, cause: str, **data: Any) -> CrossingEvent:
        """Something worth the history that changes no state (news from the partner side)."""
        event = CrossingEvent(action, self.status, self.status, at, actor, cause, dict(data))
        self.new_events.append(event)
        return event
