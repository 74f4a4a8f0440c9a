"""What one replication measured: per-flow results, the replication's metrics, the per-truck rows.

Plain values only, so a result pickles across worker processes. Waits are in hours;
timestamps in the rows are minutes since the scenario start (NaN: not reached).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from borderflow.domain.queueing import PRIORITIES
from borderflow.sim.stats import percentile

NAN = math.nan
CLASSES = ("all", *PRIORITIES)
STAGES = ("waiting", "lanes", "bays", "line", "crossed", "refused")
# a truck's state in the model → its stage
STAGE_OF = {"road": "waiting", "waiting": "waiting", "called": "lanes", "lane": "lanes", "bay": "bays",
            "line": "line", "blocked": "line", "crossed": "crossed", "refused": "refused"}
# The columns of a truck row; every column from "arrived" on is a time (report.py writes them as ISO 8601).
TRUCK_COLUMNS = ("policy", "replication", "crossing_id", "flow", "priority", "commodity", "hs_code", "perishable",
                 "risk_lane", "plate", "lane", "bay", "missed_calls", "refused", "arrived", "called", "lane_start",
                 "lane_end", "bay_start", "bay_end", "at_line", "accepted")


@dataclass
class FlowResult:
    key: str
    arrived: int
    accepted_in_horizon: int
    crossed: int
    capacity_bound: float
    open_hours: int
    lane_busy: float
    lane_open: float
    bay_busy: float
    bay_open: float
    max_waiting: int
    max_road: int
    max_line: int
    counters: dict[str, int]  # what the engine holds at the end, by stage
    hourly_accepted: list[int] = field(default_factory=list)
    hourly_partner: list[int] = field(default_factory=list)  # the partner's acceptance capacity
    hourly_calls: list[int] = field(default_factory=list)  # calls that kept their place (none that ran out)
    hourly_budget: list[int] = field(default_factory=list)  # the places the calendar gave the yard that hour
    refused: int = 0
    missed_calls: int = 0  # calls that ran out (the 20-minute rule put the truck back in line)


@dataclass
class ReplicationResult:
    """What one replication of one policy measured; plain values, so it pickles across processes."""

    scenario: str
    policy: str
    replication: int
    seed: int
    metrics: dict[str, float]
    waits: dict[str, list[float]]  # total wait in hours, by priority class
    queue_series: list[int]  # trucks waiting to be called (yard + road), all flows, per sample
    line_series: list[int]  # trucks at the border line, all flows, per sample
    hourly_accepted: list[int]  # trucks accepted by partners in each hour, all flows
    hourly_capacity: list[int]  # min(own lanes, partner acceptance) in each hour, all flows
    flows: dict[str, FlowResult]
    trucks: list[tuple] | None = None
    elapsed: float = 0.0
    sample_minutes: int = 30
    start: datetime | None = None


def capacity_bound(arrival_hours: Sequence[int], effective: Sequence[int], t_end: int) -> float:
    """The most trucks any policy could deliver by the end of the arrival period (a min-plus bound):
    min over hours k of (trucks arrived before k + capacity from k to the end)."""
    before = [0] * (t_end + 1)
    for hour in arrival_hours:
        if hour < t_end:
            before[hour + 1] += 1
    for k in range(1, t_end + 1):
        before[k] += before[k - 1]
    bound, suffix = float(before[t_end]), 0
    for k in range(t_end, -1, -1):
        if k < t_end:
            suffix += effective[k]
        bound = min(bound, before[k] + suffix)
    return bound


def _summary(values: list[float], prefix: str, out: dict[str, float]) -> None:
    values.sort()
    out[f"{prefix}.mean"] = sum(values) / len(values) if values else NAN
    out[f"{prefix}.p95"] = percentile(values, 95)
    out[f"{prefix}.max"] = values[-1] if values else NAN
    out[f"{prefix}.count"] = float(len(values))


def _ratio(busy: float, available: float) -> float:
    return busy / available if available else NAN


class Tally:
    """What the statistics keep of each truck: added as each one crosses or is turned back, so that a
    long run need not keep every truck, and at the end for those still on their way (censored at
    the horizon). The lists are sorted before they are summed, so the order trucks come in is no
    part of any figure."""

    __slots__ = ("end", "threshold", "yard", "total", "to_lane", "line_waits", "over", "perishable", "refused",
                 "states")

    def __init__(self, end: float, threshold: float) -> None:
        self.end, self.threshold = end, threshold  # minutes: the horizon, the perishable threshold
        self.yard: dict[str, list[float]] = {c: [] for c in CLASSES}  # arrival → called, hours
        self.total: dict[str, list[float]] = {c: [] for c in CLASSES}  # arrival → accepted, hours
        self.to_lane: list[float] = []
        self.line_waits: list[float] = []
        self.over = self.perishable = self.refused = 0
        self.states = dict.fromkeys(STAGE_OF, 0)

    def add(self, t) -> None:  # noqa: ANN001 - a sim.model.Truck
        self.states[t.state] += 1
        if t.state == "refused":  # turned back: it never crosses, so it has no wait to cross
            self.refused += 1
            return
        end, arrived = self.end, t.sim.minute
        called = t.called if t.called == t.called else end
        accepted = t.accepted if t.accepted == t.accepted else end  # censored at the horizon
        cls = t.priority
        self.yard[cls].append((called - arrived) / 60)
        self.total[cls].append((accepted - arrived) / 60)
        self.to_lane.append(((t.lane_start if t.lane_start == t.lane_start else end) - arrived) / 60)
        if t.at_line == t.at_line:
            self.line_waits.append((accepted - t.at_line) / 60)
        if t.sim.perishable:
            self.perishable += 1
            if accepted - arrived > self.threshold:
                self.over += 1

    def merge(self, other: Tally) -> None:
        for mine, theirs in ((self.yard, other.yard), (self.total, other.total)):
            for cls, values in theirs.items():
                mine[cls].extend(values)
        self.to_lane.extend(other.to_lane)
        self.line_waits.extend(other.line_waits)
        self.over += other.over
        self.perishable += other.perishable
        self.refused += other.refused
        for state, count in other.states.items():
            self.states[state] += count


def collect(scenario, policy: str, seed: int, replication: int, models: Sequence,  # noqa: ANN001
            queue_series: list[int], line_series: list[int], keep_trucks: bool) -> ReplicationResult:
    """The replication's metrics from its flow models (`sim.model.FlowModel`) at the end of the run."""
    tally = Tally(scenario.horizon_minutes, scenario.perishable_threshold_hours * 60)
    for model in models:
        tally.merge(model.tally)  # the trucks that crossed or were turned back
        for t in model.unfinished():
            tally.add(t)
    yard, total, to_lane, line_waits = tally.yard, tally.total, tally.to_lane, tally.line_waits
    over, perishable, refused, states = tally.over, tally.perishable, tally.refused, tally.states
    for cls in PRIORITIES:
        yard["all"].extend(yard[cls])
        total["all"].extend(total[cls])
    metrics: dict[str, float] = {}
    for name, groups in (("yard_wait", yard), ("total_wait", total)):
        for cls, values in groups.items():
            _summary(values, f"{name}.{cls}", metrics)
    _summary(to_lane, "lane_wait.all", metrics)  # arrival → the start of lane service
    line_waits.sort()
    metrics["line_wait.all.mean"] = sum(line_waits) / len(line_waits) if line_waits else NAN
    metrics["line_wait.all.max"] = line_waits[-1] if line_waits else NAN
    flows = {m.flow.key: m.result() for m in models}
    accepted = sum(f.accepted_in_horizon for f in flows.values())
    bound = sum(f.capacity_bound for f in flows.values())
    t_end = int(scenario.arrival_minutes // 60)
    hours = models[0].hours if models else 0
    hourly_accepted = [sum(m.accepted_in[h] for m in models) for h in range(hours)]
    hourly_cap = [sum(min(m.own[h], m.partner[h]) for m in models) for h in range(hours)]
    open_hours = sum(1 for h in range(t_end) if hourly_cap[h] > 0)
    arrived_n = sum(f.arrived for f in flows.values())
    crossed = sum(f.crossed for f in flows.values())
    metrics.update({
        "arrived": float(arrived_n),
        "crossed": float(crossed),
        "refused": float(refused),
        "unfinished": float(arrived_n - crossed - refused),
        "missed_calls": float(sum(f.missed_calls for f in flows.values())),
        "accepted_in_horizon": float(accepted),
        "capacity_bound": float(bound),
        "throughput_ratio": accepted / bound if bound else NAN,
        "throughput_per_hour": accepted / open_hours if open_hours else NAN,
        "perishable_over_threshold": float(over),
        "perishable_over_threshold_share": over / perishable if perishable else 0.0,
        "lane_utilisation": _ratio(sum(f.lane_busy for f in flows.values()), sum(f.lane_open for f in flows.values())),
        "bay_utilisation": _ratio(sum(f.bay_busy for f in flows.values()), sum(f.bay_open for f in flows.values())),
        "max_waiting": float(sum(f.max_waiting for f in flows.values())),
        "max_road": float(sum(f.max_road for f in flows.values())),
        "max_line": float(max((f.max_line for f in flows.values()), default=0)),
    })
    stages = dict.fromkeys(STAGES, 0)
    for state, count in states.items():
        stages[STAGE_OF[state]] += count
    for stage, count in stages.items():
        metrics[f"stage.{stage}"] = float(count)
    rows = None
    if keep_trucks:
        rows = [(policy, replication, t.sim.id, t.sim.flow, t.priority, t.sim.commodity, t.sim.hs_code,
                 t.sim.perishable, t.risk_lane, t.sim.plate, t.served_lane or t.lane or "", t.bay or "",
                 t.missed_calls, t.state == "refused", t.sim.minute, t.called, t.lane_start, t.lane_end, t.bay_start,
                 t.bay_end, t.at_line, t.accepted)
                for m in models for t in m.trucks]
        rows.sort(key=lambda r: (r[14], r[3]))
    return ReplicationResult(
        scenario=scenario.name, policy=policy, replication=replication, seed=seed, metrics=metrics,
        waits={cls: total[cls] for cls in CLASSES}, queue_series=queue_series, line_series=line_series,
        hourly_accepted=hourly_accepted, hourly_capacity=hourly_cap, flows=flows, trucks=rows,
        sample_minutes=scenario.sample_minutes, start=scenario.start,
    )
