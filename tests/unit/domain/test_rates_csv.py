"""The rates CSV an operator imports: every problem named by line and column; nothing guessed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as s

from borderflow.reference import codes
from borderflow.services.rates import parse_csv

CURRENCIES = codes.currencies()


def test_a_range_is_expanded_to_each_day_it_holds():
    rows, problems = parse_csv("date,currency,units_per_usd,valid_to,source\n"
                               "2026-06-26,VND,\"25,400\",2026-06-28,SBV central rate\n"
                               "2026-06-26,cny,7.1,,PBoC\n", CURRENCIES, default_source="file.csv")
    assert problems == []
    assert [(r["currency"], r["day"], r["units_per_usd"], r["source"]) for r in rows] == [
        ("VND", "2026-06-26", 25400.0, "SBV central rate"), ("VND", "2026-06-27", 25400.0, "SBV central rate"),
        ("VND", "2026-06-28", 25400.0, "SBV central rate"), ("CNY", "2026-06-26", 7.1, "PBoC")]


def test_every_problem_is_listed():
    _, problems = parse_csv("date,currency,units_per_usd\n2026-02-30,VND,25000\n2026-06-01,ABC,0\n"
                            "2026-06-02,VND,25000\n2026-06-02,VND,25100\n", CURRENCIES, default_source="f")
    assert [(p.loc, p.code) for p in problems] == [
        ("line 2.date", "rates.date"), ("line 3.currency", "rates.currency"), ("line 3.units_per_usd", "rates.value"),
        ("line 5.date", "rates.duplicate")]


def test_a_header_without_the_rate_is_refused():
    rows, problems = parse_csv("day,currency,rate\n", CURRENCIES, default_source="f")
    assert rows == [] and {p.code for p in problems} == {"rates.column_missing", "rates.column_unknown"}


@given(s.text(max_size=300))
def test_any_text_parses_to_rows_or_problems_never_an_exception(text):
    rows, problems = parse_csv("date,currency,units_per_usd\n" + text, CURRENCIES, default_source="f")
    assert all(r["units_per_usd"] > 0 and r["currency"] != "USD" for r in rows)
    assert all(p.code.startswith("rates.") for p in problems)


def test_a_stray_carriage_return_is_a_problem_not_a_crash():
    rows, problems = parse_csv('date,currency,units_per_usd\n"2026-06-01\r,VND,1\n', CURRENCIES, default_source="f")
    assert rows == [] and problems
