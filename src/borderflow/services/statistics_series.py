"""The monthly series the console's charts and the periodic report show, from the same SQL as the API.

Medians of crossing time come from a histogram the database builds (5-minute buckets per
month), so a year of trucks is never loaded into Python to find its middle.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from sqlalchemy import Integer, and_, cast, func, select

from borderflow.domain import statistics as st
from borderflow.services import statistics
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

L = t.trade_lines.c
BUCKET_MIN = 5
TOP = 8


def _query(q: st.TradeQuery, by: tuple[str, ...], period: str | None = None) -> st.TradeQuery:
    return dataclasses.replace(q, period=period or q.period, by=by)


def monthly(ctx: NodeContext, uow: UnitOfWork, q: st.TradeQuery) -> dict[str, Any]:
    """Trucks and value by month × gate × direction, top commodity groups, the perishable share
    of gross weight by month, and the median crossing time (arrival → exit) by month."""
    by_gate = statistics.trade(ctx, uow, _query(q, ("gate", "direction"), "month"))
    groups_by_month = statistics.trade(ctx, uow, _query(q, ("commodity_group",), "month"))
    top = statistics.trade(ctx, uow, _query(q, ("commodity_group",), "year"))
    totals: dict[str, dict] = {}
    for row in top["rows"]:
        entry = totals.setdefault(row["commodity_group"], {"commodity_group": row["commodity_group"],
                                                           "commodity_group_name": row["commodity_group_name"],
                                                           "trucks": 0, "gross_kg": 0.0, "value_usd": 0.0})
        for measure in ("trucks", "gross_kg", "value_usd"):
            entry[measure] += row[measure]
    ranked = sorted(totals.values(), key=lambda r: (-r["value_usd"], -r["gross_kg"]))[:TOP]
    share: dict[str, dict] = {}
    for row in groups_by_month["rows"]:
        month = share.setdefault(row["period"], {"period": row["period"], "gross_kg": 0.0, "perishable_kg": 0.0})
        month["gross_kg"] += row["gross_kg"]
        if ctx.commodity_groups.perishable(row["commodity_group"]):
            month["perishable_kg"] += row["gross_kg"]
    for month in share.values():
        month["share"] = round(month["perishable_kg"] / month["gross_kg"], 4) if month["gross_kg"] else None
    return {"by_gate": by_gate["rows"], "top": ranked, "perishable": list(share.values()),
            "crossing_times": median_minutes(uow, q), "totals": by_gate["totals"], "rates": by_gate["rates"],
            "unpriced": by_gate["unpriced"]}


def median_minutes(uow: UnitOfWork, q: st.TradeQuery, period: str = "month",
                   measure: str = "crossing_minutes") -> list[dict]:
    """Per period: trucks timed and the median of arrival at the gate → exit (or of the yard wait,
    `measure="yard_minutes"`), in minutes."""
    column = L[measure]
    bucket = cast(column / BUCKET_MIN, Integer)
    where = [L.line_no == 0, column.is_not(None), *statistics.where(q)]
    rows = uow.conn.execute(select(L[period].label("period"), bucket.label("bucket"), func.count().label("n"))
                            .where(and_(*where)).group_by(L[period], bucket).order_by(L[period], bucket)).all()
    histograms: dict[str, list[tuple[int, int]]] = {}
    for r in rows:
        histograms.setdefault(r.period, []).append((int(r.bucket), int(r.n)))
    return [{"period": p, "trucks": sum(n for _, n in h), "median_min": _median(h)} for p, h in histograms.items()]


def _median(histogram: list[tuple[int, int]]) -> float:
    """The median of a 5-minute histogram, interpolated inside its bucket."""
    total = sum(n for _, n in histogram)
    half, seen = total / 2, 0
    for bucket, n in histogram:
        if seen + n >= half:
            return round((bucket + (half - seen) / n) * BUCKET_MIN, 1)
        seen += n
    return float(histogram[-1][0] * BUCKET_MIN)


def last_months(today: date, months: int = 12) -> tuple[date, date]:
    """The first day `months` months back, through the end of this month."""
    year, month = today.year, today.month - (months - 1)
    while month <= 0:
        year, month = year - 1, month + 12
    end_year, end_month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return date(year, month, 1), date.fromordinal(date(end_year, end_month, 1).toordinal() - 1)
