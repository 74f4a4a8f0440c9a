"""Trade statistics: the facts an exit adds, and the one GROUP BY every report is made from.

`record_exit` runs in the barrier's own transaction (services/gate.at_barrier), so a
crossing is counted exactly when it is through, and never twice. `trade` answers the API,
the exports, the console's charts and the periodic report.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, literal, select, union_all

from borderflow.domain import statistics as st
from borderflow.domain.errors import Forbidden, ValidationFailed
from borderflow.domain.roles import Principal
from borderflow.services import rates, trade_months
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork

L, S = t.trade_lines.c, t.trade_month_sums.c


def record_exit(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, at: datetime) -> None:
    """Count an exited crossing, with its latest declaration (amendments included)."""
    crossing, declaration = record.crossing, record.declaration
    gate = ctx.node.gate(crossing.gate)
    keys = st.CrossingKeys(
        crossing_id=crossing.id, exited_at=at, gate=gate.code, gate_pair=f"{gate.code}-{gate.partner_gate}",
        province=gate.province, timezone=gate.timezone, direction=crossing.direction, risk_lane=crossing.risk_lane,
        declarant_tax_id=crossing.declarant_tax_id, containers=len(declaration.get("containers") or []))
    goods = [st.GoodsFigures(hs_code=str(g["hs_code"]), gross_kg=g["gross_kg"], net_kg=g["net_kg"],
                             value=g["value"], currency=g["currency"], origin=g["origin"])
             for g in declaration.get("goods") or []]
    rows = st.fact_rows(keys, goods, ctx.commodity_groups)
    if not rows:
        return
    rates_on = rates.rates_for(uow, {(r["currency"], r["day"]) for r in rows})
    crossing_minutes, yard_minutes = _times(uow, crossing.id, at)
    for row in rows:
        row["value_usd"] = st.usd(row["value"], row["currency"], rates_on.get((row["currency"], row["day"])))
    rows[0].update(crossing_minutes=crossing_minutes, yard_minutes=yard_minutes)
    uow.conn.execute(insert(t.trade_lines), rows)
    if rows[0]["month"] < trade_months.running_month(ctx, ctx.clock.now()):  # an exit recorded into a past month
        trade_months.forget(uow, {rows[0]["month"]})


def prepare(ctx: NodeContext, q: st.TradeQuery) -> None:
    """Sum the whole past months the query spans, if not done yet, so that it reads them at once."""
    if _reads_sums(q):
        trade_months.build(ctx, q.start, q.end)


def _reads_sums(q: st.TradeQuery) -> bool:
    """Months, quarters and years of everybody's crossings: periods made of whole months, and no
    declarant's own figures (the sums do not keep who declared)."""
    return q.period in ("month", "quarter", "year") and q.declarant_tax_id is None


def _times(uow: UnitOfWork, crossing_id: str, exited_at: datetime) -> tuple[float | None, float | None]:
    """Arrival at the gate → exit, and yard check-in → call, in minutes (None where it did not happen)."""
    e, y = t.crossing_events.c, t.yard.c
    arrived = uow.conn.execute(select(func.min(e.at)).where(e.crossing_id == crossing_id,
                                                            e.action == "arrive")).scalar()
    yard = uow.conn.execute(select(y.checked_in_at, y.called_at).where(y.crossing_id == crossing_id)).first()
    crossing = (exited_at - arrived).total_seconds() / 60 if arrived else None
    waited = (yard.called_at - yard.checked_in_at).total_seconds() / 60 if yard and yard.called_at else None
    return crossing, waited


# ------------------------------------------------------------------ queries


def parse(principal: Principal, period: str, start: str | None, end: str | None, by: str | None) -> st.TradeQuery:
    if not principal.may("statistics.read"):
        raise Forbidden(f"role {principal.role} may not read trade statistics")
    query, problems = st.parse_query(period, start, end, by)
    if problems:
        raise ValidationFailed(problems)
    if principal.role == "declarant":  # a declarant's own crossings, whatever it asks
        query = dataclasses.replace(query, declarant_tax_id=principal.declarant_tax_id or "-")
    return query


def where(q: st.TradeQuery) -> list:
    conditions = []
    if q.start is not None:
        conditions.append(L.day >= q.start.isoformat())
    if q.end is not None:
        conditions.append(L.day <= q.end.isoformat())
    if q.declarant_tax_id is not None:
        conditions.append(L.declarant_tax_id == q.declarant_tax_id)
    if q.gates is not None:
        conditions.append(L.gate.in_(q.gates))
    return conditions


def _measures(by: tuple[str, ...]) -> list:
    """Trucks and containers counted once per crossing in each group (the `firsts` bit), the rest summed."""
    first = L.firsts.op(">>")(literal(st.subset_bit(by))).op("&")(literal(1))
    return [func.sum(first).label("trucks"), func.sum(first * L.containers).label("containers"),
            func.count().label("lines"), func.sum(L.gross_kg).label("gross_kg"), func.sum(L.net_kg).label("net_kg"),
            func.sum(L.value_usd).label("value_usd"),
            func.sum(case((L.value_usd.is_(None), 1), else_=0)).label("unpriced_lines")]


def _rows(uow: UnitOfWork, q: st.TradeQuery, keys: tuple[str, ...], with_period: bool = True,
          summed: tuple[str, ...] = ()) -> list[dict]:
    """One grouping; the `summed` months (trade_months) from their sums, every other day from its lines."""
    columns = ([L[q.period].label("period")] if with_period else []) + [L[k] for k in keys]
    query = select(*columns, *_measures(keys)).where(and_(True, *where(q), *trade_months.outside(summed)))
    if summed:
        sums = ([S[q.period].label("period")] if with_period else []) + [S[k] for k in keys]
        from_sums = select(*sums, *trade_months.measures(st.subset_bit(keys))).where(
            S.month.in_(summed), *([S.gate.in_(q.gates)] if q.gates is not None else []))
        if sums:
            query, from_sums = query.group_by(*columns), from_sums.group_by(*sums)
        both = union_all(query, from_sums).subquery()
        names = [c.name for c in both.c if c.name in ("period", *keys)]
        query = select(*(both.c[n] for n in names), *(func.sum(both.c[m]).label(m) for m in st.MEASURES))
        if names:
            query = query.group_by(*(both.c[n] for n in names)).order_by(*(both.c[n] for n in names))
    elif columns:
        query = query.group_by(*columns).order_by(*columns)
    return [_clean(dict(row._mapping)) for row in uow.conn.execute(query)]


def summed_months(ctx: NodeContext, uow: UnitOfWork, q: st.TradeQuery) -> tuple[str, ...]:
    """The months this query may read from their sums: whole, past, built, and not a declarant's own."""
    if not _reads_sums(q):
        return ()
    whole = trade_months.whole_months(q.start, q.end, trade_months.first_month(uow),
                                      trade_months.running_month(ctx, ctx.clock.now()))
    return tuple(sorted(trade_months.built(uow, whole)))


def _clean(row: dict) -> dict:
    for name in ("trucks", "containers", "lines", "unpriced_lines"):
        row[name] = int(row[name] or 0)
    for name in ("gross_kg", "net_kg"):
        row[name] = round(float(row[name] or 0), 3)
    row["value_usd"] = round(float(row["value_usd"]), 2) if row["value_usd"] is not None else 0.0
    return row


def trade(ctx: NodeContext, uow: UnitOfWork, q: st.TradeQuery, *, per_dimension: bool = False) -> dict[str, Any]:
    """Rows for the grouping (period first), per-period and grand totals, what was left unpriced, and the
    rates used. With `per_dimension`, one more grouping per dimension (the XLSX's sheets)."""
    summed = summed_months(ctx, uow, q)
    totals = _rows(uow, q, (), with_period=False, summed=summed)
    answer = {
        "period": q.period, "from": q.start.isoformat() if q.start else None,
        "to": q.end.isoformat() if q.end else None, "by": list(q.by),
        "declarant_tax_id": q.declarant_tax_id,
        "rows": _labelled(ctx, _rows(uow, q, q.by, summed=summed)),
        "period_totals": _rows(uow, q, (), summed=summed),
        "totals": totals[0] if totals else _clean({m: 0 for m in st.MEASURES} | {"value_usd": None}),
        "unpriced": _unpriced(uow, q), "rates": rates.used(uow, where(q)),
        "measures": list(st.MEASURES),
        "notes": {"value_usd": "declared values converted at the imported rate of the exit day; values with no "
                               "rate for their day are not in value_usd but listed under unpriced",
                  "trucks": "a truck counts once in each row it carries goods for, and once in the totals"},
    }
    if per_dimension:
        answer["by_dimension"] = {name: _labelled(ctx, _rows(uow, q, (name,), summed=summed)) for name in q.by}
    return answer


def _labelled(ctx: NodeContext, rows: list[dict]) -> list[dict]:
    for row in rows:
        if "commodity_group" in row:
            row["commodity_group_name"] = ctx.commodity_groups.name(row["commodity_group"])
    return rows


def _unpriced(uow: UnitOfWork, q: st.TradeQuery) -> list[dict]:
    """Values with no rate for their day, per currency: counted apart, never guessed."""
    query = (select(L.currency, func.count().label("lines"), func.sum(L.value).label("value"),
                    func.min(L.day).label("first_day"), func.max(L.day).label("last_day"))
             .where(L.value_usd.is_(None), *where(q)).group_by(L.currency).order_by(L.currency))
    return [{"currency": r.currency, "lines": int(r.lines), "value": round(float(r.value), 2),
             "first_day": r.first_day, "last_day": r.last_day} for r in uow.conn.execute(query)]
