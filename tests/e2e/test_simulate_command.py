"""`borderflow simulate` as a planner uses it: a table on the terminal, a report and CSVs on disk."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import textwrap

import typer
from typer.testing import CliRunner

from borderflow.sim.command import simulate

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
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("data:image/png;base64,") == 3 and "Tiny test scenario" in html
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
    assert "2 worker(s)" in result.stdout and "send_all vs priority" in result.stdout
    assert "4/4" in result.stderr  # the progress bar reached the end
    assert (tmp_path / "out" / "report.html").stat().st_size > 20_000
