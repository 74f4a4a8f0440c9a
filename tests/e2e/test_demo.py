"""`borderflow demo --headless`: two real nodes on an accelerated clock, a scenario's trucks, one summary line."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest

from borderflow.demo import parse_start, scenario_overrides
from borderflow.reference.region import load_node
from borderflow.sim import load_scenario
from tests.support.nodes import free_port_pair

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]
START, SPEED, DURATION, SCALE = "2026-06-15T07:00", 150, 50, 0.2  # two hours of node time in 50 real seconds
SUMMARY = re.compile(r"demo: (\d+) trucks crossed \((\d+) yellow/red\), (\d+) waiting, (\d+) stuck, "
                     r"nodes agree: (yes|no)")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Two hours of a durian-peak morning from the 07:00 opening, at 150× (50 real seconds), with
    officers finding a problem on one truck in five so that holds, releases and refusals happen."""
    folder = tmp_path_factory.mktemp("demo") / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "borderflow", "demo", "--headless", "--duration", str(DURATION), "--speed", str(SPEED),
         "--scale", str(SCALE), "--start", START, "--problem-share", "0.2",
         "--data-dir", str(folder), "--port", str(free_port_pair())],
        capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return result, folder


def test_the_demo_crosses_checked_trucks_with_none_stuck_no_errors_and_both_nodes_agree(demo):
    result, _ = demo
    lines = result.stdout.strip().splitlines()
    match = SUMMARY.fullmatch(lines[-1])
    assert match, result.stdout
    crossed, checked, stuck, agree = int(match[1]), int(match[2]), int(match[4]), match[5]
    assert crossed >= 1 and checked >= 1, lines[-1]
    assert stuck == 0 and agree == "yes", result.stdout
    assert "errors: 0" in lines, result.stdout


def test_headless_prints_only_the_closing_lines(demo):
    result, _ = demo
    assert result.stdout.strip().splitlines()[0].startswith("errors: ")
    assert "console" not in result.stdout and "key" not in result.stdout


def test_both_nodes_ran_on_the_demo_clock_and_their_own_rules(demo):
    _, folder = demo
    assert (folder / "vn" / "node.toml").is_file() and (folder / "cn" / "keys").is_dir()
    with sqlite3.connect(folder / "vn" / "borderflow.sqlite") as vn:
        created = [row[0] for row in vn.execute("select created_at from crossings order by created_at")]
        calls = vn.execute("select count(*) from yard where called_at is not null").fetchone()[0]
    assert created and created[0].startswith("2026-06-15 00:") and created[-1] < "2026-06-15 03:"  # 07–10 Hanoi
    assert calls >= 1  # the node's own call-forward loop called them: the demo never calls a truck
    with sqlite3.connect(folder / "cn" / "borderflow.sqlite") as cn:
        overrides = {(gate, direction, per_hour, reason) for gate, direction, per_hour, reason in cn.execute(
            "select gate, direction, trucks_per_hour, reason from capacity_overrides")}
        signoffs = cn.execute("select count(*) from inspections").fetchone()[0]
    start = parse_start(START)
    planned = {(gate, b["direction"], b["trucks_per_hour"], b["reason"])
               for gate, b in scenario_overrides(load_scenario("durian_peak"), SCALE, start,
                                                 start + timedelta(seconds=SPEED * DURATION))
               if gate in load_node("cn").node.gates}
    assert overrides == planned  # the scenario's own capacity changes (its partner's slower acceptance), no others
    assert signoffs >= 1


def test_every_barrier_opening_was_sent_to_the_lanes_barrier_and_confirmed(demo):
    """Each goods lane has a simulated barrier: the node tells it `open` on each decision that lets a
    truck through, and it confirms, so the gate operator sees no unconfirmed opening."""
    _, folder = demo
    for side in ("vn", "cn"):
        with sqlite3.connect(folder / side / "borderflow.sqlite") as db:
            barriers = db.execute("select count(*) from devices where kind = 'barrier'").fetchone()[0]
            states = dict(db.execute("select state, count(*) from barrier_commands group by state").fetchall())
            opened = db.execute("select count(*) from gate_events where kind = 'plate_read' "
                                "and decision = 'open'").fetchone()[0]
            reported = db.execute("select count(*) from gate_events where kind = 'barrier' "
                                  "and barrier = 'open'").fetchone()[0]
        lanes = sum(1 for g in load_node(side).node.gates.values() for lane in g.lanes if lane.kind == "goods")
        assert barriers == lanes, side
        assert opened >= 1 and states == {"confirmed": opened}, (side, states, opened)
        assert reported == opened, side
