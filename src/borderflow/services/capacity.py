"""How many trucks a gate takes per hour and direction: lanes and opening hours, a supervisor's
overrides, and (outbound) the partner's latest announced acceptance.

The calendar is asked for often (the public wait feed, each call-forward round, the
console) and changes rarely: only when an override is added or withdrawn, a partner notice
arrives, or the hour turns. So an answer is kept, keyed on what it was computed from: a
cheap marker of the override and partner-notice tables read in the asking transaction
(which sees its own uncommitted changes), the first hour, and whether the partner's notice
is still fresh.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from borderflow.domain import capacity as cap
from borderflow.domain.errors import Forbidden, Problem, ValidationFailed
from borderflow.domain.gates import Gate
from borderflow.domain.roles import Principal
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

DIRECTIONS = ("inbound", "outbound")
HOUR = timedelta(hours=1)


def floor_hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def gate_or_problem(ctx: NodeContext, code: str, field: str = "gate") -> Gate:
    gate = ctx.node.gate(code.upper())
    if gate is None:
        raise ValidationFailed([Problem(field, f"gate {code!r} is not operated by node {ctx.node.id}; expected one "
                                               f"of {', '.join(ctx.node.gates)}", "gate.unknown")])
    return gate


def direction_or_problem(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValidationFailed([Problem("direction", f"{direction!r}: expected inbound or outbound",
                                        "direction.unknown")])
    return direction


def _overrides(uow: UnitOfWork, gate: str, direction: str, start: datetime, end: datetime) -> list[cap.Override]:
    o = t.capacity_overrides.c
    rows = uow.conn.execute(select(t.capacity_overrides).where(
        o.gate == gate, o.direction == direction, o.withdrawn_at.is_(None), o.starts_at < end, o.ends_at > start)
        .order_by(o.starts_at, o.id))
    return [cap.Override(r.starts_at, r.ends_at, r.trucks_per_hour, r.reason) for r in rows]


@dataclass(frozen=True, slots=True)
class PartnerNotice:
    partner: str
    issued_at: datetime
    received_at: datetime
    hours: list[tuple[datetime, int]]
    closures: list[tuple[datetime, datetime | None]]


def partner_notice(uow: UnitOfWork, gate: str) -> PartnerNotice | None:
    """The newest capacity notice the partner sent for the gate facing `gate`."""
    row = uow.conn.execute(select(t.partner_capacity).where(t.partner_capacity.c.facing_gate == gate)
                           .order_by(t.partner_capacity.c.issued_at.desc())).first()
    if row is None:
        return None
    hours = [(datetime.fromisoformat(h["start"]), h["trucks"]) for h in row.notice["hours"]]
    closures = [(datetime.fromisoformat(c["start"]), datetime.fromisoformat(c["end"]) if c.get("end") else None)
                for c in row.notice["closures"]]
    return PartnerNotice(row.partner, row.issued_at, row.received_at, hours, closures)


_O = t.capacity_overrides.c
_P = t.partner_capacity.c
_OVERRIDES_MARK = select(func.max(_O.id), func.count(_O.withdrawn_at))
_NOTICES_MARK = select(_P.partner, _P.gate, _P.facing_gate, _P.issued_at, _P.received_at)
_CACHES: dict[int, dict[tuple, list[dict]]] = {}  # per node context, dropped with it
_CACHE_LOCK = threading.Lock()
_CACHE_MAX = 2048


def _cache_of(ctx: NodeContext) -> dict[tuple, list[dict]]:
    cache = _CACHES.get(id(ctx))
    if cache is None:
        with _CACHE_LOCK:
            cache = _CACHES.get(id(ctx))
            if cache is None:
                cache = _CACHES[id(ctx)] = {}
                weakref.finalize(ctx, _CACHES.pop, id(ctx), None)
    return cache


def _marker(uow: UnitOfWork) -> tuple[Any, tuple]:
    """What the calendar is computed from, in two small reads (kept for a read-only transaction)."""
    if not uow.write and "calendar_marker" in uow.memo:
        return uow.memo["calendar_marker"]
    overrides = tuple(uow.conn.execute(_OVERRIDES_MARK).one())
    notices = tuple(sorted(tuple(row) for row in uow.conn.execute(_NOTICES_MARK)))
    marker = (overrides, notices)
    if not uow.write:
        uow.memo["calendar_marker"] = marker
    return marker


def hours(ctx: NodeContext, uow: UnitOfWork, gate: Gate, direction: str, start: datetime,
          count: int) -> list[dict]:
    """Capacity per hour from `start`, with why: own lanes and hours, overrides, the partner's cap.

    Outbound, every hour is capped by the partner's acceptance: its current notice where it
    speaks of that hour, otherwise the conservative fallback rate (never "unlimited").
    Callers get their own list of their own dicts: they may change what they were given.
    """
    first = floor_hour(start)
    r, now = ctx.yard, ctx.clock.now()
    partner = ctx.partner_for(gate.code) if direction == "outbound" else None
    marker = _marker(uow)
    newest = max((row[3] for row in marker[1] if row[2] == gate.code), default=None) if partner else None
    fresh = newest is not None and now - newest <= r.partner_notice_max_age
    key = (gate.code, direction, first, count, marker, fresh)
    cache = _cache_of(ctx)
    known = cache.get(key)
    if known is not None:
        return [dict(h) for h in known]
    answer = _compute(ctx, uow, gate, direction, first, count, partner, fresh)
    with _CACHE_LOCK:
        if len(cache) >= _CACHE_MAX:
            cache.clear()
        cache[key] = answer
    return [dict(h) for h in answer]


def _compute(ctx: NodeContext, uow: UnitOfWork, gate: Gate, direction: str, first: datetime, count: int,
             partner: str | None, fresh: bool) -> list[dict]:
    r = ctx.yard
    overrides = _overrides(uow, gate.code, direction, first, first + count * HOUR)
    notice = partner_notice(uow, gate.code) if partner else None
    answer = []
    for i in range(count):
        hour = first + i * HOUR
        partner_cap = basis = None
        if partner is not None:
            partner_cap, basis = cap.partner_acceptance(notice.hours if notice else (), notice.closures if notice else (),
                                                        hour, fresh=fresh, fallback=r.partner_fallback_per_hour)
        own = cap.hourly_capacity(gate, direction, hour, per_lane_per_hour=r.per_lane_per_hour, overrides=overrides)
        answer.append({"start": hour, "end": hour + HOUR, "own": own, "partner_cap": partner_cap,
                       "partner_basis": basis, "capacity": own if partner_cap is None else min(own, partner_cap),
                       "override": next((o.reason for o in reversed(overrides) if o.covers(hour)), None)})
    return answer


def capacity_now(ctx: NodeContext, uow: UnitOfWork, gate: Gate, direction: str, now: datetime) -> int:
    return hours(ctx, uow, gate, direction, now, 1)[0]["capacity"]


def calendar(ctx: NodeContext, uow: UnitOfWork, principal: Principal, gate_code: str, direction: str,
             count: int) -> list[dict]:
    if not principal.may("slots.read"):
        raise Forbidden(f"role {principal.role} may not read gate capacity")
    gate = gate_or_problem(ctx, gate_code)
    return [{**h, "start": iso(h["start"]), "end": iso(h["end"])}
            for h in hours(ctx, uow, gate, direction_or_problem(direction), ctx.clock.now(), count)]
