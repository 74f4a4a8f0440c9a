"""Dates, weights and money on the screens as each language writes them: a 24-hour clock for
officers in every language, English in en-GB order (day before month), the gate's time zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from borderflow.web.i18n import Formats

GATE = ZoneInfo("Asia/Ho_Chi_Minh")
AFTERNOON = datetime(2026, 12, 3, 7, 5, tzinfo=UTC)  # 14:05 on 3 December at the gate


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
@pytest.mark.parametrize("style", ["short", "medium", "long", "full"])
def test_times_are_on_a_24_hour_clock_in_every_language_and_style(lang, style):
    shown = Formats(lang, GATE).when(AFTERNOON, style)
    assert "14:05" in shown, shown
    assert not any(mark in shown for mark in ("PM", "pm", "CH", "下午", "2:05")), shown
    assert Formats(lang, GATE).clock(AFTERNOON) == "14:05"
    assert Formats(lang, GATE).clock("2026-12-02T23:59:00+00:00") == "06:59"  # the next morning at the gate


@pytest.mark.parametrize(("lang", "short", "medium"), [
    ("en", "03/12/2026, 14:05", "3 Dec 2026, 14:05"),  # en-GB: the day first
    ("vi", "14:05 3/12/26", "14:05 3 thg 12, 2026"),
    ("zh", "2026/12/3 14:05", "2026年12月3日 14:05"),
])
def test_dates_follow_each_languages_order(lang, short, medium):
    formats = Formats(lang, GATE)
    assert formats.when(AFTERNOON) == short
    assert formats.when(AFTERNOON, "medium") == medium
    assert formats.when(None) == "—" and formats.when("not a time") == "—"


def test_english_puts_the_day_before_the_month():
    formats = Formats("en", GATE)
    assert formats.day(AFTERNOON) == "Thursday, 3 December 2026"
    assert formats.when(datetime(2026, 1, 12, 3, 0, tzinfo=UTC)).startswith("12/01/2026")  # 12 January


@pytest.mark.parametrize(("lang", "kg", "tonnes_and_a_half"), [
    ("en", "24,000 kg", "19,800.5 kg"), ("vi", "24.000 kg", "19.800,5 kg"), ("zh", "24,000 kg", "19,800.5 kg"),
])
def test_weights_use_the_languages_separators(lang, kg, tonnes_and_a_half):
    formats = Formats(lang, GATE)
    assert formats.weight(24000) == kg
    assert formats.weight("19800.500") == tonnes_and_a_half  # as a declaration stores it
    assert formats.weight(None) == "—"


@pytest.mark.parametrize(("lang", "usd", "vnd", "cny"), [
    ("en", "US$72,000.00", "₫1,500,000", "CN¥72,000.00"),
    ("vi", "72.000,00\u00a0US$", "1.500.000\u00a0₫", "72.000,00\u00a0CN¥"),  # a no-break space
    ("zh", "US$72,000.00", "₫1,500,000", "¥72,000.00"),
])
def test_money_is_written_with_its_currency_as_the_language_does(lang, usd, vnd, cny):
    formats = Formats(lang, GATE)
    assert formats.money(72000, "USD") == usd
    assert formats.money("1500000", "VND") == vnd  # the dong has no minor unit
    assert formats.money(72000, "CNY") == cny
    assert formats.money(None, "USD") == "—"
