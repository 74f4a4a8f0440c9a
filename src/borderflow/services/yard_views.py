"""What drivers and officers see of the yard: the queue as the policy orders it, and the
driver's own page (position, expected call time, what to do next)."""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import func, select

from borderflow.domain import capacity as cap
from borderflow.domain import lifecycle
from borderflow.domain.barrier import local_when
from borderflow.domain.directions import lane_direction_for
from borderflow.domain.errors import Forbidden, NotFound
from borderflow.domain.gates import Gate
from borderflow.domain.identifiers.plates import match_key
from borderflow.domain.roles import Principal
from borderflow.services import bookings, capacity, notify, yard
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork


def service_rate(uow: UnitOfWork, gate: str, direction: str, now: datetime) -> float | None:
    """Trucks called per hour over the last hour, measured."""
    y = t.yard.c
    calls = uow.conn.execute(select(func.count()).select_from(t.yard).where(
        y.gate == gate, y.direction == direction, y.called_at >= now - capacity.HOUR)).scalar_one()
    return float(calls) if calls else None


def yard_view(ctx: NodeContext, uow: UnitOfWork, principal: Principal, gate_code: str, direction: str) -> dict:
    if not principal.may("yard.read"):
        raise Forbidden(f"role {principal.role} may not read the yard")
    gate = capacity.gate_or_problem(ctx, gate_code)
    direction = capacity.direction_or_problem(direction)
    now = ctx.clock.now()
    y, c = t.yard.c, t.crossings.c
    rows = {r.crossing_id: r for r in uow.conn.execute(
        select(y.crossing_id, y.priority, y.checked_in_at, y.booked_from, y.booked_until, y.called_at, y.lane, y.bay,
               y.state, c.reference, c.plate, c.risk_lane).join(t.crossings, c.id == y.crossing_id)
        .where(y.gate == gate.code, y.direction == direction, y.state.in_(yard.IN_YARD)))}
    waiting = [{"crossing_id": w.crossing_id, "reference": rows[w.crossing_id].reference,
                "plate": rows[w.crossing_id].plate, "priority": w.priority, "risk_lane": rows[w.crossing_id].risk_lane,
                "checked_in_at": iso(rows[w.crossing_id].checked_in_at), "position": i + 1,
                "booked_from": iso(w.booked_from), "booked_until": iso(w.booked_until)}
               for i, w in enumerate(yard.ordered(ctx, uow, gate.code, direction, now))]
    called = sorted(({"crossing_id": r.crossing_id, "reference": r.reference, "plate": r.plate,
                      "risk_lane": r.risk_lane, "called_at": iso(r.called_at), "lane": r.lane, "bay": r.bay}
                     for r in rows.values() if r.state == "called"), key=lambda x: x["called_at"])
    return {"gate": gate.code, "direction": direction, "capacity_this_hour":
            capacity.capacity_now(ctx, uow, gate, direction, now), "waiting": waiting, "called": called}


NEXT_STEP = {
    lifecycle.ARRIVED: "At the gate: follow the officers' instructions.",
    lifecycle.INSPECTING: "Inspection under way: stay with your truck.",
    lifecycle.RELEASED: "Cleared: drive through the barrier.",
    lifecycle.EXITED: "Crossing complete.",
    lifecycle.CANCELLED: "This crossing was cancelled.",
    lifecycle.REFUSED: "Refused: see the officers at the gate.",
}


LOOK_FURTHER_HOURS = 14 * 24  # past the expected-call calendar, how far the page looks for the gate to open


def no_call_before(ctx: NodeContext, uow: UnitOfWork, gate: Gate, direction: str,
                   now: datetime) -> tuple[datetime | None, str]:
    """When the calendar has no room for a truck in the next CALENDAR_HOURS: the earliest time a
    call could come, and why there is none before. "gate_closed": the gate has no capacity in
    that time, the answer is when it opens (None if it stays closed as far as the page looks);
    "queue_full": it opens, but the trucks ahead fill every place until the calendar's end."""
    calendar = capacity.hours(ctx, uow, gate, direction, now, yard.CALENDAR_HOURS)
    if cap.next_open([(h["start"], h["capacity"]) for h in calendar[1:]]) is not None:
        return calendar[-1]["end"], "queue_full"
    further = capacity.hours(ctx, uow, gate, direction, calendar[-1]["end"], LOOK_FURTHER_HOURS)
    return cap.next_open([(h["start"], h["capacity"]) for h in further]), "gate_closed"


def _waiting_step(gate: Gate, position: int, eta: datetime | None, bound: datetime | None, why: str | None,
                  now: datetime) -> str:
    step = f"Wait in the {gate.name} yard: you are number {position} in line"
    if eta is not None:
        return f"{step}; expected call about {local_when(eta, gate.timezone, now)}."
    if why == "queue_full":
        return (f"{step}. The trucks ahead fill every place of the next {yard.CALENDAR_HOURS} hours: "
                f"no call expected before {local_when(bound, gate.timezone, now)}.")
    if bound is not None:
        return f"{step}. The gate is closed: no call expected before {local_when(bound, gate.timezone, now)}."
    days = (yard.CALENDAR_HOURS + LOOK_FURTHER_HOURS) // 24
    return f"{step}. The gate is closed and no opening is planned in the next {days} days: no call expected."


def driver_view(ctx: NodeContext, uow: UnitOfWork, reference: str, plate: str) -> dict:
    """What the driver needs on a phone: no account, the reference and the plate are the key.

    Times in `next_step` are the gate's local time, with the date when it is not today there;
    the ISO fields carry the same instants for the phone page to show in the driver's language.
    """
    record = uow.crossings.by_reference(reference.strip().upper())
    if record is None or match_key(record.plate) != match_key(plate):
        raise NotFound(f"crossing {reference} with plate {plate}")
    crossing, now = record.crossing, ctx.clock.now()
    gate = ctx.node.gate(crossing.gate)
    direction = lane_direction_for(crossing.direction)
    here = uow.conn.execute(select(t.yard).where(t.yard.c.crossing_id == crossing.id)).first()
    position = eta = bound = why = None
    basis = None
    if crossing.status == lifecycle.HELD:
        step = f"Stopped: {crossing.hold_reason}. Wait for an officer."
    elif here is not None and here.state == "called":
        step = (f"Go to {gate.name} lane {here.lane}" + (f", inspection bay {here.bay}" if here.bay else "")
                + f" now; be there by {local_when(here.call_deadline, gate.timezone, now)}.")
    elif here is not None and here.state == "waiting":
        order = [w.crossing_id for w in yard.ordered(ctx, uow, gate.code, direction, now)]
        position = order.index(crossing.id) + 1
        eta, basis = yard.expected_call(ctx, uow, gate, direction, position, now), "calendar"
        if eta is None:
            bound, why = no_call_before(ctx, uow, gate, direction, now)
        step = _waiting_step(gate, position, eta, bound, why, now)
    elif crossing.status in (lifecycle.DECLARED, lifecycle.IN_TRANSIT):
        booking = bookings.active(uow, crossing.id)
        when = f" for your slot at {local_when(booking.slot_start, gate.timezone, now)}" if booking else ""
        step = f"Drive to the {gate.name} waiting yard{when} and enter past the yard camera."
    else:
        step = NEXT_STEP.get(crossing.status, crossing.status)
    return {"reference": crossing.reference, "plate": record.plate, "status": crossing.status, "gate": gate.code,
            "gate_name": gate.names, "direction": direction, "risk_lane": crossing.risk_lane,
            "position": position, "estimated_call_at": iso(eta), "estimate_basis": basis,
            "no_call_before": iso(bound), "no_call_reason": why, "next_step": step,
            "hold_reason": crossing.hold_reason, "called_at": iso(here.called_at) if here else None,
            "lane": here.lane if here is not None and here.state == "called" else None,
            "notifications": notify.recent(uow, crossing.id)}


def median_minutes(values: list[timedelta]) -> float | None:
    return round(statistics.median(v.total_seconds() for v in values) / 60, 1) if values else None
