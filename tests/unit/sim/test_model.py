"""The model: every truck accounted for, reproducible, and never beyond either side's capacity."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from borderflow.sim.model import STAGES, TRUCK_COLUMNS, simulate_once
from borderflow.sim.run import run_experiment
from borderflow.sim.scenario import load_scenario

PEAK = load_scenario("durian_peak")
CLOSURE = load_scenario("partner_closure")


@pytest.mark.parametrize("policy", ["fifo", "priority", "send_all"])
def test_every_truck_is_accounted_for_mid_run(policy):
    """Cut off mid-peak: each truck is in exactly one place, and the engine's own counts agree."""
    scenario = PEAK.only("HUUNGHI", "TANTHANH").replace(days=2, drain_days=0)
    result = simulate_once(scenario, policy, seed=3)
    m = result.metrics
    stages = {s: int(m[f"stage.{s}"]) for s in STAGES}
    assert sum(stages.values()) == m["arrived"] > 1000
    engine = {s: sum(f.counters[s] for f in result.flows.values()) for s in STAGES}
    assert engine == stages
    assert stages["waiting"] > 0 and stages["crossed"] > 0  # the cut really is mid-run
    assert m["crossed"] == stages["crossed"] and m["unfinished"] == m["arrived"] - m["crossed"]
    assert sum(result.hourly_accepted) == stages["crossed"]


def test_with_time_to_drain_every_truck_crosses():
    result = simulate_once(load_scenario("normal_day"), "priority", seed=2)
    assert result.metrics["unfinished"] == 0 and result.metrics["stage.crossed"] == result.metrics["arrived"]
    assert len(result.waits["all"]) == result.metrics["arrived"]


def test_same_seed_same_result_and_another_seed_another():
    scenario = CLOSURE.only("HUUNGHI", "YOUYIGUAN")
    first = simulate_once(scenario, "priority", seed=11, replication=1, keep_trucks=True)
    again = simulate_once(scenario, "priority", seed=11, replication=1, keep_trucks=True)
    other = simulate_once(scenario, "priority", seed=11, replication=2)
    assert first.metrics == again.metrics and first.trucks == again.trucks
    assert first.queue_series == again.queue_series
    assert first.metrics != other.metrics


def test_parallel_replications_equal_serial_ones():
    scenario = load_scenario("normal_day").only("KIMTHANH", "HEKOU")
    serial = run_experiment(scenario, ["fifo", "send_all"], replications=2, seed=4, workers=1)
    parallel = run_experiment(scenario, ["fifo", "send_all"], replications=2, seed=4, workers=2)
    for name in ("fifo", "send_all"):
        assert [r.metrics for r in serial.results[name]] == [r.metrics for r in parallel.results[name]]
    assert parallel.workers == 2
    # Common random numbers: both policies see the very same trucks.
    assert serial.results["fifo"][1].metrics["arrived"] == serial.results["send_all"][1].metrics["arrived"]


@pytest.mark.parametrize("policy", ["fifo", "send_all"])
def test_the_partner_never_takes_more_than_it_announced(policy):
    result = simulate_once(PEAK.only("KIMTHANH", "HUUNGHI").replace(days=3), policy, seed=5)
    for flow in result.flows.values():
        assert all(a <= cap for a, cap in zip(flow.hourly_accepted, flow.hourly_partner, strict=True))
        if policy == "fifo":  # the capacity-aware call-forward stays within min(own, partner) each hour
            assert all(c <= b for c, b in zip(flow.hourly_calls, flow.hourly_budget, strict=True))
            assert all(b <= p for b, p in zip(flow.hourly_budget, flow.hourly_partner, strict=True))
        assert max(flow.hourly_accepted) == max(flow.hourly_partner)  # and it is kept busy


def test_a_closure_stops_the_partner_and_the_calls():
    result = simulate_once(CLOSURE.only("HUUNGHI", "YOUYIGUAN"), "fifo", seed=1)
    closed = range(7, 19)  # 08:00–20:00 Beijing = hours 7..18 from the 00:00 (UTC+7) start
    export, imports = result.flows["HUUNGHI>YOUYIGUAN"], result.flows["YOUYIGUAN>HUUNGHI"]
    assert all(export.hourly_partner[h] == 0 and export.hourly_accepted[h] == 0 for h in closed)
    assert all(export.hourly_calls[h] == 0 for h in closed)  # the notice stops the yard calling
    assert all(imports.hourly_calls[h] == 0 for h in closed)  # Youyiguan's own lanes are shut too
    assert sum(export.hourly_accepted[31:43]) > 0  # open again the next day


def test_sending_everything_fills_the_border_line_and_the_call_forward_does_not():
    scenario = CLOSURE.only("HUUNGHI", "YOUYIGUAN")
    aware = simulate_once(scenario, "fifo", seed=1).flows["HUUNGHI>YOUYIGUAN"]
    flood = simulate_once(scenario, "send_all", seed=1).flows["HUUNGHI>YOUYIGUAN"]
    line_capacity = scenario.flows[0].line_capacity
    assert flood.max_line == line_capacity  # full, so the lanes behind it were blocked
    assert aware.max_line <= 3 * 2 + 4  # about the trucks on their way (3 lanes × 2) and the last calls of a day
    assert aware.max_waiting > flood.max_waiting  # the queue waits in the yard instead


def test_a_new_lane_drains_the_backlog():
    scenario = load_scenario("new_lane").only("KIMTHANH")
    with_lane = simulate_once(scenario, "fifo", seed=2)
    never = tuple(dataclasses.replace(o, opens=o.opens + timedelta(days=365)) for o in scenario.lane_openings)
    without = simulate_once(scenario.replace(lane_openings=never), "fifo", seed=2)
    day2 = slice(24, 48)
    kim_with, kim_without = with_lane.flows["KIMTHANH>HEKOU"], without.flows["KIMTHANH>HEKOU"]
    assert sum(kim_with.hourly_accepted[:24]) == sum(kim_without.hourly_accepted[:24])  # same first day
    assert sum(kim_with.hourly_accepted[day2]) > sum(kim_without.hourly_accepted[day2]) + 50
    assert with_lane.metrics["total_wait.all.mean"] < without.metrics["total_wait.all.mean"]
    assert with_lane.metrics["lane_utilisation"] > 0


def test_perishable_threshold_counts_trucks_over_it():
    result = simulate_once(PEAK.only("HUUNGHI"), "fifo", seed=1)
    waits = result.waits["perishable"]
    threshold = PEAK.perishable_threshold_hours
    assert result.metrics["perishable_over_threshold"] == sum(1 for w in waits if w > threshold) > 0
    assert result.start == PEAK.start and result.sample_minutes == PEAK.sample_minutes
    assert len(result.queue_series) == PEAK.horizon_minutes // PEAK.sample_minutes
    assert timedelta(minutes=PEAK.horizon_minutes) == timedelta(days=PEAK.days + PEAK.drain_days)


# ------------------------------------------------------------------ the node's call-forward, in the twin

COL = {name: i for i, name in enumerate(TRUCK_COLUMNS)}


def _rows(scenario, policy="fifo", seed=1):
    return simulate_once(scenario, policy, seed=seed, keep_trucks=True)


def test_bays_go_to_yellow_and_red_trucks_and_are_never_shared():
    result = _rows(PEAK.only("KIMTHANH", "HUUNGHI").replace(days=2, drain_days=1))
    rows = result.trucks
    with_bay = [r for r in rows if r[COL["bay"]] != ""]
    assert with_bay and {r[COL["risk_lane"]] for r in with_bay} <= {"yellow", "red"}
    assert any(r[COL["risk_lane"]] == "yellow" for r in with_bay)  # the node's rule, not red only
    assert any(r[COL["risk_lane"]] == "yellow" and r[COL["bay"]] == "" for r in rows)  # none free: called anyway
    bays = {f.gate.code: f.gate.inspection_bays for f in PEAK.flows}
    held: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for r in with_bay:
        assert 1 <= r[COL["bay"]] <= bays[r[COL["flow"]].split(">")[0]]
        # held from the call until the truck leaves it for the border line
        held.setdefault((r[COL["flow"]], r[COL["bay"]]), []).append((r[COL["called"]], r[COL["at_line"]]))
    for intervals in held.values():
        intervals.sort()
        assert all(a[1] <= b[0] for a, b in zip(intervals, intervals[1:], strict=False))


def test_the_twenty_minute_rule_puts_a_missed_call_back_in_line():
    scenario = load_scenario("normal_day").only("KIMTHANH")
    everyone_misses = scenario.replace(flows=tuple(dataclasses.replace(f, missed_call_share=1.0)
                                                   for f in scenario.flows))
    result = _rows(everyone_misses)
    rows = result.trucks
    timeout = everyone_misses.yard.call_timeout.total_seconds() / 60
    assert result.metrics["unfinished"] == 0 and result.metrics["missed_calls"] == len(rows)
    for r in rows:
        assert r[COL["missed_calls"]] == 1  # missed the first call, came when called again
        assert r[COL["called"]] >= r[COL["arrived"]] + timeout  # queued again only once the 20 minutes ran out


def test_the_trusted_class_is_the_nodes_rule_over_the_record_the_twin_keeps():
    day = load_scenario("normal_day").only("HUUNGHI", "YOUYIGUAN")
    classes = {r[COL["priority"]] for r in _rows(day).trucks}
    assert classes == {"perishable", "trusted", "ordinary"}
    strict = dataclasses.replace(day.yard, trusted_after=10_000)
    strict_day = day.replace(yard=strict, flows=tuple(dataclasses.replace(f, yard=strict) for f in day.flows))
    spec = dataclasses.replace(day.policy("fifo"), rules=dataclasses.replace(strict, queue_policy="fifo"))
    assert "trusted" not in {r[COL["priority"]] for r in simulate_once(strict_day, spec, keep_trucks=True).trucks}


def test_each_step_calls_within_the_nodes_budget(monkeypatch):
    """Trucks on their way (called, not yet at a lane) never exceed called_per_lane per lane, and the
    model's count of them is what the node would count: its called trucks, by lane."""
    from borderflow.sim import model as model_module
    seen = {"steps": 0, "calls": 0}
    original = model_module.FlowModel._step

    def checked(self, event):
        original(self, event)
        called: dict[str, int] = dict.fromkeys(self.lane_codes, 0)
        for truck in self.unfinished():  # a called truck has neither crossed nor been turned back
            if truck.state == "called":
                called[truck.lane] += 1
        assert called == self.in_flight
        assert sum(called.values()) <= len(self.lane_codes) * self.rules.called_per_lane
        h = int(self.env.now // 60)
        if h < self.hours:
            assert self.calls[h] <= self.places[h]
        seen["steps"] += 1
        seen["calls"] += sum(called.values())

    monkeypatch.setattr(model_module.FlowModel, "_step", checked)
    simulate_once(PEAK.only("KIMTHANH").replace(days=2, drain_days=1), "priority", seed=2)
    assert seen["steps"] > 100 and seen["calls"] > 0


def test_send_all_leaves_the_partner_out_of_the_calendar():
    scenario = PEAK.only("HUUNGHI").replace(days=2, drain_days=1)
    aware = simulate_once(scenario, "fifo").flows["HUUNGHI>YOUYIGUAN"]
    flood = simulate_once(scenario, "send_all").flows["HUUNGHI>YOUYIGUAN"]
    own = [min(o, p) for o, p in zip(aware.hourly_budget, aware.hourly_partner, strict=True)]
    assert aware.hourly_budget == own  # the node: its own calendar capped by the partner's acceptance
    assert any(b > p for b, p in zip(flood.hourly_budget, flood.hourly_partner, strict=True))


def test_a_run_without_rows_lets_each_truck_go_once_tallied_and_reports_the_same(monkeypatch):
    from borderflow.sim import model as model_module
    scenario = PEAK.only("KIMTHANH").replace(days=2, drain_days=1)
    kept = simulate_once(scenario, "priority", seed=2, keep_trucks=True)
    held = []
    collect = model_module.collect

    def watching(scenario, policy, seed, replication, models, *rest):  # noqa: ANN001, ANN202
        held.extend(models)
        return collect(scenario, policy, seed, replication, models, *rest)

    monkeypatch.setattr(model_module, "collect", watching)
    lean = simulate_once(scenario, "priority", seed=2)
    assert lean.trucks is None and lean.metrics == kept.metrics and lean.waits == kept.waits
    assert lean.flows == kept.flows
    finished = kept.metrics["crossed"] + kept.metrics["refused"]
    assert finished > 100
    for model in held:
        assert model.trucks == []  # no truck kept for rows
        assert all(t.state not in ("crossed", "refused") for t in model.unfinished())
    assert sum(len(list(m.unfinished())) for m in held) == kept.metrics["arrived"] - finished
