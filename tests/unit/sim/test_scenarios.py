"""Scenario files: the shipped ones load with SPEC §3's numbers; a bad file names its file and key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from borderflow.domain.capacity import hourly_capacity
from borderflow.domain.queueing import PriorityPattern
from borderflow.sim.scenario import ScenarioError, load_scenario, parse_scenario, shipped_scenarios

MINIMAL = """
name = "tiny"
start = 2026-06-15T00:00:00+07:00
days = 1
[[flows]]
from = "KIMTHANH"
trucks_per_day = 10
mix = { durian = 1.0 }
"""


def test_the_four_scenarios_of_the_issue_are_shipped():
    assert shipped_scenarios() == ["durian_peak", "new_lane", "normal_day", "partner_closure"]
    for name in shipped_scenarios():
        scenario = load_scenario(name)
        assert scenario.name == name and scenario.flows and scenario.compare


def test_normal_day_carries_the_reference_volumes():
    scenario = load_scenario("normal_day")
    per_day = {f.gate.code: f.trucks_per_day for f in scenario.flows}
    # SPEC §3: Hữu Nghị ~870/day (262 export, 608 import); five gate pairs, both directions.
    assert per_day["HUUNGHI"] == 262 and per_day["YOUYIGUAN"] == 608
    assert len(per_day) == 10
    assert {f.partner.code for f in scenario.flows} == set(per_day)
    kim = next(f for f in scenario.flows if f.gate.code == "KIMTHANH")
    assert kim.partner.code == "HEKOU" and kim.gate.yard_capacity == 300
    assert abs(sum(kim.profile) - 1) < 1e-9 and abs(sum(s for _, s in kim.mix) - 1) < 1e-9


def test_durian_peak_asks_more_than_the_partner_accepts():
    """Each fruit gate sends 125 % of what its partner's calendar (lanes × the node's rate, reduced by the
    supervisor's quarantine override) accepts in a day, and less than its own calendar allows."""
    scenario = load_scenario("durian_peak")
    for code, acceptance in (("KIMTHANH", 288), ("HUUNGHI", 324), ("TANTHANH", 220)):
        flow = next(f for f in scenario.flows if f.gate.code == code)
        day = [scenario.start + timedelta(hours=h) for h in range(24)]
        partner = sum(hourly_capacity(flow.partner, "inbound", at, per_lane_per_hour=flow.yard.per_lane_per_hour,
                                      overrides=scenario.overrides_for(flow.partner.code, "inbound")) for at in day)
        own = sum(hourly_capacity(flow.gate, "outbound", at, per_lane_per_hour=flow.yard.per_lane_per_hour,
                                  overrides=scenario.overrides_for(flow.gate.code, "outbound")) for at in day)
        assert partner == acceptance and flow.trucks_per_day == pytest.approx(1.25 * acceptance, rel=0.01)
        assert own > flow.trucks_per_day
        # The override is inbound only: the partner's own exports are not slowed.
        assert scenario.overrides_for(flow.partner.code, "outbound") == ()
    policy = scenario.policy("priority").build()
    assert isinstance(policy, PriorityPattern) and policy.max_wait == timedelta(hours=72)
    assert scenario.policy("send_all").call_forward == "send_all"


def test_partner_closure_and_new_lane_are_read_into_domain_objects():
    closure = load_scenario("partner_closure")
    (gate, override), = closure.outages
    assert gate == "YOUYIGUAN" and override.trucks_per_hour is None
    assert override.end - override.start == timedelta(hours=12)
    lanes = load_scenario("new_lane")
    kim = next(f for f in lanes.flows if f.gate.code == "KIMTHANH")
    assert kim.gate.lane("OUT-3") is not None  # carried by the gate, opened at `opens`
    assert {o.lane.code for o in lanes.lane_openings} == {"OUT-3", "IN-3"}


def test_a_path_loads_like_a_name(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    scenario = load_scenario(str(path))
    assert scenario.source == str(path) and scenario.flows[0].gate.code == "KIMTHANH"
    assert scenario.policy("fifo").queue == "fifo"  # built-in policies need no [policies] table


@pytest.mark.parametrize(("change", "key", "words"), [
    (("days = 1", "days = 0"), "days", "whole number"),
    (("days = 1", "days = 1\ncolour = 'red'"), "colour", "unknown key"),
    (('from = "KIMTHANH"', 'from = "KIMTANH"'), "flows[0].from", "unknown gate"),
    (("durian = 1.0", "durians = 1.0"), "flows[0].mix.durians", "unknown commodity"),
    (('"KIMTHANH"\ntrucks_per_day = 10\nmix = { durian', '"HEKOU"\ntrucks_per_day = 10\nmix = { jackfruit'),
     "flows[0].mix.jackfruit", "no HS line for a CN sender"),
    (("start = 2026-06-15T00:00:00+07:00", "start = 2026-06-15T00:00:00"), "start", "UTC offset"),
    (("start = 2026-06-15T00:00:00+07:00", "start = 2026-06-15T00:30:00+07:00"), "start", "whole hour"),
    (("trucks_per_day = 10", "trucks_per_day = 10\nprofile = [1, 2]"), "flows[0].profile", "24 weights"),
    (("trucks_per_day = 10", "trucks_per_day = 'ten'"), "flows[0].trucks_per_day", "number"),
])
def test_a_bad_value_names_the_key(change, key, words):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL.replace(*change), "bad.toml")
    assert caught.value.source == "bad.toml" and caught.value.key == key
    assert words in str(caught.value) and str(caught.value).startswith(f"bad.toml: {key}: ")


@pytest.mark.parametrize(("extra", "key", "words"), [
    ('[service]\ngreen = { kind = "gamma", mean = 3 }', "service.green.kind", "expected one of"),
    ('[service]\nyellow = { kind = "lognormal", mean = -1, sd = 1 }', "service.yellow.mean", "positive"),
    ('[service]\ninspection = { kind = "erlang", mean = 45 }', "service.inspection.k", "whole number"),
    ('[policies.mine]\nqueue_policy = "lifo"', "policies.mine.queue_policy", "'fifo', 'booked_first' or 'priority'"),
    ('[policies.mine]\ncall_pattern = ["fruit"]', "policies.mine.call_pattern", "unknown priority class 'fruit'"),
    ('[policies.mine]\nqueue_policy = "fifo"\nmax_wait_hours = 100', "policies.mine.max_wait_hours",
     "less than or equal to 72"),
    ('[policies.mine]\nqueue = "fifo"', "policies.mine.queue", "renamed queue_policy"),
    ('[policies.mine]\nqueue_policy = "fifo"\ncall_forward = "maybe"', "policies.mine.call_forward", "send_all"),
    ('[policies.mine]\nqueue_policy = "fifo"\ncolour = "red"', "policies.mine.colour", "unknown key"),
    ('[[outages]]\ngate = "HEKOU"\nstart = 2026-06-15T08:00:00+08:00\nhours = -2', "outages[0].hours", "number"),
    ('[[new_lanes]]\ngate = "KIMTHANH"\ncode = "OUT-1"\ndirection = "outbound"\nopens = 2026-06-16T07:00:00+07:00',
     "new_lanes[0].code", "already has a lane"),
])
def test_bad_tables_name_their_key(extra, key, words):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL.replace("[[flows]]", extra + "\n[[flows]]", 1), "bad.toml")
    assert caught.value.key == key and words in caught.value.problem


def test_not_toml_and_not_found_say_so(tmp_path):
    with pytest.raises(ScenarioError, match=r"^x.toml: not valid TOML"):
        parse_scenario("name = ", "x.toml")
    with pytest.raises(ScenarioError, match="durian_peak"):  # lists what exists
        load_scenario(str(tmp_path / "missing.toml"))


def test_compare_must_name_known_policies():
    with pytest.raises(ScenarioError) as caught:
        parse_scenario('compare = ["fifo", "magic"]\n' + MINIMAL, "c.toml")
    assert caught.value.key == "compare[1]" and "magic" in caught.value.problem
