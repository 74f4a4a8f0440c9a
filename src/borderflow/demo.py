"""`borderflow demo`: both reference nodes on loopback, a scenario's trucks through their real APIs.

What it shows is the product at work on a bad day: by default the simulator's `durian_peak`
morning at Hữu Nghị–Youyiguan and Kim Thành–Hekou, where more fruit trucks arrive than the
Chinese side accepts. Both nodes run as real processes, each on its own SQLite file, on one
accelerated clock (BORDERFLOW_CLOCK_START/SPEED/ANCHOR: 60× by default, an hour a minute),
and nothing is bent for the demo: the gates open and close on their own goods hours, each
node calls trucks forward by itself (its call-forward loop) within the acceptance the
partner announces, the queue policy decides who goes first, the barrier decides who passes
and tells each goods lane's (simulated) barrier to open, which confirms it did.

The demo plays everybody else, over HTTP, as they would: the declarant (declares, sometimes
books a slot), the yard camera (sometimes misreads; the yard operator then says which truck
it was), the driver (drives to the yard, waits to be called, drives to the lane, crosses the
border line, does it all again at the partner's gate), each agency's officer (signs off what
the barrier says is pending, and now and then finds a problem) and the supervisor (decides on
a held truck: release or refuse). Every random choice comes from the seed, per truck.

Layout: `set_up` and `start_nodes` do what two operators would; `plan_trips` turns the
scenario's arrivals into trips on the demo's timeline; `Truck.journey` is one truck's whole
story, step by step; `YardDisplay` is the yard's call board the drivers watch; `Progress`
says when a truck is stuck; `summarize` asks both nodes what happened and whether they agree.
Any answer the demo did not expect is counted in `ApiErrors` and printed, never swallowed.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx

from borderflow.domain.clock import AcceleratedClock
from borderflow.exchange import keys as keyfiles
from borderflow.reference.region import load_gates, load_node
from borderflow.services import apikeys
from borderflow.store import migrate
from borderflow.store.db import make_engine

SENDING_GATES = ("KIMTHANH", "HUUNGHI")  # the Vietnamese side of the two demo gate pairs
OFFICER_ROLES = ("customs", "quarantine", "border_guard", "supervisor", "gate_operator", "device")
LANE_READ = 0.97  # a good plate read at a lane camera
MISREADS = {"0": "O", "1": "I", "8": "B", "5": "S"}  # what a camera confuses a digit with
BACKLOG = timedelta(hours=2)  # trucks that reached a closed gate this long before the start are queued
BACKLOG_CHECK_IN = timedelta(minutes=10)  # ... and check in, in their order, over the first minutes
DECLARE_AHEAD = (20, 150)  # minutes before its arrival a truck is declared
ACROSS_THE_LINE = (8, 20)  # minutes across the border line to the partner's yard (the scenario has none)
REFUSED_AFTER_HOLD = 0.3  # share of held trucks the supervisor refuses rather than releases
LANE_MARGIN = timedelta(minutes=5)  # a called truck reads at the barrier this long before its call runs out
LONGEST_CHECK = timedelta(hours=3)  # a check, a hold or a lane's work never takes longer (caps the draws)
NODES_BOOT = timedelta(seconds=3)  # real time: node time reaches the start about when both nodes answer
SLACK_REAL_SECONDS = 10  # what the demo and the nodes may take to act, in real seconds (see Progress)
POLL_REAL_SECONDS = 0.5  # how often a yard display is read, in real seconds
HOUR = timedelta(hours=1)


# ------------------------------------------------------------------ time


@dataclass(frozen=True)
class Timeline:
    """The one timeline both nodes and the demo's people live on: node time was `start` at the real
    moment `anchor` and runs `speed` times faster than real time."""

    start: datetime
    speed: float
    anchor: datetime

    def env(self) -> dict[str, str]:
        return {"BORDERFLOW_CLOCK_START": self.start.isoformat(), "BORDERFLOW_CLOCK_SPEED": f"{self.speed:g}",
                "BORDERFLOW_CLOCK_ANCHOR": self.anchor.isoformat()}

    def clock(self) -> AcceleratedClock:
        return AcceleratedClock.anchored(self.start, self.speed, self.anchor)


class Pace:
    """Waiting in node time: what the demo's people do between their actions."""

    def __init__(self, clock: AcceleratedClock):
        self.clock = clock

    def now(self) -> datetime:
        return self.clock.now()

    async def sleep(self, span: timedelta) -> None:
        await asyncio.sleep(max(0.0, self.clock.real_seconds(span.total_seconds())))

    async def until(self, at: datetime) -> None:
        await self.sleep(at - self.now())

    def real(self, seconds: float) -> timedelta:
        """Node time that passes in `seconds` of real time."""
        return timedelta(seconds=seconds * self.clock.speed)


def parse_start(text: str | None, now: datetime | None = None) -> datetime:
    """--start: an ISO 8601 time, local at the gates when it has no offset; by default the real
    local hour at the gates, or, when they take no goods then (at night), their next opening
    hour: the gates' hours are not bent, the demo only skips the night."""
    tz = ZoneInfo(load_gates()[SENDING_GATES[0]].timezone)
    if text:
        try:
            at = datetime.fromisoformat(text)
        except ValueError:
            raise RuntimeError(f"--start {text!r} is not an ISO 8601 time such as 2026-06-15T06:00") from None
        return at if at.tzinfo is not None else at.replace(tzinfo=tz)
    hour = (now or datetime.now(UTC)).astimezone(tz).replace(minute=0, second=0, microsecond=0)
    gates = [load_gates()[code] for code in SENDING_GATES]
    for ahead in range(48):
        candidate = hour + ahead * HOUR
        if all(gate.open_for_goods_at(candidate) for gate in gates):
            return candidate
    return hour


# ------------------------------------------------------------------ the two nodes


@dataclass
class DemoNode:
    name: str  # vn | cn
    folder: Path
    port: int
    keys: dict[str, str] = field(default_factory=dict)  # officer role -> API key
    declarants: dict[str, str] = field(default_factory=dict)  # declarant tax id -> API key
    process: subprocess.Popen | None = None
    http: httpx.AsyncClient | None = None

    @property
    def id(self) -> str:
        return load_node(self.name).node.id

    @property
    def label(self) -> str:
        return self.name.upper()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.folder / 'borderflow.sqlite'}"

    def operates(self, gate: str) -> bool:
        return gate in load_node(self.name).node.gates

    def api(self, role: str, errors: ApiErrors) -> Api:
        return Api(self, self.keys[role], errors)

    def declarant(self, tax_id: str, errors: ApiErrors) -> Api:
        return Api(self, self.declarants[tax_id], errors)


def set_up(root: Path, base_port: int, fresh: bool, declarants: dict[str, set[str]],
           at: datetime) -> tuple[DemoNode, DemoNode]:
    """What two operators would do: a data folder each, signing keys, officers' and declarants'
    API keys, a partner key each way, and node files naming each other."""
    if fresh and root.exists():
        shutil.rmtree(root)
    nodes = (DemoNode("vn", root / "vn", base_port), DemoNode("cn", root / "cn", base_port + 1))
    for node in nodes:
        node.folder.mkdir(parents=True, exist_ok=True)
        engine = make_engine(node.db_url)
        migrate.upgrade(engine)
        if not keyfiles.all_keys(node.folder):
            keyfiles.generate(node.folder, node.id, datetime.now(UTC))
        for role in OFFICER_ROLES:
            node.keys[role] = apikeys.create(engine, role=role, name=f"demo {role.replace('_', ' ')}",
                                             declarant_tax_id=None, at=at)
        for tax_id in sorted(declarants.get(node.name, ())):
            node.declarants[tax_id] = apikeys.create(engine, role="declarant", name=f"declarant {tax_id}",
                                                     declarant_tax_id=tax_id, at=at)
        install_barriers(engine, load_node(node.name).node, at)
        engine.dispose()
    for here, there in (nodes, nodes[::-1]):
        engine = make_engine(there.db_url)
        issued = apikeys.create(engine, role="partner", name=here.id, declarant_tax_id=None, at=at)
        engine.dispose()
        (here.folder / "partner.key").write_text(issued + "\n")
    for here, there in (nodes, nodes[::-1]):
        shipped = load_node(here.name).node
        public = ", ".join(f'"{k.key_id}" = "{k.public_b64()}"' for k in keyfiles.all_keys(there.folder))
        gates = ", ".join(f'"{g}"' for g in shipped.gates)
        names = ", ".join(f'{lang} = "{name}"' for lang, name in shipped.names.items())
        (here.folder / "node.toml").write_text(
            f'[node]\nid = "{shipped.id}"\nname = "{shipped.name}"\nnames = {{ {names} }}\n'
            f'country = "{shipped.country}"\n'
            f"gates = [{gates}]\n\n[settings]\nport = {here.port}\n\n"
            f'[partners."{there.id}"]\nurl = "{there.url}"\napi_key_file = "partner.key"\n'
            f"public_keys = {{ {public} }}\n")
    return nodes


def install_barriers(engine: Any, node: Any, at: datetime) -> None:
    """A simulated barrier on every goods lane, registered as an integrator would (`borderflow
    device add --vendor simulated`): each `open` the node decides is sent to it and confirmed."""
    from borderflow.devices import registry

    with engine.connect() as conn:
        present = {(d.gate, d.lane) for d in registry.listed(conn) if d.kind == "barrier"}
    for gate in node.gates.values():
        for lane in gate.lanes:
            if lane.kind != "goods" or (gate.code, lane.code) in present:
                continue
            name = f"barrier-{gate.code}-{lane.code}".lower()
            key = apikeys.create(engine, role="device", name=name, declarant_tax_id=None, at=at)
            registry.attach(engine, api_key_id=apikeys.lookup(engine, key).id, name=name, vendor="simulated",
                            gate=gate.code, lane=lane.code, config={"confirms": True}, at=at)


def start_nodes(nodes: Iterable[DemoNode], env: dict[str, dict[str, str]]) -> None:
    """Both nodes at once (`borderflow serve`), each in its own session so that Ctrl-C in the
    terminal reaches the demo only: it still asks them for the summary before stopping them."""
    nodes = list(nodes)
    for node in nodes:
        log = (node.folder / "node.log").open("ab")
        node.process = subprocess.Popen(
            [sys.executable, "-m", "borderflow", "serve", "--node", str(node.folder / "node.toml"),
             "--port", str(node.port)],
            env={**os.environ, "BORDERFLOW_DATA_DIR": str(node.folder), "BORDERFLOW_DB_URL": node.db_url,
                 "BORDERFLOW_ENV": "development", **env[node.name]},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    for node in nodes:
        while True:
            if node.process.poll() is not None:
                raise RuntimeError(f"the {node.label} node stopped; see {node.folder / 'node.log'}")
            try:
                if httpx.get(node.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the {node.label} node did not answer on {node.url}")
            time.sleep(0.1)


def stop_nodes(nodes: Iterable[DemoNode]) -> None:
    for node in nodes:
        if node.process and node.process.poll() is None:
            node.process.terminate()
    for node in nodes:
        if node.process:
            try:
                node.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                node.process.kill()


def node_settings(scenario: Any, policy_name: str, scale: float, speed: float) -> dict[str, str]:
    """Both nodes' BORDERFLOW_* yard settings: the node's own defaults, changed only by what the
    scenario's [yard] table and the policy say (the simulator builds its yard rules the same way).

    Two adjustments, both said here: the lane rate is scaled like the trucks (--scale), so a
    demo at a fifth of the traffic still has more trucks than the partner accepts; and the
    call-forward round stays the scenario's node seconds, but at most four a real second."""
    policy = scenario.policy(policy_name)
    if policy.call_forward != "capacity":
        raise RuntimeError(f"policy {policy_name!r} ignores the partner's acceptance (the 2021 comparison); "
                           "a node always calls forward within both sides' capacity")
    changes = {**dict(scenario.yard_changes), **dict(policy.changes)}
    changes["per_lane_per_hour"] = scaled(policy.rules.per_lane_per_hour, scale)
    changes["call_forward_seconds"] = min(3600.0, max(policy.call_seconds, speed / 4))
    return {f"BORDERFLOW_{name.upper()}": setting_text(value) for name, value in changes.items()}


def setting_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


def scaled(trucks: int, scale: float) -> int:
    return max(1, round(trucks * scale))


def day_shift(scenario: Any, start: datetime) -> timedelta:
    """Whole days from the scenario's first day to the demo's: its hours keep their local time."""
    return timedelta(days=(start.astimezone(scenario.start.tzinfo).date() - scenario.start.date()).days)


def scenario_overrides(scenario: Any, scale: float, start: datetime, until: datetime | None) -> list[tuple[str, dict]]:
    """The scenario's [[outages]] at the demo's gates (closures, or fewer trucks an hour: e.g. the
    partner's quarantine slowing its acceptance), as the supervisor enters them: (gate, body)."""
    shift, bodies = day_shift(scenario, start), []
    gates = {code for f in demo_flows(scenario) for code in (f.gate.code, f.partner.code)}
    for gate in sorted(gates):
        for direction in ("inbound", "outbound"):
            for o in scenario.overrides_for(gate, direction):
                begins, ends = o.start + shift, o.end + shift
                if ends <= start or (until is not None and begins >= until):
                    continue
                bodies.append((gate, {"direction": direction, "starts_at": begins.isoformat(),
                                      "ends_at": ends.isoformat(), "reason": o.reason[:500],
                                      "trucks_per_hour": None if o.trucks_per_hour is None
                                      else scaled(o.trucks_per_hour, scale)}))
    return bodies


# ------------------------------------------------------------------ trips


def demo_flows(scenario: Any) -> list[Any]:
    flows = [f for f in scenario.flows if f.gate.code in SENDING_GATES or f.partner.code in SENDING_GATES]
    if not flows:
        raise RuntimeError(f"scenario {scenario.name} has no flow at {' or '.join(SENDING_GATES)}")
    return flows


@dataclass(frozen=True)
class Trip:
    """One scenario truck on the demo's timeline: when it is declared and reaches the yard, and
    the slot it books (the scenario's booked hour, if it is still ahead when it declares)."""

    truck: Any  # a sim.SimTruck
    declare_at: datetime
    arrive_at: datetime
    slot: datetime | None


def plan_trips(scenario: Any, seed: int, scale: float, start: datetime, until: datetime | None) -> list[Trip]:
    """The scenario's trucks of the two demo gate pairs, a `scale` share of them, in order.

    Day one of the scenario is laid on the start's date, hour for hour in the gates' local
    time, so the scenario's arrival profile (fruit trucks reach the border early in the
    morning) holds. Trucks that arrived at a closed gate in the BACKLOG before the start are
    already there: they check in, in their order, over the first BACKLOG_CHECK_IN (the queue
    the night left)."""
    from borderflow.sim import generate_arrivals

    region = load_gates()
    gates = {f.gate.code for f in demo_flows(scenario)}
    shift = day_shift(scenario, start)
    trips = []
    for truck in generate_arrivals(scenario, seed=seed):
        if truck.gate not in gates or random.Random(f"{seed}|{truck.id}|scale").random() >= scale:
            continue
        arrive = truck.arrival + shift
        if until is not None and arrive >= until:
            break
        if arrive < start:
            if arrive < start - BACKLOG or region[truck.gate].open_for_goods_at(arrive):
                continue
            arrive = start + BACKLOG_CHECK_IN * ((arrive - (start - BACKLOG)) / BACKLOG)
        rng = random.Random(f"{truck.id}|declare")
        declare = max(start, arrive - timedelta(minutes=rng.uniform(*DECLARE_AHEAD)))
        slot = truck.booked_from + shift if truck.booked_from else None
        if slot is not None and slot < (declare + timedelta(minutes=5)).replace(minute=0, second=0,
                                                                               microsecond=0) + HOUR:
            slot = None  # its hour has begun: it comes as a walk-in
        trips.append(Trip(truck, declare, arrive, slot))
    return sorted(trips, key=lambda trip: trip.declare_at)


# ------------------------------------------------------------------ talking to the nodes


class Unexpected(Exception):
    """An answer the demo did not expect; already counted in ApiErrors."""


class ApiErrors:
    """Every non-2xx answer the demo did not expect (and every request that got no answer)."""

    def __init__(self) -> None:
        self.count = 0
        self.samples: list[str] = []

    def add(self, what: str) -> Unexpected:
        self.count += 1
        if len(self.samples) < 5:
            self.samples.append(what)
        return Unexpected(what)

    def line(self) -> str:
        shown = "; ".join(self.samples[:3])
        return f"errors: {self.count}" + (f" ({shown})" if shown else "")


def _gist(response: httpx.Response) -> str:
    """What went wrong, short: a problem's field paths and codes, else the body's start."""
    try:
        body = response.json()
        return "; ".join(f"{e['loc']}: {e['code']}" for e in body.get("errors") or ()) or str(body["detail"])
    except (ValueError, KeyError, TypeError, AttributeError):
        return response.text[:160]


class Api:
    """One node's API with one person's key. `expect` lists the statuses a call may answer; any
    other is counted and raised, so a refusal the demo did not plan for is seen, not swallowed."""

    def __init__(self, node: DemoNode, key: str, errors: ApiErrors):
        self.node, self.key, self.errors = node, key, errors

    async def call(self, method: str, path: str, *, expect: tuple[int, ...] = (200,), **kwargs: Any) -> httpx.Response:
        try:
            response = await self.node.http.request(method, path, headers={"Authorization": f"Bearer {self.key}"},
                                                    **kwargs)
        except httpx.HTTPError as exc:
            raise self.errors.add(f"{method} {path} at {self.node.label}: no answer ({type(exc).__name__})") from None
        if response.status_code not in expect:
            raise self.errors.add(f"{method} {path} at {self.node.label}: {response.status_code} {_gist(response)}")
        return response

    async def get(self, path: str, **kwargs: Any) -> Any:
        return (await self.call("GET", path, **kwargs)).json()

    async def post(self, path: str, body: dict, *, expect: tuple[int, ...] = (200, 201)) -> Any:
        return (await self.call("POST", path, json=body, expect=expect)).json()


class YardDisplay:
    """The call board of one gate's yard, in one direction: the drivers waiting there watch it
    (one GET /api/v1/yard for all of them, where each driver's phone page would be one each).

    It also counts the yard's *open time*: node time during which the gate could call trucks
    (capacity this hour above 0, the partner's acceptance included), which is what a queue
    may be waited through (see Progress)."""

    def __init__(self, api: Api, gate: str, direction: str, pace: Pace):
        self.api, self.gate, self.direction, self.pace = api, gate, direction, pace
        self.watching: dict[str, tuple[asyncio.Future, str | None]] = {}
        self.open_seconds = 0.0
        self._last: datetime | None = None

    def wait_for_call(self, crossing_id: str, after: str | None = None) -> asyncio.Future:
        """A call of this truck; `after`: the time of a call it let pass (the next one counts)."""
        future = asyncio.get_running_loop().create_future()
        self.watching[crossing_id] = (future, after)
        return future

    async def run(self) -> None:
        while True:
            if self.watching:
                with contextlib.suppress(Unexpected):  # counted; the drivers keep watching
                    await self.read()
            else:
                self._last = None
            await asyncio.sleep(POLL_REAL_SECONDS)

    async def read(self) -> None:
        board = await self.api.get("/api/v1/yard", params={"gate": self.gate, "direction": self.direction})
        now = self.pace.now()
        if self._last is not None and board["capacity_this_hour"] > 0:
            self.open_seconds += (now - self._last).total_seconds()
        self._last = now
        for called in board["called"]:
            future, after = self.watching.get(called["crossing_id"], (None, None))
            if future is not None and called["called_at"] != after:
                del self.watching[called["crossing_id"]]
                if not future.done():
                    future.set_result(called)


# ------------------------------------------------------------------ one truck


@dataclass
class Progress:
    """Where a truck is in its journey, since when, and how long that step may last.

    A truck is **stuck** when it is not done (through the partner's barrier, or refused) and
    nothing has happened to it — no new event in its crossing's history (the node's
    `updated_at`), no new step of its journey — for longer than its current step may last
    under the scenario's rules, plus a slack of SLACK_REAL_SECONDS of real time (in node
    time: × speed) for the demo and the nodes to act. What each step may last:

    * on the road (declared, before it reaches the yard): until its arrival time;
    * waiting in a yard to be called: the max wait (under the priority policy its aging: nobody
      waits longer for the call-up pattern; the other policies do not age, and the node's
      max_wait_hours is then the longest wait the operator accepts) plus the call time-out (the
      20-minute rule), counted in the yard's open time only: a queue may wait out the gate's
      closed hours, and any hour the partner accepts nobody, but not a minute of open time more;
    * called, or having let its call pass: the call time-out plus one call-forward round (then
      the node puts it back in line: a move);
    * driving to the lane and the lane's own work: the scenario's times for them;
    * the agencies' checks: the longest of the times they take (the scenario's document or
      physical-inspection time, never more than LONGEST_CHECK);
    * held after a check found a problem: until the supervisor's decision is due (the
      scenario's hold time);
    * crossing the border line: the drive; then until the partner's node has its record.
    """

    step: str = "planned"
    since: datetime | None = None
    may_last: timedelta = timedelta(0)
    yard: YardDisplay | None = None  # set while waiting in a yard: the bound is open time there
    open_at_entry: float = 0.0
    done: str | None = None  # crossed | refused | failed (the demo met an API error)

    def enter(self, step: str, at: datetime, may_last: timedelta, yard: YardDisplay | None = None) -> None:
        self.step, self.since, self.may_last, self.yard = step, at, max(may_last, timedelta(0)), yard
        self.open_at_entry = yard.open_seconds if yard else 0.0

    def stuck(self, now: datetime, last_event: datetime | None, slack: timedelta) -> bool:
        if self.done in ("crossed", "refused") or self.since is None:
            return False  # a journey that "failed" (an API error) left its truck where it was: it may be stuck
        if last_event is not None and now - last_event <= self.may_last + slack:
            return False
        if self.yard is not None:
            return timedelta(seconds=self.yard.open_seconds - self.open_at_entry) > self.may_last + slack
        return now - self.since > self.may_last + slack


@dataclass
class Side:
    """One node as one truck meets it: the gate, and the people there."""

    node: DemoNode
    gate: str
    direction: str  # outbound | inbound
    yard: YardDisplay


class Truck:
    """One truck's journey through both nodes, in order, over their real APIs.

    The scenario's own numbers drive it, as the simulator's model uses them: the flow's drive
    time to the lanes, its share of drivers who let their first call pass (the node's
    20-minute rule then puts them back in line) and of trucks where a check finds a problem;
    the service times for the lane (by risk-lane colour), a document check, a physical
    inspection and a hold. All of a truck's draws come from its own seeded random stream."""

    def __init__(self, demo: Demo, trip: Trip, sender: Side, receiver: Side):
        self.demo, self.trip, self.sender, self.receiver = demo, trip, sender, receiver
        self.t = trip.truck
        self.flow = demo.flows[self.t.gate]
        self.rng = random.Random(f"{demo.seed}|{self.t.id}")
        self.progress = Progress()
        self.crossing: dict = {}  # the crossing on the side the truck is at
        self.export_id: str | None = None
        self.checked_in: dict[str, datetime] = {}  # gate -> when its yard camera checked the truck in
        self.waits: dict[str, timedelta] = {}  # gate -> yard wait (checked in to called)
        self.failed: tuple[str, str] = ("customs", "document")  # the agency and check that found a problem

    @property
    def pace(self) -> Pace:
        return self.demo.pace

    def api(self, side: Side, role: str) -> Api:
        return side.node.api(role, self.demo.errors)

    def step(self, what: str, may_last: timedelta, yard: YardDisplay | None = None) -> None:
        self.progress.enter(what, self.pace.now(), may_last, yard)

    def minutes(self, service: str) -> timedelta:
        return min(LONGEST_CHECK, timedelta(minutes=self.demo.scenario.service[service].sample(self.rng)))

    async def journey(self) -> None:
        try:
            self.step("on the road", self.trip.declare_at - self.pace.now())
            await self.pace.until(self.trip.declare_at)
            self.crossing = await self.declare()
            self.export_id = self.crossing["id"]
            await self.book()
            self.step("on the road to the yard", self.trip.arrive_at - self.pace.now())
            await self.pace.until(self.trip.arrive_at)
            if not await self.through(self.sender):
                self.progress.done = "refused"
                return
            drive = timedelta(minutes=self.rng.uniform(*ACROSS_THE_LINE))
            self.step("crossing the border line", drive)
            await self.pace.sleep(drive)
            self.crossing = await self.partner_record()
            self.progress.done = "crossed" if await self.through(self.receiver) else "refused"
        except Unexpected:
            self.progress.done = "failed"  # counted in ApiErrors; the truck stays where the node has it

    # -- before the gate -------------------------------------------------------

    async def declare(self) -> dict:
        from borderflow.sim import declaration_body
        api = self.sender.node.declarant(self.t.declarant.tax_id, self.demo.errors)
        # A driver running late (the nodes booted slower than planned) declares the arrival it now expects.
        arrive = max(self.trip.arrive_at, self.pace.now())
        return await api.post("/api/v1/crossings", declaration_body(self.t, arrive), expect=(201,))

    async def book(self) -> None:
        """The scenario's booked hour, if the node has a place then; a full or closed hour (409) is
        an answer the declarant expects: the truck comes as a walk-in."""
        if self.trip.slot is None:
            return
        api = self.sender.node.declarant(self.t.declarant.tax_id, self.demo.errors)
        answer = await api.call("PUT", f"/api/v1/crossings/{self.export_id}/booking",
                                json={"slot_start": self.trip.slot.isoformat()}, expect=(200, 201, 409))
        self.demo.stats["booked" if answer.status_code != 409 else "booking refused"] += 1

    async def partner_record(self) -> dict:
        """The partner's node made its own crossing from our pre-arrival notice: find it."""
        api = self.api(self.receiver, "customs")
        self.step(f"at {self.receiver.gate}, before its yard", timedelta(0))
        while True:
            found = [c for c in await api.get("/api/v1/crossings", params={
                "gate": self.receiver.gate, "plate": self.t.plate, "limit": 50})
                if c["partner"].get("crossing_id") == self.export_id]
            if found:
                return found[0]
            await self.pace.sleep(timedelta(minutes=1))

    # -- through one gate ----------------------------------------------------

    async def through(self, side: Side) -> bool:
        """Yard, call, lane, barrier at one gate; True once through the barrier, False if refused."""
        await self.check_in(side)
        let_pass = self.rng.random() < self.flow.missed_call_share
        while True:
            call = await self.called(side)
            if let_pass:  # the driver is not there: the node puts it back in line after the time-out
                let_pass = False
                self.demo.stats["calls let pass"] += 1
                call = await self.called(side, after=call["called_at"])
            self.step(f"called to {side.gate} lane {call['lane']}",
                      self.demo.rules.call_timeout + self.demo.cadence)
            drive = timedelta(minutes=self.flow.drive_minutes)
            await self.pace.sleep(drive)
            # the lane's own work (seals, weight), before the barrier's camera, within the 20-minute rule
            lane_work = min(self.minutes(self.crossing["risk_lane"]),
                            max(timedelta(0), self.demo.rules.call_timeout - drive - LANE_MARGIN))
            self.step(f"in {side.gate} lane {call['lane']}", lane_work)
            await self.pace.sleep(lane_work)
            outcome = await self.at_the_barrier(side, call["lane"])
            if outcome != "requeued":
                return outcome == "through"

    async def check_in(self, side: Side) -> None:
        camera = self.api(side, "device")
        plate, confidence = self.camera_read()
        entry = await camera.post("/api/v1/gate-events", {"gate": side.gate, "lane": "YARD", "kind": "yard_entry",
                                                          "plate": plate, "confidence": confidence})
        if entry.get("crossing_id") is None:  # blurred, or a plate two trucks share: the operator says which
            self.demo.stats["reads resolved by the operator"] += 1
            entry = await self.api(side, "gate_operator").post(
                f"/api/v1/gate-events/{entry['id']}/resolution", {"crossing_id": self.crossing["id"]})
        while entry["reason_code"] == "yard_full":  # wait outside and try again
            self.step(f"outside the full {side.gate} yard", timedelta(minutes=10))
            await self.pace.sleep(timedelta(minutes=10))
            entry = await camera.post("/api/v1/gate-events", {"gate": side.gate, "lane": "YARD",
                                                              "kind": "yard_entry", "plate": self.t.plate,
                                                              "confidence": LANE_READ})
        if entry["reason_code"] not in ("checked_in", "already_in_yard"):
            raise self.demo.errors.add(f"yard camera at {side.gate}: {entry['reason_code']} ({entry['reason']})")
        self.checked_in[side.gate] = self.pace.now()
        self.demo.first_in_queue(side, self.crossing)

    def camera_read(self) -> tuple[str, float]:
        """What the yard camera reads: usually right; sometimes a digit taken for a letter (the node
        matches it anyway); now and then a blur too unsure to match."""
        plate, draw = self.t.plate, self.rng.random()
        if draw < 0.05:
            return plate, 0.35
        if draw < 0.15:
            for digit, letter in MISREADS.items():
                if digit in plate:
                    return plate.replace(digit, letter, 1), 0.72
        return plate, 0.96

    async def called(self, side: Side, after: str | None = None) -> dict:
        self.step(f"waiting in the {side.gate} yard", self.demo.rules.max_wait + self.demo.rules.call_timeout,
                  side.yard)
        call = await side.yard.wait_for_call(self.crossing["id"], after)
        self.waits.setdefault(side.gate, self.pace.now() - self.checked_in[side.gate])
        return call

    async def at_the_barrier(self, side: Side, lane: str) -> str:
        """Read at the lane until the barrier opens: the agencies it says are pending sign off; a
        held truck waits for the supervisor. "through", "refused" or "requeued" (called too late)."""
        camera = self.api(side, "device")
        for _ in range(12):
            answer = await camera.post("/api/v1/gate-events", {"gate": side.gate, "lane": lane, "kind": "plate_read",
                                                               "plate": self.t.plate, "confidence": LANE_READ})
            code = answer["reason_code"]
            if answer["decision"] == "open":
                return "through"
            if code == "signoff_pending":
                if await self.sign_offs(side, answer["reason_params"]["agencies"]) == "refused":
                    return "refused"  # the rules refuse what this check found (the camera no longer knows it)
            elif code == "held":
                if not await self.supervisor_decides(side, answer["reason_params"]["hold_reason"]):
                    return "refused"
            elif code == "crossing_closed" and answer["status"] == "refused":
                return "refused"
            elif code in ("not_called", "not_checked_in"):
                return "requeued"
            elif code == "inspecting":
                await self.pace.sleep(timedelta(minutes=1))
            else:
                raise self.demo.errors.add(f"barrier at {side.gate} {lane}: {code} ({answer['reason']})")
        raise self.demo.errors.add(f"barrier at {side.gate} {lane} kept holding {self.t.plate}")

    # -- the officers ----------------------------------------------------------

    async def sign_offs(self, side: Side, agencies: list[str], *, problem: bool | None = None) -> str:
        """The agencies the barrier names check at once, each what the rules ask of it (document or
        physical). On a truck with a problem (the flow's problem share) the first of them finds it
        alone: the truck is held, or refused where the rules say so, and the rest wait."""
        record = await self.api(side, "supervisor").get(f"/api/v1/crossings/{self.crossing['id']}")
        asked = {s["agency"]: s["check"] for s in record["signoffs"]}
        if problem is None:
            problem = self.rng.random() < self.demo.problem_share(self.flow)
        if problem:
            agencies = agencies[:1]
        times = {a: self.minutes("inspection" if asked.get(a) == "physical" else "document") for a in agencies}
        self.step(f"{', '.join(agencies)} checking at {side.gate}", max(times.values()))
        statuses = await asyncio.gather(*(self.check(side, agency, asked.get(agency, "document"), times[agency],
                                                     passed=not problem) for agency in agencies))
        if problem:
            self.failed = (agencies[0], asked.get(agencies[0], "document"))
            self.demo.stats["problems found"] += 1
        return "refused" if "refused" in statuses else statuses[-1]

    async def check(self, side: Side, agency: str, kind: str, takes: timedelta, *, passed: bool,
                    notes: str = "") -> str:
        """One agency's officer records its check; the crossing's status after it."""
        await self.pace.sleep(takes)
        view = await self.api(side, agency).post(f"/api/v1/crossings/{self.crossing['id']}/inspections", {
            "kind": kind, "result": "passed" if passed else "failed",
            "notes": notes or ("in order" if passed else PROBLEMS.get(agency, f"{kind} check failed"))},
            expect=(201,))
        self.demo.stats["checks"] += 1
        return view["status"]

    async def supervisor_decides(self, side: Side, hold_reason: str) -> bool:
        """After the scenario's hold time the supervisor refuses the truck, or has the agency check
        again once the problem is put right (and any agency still pending), then releases it."""
        hold = self.minutes("hold")
        self.step(f"held at {side.gate}: the supervisor decides", hold)
        await self.pace.sleep(hold)
        supervisor, path = self.api(side, "supervisor"), f"/api/v1/crossings/{self.crossing['id']}"
        if self.rng.random() < REFUSED_AFTER_HOLD:
            await supervisor.post(f"{path}/refuse", {"reason": f"refused after the hold: {hold_reason}"[:500]})
            self.demo.stats["refused by a supervisor"] += 1
            return False
        agency, kind = self.failed
        await self.check(side, agency, kind, timedelta(0), passed=True,
                         notes="checked again: the problem was put right")
        pending = (await supervisor.get(path))["pending_signoffs"]
        if pending:
            await self.sign_offs(side, pending, problem=False)
        if (await supervisor.get(path))["status"] == "held":
            await supervisor.post(f"{path}/release", {"note": "released by the supervisor after the re-check"})
        self.demo.stats["released by a supervisor"] += 1
        return True


PROBLEMS = {"customs": "declared weight and packages do not match the documents",
            "quarantine": "phytosanitary certificate does not match the consignment",
            "border_guard": "driver's permit does not cover this vehicle"}


# ------------------------------------------------------------------ the demo


class Demo:
    """Both nodes, their yards' call boards, and every truck on the road."""

    def __init__(self, nodes: tuple[DemoNode, DemoNode], scenario: Any, policy: Any, timeline: Timeline, seed: int,
                 cadence: float, problems: float | None, say: Callable[..., None], headless: bool):
        self.vn, self.cn = nodes
        self.scenario, self.seed, self.say, self.headless = scenario, seed, say, headless
        self.flows = {f.gate.code: f for f in demo_flows(scenario)}
        self.rules = policy.rules  # the yard rules both nodes run
        self.cadence = timedelta(seconds=cadence)
        self.problems = problems
        self.pace = Pace(timeline.clock())
        self.errors = ApiErrors()
        self.stats: Counter = Counter()
        self.trucks: list[Truck] = []
        self.displays: dict[tuple[str, str, str], YardDisplay] = {}
        self.slack = self.pace.real(SLACK_REAL_SECONDS)
        self.driver_link: str | None = None
        self.stopped_at = self.pace.now()  # when the trucks stopped: what "stuck" is judged at

    def problem_share(self, flow: Any) -> float:
        return flow.problem_share if self.problems is None else self.problems

    def node_for(self, gate: str) -> DemoNode:
        return self.vn if self.vn.operates(gate) else self.cn

    def side(self, gate: str, direction: str) -> Side:
        node = self.node_for(gate)
        key = (node.name, gate, direction)
        if key not in self.displays:
            self.displays[key] = YardDisplay(node.api("gate_operator", self.errors), gate, direction, self.pace)
        return Side(node, gate, direction, self.displays[key])

    def truck(self, trip: Trip) -> Truck:
        t = trip.truck
        return Truck(self, trip, self.side(t.gate, "outbound"), self.side(t.partner_gate, "inbound"))

    def first_in_queue(self, side: Side, crossing: dict) -> None:
        """The driver link printed is the first truck to queue at a Vietnamese yard."""
        if self.driver_link is None and side.node is self.vn and side.direction == "outbound":
            self.driver_link = (f"{side.node.url}/driver?reference={crossing['reference']}"
                                f"&plate={quote(crossing['plate'])}")
            self.say(f"{'driver link:':<27}{self.driver_link}".ljust(120))

    async def enter_overrides(self, bodies: list[tuple[str, dict]]) -> None:
        """The supervisors enter the scenario's capacity changes, each on the node of the gate."""
        for gate, body in bodies:
            await self.node_for(gate).api("supervisor", self.errors).post(
                f"/api/v1/gates/{gate}/capacity-overrides", body, expect=(201,))

    async def live(self) -> None:
        """The console's one live line: node time, each demo yard's queue (from the public wait-time
        feed, as the board shows it), crossings so far, errors."""
        region = load_gates()
        while True:
            await asyncio.sleep(2)
            parts = [f"{self.pace.now().astimezone(ZoneInfo(region[SENDING_GATES[0]].timezone)):%H:%M} at the gates"]
            for node in (self.vn, self.cn):
                with contextlib.suppress(Unexpected):
                    for row in await node.api("supervisor", self.errors).get("/api/v1/wait-times"):
                        if row["gate"] in self.flows and row["direction"] == "outbound":
                            parts.append(f"{row['gate']} {row['trucks_waiting']} waiting ({row['status']})")
            done = Counter(t.progress.done for t in self.trucks)
            parts += [f"{done['crossed']} crossed", f"{self.errors.count} errors"]
            self.say(" · ".join(parts).ljust(120), live=True)

    async def play(self, trips: list[Trip], duration: float | None, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        for trip in trips:
            self.trucks.append(self.truck(trip))
        background = [loop.create_task(d.run()) for d in self.displays.values()]
        if not self.headless:
            background.append(loop.create_task(self.live()))
        tasks = [loop.create_task(truck.journey()) for truck in self.trucks]
        try:
            if duration is None:
                await stop.wait()
            else:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), duration)
        finally:
            self.stopped_at = self.pace.now()
            for task in tasks + background:
                task.cancel()
            for result in await asyncio.gather(*tasks, *background, return_exceptions=True):
                if isinstance(result, Exception) and not isinstance(result, (asyncio.CancelledError, Unexpected)):
                    self.errors.add(f"{type(result).__name__}: {result}")


# ------------------------------------------------------------------ the summary


async def every_crossing(node: DemoNode, errors: ApiErrors) -> list[dict]:
    api, found = node.api("supervisor", errors), []
    while True:
        page = await api.get("/api/v1/crossings", params={"limit": 500, "offset": len(found)})
        found += page
        if len(page) < 500:
            return found


async def undelivered(nodes: Iterable[DemoNode], errors: ApiErrors, seconds: float = 15) -> int:
    """Wait (up to `seconds` of real time) until neither node has a message for the other still
    to deliver; the number left."""
    deadline = time.monotonic() + seconds
    while True:
        left = 0
        for node in nodes:
            left += sum(p["outbox_depth"] for p in await node.api("supervisor", errors).get("/api/v1/exchange/status"))
        if not left or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.2)


def story_problems(exports: list[dict], imports: dict[str, dict]) -> list[str]:
    """Whether both nodes tell one story of each truck: its export here and import there.

    Once the exchange has drained: every export has its import on the other node; a truck the
    importing side let through had left the exporting side; a truck that left is known to have
    left on the other side; a refusal or cancellation on one side is the other side's too; and
    each side's record of the other's final status is that status."""
    problems = []
    for export in exports:
        ref, imp = export["reference"], imports.get(export["id"])
        if imp is None:
            problems.append(f"{ref}: no crossing on the partner's node")
            continue
        if imp["status"] == "exited" and (export["status"] != "exited" or export["partner"].get("status") != "exited"):
            problems.append(f"{ref}: through the partner's barrier, but {export['status']} here")
        if export["status"] == "exited" and (imp["status"] in ("declared", "cancelled")
                                             or imp["partner"].get("status") != "exited"):
            problems.append(f"{ref}: left, but the partner has it {imp['status']}")
        if export["status"] in ("refused", "cancelled") and imp["status"] != "cancelled":
            problems.append(f"{ref}: {export['status']} here, {imp['status']} at the partner")
        if imp["status"] == "refused" and export["partner"].get("status") != "refused":
            problems.append(f"{ref}: refused by the partner, who told us {export['partner'].get('status')}")
    return problems


async def summarize(demo: Demo) -> list[str]:
    """The closing lines: errors, then `demo: N trucks crossed (Y yellow/red), W waiting, S stuck,
    nodes agree: yes|no`. Crossed: through the partner's barrier (yellow/red: either side sent it to
    an officer). Waiting: declared, not through, not refused or cancelled, not stuck."""
    nodes = (demo.vn, demo.cn)
    left = await undelivered(nodes, demo.errors)
    by_id = {c["id"]: c for node in nodes for c in await every_crossing(node, demo.errors)}
    imports = {c["partner"]["crossing_id"]: c for c in by_id.values()
               if c["direction"] == "import" and c["partner"].get("crossing_id")}
    exports = [c for c in by_id.values() if c["direction"] == "export"]
    problems = story_problems(exports, imports) + ([f"{left} messages still undelivered"] if left else [])
    crossed = {e["id"] for e in exports if imports.get(e["id"], {}).get("status") == "exited"}
    checked = [i for i in crossed if {by_id[i]["risk_lane"], imports[i]["risk_lane"]} & {"yellow", "red"}]
    ended = {e["id"] for e in exports if e["status"] in ("refused", "cancelled")
             or imports.get(e["id"], {}).get("status") in ("refused", "cancelled")}
    stuck = []
    for truck in demo.trucks:
        if truck.export_id is None or truck.export_id in ended | crossed:
            continue
        here = by_id.get(truck.crossing.get("id", ""), {})
        last = datetime.fromisoformat(here["updated_at"]) if here.get("updated_at") else None
        if truck.progress.stuck(demo.stopped_at, last, demo.slack):
            stuck.append(truck)
    waiting = len(exports) - len(crossed) - len(ended) - len(stuck)
    unconfirmed = [f"{f['gate']} {f['lane']} ({f['state']})" for node in nodes
                   for f in (await node.api("supervisor", demo.errors).get("/api/v1/devices"))["unconfirmed_barriers"]]
    lines = [demo.errors.line()]
    if unconfirmed:
        lines.append(f"barrier openings not confirmed: {len(unconfirmed)} ({'; '.join(unconfirmed[:3])})")
    if problems:
        lines.append(f"disagreements: {len(problems)} ({'; '.join(problems[:3])})")
    if stuck:
        lines.append("stuck: " + "; ".join(f"{t.t.plate} {t.progress.step} since {t.progress.since:%H:%M}"
                                           for t in stuck[:5]))
    lines.append(f"demo: {len(crossed)} trucks crossed ({len(checked)} yellow/red), {waiting} waiting, "
                 f"{len(stuck)} stuck, nodes agree: {'no' if problems else 'yes'}")
    return lines


def yard_waits(trucks: list[Truck], now: datetime) -> list[str]:
    """Median time in each Vietnamese yard, perishable trucks and the others, check-in to call (or
    to now for a truck still waiting: counting only the called would hide who is left behind)."""
    lines = []
    for gate in SENDING_GATES:
        by_class: dict[str, list[float]] = {}
        for truck in trucks:
            if truck.t.gate != gate or gate not in truck.checked_in:
                continue
            waited = truck.waits[gate] if gate in truck.waits else now - truck.checked_in[gate]
            kind = "perishable" if truck.t.perishable else "not perishable"
            by_class.setdefault(kind, []).append(waited / timedelta(minutes=1))
        if by_class:
            lines.append(f"{gate} yard, median wait to be called: " + ", ".join(
                f"{cls} {statistics.median(v):.0f} min ({len(v)} truck{'s' if len(v) > 1 else ''})"
                for cls, v in sorted(by_class.items())))
    return lines


def print_people(vn: DemoNode, cn: DemoNode, say: Callable[..., None]) -> None:
    """One line each, with its label: the screens, and a key for each persona to sign in with."""
    for node in (vn, cn):
        say(f"{node.label + ' console:':<27}{node.url}/console")
        say(f"{node.label + ' wait board:':<27}{node.url}/board")
        say(f"{node.label + ' API docs:':<27}{node.url}/docs")
    for node in (vn, cn):
        for role, label in (("supervisor", "supervisor"), ("customs", "customs officer"),
                            ("quarantine", "quarantine officer")):
            say(f"{f'{node.label} {label} key:':<27}{node.keys[role]}")
        if node.declarants:
            tax_id, key = next(iter(sorted(node.declarants.items())))
            say(f"{f'{node.label} declarant key:':<27}{key}  (tax id {tax_id})")


# ------------------------------------------------------------------ entry point


def run(*, data_dir: Path, base_port: int, speed: float, scale: float, duration: float | None, headless: bool,
        seed: int, fresh: bool, say: Callable[..., None], scenario_name: str = "durian_peak",
        start: str | None = None, policy: str = "priority", problems: float | None = None) -> list[str]:
    """Set up, start both nodes, play the trips until `duration` real seconds have passed (or
    Ctrl-C), and return the closing lines (the summary last)."""
    from borderflow.sim import load_scenario

    if speed < 1:
        raise RuntimeError(f"--speed must be 1 or more, got {speed:g}")
    scenario = load_scenario(scenario_name)
    begin = parse_start(start)
    settings = node_settings(scenario, policy, scale, speed)
    until = begin + timedelta(seconds=duration * speed) if duration is not None else None
    trips = plan_trips(scenario, seed, scale, begin, until)
    declarants: dict[str, set[str]] = {"vn": set(), "cn": set()}
    for trip in trips:
        declarants["vn" if trip.truck.country == "VN" else "cn"].add(trip.truck.declarant.tax_id)
    nodes = set_up(data_dir, base_port, fresh, declarants, begin)
    timeline = Timeline(begin, speed, datetime.now(UTC) + NODES_BOOT)
    try:
        start_nodes(nodes, {n.name: {**timeline.env(), **settings} for n in nodes})
        say(f"{'node time:':<27}{begin.isoformat()} at {speed:g}× real time: {scenario.title}")
        print_people(*nodes, say)
        play = Play(nodes, scenario, scenario.policy(policy), timeline, seed,
                    float(settings["BORDERFLOW_CALL_FORWARD_SECONDS"]), problems, trips,
                    scenario_overrides(scenario, scale, begin, until), duration, headless, say)
        return asyncio.run(play.run())
    finally:
        stop_nodes(nodes)


@dataclass
class Play:
    """The asynchronous part: HTTP clients, Ctrl-C, the trucks, the summary."""

    nodes: tuple[DemoNode, DemoNode]
    scenario: Any
    policy: Any
    timeline: Timeline
    seed: int
    cadence: float
    problems: float | None
    trips: list[Trip]
    overrides: list[tuple[str, dict]]
    duration: float | None
    headless: bool
    say: Callable[..., None]

    async def run(self) -> list[str]:
        stop = asyncio.Event()
        self.catch_interrupts(stop)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
        for node in self.nodes:
            node.http = httpx.AsyncClient(base_url=node.url, timeout=30, limits=limits)
        try:
            demo = Demo(self.nodes, self.scenario, self.policy, self.timeline, self.seed, self.cadence,
                        self.problems, self.say, self.headless)
            with contextlib.suppress(Unexpected):  # counted: the summary says so
                await demo.enter_overrides(self.overrides)
            await demo.play(self.trips, self.duration, stop)
            self.say("".ljust(120), live=True)
            for line in yard_waits(demo.trucks, demo.pace.now()):
                self.say(line)
            if demo.stats:
                self.say("on the way: " + ", ".join(f"{n} {what}" for what, n in sorted(demo.stats.items())))
            return await summarize(demo)
        finally:
            for node in self.nodes:
                await node.http.aclose()

    @staticmethod
    def catch_interrupts(stop: asyncio.Event) -> None:
        """The first Ctrl-C stops the trucks and asks for the summary; a second one ends it all."""
        loop = asyncio.get_running_loop()

        def interrupted(sig: int) -> None:
            stop.set()
            loop.remove_signal_handler(sig)

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, interrupted, sig)
