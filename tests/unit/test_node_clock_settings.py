"""BORDERFLOW_CLOCK_START / _SPEED / _ANCHOR: checked at start-up, naming the setting, and the clock they make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from borderflow.bootstrap import node_clock
from borderflow.domain.clock import AcceleratedClock, SystemClock
from borderflow.settings import SettingsError, load_settings

HANOI = timezone(timedelta(hours=7))


@pytest.fixture(autouse=True)
def _no_clock_in_the_environment(monkeypatch):
    for name in ("BORDERFLOW_CLOCK_START", "BORDERFLOW_CLOCK_SPEED", "BORDERFLOW_CLOCK_ANCHOR"):
        monkeypatch.delenv(name, raising=False)


def test_by_default_a_node_runs_on_the_system_clock(tmp_path):
    assert isinstance(node_clock(load_settings(data_dir=tmp_path)), SystemClock)


def test_start_and_speed_from_the_environment_make_an_accelerated_clock(tmp_path, monkeypatch):
    monkeypatch.setenv("BORDERFLOW_CLOCK_START", "2026-06-15T06:00+07:00")
    monkeypatch.setenv("BORDERFLOW_CLOCK_SPEED", "60")
    clock = node_clock(load_settings(data_dir=tmp_path))
    assert isinstance(clock, AcceleratedClock) and clock.speed == 60
    start = datetime(2026, 6, 15, 6, tzinfo=HANOI)
    assert start <= clock.now() < start + timedelta(minutes=5)


def test_an_anchor_in_the_past_puts_the_node_further_along_its_timeline(tmp_path):
    anchor = datetime.now(UTC) - timedelta(seconds=10)
    start = datetime(2026, 6, 15, 6, tzinfo=HANOI)
    clock = node_clock(load_settings(data_dir=tmp_path, clock_start=start, clock_speed=60, clock_anchor=anchor))
    assert start + timedelta(minutes=10) <= clock.now() < start + timedelta(minutes=12)


def test_a_speed_alone_accelerates_from_now(tmp_path):
    clock = node_clock(load_settings(data_dir=tmp_path, clock_speed=30))
    assert isinstance(clock, AcceleratedClock)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(minutes=1)


@pytest.mark.parametrize(("variable", "value", "message"), [
    ("BORDERFLOW_CLOCK_START", "2026-06-15T06:00", "BORDERFLOW_CLOCK_START: .*UTC offset"),
    ("BORDERFLOW_CLOCK_START", "tomorrow", "BORDERFLOW_CLOCK_START"),
    ("BORDERFLOW_CLOCK_SPEED", "0.5", "BORDERFLOW_CLOCK_SPEED: .*greater than or equal to 1"),
    ("BORDERFLOW_CLOCK_SPEED", "inf", "BORDERFLOW_CLOCK_SPEED"),
    ("BORDERFLOW_CLOCK_ANCHOR", "2026-06-15T06:00+07:00", "BORDERFLOW_CLOCK_ANCHOR: .*BORDERFLOW_CLOCK_START"),
])
def test_a_bad_clock_setting_stops_the_node_naming_it(tmp_path, monkeypatch, variable, value, message):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=message):
        load_settings(data_dir=tmp_path)
