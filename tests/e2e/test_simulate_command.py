"""`borderflow simulate` as a planner uses it: a table and the findings on the terminal, a report and
CSVs on disk; and `borderflow simulate --from-node`, a scenario measured from a node's own history."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import typer
from typer.testing import CliRunner

from borderflow.sim.command import simulate
from borderflow.sim.scenario import load_scenario
from tests.support.history import DECLARANT, OTHER, History, Truck
from tests.support.nodes import TEST_RULES, TEST_VN_NODE

TINY = textwrap.dedent("""
    name = "tiny"
    title = "Tiny test scenario"
    start = 2026-06-15T00:00:00+07:00
    days = 1
    drain_days = 1
    compare = ["fifo", "priority", "send_all"]
    [[flows]]
    from = "KIMTHANH"
    trucks_per_day = 120
    mix = { durian = 0.5, cassava = 0.5 }
    [[flows]]
    from = "HEKOU"
    trucks_per_day = 80
    mix = { machinery = 1.0 }
""")


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(simulate)

    @app.callback()
    def main() -> None:  # a callback keeps `simulate` a named sub-command, as in the real CLI
        pass

    return app


def _html_is_offline(text: str) -> None:
    assert "<script" not in text and "<link" not in text
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)  # nothing fetched from anywhere
    assert "http://" not in text and "https://" not in text


def test_simulate_prints_the_table_and_writes_the_report(tmp_path):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    out = tmp_path / "report"
    result = CliRunner().invoke(_app(), ["simulate", str(scenario), "--replications", "2", "--workers", "1",
                                         "--seed", "3", "--out", str(out)], env={"COLUMNS": "160"})
    assert result.exit_code == 0, result.output
    assert "perishable wait p95" in result.output and "throughput / capacity bound" in result.output
    assert all(name in result.output for name in ("fifo", "priority", "send_all"))
    assert "report.html" in result.output
    assert "priority vs fifo: " in result.output and "send_all vs fifo: " in result.output  # the findings
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 4 and "Tiny test scenario" in html
    assert html.index("<h2>Findings</h2>") < html.index("<h2>Results</h2>")
    _html_is_offline(html)
    with (out / "trucks.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    summary = {(r["policy"], r["metric"]): r for r in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}
    # Replication 0 of each policy: the same trucks (common random numbers), every one with its timestamps.
    per_policy = {p: [r for r in rows if r["policy"] == p] for p in ("fifo", "priority", "send_all")}
    arrived = float(summary[("fifo", "arrived")]["mean"])
    assert {len(v) for v in per_policy.values()} == {len({r["crossing_id"] for r in per_policy["fifo"]})}
    assert 150 < len(per_policy["fifo"]) and abs(len(per_policy["fifo"]) - arrived) < 60
    first = per_policy["fifo"][0]
    assert first["arrived"].startswith("2026-06-15T") and first["arrived"].endswith("+07:00")
    assert all(r["accepted"] >= r["arrived"] for r in per_policy["fifo"])  # ISO strings in one zone sort
    assert float(summary[("priority", "throughput_ratio")]["mean"]) > 0.95
    assert summary[("fifo", "arrived")]["replications"] == "2"


def test_a_bad_scenario_or_policy_exits_2_with_the_reason(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(TINY.replace('from = "HEKOU"', 'from = "HEKUO"'), encoding="utf-8")
    result = CliRunner().invoke(_app(), ["simulate", str(bad)])
    assert result.exit_code == 2
    assert "bad.toml: flows[1].from: unknown gate 'HEKUO'" in result.output
    result = CliRunner().invoke(_app(), ["simulate", "normal_day", "--policy", "lottery"])
    assert result.exit_code == 2 and "no policy 'lottery'" in result.output
    result = CliRunner().invoke(_app(), ["simulate", "no_such_scenario"])
    assert result.exit_code == 2 and "durian_peak" in result.output


def test_simulate_in_a_separate_process_with_parallel_workers(tmp_path):
    code = ("import typer; from borderflow.sim.command import simulate; app = typer.Typer(); "
            "app.command()(simulate); app.callback()(lambda: None); app()")
    env = {**os.environ, "COLUMNS": "160"}
    result = subprocess.run([sys.executable, "-c", code, "simulate", "normal_day", "--policy", "priority",
                             "--policy", "send_all", "--replications", "2", "--workers", "2",
                             "--out", str(tmp_path / "out")],
                            capture_output=True, text=True, timeout=120, env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 worker(s)" in result.stdout and "priority vs send_all: " in result.stdout  # send_all: FCFS
    assert "4/4" in result.stderr  # the progress bar reached the end
    assert (tmp_path / "out" / "report.html").stat().st_size > 20_000


def test_report_and_out_name_the_same_folder(tmp_path):
    scenario = tmp_path / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    result = CliRunner().invoke(_app(), ["simulate", str(scenario), "--out", "a", "--report", "b"])
    assert result.exit_code == 2 and "--out and --report both name the report folder" in result.output
    result = CliRunner().invoke(_app(), ["simulate"])
    assert result.exit_code == 2 and "--from-node" in result.output


def test_a_new_lane_is_reported_with_and_without_it(tmp_path):
    scenario = tmp_path / "lane.toml"
    scenario.write_text(TINY.replace('name = "tiny"', 'name = "lane"') + textwrap.dedent("""
        [[new_lanes]]
        gate = "KIMTHANH"
        code = "OUT-3"
        direction = "outbound"
        opens = 2026-06-15T12:00:00+07:00
    """), encoding="utf-8")
    out = tmp_path / "lane"
    result = CliRunner().invoke(_app(), ["simulate", str(scenario), "-p", "fifo", "--replications", "2", "--workers",
                                         "2", "--report", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "also without the new lanes" in result.output
    assert "fifo with the new lanes vs fifo without the new lanes: " in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<h2>Without the new lanes</h2>" in html and "fifo with the new lanes against fifo without" in html
    with (out / "summary.csv").open(encoding="utf-8") as handle:
        variants = {row["variant"] for row in csv.DictReader(handle)}
    assert variants == {"with the new lanes", "without the new lanes"}


# ------------------------------------------------------------------ a scenario from the node's history

VN = ZoneInfo("Asia/Ho_Chi_Minh")
SINCE = datetime(2026, 5, 18, tzinfo=VN)  # a Monday: four of each weekday to 2026-06-14
PER_WEEKDAY = (2, 4, 2, 2, 2, 1, 1)  # Hữu Nghị's exports, Monday … Sunday
SLOTS = (7.5, 10, 12.5, 15)  # their local hours of arrival
GOODS = ("cassava", "durian", "shrimp", "pepper")  # durian: yellow by the test rules; shrimp: blue
RED = {6, 14, 22, 30, 38, 46, 54}  # watchlisted plates (shrimp trucks): red, customs inspects
MISSED = {3, 27}  # not there within 20 minutes of the call: called again
PROBLEM = 9  # a durian truck whose documents fail the first check
LATE = 4  # comes 30 minutes after its booked hour (within the node's tolerance: not a no-show)
NO_SHOW_DAYS = (3, 10)  # a booked truck that never comes


def history_plan() -> dict[int, list[Truck]]:
    """28 days at the node: Hữu Nghị's exports through its yard, Kim Thành's without a yard (it keeps
    no call-forward order in the test node), Hữu Nghị's imports through its inbound yard."""
    days, n, red = {}, 0, 0
    for d in range(28):
        day = SINCE + timedelta(days=d)
        trucks = []
        for k in range(PER_WEEKDAY[day.weekday()]):
            arrival = day + timedelta(hours=SLOTS[k])
            slot = None
            if n % 4 == 0:
                slot = (arrival - (timedelta(hours=1, minutes=30) if n == LATE else timedelta(0))).replace(minute=0)
            truck = Truck("HUUNGHI", arrival, GOODS[n % 4], red=n in RED, wait=10 + (n % 3) * 5,
                          tax_id=DECLARANT if n % 2 == 0 else OTHER, slot=slot, missed_call=n in MISSED,
                          problem=n == PROBLEM)
            if truck.red:
                truck.inspection, red = 35 + (red % 3) * 5, red + 1
            trucks.append(truck)
            n += 1
        trucks.append(Truck("KIMTHANH", day + timedelta(hours=9), yard=False, wait=5))
        trucks.append(Truck("HUUNGHI", day + timedelta(hours=16, minutes=30), "machinery", direction="import"))
        days[d] = trucks
    return days


def seed_history(folder: Path, url: str) -> dict[int, list[Truck]]:
    node = History.open(folder, url, SINCE - timedelta(days=3))
    for i in range(3):  # before the window: DECLARANT is an established declarant, OTHER a new one
        truck = Truck("HUUNGHI", SINCE - timedelta(days=3, hours=-8 - 2 * i))
        node.at(truck.arrival - timedelta(minutes=90))
        node.play(truck)
    plan = history_plan()
    for d, trucks in plan.items():
        node.at(SINCE + timedelta(days=d, hours=6))  # the day's declarations and bookings
        for truck in trucks:
            node.declare(truck)
        if d in NO_SHOW_DAYS:
            node.declare(Truck("HUUNGHI", SINCE + timedelta(days=d, hours=16, minutes=20),
                               slot=SINCE + timedelta(days=d, hours=16)))
        for truck in sorted(trucks, key=lambda t: t.arrival):
            node.play(truck)
    node.at(SINCE + timedelta(days=27, hours=20))
    # Youyiguan announces 20 trucks an hour over its 12 goods hours, Beijing time (the twin would take 3 × 12).
    node.partner_notice("YOUYIGUAN", {h: 20 if 8 <= (h + 22) % 24 < 20 else 0 for h in range(48)})
    node.close()
    return plan


@pytest.fixture(scope="module")
def node_history(tmp_path_factory):
    folder = tmp_path_factory.mktemp("node-history")
    url = f"sqlite:///{folder / 'node.sqlite'}"
    plan = seed_history(folder, url)
    env = {"BORDERFLOW_DB_URL": url, "BORDERFLOW_DATA_DIR": str(folder), "BORDERFLOW_RULES": str(TEST_RULES),
           "BORDERFLOW_PER_LANE_PER_HOUR": "10", "COLUMNS": "200"}
    return folder, env, plan


def _calibrate(env: dict, out: Path, *extra: str):
    return CliRunner().invoke(_app(), ["simulate", "--from-node", "--node", str(TEST_VN_NODE), "--until", "2026-06-15",
                                       "--out", str(out), *extra], env=env)


def test_a_scenario_calibrated_from_the_nodes_history_measures_what_happened(node_history, tmp_path):
    folder, env, plan = node_history
    out = tmp_path / "week.toml"
    result = _calibrate(env, out)
    assert result.exit_code == 0, result.output
    assert f"wrote {out}: 112 trucks measured over 2026-05-18 to 2026-06-14 (28 days)" in result.output
    assert f"borderflow simulate {out} --report" in result.output
    text = out.read_text(encoding="utf-8")
    scenario = load_scenario(out)
    flows = {f.gate.code: f for f in scenario.flows}
    assert set(flows) == {"HUUNGHI", "KIMTHANH", "YOUYIGUAN"}  # exports at two gates, imports sent by Youyiguan
    huunghi, kimthanh, imports = flows["HUUNGHI"], flows["KIMTHANH"], flows["YOUYIGUAN"]
    # arrivals per gate, direction, hour and weekday
    assert (huunghi.trucks_per_day, kimthanh.trucks_per_day, imports.trucks_per_day) == (2, 1, 1)
    assert "# 56 trucks over 28 day(s): 56 from yard check-ins." in text
    assert "# 28 trucks over 28 day(s): 28 from declared expected arrivals (no check-in)." in text
    profile = [round(w * 56) for w in huunghi.profile]
    assert profile[7] == 28 and profile[10] == 20 and profile[12] == 4 and profile[15] == 4 and sum(profile) == 56
    assert kimthanh.profile[9] == 1 and imports.profile[17] == 1  # 16:30 in Hanoi is 17:30 at Youyiguan
    assert scenario.start == datetime(2026, 6, 15, tzinfo=VN) and scenario.days == 7
    assert list(scenario.day_factors) == [1, 1.5, 1, 1, 1, 0.75, 0.75]  # 4 trucks a day, 6 on Tuesdays, 3 at weekends
    # commodity and lane mix
    mix = {c.key: round(share * 56) for c, share in huunghi.mix}
    assert mix == {"cassava": 14, "durian": 14, "frozen_shrimp": 14, "hs_09041120": 14}
    assert "[commodities.hs_09041120]" in text and [c.key for c, _ in imports.mix] == ["machinery"]
    assert "green 28 (50%), yellow 14 (25%), blue 7 (12%), red 7 (12%)" in text
    # service, sign-off and inspection times
    service = scenario.service
    assert (service["green"].kind, service["green"].mean) == ("constant", 0)  # the barrier opens on the read
    assert (service["yellow"].mean, service["red"].mean) == (2, 2)  # the check → the read that opens it
    inspections = [t.inspection for trucks in plan.values() for t in trucks if t.red]
    assert service["inspection"].kind == "erlang"
    assert service["inspection"].mean == pytest.approx(sum(inspections) / len(inspections), abs=0.01)
    documents = [(t.arrival + timedelta(minutes=t.wait + t.drive + t.signoff + (t.hold if t.problem else 0))
                  - t.arrival.replace(hour=6, minute=0)).total_seconds() / 60
                 for trucks in plan.values() for t in trucks if t.goods == "durian"]
    assert service["document"].mean == pytest.approx(sum(documents) / len(documents), abs=0.01)
    assert "# hold: the default kept; checks that found a problem measured: 1, need 5" in text
    assert huunghi.drive_minutes == 6 and imports.drive_minutes == 6
    assert "# drive_minutes: the default kept; called trucks measured: 0, need 5" in text  # Kim Thành: no yard
    # no-shows, lateness, missed calls, problems, declarants
    assert huunghi.missed_call_share == pytest.approx(2 / 56, abs=1e-3)
    assert huunghi.problem_share == pytest.approx(1 / 56, abs=1e-3)
    assert huunghi.booked_share == 0.25 and huunghi.new_declarant_share == 0.5 and huunghi.declarants == 2
    assert "#   16 came due: 2 no-shows (12%), 14 used;" in text
    assert "#   of the used: 0 checked in before their hour (0%), 1 after it (7%, 30 min after the hour" in text
    # the node's own rules, and the partner's announced capacity
    assert huunghi.yard.per_lane_per_hour == 10 and "per_lane_per_hour = 10" in text
    assert scenario.rules == str(TEST_RULES)
    youyiguan = [o for gate, o in scenario.outages if gate == "YOUYIGUAN"]
    assert len(youyiguan) == 9 and {o.trucks_per_hour for o in youyiguan} == {20}  # every day, drain included
    assert youyiguan[0].start == datetime(2026, 6, 15, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert "median 20 trucks/h (the twin would assume 30)" in text  # 3 inbound lanes × 10
    # a planner can edit and run it
    report = tmp_path / "week-report"
    result = CliRunner().invoke(_app(), ["simulate", str(out), "--replications", "2", "--workers", "1", "--report",
                                         str(report)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "priority vs fifo: " in result.output
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "<h3>priority against fifo</h3>" in html and "a week like the last 28 days" in html


def test_the_last_four_tuesdays_make_a_tuesday(node_history, tmp_path):
    _, env, _ = node_history
    out = tmp_path / "tuesday.toml"
    result = _calibrate(env, out, "--weekday", "tue", "--min-trucks", "20")  # 24 trucks on four Tuesdays
    assert result.exit_code == 0, result.output
    scenario = load_scenario(out)
    assert scenario.name == "tuesday" and scenario.days == 1 and scenario.drain_days == 1
    assert scenario.start == datetime(2026, 6, 16, tzinfo=VN)  # the first Tuesday after the history
    flows = {f.gate.code: f for f in scenario.flows}
    assert flows["HUUNGHI"].trucks_per_day == 4 and flows["KIMTHANH"].trucks_per_day == 1
    assert "Tuesdays only: 4" in out.read_text(encoding="utf-8")


def test_a_thin_history_is_refused_with_the_trucks_found(node_history, tmp_path):
    _, env, _ = node_history
    result = _calibrate(env, tmp_path / "saturday.toml", "--weekday", "saturday")
    assert result.exit_code == 2
    assert "too little history to calibrate: 12 trucks arrived at VN-BORDER's gates" in result.output
    assert "Saturdays only: 4" in result.output and "at least 50 are needed" in result.output
    assert not (tmp_path / "saturday.toml").exists()
    result = _calibrate({**env, "BORDERFLOW_DB_URL": f"sqlite:///{tmp_path / 'none.sqlite'}"}, tmp_path / "x.toml")
    assert result.exit_code == 2 and "no node database at" in result.output
    result = CliRunner().invoke(_app(), ["simulate", "normal_day", "--from-node"], env=env)
    assert result.exit_code == 2 and "give no SCENARIO" in result.output
