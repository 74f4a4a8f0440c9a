"""One set of yard rules: the call budget, priorities, bookings inside a class, the partner's
acceptance and the expected call time, all pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderflow.domain.capacity import HOUR, expected_call, partner_acceptance
from borderflow.domain.queueing import CallUpState, PriorityPattern, Waiting
from borderflow.domain.yard_rules import YardRules, needs_bay
from borderflow.settings import SettingsError, load_settings

T0 = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)  # 08:00 at Kim Thanh


def test_the_call_budget_is_the_hour_left_and_the_room_on_the_lanes():
    rules = YardRules(called_per_lane=2)
    assert rules.call_budget(places_left=10, lanes=2, in_flight=1) == 3
    assert rules.call_budget(places_left=2, lanes=2, in_flight=0) == 2
    assert rules.call_budget(places_left=-3, lanes=2, in_flight=0) == 0  # an hour already over-called
    assert rules.call_budget(places_left=5, lanes=1, in_flight=4) == 0


def test_priority_classes_and_bays():
    rules = YardRules(trusted_after=3)
    assert rules.priority_of(perishable=True, crossings=0, refused=1, inspections_failed=0) == "perishable"
    assert rules.priority_of(perishable=False, crossings=3, refused=0, inspections_failed=0) == "trusted"
    assert rules.priority_of(perishable=False, crossings=30, refused=0, inspections_failed=1) == "ordinary"
    assert [needs_bay(lane) for lane in ("green", "blue", "yellow", "red")] == [False, False, True, True]


def test_bad_rules_fail_when_the_node_starts():
    with pytest.raises(ValueError, match="unknown priority class 'vip'"):
        YardRules(call_pattern=("perishable", "vip"))
    with pytest.raises(SettingsError, match="BORDERFLOW_CALL_PATTERN"):
        load_settings(call_pattern="perishable,vip")


def truck(name: str, minutes: int, priority: str = "ordinary", booked_at: datetime | None = None) -> Waiting:
    return Waiting(name, T0 + timedelta(minutes=minutes), priority, booked_at, booked_at + HOUR if booked_at else None)


def test_a_booked_truck_on_time_goes_before_the_unbooked_of_its_class():
    now = T0 + timedelta(hours=1, minutes=10)
    queue = [truck("early-unbooked", 0), truck("booked-now", 30, booked_at=T0 + HOUR),
             truck("booked-tomorrow", 5, booked_at=T0 + timedelta(days=1)), truck("fruit", 40, "perishable")]
    order = [t.crossing_id for t in PriorityPattern().order(queue, now, CallUpState())]
    # the pattern starts with perishable; inside "ordinary", the booking in its window leads and
    # the booking far outside its window is worth nothing
    assert order == ["fruit", "booked-now", "early-unbooked", "booked-tomorrow"]


def test_the_partner_accepts_what_a_current_notice_says_and_otherwise_the_fallback():
    hours, closures = [(T0, 12), (T0 + HOUR, 30)], [(T0 + 3 * HOUR, None)]
    assert partner_acceptance(hours, closures, T0, fresh=True, fallback=5) == (12, "announced")
    assert partner_acceptance(hours, closures, T0 + 2 * HOUR, fresh=True, fallback=5) == (5, "fallback")
    assert partner_acceptance(hours, closures, T0 + 4 * HOUR, fresh=True, fallback=5) == (0, "announced")
    assert partner_acceptance(hours, closures, T0 + HOUR, fresh=False, fallback=50) == (30, "fallback")
    assert partner_acceptance((), (), T0, fresh=False, fallback=0) == (0, "fallback")


@given(st.lists(st.tuples(st.integers(0, 24), st.integers(0, 30)), max_size=30), st.integers(0, 30),
       st.booleans(), st.integers(0, 100))
def test_the_fallback_is_never_more_than_was_announced(listed, hour, fresh, fallback):
    hours = [(T0 + h * HOUR, n) for h, n in listed]
    trucks, basis = partner_acceptance(hours, (), T0 + hour * HOUR, fresh=fresh, fallback=fallback)
    announced = [n for h, n in listed if h == hour]
    if announced and basis == "fallback":
        assert trucks <= announced[-1]
    if not announced:
        assert (trucks, basis) == (fallback, "fallback")


def test_expected_call_walks_the_calendar_past_closed_hours():
    calendar = [(T0, 4), (T0 + HOUR, 0), (T0 + 2 * HOUR, 2)]
    now = T0 + timedelta(minutes=30)
    assert expected_call(1, calendar, now) == now
    assert expected_call(2, calendar, now) == now + timedelta(minutes=7, seconds=30)
    assert expected_call(1, calendar, now, used_this_hour=4) == T0 + 2 * HOUR  # this hour full, the next closed
    assert expected_call(2, calendar, now, used_this_hour=4) == T0 + 2 * HOUR + timedelta(minutes=30)
    assert expected_call(3, calendar, now, used_this_hour=4) is None  # beyond the calendar


@given(st.lists(st.integers(0, 20), min_size=1, max_size=48), st.integers(1, 200), st.integers(0, 59))
def test_a_later_place_in_line_is_never_called_earlier(capacities, position, minute):
    calendar = [(T0 + i * HOUR, n) for i, n in enumerate(capacities)]
    now = T0 + timedelta(minutes=minute)
    first, second = expected_call(position, calendar, now), expected_call(position + 1, calendar, now)
    if first is None:
        assert second is None
    elif second is not None:
        assert now <= first <= second < T0 + len(capacities) * HOUR
