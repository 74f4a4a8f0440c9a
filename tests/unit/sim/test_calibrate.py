"""Calibrating the twin from a node's history: each measure on rows written by hand, then a whole
history to a scenario file the loader reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from borderflow.reference.region import load_node
from borderflow.sim import calibrate as cal
from borderflow.sim.calibrate import (BookingRow, CalibrationError, CrossingRow, EventRow, InspectionRow, NodeHistory,
                                      NoticeRow, OverrideRow)
from borderflow.sim.scenario import load_scenario

VN = ZoneInfo("Asia/Ho_Chi_Minh")
CN = ZoneInfo("Asia/Shanghai")
SINCE = datetime(2026, 5, 18, tzinfo=VN)  # a Monday
UNTIL = SINCE + timedelta(days=28)
CASSAVA = {"hs_code": "07141011", "description": "Dried cassava chips", "net_kg": 19800, "value": 5940}
DURIAN = {"hs_code": "08106000", "description": "Fresh durian", "net_kg": 22000, "value": 72000, "perishable": True}
PEPPER = {"hs_code": "09041120", "description": "Black pepper", "net_kg": 20000, "value": 80000}


def row(n: int, *, gate: str = "HUUNGHI", direction: str = "export", checked_in: datetime | None = None,
        status: str = "exited", lane: str = "green", goods: dict = CASSAVA, declarant: str = "5300123456",
        expected: datetime | None = None, called: datetime | None = None, missed: int = 0, booked: bool = False,
        priority: str | None = "ordinary") -> CrossingRow:
    at = checked_in or expected or SINCE
    return CrossingRow(id=f"c{n}", gate=gate, direction=direction, status=status, risk_lane=lane,
                       declarant=declarant, goods=(goods,), expected_arrival=expected or at,
                       created_at=at - timedelta(hours=2), checked_in_at=checked_in, called_at=called,
                       priority=priority, missed_calls=missed, booked=booked)


# ------------------------------------------------------------------ small measures


def test_weekdays_are_named_as_a_planner_writes_them():
    assert [cal.weekday_number(n) for n in ("mon", "Tuesday", "tuesdays", "SUN", "wed")] == [0, 1, 1, 6, 2]
    with pytest.raises(CalibrationError, match="unknown weekday 'tu'"):
        cal.weekday_number("tu")


def test_the_window_is_whole_local_days_before_the_until_day():
    since, until = cal.window(date(2026, 6, 15), 28, "Asia/Ho_Chi_Minh")
    assert (since, until) == (SINCE, UNTIL)
    assert cal.weekday_occurrences(since, until, "Asia/Ho_Chi_Minh") == [4] * 7
    with pytest.raises(CalibrationError, match="--days"):
        cal.window(date(2026, 6, 15), 0, "UTC")


def test_an_arrival_is_the_check_in_or_the_declared_time_of_a_truck_that_came():
    checked = datetime(2026, 5, 19, 8, 0, tzinfo=VN)
    assert cal.arrival_of(row(1, checked_in=checked, expected=checked + timedelta(hours=3))) == (checked, "check_in")
    assert cal.arrival_of(row(2, expected=checked)) == (checked, "declared")  # exited through a gate without a yard
    assert cal.arrival_of(row(3, expected=checked, status="declared")) is None  # never came
    assert cal.arrival_of(row(4, expected=checked, status="cancelled")) is None
    rows = [row(5, checked_in=SINCE - timedelta(minutes=1)), row(6, checked_in=UNTIL), row(7, checked_in=checked),
            row(8, checked_in=checked + timedelta(days=1))]  # before, after, a Tuesday, a Wednesday
    assert [a.row.id for a in cal.arrivals(rows, SINCE, UNTIL)] == ["c7", "c8"]
    assert [a.row.id for a in cal.arrivals(rows, SINCE, UNTIL, weekday=1, zone="Asia/Ho_Chi_Minh")] == ["c7"]


def test_hours_are_counted_in_the_sending_gates_zone():
    at = datetime(2026, 5, 19, 1, 30, tzinfo=UTC)  # 08:30 in Hanoi, 09:30 in Beijing
    assert cal.hour_profile([at, at], "Asia/Ho_Chi_Minh")[8] == 2
    assert cal.hour_profile([at], "Asia/Shanghai")[9] == 1


def test_day_factors_are_each_weekdays_trucks_per_day_against_the_mean_day():
    counts = [8, 16, 8, 8, 8, 4, 4]  # per weekday over four weeks
    assert cal.day_factors(counts, [4] * 7, first_weekday=0) == [1, 2, 1, 1, 1, 0.5, 0.5]
    assert cal.day_factors(counts, [4] * 7, first_weekday=1)[:2] == [2, 1]  # the scenario starts on a Tuesday
    # Two days of history (a Monday, a Tuesday): the weekdays it did not hold stay at 1.
    assert cal.day_factors([3, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0], 0) == [2, 0, 1, 1, 1, 1, 1]


def test_goods_map_to_the_catalogue_or_become_a_commodity_of_their_own():
    assert cal.commodity_for(CASSAVA, "VN") == ("cassava", False)
    assert cal.commodity_for({"hs_code": "0810.60.00"}, "VN") == ("durian", False)
    assert cal.commodity_for({"hs_code": "08106000"}, "CN") == ("durian", False)  # CN line 0810600000, same stem
    assert cal.commodity_for(PEPPER, "VN") == ("hs_09041120", True)
    mix, new = cal.commodity_mix([row(1), row(2, goods=PEPPER), row(3, goods=PEPPER)], "VN")
    assert mix == {"cassava": 1, "hs_09041120": 2}
    pepper = new["hs_09041120"]
    assert (pepper.hs_vn, pepper.hs_cn, pepper.net_kg, pepper.value_per_kg, pepper.perishable) == \
        ("09041120", "0904112000", 20000, 4.0, False)
    heavy = {"hs_code": "08106000", "net_kg": 22000}
    assert cal.main_item([{"hs_code": "07141011", "net_kg": 100}, heavy]) is heavy


def test_service_times_are_taken_apart_as_the_twin_needs_them():
    t0 = datetime(2026, 5, 19, 8, 0, tzinfo=VN)
    minutes = lambda m: t0 + timedelta(minutes=m)  # noqa: E731
    rows = [row(1, checked_in=t0, called=minutes(10), lane="green"),
            row(2, checked_in=t0, called=minutes(10), lane="yellow", goods=DURIAN),
            row(3, checked_in=t0, called=minutes(10), lane="red"),
            row(4, checked_in=t0, called=minutes(10), lane="yellow", goods=DURIAN)]
    events = [EventRow("c1", "arrive", minutes(16)), EventRow("c1", "exit", minutes(16)),
              EventRow("c2", "arrive", minutes(17)), EventRow("c2", "exit", minutes(31)),
              EventRow("c3", "arrive", minutes(15)), EventRow("c3", "start_inspection", minutes(20)),
              EventRow("c3", "exit", minutes(63)),
              EventRow("c4", "arrive", minutes(16)), EventRow("c4", "release", minutes(66)),
              EventRow("c4", "exit", minutes(67))]
    checks = [InspectionRow("c2", "document", "passed", "customs", minutes(29)),  # 12 min at the lane, then 2
              InspectionRow("c3", "physical", "passed", "customs", minutes(60)),  # 40 min from the start
              InspectionRow("c4", "document", "failed", "customs", minutes(26)),
              InspectionRow("c4", "document", "passed", "customs", minutes(56))]
    s = cal.service_samples(rows, events, checks)
    assert s.drive == [6, 7, 5, 6]
    assert s.lane == {"green": [0], "blue": [], "yellow": [2, 11], "red": [3]}
    assert s.inspection == [40]
    assert s.document == [29 + 120, 56 + 120]  # from the declaration, two hours before the check-in
    assert s.hold == [40]  # the failed check → the release
    assert s.signoff[("customs", "document")] == [12, 10, 40]


def test_distributions_fitted_to_the_measured_minutes():
    assert cal.fit("green", [0, 0, 0]) == {"kind": "constant", "mean": 0}
    assert cal.fit("yellow", [2, 2]) == {"kind": "constant", "mean": 2}
    assert cal.fit("yellow", [2, 4, 6]) == {"kind": "lognormal", "mean": 4, "sd": 2}
    assert cal.fit("inspection", [30, 40, 50]) == {"kind": "erlang", "k": 16, "mean": 40}  # 40² / 100


def test_booking_rates_count_no_shows_and_lateness_of_the_hours_in_the_window():
    slot = datetime(2026, 5, 20, 10, 0, tzinfo=VN)
    bookings = [BookingRow("a", "HUUNGHI", "outbound", slot, "used", slot + timedelta(minutes=20)),
                BookingRow("b", "HUUNGHI", "outbound", slot, "used", slot - timedelta(minutes=5)),
                BookingRow("c", "HUUNGHI", "outbound", slot, "used", slot + timedelta(minutes=90)),
                BookingRow("d", "HUUNGHI", "outbound", slot, "no_show"),
                BookingRow("e", "HUUNGHI", "outbound", slot, "cancelled"),
                BookingRow("f", "HUUNGHI", "outbound", UNTIL, "no_show")]  # after the window
    rates = cal.booking_rates(bookings, SINCE, UNTIL)
    assert (rates.used, rates.no_show, rates.early, rates.late, rates.other) == (3, 1, 1, 1, 1)
    assert rates.no_show_share == 0.25 and rates.late_minutes == 30


def test_the_partners_rate_is_the_median_of_its_open_hours():
    first = datetime(2026, 6, 15, 0, tzinfo=UTC)
    notice = NoticeRow("CN-BORDER", "YOUYIGUAN", "HUUNGHI", first,
                       tuple((first + timedelta(hours=h), n) for h, n in enumerate([0, 20, 20, 30, 0, 10])))
    rate = cal.partner_rate(notice)
    assert (rate.per_hour, rate.open_hours, rate.hours) == (20, 4, 6)
    assert cal.partner_rate(None).per_hour is None


def test_declarants_missed_calls_and_problems_per_flow():
    t0 = datetime(2026, 5, 19, 8, 0, tzinfo=VN)
    rows = [row(1, declarant="A", booked=True, called=t0), row(2, declarant="A", called=t0, missed=1),
            row(3, declarant="B", called=t0), row(4, declarant="C")]
    mix = cal.declarant_mix(rows, {"A": 10, "B": 2})
    assert (mix.declarants, mix.new_share, mix.booked_share) == (3, 2 / 3, 0.25)
    assert cal.missed_call_share(rows) == (1 / 3, 3)
    checks = [InspectionRow("c1", "document", "passed", "customs", t0), InspectionRow("c2", "document", "failed",
                                                                                      "customs", t0)]
    assert cal.problem_share(rows, checks) == (0.25, 2)


# ------------------------------------------------------------------ a whole history


def _history(trucks: int = 60, **extra) -> NodeHistory:
    node = load_node("vn").node
    rows = []
    for n in range(trucks):
        day = SINCE + timedelta(days=n % 28)
        at = day.replace(hour=8 + n % 3)
        goods = (CASSAVA, DURIAN, PEPPER)[n % 3]
        rows.append(row(n, checked_in=at, called=at + timedelta(minutes=10), goods=goods,
                        lane="yellow" if goods is DURIAN else "green", booked=n % 4 == 0))
    imports = [row(1000 + n, direction="import", goods={"hs_code": "84798990", "net_kg": 11000},
                   checked_in=SINCE + timedelta(days=n, hours=16), called=SINCE + timedelta(days=n, hours=16, minutes=5))
               for n in range(14)]
    notice = NoticeRow("CN-BORDER", "YOUYIGUAN", "HUUNGHI", UNTIL - timedelta(hours=4),
                       tuple((UNTIL + timedelta(hours=h), 20 if 1 <= h % 24 <= 12 else 0) for h in range(48)))
    return NodeHistory(node=node, since=SINCE, until=UNTIL, zone="Asia/Ho_Chi_Minh", crossings=rows + imports,
                       notices=[notice], settings={"per_lane_per_hour": 12, "queue_policy": "priority",
                                                   "call_pattern": "perishable,ordinary", "max_wait_hours": 6.0},
                       defaults={"per_lane_per_hour": 12, "queue_policy": "priority", "max_wait_hours": 6.0},
                       node_spec="vn", partner_spec="cn", database="sqlite:///node.sqlite", **extra)


def test_a_thin_history_is_refused_saying_how_many_trucks_were_found():
    with pytest.raises(CalibrationError) as caught:
        cal.calibrate(_history(20), min_trucks=50)
    message = str(caught.value)
    assert "34 trucks arrived at VN-BORDER's gates" in message  # 20 exports and 14 imports
    assert "2026-05-18 to 2026-06-14 (28 days)" in message and "at least 50 are needed" in message
    with pytest.raises(CalibrationError, match=r"5 trucks arrived .* Tuesdays only: 4\)"):  # 3 exports, 2 imports
        cal.calibrate(_history(20), weekday=1, min_trucks=50)


def test_a_history_becomes_flows_per_gate_and_direction():
    c = cal.calibrate(_history(), min_trucks=50)
    assert [(f.sender.code, f.receiver.code, f.direction) for f in c.flows] == [
        ("HUUNGHI", "YOUYIGUAN", "export"), ("YOUYIGUAN", "HUUNGHI", "import")]
    exports, imports = c.flows
    assert exports.trucks_per_day == 60 / 28 and imports.trucks_per_day == 14 / 28
    assert exports.mix == {"cassava": 20, "durian": 20, "hs_09041120": 20}
    assert exports.profile[8:11] == [20, 20, 20]
    assert imports.profile[17] == 14  # 16:00 in Hanoi is 17:00 at Youyiguan, the sender
    assert c.start == UNTIL and c.days == 7 and c.drain_days == 2
    assert c.day_factors is not None and len(c.day_factors) == 7
    partner = [o for o in c.outages if o.gate == "YOUYIGUAN"]
    assert len(partner) == 1 and partner[0].trucks_per_hour == 20 and partner[0].repeat_days == 9


def test_the_scenario_file_loads_and_says_what_was_measured(tmp_path):
    c = cal.calibrate(_history(), weekday=1, name="tuesday", min_trucks=10)
    text = cal.scenario_text(c)
    path = tmp_path / "tuesday.toml"
    path.write_text(text, encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.name == "tuesday" and scenario.days == 1
    assert scenario.start == datetime(2026, 6, 16, tzinfo=VN)  # the first Tuesday from 15 June
    flows = {f.key: f for f in scenario.flows}
    exports = flows["HUUNGHI>YOUYIGUAN"]
    tuesdays = [n for n in range(60) if (SINCE + timedelta(days=n % 28)).weekday() == 1]
    assert exports.trucks_per_day == pytest.approx(len(tuesdays) / 4)
    assert "Tuesdays only: 4" in text and f"# {len(tuesdays)} trucks over 4 day(s)" in text
    assert exports.yard.per_lane_per_hour == 12
    assert [o for gate, o in scenario.outages if gate == "YOUYIGUAN"][0].trucks_per_hour == 20
    assert "# One more lane? Uncomment" in text


def test_overrides_planned_for_the_scenarios_days_become_outages():
    closure = OverrideRow("HUUNGHI", "outbound", UNTIL + timedelta(hours=8, minutes=30), UNTIL + timedelta(hours=11),
                          None, "bridge works")
    c = cal.calibrate(_history(overrides=[closure]), min_trucks=10)
    ours = [o for o in c.outages if o.gate == "HUUNGHI"]
    assert len(ours) == 1 and ours[0].start == UNTIL + timedelta(hours=8) and ours[0].hours == 3
    assert ours[0].trucks_per_hour is None and ours[0].direction == "outbound"
