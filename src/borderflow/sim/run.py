"""Replications in parallel processes, and their means with 95 % confidence intervals.

Each (policy, replication) is one task; its random streams depend only on (seed,
replication, flow, purpose), never on the worker that runs it or the order tasks
finish in, so the same seed gives the same numbers with 1 worker or 16. Policies
share the replication's streams (common random numbers): the same trucks arrive
with the same service times under every policy, so differences are the policy's.
Variants of a scenario (the same scenario without its new lanes, say) run with the
same seeds too, so they pair with the scenario replication by replication.

Each task also measures, from its trucks' timestamps, what the report needs per flow
(`derive`): waits by priority class, the queue in the yard and at the border line over
time, and lane and bay use within the hours the gate is open (a truck blocked in a
lane overnight by a full border line does not make a closed lane "busy").
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from borderflow.domain.capacity import hourly_capacity
from borderflow.domain.gates import Gate
from borderflow.domain.queueing import PRIORITIES
from borderflow.sim.model import TRUCK_COLUMNS, ReplicationResult, simulate_once
from borderflow.sim.scenario import FlowSpec, PolicySpec, Scenario
from borderflow.sim.stats import Difference, Estimate, estimate, paired_difference, percentile

Progress = Callable[[int, int, ReplicationResult], None]
CLASSES = ("all", *PRIORITIES)
_COL = {name: i for i, name in enumerate(TRUCK_COLUMNS)}


@dataclass
class FlowSeries:
    """One flow in one replication, over time: trucks waiting to be called (yard + road) and on the
    border line per sample, and min(own lanes, partner acceptance) per hour."""

    queue: list[int]
    line: list[int]
    capacity: list[int]


@dataclass
class Experiment:
    """Every replication of every compared policy, with the estimates a report needs."""

    scenario: Scenario
    policies: list[PolicySpec]
    replications: int
    seed: int
    results: dict[str, list[ReplicationResult]]  # by policy name, in replication order
    elapsed: float = 0.0
    workers: int = 1
    series: dict[str, list[dict[str, FlowSeries]]] = field(default_factory=dict)  # by policy, replication, flow
    label: str = "as written"
    variants: list[Experiment] = field(default_factory=list)  # the scenario changed, same seeds and policies
    _cache: dict = field(default_factory=dict, repr=False)

    def values(self, policy: str, metric: str) -> list[float]:
        """The metric in each replication, in replication order (NaN where it is undefined)."""
        return [r.metrics.get(metric, math.nan) for r in self.results[policy]]

    def estimate(self, policy: str, metric: str) -> Estimate:
        key = (policy, metric)
        if key not in self._cache:
            self._cache[key] = estimate([v for v in self.values(policy, metric) if not math.isnan(v)])
        return self._cache[key]

    def compare(self, policy: str, base: str, metric: str, against: Experiment | None = None) -> Difference:
        """`policy` minus `base` on a metric, paired by replication (common random numbers); `against`
        takes `base` from another variant of the scenario (same seeds, same trucks)."""
        other = against or self
        return paired_difference(other.values(base, metric), self.values(policy, metric))

    def metric_names(self) -> list[str]:
        first = next(iter(self.results.values()))[0]
        return list(first.metrics)

    def flow_keys(self) -> list[str]:
        return [f.key for f in self.scenario.flows]

    def trucks(self) -> list[tuple]:
        """Per-truck rows kept by the replications that kept them (replication 0 by default)."""
        return [row for runs in self.results.values() for r in runs if r.trucks for row in r.trucks]


# ------------------------------------------------------------------ per-flow measures from the trucks


def gate_at(gate: Gate, scenario: Scenario, at) -> Gate:  # noqa: ANN001
    """The gate with only the lanes already open at `at` (as the model sees it)."""
    later = {o.lane.code for o in scenario.openings_for(gate.code) if o.opens > at}
    if not later:
        return gate
    return dataclasses.replace(gate, lanes=tuple(lane for lane in gate.lanes if lane.code not in later))


def _outbound_lanes(gate: Gate) -> int:
    return sum(1 for lane in gate.lanes if lane.direction == "outbound" and lane.kind == "goods")


def own_calendar(scenario: Scenario, flow: FlowSpec, per_lane_per_hour: int) -> tuple[list[int], list[int]]:
    """Per clock hour of the horizon: the sending gate's own outbound capacity and its outbound
    lanes open (0 while it is closed), by the domain's capacity code, as the model computes them."""
    hours = int(scenario.horizon_minutes // 60)
    overrides = scenario.overrides_for(flow.gate.code, "outbound")
    zone = ZoneInfo(flow.gate.timezone)
    own, lanes, cache = [], [], {}
    for h in range(hours):
        at = scenario.start + timedelta(hours=h)
        gate = gate_at(flow.gate, scenario, at)
        key = (gate.lanes, at.astimezone(zone).hour)
        covered = any(o.covers(at) for o in overrides)
        if not covered and key in cache:
            value = cache[key]
        else:
            value = hourly_capacity(gate, "outbound", at, per_lane_per_hour=per_lane_per_hour, overrides=overrides)
            if not covered:
                cache[key] = value
        own.append(value)
        lanes.append(_outbound_lanes(gate) if value > 0 else 0)
    return own, lanes


def open_minutes_before(open_hours: Sequence[int]) -> Callable[[float], float]:
    """t ↦ minutes of [0, t) that fall in an hour flagged open (1) in `open_hours`."""
    prefix = [0.0]
    for flag in open_hours:
        prefix.append(prefix[-1] + (60.0 if flag else 0.0))
    last = len(open_hours)

    def before(t: float) -> float:
        if t <= 0:
            return 0.0
        h = int(t // 60)
        if h >= last:
            return prefix[last]
        return prefix[h] + (t - 60.0 * h if open_hours[h] else 0.0)

    return before


def busy_within(intervals: Sequence[tuple[float, float]], open_hours: Sequence[int]) -> float:
    """Minutes of the intervals [start, end) that fall in open hours."""
    before = open_minutes_before(open_hours)
    return sum(before(e) - before(s) for s, e in intervals if e > s)


def _nan(x: float) -> bool:
    return x != x


def _column(row: tuple, name: str, default=None):  # noqa: ANN001, ANN202
    i = _COL.get(name)
    return row[i] if i is not None else default


def occupancy(rows: Sequence[tuple], end: float) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """Each truck's time in a lane and in an inspection bay, [start, release), from its timestamps,
    as the model holds them: a truck with a bay leaves its lane for the bay when its lane time
    ends; a truck holds its lane (no bay) or its bay until it is on the border line, blocked
    behind a full line included. A refused truck leaves when its check ends (for one checked at
    its lane that moment is not in the row: its lane time's end stands in for it)."""
    lane_start, lane_end = _COL["lane_start"], _COL["lane_end"]
    bay_start, bay_end, at_line = _COL["bay_start"], _COL["bay_end"], _COL["at_line"]
    lanes, bays = [], []
    for r in rows:
        on_line, refused = r[at_line], bool(_column(r, "refused", False))
        bay = _column(r, "bay", None)
        to_bay = bay not in (None, "") if "bay" in _COL else not _nan(r[bay_start])
        if not _nan(r[lane_start]):
            if to_bay or (refused and _nan(on_line)):
                release = end if _nan(r[lane_end]) else r[lane_end]
            else:
                release = end if _nan(on_line) else on_line
            lanes.append((r[lane_start], release))
        if not _nan(r[bay_start]):
            if not _nan(on_line):
                release = on_line
            else:
                release = r[bay_end] if refused and not _nan(r[bay_end]) else end
            bays.append((r[bay_start], release))
    return lanes, bays


def count_series(starts: Sequence[float], ends: Sequence[float], times: Sequence[float]) -> list[int]:
    """How many intervals have started before each time and not ended before it (ends may be NaN:
    not yet ended). A truck called at the very moment of a sample still counts as waiting, as in
    the model, whose sampler runs before anything else scheduled for that moment."""
    s = sorted(x for x in starts if not _nan(x))
    e = sorted(x for x in ends if not _nan(x))
    return [bisect.bisect_left(s, t) - bisect.bisect_left(e, t) for t in times]


def _summary(values: list[float], prefix: str, out: dict[str, float]) -> None:
    values.sort()
    out[f"{prefix}.mean"] = sum(values) / len(values) if values else math.nan
    out[f"{prefix}.p95"] = percentile(values, 95)
    out[f"{prefix}.max"] = values[-1] if values else math.nan
    out[f"{prefix}.count"] = float(len(values))


def derive(scenario: Scenario, result: ReplicationResult,
           spec: PolicySpec | None = None) -> tuple[dict[str, float], dict[str, FlowSeries]]:
    """Per-flow metrics and series from one replication's truck rows (`keep_trucks=True`).

    Lane use counts a lane busy while a truck is in it, in service or blocked behind a full
    border line, but only in the hours the gate is open, over the lanes open in those hours.
    """
    end = scenario.horizon_minutes
    rows_by_flow: dict[str, list[tuple]] = {f.key: [] for f in scenario.flows}
    for row in result.trucks or ():
        rows_by_flow.setdefault(row[_COL["flow"]], []).append(row)
    samples = [k * float(result.sample_minutes) for k in range(len(result.queue_series))]
    metrics: dict[str, float] = {}
    series: dict[str, FlowSeries] = {}
    lane_busy = lane_open = bay_busy = bay_open = 0.0
    arrived, called, accepted, priority = _COL["arrived"], _COL["called"], _COL["accepted"], _COL["priority"]
    at_line = _COL["at_line"]
    rules = getattr(spec, "rules", None)
    for flow in scenario.flows:
        key, rows = flow.key, rows_by_flow[flow.key]
        rate = rules.per_lane_per_hour if rules is not None else flow.per_lane_per_hour
        own, open_lanes = own_calendar(scenario, flow, rate)
        is_open = [1 if v > 0 else 0 for v in own]
        lanes, bays = occupancy(rows, end)
        f_lane_busy, f_bay_busy = busy_within(lanes, is_open), busy_within(bays, is_open)
        f_lane_open = 60.0 * sum(open_lanes)
        f_bay_open = 60.0 * flow.gate.inspection_bays * sum(is_open)
        lane_busy, lane_open, bay_busy, bay_open = (lane_busy + f_lane_busy, lane_open + f_lane_open,
                                                    bay_busy + f_bay_busy, bay_open + f_bay_open)
        prefix = f"flow.{key}"
        metrics[f"{prefix}.lane_use"] = share(f_lane_busy, f_lane_open)
        metrics[f"{prefix}.bay_use"] = share(f_bay_busy, f_bay_open)
        waits: dict[str, list[float]] = {c: [] for c in CLASSES}
        yard: dict[str, list[float]] = {c: [] for c in CLASSES}
        for r in rows:
            if _column(r, "refused", False):  # turned back: no wait to cross, as in the model's own metrics
                continue
            total = ((end if _nan(r[accepted]) else r[accepted]) - r[arrived]) / 60
            in_yard = ((end if _nan(r[called]) else r[called]) - r[arrived]) / 60
            for cls in ("all", r[priority]):
                waits[cls].append(total)
                yard[cls].append(in_yard)
        for cls in CLASSES:
            _summary(waits[cls], f"{prefix}.total_wait.{cls}", metrics)
            _summary(yard[cls], f"{prefix}.yard_wait.{cls}", metrics)
        fr = result.flows.get(key)
        if fr is not None:
            metrics[f"{prefix}.arrived"] = float(fr.arrived)
            metrics[f"{prefix}.throughput_ratio"] = (fr.accepted_in_horizon / fr.capacity_bound
                                                      if fr.capacity_bound else math.nan)
            metrics[f"{prefix}.max_waiting"] = float(fr.max_waiting)
            metrics[f"{prefix}.max_line"] = float(fr.max_line)
        partner = fr.hourly_partner if fr is not None and fr.hourly_partner else own
        series[key] = FlowSeries(
            queue=count_series([r[arrived] for r in rows], [r[called] for r in rows], samples),
            line=count_series([r[at_line] for r in rows], [r[accepted] for r in rows], samples),
            capacity=[min(a, b) for a, b in zip(own, partner, strict=False)])
    metrics["lane_utilisation"] = share(lane_busy, lane_open)
    metrics["bay_utilisation"] = share(bay_busy, bay_open)
    return metrics, series


def share(busy: float, available: float) -> float:
    """Busy time over available time, at most 1 (a lane that opens mid-hour is counted from the
    next hour, so its first minutes could otherwise push an hour over)."""
    return min(1.0, busy / available) if available else math.nan


# ------------------------------------------------------------------ variants


def without_new_lanes(scenario: Scenario) -> Scenario:
    """The scenario as if its new lanes never opened: the same trucks, the lanes the gates have today."""
    new = {(o.gate, o.lane.code) for o in scenario.lane_openings}

    def strip(gate: Gate) -> Gate:
        lanes = tuple(lane for lane in gate.lanes if (gate.code, lane.code) not in new)
        return gate if len(lanes) == len(gate.lanes) else dataclasses.replace(gate, lanes=lanes)

    flows = tuple(dataclasses.replace(f, gate=strip(f.gate), partner=strip(f.partner)) for f in scenario.flows)
    return scenario.replace(flows=flows, lane_openings=())


def scenario_label(scenario: Scenario) -> str:
    """How the report names the scenario as written next to its variants."""
    return "with the new lanes" if scenario.lane_openings else "as written"


def standard_variants(scenario: Scenario) -> list[tuple[str, Scenario]]:
    """What a report compares a scenario with besides its policies: without its new lanes, if it opens any."""
    if not scenario.lane_openings:
        return []
    return [("without the new lanes", without_new_lanes(scenario))]


# ------------------------------------------------------------------ running


def _task(scenario: Scenario, spec: PolicySpec, seed: int, replication: int,
          keep: bool) -> tuple[ReplicationResult, dict[str, FlowSeries]]:
    result = simulate_once(scenario, spec, seed, replication, keep_trucks=True)
    metrics, series = derive(scenario, result, spec)
    result.metrics.update(metrics)
    if not keep:
        result.trucks = None
    return result, series


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def run_experiment(scenario: Scenario, policies: Sequence[str | PolicySpec] | None = None, *, replications: int = 5,
                   seed: int = 1, workers: int | None = None, keep_trucks: int = 1,
                   progress: Progress | None = None,
                   variants: Sequence[tuple[str, Scenario]] = (), label: str | None = None) -> Experiment:
    """Run every policy for `replications` replications; `keep_trucks` replications keep per-truck rows.

    `variants` are (label, scenario) pairs run with the same policies and seeds (e.g.
    `standard_variants(scenario)`); they come back as `experiment.variants`, in order.
    """
    if replications < 1:
        raise ValueError(f"replications must be 1 or more, got {replications}")
    specs = [scenario.policy(p) if isinstance(p, str) else p for p in (policies or scenario.compare)]
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"a policy is listed twice: {', '.join(names)}")
    versions = [scenario, *(v for _, v in variants)]
    tasks = [(v, spec, rep) for v in range(len(versions)) for rep in range(replications) for spec in specs]
    workers = max(1, min(workers or default_workers(), len(tasks)))
    results: list[dict[str, dict[int, tuple]]] = [{s.name: {} for s in specs} for _ in versions]
    began = time.perf_counter()
    done = 0
    if workers == 1:
        for v, spec, rep in tasks:
            outcome = _task(versions[v], spec, seed, rep, rep < keep_trucks)
            results[v][spec.name][rep] = outcome
            done += 1
            if progress:
                progress(done, len(tasks), outcome[0])
    else:
        # The platform's default start method: fork on Linux (no re-import, and scripts need no
        # `if __name__ == "__main__"` guard), spawn elsewhere (scripts then need the guard).
        # Callers should not run threads meanwhile: the command's progress bar refreshes by hand.
        with ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context()) as pool:
            futures = {pool.submit(_task, versions[v], spec, seed, rep, rep < keep_trucks): (v, spec.name, rep)
                       for v, spec, rep in tasks}
            for future in as_completed(futures):
                v, name, rep = futures[future]
                outcome = future.result()
                results[v][name][rep] = outcome
                done += 1
                if progress:
                    progress(done, len(tasks), outcome[0])
    elapsed = time.perf_counter() - began
    labels = [label or scenario_label(scenario), *(name for name, _ in variants)]
    experiments = []
    for v, version in enumerate(versions):
        ordered = {name: [runs[rep][0] for rep in sorted(runs)] for name, runs in results[v].items()}
        series = {name: [runs[rep][1] for rep in sorted(runs)] for name, runs in results[v].items()}
        experiments.append(Experiment(version, specs, replications, seed, ordered, elapsed, workers, series,
                                      labels[v]))
    main = experiments[0]
    main.variants = experiments[1:]
    return main
