"""The discrete-event model (SimPy) of gate pairs: yard, call-forward, lanes, bays, border line, partner.

One flow = trucks sent from one gate to the gate facing it. A truck's path:

    arrives ─▶ checks in at the yard (or waits on the road while the yard is full)
      ─▶ called forward ─▶ drives to the lanes ─▶ an outbound lane (service time by its risk-lane colour)
      ─▶ [yellow, red with a free bay: its inspection bay] ─▶ the agencies' sign-offs
      ─▶ the border line (finite; when full, the truck keeps its lane or bay blocked)
      ─▶ accepted by the partner (at most its announced acceptance in each clock hour) ─▶ crossed

The node's own code decides, unchanged: the declaration (`domain.declaration`), its
risk lane (`domain.selectivity.assess` with the node's rules file and `audit_draw(secret,
crossing id)`, see `sim/lanes.py`), the agencies that must sign off (`domain.signoffs`,
the rules file's [[signoffs]]), the priority class (`YardRules.priority_of` over the
declarant's record as the sim keeps it: crossings, refusals, failed inspections), the
capacity calendar (`domain.capacity.hourly_capacity`, capped by the partner's
acceptance read as the node reads a notice, `partner_acceptance`), and the call-forward
step itself (`domain.call_forward.decide_calls`: the budget, the queue policy with its
call-up state, the lane, the bay), run when the node's scheduler would run it (every
`call_forward_seconds`), after the 20-minute rule has put late trucks back in line.

`send_all` (the 2021 situation, not a node policy) runs the same step with the partner's
acceptance left out of the calendar: the yard sends what its own lanes and hours allow,
first come first served, and the queue forms at the border line.

Trucks are records moved by callbacks on SimPy events rather than one process each:
a process per truck costs more than the rest of the step (see docs/simulator.md).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import gc
import heapq
import math
import random
import time as wallclock
from array import array
from collections import deque
from collections.abc import Callable, Iterable
from datetime import timedelta
from zoneinfo import ZoneInfo

import simpy

from borderflow.domain.call_forward import decide_calls, keeps_booking
from borderflow.domain.capacity import hourly_capacity, partner_acceptance
from borderflow.domain.gates import Gate
from borderflow.domain.queueing import CallUpState, Waiting
from borderflow.reference.rules_loader import load_rule_files
from borderflow.sim.arrivals import SimTruck, flow_arrivals, stream
from borderflow.sim.distributions import Distribution
from borderflow.sim.lanes import RiskLanes
from borderflow.sim.metrics import (CLASSES, STAGES, TRUCK_COLUMNS, FlowResult, ReplicationResult, Tally,
                                     capacity_bound, collect)
from borderflow.sim.scenario import SEND_ALL, FlowSpec, PolicySpec, Scenario
from borderflow.sim.trace import CallRecord, Trace
from borderflow.sim.yard import YardQueue

NAN = math.nan
EPSILON = 1e-7  # minutes: "strictly after" a deadline

__all__ = ["CLASSES", "STAGES", "TRUCK_COLUMNS", "FlowModel", "FlowResult", "ReplicationResult", "simulate_once"]


@functools.lru_cache(maxsize=16)
def risk_lanes(rules: str | None, secret: bytes) -> RiskLanes:
    """One node's selectivity and sign-off rules, with the cache kept for the process's later runs."""
    selectivity, signoffs = load_rule_files(rules)
    return RiskLanes(selectivity, signoffs, secret)


class Truck:
    """A truck in the model: the generated facts, what the node decided, and its timestamps
    (minutes since the start; NaN = not yet)."""

    __slots__ = ("sim", "w", "priority", "risk_lane", "lane_time", "phys", "docs_ready", "hold", "fails", "refuse",
                 "misses", "state", "seq", "lane", "served_lane", "bay", "deadline", "called_hour", "missed_calls",
                 "called", "lane_start", "lane_end", "bay_start", "bay_end", "at_line", "accepted", "holds")

    def __init__(self, sim: SimTruck, priority: str, risk_lane: str, lane_time: float, phys: float,
                 docs_ready: float, hold: float, fails: int, refuse: bool, misses: bool) -> None:
        self.sim, self.priority, self.risk_lane = sim, priority, risk_lane
        self.lane_time, self.phys, self.docs_ready, self.hold = lane_time, phys, docs_ready, hold
        self.fails, self.refuse, self.misses = fails, refuse, misses
        self.w: Waiting | None = None
        self.state = "road"
        self.seq = 0  # bumped at each call and each requeue: events of an earlier call are ignored
        self.lane: str | None = None  # the lane it was called to
        self.served_lane: str | None = None  # the lane it was served at
        self.bay: int | None = None
        self.deadline = NAN
        self.called_hour = -1
        self.missed_calls = 0
        self.called = self.lane_start = self.lane_end = self.bay_start = self.bay_end = NAN
        self.at_line = self.accepted = NAN
        self.holds = ""  # "lane" or "bay" while blocked by a full border line


def _sampler(distribution: Distribution) -> Callable[[random.Random], float]:
    """`distribution.sample`, with its parameters worked out once (the same draws, the same values)."""
    if distribution.kind == "lognormal" and distribution.sd > 0:
        sigma2 = math.log1p((distribution.sd / distribution.mean) ** 2)
        mu, sigma = math.log(distribution.mean) - sigma2 / 2, math.sqrt(sigma2)
        return lambda rng: rng.lognormvariate(mu, sigma)
    return distribution.sample


def _next_positive(values: list[int]) -> list[int]:
    """For each hour, the first hour after it with a positive value (len(values) if none)."""
    out = [len(values)] * len(values)
    nxt = len(values)
    for h in range(len(values) - 1, -1, -1):
        out[h] = nxt
        if values[h] > 0:
            nxt = h
    return out


def _gate_at(gate: Gate, scenario: Scenario, at) -> Gate:  # noqa: ANN001
    """The gate with only the lanes already open at `at` (lanes a scenario opens later are left out)."""
    later = {o.lane.code for o in scenario.openings_for(gate.code) if o.opens > at}
    if not later:
        return gate
    return dataclasses.replace(gate, lanes=tuple(lane for lane in gate.lanes if lane.code not in later))


def _goods_lanes(gate: Gate, direction: str) -> list[str]:
    return [lane.code for lane in gate.lanes if lane.direction == direction and lane.kind == "goods"]


class FlowModel:
    """One flow under one policy: the node's yard and call-forward, lanes, bays, border line, partner."""

    def __init__(self, env: simpy.Environment, scenario: Scenario, flow: FlowSpec, policy: PolicySpec, seed: int,
                 replication: int, trace: Trace | None = None, *, keep_trucks: bool = False) -> None:
        self.env, self.scenario, self.flow, self.spec = env, scenario, flow, policy
        self.trace = trace  # an explicit arrival trace (sim/trace.py): its trucks, lanes and drivers; calls logged
        self.rules = rules = policy.rules
        self.policy = rules.policy()  # the node's policy object, built once
        self.reads_partner = policy.call_forward != SEND_ALL
        self.state = CallUpState()
        self.seed, self.replication = seed, replication
        self.start = scenario.start
        self.service = {key: _sampler(d) for key, d in scenario.service.items()}
        self.service_rng = stream(seed, replication, flow.key, "service")
        self.lanes_rules = risk_lanes(flow.rules, scenario.secret)
        self.history: dict[str, list[int]] = {}  # declarant → [crossings, refused, inspections failed, red lanes]
        # Every truck, only when its row is wanted: otherwise a truck that crossed or was turned back
        # is added to the tally and let go (a season is a few hundred thousand trucks).
        self.keep_trucks = keep_trucks
        self.trucks: list[Truck] = []
        self.tally = Tally(scenario.horizon_minutes, scenario.perishable_threshold_hours * 60)
        self.arrival_hours = array("l")  # each truck's arrival hour, for the capacity bound
        self.tick = policy.call_seconds / 60.0
        self.timeout = rules.call_timeout.total_seconds() / 60.0
        self.drive = flow.drive_minutes
        self.yard_places = flow.gate.yard_capacity if flow.gate.yard_capacity > 0 else math.inf
        self._calendars()
        # the yard
        self.yard = YardQueue(rules.max_wait if rules.queue_policy == "priority" else None, rules.early, rules.late,
                              bookings_matter=rules.queue_policy != "fifo")
        self.road: deque[Truck] = deque()
        self.by_id: dict[str, Truck] = {}  # the trucks that have not crossed nor been turned back
        self.risk: dict[str, str] = {}  # crossing id → risk lane, what the call-forward reads
        # called trucks not yet at a lane, by the lane they were called to (what the node counts)
        self.in_flight: dict[str, int] = {}
        self.flying = 0
        # The 20-minute rule: called trucks that may not reach a lane in time. Drivers who missed the call
        # (each with a timer), and trucks at the lanes waiting for one to free (in call order, one timer).
        self.watch: list[tuple[float, int, Truck, int]] = []  # (deadline, order, truck, seq)
        self._watched = 0
        self._approach_timer = math.inf
        # lanes and bays
        self.lane_codes: list[str] = []
        self.free_lanes: set[str] = set()
        for code in _goods_lanes(_gate_at(flow.gate, scenario, scenario.start), "outbound"):
            self._add_lane(code)
        self.approach: deque[tuple[Truck, int]] = deque()  # at the lanes, waiting for one to free
        self.bays_total = flow.gate.inspection_bays
        self.bays_free = list(range(1, self.bays_total + 1))
        self.in_lanes = self.in_bays = 0
        self.line: deque[Truck] = deque()
        self.blocked: deque[Truck] = deque()
        self.calls = [0] * self.hours
        self.accepted_in = [0] * self.hours
        self._step_pending = False
        self._hour_wake = -1
        self._accept_wake = -1
        self.lane_busy = self.bay_busy = 0.0
        self.max_waiting = self.max_road = self.max_line = 0
        self.arrived = self.refused = self.missed_calls = 0
        for opening in scenario.openings_for(flow.gate.code):
            if opening.lane.direction == "outbound" and opening.opens > scenario.start:
                at = (opening.opens - scenario.start).total_seconds() / 60
                env.timeout(at).callbacks.append(lambda _e, code=opening.lane.code: self._open_lane(code))
        self._source = trace.arrivals(scenario, flow) if trace else flow_arrivals(scenario, flow, seed, replication)
        self._next: SimTruck | None = None
        self._schedule_arrival()

    # ---------------------------------------------------------------- calendars

    def _calendars(self) -> None:
        """Per clock hour: own lanes, the partner's acceptance, and the places the call-forward may fill."""
        sc, flow, rules = self.scenario, self.flow, self.rules
        self.hours = hours = int(sc.horizon_minutes // 60)
        own_over, partner_over = sc.overrides_for(flow.gate.code, "outbound"), sc.overrides_for(flow.partner.code,
                                                                                                "inbound")
        # What the partner's capacity notice says: its inbound calendar and its closures (its own node's rate).
        closures = [(o.start, o.end) for o in partner_over if o.trucks_per_hour is None]
        partner_rate = sc.yard.per_lane_per_hour
        zone, partner_zone = ZoneInfo(flow.gate.timezone), ZoneInfo(flow.partner.timezone)
        self.own, self.partner, self.places, self.own_lanes_at = [], [], [], []
        cache: dict = {}
        for h in range(hours):
            at = sc.start + timedelta(hours=h)
            gate, partner = _gate_at(flow.gate, sc, at), _gate_at(flow.partner, sc, at)
            key = (gate.lanes, partner.lanes, at.astimezone(zone).hour, at.astimezone(partner_zone).hour)
            covered = any(o.covers(at) for o in own_over) or any(o.covers(at) for o in partner_over)
            if not covered and key in cache:
                own, acceptance, places = cache[key]
            else:
                own = hourly_capacity(gate, "outbound", at, per_lane_per_hour=rules.per_lane_per_hour,
                                      overrides=own_over)
                acceptance = hourly_capacity(partner, "inbound", at, per_lane_per_hour=partner_rate,
                                             overrides=partner_over)
                if self.reads_partner:  # the notice read as the node reads it (always current here)
                    cap, _basis = partner_acceptance([(at, acceptance)], closures, at, fresh=True,
                                                     fallback=rules.partner_fallback_per_hour)
                    places = hourly_capacity(gate, "outbound", at, per_lane_per_hour=rules.per_lane_per_hour,
                                             overrides=own_over, partner_cap=cap)
                else:
                    places = own
                if not covered:
                    cache[key] = (own, acceptance, places)
            self.own.append(own)
            self.partner.append(acceptance)
            self.places.append(places)
            self.own_lanes_at.append(len(_goods_lanes(gate, "outbound")) if own > 0 else 0)
        self.next_places = _next_positive(self.places)
        self.next_partner = _next_positive(self.partner)

    def _add_lane(self, code: str) -> None:
        self.lane_codes.append(code)
        self.in_flight[code] = 0
        self.free_lanes.add(code)

    def _open_lane(self, code: str) -> None:
        self._add_lane(code)
        self.free_lanes.discard(code)
        self._lane_free(code)
        self._kick()

    # ---------------------------------------------------------------- arrivals and check-in

    def _schedule_arrival(self) -> None:
        sim = self._next = next(self._source, None)
        if sim is not None:
            self.env.timeout(max(0.0, sim.minute - self.env.now)).callbacks.append(self._arrival)

    def _arrival(self, _event: simpy.Event) -> None:
        self._arrive(self._next)
        self._schedule_arrival()

    def _arrive(self, sim: SimTruck) -> None:
        declarant = sim.declarant
        record = self.history.get(declarant.tax_id)
        if record is None:
            record = self.history[declarant.tax_id] = [declarant.prior_crossings, declarant.prior_refused,
                                                       declarant.prior_inspections_failed, 0]
        fixed = self.trace.fixed(sim.id) if self.trace else None
        colour = fixed.risk_lane if fixed else self.lanes_rules.lane(sim, record[0], record[1], record[2], record[3])
        record[0] += 1  # the declaration counts into the history, as the node counts it, before check-in
        if colour == "red":
            record[3] += 1
        priority = self.rules.priority_of(perishable=sim.perishable, crossings=record[0], refused=record[1],
                                          inspections_failed=record[2])
        required = self.lanes_rules.required(colour, sim.direction, sim.hs_code)
        rng, service = self.service_rng, self.service
        lane_time = service[colour](rng)
        phys = docs = 0.0
        fails, refuse, hold = 0, False, 0.0
        if required:
            for requirement in required.values():  # the agencies work at once; the last one decides
                if requirement.check == "physical":
                    phys = max(phys, service["inspection"](rng))
                else:
                    docs = max(docs, service["document"](rng))
            if rng.random() < self.flow.problem_share:  # the first agency finds a problem
                first = next(iter(required.values()))
                fails, refuse, hold = 1, first.on_failure == "refuse", service["hold"](rng)
        misses = self.flow.missed_call_share > 0 and rng.random() < self.flow.missed_call_share
        if fixed:
            misses = fixed.misses_first_call
        truck = Truck(sim, priority, colour, lane_time, phys, sim.minute + docs if docs else 0.0, hold, fails,
                      refuse, misses)
        self.arrived += 1
        if self.keep_trucks:
            self.trucks.append(truck)
        self.arrival_hours.append(int(sim.minute // 60))
        self.by_id[sim.id] = truck
        self.risk[sim.id] = colour
        if self.road or self.yard.size + self.flying >= self.yard_places:
            self.road.append(truck)  # the yard is full: the camera turns it away to wait outside
            if len(self.road) > self.max_road:
                self.max_road = len(self.road)
            self._waiting_peak()
        else:
            self._check_in(truck, self.env.now)

    def _check_in(self, truck: Truck, now: float) -> None:
        sim = truck.sim
        at = sim.arrival if now == sim.minute else self.start + timedelta(minutes=now)
        booked_from, booked_until = sim.booked_from, sim.booked_until
        if booked_until is not None and not keeps_booking(self.rules, booked_until, at):
            booked_from = booked_until = None  # a no-show by now: the booking was released
        truck.w = Waiting(sim.id, at, truck.priority, booked_from, booked_until)
        truck.state = "waiting"
        self.yard.add(truck.w)
        self._waiting_peak()
        h = int(now // 60)
        if h >= self.hours:
            return
        if self.calls[h] >= self.places[h]:
            self._wake_at_hour(self.next_places[h])  # nothing more this hour
        elif len(self.lane_codes) * self.rules.called_per_lane > self.flying:
            self._kick()  # otherwise a truck reaching a lane kicks

    def _waiting_peak(self) -> None:
        size = self.yard.size + len(self.road)
        if size > self.max_waiting:
            self.max_waiting = size

    def _admit(self) -> None:
        """Trucks waiting on the road check in as places free in the yard."""
        road, now = self.road, self.env.now
        while road and self.yard.size + self.flying < self.yard_places:
            self._check_in(road.popleft(), now)

    # ---------------------------------------------------------------- the node's call-forward step

    def _kick(self) -> None:
        """Run a step at the scheduler's next tick (the node steps every `call_forward_seconds`)."""
        if self._step_pending:
            return
        self._step_pending = True
        now, tick = self.env.now, self.tick
        at = math.ceil(now / tick - 1e-9) * tick if tick > 0 else now
        self.env.timeout(max(0.0, at - now)).callbacks.append(self._step)

    def _kick_at(self, minute: float) -> None:
        self.env.timeout(max(0.0, minute - self.env.now)).callbacks.append(lambda _e: self._kick())

    def _wake_at_hour(self, hour: int) -> None:
        if hour >= self.hours or hour == self._hour_wake:
            return
        self._hour_wake = hour
        self._kick_at(hour * 60.0)

    def _step(self, _event: simpy.Event) -> None:
        self._step_pending = False
        now = self.env.now
        h = int(now // 60)
        if h >= self.hours:
            return
        if (self.watch and self.watch[0][0] < now) or (self.approach and self.approach[0][0].deadline < now):
            self._requeue_missed(now)
        yard = self.yard
        if not yard.size:
            return
        places_left = self.places[h] - self.calls[h]
        if places_left <= 0:
            self._wake_at_hour(self.next_places[h])
            return
        if len(self.lane_codes) * self.rules.called_per_lane - self.flying <= 0:
            return  # a truck reaching a lane kicks again
        at = self.start + timedelta(minutes=now)
        decision = decide_calls(self.rules, lambda n: yard.candidates(n, at), at, self.state, places_left=places_left,
                                lanes=self.lane_codes, in_flight=self.in_flight, risk_lanes=self.risk,
                                free_bays=self.bays_free, policy=self.policy)
        self.state = decision.state
        by_id = self.by_id
        for call in decision.calls:
            self._call(by_id[call.truck.crossing_id], call.lane, call.bay, now, h)
        if yard.size and self.calls[h] >= self.places[h]:
            self._wake_at_hour(self.next_places[h])

    def _call(self, truck: Truck, lane: str, bay: int | None, now: float, hour: int) -> None:
        self.yard.remove(truck.w)
        truck.state = "called"
        truck.called = now
        truck.seq += 1
        truck.lane, truck.bay = lane, bay
        truck.deadline = now + self.timeout
        if bay is not None:
            self.bays_free.remove(bay)
        self.in_flight[lane] += 1
        self.flying += 1
        if truck.called_hour != hour:  # the node counts a truck called twice in one hour once
            truck.called_hour = hour
            self.calls[hour] += 1
        if self.trace is not None:
            self.trace.calls.append(CallRecord(now, self.flow.gate.code, truck.sim.id, lane, bay))
        if truck.misses:  # the driver does not come: the 20-minute rule will put it back in line
            truck.misses = False
            self._watch(truck)
            return
        if self.drive >= self.timeout:
            self._watch(truck)  # it cannot make it in time
        seq = truck.seq
        if self.drive > 0:
            self.env.timeout(self.drive).callbacks.append(lambda _e, t=truck, s=seq: self._at_lanes(t, s))
        else:
            self._at_lanes(truck, seq)

    def _watch(self, truck: Truck) -> None:
        self._watched += 1
        heapq.heappush(self.watch, (truck.deadline, self._watched, truck, truck.seq))
        self._kick_at(truck.deadline + EPSILON)

    def _arm_approach(self) -> None:
        """A step just after the deadline of the first truck waiting at the lanes (they wait in call order)."""
        approach = self.approach
        while approach and approach[0][0].seq != approach[0][1]:
            approach.popleft()  # put back in line already
        if not approach:
            return
        deadline = approach[0][0].deadline
        if deadline < self._approach_timer:
            self._approach_timer = deadline
            self.env.timeout(max(0.0, deadline + EPSILON - self.env.now)).callbacks.append(self._approach_due)

    def _approach_due(self, _event: simpy.Event) -> None:
        now = self.env.now
        if self._approach_timer > now:
            return  # an earlier timer was armed and has fired
        self._approach_timer = math.inf
        if self.approach and self.approach[0][0].deadline < now:
            self._kick()
        else:
            self._arm_approach()

    def _requeue_missed(self, now: float) -> None:
        """The 20-minute rule (`domain.call_forward.missed`, here in minutes): called trucks not at a lane by
        their deadline go back in line, queued from now, their bay freed."""
        late = []
        watch, approach = self.watch, self.approach
        while watch and watch[0][0] < now:
            _deadline, _, truck, seq = heapq.heappop(watch)
            if truck.seq == seq and truck.state == "called":
                late.append(truck)
        while approach and (approach[0][0].seq != approach[0][1] or approach[0][0].deadline < now):
            truck, seq = approach.popleft()
            if truck.seq == seq and truck.state == "called":
                late.append(truck)
        at = self.start + timedelta(minutes=now)
        for truck in late:
            self.in_flight[truck.lane] -= 1
            self.flying -= 1
            if truck.bay is not None:
                bisect.insort(self.bays_free, truck.bay)
                truck.bay = None
            if truck.called_hour >= 0:  # the place it held in its hour is free again (the node's count)
                self.calls[truck.called_hour] -= 1
                truck.called_hour = -1
            if self.trace is not None:
                self.trace.requeued.append((now, self.flow.gate.code, truck.sim.id))
            truck.seq += 1
            truck.missed_calls += 1
            self.missed_calls += 1
            truck.called = NAN
            truck.state = "waiting"
            w = truck.w
            truck.w = Waiting(w.crossing_id, at, w.priority, w.booked_from, w.booked_until)
            self.yard.add(truck.w)
        self._arm_approach()

    # ---------------------------------------------------------------- lanes and bays

    def _at_lanes(self, truck: Truck, seq: int) -> None:
        if truck.seq != seq or truck.state != "called":
            return  # put back in line meanwhile
        free = self.free_lanes
        if free:
            self._start(truck, truck.lane if truck.lane in free else min(free))
        else:
            self.approach.append((truck, seq))
            self._arm_approach()  # it may not reach a lane in time

    def _start(self, truck: Truck, lane: str) -> None:
        """At the lane's barrier: the plate read ends the call (the truck is no longer on its way)."""
        now = self.env.now
        self.free_lanes.discard(lane)
        truck.served_lane = lane
        truck.state = "lane"
        truck.lane_start = now
        self.in_flight[truck.lane] -= 1
        self.flying -= 1
        self.in_lanes += 1
        if self.road:
            self._admit()
        if self.yard.size:
            self._kick()
        self.env.timeout(truck.lane_time).callbacks.append(lambda _e, t=truck: self._lane_done(t))

    def _ready(self, truck: Truck, now: float) -> float:
        """When the agencies are done with a truck that reached its place (bay or lane) at `now`."""
        done = max(now + truck.phys, truck.docs_ready)
        return done + truck.hold if truck.fails else done

    def _lane_done(self, truck: Truck) -> None:
        now = self.env.now
        truck.lane_end = now
        if truck.bay is not None:  # on to its bay; the lane is free for the next truck
            self._vacate(truck, "lane")
            truck.state = "bay"
            truck.bay_start = now
            self.in_bays += 1
        done = self._ready(truck, now)  # without a bay the checks happen at the lane, which waits
        if done > now:
            self.env.timeout(done - now).callbacks.append(lambda _e, t=truck: self._checked(t))
        else:
            self._checked(truck)

    def _checked(self, truck: Truck) -> None:
        place = "bay" if truck.state == "bay" else "lane"
        if place == "bay":
            truck.bay_end = self.env.now
        if truck.fails:
            record = self.history[truck.sim.declarant.tax_id]
            record[2] += truck.fails
            if truck.refuse:
                record[1] += 1
        if truck.refuse:  # turned back: it leaves its place and does not cross
            self._vacate(truck, place)
            truck.state = "refused"
            self.refused += 1
            self._done(truck)
            return
        self._to_line(truck, place)

    def _vacate(self, truck: Truck, place: str) -> None:
        """The truck leaves its lane or bay, which takes the next truck."""
        if place == "lane":
            self.in_lanes -= 1
            self._release_lane(truck)
        else:
            self.in_bays -= 1
            self._release_bay(truck)

    def _release_lane(self, truck: Truck) -> None:
        self.lane_busy += self.env.now - truck.lane_start
        self._lane_free(truck.served_lane)

    def _lane_free(self, lane: str) -> None:
        approach = self.approach
        while approach:
            truck, seq = approach.popleft()
            if truck.seq == seq and truck.state == "called":
                self._start(truck, lane)
                return
        self.free_lanes.add(lane)

    def _release_bay(self, truck: Truck) -> None:
        self.bay_busy += self.env.now - truck.bay_start
        bisect.insort(self.bays_free, truck.bay)

    # ---------------------------------------------------------------- border line and partner

    def _to_line(self, truck: Truck, place: str) -> None:
        if len(self.line) < self.flow.line_capacity:
            self._vacate(truck, place)
            truck.at_line = self.env.now
            truck.state = "line"
            self.line.append(truck)
            if len(self.line) > self.max_line:
                self.max_line = len(self.line)
            self._accept(None)
        else:  # the line is full: the truck stays where it is and blocks it
            if place == "lane":
                self.in_lanes -= 1
            else:
                self.in_bays -= 1
            truck.holds = place
            truck.state = "blocked"
            self.blocked.append(truck)

    def _accept(self, _event: simpy.Event | None) -> None:
        now = self.env.now
        h = int(now // 60)
        while self.line and h < self.hours:
            if self.accepted_in[h] >= self.partner[h]:
                nxt = self.next_partner[h]
                if nxt < self.hours and nxt != self._accept_wake:
                    self._accept_wake = nxt
                    self.env.timeout(nxt * 60.0 - now).callbacks.append(self._accept_wake_cb)
                break
            truck = self.line.popleft()
            truck.accepted = now
            truck.state = "crossed"
            self._done(truck)
            self.accepted_in[h] += 1
            if self.blocked:
                moved = self.blocked.popleft()
                holds, moved.holds = moved.holds, ""
                moved.at_line = now
                moved.state = "line"
                self.line.append(moved)
                if holds == "lane":
                    self._release_lane(moved)
                else:
                    self._release_bay(moved)

    def _done(self, truck: Truck) -> None:
        """A truck crossed or was turned back: into the tally, and no longer held by the flow."""
        self.tally.add(truck)
        crossing_id = truck.sim.id
        del self.by_id[crossing_id]
        del self.risk[crossing_id]

    def unfinished(self) -> Iterable[Truck]:
        """The trucks still on their way, in arrival order."""
        return self.by_id.values()

    def _accept_wake_cb(self, _event: simpy.Event) -> None:
        self._accept_wake = -1
        self._accept(None)

    # ---------------------------------------------------------------- results

    def result(self) -> FlowResult:
        sc = self.scenario
        t_end = int(sc.arrival_minutes // 60)
        effective = [min(self.own[h], self.partner[h]) for h in range(self.hours)]
        bound = capacity_bound(self.arrival_hours, effective, t_end)
        now = self.env.now
        lane_busy, bay_busy = self.lane_busy, self.bay_busy
        for t in self.unfinished():  # still holding a lane or a bay at the end (in service, checked or blocked)
            if t.state == "lane" or (t.state == "blocked" and t.holds == "lane"):
                lane_busy += now - t.lane_start
            elif t.state == "bay" or (t.state == "blocked" and t.holds == "bay"):
                bay_busy += now - t.bay_start
        crossed = sum(self.accepted_in)
        counters = {"waiting": len(self.yard) + len(self.road), "lanes": self.flying + self.in_lanes,
                    "bays": self.in_bays, "line": len(self.line) + len(self.blocked), "crossed": crossed,
                    "refused": self.refused}
        return FlowResult(
            self.flow.key, self.arrived, sum(self.accepted_in[:t_end]), crossed, bound,
            sum(1 for h in range(t_end) if effective[h] > 0), lane_busy,
            sum(60.0 * n for n in self.own_lanes_at), bay_busy,
            sum(60.0 * self.bays_total for h in range(self.hours) if self.own[h] > 0),
            self.max_waiting, self.max_road, self.max_line, counters, list(self.accepted_in), list(self.partner),
            list(self.calls), list(self.places), self.refused, self.missed_calls)


def simulate_once(scenario: Scenario, policy: str | PolicySpec, seed: int = 1, replication: int = 0, *,
                  keep_trucks: bool = False, trace: Trace | None = None) -> ReplicationResult:
    """Run one replication of one policy over the whole scenario horizon; deterministic in (seed, replication).
    With a `trace` the trucks are the trace's (`sim/trace.simulate_trace`)."""
    began = wallclock.perf_counter()
    spec = scenario.policy(policy) if isinstance(policy, str) else policy
    env = simpy.Environment()
    models = [FlowModel(env, scenario, flow, spec, seed, replication, trace, keep_trucks=keep_trucks)
              for flow in scenario.flows]
    queue_series: list[int] = []
    line_series: list[int] = []

    def sampler():  # noqa: ANN202 - a SimPy process
        step = float(scenario.sample_minutes)
        while True:
            queue_series.append(sum(len(m.yard) + len(m.road) for m in models))
            line_series.append(sum(len(m.line) + len(m.blocked) for m in models))
            yield env.timeout(step)

    env.process(sampler())
    # No truck is garbage in a cycle (each is let go by reference counting once it is tallied), so the
    # cycle collector would only walk the heap again and again: it is paused for the run.
    collecting = gc.isenabled()
    gc.disable()
    try:
        env.run(until=scenario.horizon_minutes)
    finally:
        if collecting:
            gc.enable()
    result = collect(scenario, spec.name, seed, replication, models, queue_series, line_series, keep_trucks)
    result.elapsed = wallclock.perf_counter() - began
    return result
