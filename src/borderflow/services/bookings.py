"""Slot bookings: one hour at the gate, never more bookings than the hour's bookable capacity.

The slot's counter row is the lock: one conditional UPDATE (`booked < capacity`)
either takes a place or finds none, on SQLite and on PostgreSQL alike. Rules
against speculative booking: one active booking per crossing and per vehicle
(unique partial indexes, so two requests at once cannot both win), a limit on the
moves of a crossing's booking (reschedules and cancellations alike, so cancelling and
booking again does not start the count over), a limit on cancellations per declarant
per week, and a cooling-off ban for a vehicle after repeated no-shows. A booking
belongs to its vehicle: an amendment that changes the plate releases it.

Every refusal names its rule (`Conflict.rule`) and when it ends (`Conflict.until`), and says
why as a message (code and params, `domain/wording_gate.BOOKINGS`).
A booking ends as used, no_show, cancelled (by the declarant or an officer, or with
its crossing) or released (the crossing changed vehicle: not the declarant's
cancellation, and not a move).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from borderflow.domain import lifecycle
from borderflow.domain.directions import lane_direction_for
from borderflow.domain.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from borderflow.domain.messages import Message, say
from borderflow.domain.roles import Principal
from borderflow.domain.yard_rules import CANCELLATION_WINDOW, CANCELLED, YardRules, moves_made
from borderflow.services import capacity
from borderflow.services.access import load_visible
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.sql import insert_ignore
from borderflow.store.unit_of_work import UnitOfWork

BOOKABLE_STATUSES = frozenset({lifecycle.DECLARED, lifecycle.IN_TRANSIT})
RELEASED = "released"  # the crossing changed vehicle; the booking stayed with the old one and ended
# The rules a refusal names (problem+json `rule`).
RESCHEDULE_LIMIT = "reschedule_limit"
CANCELLATION_LIMIT = "cancellation_limit"
NO_SHOW_BAN = "no_show_ban"
SLOT_FULL = "slot_full"
SLOT_CLOSED = "slot_closed"
ONE_BOOKING_PER_VEHICLE = "one_booking_per_vehicle"
NOT_BOOKABLE_STATUS = "not_bookable_status"


def bookable(ctx: NodeContext, hour: dict) -> int:
    return math.floor(hour["capacity"] * ctx.yard.bookable_share)


def slots(ctx: NodeContext, uow: UnitOfWork, principal: Principal, gate_code: str, direction: str,
          count: int) -> list[dict]:
    if not principal.may("slots.read"):
        raise Forbidden(say("forbidden.role", role=principal.role, action="read_slots"))
    gate = capacity.gate_or_problem(ctx, gate_code)
    direction = capacity.direction_or_problem(direction)
    hours = capacity.hours(ctx, uow, gate, direction, ctx.clock.now() + capacity.HOUR, count)
    s = t.slot_counts.c
    booked = dict(uow.conn.execute(select(s.slot_start, s.booked).where(
        s.gate == gate.code, s.direction == direction, s.slot_start >= hours[0]["start"])).all()) if hours else {}
    answer = []
    for hour in hours:
        places, taken = bookable(ctx, hour), booked.get(hour["start"], 0)
        answer.append({"start": iso(hour["start"]), "end": iso(hour["end"]), "capacity": places, "booked": taken,
                       "free": max(0, places - taken)})
    return answer


def view(row) -> dict:  # noqa: ANN001
    return {"id": row.id, "crossing_id": row.crossing_id, "gate": row.gate, "direction": row.direction,
            "slot_start": iso(row.slot_start), "slot_end": iso(row.slot_start + capacity.HOUR),
            "status": row.status, "reschedules": row.reschedules}


def active(uow: UnitOfWork, crossing_id: str):  # noqa: ANN201
    b = t.bookings.c
    return uow.conn.execute(select(t.bookings).where(b.crossing_id == crossing_id, b.status == "active")).first()


def get(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str) -> dict:
    if not principal.may("slots.read"):
        raise Forbidden(say("forbidden.role", role=principal.role, action="read_bookings"))
    load_visible(uow, principal, crossing_id)
    row = active(uow, crossing_id)
    if row is None:
        raise NotFound(say("what.booking", id=crossing_id))
    return view(row)


def _slot_problem(message: Message, code: str) -> ValidationFailed:
    return ValidationFailed([Problem("slot_start", message, code)])


def book(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str,
         slot_start: datetime) -> tuple[int, dict]:
    """Book, or move an existing booking (a reschedule) to another hour."""
    if not principal.may("booking.manage"):
        raise Forbidden(say("forbidden.role", role=principal.role, action="book_slots"))
    record = load_visible(uow, principal, crossing_id, for_update=True)
    crossing, now, r = record.crossing, ctx.clock.now(), ctx.yard
    if crossing.status not in BOOKABLE_STATUSES:
        raise Conflict(say("booking.not_bookable_status", reference=crossing.reference, status=crossing.status),
                       current_status=crossing.status, rule=NOT_BOOKABLE_STATUS)
    if slot_start != capacity.floor_hour(slot_start):
        raise _slot_problem(say("slot.not_hour", slot=iso(slot_start)), "slot.not_hour")
    if slot_start < capacity.floor_hour(now) + capacity.HOUR:
        raise _slot_problem(say("slot.past", slot=iso(slot_start)), "slot.past")
    if slot_start > now + r.booking_horizon:
        raise _slot_problem(say("slot.too_far", slot=iso(slot_start), days=r.booking_horizon.days), "slot.too_far")
    gate = ctx.node.gate(crossing.gate)
    direction = lane_direction_for(crossing.direction)
    plate_key = uow.conn.execute(select(t.crossings.c.plate_key).where(t.crossings.c.id == crossing_id)).scalar_one()
    _check_ban(uow, plate_key, record.plate, now, r)
    current, moves = active(uow, crossing_id), 0
    if current is not None:
        if current.slot_start == slot_start:
            return 200, view(current)
        if current.reschedules >= r.max_reschedules:
            raise Conflict(say("booking.reschedule_limit", reference=crossing.reference, moves=current.reschedules,
                               limit=r.max_reschedules, slot=iso(current.slot_start)), current_status="active",
                           rule=RESCHEDULE_LIMIT, until=None)
    else:
        moves = _check_moves(uow, crossing_id, crossing.reference, r)
        _check_cancellations(uow, crossing.declarant_tax_id, now, r)
    hour = capacity.hours(ctx, uow, gate, direction, slot_start, 1)[0]
    places = bookable(ctx, hour)
    if places <= 0:
        why = hour["override"] or say("booking.closed.partner" if hour["partner_cap"] == 0 else "booking.closed.gate")
        raise Conflict(say("booking.slot_closed", gate=dict(gate.names), direction=direction, slot=iso(slot_start),
                           why=why), current_status="closed", rule=SLOT_CLOSED)
    if not _take_place(uow, gate.code, direction, slot_start, places):
        raise Conflict(say("booking.slot_full", slot=iso(slot_start), gate=dict(gate.names), direction=direction,
                           places=places), current_status="full", rule=SLOT_FULL)
    if current is not None:
        _free_place(uow, current.gate, current.direction, current.slot_start)
        uow.conn.execute(update(t.bookings).where(t.bookings.c.id == current.id).values(
            slot_start=slot_start, reschedules=current.reschedules + 1, updated_at=now))
        action, status_code, booking_id = "booking.reschedule", 200, current.id
    else:
        booking_id = str(uuid.uuid4())
        try:
            with uow.conn.begin_nested():
                uow.conn.execute(insert(t.bookings).values(
                    id=booking_id, crossing_id=crossing_id, gate=gate.code, direction=direction,
                    slot_start=slot_start, plate_key=plate_key, declarant_tax_id=crossing.declarant_tax_id,
                    status="active", reschedules=moves, created_at=now, updated_at=now))
        except IntegrityError:
            raise Conflict(say("booking.one_per_vehicle", plate=record.plate), current_status="booked",
                           rule=ONE_BOOKING_PER_VEHICLE) from None
        action, status_code = "booking.create", 201
    uow.log_action(at=now, actor=principal.actor, action=action, subject=crossing_id,
                   data={"slot_start": iso(slot_start), "gate": gate.code, "direction": direction})
    return status_code, view(uow.conn.execute(select(t.bookings).where(t.bookings.c.id == booking_id)).one())


def cancel(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str) -> tuple[int, dict]:
    if not principal.may("booking.manage"):
        raise Forbidden(say("forbidden.role", role=principal.role, action="cancel_bookings"))
    load_visible(uow, principal, crossing_id, for_update=True)
    current = active(uow, crossing_id)
    if current is None:
        raise NotFound(say("what.active_booking", id=crossing_id))
    now = ctx.clock.now()
    release(uow, current, CANCELLED, now)
    uow.log_action(at=now, actor=principal.actor, action="booking.cancel", subject=crossing_id,
                   data={"slot_start": iso(current.slot_start)})
    return 200, {**view(current), "status": "cancelled"}


def release(uow: UnitOfWork, booking, status: str, now: datetime) -> None:  # noqa: ANN001
    """End a booking (cancelled, released, used or no_show); a slot still ahead gets its place back."""
    uow.conn.execute(update(t.bookings).where(t.bookings.c.id == booking.id).values(status=status, updated_at=now))
    if status in (CANCELLED, RELEASED, "no_show") or booking.slot_start > now:
        _free_place(uow, booking.gate, booking.direction, booking.slot_start)


def release_for_new_vehicle(uow: UnitOfWork, crossing_id: str, now: datetime, *,
                            actor: str = "system") -> dict | None:
    """The crossing now names another vehicle: its active booking (if any) ends as released and
    its place goes back to the slot. The booking never moves to the new plate; the crossing may
    book again for the new vehicle. Returns the released booking, or None if it had none."""
    current = active(uow, crossing_id)
    if current is None:
        return None
    release(uow, current, RELEASED, now)
    uow.log_action(at=now, actor=actor, action="booking.release", subject=crossing_id,
                   data={"slot_start": iso(current.slot_start), "reason": str(say("booking.released_vehicle_changed"))})
    return {**view(current), "status": RELEASED}


def _moves(uow: UnitOfWork, crossing_id: str) -> tuple[int, str | None]:
    """The crossing's moves so far (every reschedule and every cancellation of its bookings) and
    how its latest booking ended."""
    b = t.bookings.c
    rows = uow.conn.execute(select(b.status, b.reschedules).where(b.crossing_id == crossing_id)
                            .order_by(b.created_at)).all()
    return moves_made((row.status, row.reschedules) for row in rows), (rows[-1].status if rows else None)


def _check_moves(uow: UnitOfWork, crossing_id: str, reference: str, r: YardRules) -> int:
    """A new booking starts with the moves its crossing already made; refused at the limit."""
    moves, last_status = _moves(uow, crossing_id)
    if not r.may_book_again(moves=moves, last_status=last_status):
        raise Conflict(say("booking.moves_limit", reference=reference, moves=moves, limit=r.max_reschedules),
                       current_status=last_status, rule=RESCHEDULE_LIMIT, until=None)
    return moves


def _check_cancellations(uow: UnitOfWork, declarant_tax_id: str, now: datetime, r: YardRules) -> None:
    """The declarant's own cancellations count; a booking ended with a crossing an officer refused,
    or released because the vehicle changed, does not."""
    b, c = t.bookings.c, t.crossings.c
    cancelled_at = uow.conn.execute(select(b.updated_at).select_from(
        t.bookings.join(t.crossings, c.id == b.crossing_id)).where(
        b.declarant_tax_id == declarant_tax_id, b.status == CANCELLED, b.updated_at > now - CANCELLATION_WINDOW,
        c.status != lifecycle.REFUSED)).scalars().all()
    until = r.cancellations_block_until(cancelled_at, now)
    if until is not None:
        raise Conflict(say("booking.cancellation_limit", declarant=declarant_tax_id, count=len(cancelled_at),
                           days=CANCELLATION_WINDOW.days, limit=r.max_cancellations_per_week, until=iso(until)),
                       rule=CANCELLATION_LIMIT, until=until)


def _check_ban(uow: UnitOfWork, plate_key: str, plate: str, now: datetime, r: YardRules) -> None:
    b = t.bookings.c
    recent = uow.conn.execute(select(func.count(), func.max(b.updated_at)).where(
        b.plate_key == plate_key, b.status == "no_show", b.updated_at >= now - r.no_show_window)).one()
    if recent[0] >= r.no_show_limit and recent[1] + r.no_show_ban > now:
        until = recent[1] + r.no_show_ban
        raise Conflict(say("booking.no_show_ban", plate=plate, count=recent[0], days=r.no_show_window.days,
                           limit=r.no_show_limit, until=iso(until), ban_days=r.no_show_ban.days),
                       current_status="banned", rule=NO_SHOW_BAN, until=until)


def _take_place(uow: UnitOfWork, gate: str, direction: str, slot_start: datetime, places: int) -> bool:
    s = t.slot_counts
    insert_ignore(uow.conn, s, dict(gate=gate, direction=direction, slot_start=slot_start, booked=0),
                  [s.c.gate, s.c.direction, s.c.slot_start])
    taken = uow.conn.execute(update(s).where(
        and_(s.c.gate == gate, s.c.direction == direction, s.c.slot_start == slot_start, s.c.booked < places))
        .values(booked=s.c.booked + 1).returning(s.c.booked)).first()
    return taken is not None


def _free_place(uow: UnitOfWork, gate: str, direction: str, slot_start: datetime) -> None:
    s = t.slot_counts.c
    uow.conn.execute(update(t.slot_counts).where(s.gate == gate, s.direction == direction,
                                                 s.slot_start == slot_start, s.booked > 0)
                     .values(booked=s.booked - 1))


def no_shows(uow: UnitOfWork, gate: str, direction: str, now: datetime, r: YardRules) -> int:
    """Bookings whose hour (plus the late tolerance) passed without the truck in the yard."""
    b, y = t.bookings.c, t.yard.c
    missed = uow.conn.execute(select(t.bookings).where(
        b.gate == gate, b.direction == direction, b.status == "active",
        b.slot_start < now - capacity.HOUR - r.late,
        ~select(y.crossing_id).where(y.crossing_id == b.crossing_id).exists())).all()
    for booking in missed:
        release(uow, booking, "no_show", now)
    return len(missed)
