"""The joint working group's periodic report: a quarter's (or a month's, or a year's) figures for a
gate pair or a province, with the same period a year before beside them.

The figures are the trade statistics' own (services/statistics), so the report, the API
and the console never disagree; the incidents and hazard alerts are those exchanged with
the partner in the period; capacity used is trucks through the barrier against the gate's
declared daily capacity (gates.toml) over the period's days.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from borderflow.domain import statistics as st
from borderflow.domain.errors import Problem, ValidationFailed
from borderflow.services import statistics, statistics_series
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

_PERIOD = re.compile(r"(\d{4})(?:-Q([1-4])|-(\d{2}))?")


def period_days(period: str) -> tuple[date, date]:
    """2026-Q3 → 1 July … 30 September; 2026-07 → July; 2026 → the year."""
    match = _PERIOD.fullmatch(period or "")
    if match is None or (match[3] and not 1 <= int(match[3]) <= 12):
        raise ValidationFailed([Problem("period", f"{period!r} is not a period; expected a quarter (2026-Q3), a month "
                                                  "(2026-07) or a year (2026)", "report.period")])
    year = int(match[1])
    if match[2]:
        first_month, months = (int(match[2]) - 1) * 3 + 1, 3
    elif match[3]:
        first_month, months = int(match[3]), 1
    else:
        first_month, months = 1, 12
    start = date(year, first_month, 1)
    end_month = first_month + months
    end = (date(year + 1, 1, 1) if end_month > 12 else date(year, end_month, 1)) - timedelta(days=1)
    return start, end


def scope_gates(ctx: NodeContext, gate_pair: str | None, province: str | None) -> tuple[str, list[str]]:
    """The report's title scope and the gates it covers (default: every gate of the node)."""
    if gate_pair:
        gate = ctx.node.gate(gate_pair.upper().split("-")[0])
        if gate is None:
            raise ValidationFailed([Problem("gate_pair", f"{gate_pair!r} is not a gate of node {ctx.node.id}; expected "
                                                         f"one of {', '.join(ctx.node.gates)}", "report.gate_pair")])
        return f"{gate.code}-{gate.partner_gate}", [gate.code]
    if province:
        gates = [g.code for g in ctx.node.gates.values() if g.province.casefold() == province.casefold()]
        if not gates:
            known = sorted({g.province for g in ctx.node.gates.values()})
            raise ValidationFailed([Problem("province", f"no gate of node {ctx.node.id} is in {province!r}; expected "
                                                        f"one of {', '.join(known)}", "report.province")])
        return province, gates
    return ctx.node.id, list(ctx.node.gates)


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def prepare(ctx: NodeContext) -> None:
    """Sum the past months first (the report reads this period and the same one a year before)."""
    from borderflow.services import trade_months
    trade_months.build(ctx)


def build(ctx: NodeContext, uow: UnitOfWork, period: str, *, gate_pair: str | None = None,
          province: str | None = None) -> dict[str, Any]:
    start, end = period_days(period)
    scope, gates = scope_gates(ctx, gate_pair, province)
    q = st.TradeQuery("month", start, end, ("direction",), gates=tuple(gates))
    before = dataclasses.replace(q, start=_year_before(start), end=_year_before(end))
    now_rows = {r["direction"]: r for r in statistics.trade(ctx, uow, dataclasses.replace(q, period="year"))["rows"]}
    then_rows = {r["direction"]: r for r in statistics.trade(ctx, uow, dataclasses.replace(before, period="year"))["rows"]}
    totals = []
    for direction in ("export", "import"):
        this, last = _sum(now_rows, direction), _sum(then_rows, direction)
        totals.append({"direction": direction, **this, "last_year": last,
                       "change": {m: _change(this[m], last[m]) for m in ("trucks", "gross_kg", "value_usd")}})
    series = statistics_series.monthly(ctx, uow, q)
    days = (end - start).days + 1
    used = statistics.trade(ctx, uow, dataclasses.replace(q, period="year", by=("gate",)))["rows"]
    capacity = []
    for code in gates:
        gate = ctx.node.gate(code)
        trucks = sum(r["trucks"] for r in used if r["gate"] == code)
        capacity.append({"gate": code, "trucks": trucks, "declared_per_day": gate.daily_capacity, "days": days,
                         "used": round(trucks / (gate.daily_capacity * days), 4)})
    return {
        "kind": "jwg_report", "node": ctx.node.id, "period": period, "scope": scope, "gates": gates,
        "from": start.isoformat(), "to": end.isoformat(), "generated_at": ctx.clock.now().isoformat(),
        "totals": totals, "top": series["top"], "months": series["by_gate"],
        "crossing_times": series["crossing_times"],
        "yard_waits": statistics_series.median_minutes(uow, q, measure="yard_minutes"),
        "perishable": series["perishable"], "capacity": capacity,
        "events": _events(ctx, uow, gates, start, end), "rates": series["rates"], "unpriced": series["unpriced"],
        "designations": {code: ctx.designations.for_gate(ctx.node.country, code, end) for code in gates},
    }


def _sum(rows: dict[str, dict], direction: str) -> dict:
    row = rows.get(direction, {})
    return {m: row.get(m, 0) for m in ("trucks", "containers", "gross_kg", "value_usd", "unpriced_lines")}


def _change(now: float, before: float) -> float | None:
    return round((now - before) / before, 4) if before else None


def _events(ctx: NodeContext, uow: UnitOfWork, gates: list[str], start: date, end: date) -> list[dict]:
    """Incident reports and hazard alerts exchanged in the period about these gates or those facing them."""
    tz = ZoneInfo(ctx.node.gate(gates[0]).timezone)
    begin = datetime.combine(start, time(0), tz).astimezone(UTC)
    finish = datetime.combine(end + timedelta(days=1), time(0), tz).astimezone(UTC)
    facing = set(gates) | {ctx.node.gate(g).partner_gate for g in gates}
    r = t.exchange_reports.c
    rows = uow.conn.execute(select(t.exchange_reports).where(r.at >= begin, r.at < finish, r.gate.in_(facing))
                            .order_by(r.at)).all()
    return [{"kind": x.kind, "direction": x.direction, "gate": x.gate, "at": x.at.isoformat(),
             "category": x.payload.get("category") or x.payload.get("hazard"), "severity": x.payload.get("severity"),
             "summary": x.payload.get("summary")} for x in rows]
