"""The demo's pure parts: its start time, the trips it plays, the nodes' settings from the scenario,
when a truck counts as stuck, and when both nodes tell the same story."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from borderflow.demo import (BACKLOG, BACKLOG_CHECK_IN, Progress, node_settings, parse_start, plan_trips,
                             scenario_overrides, story_problems)
from borderflow.reference.region import load_gates
from borderflow.sim import load_scenario

HANOI = timezone(timedelta(hours=7))
START = datetime(2026, 6, 15, 7, tzinfo=HANOI)
SLACK = timedelta(minutes=10)


@pytest.fixture(scope="module")
def durian():
    return load_scenario("durian_peak")


# ------------------------------------------------------------------ start


def test_a_start_without_offset_is_local_time_at_the_gates():
    assert parse_start("2026-06-15T06:00") == datetime(2026, 6, 15, 6, tzinfo=HANOI)
    assert parse_start("2026-06-15T06:00+08:00").utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize(("now", "start"), [
    (datetime(2026, 12, 2, 10, 20, tzinfo=HANOI), datetime(2026, 12, 2, 10, tzinfo=HANOI)),  # open: this hour
    (datetime(2026, 12, 2, 5, 42, tzinfo=HANOI), datetime(2026, 12, 2, 7, tzinfo=HANOI)),  # night: the opening
    (datetime(2026, 12, 2, 20, 5, tzinfo=HANOI), datetime(2026, 12, 3, 7, tzinfo=HANOI)),  # evening: tomorrow's
])
def test_by_default_the_demo_starts_at_the_real_local_hour_or_the_next_opening(now, start):
    assert parse_start(None, now) == start


# ------------------------------------------------------------------ trips


def test_trips_are_the_scenarios_trucks_at_the_two_gate_pairs_from_the_start(durian):
    until = START + timedelta(hours=3)
    trips = plan_trips(durian, 1, 0.2, START, until)
    assert trips == plan_trips(durian, 1, 0.2, START, until)  # the seed decides
    assert {t.truck.gate for t in trips} == {"KIMTHANH", "HEKOU", "HUUNGHI", "YOUYIGUAN"}
    assert all(START <= t.declare_at <= t.arrive_at < until for t in trips)
    assert [t.declare_at for t in trips] == sorted(t.declare_at for t in trips)
    for trip in trips:
        if trip.slot is not None:  # a whole hour, bookable when the truck declares
            assert trip.slot.minute == 0 and trip.slot >= trip.declare_at.replace(minute=0, second=0,
                                                                                 microsecond=0) + timedelta(hours=1)


def test_trucks_that_reached_a_closed_gate_before_the_start_are_the_first_in_its_yard(durian):
    gates = load_gates()
    trips = plan_trips(durian, 1, 1.0, START, START + timedelta(hours=1))
    backlog = [t for t in trips if t.truck.arrival < START]
    assert backlog, "the night's queue"
    assert all(START - BACKLOG <= t.truck.arrival and not gates[t.truck.gate].open_for_goods_at(t.truck.arrival)
               for t in backlog)
    assert all(t.arrive_at - START <= BACKLOG_CHECK_IN for t in backlog)


def test_a_smaller_scale_plays_fewer_of_the_same_trucks(durian):
    until = START + timedelta(hours=2)
    every = {t.truck.id for t in plan_trips(durian, 1, 1.0, START, until)}
    some = {t.truck.id for t in plan_trips(durian, 1, 0.2, START, until)}
    assert some < every and 0.1 < len(some) / len(every) < 0.3


# ------------------------------------------------------------------ the nodes' settings


def test_the_nodes_run_the_scenarios_policy_with_its_lane_rate_scaled(durian):
    env = node_settings(durian, "priority", 0.25, 60)
    assert env["BORDERFLOW_QUEUE_POLICY"] == "priority"
    assert env["BORDERFLOW_CALL_PATTERN"].split(",").count("perishable") == 18
    assert float(env["BORDERFLOW_MAX_WAIT_HOURS"]) == 72
    assert env["BORDERFLOW_PER_LANE_PER_HOUR"] == str(round(durian.policy("priority").rules.per_lane_per_hour / 4))
    assert float(env["BORDERFLOW_CALL_FORWARD_SECONDS"]) == durian.policy("priority").call_seconds
    assert float(node_settings(durian, "priority", 1, 600)["BORDERFLOW_CALL_FORWARD_SECONDS"]) == 150  # ≤ 4 a second


def test_a_policy_no_node_runs_is_refused(durian):
    with pytest.raises(RuntimeError, match="partner's acceptance"):
        node_settings(durian, "send_all", 1, 60)


def test_the_scenarios_slower_acceptance_becomes_the_supervisors_overrides(durian):
    bodies = scenario_overrides(durian, 0.2, START, START + timedelta(hours=3))
    assert {(gate, b["direction"]) for gate, b in bodies} == {("HEKOU", "inbound"), ("YOUYIGUAN", "inbound")}
    for _, body in bodies:
        assert body["trucks_per_hour"] == 5  # 24 and 27 an hour, at a fifth
        assert datetime.fromisoformat(body["starts_at"]).date() == START.date()


# ------------------------------------------------------------------ stuck


def progress(step: str, since: datetime, may_last: timedelta, yard=None) -> Progress:  # noqa: ANN001
    p = Progress()
    p.enter(step, since, may_last, yard)
    return p


class Yard:
    open_seconds = 0.0


def test_a_truck_is_stuck_only_once_its_step_has_lasted_longer_than_the_rules_allow():
    p = progress("agency checks", START, timedelta(minutes=45))
    assert not p.stuck(START + timedelta(minutes=55), None, SLACK)
    assert p.stuck(START + timedelta(minutes=56), None, SLACK)


def test_a_new_event_in_its_history_means_it_moved():
    p = progress("agency checks", START, timedelta(minutes=45))
    assert not p.stuck(START + timedelta(hours=2), START + timedelta(hours=1, minutes=30), SLACK)


def test_a_queue_may_wait_out_closed_hours_but_not_open_time_beyond_max_wait():
    yard = Yard()
    p = progress("waiting in the yard", START, timedelta(hours=6, minutes=20), yard)
    assert not p.stuck(START + timedelta(hours=12), START, SLACK)  # the gate was closed all along
    yard.open_seconds = timedelta(hours=6, minutes=30).total_seconds()
    assert not p.stuck(START + timedelta(hours=12), START, SLACK)
    yard.open_seconds = timedelta(hours=6, minutes=31).total_seconds()
    assert p.stuck(START + timedelta(hours=12), START, SLACK)


def test_a_truck_through_or_refused_is_never_stuck_one_left_by_an_error_may_be():
    for done, stuck in (("crossed", False), ("refused", False), ("failed", True)):
        p = progress("agency checks", START, timedelta(minutes=10))
        p.done = done
        assert p.stuck(START + timedelta(hours=1), None, SLACK) is stuck


# ------------------------------------------------------------------ one story


def export(status: str, partner_status: str | None = None) -> dict:
    return {"id": "e1", "reference": "KIM-1", "status": status, "partner": {"status": partner_status}}


def imported(status: str, partner_status: str | None = None) -> dict:
    return {"id": "i1", "status": status, "partner": {"status": partner_status, "crossing_id": "e1"}}


@pytest.mark.parametrize(("mine", "theirs"), [
    (export("declared", "declared"), imported("declared", "declared")),
    (export("arrived", "declared"), imported("declared", "arrived")),
    (export("exited", "arrived"), imported("arrived", "exited")),
    (export("exited", "exited"), imported("exited", "exited")),
    (export("refused", "cancelled"), imported("cancelled", "refused")),
    (export("exited", "refused"), imported("refused", "exited")),
])
def test_stories_that_agree(mine, theirs):
    assert story_problems([mine], {"e1": theirs}) == []


@pytest.mark.parametrize(("mine", "theirs", "problem"), [
    (export("declared"), None, "no crossing on the partner's node"),
    (export("arrived", "exited"), imported("exited", "arrived"), "through the partner's barrier"),
    (export("exited", "declared"), imported("declared", "exited"), "left, but the partner has it declared"),
    (export("exited", "declared"), imported("in_transit", "arrived"), "left, but"),
    (export("refused", "declared"), imported("declared", "refused"), "refused here, declared at the partner"),
    (export("exited", "arrived"), imported("refused", "exited"), "refused by the partner"),
])
def test_stories_that_do_not(mine, theirs, problem):
    problems = story_problems([mine], {"e1": theirs} if theirs else {})
    assert len(problems) == 1 and problem in problems[0]
