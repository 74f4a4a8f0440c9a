"""Exchange rates the operator imports (e.g. the central bank's daily reference rates).

The CSV has a header: `date,currency,units_per_usd` and optionally `valid_to` (the rate
also holds through that day: the operator says so, nothing is guessed) and `source`. A
rate replaces the one already held for its currency and day; every goods line of that
currency and day is valued again, and lines still waiting for a rate are looked at once
more, so values a rate arrived for late are counted.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Container, Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import delete, exists, insert, select, update

from borderflow.domain.errors import Problem
from borderflow.services import trade_months
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

COLUMNS = ("date", "currency", "units_per_usd")
OPTIONAL = ("valid_to", "source")
MAX_DAYS = 366  # one line may cover at most a year
R, L = t.exchange_rates.c, t.trade_lines.c


def parse_csv(text: str, currencies: Container[str], *, default_source: str) -> tuple[list[dict], list[Problem]]:
    """Rows (one per currency and day) and every problem, each naming its line and column."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in reader.fieldnames or []]
        lines = list(reader)
    except csv.Error as exc:
        return [], [Problem(f"line {reader.line_num}", f"not readable as CSV ({exc}); expected comma-separated "
                                                       "values, one rate a line", "rates.csv")]
    missing = [c for c in COLUMNS if c not in header]
    unknown = [c for c in header if c not in COLUMNS + OPTIONAL]
    problems = [Problem("header", f"missing column {c!r}; expected {','.join(COLUMNS)}[,valid_to][,source]",
                        "rates.column_missing") for c in missing]
    problems += [Problem("header", f"unknown column {c!r}; expected {', '.join(COLUMNS + OPTIONAL)}",
                         "rates.column_unknown") for c in unknown]
    if problems:
        return [], problems
    rows: dict[tuple[str, str], dict] = {}
    for n, raw in enumerate(lines, start=2):
        line = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        at = f"line {n}"
        before = len(problems)
        first = _day(line.get("date", ""), f"{at}.date", problems)
        last = _day(line["valid_to"], f"{at}.valid_to", problems) if line.get("valid_to") else first
        currency = line.get("currency", "").upper()
        if currency not in currencies or currency == "USD":
            problems.append(Problem(f"{at}.currency", f"{currency!r}: expected an ISO 4217 currency other than "
                                                      "USD (e.g. VND, CNY)", "rates.currency"))
        rate = _rate(line.get("units_per_usd", ""), f"{at}.units_per_usd", problems)
        if first and last and (last < first or (last - first).days >= MAX_DAYS):
            problems.append(Problem(f"{at}.valid_to", f"{last} must be on or after {first} and within "
                                                      f"{MAX_DAYS} days of it", "rates.range"))
        if len(problems) > before:
            continue
        source = (line.get("source") or default_source)[:200]
        day = first
        while day <= last:
            key = (currency, day.isoformat())
            if key in rows:
                problems.append(Problem(f"{at}.date", f"{currency} on {day} is already given on line "
                                                      f"{rows[key]['line']}", "rates.duplicate"))
                break
            rows[key] = {"currency": currency, "day": key[1], "units_per_usd": rate, "source": source, "line": n}
            day += timedelta(days=1)
    return list(rows.values()), problems


def _day(text: str, loc: str, problems: list[Problem]) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(Problem(loc, f"{text!r} is not a day; expected YYYY-MM-DD", "rates.date"))
        return None


def _rate(text: str, loc: str, problems: list[Problem]) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        problems.append(Problem(loc, f"{text!r}: expected the currency's units for one US dollar, a positive "
                                     "number (e.g. 25450 for VND)", "rates.value"))
        return None
    return value


def store(uow: UnitOfWork, rows: list[dict], at: datetime) -> int:
    """Hold the rates (replacing older ones for the same days) and value the goods lines again."""
    for row in rows:
        uow.conn.execute(delete(t.exchange_rates).where(R.currency == row["currency"], R.day == row["day"]))
    if rows:
        uow.conn.execute(insert(t.exchange_rates), [{k: r[k] for k in ("currency", "day", "units_per_usd", "source")}
                                                    | {"imported_at": at} for r in rows])
    for row in rows:
        uow.conn.execute(update(t.trade_lines).where(L.currency == row["currency"], L.day == row["day"])
                         .values(value_usd=L.value / row["units_per_usd"]))
    trade_months.forget(uow, {row["day"][:7] for row in rows})
    reprice_waiting(uow)
    return len(rows)


def reprice_waiting(uow: UnitOfWork) -> int:
    """Lines without a value in USD whose rate has arrived since (e.g. an exit that raced an import)."""
    rate = select(R.units_per_usd).where(R.currency == L.currency, R.day == L.day).scalar_subquery()
    has_rate = exists().where(R.currency == L.currency, R.day == L.day)
    waiting = (L.value_usd.is_(None), L.currency != "USD", has_rate)
    trade_months.forget(uow, uow.conn.execute(select(L.month).where(*waiting).distinct()).scalars())
    return uow.conn.execute(update(t.trade_lines).where(*waiting).values(value_usd=L.value / rate)).rowcount


def rates_for(uow: UnitOfWork, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], float]:
    wanted = {k for k in keys if k[0] != "USD"}
    if not wanted:
        return {}
    rows = uow.conn.execute(select(R.currency, R.day, R.units_per_usd).where(
        R.currency.in_({c for c, _ in wanted}), R.day.in_({d for _, d in wanted})))
    return {(r.currency, r.day): r.units_per_usd for r in rows if (r.currency, r.day) in wanted}


def used(uow: UnitOfWork, line_filter: list) -> list[dict]:
    """The rates a report used: those of the days and currencies its valued lines fall on."""
    valued = exists().where(L.currency == R.currency, L.day == R.day, L.value_usd.is_not(None), *line_filter)
    query = select(t.exchange_rates).where(valued).order_by(R.currency, R.day)
    return [{"currency": r.currency, "date": r.day, "units_per_usd": r.units_per_usd, "source": r.source}
            for r in uow.conn.execute(query)]

