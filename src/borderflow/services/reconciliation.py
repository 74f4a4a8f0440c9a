"""Mirror reconciliation: this side's exports through a gate pair are the partner's imports, and
back. For one month, the figures as each side counted them, the differences, and the
crossings behind them, truck by truck.

Our figures are our trade statistics; the partner's are those its statistics reports gave
(services/statistics_exchange). A crossing on each side is matched through the ids the
exchange already links (our `partner_crossing_id`, their `counterpart_id`). What can differ:
crossed on one side only, counted in another month there, gross weight beyond the
tolerance, HS subheadings, declared value in USD beyond the tolerance.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from borderflow.domain.messages import say
from borderflow.domain.errors import Forbidden, Problem, ValidationFailed
from borderflow.domain.roles import Principal
from borderflow.services import statistics_exchange
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

WEIGHT_TOLERANCE = 0.01  # 1 % of the larger gross weight …
WEIGHT_FLOOR_KG = 100.0  # … but never less than a scale's honest disagreement
VALUE_TOLERANCE = 0.01
MIRROR = {"export": "import", "import": "export"}
P, R = t.partner_trade_crossings.c, t.statistics_reports.c


def reconcile(ctx: NodeContext, uow: UnitOfWork, principal: Principal, partner_id: str | None,
              period: str) -> dict[str, Any]:
    if not principal.may("statistics.read") or principal.role == "declarant":
        raise Forbidden(f"role {principal.role} may not reconcile the two sides' statistics")
    partners = list(ctx.node.partners)
    partner_id = partner_id or (partners[0] if len(partners) == 1 else "")
    problems = []
    if partner_id not in partners:
        problems.append(Problem("query.partner", f"unknown partner {partner_id!r}; expected one of "
                                                 f"{', '.join(partners) or 'none configured'}", "partner.unknown"))
    try:
        start, end = statistics_exchange.month_days(period)
    except ValueError:
        problems.append(Problem("query.period", f"{period!r} is not a month; expected YYYY-MM",
                                "statistics.period_month"))
    if problems:
        raise ValidationFailed(problems)
    gates = [g for g in ctx.node.gates.values() if ctx.partner_for(g.code) == partner_id]
    ours = [c for g in gates for c in statistics_exchange.crossings_of(uow, g.code, start, end)]
    theirs = [dict(r._mapping) for r in uow.conn.execute(select(t.partner_trade_crossings).where(
        P.partner == partner_id, P.period == period))]
    linked = _linked(uow, partner_id, ours, theirs)
    return {"partner": partner_id, "period": period, "from": start.isoformat(), "to": end.isoformat(),
            "gate_pairs": [f"{g.code}-{g.partner_gate}" for g in gates],
            "tolerances": {"gross_weight": WEIGHT_TOLERANCE, "gross_weight_floor_kg": WEIGHT_FLOOR_KG,
                           "value_usd": VALUE_TOLERANCE},
            "reports_received": _received(uow, partner_id, period),
            "flows": _flows(ours, theirs), **_compare(ours, theirs, linked)}


def _linked(uow: UnitOfWork, partner_id: str, ours: list[dict], theirs: list[dict]) -> dict[str, dict]:
    """Our crossing id → the partner's row for it, in this month's report or any other."""
    by_theirs = {row["crossing_id"]: row for row in theirs}
    links = {row["counterpart_id"]: row for row in theirs if row["counterpart_id"]}
    missing = [c for c in ours if c["crossing_id"] not in links and by_theirs.get(c["counterpart_id"]) is None]
    if missing:  # counted in another month over there?
        ids = [c["crossing_id"] for c in missing]
        partner_ids = [c["counterpart_id"] for c in missing if c["counterpart_id"]]
        rows = uow.conn.execute(select(t.partner_trade_crossings).where(
            P.partner == partner_id, P.counterpart_id.in_(ids) | P.crossing_id.in_(partner_ids or ["-"]))).all()
        for r in rows:
            links.setdefault(r.counterpart_id, dict(r._mapping))
            by_theirs.setdefault(r.crossing_id, dict(r._mapping))
    return {c["crossing_id"]: links.get(c["crossing_id"]) or by_theirs.get(c["counterpart_id"]) for c in ours}


def _flows(ours: list[dict], theirs: list[dict]) -> list[dict]:
    """Per flow (our direction): trucks, gross weight and value as each side counted them."""
    flows = []
    for direction in ("export", "import"):
        here = [c for c in ours if c["direction"] == direction]
        there = [c for c in theirs if c["direction"] == MIRROR[direction]]
        ours_fig, theirs_fig = _figures(here), _figures(there)
        flows.append({"direction": direction, "partner_direction": MIRROR[direction], "ours": ours_fig,
                      "theirs": theirs_fig,
                      "difference": {k: round(ours_fig[k] - theirs_fig[k], 2) for k in ours_fig}})
    return flows


def _figures(rows: list[dict]) -> dict[str, float]:
    return {"trucks": len(rows), "gross_kg": round(sum(r["gross_kg"] for r in rows), 3),
            "value_usd": round(sum(r["value_usd"] or 0 for r in rows), 2)}


def _hs(row: dict) -> list[str]:
    value = row["hs_subheadings"]
    return sorted(value.split(",") if isinstance(value, str) else value)


def _compare(ours: list[dict], theirs: list[dict], linked: dict[str, dict | None]) -> dict[str, Any]:
    discrepancies, matched = [], 0
    seen_theirs = set()
    for c in ours:
        other = linked.get(c["crossing_id"])
        if other is None:
            discrepancies.append(_entry("crossed_here_only", c, None))
            continue
        seen_theirs.add(other["crossing_id"])
        found = []
        if other["period"] != c["period"]:
            found.append(_entry("other_period", c, other, ours=c["period"], theirs=other["period"]))
        tolerance = max(WEIGHT_FLOOR_KG, WEIGHT_TOLERANCE * max(c["gross_kg"], other["gross_kg"]))
        if abs(c["gross_kg"] - other["gross_kg"]) > tolerance:
            found.append(_entry("gross_weight", c, other, ours=c["gross_kg"], theirs=other["gross_kg"],
                                tolerance_kg=round(tolerance, 1)))
        if _hs(c) != _hs(other):
            found.append(_entry("hs_subheading", c, other, ours=_hs(c), theirs=_hs(other)))
        if c["value_usd"] is not None and other["value_usd"] is not None and \
                abs(c["value_usd"] - other["value_usd"]) > VALUE_TOLERANCE * max(c["value_usd"], other["value_usd"]):
            found.append(_entry("value_usd", c, other, ours=c["value_usd"], theirs=other["value_usd"]))
        discrepancies.extend(found)
        matched += not found
    for other in theirs:
        if other["crossing_id"] not in seen_theirs:
            discrepancies.append(_entry("crossed_there_only", None, other))
    return {"matched": matched, "discrepancies": discrepancies,
            "counts": {kind: sum(1 for d in discrepancies if d["kind"] == kind) for kind in KINDS}}


KINDS = ("crossed_here_only", "crossed_there_only", "other_period", "gross_weight", "hs_subheading", "value_usd")


def _entry(kind: str, here: dict | None, there: dict | None, **params: Any) -> dict[str, Any]:
    """One discrepancy: a stable `code` with its params, and `msg`, the sentence it says (rendered in
    the caller's language by the API, as a warning is)."""
    params = {"reference": (here or there)["reference"], **params}
    return {"kind": kind, "code": f"reconciliation.{kind}", "params": params,
            "msg": say(f"reconciliation.{kind}", **params), "here": _side(here), "there": _side(there)}


def _side(row: dict | None) -> dict | None:
    if row is None:
        return None
    return {"crossing_id": row["crossing_id"], "reference": row["reference"], "direction": row["direction"],
            "exited_at": iso(row["exited_at"])}


def _received(uow: UnitOfWork, partner_id: str, period: str) -> list[dict]:
    rows = uow.conn.execute(select(R.report_id, R.gate, R.parts, R.part, R.at).where(
        R.partner == partner_id, R.period == period, R.direction == "received")).all()
    reports: dict[str, dict] = {}
    for r in rows:
        entry = reports.setdefault(r.report_id, {"report_id": r.report_id, "gate": r.gate, "parts": r.parts,
                                                 "received": 0, "at": iso(r.at)})
        entry["received"] += 1
    return list(reports.values())
