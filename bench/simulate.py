"""Simulator benchmark: a peak day at the five gate pairs, a 90-day season, the durian-peak policy result.

Each timing is set against a minimal SimPy model of the same queue measured in the same
run (one process per truck, a Resource for the lanes, nothing of borderflow's domain),
so the ratio shows what running the live node's rules costs. Every timing is the best of
`--repeat` runs, each in one process on one core, with the risk-lane cache emptied first
(what a fresh worker pays); the peak day's runs alternate with the minimal model's. Prints
Markdown-ready lines. `bench/simulate_instructions.py` gives the same ratio in instructions,
which the machine's noise does not move.

Usage: python bench/simulate.py [--replications 5] [--workers 2] [--season-days 90] [--skip-season]
                                [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import io
import math
import pstats
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import simpy

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine  # noqa: E402

from borderflow.sim.metrics import TRUCK_COLUMNS  # noqa: E402
from borderflow.sim.model import risk_lanes, simulate_once  # noqa: E402
from borderflow.sim.run import run_experiment  # noqa: E402
from borderflow.sim.scenario import Scenario, load_scenario  # noqa: E402
from borderflow.sim.stats import mmc_wait  # noqa: E402
from borderflow.sim.validation import mmc_scenario  # noqa: E402

PEAK_TRUCKS = 5_000  # SPEC §6: one peak day at all five gate pairs, ~5,000 trucks
PEAK_TARGET_S, SEASON_TARGET_S, RATIO_TARGET = 1.0, 10.0, 3.0  # issue "The twin is the node", Performance


def minimal_model(scenario: Scenario, seed: int = 1) -> tuple[int, float]:
    """The same arrivals (rates, hourly profile, goods hours) and lanes in plain SimPy; returns (trucks, seconds).

    One process per truck: arrive, wait for the gate to open, take a lane (Resource), a
    lognormal lane time, leave. No declaration, selectivity, policy, capacity calendar,
    partner or statistics beyond a mean wait.
    """
    began = time.perf_counter()
    env = simpy.Environment()
    rng = random.Random(seed)
    waits: list[float] = []
    trucks = 0
    green = scenario.service["green"]
    sigma2 = math.log1p((green.sd / green.mean) ** 2)
    mu, sigma = math.log(green.mean) - sigma2 / 2, math.sqrt(sigma2)

    for flow in scenario.flows:
        lanes = simpy.Resource(env, capacity=sum(1 for lane in flow.gate.lanes if lane.direction == "outbound"))
        zone = ZoneInfo(flow.gate.timezone)
        opening, closing = flow.gate.goods_hours

        def open_in(t: float, zone=zone, opening=opening, closing=closing) -> float:  # noqa: ANN001
            local = (scenario.start + timedelta(minutes=t)).astimezone(zone)
            minute = local.hour * 60 + local.minute
            start, end = opening.hour * 60 + opening.minute, closing.hour * 60 + closing.minute
            if start <= minute < end:
                return 0.0
            return (start - minute) % 1440

        def truck(arrived: float, lanes=lanes, open_in=open_in):  # noqa: ANN001, ANN202
            delay = open_in(arrived)
            if delay:
                yield env.timeout(delay)
            with lanes.request() as request:
                yield request
                waits.append(env.now - arrived)
                yield env.timeout(rng.lognormvariate(mu, sigma))

        def source(flow=flow, truck=truck):  # noqa: ANN001, ANN202
            nonlocal trucks
            zone_f = ZoneInfo(flow.gate.timezone)
            for h in range(scenario.days * 24):
                local_hour = (scenario.start + timedelta(hours=h)).astimezone(zone_f).hour
                rate = flow.trucks_per_day * scenario.demand_scale * scenario.day_factor(h // 24) \
                    * flow.profile[local_hour] / 60.0
                t = h * 60.0
                while rate > 0:
                    t += rng.expovariate(rate)
                    if t >= (h + 1) * 60.0:
                        break
                    if t > env.now:
                        yield env.timeout(t - env.now)
                    env.process(truck(env.now))
                    trucks += 1

        env.process(source())
    env.run(until=scenario.horizon_minutes)
    return trucks, time.perf_counter() - began


def minimal_mmc(arrivals_per_hour: float, mean_service_minutes: float, servers: int, days: int,
                seed: int) -> tuple[float, int, float]:
    """A textbook M/M/c in SimPy: (mean wait in queue in hours, trucks, seconds)."""
    began = time.perf_counter()
    env = simpy.Environment()
    rng = random.Random(seed)
    lanes = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def truck():  # noqa: ANN202
        arrived = env.now
        with lanes.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(rng.expovariate(1 / mean_service_minutes))

    def source():  # noqa: ANN202
        while env.now < days * 1440:
            yield env.timeout(rng.expovariate(arrivals_per_hour / 60))
            env.process(truck())

    env.process(source())
    env.run(until=(days + 1) * 1440)
    return statistics.fmean(waits) / 60, len(waits), time.perf_counter() - began


def timed(scenario: Scenario, policy: str, repeat: int = 1) -> tuple[float, float]:
    """(best seconds of `repeat` runs, trucks): one replication in this process, risk-lane cache emptied."""
    best, trucks = math.inf, 0.0
    for _ in range(repeat):
        risk_lanes.cache_clear()
        began = time.perf_counter()
        result = simulate_once(scenario, policy, seed=1)
        best, trucks = min(best, time.perf_counter() - began), result.metrics["arrived"]
    return best, trucks


def baseline(scenario: Scenario, repeat: int) -> tuple[int, float]:
    runs = [minimal_model(scenario) for _ in range(repeat)]
    return runs[0][0], min(seconds for _, seconds in runs)


def verdict(seconds: float, target: float, ratio: float) -> str:
    met = seconds <= target and ratio <= RATIO_TARGET
    return f"≤ {target:g} s and ≤ {RATIO_TARGET:g}×: {'met' if met else 'NOT MET'}"


def profile(scenario: Scenario, policy: str, lines: int = 25) -> str:
    """The hottest functions of one run (cProfile, by own time): what to look at before optimising."""
    risk_lanes.cache_clear()
    profiler = cProfile.Profile()
    profiler.runcall(simulate_once, scenario, policy, 1)
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(lines)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replications", type=int, default=5, help="durian-peak replications per policy")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--season-days", type=int, default=90)
    parser.add_argument("--skip-season", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timings are the best of this many runs")
    parser.add_argument("--profile", action="store_true", help="print the peak day's profile (priority) and stop")
    args = parser.parse_args()
    print(f"# simulator benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}")
    print()

    # ---- one peak day at all five gate pairs
    peak = load_scenario("durian_peak")
    day_one = peak.replace(days=1, drain_days=1)
    day_one = day_one.replace(demand_scale=PEAK_TRUCKS / day_one.expected_trucks())
    simulate_once(day_one.only("MALUTHANG"), "fifo")  # warm-up: imports, rules, zone data
    if args.profile:
        print(profile(day_one, "priority"))
        return
    print("| run | trucks | borderflow | minimal SimPy | ratio | target |")
    print("|---|---:|---:|---:|---:|---|")
    # Rounds of the minimal model and each policy one after the other, so that the best of each comes
    # from the same stretch of a machine whose speed drifts by tens of per cent within minutes.
    policies = ("fifo", "priority", "send_all")
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in ("minimal", *policies)}
    for _ in range(args.repeat):
        trucks_n, seconds = minimal_model(day_one)
        runs["minimal"].append((seconds, trucks_n))
        for policy in policies:
            runs[policy].append(timed(day_one, policy))
    base_s, base_trucks = min(runs["minimal"])
    for policy in policies:
        seconds, trucks = min(runs[policy])
        print(f"| peak day, 5 gate pairs, {policy} | {trucks:,.0f} | {seconds:.2f} s | {base_s:.2f} s "
              f"({base_trucks:,} trucks) | {seconds / base_s:.1f}× | "
              f"{verdict(seconds, PEAK_TARGET_S, seconds / base_s)} |")

    # ---- a season on one core
    if not args.skip_season:
        season = load_scenario("normal_day").replace(days=args.season_days, drain_days=1)
        base_trucks, base_s = baseline(season, 1)
        seconds, trucks = timed(season, "priority")
        print(f"| {args.season_days}-day season (normal days), priority, 1 core | {trucks:,.0f} | {seconds:.1f} s | "
              f"{base_s:.1f} s ({base_trucks:,} trucks) | {seconds / base_s:.1f}× | "
              f"{verdict(seconds, SEASON_TARGET_S, seconds / base_s)} |")

    # ---- the same M/M/c queue, both ways, against Erlang C
    lam, service, servers, days = 7.2, 20.0, 3, 60
    wq = mmc_wait(lam, 60 / service, servers)
    began = time.perf_counter()
    ours = simulate_once(mmc_scenario(lam, service, servers, days), "fifo", seed=3)
    ours_s = time.perf_counter() - began
    base_wq, base_n, base_s = minimal_mmc(lam, service, servers, days, seed=3)
    print(f"| M/M/3, ρ = 0.8, {days} days | {ours.metrics['arrived']:,.0f} | {ours_s:.2f} s (Wq "
          f"{ours.metrics['lane_wait.all.mean']:.3f} h) | {base_s:.2f} s (Wq {base_wq:.3f} h, {base_n:,} trucks) | "
          f"{ours_s / base_s:.1f}× | Erlang C Wq = {wq:.3f} h |")
    print()

    # ---- the durian-peak policy comparison
    exp = run_experiment(peak, ["fifo", "priority", "send_all"], replications=args.replications, seed=1,
                         workers=args.workers, keep_trucks=args.replications)
    e = exp.estimate
    fifo_p95, prio_p95 = e("fifo", "total_wait.perishable.p95"), e("priority", "total_wait.perishable.p95")
    cut = 1 - prio_p95.mean / fifo_p95.mean
    max_wait = peak.policy("priority").rules.max_wait.total_seconds() / 3600
    ratios = {name: min(r.metrics["throughput_ratio"] for r in exp.results[name]) for name in ("fifo", "priority")}
    print(f"Durian peak ({peak.days} days + {peak.drain_days} to drain, ~{peak.expected_trucks():,.0f} trucks, "
          f"{args.replications} replications, mean ± 95 % CI, {exp.elapsed:.1f} s on {exp.workers} workers):")
    print()
    print("| measure | fifo | priority | send_all | target |")
    print("|---|---:|---:|---:|---|")
    row = lambda label, metric, digits=1, note="": print(  # noqa: E731
        f"| {label} | " + " | ".join(e(n, metric).format(digits) for n in ("fifo", "priority", "send_all"))
        + f" | {note} |")
    print(f"| perishable wait p95 (h) | {fifo_p95.format()} | {prio_p95.format()} | "
          f"{e('send_all', 'total_wait.perishable.p95').format()} | cut ≥ 60 %: {cut:.0%} "
          f"({'met' if cut >= 0.6 else 'NOT MET'}) |")
    row("perishable wait mean (h)", "total_wait.perishable.mean")
    row("perishable trucks over 24 h", "perishable_over_threshold", 0)
    print(f"| throughput / capacity bound | {e('fifo', 'throughput_ratio').format(4)} | "
          f"{e('priority', 'throughput_ratio').format(4)} | {e('send_all', 'throughput_ratio').format(4)} | ≥ 99 %: "
          f"worst replication {min(ratios.values()):.2%} ({'met' if min(ratios.values()) >= 0.99 else 'NOT MET'}) |")
    row("calls that ran out (20-minute rule)", "missed_calls", 0)
    col = {name: i for i, name in enumerate(TRUCK_COLUMNS)}
    waits = [((r[col["accepted"]] - r[col["arrived"]]) / 60, r[col["missed_calls"]])
             for run in exp.results["priority"] for r in run.trucks or ()]
    kept = max(w for w, missed in waits if not missed)
    again = max(w for w, missed in waits if missed)
    unfinished = sum(r.metrics["unfinished"] for r in exp.results["priority"])
    row("ordinary wait max (h)", "total_wait.ordinary.max", 1,
        f"no starvation: worst {kept:.1f} h among trucks that kept their call ≤ max_wait {max_wait:g} h + 24 h "
        f"({'met' if kept <= max_wait + 24 and unfinished == 0 else 'NOT MET'}); {again:.1f} h for one put back in "
        f"line (its aging starts again); {unfinished:.0f} left")
    row("ordinary wait p95 (h)", "total_wait.ordinary.p95")
    row("trusted wait p95 (h)", "total_wait.trusted.p95")
    row("border-line wait mean (h)", "line_wait.all.mean", 2)
    row("most trucks at one border line", "max_line", 0)
    row("lane utilisation", "lane_utilisation", 3)
    row("bay utilisation", "bay_utilisation", 3)

    # ---- what the missed calls cost: the same peak with every driver coming when first called
    punctual = peak.replace(flows=tuple(dataclasses.replace(f, missed_call_share=0.0) for f in peak.flows))
    exp2 = run_experiment(punctual, ["fifo", "priority"], replications=args.replications, seed=1,
                          workers=args.workers, keep_trucks=0)
    print()
    print("The same peak with every driver coming when first called (`missed_call_share = 0`):")
    print()
    print("| measure | fifo | priority |")
    print("|---|---:|---:|")
    for label, metric, digits in (("throughput / capacity bound", "throughput_ratio", 4),
                                  ("calls that ran out (20-minute rule)", "missed_calls", 0),
                                  ("perishable wait p95 (h)", "total_wait.perishable.p95", 1),
                                  ("ordinary wait max (h)", "total_wait.ordinary.max", 1)):
        print(f"| {label} | {exp2.estimate('fifo', metric).format(digits)} | "
              f"{exp2.estimate('priority', metric).format(digits)} |")


if __name__ == "__main__":
    main()
