"""The discrete-event model (SimPy) of gate pairs: yard, call-forward, lanes, bays, border line, partner.

One flow = trucks sent from one gate to the gate facing it. A truck's path:

    arrives ─▶ yard (or the road, when the yard is full) ─▶ called forward by the queue policy
      ─▶ an outbound lane (service time by its risk lane colour) ─▶ [red: an inspection bay]
      ─▶ the border line (finite; when full, the truck keeps its lane or bay blocked)
      ─▶ accepted by the partner (at most the partner's capacity in each clock hour) ─▶ crossed

What is reused from the live node, unchanged: the declaration (`domain.declaration`),
its risk lane (`domain.selectivity.assess` with the rules file and `audit_draw(secret,
crossing id)`), the queue policies and their call-up state (`domain.queueing`), and the
capacity calendar (`domain.capacity.hourly_capacity` with the partner's cap read by
`partner_cap_for`). Two call-forward modes:

* ``capacity`` — the yard calls no more trucks in an hour than `hourly_capacity(...,
  partner_cap=announced)` allows, and keeps at most `call_ahead` trucks between the call
  and the partner's acceptance, so the queue stays in the yard where the policy orders it;
* ``send_all`` — the 2021 situation: the yard sends trucks as fast as its own lanes take
  them; the queue forms at the border line, first come first served, whatever the policy.

Trucks are records moved by callbacks on SimPy events rather than one process each:
a process per truck costs more than the rest of the step (see docs/simulator.md).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time as wallclock
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import simpy

from borderflow.domain.capacity import hourly_capacity, partner_cap_for
from borderflow.domain.gates import Gate
from borderflow.domain.queueing import PRIORITIES, CallUpState, Waiting
from borderflow.domain.selectivity import DeclarantHistory, RuleSet, assess, audit_draw
from borderflow.reference.rules_loader import load_rules
from borderflow.sim.arrivals import SimTruck, declaration_of, flow_arrivals, stream
from borderflow.sim.scenario import FlowSpec, PolicySpec, Scenario
from borderflow.sim.stats import percentile

NAN = math.nan
CLASSES = ("all", *PRIORITIES)
STAGES = ("waiting", "lanes", "bays", "line", "crossed")
TRUCK_COLUMNS = ("policy", "replication", "crossing_id", "flow", "priority", "commodity", "hs_code", "perishable",
                 "risk_lane", "plate", "arrived", "called", "lane_start", "lane_end", "bay_start", "bay_end",
                 "at_line", "accepted")


@functools.cache
def _rules(path: str | None) -> RuleSet:
    return load_rules(path)


class Truck:
    """A truck in the model: the generated facts plus its timestamps (minutes since the start; NaN = not yet)."""

    __slots__ = ("sim", "waiting", "risk_lane", "lane_time", "inspection_time", "called", "lane_start",
                 "lane_end", "bay_start", "bay_end", "at_line", "accepted", "holds")

    def __init__(self, sim: SimTruck, waiting: Waiting, risk_lane: str, lane_time: float,
                 inspection_time: float) -> None:
        self.sim = sim
        self.waiting = waiting
        self.risk_lane = risk_lane
        self.lane_time = lane_time
        self.inspection_time = inspection_time
        self.called = self.lane_start = self.lane_end = self.bay_start = self.bay_end = NAN
        self.at_line = self.accepted = NAN
        self.holds = ""  # "lane" or "bay" while blocked by a full border line

    @property
    def stage(self) -> str:
        if self.accepted == self.accepted:
            return "crossed"
        if self.called != self.called:
            return "waiting"
        if self.at_line == self.at_line or self.holds:
            return "line"
        if self.bay_start == self.bay_start or (self.inspection_time and self.lane_end == self.lane_end):
            return "bays"
        return "lanes"


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
    hourly_calls: list[int] = field(default_factory=list)  # trucks the yard called forward
    hourly_budget: list[int] = field(default_factory=list)  # the call-forward's budget


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


def _next_positive(values: list[int]) -> list[int]:
    """For each hour, the first hour after it with a positive value (len(values) if none)."""
    out = [len(values)] * len(values)
    nxt = len(values)
    for h in range(len(values) - 1, -1, -1):
        out[h] = nxt
        if values[h] > 0:
            nxt = h
    return out


def _gate_at(gate: Gate, scenario: Scenario, at: datetime) -> Gate:
    """The gate with only the lanes already open at `at` (lanes a scenario opens later are left out)."""
    later = {o.lane.code for o in scenario.openings_for(gate.code) if o.opens > at}
    if not later:
        return gate
    return dataclasses.replace(gate, lanes=tuple(lane for lane in gate.lanes if lane.code not in later))


def _lanes(gate: Gate, direction: str) -> int:
    return sum(1 for lane in gate.lanes if lane.direction == direction and lane.kind == "goods")


class FlowModel:
    """One flow under one policy: the yard controller, lanes, bays, border line and partner acceptance."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, flow: FlowSpec, policy: PolicySpec, seed: int,
                 replication: int, rules: RuleSet) -> None:
        self.env, self.scenario, self.flow, self.spec = env, scenario, flow, policy
        self.policy = policy.build()
        self.capacity_aware = policy.call_forward == "capacity"
        self.state = CallUpState()
        self.rules, self.seed, self.replication = rules, seed, replication
        self.start = scenario.start
        self.service = scenario.service
        self.service_rng = stream(seed, replication, flow.key, "service")
        self.history: dict[str, list[int]] = {}
        self.trucks: list[Truck] = []
        self._calendars()
        # state
        self.waiting: dict[str, Truck] = {}
        self.lanes_total = _lanes(_gate_at(flow.gate, scenario, scenario.start), "outbound")
        self.lanes_free = self.lanes_total
        self.lane_queue: deque[Truck] = deque()
        self.bays_total = flow.gate.inspection_bays
        self.bays_free = self.bays_total
        self.bay_queue: deque[Truck] = deque()
        self.line: deque[Truck] = deque()
        self.blocked: deque[Truck] = deque()
        self.in_flight = 0
        self.call_ahead = flow.call_ahead or (_lanes(flow.gate, "outbound") + 2)
        # The yard calls when at least this many places are free in the window (capacity mode).
        self.call_batch = (flow.call_batch or max(1, self.call_ahead // 2)) if self.capacity_aware else 1
        self.calls = [0] * self.hours
        self.accepted_in = [0] * self.hours
        self._call_pending = False
        self._call_wake = -1
        self._accept_pending = False
        self._accept_wake = -1
        self.lane_busy = 0.0
        self.bay_busy = 0.0
        self.max_waiting = self.max_road = self.max_line = 0
        self.arrived = 0
        for opening in scenario.openings_for(flow.gate.code):
            if opening.lane.direction == "outbound" and opening.opens > scenario.start:
                at = (opening.opens - scenario.start).total_seconds() / 60
                env.timeout(at).callbacks.append(self._open_lane)
        env.process(self._arrivals())

    # ---------------------------------------------------------------- calendars

    def _calendars(self) -> None:
        """Per clock hour: own lanes, partner acceptance, and the call-forward budget (domain capacity code)."""
        sc, flow = self.scenario, self.flow
        self.hours = hours = int(sc.horizon_minutes // 60)
        own_over, partner_over = sc.overrides_for(flow.gate.code), sc.overrides_for(flow.partner.code)
        closures = [(o.start, o.end) for o in partner_over if o.trucks_per_hour is None]
        self.own, self.partner, self.budget, self.own_lanes_at = [], [], [], []
        cache: dict = {}
        for h in range(hours):
            at = sc.start + timedelta(hours=h)
            gate, partner = _gate_at(flow.gate, sc, at), _gate_at(flow.partner, sc, at)
            key = (gate.lanes, partner.lanes, at.hour)
            covered = any(o.covers(at) for o in own_over) or any(o.covers(at) for o in partner_over)
            if not covered and key in cache:
                own, acceptance, budget = cache[key]
            else:
                own = hourly_capacity(gate, "outbound", at, per_lane_per_hour=flow.per_lane_per_hour,
                                      overrides=own_over)
                acceptance = hourly_capacity(partner, "inbound", at, per_lane_per_hour=flow.partner_per_lane_per_hour,
                                             overrides=partner_over)
                if self.capacity_aware:
                    # The partner's capacity notice for this hour, read as the live node reads it.
                    announced = partner_cap_for([(at, acceptance)], closures, at)
                    budget = hourly_capacity(gate, "outbound", at, per_lane_per_hour=flow.per_lane_per_hour,
                                             overrides=own_over, partner_cap=announced)
                else:
                    budget = own
                if not covered:
                    cache[key] = (own, acceptance, budget)
            self.own.append(own)
            self.partner.append(acceptance)
            self.budget.append(budget)
            self.own_lanes_at.append(_lanes(gate, "outbound") if own > 0 else 0)
        self.next_budget = _next_positive(self.budget)
        self.next_partner = _next_positive(self.partner)

    def _open_lane(self, _event: simpy.Event) -> None:
        self.lanes_total += 1
        self._lane_free()

    # ---------------------------------------------------------------- arrivals

    def _arrivals(self):  # noqa: ANN202 - a SimPy process
        env = self.env
        for sim in flow_arrivals(self.scenario, self.flow, self.seed, self.replication):
            delay = sim.minute - env.now
            if delay > 0:
                yield env.timeout(delay)
            self._arrive(sim)

    def _arrive(self, sim: SimTruck) -> None:
        declarant = sim.declarant
        counts = self.history.get(declarant.tax_id)
        if counts is None:
            counts = self.history[declarant.tax_id] = [declarant.prior_crossings, 0]
        assessment = assess(declaration_of(sim), DeclarantHistory(crossings=counts[0], red_lanes=counts[1]),
                            self.rules, audit_draw(self.scenario.secret, sim.id))
        counts[0] += 1  # as the live node counts a declaration into the declarant's history
        colour = assessment.lane
        if colour == "red":
            counts[1] += 1
        rng = self.service_rng
        lane_time = self.service[colour].sample(rng)
        inspection = self.service["inspection"].sample(rng) if colour == "red" else 0.0
        if inspection and self.bays_total == 0:  # no bay at this gate: inspected in the lane
            lane_time, inspection = lane_time + inspection, 0.0
        truck = Truck(sim, Waiting(sim.id, sim.arrival, sim.priority, sim.booked_from, sim.booked_until),
                      colour, lane_time, inspection)
        self.arrived += 1
        self.trucks.append(truck)  # the statistics need every truck; CSV rows are built only when asked
        self.waiting[sim.id] = truck
        size = len(self.waiting)
        if size > self.max_waiting:
            self.max_waiting = size
            self.max_road = max(0, size - self.flow.gate.yard_capacity)
        self._kick()

    # ---------------------------------------------------------------- the yard's call-forward

    def _kick(self) -> None:
        if not self._call_pending:
            self._call_pending = True
            self.env.timeout(0).callbacks.append(self._call_forward)

    def _wake_at_hour(self, hour: int) -> None:
        if hour >= self.hours or hour == self._call_wake:
            return
        self._call_wake = hour
        self.env.timeout(hour * 60.0 - self.env.now).callbacks.append(self._hour_wake)

    def _hour_wake(self, _event: simpy.Event) -> None:
        self._call_wake = -1
        self._kick()

    def _call_forward(self, _event: simpy.Event) -> None:
        self._call_pending = False
        if not self.waiting:
            return
        now = self.env.now
        h = int(now // 60)
        if h >= self.hours:
            return
        left = self.budget[h] - self.calls[h]
        if self.capacity_aware:
            lead = int((now + self.flow.call_lead_minutes) // 60)
            if lead < self.hours and self.partner[lead] == 0:
                left = 0  # the partner closes before a truck called now could reach it: keep it in the yard
            room = self.call_ahead - self.in_flight
        else:
            room = self.lanes_free - len(self.lane_queue)
        if left <= 0:
            self._wake_at_hour(self.next_budget[h])
            return
        n = min(left, room)
        if n <= 0:
            return  # an acceptance or a free lane will kick again
        if n < self.call_batch and n < left and n < len(self.waiting):
            return  # call in groups: one policy pass per group, not per truck (see call_batch)
        now_at = self.start + timedelta(minutes=now)
        picked, self.state = self.policy.pick([t.waiting for t in self.waiting.values()], now_at, n, self.state)
        calls = self.calls
        for w in picked:
            truck = self.waiting.pop(w.crossing_id)
            truck.called = now
            calls[h] += 1
            self.in_flight += 1
            self._to_lane(truck)
        if self.waiting and calls[h] >= self.budget[h]:
            self._wake_at_hour(self.next_budget[h])

    # ---------------------------------------------------------------- lanes and bays

    def _to_lane(self, truck: Truck) -> None:
        if self.lanes_free > 0:
            self.lanes_free -= 1
            self._serve_lane(truck)
        else:
            self.lane_queue.append(truck)

    def _serve_lane(self, truck: Truck) -> None:
        truck.lane_start = self.env.now
        event = self.env.timeout(truck.lane_time)
        event.callbacks.append(lambda _e, t=truck: self._lane_done(t))

    def _lane_done(self, truck: Truck) -> None:
        truck.lane_end = self.env.now
        if truck.inspection_time:  # red: on to an inspection bay
            self._release_lane(truck)
            self.in_flight -= 1  # parked for inspection: out of the call-forward's window
            if self.bays_free > 0:
                self.bays_free -= 1
                self._serve_bay(truck)
            else:
                self.bay_queue.append(truck)
            return
        self._to_line(truck, "lane")

    def _release_lane(self, truck: Truck) -> None:
        self.lane_busy += self.env.now - truck.lane_start
        self._lane_free()

    def _lane_free(self) -> None:
        if self.lane_queue:
            self._serve_lane(self.lane_queue.popleft())
            return
        self.lanes_free += 1
        if not self.capacity_aware:
            self._kick()

    def _serve_bay(self, truck: Truck) -> None:
        truck.bay_start = self.env.now
        event = self.env.timeout(truck.inspection_time)
        event.callbacks.append(lambda _e, t=truck: self._bay_done(t))

    def _bay_done(self, truck: Truck) -> None:
        truck.bay_end = self.env.now
        self.in_flight += 1
        self._to_line(truck, "bay")

    def _release_bay(self, truck: Truck) -> None:
        self.bay_busy += self.env.now - truck.bay_start
        if self.bay_queue:
            self._serve_bay(self.bay_queue.popleft())
        else:
            self.bays_free += 1

    def _release(self, truck: Truck, holds: str) -> None:
        if holds == "lane":
            self._release_lane(truck)
        else:
            self._release_bay(truck)

    # ---------------------------------------------------------------- border line and partner

    def _to_line(self, truck: Truck, holds: str) -> None:
        if len(self.line) < self.flow.line_capacity:
            truck.at_line = self.env.now
            self.line.append(truck)
            if len(self.line) > self.max_line:
                self.max_line = len(self.line)
            self._release(truck, holds)
            self._accept_kick()
        else:
            truck.holds = holds  # the line is full: the truck stays where it is and blocks it
            self.blocked.append(truck)

    def _accept_kick(self) -> None:
        if not self._accept_pending:
            self._accept_pending = True
            self.env.timeout(0).callbacks.append(self._accept)

    def _accept(self, _event: simpy.Event) -> None:
        self._accept_pending = False
        now = self.env.now
        h = int(now // 60)
        accepted = False
        while self.line and h < self.hours:
            if self.accepted_in[h] >= self.partner[h]:
                nxt = self.next_partner[h]
                if nxt < self.hours and nxt != self._accept_wake:
                    self._accept_wake = nxt
                    self.env.timeout(nxt * 60.0 - now).callbacks.append(self._accept_wake_cb)
                break
            truck = self.line.popleft()
            truck.accepted = now
            self.accepted_in[h] += 1
            self.in_flight -= 1
            accepted = True
            if self.blocked:
                moved = self.blocked.popleft()
                holds, moved.holds = moved.holds, ""
                moved.at_line = now
                self.line.append(moved)
                self._release(moved, holds)
        if accepted and self.capacity_aware:
            self._kick()

    def _accept_wake_cb(self, _event: simpy.Event) -> None:
        self._accept_wake = -1
        self._accept_kick()

    # ---------------------------------------------------------------- results

    def result(self) -> FlowResult:
        sc = self.scenario
        t_end = int(sc.arrival_minutes // 60)
        accepted = sum(self.accepted_in[:t_end])
        crossed = sum(self.accepted_in)
        # Arrivals before each hour boundary, for the capacity bound.
        arrivals_before = [0] * (t_end + 1)
        for truck in self.trucks:
            hour = int(truck.sim.minute // 60)
            if hour < t_end:
                arrivals_before[hour + 1] += 1
        for k in range(1, t_end + 1):
            arrivals_before[k] += arrivals_before[k - 1]
        effective = [min(self.own[h], self.partner[h]) for h in range(self.hours)]
        # Most trucks any policy could have delivered by the end of the arrival period (min-plus bound):
        # min over k of (arrived before hour k + capacity from k to the end).
        bound, suffix = float(arrivals_before[t_end]), 0
        for k in range(t_end, -1, -1):
            if k < t_end:
                suffix += effective[k]
            bound = min(bound, arrivals_before[k] + suffix)
        now = self.env.now
        lane_open = sum(60.0 * self.own_lanes_at[h] for h in range(self.hours))
        bay_open = sum(60.0 * self.bays_total for h in range(self.hours) if self.own[h] > 0)
        lane_busy = self.lane_busy + sum(now - t.lane_start for t in self._holding("lane"))
        bay_busy = self.bay_busy + sum(now - t.bay_start for t in self._holding("bay"))
        counters = {"waiting": len(self.waiting), "lanes": len(self.lane_queue) + (self.lanes_total - self.lanes_free)
                    - sum(1 for t in self.blocked if t.holds == "lane"),
                    "bays": len(self.bay_queue) + (self.bays_total - self.bays_free)
                    - sum(1 for t in self.blocked if t.holds == "bay"),
                    "line": len(self.line) + len(self.blocked), "crossed": crossed}
        return FlowResult(self.flow.key, self.arrived, accepted, crossed, bound,
                          sum(1 for h in range(t_end) if effective[h] > 0), lane_busy, lane_open, bay_busy, bay_open,
                          self.max_waiting, self.max_road, self.max_line, counters, list(self.accepted_in),
                          list(self.partner), list(self.calls), list(self.budget))

    def _holding(self, what: str) -> list[Truck]:
        """Trucks that still occupy a lane or bay at the end (in service or blocked)."""
        out = []
        for t in self.trucks:
            if t.accepted == t.accepted or t.at_line == t.at_line:
                continue
            if what == "lane" and t.lane_start == t.lane_start and (t.lane_end != t.lane_end or t.holds == "lane"):
                out.append(t)
            if what == "bay" and t.bay_start == t.bay_start and (t.bay_end != t.bay_end or t.holds == "bay"):
                out.append(t)
        return out


def simulate_once(scenario: Scenario, policy: str | PolicySpec, seed: int = 1, replication: int = 0, *,
                  keep_trucks: bool = False) -> ReplicationResult:
    """Run one replication of one policy over the whole scenario horizon; deterministic in (seed, replication)."""
    began = wallclock.perf_counter()
    spec = scenario.policy(policy) if isinstance(policy, str) else policy
    rules = _rules(scenario.rules)
    env = simpy.Environment()
    models = [FlowModel(env, scenario, flow, spec, seed, replication, rules)
              for flow in scenario.flows]
    queue_series: list[int] = []
    line_series: list[int] = []

    def sampler():  # noqa: ANN202 - a SimPy process
        step = float(scenario.sample_minutes)
        while True:
            queue_series.append(sum(len(m.waiting) for m in models))
            line_series.append(sum(len(m.line) + len(m.blocked) for m in models))
            yield env.timeout(step)

    env.process(sampler())
    env.run(until=scenario.horizon_minutes)
    result = _collect(scenario, spec, seed, replication, models, queue_series, line_series, keep_trucks)
    result.elapsed = wallclock.perf_counter() - began
    return result


def _collect(scenario: Scenario, spec: PolicySpec, seed: int, replication: int, models: list[FlowModel],
             queue_series: list[int], line_series: list[int], keep_trucks: bool) -> ReplicationResult:
    end = scenario.horizon_minutes
    threshold = scenario.perishable_threshold_hours * 60
    yard: dict[str, list[float]] = {c: [] for c in CLASSES}
    total: dict[str, list[float]] = {c: [] for c in CLASSES}
    line_waits: list[float] = []
    over = perishable = 0
    stages = dict.fromkeys(STAGES, 0)
    for model in models:
        for t in model.trucks:
            arrived = t.sim.minute
            called = t.called if t.called == t.called else end
            accepted = t.accepted if t.accepted == t.accepted else end  # censored at the horizon
            cls = t.sim.priority
            yard[cls].append((called - arrived) / 60)
            total[cls].append((accepted - arrived) / 60)
            if t.at_line == t.at_line:
                line_waits.append((accepted - t.at_line) / 60)
            if t.sim.perishable:
                perishable += 1
                if accepted - arrived > threshold:
                    over += 1
            stages[t.stage] += 1
    for cls in PRIORITIES:
        yard["all"].extend(yard[cls])
        total["all"].extend(total[cls])
    metrics: dict[str, float] = {}
    for name, groups in (("yard_wait", yard), ("total_wait", total)):
        for cls, values in groups.items():
            values.sort()
            metrics[f"{name}.{cls}.mean"] = sum(values) / len(values) if values else NAN
            metrics[f"{name}.{cls}.p95"] = percentile(values, 95)
            metrics[f"{name}.{cls}.max"] = values[-1] if values else NAN
            metrics[f"{name}.{cls}.count"] = float(len(values))
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
    metrics.update({
        "arrived": float(sum(f.arrived for f in flows.values())),
        "crossed": float(sum(f.crossed for f in flows.values())),
        "unfinished": float(sum(f.arrived - f.crossed for f in flows.values())),
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
    for stage, count in stages.items():
        metrics[f"stage.{stage}"] = float(count)
    rows = None
    if keep_trucks:
        rows = [(spec.name, replication, t.sim.id, t.sim.flow, t.sim.priority, t.sim.commodity, t.sim.hs_code,
                 t.sim.perishable, t.risk_lane, t.sim.plate, t.sim.minute, t.called, t.lane_start, t.lane_end,
                 t.bay_start, t.bay_end, t.at_line, t.accepted)
                for m in models for t in m.trucks]
        rows.sort(key=lambda r: (r[10], r[3]))
    return ReplicationResult(
        scenario=scenario.name, policy=spec.name, replication=replication, seed=seed, metrics=metrics,
        waits={cls: total[cls] for cls in CLASSES}, queue_series=queue_series, line_series=line_series,
        hourly_accepted=hourly_accepted, hourly_capacity=hourly_cap, flows=flows, trucks=rows,
        sample_minutes=scenario.sample_minutes, start=scenario.start,
    )


def _ratio(busy: float, available: float) -> float:
    return busy / available if available else NAN
