"""What the officer console shows, gathered through the same use cases the API calls.

Each panel is a plain dict (or UNAVAILABLE when its use case refuses the officer); the
templates only format. Which panels an officer sees, and in which order, follows the
role: a gate operator starts with the yard, customs with holds and crossings.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select

from borderflow.domain import lifecycle
from borderflow.domain.directions import lane_direction_for
from borderflow.domain.errors import DomainError
from borderflow.domain.roles import Principal
from borderflow.services import bookings, capacity, crossings, exchange_ops, gate, yard_views
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.web import optional

HOURS = 12  # hours of capacity shown ahead
IN_CONTACT_S = 300  # a partner heard from within this time is "in contact"
ACTIVE = ("declared", "in_transit", "arrived", "inspecting", "held", "released")
LANES = ("red", "yellow", "blue", "green")
PANELS = {
    "gate_operator": ("yard", "lanes", "reviews", "crossings", "holds", "capacity", "partner"),
    "customs": ("holds", "crossings", "reviews", "yard", "lanes", "partner", "capacity"),
    "border_guard": ("holds", "reviews", "yard", "lanes", "crossings", "partner", "capacity"),
    "quarantine": ("crossings", "holds", "yard", "partner"),
    "supervisor": ("yard", "holds", "reviews", "crossings", "lanes", "partner", "capacity"),
}


def panel_names(principal: Principal) -> tuple[str, ...]:
    names = PANELS.get(principal.role, PANELS["supervisor"])
    return tuple(n for n in names if n != "reviews" or principal.may("gate.review"))


def gather(ctx: NodeContext, principal: Principal, gate_code: str, direction: str) -> dict:
    wanted = panel_names(principal)
    lanes_way = lane_direction_for(direction)  # the yard and slots speak of outbound/inbound lanes
    out: dict = {}
    if "yard" in wanted or "lanes" in wanted:
        out["yard"] = _safe(lambda: optional.read(ctx, yard_views.yard_view, principal, gate_code, lanes_way))
    with ctx.uow(write=False) as uow:
        if "crossings" in wanted or "holds" in wanted:
            active = [c for c in crossings.search(uow, principal, status=None, gate=gate_code, plate=None,
                                                  risk_lane=None, limit=500, offset=0)
                      if c["direction"] == direction and c["status"] in ACTIVE]
            out["crossings"] = by_status(active)
            out["holds"] = [c for c in active if c["status"] == "held"]
        if "reviews" in wanted:
            out["reviews"] = reviews(uow, principal, gate_code)
        if "lanes" in wanted:
            out["lanes"] = last_reads(uow, gate_code)
        if "partner" in wanted:
            out["partner"] = partner_links(ctx, uow, principal)
        if "capacity" in wanted:
            facing = ctx.node.gate(gate_code).partner_gate
            out["capacity"] = {"partner": [c for c in exchange_ops.capacity(uow, principal)
                                           if c["gate"] in (facing, gate_code) or c["facing_gate"] == gate_code]}
    if "capacity" in wanted:
        out["capacity"]["hours"] = hours(ctx, principal, gate_code, lanes_way)
    return out


def hours(ctx: NodeContext, principal: Principal, gate_code: str, lanes_way: str) -> list[dict]:
    """The next hours: own capacity, the partner's cap, overrides and closures, and bookings."""
    calendar = _safe(lambda: optional.read(ctx, capacity.calendar, principal, gate_code, lanes_way, HOURS))
    slots = _safe(lambda: optional.read(ctx, bookings.slots, principal, gate_code, lanes_way, HOURS))
    if not calendar:
        return optional.UNAVAILABLE
    booked = {s["start"]: s for s in slots or []}
    return [{**h, "slot": booked.get(h["start"])} for h in calendar]


def _safe(call):  # noqa: ANN001, ANN202
    """A panel another use case feeds: its refusal shows as 'not available', not as a broken page."""
    try:
        return call()
    except DomainError:
        return optional.UNAVAILABLE


def by_status(active: list[dict]) -> dict:
    counts = Counter((c["status"], c["risk_lane"]) for c in active)
    return {"statuses": [s for s in ACTIVE if any(c["status"] == s for c in active)], "lanes": LANES,
            "counts": {f"{s}:{lane}": n for (s, lane), n in counts.items()},
            "by_status": {s: [c for c in active if c["status"] == s] for s in ACTIVE}, "total": len(active)}


def partner_links(ctx: NodeContext, uow, principal: Principal) -> list[dict]:  # noqa: ANN001
    if not ctx.exchange:
        return optional.UNAVAILABLE
    now = ctx.clock.now()
    links = exchange_ops.status(ctx, uow, principal)
    for link in links:
        last = link["last_contact_at"]
        link["in_contact"] = bool(last) and (now - datetime.fromisoformat(last)).total_seconds() < IN_CONTACT_S
    return links


def reviews(uow, principal: Principal, gate_code: str) -> list[dict]:  # noqa: ANN001
    pending = gate.pending_reviews(uow, principal, gate_code)
    for event in pending:
        event["options"] = []
        for crossing_id in event.get("candidates") or []:
            record = uow.crossings.get(crossing_id)
            if record is not None:
                event["options"].append({"id": crossing_id, "reference": record.crossing.reference,
                                         "plate": record.plate})
    return pending


def last_reads(uow, gate_code: str) -> dict[str, dict]:  # noqa: ANN001
    """The latest device report per lane. A display-only read, so it queries the table directly
    (no repository method answers 'latest per lane' yet)."""
    g = t.gate_events.c
    rows = uow.conn.execute(select(g.lane, g.kind, g.plate, g.decision, g.reason, g.at, g.barrier)
                            .where(g.gate == gate_code).order_by(g.id.desc()).limit(100))
    latest: dict[str, dict] = {}
    for row in rows:
        latest.setdefault(row.lane, dict(row._mapping))
    return latest


def allowed(principal: Principal, status: str) -> dict[str, bool]:
    """Which officer actions to offer for a crossing in `status`."""
    moves = set(lifecycle.allowed_actions(status))
    return {
        "inspect": principal.may("crossing.inspect") and status not in lifecycle.TERMINAL | {"released"},
        "hold": principal.may("crossing.hold") and "hold" in moves and status != "held",
        "release": principal.may("crossing.release") and "release" in moves,
        "refuse": principal.may("crossing.refuse") and "refuse" in moves,
    }
