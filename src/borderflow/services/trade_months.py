"""Whole past months of the trade statistics, summed once.

A year of monthly statistics at the region's peak is two million goods lines; summing them
on every request takes seconds. A month that is over (in every gate's calendar) no longer
changes except when rates for its days are imported, so its lines are summed once into
`trade_month_sums`, grouped by every dimension, the currency and the `firsts` mask, which
keeps trucks and containers countable with SUM as on the lines themselves.

`statistics.summed_months` says which months a query may read from the sums; everything else (the running
month, the partial months at the edges of a range, a declarant's own figures, days and
weeks) is read from the lines. `build` is a speed-up, never a condition of a right answer:
a month not built yet is read from its lines. `forget` drops a month whose lines changed
(a rate import, an exit recorded into it late); the next `build` sums it again.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from borderflow.store import tables as t

if TYPE_CHECKING:
    from borderflow.services.context import NodeContext
    from borderflow.store.unit_of_work import UnitOfWork

L, S, M = t.trade_lines.c, t.trade_month_sums.c, t.trade_months.c
KEYS = t.TRADE_MONTH_KEYS


def running_month(ctx: NodeContext, now: datetime) -> str:
    """The earliest month still running at any of the node's gates (later ones cannot be summed)."""
    zones = {g.timezone for g in ctx.node.gates.values()} or {"UTC"}
    return min(f"{now.astimezone(ZoneInfo(zone)):%Y-%m}" for zone in zones)


def whole_months(start: date | None, end: date | None, first: str | None, before: str) -> list[str]:
    """The months entirely within [start, end] (open ends: no limit) that ended before `before`,
    from `first`, the earliest month with lines."""
    if first is None:
        return []
    low = first if start is None else max(first, _month(start) if start.day == 1 else _next(_month(start)))
    high = before if end is None else min(before, _next(_month(end)) if _is_last_day(end) else _month(end))
    months, month = [], low
    while month < high:
        months.append(month)
        month = _next(month)
    return months


def first_month(uow: UnitOfWork) -> str | None:
    day = uow.conn.execute(select(func.min(L.day))).scalar()
    return day[:7] if day else None


def built(uow: UnitOfWork, months: Iterable[str]) -> set[str]:
    wanted = list(months)
    if not wanted:
        return set()
    return set(uow.conn.execute(select(M.month).where(M.month.in_(wanted))).scalars())


def build(ctx: NodeContext, start: date | None = None, end: date | None = None) -> list[str]:
    """Sum every whole past month of [start, end] not summed yet, one short transaction each."""
    with ctx.uow(write=False) as uow:
        candidates = whole_months(start, end, first_month(uow), running_month(ctx, ctx.clock.now()))
        have = built(uow, candidates)
        missing = [m for m in candidates if m not in have]
    done = []
    for month in missing:
        with ctx.uow() as uow:
            if _claim(uow, month, ctx.clock.now()):
                _sum(uow, month)
                done.append(month)
            uow.commit()
    return done


def _claim(uow: UnitOfWork, month: str, now: datetime) -> bool:
    """The month's marker first: a second builder at the same moment finds it and sums nothing."""
    dialect = uow.conn.dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(t.trade_months).values(
        month=month, lines=0, built_at=now).on_conflict_do_nothing(index_elements=["month"]).returning(M.month)
    return uow.conn.execute(stmt).first() is not None


def _sum(uow: UnitOfWork, month: str) -> None:
    uow.conn.execute(delete(t.trade_month_sums).where(S.month == month))
    keys = [L[k] for k in KEYS]
    summed = (select(*keys, func.count(), func.sum(L.containers), func.sum(L.gross_kg), func.sum(L.net_kg),
                     func.sum(L.value_usd), func.sum(case((L.value_usd.is_(None), 1), else_=0)))
              .where(L.day >= f"{month}-01", L.day < f"{_next(month)}-01").group_by(*keys))
    columns = [*KEYS, "lines", "containers", "gross_kg", "net_kg", "value_usd", "unpriced_lines"]
    uow.conn.execute(insert(t.trade_month_sums).from_select(columns, summed))
    lines = uow.conn.execute(select(func.coalesce(func.sum(S.lines), 0)).where(S.month == month)).scalar_one()
    uow.conn.execute(t.trade_months.update().where(M.month == month).values(lines=lines))


def outside(summed: Iterable[str]) -> list:
    """Conditions keeping the lines of days outside the summed months (day ranges: indexed)."""
    months = sorted(set(summed))
    if not months:
        return []
    gaps, low = [], None
    for month in months:
        if low is None or month != low:
            gaps.append((f"{low}-01" if low else None, f"{month}-01"))
        low = _next(month)
    gaps.append((f"{low}-01", None))
    return [or_(*(and_(*([L.day >= a] if a else []), *([L.day < b] if b else [])) for a, b in gaps))]


def forget(uow: UnitOfWork, months: Iterable[str]) -> None:
    """These months' lines changed: read them from the lines until they are summed again."""
    gone = sorted(set(months))
    if gone:
        uow.conn.execute(delete(t.trade_months).where(M.month.in_(gone)))
        uow.conn.execute(delete(t.trade_month_sums).where(S.month.in_(gone)))


def measures(by_bit: int) -> list:
    """statistics._measures over the sums: a row's lines all share its `firsts`, so its bit counts
    each of them once (trucks) and weighs its summed containers."""
    first = S.firsts.op(">>")(literal(by_bit)).op("&")(literal(1))
    return [func.sum(first * S.lines).label("trucks"), func.sum(first * S.containers).label("containers"),
            func.sum(S.lines).label("lines"), func.sum(S.gross_kg).label("gross_kg"),
            func.sum(S.net_kg).label("net_kg"), func.sum(S.value_usd).label("value_usd"),
            func.sum(S.unpriced_lines).label("unpriced_lines")]


def _month(day: date) -> str:
    return f"{day:%Y-%m}"


def _next(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year + number // 12:04d}-{number % 12 + 1:02d}"


def _is_last_day(day: date) -> bool:
    return _month(day) != f"{date.fromordinal(day.toordinal() + 1):%Y-%m}"
