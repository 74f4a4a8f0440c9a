"""Trade statistics from what really crossed: the facts one exited crossing adds, and the
vocabulary of periods, groupings and measures the reports are made of.

A crossing counts when the barrier let it out, in the period of the gate's own calendar
(a truck out at 00:30 in Hanoi on 1 July is July's, whatever UTC says). Each goods line
becomes one fact row with every key a report groups by already derived, so the store
aggregates with a plain GROUP BY and never parses a declaration.

Trucks and containers belong to the crossing, goods lines to the line: a truck with two
chapters counts once in each chapter's row and once in the total. So that the store can
count that with SUM rather than COUNT(DISTINCT), each line carries `firsts`: bit `s` is set
when the line is the crossing's first with its values of the line dimensions in subset `s`
(bit 0, the empty subset, marks the crossing's first line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from borderflow.domain.errors import Problem

PERIODS = ("day", "week", "month", "quarter", "year")
CROSSING_DIMENSIONS = ("gate", "gate_pair", "province", "direction", "risk_lane")
LINE_DIMENSIONS = ("hs_chapter", "hs_heading", "hs_subheading", "commodity_group", "origin")  # order = firsts bits
DIMENSIONS = CROSSING_DIMENSIONS + LINE_DIMENSIONS
MEASURES = ("trucks", "containers", "lines", "gross_kg", "net_kg", "value_usd", "unpriced_lines")
OTHER_GROUP = "other"
_PERIOD_KEY = {"day": re.compile(r"\d{4}-\d{2}-\d{2}"), "week": re.compile(r"\d{4}-W\d{2}"),
               "month": re.compile(r"\d{4}-\d{2}"), "quarter": re.compile(r"\d{4}-Q[1-4]"),
               "year": re.compile(r"\d{4}")}


def period_keys(at: datetime, timezone: str) -> dict[str, str]:
    """Every period `at` falls in, on the calendar of `timezone` (ISO weeks: 2026-W01 may begin in 2025)."""
    local = at.astimezone(ZoneInfo(timezone)).date()
    return day_keys(local)


def day_keys(day: date) -> dict[str, str]:
    iso_year, iso_week, _ = day.isocalendar()
    return {"day": day.isoformat(), "week": f"{iso_year}-W{iso_week:02d}", "month": f"{day:%Y-%m}",
            "quarter": f"{day.year}-Q{(day.month - 1) // 3 + 1}", "year": str(day.year)}


def subset_bit(dimensions: Sequence[str]) -> int:
    """Which bit of `firsts` marks the first line of a crossing for these line dimensions."""
    return sum(1 << i for i, name in enumerate(LINE_DIMENSIONS) if name in dimensions)


_SUBSETS = tuple(tuple(name for i, name in enumerate(LINE_DIMENSIONS) if subset >> i & 1)
                 for subset in range(1 << len(LINE_DIMENSIONS)))
ALL_FIRST = (1 << len(_SUBSETS)) - 1


def firsts(lines: Sequence[dict[str, str]]) -> list[int]:
    """For each line, the subsets of line dimensions for which it is the crossing's first line
    with its values (see the module docstring)."""
    if len(lines) == 1:  # most trucks: first for everything
        return [ALL_FIRST]
    masks = [0] * len(lines)
    for subset, names in enumerate(_SUBSETS):
        seen: set[tuple[str, ...]] = set()
        for n, line in enumerate(lines):
            key = tuple(line[name] for name in names)
            if key not in seen:
                seen.add(key)
                masks[n] |= 1 << subset
    return masks


@dataclass(frozen=True, slots=True)
class CommodityGroup:
    code: str
    names: dict[str, str]
    ranges: tuple[tuple[str, str], ...]  # HS prefixes, inclusive: ("0803", "0810"), ("4001", "4001")
    perishable: bool = False


@dataclass(frozen=True, eq=False)  # compared (and cached) by identity
class CommodityGroups:
    """A mapping from HS ranges to commodity groups: the most specific range wins."""

    groups: dict[str, CommodityGroup]

    def group_of(self, hs_code: str) -> str:
        digits = "".join(ch for ch in hs_code if ch.isdigit())
        best, length = OTHER_GROUP, 0
        for group in self.groups.values():
            for low, high in group.ranges:
                n = len(low)
                if n > length and low <= digits[:n] <= high and len(digits) >= n:
                    best, length = group.code, n
        return best

    def perishable(self, code: str) -> bool:
        group = self.groups.get(code)
        return bool(group and group.perishable)

    def name(self, code: str, language: str = "en") -> str:
        group = self.groups.get(code)
        if group is None:
            return code
        return group.names.get(language) or group.names.get("en") or code


@dataclass(frozen=True, slots=True)
class GoodsFigures:
    """What one declared goods line says, as the statistics need it."""

    hs_code: str
    gross_kg: Decimal
    net_kg: Decimal
    value: Decimal
    currency: str
    origin: str


@dataclass(frozen=True, slots=True)
class CrossingKeys:
    """What an exited crossing is counted under, whatever it carried."""

    crossing_id: str
    exited_at: datetime
    gate: str
    gate_pair: str
    province: str
    timezone: str
    direction: str
    risk_lane: str
    declarant_tax_id: str
    containers: int


def fact_rows(keys: CrossingKeys, goods: Sequence[GoodsFigures], groups: CommodityGroups) -> list[dict]:
    """One row per goods line, every key derived. `value_usd` is left to the rates (see services/rates)."""
    periods = period_keys(keys.exited_at, keys.timezone)
    lines = []
    for item in goods:
        digits = "".join(ch for ch in item.hs_code if ch.isdigit())
        lines.append({"hs_code": digits, "hs_chapter": digits[:2], "hs_heading": digits[:4],
                      "hs_subheading": digits[:6], "commodity_group": groups.group_of(digits),
                      "origin": item.origin})
    rows = []
    for n, (line, item, mask) in enumerate(zip(lines, goods, firsts(lines), strict=True)):
        rows.append({"crossing_id": keys.crossing_id, "line_no": n, "exited_at": keys.exited_at, **periods,
                     "gate": keys.gate, "gate_pair": keys.gate_pair, "province": keys.province,
                     "direction": keys.direction, "risk_lane": keys.risk_lane,
                     "declarant_tax_id": keys.declarant_tax_id, **line, "containers": keys.containers,
                     "gross_kg": float(item.gross_kg), "net_kg": float(item.net_kg), "value": float(item.value),
                     "currency": item.currency, "firsts": mask, "value_usd": None,
                     "crossing_minutes": None, "yard_minutes": None})
    return rows


def usd(value: float, currency: str, units_per_usd: float | None) -> float | None:
    """A value in USD, or None when there is no rate: never guessed."""
    if currency == "USD":
        return value
    if units_per_usd is None:
        return None
    return value / units_per_usd


def valid_period_key(period: str, key: str) -> bool:
    return bool(_PERIOD_KEY[period].fullmatch(key))


@dataclass(frozen=True, slots=True)
class TradeQuery:
    period: str
    start: date | None  # gate-local days, inclusive
    end: date | None
    by: tuple[str, ...]
    declarant_tax_id: str | None = None  # a declarant's own crossings only
    gates: tuple[str, ...] | None = None  # only these gates (a gate pair's or a province's report)


MAX_DIMENSIONS = 4


def parse_query(period: str, start: str | None, end: str | None, by: str | None) -> tuple[TradeQuery | None, list[Problem]]:
    """The query, or the problems with it (every one, each naming its parameter)."""
    problems: list[Problem] = []
    if period not in PERIODS:
        problems.append(Problem("query.period", f"unknown period {period!r}; expected one of {', '.join(PERIODS)}",
                                "statistics.period_unknown"))
    days = []
    for name, value in (("from", start), ("to", end)):
        if value is None or value == "":
            days.append(None)
            continue
        try:
            days.append(date.fromisoformat(value))
        except ValueError:
            problems.append(Problem(f"query.{name}", f"{value!r} is not a date; expected YYYY-MM-DD (the gate's "
                                                    "local day)", "statistics.date"))
            days.append(None)
    if days[0] and days[1] and days[0] > days[1]:
        problems.append(Problem("query.to", f"{end} is before from={start}; expected a day on or after it",
                                "statistics.range"))
    names = tuple(dict.fromkeys(part.strip() for part in (by or "").split(",") if part.strip()))
    for name in names:
        if name not in DIMENSIONS:
            problems.append(Problem("query.by", f"unknown grouping {name!r}; expected a comma-separated list of "
                                                f"{', '.join(DIMENSIONS)}", "statistics.by_unknown"))
    if len(names) > MAX_DIMENSIONS:
        problems.append(Problem("query.by", f"{len(names)} groupings; expected at most {MAX_DIMENSIONS}",
                                "statistics.by_too_many"))
    if problems:
        return None, problems
    return TradeQuery(period, days[0], days[1], names), []
