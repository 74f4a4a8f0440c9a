"""The median yard wait by gate, direction, local weekday and hour: one grouped query on either database.

The week is the gate's own (its local weekday and hour, daylight saving included), so the
hour is worked out per row in the gate's time zone. PostgreSQL does that and the median
(`percentile_cont`) itself; SQLite has neither time zones nor a median, so the node gives
its connection two small functions that do the same.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, case, extract, func, literal, literal_column, select

from borderflow.store import tables as t

WeekHours = dict[tuple[str, str], dict[tuple[int, int], tuple[float, int]]]
"""(gate, direction) -> {(ISO weekday 1-7, hour 0-23): (median wait in minutes, trucks)}."""


def medians(conn: Connection, zones: Mapping[str, str], since: datetime, until: datetime) -> WeekHours:
    """Per gate (`zones`: gate code -> IANA time zone), direction, local weekday and hour: the median
    yard wait (check-in to call) of the trucks called in [since, until)."""
    y = t.yard.c
    zone = case(dict(zones), value=y.gate, else_=literal("UTC"))
    if conn.dialect.name == "postgresql":
        local = func.timezone(zone, y.called_at)
        week_hour = (extract("isodow", local) - 1) * 24 + extract("hour", local)
        wait_s = extract("epoch", y.called_at - y.checked_in_at)
        median = func.percentile_cont(0.5).within_group(wait_s)
    else:
        _sqlite_functions(conn)
        week_hour = func.bf_week_hour(y.called_at, zone)
        wait_s = (func.julianday(y.called_at) - func.julianday(y.checked_in_at)) * 86400.0
        median = func.bf_median(wait_s)
    query = (select(y.gate, y.direction, week_hour.label("week_hour"), median.label("median_s"),
                    func.count().label("trucks"))
             .where(y.gate.in_(list(zones)), y.called_at >= since, y.called_at < until)
             # by the output's name: the zone CASE is bound anew in each clause, which PostgreSQL
             # would not recognise as the same expression
             .group_by(y.gate, y.direction, literal_column("week_hour")))
    answer: WeekHours = {}
    for row in conn.execute(query):
        hour = int(row.week_hour)
        answer.setdefault((row.gate, row.direction), {})[(hour // 24 + 1, hour % 24)] = (
            round(max(float(row.median_s), 0.0) / 60, 1), int(row.trucks))
    return answer


class _Median:
    """SQLite aggregate: the median of the non-null values (None when there are none)."""

    def __init__(self) -> None:
        self.values: list[float] = []

    def step(self, value: float | None) -> None:
        if value is not None:
            self.values.append(value)

    def finalize(self) -> float | None:
        return statistics.median(self.values) if self.values else None


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _week_hour(stored: str | None, zone: str) -> int | None:
    """Hours since the local Monday 00:00 of a UTC time as SQLite stores it ("2026-12-02 01:17:40.838000")."""
    if stored is None:
        return None
    local = datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(_zone(zone))
    return local.weekday() * 24 + local.hour


def _sqlite_functions(conn: Connection) -> None:
    raw = conn.connection.dbapi_connection
    raw.create_function("bf_week_hour", 2, _week_hour, deterministic=True)
    raw.create_aggregate("bf_median", 1, _Median)
