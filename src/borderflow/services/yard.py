"""The waiting yard: check-in at the yard camera, call-forward within both sides' capacity,
and where a truck stands when it reaches the barrier.

Call-forward per gate and direction, under the `call_state` row lock:
1. called trucks that did not reach the gate in time go back in line (the 20-minute rule);
2. booked trucks whose hour passed without them release their slot (no-shows);
3. the call budget (domain/yard_rules): places left this hour — own lanes and hours,
   overrides, the partner's announced acceptance — and room on the lanes;
4. `domain/call_forward.decide_calls`, the decision the simulator makes too, has the queue
   policy pick that many trucks, sends each to a lane and gives those whose risk lane needs
   an inspection bay one from the gate's bay pool, read under the pool's own lock (both
   directions draw on it); each driver is told.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update

from borderflow.domain import capacity as cap
from borderflow.domain import lifecycle
from borderflow.domain.barrier import HOLD, OPEN, Decision, YardStanding
from borderflow.domain.call_forward import decide_calls
from borderflow.domain.directions import lane_direction_for
from borderflow.domain.errors import Conflict, Forbidden, NotFound
from borderflow.domain.gates import Gate
from borderflow.domain.queueing import CallUpState, Waiting
from borderflow.domain.roles import Principal
from borderflow.domain.yard_rules import needs_bay
from borderflow.services import bookings, capacity, notify
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.repositories import CrossingRecord
from borderflow.store.sql import for_update, insert_ignore
from borderflow.store.unit_of_work import UnitOfWork

IN_YARD = ("waiting", "called")
PASSED_THE_CALL = ("called", "served")  # the barrier lets these through to the lanes
DONE = frozenset({lifecycle.RELEASED, lifecycle.EXITED, lifecycle.CANCELLED, lifecycle.REFUSED})


def priority_of(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord) -> str:
    history = uow.crossings.history(record.crossing.declarant_tax_id)
    return ctx.yard.priority_of(perishable=any(g.get("perishable") for g in record.declaration.get("goods", [])),
                                crossings=history["crossings"], refused=history["refused"],
                                inspections_failed=history["inspections_failed"])


YARD_ROW = select(t.yard).where(t.yard.c.crossing_id == bindparam("id"))  # built once: every plate read asks it


def _row(uow: UnitOfWork, crossing_id: str):  # noqa: ANN202
    return uow.conn.execute(YARD_ROW, {"id": crossing_id}).first()


def check_in(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, now: datetime) -> Decision:
    """The yard camera read a truck at the entrance: open the yard gate to it, or say why not."""
    crossing = record.crossing
    gate = ctx.node.gate(crossing.gate)
    direction = lane_direction_for(crossing.direction)
    y = t.yard.c
    here = _row(uow, crossing.id)
    ref = {"reference": crossing.reference}
    if here is not None and here.state in IN_YARD:
        return Decision(OPEN, f"{crossing.reference} is already in the yard ({here.state})", "already_in_yard",
                        {**ref, "state": here.state})
    if crossing.status not in (lifecycle.DECLARED, lifecycle.IN_TRANSIT):
        return Decision(HOLD, f"crossing {crossing.reference} is {crossing.status}: it does not queue in the yard",
                        "not_queueing", {**ref, "status": crossing.status})
    waiting = uow.conn.execute(select(func.count()).select_from(t.yard).where(
        y.gate == gate.code, y.state.in_(IN_YARD))).scalar_one()
    if waiting >= gate.yard_capacity:
        return Decision(HOLD, f"yard full ({waiting} of {gate.yard_capacity} places): wait outside", "yard_full",
                        {"waiting": waiting, "places": gate.yard_capacity})
    booking = bookings.active(uow, crossing.id)
    values = dict(gate=gate.code, direction=direction, priority=priority_of(ctx, uow, record), state="waiting",
                  checked_in_at=now, queued_at=now, missed_calls=0, called_at=None, call_deadline=None, lane=None,
                  bay=None, served_at=None, call_reason=None,
                  booked_from=booking.slot_start if booking else None,
                  booked_until=booking.slot_start + capacity.HOUR if booking else None)
    if here is None:
        uow.conn.execute(insert(t.yard).values(crossing_id=crossing.id, **values))
    else:
        uow.conn.execute(update(t.yard).where(y.crossing_id == crossing.id).values(**values))
    record.crossing.note("yard_check_in", at=now, actor="yard", cause=f"checked in at the {gate.name} yard "
                                                                      f"({values['priority']})")
    uow.crossings.save(record, at=now)
    return Decision(OPEN, f"{crossing.reference} checked in at the yard ({values['priority']}); wait to be called",
                    "checked_in", {**ref, "priority": values["priority"]})


def standing(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, gate: Gate, now: datetime) -> YardStanding:
    """What the barrier must know of the yard: was this truck called forward, and if not, where is it."""
    crossing = record.crossing
    enforced = gate.enforce_call_forward and gate.yard_capacity > 0
    here = _row(uow, crossing.id) if enforced else None
    called = not enforced or (here is not None and here.state in PASSED_THE_CALL) or \
        crossing.status in (lifecycle.ARRIVED, lifecycle.INSPECTING, lifecycle.HELD)  # already past the lanes
    base = dict(enforced=enforced, called=called, yard_name=gate.name, timezone=gate.timezone, now=now)
    if called or here is None or here.state != "waiting":
        return YardStanding(**base)
    direction = lane_direction_for(crossing.direction)
    order = [w.crossing_id for w in ordered(ctx, uow, gate.code, direction, now)]
    position = order.index(crossing.id) + 1 if crossing.id in order else None
    return YardStanding(**base, in_yard=True, position=position,
                        expected_call=expected_call(ctx, uow, gate, direction, position, now) if position else None)


def reached_gate(uow: UnitOfWork, crossing_id: str, now: datetime) -> None:
    """The truck is at a gate lane: it has left the queue; a booking it had is used."""
    y = t.yard.c
    uow.conn.execute(update(t.yard).where(y.crossing_id == crossing_id, y.state.in_(IN_YARD))
                     .values(state="served", served_at=now))
    booking = bookings.active(uow, crossing_id)
    if booking is not None:
        bookings.release(uow, booking, "used", now)


def tidy(ctx: NodeContext, uow: UnitOfWork, crossing_id: str, status: str) -> None:
    """A crossing that is done no longer holds an inspection bay, a yard place or a booking."""
    if status not in DONE:
        return
    now = ctx.clock.now()
    _free_bay(uow, crossing_id, now)
    if status in (lifecycle.CANCELLED, lifecycle.REFUSED):
        y = t.yard.c
        uow.conn.execute(update(t.yard).where(y.crossing_id == crossing_id, y.state.in_(IN_YARD))
                         .values(state="left"))
        booking = bookings.active(uow, crossing_id)
        if booking is not None:
            bookings.release(uow, booking, "cancelled", now)


# ------------------------------------------------------------------ call-forward


def _lock(uow: UnitOfWork, gate: str, direction: str) -> CallUpState:
    s = t.call_state
    insert_ignore(uow.conn, s, dict(gate=gate, direction=direction, position=0), [s.c.gate, s.c.direction])
    query = for_update(uow.conn, select(s.c.position).where(s.c.gate == gate, s.c.direction == direction))
    return CallUpState(uow.conn.execute(query).scalar_one())


def _lock_bays(uow: UnitOfWork, gate: str) -> None:
    """The gate's bay pool is shared by both directions' call-forward steps: lock it before choosing."""
    insert_ignore(uow.conn, t.bay_pools, dict(gate=gate), [t.bay_pools.c.gate])
    uow.conn.execute(for_update(uow.conn, select(t.bay_pools.c.gate).where(t.bay_pools.c.gate == gate))).all()


def _waiting(uow: UnitOfWork, gate: str, direction: str) -> list[Waiting]:
    y = t.yard.c
    rows = uow.conn.execute(select(y.crossing_id, y.queued_at, y.priority, y.booked_from, y.booked_until).where(
        y.gate == gate, y.direction == direction, y.state == "waiting"))
    return [Waiting(r.crossing_id, r.queued_at, r.priority, r.booked_from, r.booked_until) for r in rows]


def _requeue_missed(ctx: NodeContext, uow: UnitOfWork, gate: str, direction: str, now: datetime) -> int:
    y = t.yard.c
    missed = uow.conn.execute(select(y.crossing_id).where(
        y.gate == gate, y.direction == direction, y.state == "called", y.call_deadline < now)).scalars().all()
    minutes = int(ctx.yard.call_timeout.total_seconds() // 60)
    for crossing_id in missed:
        uow.conn.execute(update(t.yard).where(y.crossing_id == crossing_id).values(
            state="waiting", queued_at=now, missed_calls=y.missed_calls + 1, lane=None, bay=None,
            call_deadline=None, call_reason=None))
        _free_bay(uow, crossing_id, now)
        notify.tell(ctx, uow, crossing_id, "requeued",
                    f"You did not reach the gate within {minutes} minutes of your call: you are back in line",
                    {"minutes": minutes})
    return len(missed)


def _free_bay(uow: UnitOfWork, crossing_id: str, now: datetime) -> None:
    b = t.bay_assignments.c
    uow.conn.execute(update(t.bay_assignments).where(b.crossing_id == crossing_id, b.released_at.is_(None))
                     .values(released_at=now))


def _free_bays(uow: UnitOfWork, gate: Gate) -> list[int]:
    b = t.bay_assignments.c
    busy = set(uow.conn.execute(select(b.bay).where(b.gate == gate.code, b.released_at.is_(None))).scalars())
    return [n for n in range(1, gate.inspection_bays + 1) if n not in busy]


def _assign_bay(uow: UnitOfWork, gate: Gate, crossing_id: str, now: datetime) -> int | None:
    free = next(iter(_free_bays(uow, gate)), None)
    if free is not None:
        uow.conn.execute(insert(t.bay_assignments).values(gate=gate.code, bay=free, crossing_id=crossing_id,
                                                          assigned_at=now))
    return free


def _goods_lanes(gate: Gate, direction: str) -> list[str]:
    return [lane.code for lane in gate.lanes_for(direction) if lane.kind == "goods"]


def _in_flight(uow: UnitOfWork, gate: str, direction: str) -> dict[str, int]:
    y = t.yard.c
    return dict(uow.conn.execute(select(y.lane, func.count()).where(
        y.gate == gate, y.direction == direction, y.state == "called").group_by(y.lane)).all())


def called_this_hour(uow: UnitOfWork, gate: str, direction: str, now: datetime) -> int:
    """The hour's places taken: trucks called in it that are on their way or went through. A call
    that ran out (the 20-minute rule put the truck back in line) gives its place back."""
    y = t.yard.c
    return uow.conn.execute(select(func.count()).select_from(t.yard).where(
        y.gate == gate, y.direction == direction, y.state.in_(PASSED_THE_CALL),
        y.called_at >= capacity.floor_hour(now))).scalar_one()


def _call(ctx: NodeContext, uow: UnitOfWork, gate: Gate, direction: str, crossing_id: str, lane: str, bay: int | None,
          now: datetime, reason: str | None = None) -> None:
    minutes = int(ctx.yard.call_timeout.total_seconds() // 60)
    uow.conn.execute(update(t.yard).where(t.yard.c.crossing_id == crossing_id).values(
        state="called", called_at=now, call_deadline=now + ctx.yard.call_timeout, lane=lane, bay=bay,
        call_reason=reason))
    where = f"lane {lane}" + (f", inspection bay {bay}" if bay else "")
    notify.tell(ctx, uow, crossing_id, "called", f"Go to {gate.name} {where} now; you have {minutes} minutes",
                {"gate": gate.code, "lane": lane, "bay": bay, "minutes": minutes})


def call_forward(ctx: NodeContext, uow: UnitOfWork, gate_code: str, direction: str) -> list[dict]:
    """One call-forward step for one gate and direction; returns who was called.

    Who, to which lane and with which bay is `domain/call_forward.decide_calls`, the decision
    the simulator makes too; this step gathers what it needs and carries it out."""
    gate, now, r = ctx.node.gate(gate_code), ctx.clock.now(), ctx.yard
    state = _lock(uow, gate.code, direction)
    _requeue_missed(ctx, uow, gate.code, direction, now)
    bookings.no_shows(uow, gate.code, direction, now, r)
    places = capacity.capacity_now(ctx, uow, gate, direction, now)
    already = called_this_hour(uow, gate.code, direction, now)
    lanes = _goods_lanes(gate, direction)
    in_flight = _in_flight(uow, gate.code, direction)
    uow.conn.execute(update(t.call_state).where(t.call_state.c.gate == gate.code,
                                                t.call_state.c.direction == direction).values(last_run_at=now))
    budget = r.call_budget(places_left=places - already, lanes=len(lanes), in_flight=sum(in_flight.values()))
    if budget <= 0:
        return []
    waiting = _waiting(uow, gate.code, direction)
    risk_lanes = dict(uow.conn.execute(select(t.crossings.c.id, t.crossings.c.risk_lane).where(
        t.crossings.c.id.in_([w.crossing_id for w in waiting]))).all()) if waiting else {}
    free: list[int] = []
    if gate.inspection_bays and any(needs_bay(lane) for lane in risk_lanes.values()):
        _lock_bays(uow, gate.code)
        free = _free_bays(uow, gate)
    decision = decide_calls(r, waiting, now, state, places_left=places - already, lanes=lanes, in_flight=in_flight,
                            risk_lanes=risk_lanes, free_bays=free)
    called = []
    for call in decision.calls:
        if call.bay is not None:
            uow.conn.execute(insert(t.bay_assignments).values(gate=gate.code, bay=call.bay,
                                                              crossing_id=call.crossing_id, assigned_at=now))
        _call(ctx, uow, gate, direction, call.crossing_id, call.lane, call.bay, now)
        called.append({"crossing_id": call.crossing_id, "priority": call.truck.priority, "lane": call.lane,
                       "bay": call.bay, "waited_min": round((now - call.truck.checked_in_at).total_seconds() / 60, 1)})
    uow.conn.execute(update(t.call_state).where(t.call_state.c.gate == gate.code,
                                                t.call_state.c.direction == direction)
                     .values(position=decision.state.position))
    if called:
        uow.log_action(at=now, actor="yard", action="yard.call_forward", subject=f"{gate.code}/{direction}",
                       data={"called": [c["crossing_id"] for c in called], "places": places,
                             "called_this_hour": already + len(called)})
    return called


def call_one(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str, reason: str) -> dict:
    """A supervisor calls one named truck at once, out of turn (an ambulance of a truck, a VIP
    convoy, a queue that the rules cannot see): audited, with the reason, in the history."""
    if not principal.may("yard.call_one"):
        raise Forbidden(f"role {principal.role} may not call a truck out of turn")
    record = uow.crossings.get(crossing_id, for_update=True)
    if record is None:
        raise NotFound(f"crossing {crossing_id}")
    crossing, now = record.crossing, ctx.clock.now()
    if crossing.status not in (lifecycle.DECLARED, lifecycle.IN_TRANSIT, lifecycle.RELEASED):
        raise Conflict(f"crossing {crossing.reference} is {crossing.status}: only a truck not yet at the gate "
                       "can be called forward", current_status=crossing.status)
    gate = ctx.node.gate(crossing.gate)
    direction = lane_direction_for(crossing.direction)
    here = _row(uow, crossing.id)
    if here is not None and here.state in PASSED_THE_CALL:
        raise Conflict(f"{crossing.reference} was already called forward ({here.state})", current_status=here.state)
    if here is None:  # not checked in (yard camera missed it): it joins the yard as called
        uow.conn.execute(insert(t.yard).values(
            crossing_id=crossing.id, gate=gate.code, direction=direction, priority=priority_of(ctx, uow, record),
            state="waiting", checked_in_at=now, queued_at=now, missed_calls=0))
    _lock(uow, gate.code, direction)
    in_flight = _in_flight(uow, gate.code, direction)
    lanes = _goods_lanes(gate, direction)
    lane = min(lanes, key=lambda code: (in_flight.get(code, 0), code))
    bay = None
    if needs_bay(crossing.risk_lane):
        _lock_bays(uow, gate.code)
        bay = _assign_bay(uow, gate, crossing.id, now)
    _call(ctx, uow, gate, direction, crossing.id, lane, bay, now, reason=f"{principal.actor}: {reason}")
    crossing.note("called_out_of_turn", at=now, actor=principal.actor, cause=f"called forward out of turn: {reason}",
                  lane=lane, bay=bay)
    uow.crossings.save(record, at=now)
    uow.log_action(at=now, actor=principal.actor, action="yard.call_one", subject=crossing.id,
                   data={"reason": reason, "gate": gate.code, "lane": lane, "bay": bay})
    return {"crossing_id": crossing.id, "reference": crossing.reference, "lane": lane, "bay": bay,
            "called_at": now.isoformat(), "reason": reason}


def call_forward_all(ctx: NodeContext) -> int:
    """A step for every gate and direction of the node, each in its own transaction."""
    total = 0
    for gate in ctx.node.gates.values():
        for direction in capacity.DIRECTIONS:
            with ctx.uow() as uow:
                total += len(call_forward(ctx, uow, gate.code, direction))
                uow.commit()
    return total


# ------------------------------------------------------------------ order and expected times


def ordered(ctx: NodeContext, uow: UnitOfWork, gate: str, direction: str, now: datetime) -> list[Waiting]:
    """The queue as the policy will call it: position n is order()[n - 1]."""
    state = uow.conn.execute(select(t.call_state.c.position).where(
        t.call_state.c.gate == gate, t.call_state.c.direction == direction)).scalar() or 0
    return ctx.yard.policy().order(_waiting(uow, gate, direction), now, CallUpState(state))


CALENDAR_HOURS = 72  # how far ahead an expected call time is looked for


def expected_call(ctx: NodeContext, uow: UnitOfWork, gate: Gate, direction: str, position: int,
                  now: datetime) -> datetime | None:
    """When the truck at `position` should be called, from the capacity calendar (closed hours,
    closures and the partner's cap included); None when the calendar has no room for it."""
    calendar = capacity.hours(ctx, uow, gate, direction, now, CALENDAR_HOURS)
    return cap.expected_call(position, [(h["start"], h["capacity"]) for h in calendar], now,
                             called_this_hour(uow, gate.code, direction, now))
