"""The capacity calendar on the reference gates: local goods hours, overrides, the partner's cap."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.domain.capacity import (Override, calendar, expected_call, hourly_capacity, lanes_open, next_open,
                                        partner_cap_for)
from borderflow.domain.gates import Lane
from borderflow.reference.region import load_gates

GATES = load_gates()
HUUNGHI = GATES["HUUNGHI"]  # 07:00–19:00 Hanoi time; 3 outbound, 4 inbound lanes
VN, CN = ZoneInfo("Asia/Ho_Chi_Minh"), ZoneInfo("Asia/Shanghai")
HOUR = timedelta(hours=1)


def vn(hour: int, minute: int = 0, day: int = 24) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=VN)


@pytest.mark.parametrize(("local_hour", "outbound", "inbound"), [
    (6, 0, 0),      # before opening
    (7, 36, 48),    # opening hour is open: 3 and 4 lanes × 12
    (12, 36, 48),
    (18, 36, 48),   # last hour starts before closing
    (19, 0, 0),     # closing is exclusive
    (23, 0, 0),
])
def test_huu_nghi_goods_hours_in_local_time(local_hour, outbound, inbound):
    assert hourly_capacity(HUUNGHI, "outbound", vn(local_hour)) == outbound
    assert hourly_capacity(HUUNGHI, "inbound", vn(local_hour)) == inbound


def test_the_hour_is_judged_in_the_gate_zone_whatever_zone_the_caller_uses():
    # 07:00 Hanoi is 00:00 UTC and 08:00 Beijing.
    assert hourly_capacity(HUUNGHI, "outbound", datetime(2026, 11, 24, 0, 0, tzinfo=UTC)) == 36
    assert hourly_capacity(HUUNGHI, "outbound", datetime(2026, 11, 24, 8, 0, tzinfo=CN)) == 36
    assert hourly_capacity(HUUNGHI, "outbound", datetime(2026, 11, 23, 23, 0, tzinfo=UTC)) == 0
    assert hourly_capacity(HUUNGHI, "outbound", vn(8), per_lane_per_hour=20) == 60


def test_facing_gates_are_open_for_the_same_absolute_hours():
    """Kim Thành 07–19 Hanoi time and Hekou 08–20 Beijing time are the same hours."""
    kim, hekou = GATES["KIMTHANH"], GATES["HEKOU"]
    day = calendar(kim, "outbound", vn(0), 24)
    facing = calendar(hekou, "inbound", vn(0), 24)
    assert [h for h, _ in day] == [h for h, _ in facing]
    assert [c > 0 for _, c in day] == [c > 0 for _, c in facing]
    assert sum(c for _, c in day) == 12 * 2 * 12  # 12 open hours, 2 outbound lanes


def test_passenger_lanes_take_no_trucks():
    gate = dataclasses.replace(HUUNGHI, lanes=HUUNGHI.lanes + (Lane("PAX-1", "outbound", kind="passenger"),))
    assert hourly_capacity(gate, "outbound", vn(9)) == 36


def test_a_closure_shuts_an_open_hour_and_ends_half_open():
    storm = Override(vn(10), vn(13), None, "landslide on QL1A")
    assert hourly_capacity(HUUNGHI, "outbound", vn(10), overrides=[storm]) == 0
    assert hourly_capacity(HUUNGHI, "outbound", vn(12), overrides=[storm]) == 0
    assert hourly_capacity(HUUNGHI, "outbound", vn(13), overrides=[storm]) == 36
    assert hourly_capacity(HUUNGHI, "outbound", vn(9), overrides=[storm]) == 36


def test_extra_hours_open_the_gate_outside_goods_hours():
    peak = Override(vn(19), vn(23), 24, "durian peak: extended hours")
    hours = calendar(HUUNGHI, "outbound", vn(17), 8, overrides=[peak])
    assert [c for _, c in hours] == [36, 36, 24, 24, 24, 24, 0, 0]


def test_the_latest_starting_override_wins_where_several_cover_the_hour():
    day_closure = Override(vn(0), vn(0, day=25), None, "national holiday")
    afternoon = Override(vn(14), vn(16), 10, "one lane for relief convoys")
    assert hourly_capacity(HUUNGHI, "outbound", vn(11), overrides=[afternoon, day_closure]) == 0
    assert hourly_capacity(HUUNGHI, "outbound", vn(14), overrides=[afternoon, day_closure]) == 10
    assert hourly_capacity(HUUNGHI, "outbound", vn(14), overrides=[day_closure, afternoon]) == 10
    same_start = Override(vn(14), vn(15), 5, "correction")
    assert hourly_capacity(HUUNGHI, "outbound", vn(14), overrides=[afternoon, same_start]) == 5


def test_the_partner_cap_limits_an_open_hour_and_an_override():
    assert hourly_capacity(HUUNGHI, "outbound", vn(9), partner_cap=20) == 20
    assert hourly_capacity(HUUNGHI, "outbound", vn(9), partner_cap=100) == 36
    assert hourly_capacity(HUUNGHI, "outbound", vn(9), partner_cap=0) == 0
    assert hourly_capacity(HUUNGHI, "outbound", vn(21), partner_cap=50) == 0
    extra = Override(vn(20), vn(22), 40, "extra")
    assert hourly_capacity(HUUNGHI, "outbound", vn(21), overrides=[extra], partner_cap=15) == 15


def test_calendar_floors_the_start_and_steps_whole_hours():
    hours = calendar(HUUNGHI, "inbound", datetime(2026, 11, 24, 0, 40, tzinfo=UTC), 3)  # 07:40 Hanoi
    assert [h for h, _ in hours] == [vn(7), vn(8), vn(9)]
    assert [c for _, c in hours] == [48, 48, 48]
    assert calendar(HUUNGHI, "inbound", vn(5), 0) == []
    day = calendar(HUUNGHI, "outbound", vn(0), 24, partner_cap=30)
    assert sum(c for _, c in day) == 12 * 30


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="aware"):
        hourly_capacity(HUUNGHI, "outbound", datetime(2026, 11, 24, 9, 0))
    with pytest.raises(ValueError, match="inbound, outbound"):
        hourly_capacity(HUUNGHI, "export", vn(9))
    with pytest.raises(ValueError, match="end after"):
        Override(vn(10), vn(10), 5, "empty")
    with pytest.raises(ValueError, match="0 or more"):
        Override(vn(10), vn(11), -1, "negative")


def test_partner_cap_for_reads_a_capacity_notice():
    hours = [(vn(8), 30), (vn(9), 25), (vn(15), 40)]
    closures = [(vn(14), vn(16)), (vn(22), None)]
    assert partner_cap_for(hours, closures, vn(8)) == 30
    assert partner_cap_for(hours, closures, vn(9)) == 25
    assert partner_cap_for(hours, closures, vn(10)) is None  # the notice is silent
    assert partner_cap_for(hours, closures, vn(15)) == 0  # a closure beats an announced number
    assert partner_cap_for(hours, closures, vn(16)) is None  # closure end is exclusive
    assert partner_cap_for(hours, closures, vn(3, day=27)) == 0  # open-ended closure
    # Times compare as instants: the partner announces in Beijing time.
    assert partner_cap_for([(datetime(2026, 11, 24, 9, 0, tzinfo=CN), 12)], [], vn(8)) == 12
    # Feeding it to the calendar: the partner's acceptance is the ceiling.
    assert hourly_capacity(HUUNGHI, "outbound", vn(9), partner_cap=partner_cap_for(hours, closures, vn(9))) == 25


def test_next_open_is_the_first_hour_with_trucks():
    closure = Override(vn(10), vn(12, day=25), None, "landslide on QL1A")
    hours = calendar(HUUNGHI, "outbound", vn(11), 48, overrides=[closure])
    assert next_open(hours) == vn(12, day=25)  # the closure ends inside goods hours
    assert next_open(calendar(HUUNGHI, "outbound", vn(20), 24)) == vn(7, day=25)  # the next morning
    assert next_open(calendar(HUUNGHI, "outbound", vn(9), 3)) == vn(9)  # open now: this hour
    assert next_open(calendar(HUUNGHI, "outbound", vn(20), 5)) is None  # nothing in the calendar
    assert next_open([]) is None


def test_lanes_open_follow_the_hour_and_an_override():
    assert lanes_open(24, 2, per_lane_per_hour=12) == 2  # regular hours: every goods lane
    assert lanes_open(0, 2, per_lane_per_hour=12) == 0  # closed hour or closure
    assert lanes_open(0, 2, per_lane_per_hour=12, override_trucks=0) == 0
    assert lanes_open(12, 2, per_lane_per_hour=12, override_trucks=12) == 1
    assert lanes_open(13, 2, per_lane_per_hour=12, override_trucks=13) == 2
    assert lanes_open(1, 3, per_lane_per_hour=12, override_trucks=1) == 1
    assert lanes_open(60, 2, per_lane_per_hour=12, override_trucks=60) == 2  # never more lanes than the gate has
    assert lanes_open(5, 2, per_lane_per_hour=12, override_trucks=12) == 1  # the partner's cap does not shut a lane
    with pytest.raises(ValueError, match="0 or more"):
        lanes_open(-1, 2, per_lane_per_hour=12)
    with pytest.raises(ValueError, match="0 or more"):
        lanes_open(5, 2, per_lane_per_hour=12, override_trucks=-3)


# ------------------------------------------------------------------ properties

INSTANTS = st.integers(0, 14 * 24 * 60).map(lambda m: datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=m))
ZONES = st.sampled_from([UTC, VN, CN, ZoneInfo("Asia/Kolkata")])
OVERRIDES = st.builds(
    lambda start, length, trucks: Override(start, start + timedelta(minutes=length), trucks, "generated"),
    INSTANTS, st.integers(1, 48 * 60), st.one_of(st.none(), st.integers(0, 200)))


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(sorted(GATES)), st.sampled_from(["inbound", "outbound"]), INSTANTS, ZONES,
       st.integers(0, 40), st.lists(OVERRIDES, max_size=4), st.one_of(st.none(), st.integers(0, 100)))
def test_capacity_stays_within_lanes_overrides_and_the_partner_cap(code, direction, at, zone, per_lane,
                                                                   overrides, partner_cap):
    gate = GATES[code]
    hour_start = at.astimezone(zone)
    result = hourly_capacity(gate, direction, hour_start, per_lane_per_hour=per_lane, overrides=overrides,
                             partner_cap=partner_cap)
    lanes = len([lane for lane in gate.lanes_for(direction) if lane.kind == "goods"])
    covering = [o for o in overrides if o.start <= hour_start < o.end]
    allowed = max([lanes * per_lane] + [o.trucks_per_hour or 0 for o in covering])
    assert 0 <= result <= allowed
    if not covering:
        assert result in (0, min(lanes * per_lane, partner_cap if partner_cap is not None else lanes * per_lane))
        assert (result == 0 or per_lane == 0 or partner_cap == 0) or gate.open_for_goods_at(hour_start)
    if partner_cap is not None:
        assert result <= partner_cap


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(GATES)), INSTANTS, st.integers(0, 48), st.lists(OVERRIDES, max_size=3))
def test_calendar_is_hourly_capacity_hour_by_hour(code, start, hours, overrides):
    gate = GATES[code]
    rows = calendar(gate, "outbound", start, hours, overrides=overrides)
    assert len(rows) == hours
    assert all(b - a == HOUR for (a, _), (b, _) in zip(rows, rows[1:]))
    assert all(h.minute == 0 and h <= start < h + HOUR for h, _ in rows[:1])
    assert all(c == hourly_capacity(gate, "outbound", h, overrides=overrides) for h, c in rows)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 50), max_size=72), INSTANTS)
def test_next_open_is_where_the_first_call_can_come(trucks, start):
    hours = [(start + i * HOUR, n) for i, n in enumerate(trucks)]
    opens = next_open(hours)
    if opens is None:
        assert all(n == 0 for n in trucks)
        assert expected_call(1, hours, start) is None
    else:
        assert all(n == 0 for h, n in hours if h < opens) and dict(hours)[opens] > 0
        # the first truck in line is called as soon as the gate opens
        assert expected_call(1, hours, start) == max(opens, start)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 500), st.integers(0, 8), st.integers(0, 40), st.one_of(st.none(), st.integers(0, 500)))
def test_lanes_open_are_enough_for_the_override_and_never_more_than_the_gate(trucks, lanes, per_lane, override):
    result = lanes_open(trucks, lanes, per_lane_per_hour=per_lane, override_trucks=override)
    assert 0 <= result <= lanes
    if trucks == 0:
        assert result == 0
    elif override is None or per_lane == 0:
        assert result == lanes
    else:
        # enough lanes for the override's rate, or all of them; one fewer would not be enough
        assert result * per_lane >= override or result == lanes
        assert result == 0 or (result - 1) * per_lane < override
