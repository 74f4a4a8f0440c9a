"""The waiting yard: check-in at the yard camera, call-forward within both sides' capacity,
and what a driver and an officer see of the queue.

Call-forward per gate and direction, under the `call_state` row lock:
1. called trucks that did not reach the gate in time go back in line (the 20-minute rule);
2. booked trucks whose hour passed without them release their slot (no-shows);
3. n = min(places left this hour — own lanes and hours, overrides, the partner's
   announced acceptance — , lanes × trucks per lane in flight − trucks in flight);
4. the queue policy (the same objects the simulator uses) picks n trucks; red and
   yellow lane trucks are given a free inspection bay; each driver is told.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from borderflow.domain import lifecycle
from borderflow.domain.barrier import lane_direction_for
from borderflow.domain.errors import Forbidden, NotFound
from borderflow.domain.identifiers.plates import match_key
from borderflow.domain.queueing import CallUpState, Waiting
from borderflow.domain.roles import Principal
from borderflow.services import bookings, capacity, notify
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork

IN_YARD = ("waiting", "called")
BAY_LANES = frozenset({"yellow", "red"})
DONE = frozenset({lifecycle.RELEASED, lifecycle.EXITED, lifecycle.CANCELLED, lifecycle.REFUSED})


def priority_of(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord) -> str:
    """Perishable goods first; then traders with a clean record; then everyone else."""
    if any(g.get("perishable") for g in record.declaration.get("goods", [])):
        return "perishable"
    history = uow.crossings.history(record.crossing.declarant_tax_id)
    clean = history["refused"] == 0 and history["inspections_failed"] == 0
    return "trusted" if clean and history["crossings"] >= capacity.rules(ctx).trusted_after else "ordinary"


def check_in(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, now: datetime) -> tuple[str, str]:
    """(decision, reason) for a truck read at the yard entrance."""
    crossing = record.crossing
    gate = ctx.node.gate(crossing.gate)
    direction = lane_direction_for(crossing.direction)
    y = t.yard.c
    here = uow.conn.execute(select(t.yard).where(y.crossing_id == crossing.id)).first()
    if here is not None and here.state in IN_YARD:
        return "open", f"{crossing.reference} is already in the yard ({here.state})"
    if crossing.status not in (lifecycle.DECLARED, lifecycle.IN_TRANSIT):
        return "hold", f"crossing {crossing.reference} is {crossing.status}: it does not queue in the yard"
    waiting = uow.conn.execute(select(func.count()).select_from(t.yard).where(
        y.gate == gate.code, y.state.in_(IN_YARD))).scalar_one()
    if waiting >= gate.yard_capacity:
        return "hold", f"yard full ({waiting} of {gate.yard_capacity} places): wait outside"
    booking = bookings.active(uow, crossing.id)
    values = dict(gate=gate.code, direction=direction, priority=priority_of(ctx, uow, record), state="waiting",
                  checked_in_at=now, queued_at=now, missed_calls=0, called_at=None, call_deadline=None, lane=None,
                  bay=None, served_at=None,
                  booked_from=booking.slot_start if booking else None,
                  booked_until=booking.slot_start + capacity.HOUR if booking else None)
    if here is None:
        uow.conn.execute(insert(t.yard).values(crossing_id=crossing.id, **values))
    else:
        uow.conn.execute(update(t.yard).where(y.crossing_id == crossing.id).values(**values))
    record.crossing.note("yard_check_in", at=now, actor="yard", cause=f"checked in at the {gate.name} yard "
                                                                      f"({values['priority']})")
    uow.crossings.save(record, at=now)
    return "open", f"{crossing.reference} checked in at the yard ({values['priority']}); wait to be called"


def reached_gate(uow: UnitOfWork, crossing_id: str, now: datetime) -> None:
    """The truck is at a gate lane: it has left the queue; a booking it had is used."""
    y = t.yard.c
    uow.conn.execute(update(t.yard).where(y.crossing_id == crossing_id, y.state.in_(IN_YARD))
                     .values(state="served", served_at=now))
    booking = bookings.active(uow, crossing_id)
    if booking is not None:
        bookings.release(uow, booking, "used", now)


def on_change(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord) -> None:
    """A crossing that is done no longer holds an inspection bay, a yard place or a booking."""
    crossing, now = record.crossing, ctx.clock.now()
    if crossing.status not in DONE:
        return
    b = t.bay_assignments.c
    uow.conn.execute(update(t.bay_assignments).where(b.crossing_id == crossing.id, b.released_at.is_(None))
                     .values(released_at=now))
    if crossing.status in (lifecycle.CANCELLED, lifecycle.REFUSED):
        y = t.yard.c
        uow.conn.execute(update(t.yard).where(y.crossing_id == crossing.id, y.state.in_(IN_YARD))
                         .values(state="left"))
        booking = bookings.active(uow, crossing.id)
        if booking is not None:
            bookings.release(uow, booking, "cancelled", now)


# ------------------------------------------------------------------ call-forward


def _lock(uow: UnitOfWork, gate: str, direction: str) -> CallUpState:
    s = t.call_state
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    uow.conn.execute(dialect_insert(s).values(gate=gate, direction=direction, position=0)
                     .on_conflict_do_nothing(index_elements=[s.c.gate, s.c.direction]))
    query = select(s.c.position).where(s.c.gate == gate, s.c.direction == direction)
    if uow.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return CallUpState(uow.conn.execute(query).scalar_one())


def _waiting(uow: UnitOfWork, gate: str, direction: str) -> list[Waiting]:
    y = t.yard.c
    rows = uow.conn.execute(select(y.crossing_id, y.queued_at, y.priority, y.booked_from, y.booked_until).where(
        y.gate == gate, y.direction == direction, y.state == "waiting"))
    return [Waiting(r.crossing_id, r.queued_at, r.priority, r.booked_from, r.booked_until) for r in rows]


def _requeue_missed(ctx: NodeContext, uow: UnitOfWork, gate: str, direction: str, now: datetime) -> int:
    y = t.yard.c
    missed = uow.conn.execute(select(y.crossing_id).where(
        y.gate == gate, y.direction == direction, y.state == "called", y.call_deadline < now)).scalars().all()
    for crossing_id in missed:
        uow.conn.execute(update(t.yard).where(y.crossing_id == crossing_id).values(
            state="waiting", queued_at=now, missed_calls=y.missed_calls + 1, lane=None, bay=None,
            call_deadline=None))
        _free_bay(uow, crossing_id, now)
        notify.tell(ctx, uow, crossing_id, "requeued",
                    f"You did not reach the gate within {int(capacity.rules(ctx).call_timeout.total_seconds() // 60)} "
                    "minutes of your call: you are back in line", {})
    return len(missed)


def _free_bay(uow: UnitOfWork, crossing_id: str, now: datetime) -> None:
    b = t.bay_assignments.c
    uow.conn.execute(update(t.bay_assignments).where(b.crossing_id == crossing_id, b.released_at.is_(None))
                     .values(released_at=now))


def _assign_bay(uow: UnitOfWork, gate, crossing_id: str, now: datetime) -> int | None:  # noqa: ANN001
    b = t.bay_assignments.c
    busy = set(uow.conn.execute(select(b.bay).where(b.gate == gate.code, b.released_at.is_(None))).scalars())
    free = next((n for n in range(1, gate.inspection_bays + 1) if n not in busy), None)
    if free is not None:
        uow.conn.execute(insert(t.bay_assignments).values(gate=gate.code, bay=free, crossing_id=crossing_id,
                                                          assigned_at=now))
    return free


def call_forward(ctx: NodeContext, uow: UnitOfWork, gate_code: str, direction: str) -> list[dict]:
    """One call-forward step for one gate and direction; returns who was called."""
    gate, now, r = ctx.node.gate(gate_code), ctx.clock.now(), capacity.rules(ctx)
    state = _lock(uow, gate.code, direction)
    _requeue_missed(ctx, uow, gate.code, direction, now)
    bookings.no_shows(uow, gate.code, direction, now, r)
    y = t.yard.c
    hour = capacity.floor_hour(now)
    places = capacity.capacity_now(ctx, uow, gate, direction, now)
    called_this_hour = uow.conn.execute(select(func.count()).select_from(t.yard).where(
        y.gate == gate.code, y.direction == direction, y.called_at >= hour)).scalar_one()
    lanes = [lane.code for lane in gate.lanes_for(direction) if lane.kind == "goods"]
    in_flight = dict(uow.conn.execute(select(y.lane, func.count()).where(
        y.gate == gate.code, y.direction == direction, y.state == "called").group_by(y.lane)).all())
    n = min(places - called_this_hour, len(lanes) * r.called_per_lane - sum(in_flight.values()))
    uow.conn.execute(update(t.call_state).where(t.call_state.c.gate == gate.code,
                                                t.call_state.c.direction == direction).values(last_run_at=now))
    if n <= 0:
        return []
    picked, state = r.policy().pick(_waiting(uow, gate.code, direction), now, n, state)
    lanes_of = dict(uow.conn.execute(select(t.crossings.c.id, t.crossings.c.risk_lane).where(
        t.crossings.c.id.in_([w.crossing_id for w in picked]))).all()) if picked else {}
    called = []
    for truck in picked:
        lane = min(lanes, key=lambda code: (in_flight.get(code, 0), code))
        in_flight[lane] = in_flight.get(lane, 0) + 1
        bay = _assign_bay(uow, gate, truck.crossing_id, now) if lanes_of.get(truck.crossing_id) in BAY_LANES else None
        uow.conn.execute(update(t.yard).where(y.crossing_id == truck.crossing_id).values(
            state="called", called_at=now, call_deadline=now + r.call_timeout, lane=lane, bay=bay))
        where = f"lane {lane}" + (f", inspection bay {bay}" if bay else "")
        notify.tell(ctx, uow, truck.crossing_id, "called",
                    f"Go to {gate.name} {where} now; you have {int(r.call_timeout.total_seconds() // 60)} minutes",
                    {"gate": gate.code, "lane": lane, "bay": bay})
        called.append({"crossing_id": truck.crossing_id, "priority": truck.priority, "lane": lane, "bay": bay,
                       "waited_min": round((now - truck.checked_in_at).total_seconds() / 60, 1)})
    uow.conn.execute(update(t.call_state).where(t.call_state.c.gate == gate.code,
                                                t.call_state.c.direction == direction)
                     .values(position=state.position))
    if called:
        uow.log_action(at=now, actor="yard", action="yard.call_forward", subject=f"{gate.code}/{direction}",
                       data={"called": [c["crossing_id"] for c in called], "places": places,
                             "called_this_hour": called_this_hour + len(called)})
    return called


def call_forward_all(ctx: NodeContext) -> int:
    """A step for every gate and direction of the node, each in its own transaction."""
    total = 0
    for gate in ctx.node.gates.values():
        for direction in capacity.DIRECTIONS:
            with ctx.uow() as uow:
                total += len(call_forward(ctx, uow, gate.code, direction))
                uow.commit()
    return total


# ------------------------------------------------------------------ views


def service_rate(uow: UnitOfWork, gate: str, direction: str, now: datetime) -> float | None:
    """Trucks called per hour over the last hour, measured."""
    y = t.yard.c
    calls = uow.conn.execute(select(func.count()).select_from(t.yard).where(
        y.gate == gate, y.direction == direction, y.called_at >= now - capacity.HOUR)).scalar_one()
    return float(calls) if calls else None


def _ordered(ctx: NodeContext, uow: UnitOfWork, gate: str, direction: str, now: datetime) -> list[Waiting]:
    state = uow.conn.execute(select(t.call_state.c.position).where(
        t.call_state.c.gate == gate, t.call_state.c.direction == direction)).scalar() or 0
    return capacity.rules(ctx).policy().order(_waiting(uow, gate, direction), now, CallUpState(state))


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
        .where(y.gate == gate.code, y.direction == direction, y.state.in_(IN_YARD)))}
    waiting = [{"crossing_id": w.crossing_id, "reference": rows[w.crossing_id].reference,
                "plate": rows[w.crossing_id].plate, "priority": w.priority, "risk_lane": rows[w.crossing_id].risk_lane,
                "checked_in_at": iso(rows[w.crossing_id].checked_in_at), "position": i + 1,
                "booked_from": iso(w.booked_from), "booked_until": iso(w.booked_until)}
               for i, w in enumerate(_ordered(ctx, uow, gate.code, direction, now))]
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


def driver_view(ctx: NodeContext, uow: UnitOfWork, reference: str, plate: str) -> dict:
    """What the driver needs on a phone: no account, the reference and the plate are the key."""
    record = uow.crossings.by_reference(reference.strip().upper())
    if record is None or match_key(record.plate) != match_key(plate):
        raise NotFound(f"crossing {reference} with plate {plate}")
    crossing, now = record.crossing, ctx.clock.now()
    gate = ctx.node.gate(crossing.gate)
    direction = lane_direction_for(crossing.direction)
    here = uow.conn.execute(select(t.yard).where(t.yard.c.crossing_id == crossing.id)).first()
    position = eta = None
    basis = None
    if crossing.status == lifecycle.HELD:
        step = f"Stopped: {crossing.hold_reason}. Wait for an officer."
    elif here is not None and here.state == "called":
        step = (f"Go to {gate.name} lane {here.lane}" + (f", inspection bay {here.bay}" if here.bay else "")
                + f" now; be there by {iso(here.call_deadline)}.")
    elif here is not None and here.state == "waiting":
        order = [w.crossing_id for w in _ordered(ctx, uow, gate.code, direction, now)]
        position = order.index(crossing.id) + 1
        rate = service_rate(uow, gate.code, direction, now)
        basis = "measured"
        if rate is None:
            rate, basis = float(max(1, capacity.capacity_now(ctx, uow, gate, direction, now))), "capacity"
        eta = now + timedelta(hours=position / rate)
        step = f"Wait in the {gate.name} yard: you are number {position} in line."
    elif crossing.status in (lifecycle.DECLARED, lifecycle.IN_TRANSIT):
        booking = bookings.active(uow, crossing.id)
        when = f" for your slot at {iso(booking.slot_start)}" if booking else ""
        step = f"Drive to the {gate.name} waiting yard{when} and enter past the yard camera."
    else:
        step = NEXT_STEP.get(crossing.status, crossing.status)
    return {"reference": crossing.reference, "plate": record.plate, "status": crossing.status, "gate": gate.code,
            "gate_name": gate.names, "direction": direction, "risk_lane": crossing.risk_lane,
            "position": position, "estimated_call_at": iso(eta), "estimate_basis": basis, "next_step": step,
            "hold_reason": crossing.hold_reason, "called_at": iso(here.called_at) if here else None,
            "lane": here.lane if here is not None and here.state == "called" else None,
            "notifications": notify.recent(uow, crossing.id)}


def median_minutes(values: list[timedelta]) -> float | None:
    return round(statistics.median(v.total_seconds() for v in values) / 60, 1) if values else None
