"""The twin against the minimal SimPy model in instructions executed, not seconds.

On a shared machine one peak day's wall time moves by ±30 % from one run to the next, and
the minimal model and the twin move differently, so the ratio of `bench/simulate.py` swings
between 2.6× and 4.5× for the same code. `valgrind --tool=callgrind` counts the instructions
the interpreter executes, the same for the same code, inputs and environment whatever else
the machine is doing. Each workload runs in its own process after the same warm-up; the
warm-up's own count (workload "none") is subtracted.

Usage: python bench/simulate_instructions.py [--src DIR]   (DIR: another checkout's src, to compare)
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

WORKLOADS = ("none", "minimal", "fifo", "priority", "send_all")


def run_workload(what: str) -> None:
    """One workload after the warm-up (imports, rules, zone data), in this process."""
    from simulate import PEAK_TRUCKS, minimal_model

    from borderflow.sim.model import risk_lanes, simulate_once
    from borderflow.sim.scenario import load_scenario

    peak = load_scenario("durian_peak")
    day_one = peak.replace(days=1, drain_days=1)
    day_one = day_one.replace(demand_scale=PEAK_TRUCKS / day_one.expected_trucks())
    simulate_once(day_one.only("MALUTHANG"), "fifo")
    minimal_model(day_one.only("MALUTHANG"))
    risk_lanes.cache_clear()
    if what == "minimal":
        minimal_model(day_one)
    elif what != "none":
        simulate_once(day_one, what, 1)


def count(what: str, src: str | None) -> int:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    if src:
        env["PYTHONPATH"] = src
    out = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          __file__, "--workload", what], env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", out.stderr)
    if not found:
        raise SystemExit(f"callgrind printed no count for {what}:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workload", choices=WORKLOADS, help=argparse.SUPPRESS)
    parser.add_argument("--src", help="the src folder of another checkout, measured instead of this one")
    args = parser.parse_args()
    if args.workload:
        run_workload(args.workload)
        return
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (Debian: apt-get install valgrind)")
    print(f"# simulator instructions — peak day, five gate pairs — {machine()}")
    counts = {what: count(what, args.src) for what in WORKLOADS}
    base = counts["minimal"] - counts["none"]
    print("| run | instructions | ratio to the minimal model | target |")
    print("|---|---:|---:|---|")
    print(f"| minimal SimPy | {base / 1e6:,.0f} M | 1.00× | |")
    for what in ("fifo", "priority", "send_all"):
        own = counts[what] - counts["none"]
        print(f"| borderflow, {what} | {own / 1e6:,.0f} M | {own / base:.2f}× | ≤ 3×: "
              f"{'met' if own / base <= 3 else 'NOT MET'} |")


if __name__ == "__main__":
    main()
