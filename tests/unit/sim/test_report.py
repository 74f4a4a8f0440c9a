"""The report answers the planner's question: findings first (each policy against first come,
first served, with its interval and whether it is significant, what gets worse and for whom),
lane use that never passes 100 %, and a new lane compared with and without it."""

from __future__ import annotations

import csv
import math
import re
import textwrap

import pytest

from borderflow.sim.report import baseline, findings, flow_rows, render_html, write_report
from borderflow.sim.run import busy_within, occupancy, run_experiment, standard_variants, without_new_lanes
from borderflow.sim.scenario import load_scenario, parse_scenario
from borderflow.sim.stats import paired_difference

# Demand above Kim Thanh's lanes for two days; priority's pattern gives perishables three calls in four.
OVERLOAD = textwrap.dedent("""
    name = "overload"
    title = "Priority in an overload"
    start = 2026-06-15T00:00:00+07:00
    days = 2
    drain_days = 2
    compare = ["fifo", "priority", "send_all"]
    [yard]
    per_lane_per_hour = 8
    trusted_after = 10000  # nobody is a trusted trader: ordinary trucks pay for the perishables
    [[flows]]
    from = "KIMTHANH"
    trucks_per_day = 260
    mix = { durian = 0.5, cassava = 0.5 }
    [policies.fifo]
    queue_policy = "fifo"
    [policies.priority]
    queue_policy = "priority"
    call_pattern = ["perishable", "perishable", "perishable", "ordinary"]
    max_wait_hours = 72
""")
# Everything sent to a partner that takes 8 trucks an hour: the border line fills and the trucks
# behind it stay in Kim Thanh's lanes overnight.
BLOCKED = textwrap.dedent("""
    name = "blocked"
    title = "Everything sent to a slow partner"
    start = 2026-06-15T00:00:00+07:00
    days = 2
    drain_days = 1
    compare = ["fifo", "send_all"]
    [[flows]]
    from = "KIMTHANH"
    trucks_per_day = 300
    line_capacity = 10
    mix = { cassava = 1.0 }
    [[outages]]
    gate = "HEKOU"
    direction = "inbound"
    start = 2026-06-15T08:00:00+08:00
    hours = 12
    repeat_days = 3
    trucks_per_hour = 8
    reason = "quarantine: fewer trucks an hour"
""")


@pytest.fixture(scope="module")
def overload():
    return run_experiment(parse_scenario(OVERLOAD, "overload.toml"), replications=4, seed=1, workers=1)


@pytest.fixture(scope="module")
def overload_html(overload):
    return render_html(overload)


@pytest.fixture(scope="module")
def blocked():
    return run_experiment(parse_scenario(BLOCKED, "blocked.toml"), replications=3, seed=1, workers=1)


def _findings_box(html: str) -> str:
    return html[html.index("<section class='findings'"):html.index("</section>")]


# ------------------------------------------------------------------ the statistics


def test_a_paired_difference_is_the_t_interval_of_the_per_replication_differences():
    d = paired_difference([10.0, 12.0, 11.0, 13.0], [4.0, 5.0, 4.5, 5.5])
    assert d.base == 11.5 and d.other == 4.75 and d.n == 4
    assert d.diff.mean == pytest.approx(-6.75)
    # differences −6, −7, −6.5, −7.5: sd 0.6455, t(0.975, 3) = 3.182 → half-width 1.027
    assert d.diff.half_width == pytest.approx(3.1824 * 0.6455 / 2, rel=1e-3)
    assert d.significant and d.relative == pytest.approx(-6.75 / 11.5)
    low, high = d.relative_interval
    assert low == pytest.approx(d.diff.low / 11.5) and high == pytest.approx(d.diff.high / 11.5)


def test_no_difference_and_too_few_replications_are_not_significant():
    assert not paired_difference([1.0, 2.0, 3.0], [1.5, 1.5, 3.5]).significant
    one = paired_difference([1.0], [5.0])
    assert not one.tested and not one.significant
    nan = paired_difference([math.nan, 2.0, 3.0], [1.0, 2.5, 3.5])  # a replication without such trucks
    assert nan.n == 2 and nan.base == 2.5


def test_lane_time_counts_only_in_open_hours():
    open_hours = [0, 1, 1, 0]  # open from minute 60 to 180
    assert busy_within([(30.0, 90.0), (170.0, 230.0), (200.0, 220.0)], open_hours) == 30 + 10


# ------------------------------------------------------------------ findings


def test_the_findings_box_opens_the_report_and_lists_every_policy_with_interval_and_significance(overload,
                                                                                                 overload_html):
    html = overload_html
    box = _findings_box(html)
    assert html.index("<section class='findings'") < html.index("<h2>Policies</h2>") < html.index("<h2>Results</h2>")
    assert baseline(overload).name == "fifo" and "Baseline: <b>fifo</b>, first come, first served" in box
    assert "paired t-interval" in box and "Student-t 95 % interval" in box
    compared = findings(overload)
    assert [c.subject for c in compared] == ["priority", "send_all"]
    for comparison in compared:
        assert f"<h3>{comparison.subject} against fifo</h3>" in box
        assert comparison.items and all(i.diff.tested for i in comparison.items)
        assert all(i.verdict in ("better", "worse", "same") for i in comparison.items)
        # every metric of the comparison in its table: the change with its 95 % interval, and significance
        table = box.split(f"<h3>{comparison.subject} against fifo</h3>")[1].split("</details>")[0]
        rows = re.findall(r"<tr><th scope='row'>.*?</tr>", table)
        assert len(rows) == len(comparison.items)
        for row in rows:
            assert re.search(r"\[[^\]]+\]|the same in every replication", row), row
            assert re.search(r"<td class='(better|worse|same)'>(yes, better|yes, worse|no)</td>", row), row


def test_what_gets_worse_and_for_whom_is_said_as_plainly_as_what_gets_better(overload, overload_html):
    priority = next(c for c in findings(overload) if c.subject == "priority")
    better = {i.measure.metric for i in priority.where("better")}
    worse = {i.measure.metric: i for i in priority.where("worse")}
    assert "total_wait.perishable.p95" in better
    assert "total_wait.ordinary.p95" in worse
    ordinary = worse["total_wait.ordinary.p95"]
    assert ordinary.diff.significant and ordinary.diff.diff.low > 0
    sentence = ordinary.sentence("priority")
    assert re.fullmatch(r"ordinary trucks' p95 wait to cross goes from \d+\.\d h to \d+\.\d h "
                        r"\(\+\d+ % \[\d+, \d+\]\)", sentence), sentence
    headline = priority.headline()
    assert headline.startswith("Priority cuts perishable trucks' p95 wait to cross by ") and sentence in headline
    box = _findings_box(overload_html)
    worse_list = box.split("<h3>priority against fifo</h3>")[1].split("<p class='same'>")[0]
    assert "<b>Worse</b> (significant) — who pays for it:" in worse_list
    assert "Ordinary trucks&#x27; p95 wait to cross goes from" in worse_list


def test_one_replication_says_there_is_no_interval():
    one = run_experiment(parse_scenario(OVERLOAD, "overload.toml"), ["fifo", "priority"], replications=1, workers=1)
    priority = findings(one)[0]
    assert all(i.verdict == "untested" for i in priority.items)
    assert "One replication: no interval and no test" in _findings_box(render_html(one))


# ------------------------------------------------------------------ lane use


def test_lane_use_in_the_report_never_passes_100_percent(blocked, tmp_path):
    send_all = blocked.results["send_all"]
    # The model's own count holds blocked lanes busy through the closed night: above 100 %.
    assert all(r.flows["KIMTHANH>HEKOU"].lane_busy / r.flows["KIMTHANH>HEKOU"].lane_open > 1.2 for r in send_all)
    for spec in blocked.policies:
        for r in blocked.results[spec.name]:
            assert 0 < r.metrics["lane_utilisation"] <= 1 and 0 <= r.metrics["bay_utilisation"] <= 1
            assert r.metrics["flow.KIMTHANH>HEKOU.lane_use"] <= 1
    rows = flow_rows(blocked)
    assert all(0 < row["lane_use"] <= 1 for row in rows)
    assert next(row for row in rows if row["policy"] == "send_all")["lane_use"] > 0.9  # blocked in open hours
    paths = write_report(blocked, tmp_path)
    with paths["summary"].open(encoding="utf-8") as handle:
        use = [float(r["mean"]) for r in csv.DictReader(handle)
               if r["metric"].endswith(("lane_utilisation", "lane_use", "bay_utilisation", "bay_use"))]
    assert use and all(u <= 1 for u in use)
    cells = re.findall(r"<td>(\d+\.\d)%</td></tr>", paths["html"].read_text(encoding="utf-8"))
    assert cells and all(float(c) <= 100 for c in cells)  # the by-flow table's lane use column


def test_lane_time_from_the_trucks_is_the_models_own(blocked):
    """Measured from the trucks' timestamps without the open-hours cut, lane and bay time is exactly
    what the model counted: the cut is the only change."""
    for spec in blocked.policies:
        r = blocked.results[spec.name][0]
        lanes, bays = occupancy(r.trucks, blocked.scenario.horizon_minutes)
        flow = r.flows["KIMTHANH>HEKOU"]
        assert sum(e - s for s, e in lanes) == pytest.approx(flow.lane_busy)
        assert sum(e - s for s, e in bays) == pytest.approx(flow.bay_busy)


# ------------------------------------------------------------------ charts


def test_charts_per_gate_pair_embedded_and_offline(overload_html):
    html = overload_html
    assert html.count("data:image/png;base64,") == 4
    for alt in ("Trucks waiting per gate pair", "Wait to cross by priority class per gate pair",
                "Throughput against capacity per gate pair", "Wait distributions"):
        assert f'alt="{alt}"' in html
    assert "<script" not in html and "http://" not in html and "https://" not in html


# ------------------------------------------------------------------ a new lane, with and without


def test_a_new_lane_is_compared_with_and_without_it():
    scenario = load_scenario("new_lane").only("KIMTHANH", "HEKOU")
    without = without_new_lanes(scenario)
    assert not without.lane_openings
    kimthanh = next(f for f in without.flows if f.gate.code == "KIMTHANH")
    assert kimthanh.gate.lane("OUT-3") is None and kimthanh.partner.lane("IN-3") is None
    assert [label for label, _ in standard_variants(scenario)] == ["without the new lanes"]
    assert standard_variants(without) == []
    exp = run_experiment(scenario, ["fifo", "priority"], replications=3, seed=1, workers=2,
                         variants=standard_variants(scenario))
    assert exp.label == "with the new lanes" and [v.label for v in exp.variants] == ["without the new lanes"]
    variant = exp.variants[0]
    assert [s.name for s in variant.policies] == ["fifo", "priority"]
    lanes = [c for c in findings(exp) if c.variant == "without the new lanes"]
    assert [c.subject for c in lanes] == ["fifo with the new lanes", "priority with the new lanes"]
    fifo = lanes[0]
    p95 = next(i for i in fifo.items if i.measure.metric == "flow.KIMTHANH>HEKOU.total_wait.all.p95")
    assert p95.verdict == "better", p95.change()  # the backlog drains once the lanes open
    html = render_html(exp)
    box = _findings_box(html)
    assert "<h3>fifo with the new lanes against fifo without the new lanes</h3>" in box
    assert "KIMTHANH OUT-3 (outbound) from 2026-06-16T07:00:00+07:00" in box
    assert "<h2>Without the new lanes</h2>" in html
    assert html.count("data:image/png;base64,") == 5  # the four charts, and with against without
