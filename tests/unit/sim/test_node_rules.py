"""The twin runs the node's yard rules: the same defaults, from the same settings, changed only where a
scenario says so, with the node's own checks."""

from __future__ import annotations

import dataclasses
import os
from datetime import timedelta

import pytest

from borderflow.domain.yard_rules import YardRules
from borderflow.reference.region import load_node
from borderflow.settings import load_settings
from borderflow.sim.node_config import node_rules, yard_keys
from borderflow.sim.scenario import RETIRED, ScenarioError, load_scenario, parse_scenario
from tests.unit.sim.test_scenarios import MINIMAL


@pytest.fixture
def clean_environment(monkeypatch):
    """The node's settings as shipped: no BORDERFLOW_* variable of whoever runs the tests."""
    for name in list(os.environ):
        if name.startswith("BORDERFLOW_"):
            monkeypatch.delenv(name)


def test_a_scenario_without_yard_runs_the_nodes_defaults(clean_environment):
    """Fails when the twin's defaults and the node's diverge (settings.py, yard_rules.py or the sim)."""
    scenario = parse_scenario(MINIMAL, "tiny.toml")
    settings = load_settings()
    node = YardRules.from_settings(settings)
    assert scenario.yard == node
    assert all(flow.yard == node for flow in scenario.flows)
    assert scenario.call_seconds == settings.call_forward_seconds
    for name in ("fifo", "priority", "booked_first", "send_all"):
        spec = scenario.policy(name)
        expected = "fifo" if name == "send_all" else name
        assert spec.rules == dataclasses.replace(node, queue_policy=expected), name
        assert spec.call_seconds == settings.call_forward_seconds
    assert scenario.policy("priority").rules == node  # the node's default policy, pattern and aging


def test_the_twin_ignores_the_shell_but_takes_the_same_names(monkeypatch, clean_environment):
    monkeypatch.setenv("BORDERFLOW_PER_LANE_PER_HOUR", "14")
    assert parse_scenario(MINIMAL, "tiny.toml").yard.per_lane_per_hour == 12  # a result depends on the file alone
    yard = parse_scenario(MINIMAL + "[yard]\nper_lane_per_hour = 14\n", "tiny.toml").yard
    assert yard == YardRules.from_settings(load_settings())  # what the node configured by the variable runs


def test_yard_changes_only_what_it_names(clean_environment):
    text = MINIMAL + '[yard]\nper_lane_per_hour = 16\ncalled_per_lane = 3\ncall_pattern = ["perishable", "ordinary"]\n'
    scenario = parse_scenario(text, "tiny.toml")
    node = YardRules.from_settings(load_settings())
    assert scenario.yard == dataclasses.replace(node, per_lane_per_hour=16, called_per_lane=3,
                                                call_pattern=("perishable", "ordinary"))
    # A policy changes [yard] further; the built-in ones only their queue policy.
    with_policy = parse_scenario(text + '[policies.slow]\nqueue_policy = "fifo"\ncall_timeout_minutes = 30\n',
                                 "tiny.toml")
    slow = with_policy.policy("slow")
    assert slow.rules == dataclasses.replace(scenario.yard, queue_policy="fifo", call_timeout=timedelta(minutes=30))
    assert slow.changes == (("queue_policy", "fifo"), ("call_timeout_minutes", 30))
    assert with_policy.policy("fifo").rules == dataclasses.replace(scenario.yard, queue_policy="fifo")


def test_the_yard_keys_are_the_nodes_settings():
    settings = load_settings()
    assert set(yard_keys()) <= set(type(settings).model_fields)
    assert {"per_lane_per_hour", "called_per_lane", "call_timeout_minutes", "trusted_after", "queue_policy",
            "call_pattern", "max_wait_hours", "early_minutes", "late_minutes", "partner_fallback_per_hour",
            "call_forward_seconds"} <= set(yard_keys())
    rules, seconds = node_rules({"called_per_lane": 4, "call_forward_seconds": 5})
    assert rules.called_per_lane == 4 and seconds == 5


@pytest.mark.parametrize(("table", "key", "words"), [
    ("[yard]\ncolour = 'red'", "yard.colour", "unknown yard setting"),
    ("[yard]\nper_lane_per_hour = 0", "yard.per_lane_per_hour", "BORDERFLOW_PER_LANE_PER_HOUR"),
    ("[yard]\nmax_wait_hours = 100", "yard.max_wait_hours", "less than or equal to 72"),
    ("[yard]\ncall_pattern = ['fruit']", "yard.call_pattern", "unknown priority class 'fruit'"),
    ("[yard]\nqueue_policy = 'lifo'", "yard.queue_policy", "'fifo', 'booked_first' or 'priority'"),
    ("[yard]\ntrusted_after = { n = 1 }", "yard.trusted_after", "a single value"),
])
def test_a_bad_yard_setting_names_the_file_and_key(table, key, words):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL + table + "\n", "bad.toml")
    assert caught.value.source == "bad.toml" and caught.value.key == key, str(caught.value)
    assert words in caught.value.problem and str(caught.value).startswith(f"bad.toml: {key}: ")


@pytest.mark.parametrize("key", sorted(RETIRED))
def test_the_sims_own_call_mechanics_are_gone_and_say_what_replaced_them(key):
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL.replace("trucks_per_day = 10", f"trucks_per_day = 10\n{key} = 1"), "old.toml")
    assert caught.value.key == f"flows[0].{key}" and caught.value.problem == RETIRED[key]
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(MINIMAL.replace("[[flows]]", f"[defaults]\n{key} = 1\n[[flows]]"), "old.toml")
    assert caught.value.key == f"defaults.{key}"


def test_a_scenario_names_its_node_files(tmp_path):
    shipped = parse_scenario(MINIMAL, "tiny.toml")
    assert shipped.nodes == ("vn", "cn") and shipped.flows[0].node == load_node("vn").node.id
    # Only the CN node: a Vietnamese gate cannot send.
    with pytest.raises(ScenarioError) as caught:
        parse_scenario('nodes = "cn"\n' + MINIMAL, "cn-only.toml")
    assert caught.value.key == "flows[0].from" and "not operated by the scenario's nodes" in caught.value.problem
    # An operator's node file, relative to the scenario, with its own rules file.
    rules = tmp_path / "strict.toml"
    rules.write_text('default_lane = "yellow"\n', encoding="utf-8")
    node = tmp_path / "node.toml"
    node.write_text('[node]\nid = "VN-TEST"\nname = "test"\ncountry = "VN"\ngates = ["KIMTHANH"]\n'
                    '[settings]\nrules = "strict.toml"\n', encoding="utf-8")
    scenario_file = tmp_path / "mine.toml"
    scenario_file.write_text('nodes = ["node.toml", "cn"]\n' + MINIMAL, encoding="utf-8")
    scenario = load_scenario(str(scenario_file))
    flow = scenario.flows[0]
    assert flow.node == "VN-TEST" and flow.rules == str(rules)
    with pytest.raises(ScenarioError) as caught:
        parse_scenario('nodes = ["missing.toml"]\n' + MINIMAL, "x.toml")
    assert caught.value.key == "nodes[0]" and "no such file" in caught.value.problem


def test_the_shipped_scenarios_change_only_the_lane_rate():
    """Sourced: ~16.7 trucks per lane-hour at Kim Thành (REFERENCE §5); every other yard rule is the node's."""
    for name in ("normal_day", "durian_peak", "partner_closure", "new_lane"):
        scenario = load_scenario(name)
        assert scenario.yard_changes == (("per_lane_per_hour", 16),), name
