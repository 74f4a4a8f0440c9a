"""Times on the driver's page and the wait board: the gate's local time on a 24-hour clock in
every language, the date only when it is not today at the gate."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderflow.web.routes.public import LocalTimes

GATE_ZONE = "Asia/Ho_Chi_Minh"
NOW = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)  # 23:00 at the gate


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
def test_the_clock_is_24_hour_in_every_language(lang):
    times = LocalTimes(lang, NOW, GATE_ZONE)
    assert times.clock(datetime(2026, 12, 1, 15, 40, tzinfo=UTC)) == "22:40"
    assert times.clock("2026-12-02T06:05:00+00:00") == "13:05"
    assert times.clock(None) == "—"


@pytest.mark.parametrize(("lang", "day"), [("vi", "2 thg 12"), ("zh", "12月2日"), ("en", "2 Dec")])  # en-GB order
def test_the_date_is_given_only_when_it_is_not_today_at_the_gate(lang, day):
    times = LocalTimes(lang, NOW, GATE_ZONE)
    assert times.day(datetime(2026, 12, 1, 16, 30, tzinfo=UTC)) == ""  # 23:30 tonight: today
    assert times.day(datetime(2026, 12, 1, 17, 0, tzinfo=UTC)) == day  # 00:00 at the gate: tomorrow
    assert times.day(None) == ""


def test_the_gate_zone_can_be_named_per_call():
    times = LocalTimes("en", NOW, "UTC")
    at = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    assert (times.clock(at), times.day(at)) == ("17:30", "")
    assert (times.clock(at, GATE_ZONE), times.day(at, GATE_ZONE)) == ("00:30", "2 Dec")


def test_days_ahead_are_counted_in_the_gates_calendar_not_in_hours():
    times = LocalTimes("en", NOW, GATE_ZONE)  # 23:00 at the gate
    assert times.days_ahead(datetime(2026, 12, 1, 16, 59, tzinfo=UTC)) == 0  # 23:59 tonight
    assert times.days_ahead(datetime(2026, 12, 1, 17, 0, tzinfo=UTC)) == 1  # an hour away, but tomorrow
    assert times.days_ahead(datetime(2026, 12, 3, 3, 0, tzinfo=UTC)) == 2  # 10:00 the day after tomorrow
    assert times.days_ahead(datetime(2026, 11, 30, 16, 0, tzinfo=UTC)) == -1  # called yesterday: a date
    assert times.days_ahead(None) is None
    assert LocalTimes("en", NOW, "UTC").days_ahead(datetime(2026, 12, 1, 17, 0, tzinfo=UTC)) == 0  # same moment, in UTC
