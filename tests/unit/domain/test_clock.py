"""Clocks: the system clock, a fixed one, and the accelerated clock the demo and live runs use."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderflow.domain.clock import AcceleratedClock, FixedClock, SystemClock, real_seconds, speed_of

HANOI = timezone(timedelta(hours=7))
START = datetime(2026, 6, 15, 6, 0, tzinfo=HANOI)


class FakeReal:
    """Real seconds that move only when told to (time.monotonic's place)."""

    def __init__(self, at: float = 1000.0):
        self.at = at

    def __call__(self) -> float:
        return self.at


def test_node_time_is_the_start_plus_real_time_elapsed_times_the_speed():
    real = FakeReal()
    clock = AcceleratedClock(START, 60, real)
    assert clock.now() == START
    real.at += 15
    assert clock.now() == START + timedelta(minutes=15)
    real.at += 0.25
    assert clock.now() == START + timedelta(minutes=15, seconds=15)


def test_node_time_keeps_the_start_zone():
    clock = AcceleratedClock(START, 60, FakeReal())
    assert clock.now().utcoffset() == timedelta(hours=7)


def test_at_speed_one_it_is_real_time_shifted():
    real = FakeReal()
    clock = AcceleratedClock(START, 1, real)
    real.at += 90
    assert clock.now() - START == timedelta(seconds=90)


def test_waits_in_node_time_become_real_waits_divided_by_the_speed():
    clock = AcceleratedClock(START, 60, FakeReal())
    assert clock.real_seconds(15) == pytest.approx(0.25)  # a 15 s call-forward cadence at 60×
    assert real_seconds(clock, 60) == pytest.approx(1.0)
    assert speed_of(clock) == 60


def test_other_clocks_run_at_real_speed():
    for clock in (SystemClock(), FixedClock(START)):
        assert speed_of(clock) == 1
        assert real_seconds(clock, 15) == 15


def test_an_object_without_a_speed_counts_as_real_time():
    class Bare:
        def now(self) -> datetime:
            return START

    assert speed_of(Bare()) == 1


def test_anchored_clocks_made_apart_share_one_timeline():
    """Two nodes (or a node and the demo's drivers) started at different moments with the same
    start, speed and anchor show the same time."""
    wall, real = FakeReal(1_750_000_000.0), FakeReal(50.0)
    anchor = datetime.fromtimestamp(wall.at, UTC)
    first = AcceleratedClock.anchored(START, 60, anchor, wall=wall, real=real)
    wall.at += 2.5  # the second process starts 2.5 real seconds later
    real.at += 2.5
    second = AcceleratedClock.anchored(START, 60, anchor, wall=wall, real=real)
    assert first.now() == second.now() == START + timedelta(seconds=150)
    assert second.anchor == anchor


def test_a_clock_anchored_in_the_future_shows_a_time_before_the_start():
    wall = FakeReal(1_750_000_000.0)
    anchor = datetime.fromtimestamp(wall.at + 2, UTC)
    clock = AcceleratedClock.anchored(START, 60, anchor, wall=wall, real=FakeReal())
    assert clock.now() == START - timedelta(minutes=2)


@pytest.mark.parametrize("speed", [0, 0.5, -1, math.inf, math.nan])
def test_a_speed_below_one_or_not_finite_is_refused(speed):
    with pytest.raises(ValueError, match="speed must be a finite number of 1 or more"):
        AcceleratedClock(START, speed, FakeReal())


def test_naive_start_and_anchor_are_refused():
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        AcceleratedClock(datetime(2026, 6, 15, 6), 60, FakeReal())
    with pytest.raises(ValueError, match="anchor must be timezone-aware"):
        AcceleratedClock.anchored(START, 60, datetime(2026, 6, 15, 6))


def test_the_default_real_source_moves_forward():
    clock = AcceleratedClock(START, 1000)
    first = clock.now()
    second = clock.now()
    assert START <= first <= second < START + timedelta(minutes=5)


@given(speed=st.floats(min_value=1, max_value=10_000),
       steps=st.lists(st.floats(min_value=0, max_value=3600), max_size=20))
def test_node_time_never_goes_back_and_advances_speed_times_real_time(speed, steps):
    real = FakeReal(0.0)
    clock = AcceleratedClock(START, speed, real)
    before = clock.now()
    for step in steps:
        real.at += step
        now = clock.now()
        assert now >= before
        before = now
    elapsed = (clock.now() - START).total_seconds()
    assert elapsed == pytest.approx(real.at * speed, rel=1e-9, abs=1e-3)


@given(speed=st.floats(min_value=1, max_value=10_000), node_seconds=st.floats(min_value=0, max_value=86_400))
def test_waiting_real_seconds_for_node_seconds_lets_that_much_node_time_pass(speed, node_seconds):
    real = FakeReal(0.0)
    clock = AcceleratedClock(START, speed, real)
    real.at += clock.real_seconds(node_seconds)
    assert (clock.now() - START).total_seconds() == pytest.approx(node_seconds, rel=1e-9, abs=1e-3)
