"""Devices at the gate report; the node decides. Every plate read gets an answer and is
kept; reads that match nothing, or more than one crossing, wait for a person to review.
"""

from __future__ import annotations

from datetime import timedelta

from borderflow.domain.messages import say
from borderflow.devices.barrier import commands as barrier_commands
from borderflow.domain import barrier, lifecycle
from borderflow.domain.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from borderflow.domain.gates import Lane
from borderflow.domain.identifiers.plates import match_key, match_plate, probe_keys, settled_by_key
from borderflow.domain.roles import Principal
from borderflow.schemas import GateEventIn
from borderflow.services import statistics, yard
from borderflow.services.context import NodeContext
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork

MAX_CLOCK_SKEW = timedelta(minutes=5)


def _validate(ctx: NodeContext, event: GateEventIn):  # noqa: ANN202
    problems = []
    gate = ctx.node.gate(event.gate.upper())
    if gate is None:
        problems.append(Problem("gate", f"gate {event.gate!r} is not operated by node {ctx.node.id}; expected one of "
                                        f"{', '.join(sorted(ctx.node.gates))}", "gate.unknown"))
    elif event.kind != "yard_entry" and gate.lane(event.lane.upper()) is None:
        problems.append(Problem("lane", f"{gate.name} has no lane {event.lane!r}; expected one of "
                                        f"{', '.join(lane.code for lane in gate.lanes)}", "lane.unknown"))
    required = {"plate_read": ("plate", "confidence"), "weighbridge": ("plate", "gross_kg"), "barrier": ("state",),
                "yard_entry": ("plate", "confidence")}
    for field in required[event.kind]:
        if getattr(event, field) is None:
            problems.append(Problem(field, f"a {event.kind} needs {field}", "missing"))
    if event.at is not None and event.at > ctx.clock.now() + MAX_CLOCK_SKEW:
        problems.append(Problem("at", f"{event.at.isoformat()} is in the future; check the device clock",
                                "time.future"))
    if problems:
        raise ValidationFailed(problems)
    return gate, gate.lane(event.lane.upper()) or Lane(event.lane.upper(), "inbound", "yard")


def record(ctx: NodeContext, uow: UnitOfWork, principal: Principal, event: GateEventIn, *,
           images: list[dict] | None = None, min_confidence: float | None = None) -> tuple[int, dict]:
    """`images`: the evidence the read was made on (devices/evidence.py), kept with the event and
    named by hash in its audit entry. `min_confidence`: below it a read waits for review (default
    BORDERFLOW_MIN_READ_CONFIDENCE; the node's own OCR reads use BORDERFLOW_OCR_MIN_CONFIDENCE)."""
    if not principal.may("gate.event"):
        raise Forbidden(f"role {principal.role} may not post gate events")
    gate, lane = _validate(ctx, event)
    now = ctx.clock.now()
    base = dict(gate=gate.code, lane=lane.code, kind=event.kind, plate=event.plate, confidence=event.confidence,
                gross_kg=event.gross_kg, barrier=event.state, at=event.at or now, received_at=now,
                device=event.device or principal.name, images=images or None)
    if event.kind == "barrier":
        event_id = uow.gate_events.add(**base)
        uow.log_action(at=now, actor=principal.actor, action="gate.barrier", subject=str(event_id),
                       data={"gate": gate.code, "lane": lane.code, "state": event.state})
        return 201, {"id": event_id, "kind": "barrier", "accepted": True}
    candidates = uow.crossings.expected_with_key(gate.code, match_key(event.plate))
    match = match_plate(event.plate, [plate for _, plate, _ in candidates])
    if not settled_by_key(match):  # a worse read: every plate within reach of it is a candidate
        candidates = uow.crossings.expected_near(gate.code, probe_keys(event.plate))
        match = match_plate(event.plate, [plate for _, plate, _ in candidates])
    matched_ids = [cid for cid, plate, _ in candidates if plate in match.matches]
    low = event.kind in ("plate_read", "yard_entry") and event.confidence < (
        ctx.min_read_confidence if min_confidence is None else min_confidence)
    if match.status in ("exact", "fuzzy") and len(matched_ids) == 1 and not low:
        record = uow.crossings.get(matched_ids[0], for_update=True)
        return _matched(ctx, uow, principal, event, base, lane, record)
    if low:
        reason, status, code = (f"low-confidence read ({event.confidence:.2f}) of {event.plate}: check the plate "
                                "by eye", "low_confidence", "low_confidence")
    elif matched_ids:
        reason, status, code = (f"{event.plate} matches {len(matched_ids)} declarations "
                                f"({', '.join(sorted(set(match.matches)))}): check the plate by eye", "ambiguous",
                                "ambiguous_plate")
    else:
        reason, status, code = f"no declaration for {event.plate} at {gate.name}", "none", "no_declaration"
    event_id = uow.gate_events.add(**base, decision="hold", reason=reason, match=status, candidates=matched_ids,
                                   review="pending")
    uow.log_action(at=now, actor=principal.actor, action=f"gate.{event.kind}", subject=str(event_id),
                   data={"decision": "hold", "match": status, "plate": event.plate, **_evidence(base)})
    return 201, {"id": event_id, "kind": event.kind, "decision": "hold", "crossing_id": None, "reason": reason,
                 "reason_code": code, "reason_params": {"plate": event.plate, "gate": gate.code},
                 "match": status, "candidates": matched_ids}


def _answer(event_id: int, kind: str, crossing, decision: barrier.Decision) -> dict:  # noqa: ANN001
    return {"id": event_id, "kind": kind, "decision": decision.decision, "crossing_id": crossing.id,
            "reference": crossing.reference, "reason": decision.reason, "reason_code": decision.code,
            "reason_params": decision.params, "status": crossing.status}


def _matched(ctx: NodeContext, uow: UnitOfWork, principal: Principal, event: GateEventIn, base: dict, lane,  # noqa: ANN001
             record: CrossingRecord) -> tuple[int, dict]:
    crossing, now = record.crossing, ctx.clock.now()
    if event.kind == "yard_entry":
        decision = yard.check_in(ctx, uow, record, now)
    elif event.kind == "weighbridge":
        decision = weigh(ctx, uow, principal, record, event.gross_kg, now)
    else:
        decision = at_barrier(ctx, uow, record, lane, now, actor=principal.actor)
    event_id = uow.gate_events.add(**base, crossing_id=crossing.id, decision=decision.decision,
                                   reason=decision.reason, match="matched", candidates=[crossing.id])
    uow.log_action(at=now, actor=principal.actor, action=f"gate.{event.kind}", subject=str(event_id),
                   data={"decision": decision.decision, "code": decision.code, "crossing_id": crossing.id,
                         "plate": event.plate, **_evidence(base)})
    if event.kind == "plate_read" and decision.decision == "open":
        barrier_commands.issue(ctx, uow, gate=crossing.gate, lane=lane.code, gate_event_id=event_id,
                               crossing_id=crossing.id, now=now)
    return 201, _answer(event_id, event.kind, crossing, decision)


def _evidence(base: dict) -> dict:
    """The images' hashes for the audit entry: the entry then proves which picture a decision saw."""
    return {"images": [i["sha256"] for i in base["images"]]} if base.get("images") else {}


def weigh(ctx: NodeContext, uow: UnitOfWork, principal: Principal, record: CrossingRecord, gross_kg: float,
          now) -> barrier.Decision:  # noqa: ANN001
    """A weighing holds an overweight truck once; an unchanged truck weighed again changes nothing."""
    crossing = record.crossing
    heavy = barrier.overweight(vehicle_facts(record), gross_kg, ctx.node.country)
    if heavy is None:
        return barrier.Decision("open", "weight within the legal limit", "weight_ok", {"weighed_kg": gross_kg})
    if lifecycle.next_status(crossing.status, "hold") is not None:  # a truck already held stays held as it is
        crossing.apply("hold", at=now, actor=principal.actor, cause=heavy.reason)
        uow.crossings.save(record, at=now)
    return heavy


def at_barrier(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, lane, now, *, actor: str,  # noqa: ANN001
               confirmed_by: str | None = None) -> barrier.Decision:
    """Decide a plate read for a known crossing, and apply what the decision says."""
    crossing = record.crossing
    gate = ctx.node.gate(crossing.gate)
    standing = yard.standing(ctx, uow, record, gate, now)
    decision = barrier.decide(crossing, lane, vehicle_facts(record), uow.gate_events.latest_weight(crossing.id),
                              ctx.node.country, standing)
    for action, cause in decision.actions:
        crossing.apply(action, at=now, actor=actor,
                       cause=f"{cause} (read confirmed by {confirmed_by})" if confirmed_by else cause)
    if decision.actions:
        yard.reached_gate(uow, crossing.id, now)
        uow.crossings.save(record, at=now)
        if crossing.status == lifecycle.EXITED:  # through the barrier: counted in the trade statistics
            statistics.record_exit(ctx, uow, record, now)
    return decision


def vehicle_facts(record: CrossingRecord) -> barrier.VehicleFacts:
    vehicle = record.declaration["vehicle"]
    return barrier.VehicleFacts(country=vehicle["country"], axles=vehicle["axles"],
                                combination=bool(vehicle.get("trailer_plate")))


def pending_reviews(uow: UnitOfWork, principal: Principal, gate: str | None) -> list[dict]:
    if not principal.may("gate.review"):
        raise Forbidden(f"role {principal.role} may not review plate reads")
    return [_event_view(e) for e in uow.gate_events.for_review(gate=gate)]


def resolve(ctx: NodeContext, uow: UnitOfWork, principal: Principal, event_id: int, *, crossing_id: str | None,
            dismiss: bool, note: str) -> tuple[int, dict]:
    """A person says which crossing a read belonged to (or that it was noise); the read is
    then decided for that crossing, as if the camera had read the plate right."""
    if not principal.may("gate.review"):
        raise Forbidden(f"role {principal.role} may not review plate reads")
    stored = uow.gate_events.get(event_id)
    if stored is None:
        raise NotFound(f"gate event {event_id}")
    if stored["review"] != "pending":
        raise Conflict(say("gate.review_not_pending", id=event_id, review=stored["review"]),
                       current_status=stored["review"])
    now = ctx.clock.now()
    if dismiss == (crossing_id is not None):
        raise ValidationFailed([Problem("crossing_id", "give either crossing_id or dismiss=true", "resolution")])
    if dismiss:
        uow.gate_events.resolve(event_id, review="dismissed", crossing_id=None, by=principal.actor)
        uow.log_action(at=now, actor=principal.actor, action="gate.review", subject=str(event_id),
                       data={"dismissed": True, "note": note})
        return 200, {"id": event_id, "review": "dismissed"}
    record = uow.crossings.get(crossing_id, for_update=True)
    if record is None or record.crossing.gate != stored["gate"]:
        raise ValidationFailed([Problem("crossing_id", f"no crossing {crossing_id} at gate {stored['gate']}",
                                        "crossing.unknown")])
    if stored["kind"] == "yard_entry":  # the yard camera misread: check the confirmed truck in
        decision = yard.check_in(ctx, uow, record, now)
    else:
        lane = ctx.node.gate(stored["gate"]).lane(stored["lane"])
        decision = at_barrier(ctx, uow, record, lane, now, actor=principal.actor, confirmed_by=principal.actor)
        if decision.decision == "open":
            barrier_commands.issue(ctx, uow, gate=stored["gate"], lane=stored["lane"], gate_event_id=event_id,
                                   crossing_id=record.crossing.id, now=now)
    uow.gate_events.resolve(event_id, review="resolved", crossing_id=record.crossing.id, by=principal.actor)
    uow.log_action(at=now, actor=principal.actor, action="gate.review", subject=str(event_id),
                   data={"crossing_id": record.crossing.id, "decision": decision.decision, "code": decision.code,
                         "note": note})
    return 200, {**_answer(event_id, stored["kind"], record.crossing, decision), "review": "resolved"}


def _event_view(e: dict) -> dict:
    return {**{k: v for k, v in e.items() if k not in ("at", "received_at")},
            "at": e["at"].isoformat(), "received_at": e["received_at"].isoformat()}
