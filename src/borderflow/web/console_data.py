"""What the officer console shows, gathered through the same use cases the API calls.

Each panel is a plain dict (or UNAVAILABLE when its use case refuses the officer); the
templates only format. Which panels an officer sees, and in which order, follows the
role: a gate operator starts with the yard, each agency with the trucks waiting for its
sign-off.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select

from borderflow.domain import lifecycle
from borderflow.domain.directions import lane_direction_for
from borderflow.domain.errors import DomainError
from borderflow.domain.roles import Principal
from borderflow.domain.signoffs import AGENCIES
from borderflow.services import bookings, capacity, crossings, exchange_ops, gate, signoffs, yard_views
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.web import device_views, optional

HOURS = 12  # hours of capacity shown ahead
IN_CONTACT_S = 300  # a partner heard from within this time is "in contact"
ACTIVE = ("declared", "in_transit", "arrived", "inspecting", "held", "released")
LANES = ("red", "yellow", "blue", "green")
PANELS = {
    "gate_operator": ("yard", "lanes", "devices", "reviews", "crossings", "holds", "capacity", "partner"),
    "customs": ("signoffs", "holds", "crossings", "reviews", "yard", "lanes", "partner", "capacity", "devices"),
    "border_guard": ("signoffs", "holds", "reviews", "yard", "lanes", "crossings", "partner", "capacity", "devices"),
    "quarantine": ("signoffs", "crossings", "holds", "yard", "partner"),
    "supervisor": ("yard", "holds", "signoffs", "reviews", "crossings", "lanes", "devices", "partner", "capacity"),
}
NEEDS = {"reviews": "gate.review", "signoffs": "crossing.inspect", "devices": "device.read"}  # only some roles see


def panel_names(principal: Principal) -> tuple[str, ...]:
    names = PANELS.get(principal.role, PANELS["supervisor"])
    return tuple(n for n in names if n not in NEEDS or principal.may(NEEDS[n]))


def agency_for(principal: Principal, asked: str | None) -> str | None:
    """Whose sign-off queue the console shows: an agency officer's own; the one a supervisor
    picks (customs unless it picks another); none for roles that sign nothing off."""
    if not principal.may("crossing.inspect"):
        return None
    if principal.role in AGENCIES:
        return principal.role
    return asked if asked in AGENCIES else "customs"


def gather(ctx: NodeContext, principal: Principal, gate_code: str, direction: str,
           agency: str | None = None) -> dict:
    wanted = panel_names(principal)
    lanes_way = lane_direction_for(direction)  # the yard and slots speak of outbound/inbound lanes
    out: dict = {}
    if "yard" in wanted or "lanes" in wanted:
        out["yard"] = _safe(lambda: optional.read(ctx, yard_views.yard_view, principal, gate_code, lanes_way))
    with ctx.uow(write=False) as uow:
        if "signoffs" in wanted:
            out["signoffs"] = signoff_queue(uow, principal, agency_for(principal, agency), gate_code, direction,
                                            ctx.clock.now())
        if out.get("yard") and principal.may("yard.call_one"):
            queued = _queued_at(uow, [w["crossing_id"] for w in out["yard"]["waiting"]])
            for truck in out["yard"]["waiting"]:
                truck["stamp"] = queued.get(truck["crossing_id"], "")
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
        if "devices" in wanted:
            out["devices"] = device_views.panel(ctx, uow, gate_code)
        if "partner" in wanted:
            out["partner"] = partner_links(ctx, uow, principal)
        if "capacity" in wanted:
            out["capacity"] = {"partner": partner_capacity(ctx, uow, principal, gate_code),
                               "fallback_per_hour": ctx.yard.partner_fallback_per_hour}
    if "capacity" in wanted:
        out["capacity"]["hours"] = hours(ctx, principal, gate_code, lanes_way)
    return out


def signoff_queue(uow, principal: Principal, agency: str, gate_code: str, direction: str,  # noqa: ANN001
                  now: datetime) -> dict:
    """The trucks of this gate and direction waiting for `agency`'s sign-off (services.signoffs),
    each with where it is, what a failure does, and a stamp that changes with the crossing (so a
    form's idempotency key is new whenever the crossing moved on)."""
    queue = signoffs.work_queue(uow, principal, agency=agency, gate=gate_code)
    trucks = [x for x in queue["trucks"] if x["direction"] == direction]
    c = t.crossings.c
    details = {row.id: row for row in uow.conn.execute(select(c.id, c.updated_at, c.signoffs).where(
        c.id.in_([x["crossing_id"] for x in trucks])))} if trucks else {}
    arrived = _arrived(uow, [x["crossing_id"] for x in trucks
                             if x["status"] == lifecycle.HELD and x["yard_state"] != "served"])
    for truck in trucks:
        row = details.get(truck["crossing_id"])
        mine = next((s for s in (row.signoffs or []) if s["agency"] == queue["agency"]), {}) if row else {}
        truck["on_failure"] = mine.get("on_failure", "hold")
        truck["stamp"] = row.updated_at.isoformat() if row else ""
        truck["where"] = where(truck, truck["crossing_id"] in arrived)
        # whole minutes (not "n seconds ago"), so the live panel changes only when something does
        truck["waited_min"] = max(0, (now - datetime.fromisoformat(truck["waiting_since"])).total_seconds() // 60)
    return {"agency": queue["agency"], "trucks": trucks}


def where(truck: dict, arrived: bool = False) -> str:
    """Where a truck waiting for a sign-off is: a code of labels.WHERE. A held truck may be
    held before it came (a failed document check): `arrived` says whether it reached the gate."""
    if truck["status"] in (lifecycle.ARRIVED, lifecycle.INSPECTING) or truck["yard_state"] == "served" or arrived:
        return "gate"
    if truck["yard_state"] in ("waiting", "called"):
        return "yard" if truck["yard_state"] == "waiting" else "called"
    return "not_arrived"


def _arrived(uow, ids: list[str]) -> set[str]:  # noqa: ANN001
    """Which of these crossings a lane camera saw at the gate (display-only read of the history)."""
    if not ids:
        return set()
    e = t.crossing_events.c
    return set(uow.conn.execute(select(e.crossing_id).where(e.crossing_id.in_(ids), e.action == "arrive")).scalars())


def _queued_at(uow, ids: list[str]) -> dict[str, str]:  # noqa: ANN001
    """When each waiting truck joined the line (again, after a missed call): part of the
    call-now form's idempotency key. A display-only read of the yard table."""
    if not ids:
        return {}
    y = t.yard.c
    return {r.crossing_id: r.queued_at.isoformat() for r in uow.conn.execute(
        select(y.crossing_id, y.queued_at).where(y.crossing_id.in_(ids)))}


def partner_capacity(ctx: NodeContext, uow, principal: Principal, gate_code: str) -> list[dict]:  # noqa: ANN001
    """The partner's notices for the gate facing this one: the hours from this one on, and the
    closures not over yet."""
    facing = ctx.node.gate(gate_code).partner_gate
    now = ctx.clock.now()
    first = capacity.floor_hour(now)
    notices = [c for c in exchange_ops.capacity(ctx, uow, principal)
               if c["gate"] in (facing, gate_code) or c["facing_gate"] == gate_code]
    for notice in notices:
        notice["coming"] = [h for h in notice["hours"] if datetime.fromisoformat(h["start"]) >= first][:HOURS]
        notice["open_closures"] = [c for c in notice["closures"]
                                   if not c.get("end") or datetime.fromisoformat(c["end"]) > now]
    return notices


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


def signing(principal: Principal, view: dict) -> dict:
    """What the crossing page's inspection form records: whose sign-off (an agency officer's own;
    a supervisor picks, the first agency still waiting by default) and the check it asks."""
    pending = view.get("pending_signoffs") or []
    choose = principal.role not in AGENCIES
    agency = (pending[0] if pending else "customs") if choose else principal.role
    asked = next((s for s in view.get("signoffs") or [] if s["agency"] == agency), None)
    kind = asked["check"] if asked else ("physical" if view.get("risk_lane") == "red" else "document")
    return {"agency": agency, "kind": kind, "choose": choose}


def allowed(principal: Principal, status: str) -> dict[str, bool]:
    """Which officer actions to offer for a crossing in `status`."""
    moves = set(lifecycle.allowed_actions(status))
    return {
        "inspect": principal.may("crossing.inspect") and status not in lifecycle.TERMINAL | {"released"},
        "hold": principal.may("crossing.hold") and "hold" in moves and status != "held",
        "release": principal.may("crossing.release") and "release" in moves,
        "refuse": principal.may("crossing.refuse") and "refuse" in moves,
    }
