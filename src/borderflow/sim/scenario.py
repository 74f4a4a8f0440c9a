"""Scenario files (TOML): the demand, the gates and the policies one simulation compares.

Read once and checked here, so the model can trust every value; a mistake stops the
run with the file, the key path and what is expected, because whoever reads it is
a planner editing a copy of a shipped scenario.

A scenario runs real nodes' configuration: `nodes` names node files ("vn", "cn" or a
path, relative to the scenario file), which give the gates, their lanes and each node's
rules file; the yard rules are the node's own (`sim/node_config.py`: its settings and
defaults), changed only by what the scenario's `[yard]` table and a policy's table say.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from borderflow.domain.capacity import Override
from borderflow.domain.gates import Gate, Lane
from borderflow.domain.queueing import QueuePolicy
from borderflow.domain.yard_rules import YardRules
from borderflow.reference.region import NodeFileError, load_gates, load_node
from borderflow.reference.toml_reader import FileError, TomlReader, child
from borderflow.sim.commodities import CATALOG, Commodity
from borderflow.sim.distributions import Distribution, DistributionError, parse_distribution
from borderflow.sim.node_config import YardSettingError, default_call_seconds, default_rules, node_rules, yard_keys

CAPACITY, SEND_ALL = "capacity", "send_all"
# `capacity` is the node's call-forward. `send_all` is the one exception, kept for comparison: the
# 2021 situation, before any node read the partner's capacity. The yard calls as its own lanes and
# hours allow, first come first served, and the queue forms at the border line. No node runs it.
CALL_FORWARD = (CAPACITY, SEND_ALL)
COLOURS = ("green", "blue", "yellow", "red")
# Lane time by risk-lane colour; `inspection`: a physical check; `document`: from the declaration to an
# agency's sign-off of a document check; `hold`: what a check that finds a problem adds.
SERVICE_KEYS = (*COLOURS, "inspection", "document", "hold")
DEFAULT_NODES = ("vn", "cn")
TOP_KEYS = ("name", "title", "description", "start", "days", "drain_days", "day_factors", "demand_scale",
            "perishable_threshold_hours", "secret", "rules", "compare", "sample_minutes", "defaults", "service",
            "flows", "outages", "new_lanes", "policies", "commodities", "nodes", "yard")
FLOW_SETTINGS = ("mix", "profile", "line_capacity", "declarants", "new_declarant_share", "booked_share",
                 "drive_minutes", "missed_call_share", "problem_share")
FLOW_KEYS = ("from", "trucks_per_day", *FLOW_SETTINGS)
# Keys of earlier scenario files whose job the node's own rules do now: what to write instead.
RETIRED = {
    "per_lane_per_hour": "a yard rule now: set per_lane_per_hour in [yard] (the node's setting, one rate for "
                         "every gate of the node)",
    "partner_per_lane_per_hour": "the partner's acceptance is its own node's calendar: its lanes × [yard] "
                                 "per_lane_per_hour, reduced where an [[outages]] entry with trucks_per_hour says",
    "call_ahead": "retired: the node's budget decides (called_per_lane trucks on their way to each lane, [yard])",
    "call_batch": "retired: the node's budget decides (called_per_lane trucks on their way to each lane, [yard])",
    "call_lead_minutes": "retired: the node calls within the places the current hour has left",
    "trusted_share": "retired: the node's rule decides who is trusted (trusted_after clean crossings, [yard]); "
                     "declarants' records come from problem_share",
}
POLICY_RETIRED = {"queue": "renamed queue_policy (the node's setting)", "pattern": "renamed call_pattern",
                  "max_wait": "write max_wait_hours"}
BUILTIN_POLICIES = {
    "fifo": {"queue_policy": "fifo"},
    "priority": {"queue_policy": "priority"},
    "booked_first": {"queue_policy": "booked_first"},
    SEND_ALL: {"queue_policy": "fifo", "call_forward": SEND_ALL},
}
_NAME = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")


class ScenarioError(FileError):
    """A scenario file that cannot be simulated; names the file, the key and what is expected."""


@dataclass(frozen=True, slots=True)
class LaneOpening:
    """A lane that exists only from `opens` on (a new lane in the scenario)."""

    gate: str
    lane: Lane
    opens: datetime


@dataclass(frozen=True, slots=True)
class FlowSpec:
    """Trucks sent from one gate to the gate facing it: one direction of one gate pair.

    The sending gate's node runs the yard, the call-forward and its outbound lanes with its
    own rules file; the receiving gate is its acceptance capacity per hour, the calendar its
    own node announces.
    """

    gate: Gate  # sending gate, with every lane it will ever have
    partner: Gate  # receiving gate, likewise
    trucks_per_day: float
    mix: tuple[tuple[Commodity, float], ...]  # shares sum to 1
    profile: tuple[float, ...]  # 24 arrival weights by the sending gate's local hour, sum to 1
    node: str = "VN-BORDER"  # the node that runs the sending gate
    rules: str | None = None  # that node's rules file; None: the shipped default rules
    yard: YardRules = field(default_factory=default_rules)  # the scenario's yard rules (a policy may change them)
    line_capacity: int = 60
    declarants: int = 40
    new_declarant_share: float = 0.1
    booked_share: float = 0.3
    drive_minutes: float = 5.0  # from the yard to the lanes once called
    missed_call_share: float = 0.0  # drivers who do not come when first called (the 20-minute rule requeues them)
    problem_share: float = 0.01  # chance that a crossing's sign-off finds a problem, here and in past records

    @property
    def key(self) -> str:
        return f"{self.gate.code}>{self.partner.code}"

    @property
    def direction(self) -> str:
        """The direction as the Vietnamese node sees it (the reference region's customary view)."""
        return "export" if self.gate.country == "VN" else "import"

    @property
    def per_lane_per_hour(self) -> int:
        """The sending node's planning rate per goods lane and hour (its yard rules)."""
        return self.yard.per_lane_per_hour

    @property
    def partner_per_lane_per_hour(self) -> int:
        """The receiving node's rate per inbound lane and hour (the same yard rules: one [yard] table)."""
        return self.yard.per_lane_per_hour


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A policy to compare: the node's yard rules as changed by the policy's table, and the call-forward.

    `rules` is what a node would run with those settings (queue policy, call-up pattern, aging,
    budget, …); `call_forward` is `capacity` (the node's) or `send_all` (the 2021 comparison).
    """

    name: str
    rules: YardRules = field(default_factory=default_rules)
    call_forward: str = CAPACITY
    call_seconds: float = field(default_factory=default_call_seconds)  # the node's interval between steps
    changes: tuple[tuple[str, Any], ...] = ()  # the settings this policy changes on top of [yard]

    @property
    def queue(self) -> str:
        return self.rules.queue_policy

    def build(self) -> QueuePolicy:
        return self.rules.policy()

    def describe(self) -> str:
        extra = ", ".join(f"{k}={_show(v)}" for k, v in self.changes if k != "queue_policy")
        forward = "the node's call-forward (capacity calendar, capped by the partner's announced acceptance)" \
            if self.call_forward == CAPACITY else \
            "send everything: the partner's acceptance ignored (the 2021 situation, no node runs it)"
        return f"{self.queue}{f' ({extra})' if extra else ''}; {forward}"


FLOW_DEFAULTS = {f.name: f.default for f in dataclasses.fields(FlowSpec) if f.default is not dataclasses.MISSING}


def _show(value: Any) -> str:
    if isinstance(value, timedelta):
        hours = value.total_seconds() / 3600
        return f"{hours:g} h"
    if isinstance(value, (tuple, list)):
        return "/".join(str(v) for v in value)
    return str(value)


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    description: str
    source: str
    start: datetime
    days: int
    drain_days: int
    flows: tuple[FlowSpec, ...]
    service: dict[str, Distribution]
    policies: dict[str, PolicySpec]
    compare: tuple[str, ...]
    day_factors: tuple[float, ...] = (1.0,)
    demand_scale: float = 1.0
    outages: tuple[tuple[str, Override], ...] = ()  # (gate code, override)
    outage_directions: tuple[str | None, ...] = ()  # per outage: inbound, outbound, or None for both
    lane_openings: tuple[LaneOpening, ...] = ()
    perishable_threshold_hours: float = 24.0
    secret: bytes = b"borderflow-sim"
    rules: str | None = None  # the scenario's `rules`, for every node; None: each node file's own choice
    sample_minutes: int = 30
    nodes: tuple[str, ...] = DEFAULT_NODES  # the node files, as named
    yard: YardRules = field(default_factory=default_rules)  # the node's yard rules with [yard]'s changes
    yard_changes: tuple[tuple[str, Any], ...] = ()  # what [yard] changes, setting by setting
    call_seconds: float = field(default_factory=default_call_seconds)  # the node's interval between steps

    @property
    def arrival_minutes(self) -> float:
        return self.days * 1440.0

    @property
    def horizon_minutes(self) -> float:
        return (self.days + self.drain_days) * 1440.0

    def policy(self, name: str) -> PolicySpec:
        """A policy of this scenario by name, or a built-in one (fifo, priority, booked_first, send_all)."""
        if name in self.policies:
            return self.policies[name]
        if name in BUILTIN_POLICIES:
            return _policy(_Reader(self.source), name, BUILTIN_POLICIES[name], f"--policy {name}", self.yard_changes)
        known = sorted(set(self.policies) | set(BUILTIN_POLICIES))
        raise ScenarioError(self.source, "policies", f"no policy {name!r}; expected one of {', '.join(known)}")

    def expected_trucks(self) -> float:
        total = sum(f.trucks_per_day for f in self.flows) * self.demand_scale
        return total * sum(self.day_factor(d) for d in range(self.days))

    def day_factor(self, day: int) -> float:
        return self.day_factors[day % len(self.day_factors)]

    def overrides_for(self, gate: str, direction: str = "outbound") -> tuple[Override, ...]:
        """The operator's overrides of one gate's calendar in one direction (outbound: what it sends)."""
        directions = self.outage_directions or (None,) * len(self.outages)
        return tuple(o for (code, o), only in zip(self.outages, directions, strict=True)
                     if code == gate and only in (None, direction))

    def openings_for(self, gate: str) -> tuple[LaneOpening, ...]:
        return tuple(o for o in self.lane_openings if o.gate == gate)

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed (e.g. days=1, demand_scale=2.0), for benchmarks and tests."""
        return dataclasses.replace(self, **changes)

    def only(self, *gates: str) -> Scenario:
        """The same scenario restricted to the flows sent from the given gates."""
        flows = tuple(f for f in self.flows if f.gate.code in gates)
        if not flows:
            raise ScenarioError(self.source, "flows", f"no flow from {', '.join(gates)}")
        return dataclasses.replace(self, flows=flows)


# ------------------------------------------------------------------ loading


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped with the package (normal_day, durian_peak, …)."""
    folder = resources.files("borderflow.sim").joinpath("scenarios")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml") and not p.name.startswith("_"))


def load_scenario(spec: str | Path) -> Scenario:
    """A shipped scenario by name ("durian_peak") or the path of a scenario TOML file."""
    text_spec = str(spec)
    name = text_spec[:-5] if text_spec.endswith(".toml") else text_spec
    if "/" not in text_spec and name in shipped_scenarios():
        source = f"{name}.toml"
        raw = resources.files("borderflow.sim").joinpath("scenarios", source).read_bytes()
        return parse_scenario(raw, source)
    path = Path(text_spec).expanduser()
    if not path.is_file():
        raise ScenarioError(text_spec, "", f"no such scenario; expected one of {', '.join(shipped_scenarios())} "
                                           "or the path of a scenario TOML file")
    return parse_scenario(path.read_bytes(), str(path))


def parse_scenario(raw: bytes | str, source: str = "<scenario>") -> Scenario:
    r = _Reader(source)
    try:
        data = tomllib.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw)
    except UnicodeDecodeError as exc:
        r.fail("", f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    except tomllib.TOMLDecodeError as exc:
        r.fail("", f"not valid TOML: {exc}")
    r.keys(data, "", required=("name", "start", "days", "flows"), optional=TOP_KEYS)
    name = r.text(data["name"], "name", _NAME, "a lower-case name such as durian_peak")
    start = data["start"]
    if not isinstance(start, datetime) or start.tzinfo is None:
        r.fail("start", f"expected a date-time with its UTC offset, e.g. 2026-06-15T00:00:00+07:00, got {start!r}")
    if start.minute or start.second or start.microsecond:
        r.fail("start", f"expected a whole hour (hour capacities start on the hour), got {start.isoformat()}")
    days = r.integer(data["days"], "days", 1, 3650)
    drain_days = r.integer(data.get("drain_days", 0), "drain_days", 0, 365)
    factors = tuple(r.number(v, f"day_factors[{i}]", 0, 100)
                    for i, v in enumerate(r.array(data.get("day_factors", [1.0]), "day_factors")))
    catalog = dict(CATALOG)
    for key, raw_c in r.table(data.get("commodities", {}), "commodities").items():
        catalog[key] = _commodity(r, key, raw_c)
    defaults = r.table(data.get("defaults", {}), "defaults")
    _retired(r, defaults, "defaults")
    r.keys(defaults, "defaults", (), FLOW_SETTINGS)
    yard_table = r.table(data.get("yard", {}), "yard")
    yard, call_seconds = _yard(r, yard_table, "yard")
    yard_changes = tuple(yard_table.items())
    rules = data.get("rules", None)
    if rules is not None:
        r.text(rules, "rules")
    node_specs, operated, gates = _nodes(r, data, rules)
    openings = tuple(_opening(r, i, raw_o, gates) for i, raw_o in enumerate(
        r.array(data.get("new_lanes", []), "new_lanes", non_empty=False)))
    for opening in openings:  # a new lane exists physically from `opens`; the gate carries it throughout
        gate = gates[opening.gate]
        if gate.lane(opening.lane.code) is not None:
            r.fail("new_lanes", f"gate {gate.code} already has a lane {opening.lane.code}")
        gates[gate.code] = dataclasses.replace(gate, lanes=gate.lanes + (opening.lane,))
    flows = []
    seen: dict[str, int] = {}
    for i, raw_f in enumerate(r.array(data["flows"], "flows")):
        flow = _flow(r, i, r.table(raw_f, f"flows[{i}]"), defaults, gates, operated, catalog, yard)
        if flow.gate.code in seen:
            r.fail(f"flows[{i}].from", f"gate {flow.gate.code} is already sent from in flows[{seen[flow.gate.code]}]; "
                                      "expected one flow per sending gate")
        seen[flow.gate.code] = i
        flows.append(flow)
    service = _service(r, r.table(data.get("service", {}), "service"))
    entries = [o for i, raw_o in enumerate(r.array(data.get("outages", []), "outages", non_empty=False))
               for o in _outages(r, i, raw_o, gates)]
    outages = tuple((code, o) for code, o, _ in entries)
    policies = {}
    for pname, raw_p in r.table(data.get("policies", {}), "policies").items():
        r.text(pname, f"policies.{pname}", _NAME, "a lower-case policy name")
        policies[pname] = _policy(r, pname, r.table(raw_p, f"policies.{pname}"), f"policies.{pname}", yard_changes)
    compare = tuple(r.text(v, f"compare[{i}]") for i, v in enumerate(
        r.array(data.get("compare", list(policies) or ["fifo", "priority", "send_all"]), "compare")))
    for i, pname in enumerate(compare):
        if pname not in policies and pname not in BUILTIN_POLICIES:
            known = sorted(set(policies) | set(BUILTIN_POLICIES))
            r.fail(f"compare[{i}]", f"no policy {pname!r}; expected one of {', '.join(known)}")
    secret = r.text(data.get("secret", f"borderflow-sim:{name}"), "secret")
    return Scenario(
        name=name, title=r.text(data.get("title", name), "title"),
        description=r.text(data.get("description", name), "description").strip(), source=source,
        start=start, days=days, drain_days=drain_days, flows=tuple(flows), service=service, policies=policies,
        compare=compare, day_factors=factors,
        demand_scale=r.number(data.get("demand_scale", 1.0), "demand_scale", 0, 1000),
        outages=outages, outage_directions=tuple(d for _, _, d in entries), lane_openings=openings,
        perishable_threshold_hours=r.number(data.get("perishable_threshold_hours", 24), "perishable_threshold_hours",
                                            0.1, 10_000),
        secret=hashlib.sha256(secret.encode()).digest(), rules=None if rules in (None, "default") else rules,
        sample_minutes=r.integer(data.get("sample_minutes", 30), "sample_minutes", 1, 1440),
        nodes=node_specs, yard=yard, yard_changes=yard_changes, call_seconds=call_seconds,
    )


def _retired(r: _Reader, t: dict, at: str) -> None:
    for key, instead in RETIRED.items():
        if key in t:
            r.fail(child(at, key), instead)


def _yard(r: _Reader, t: dict, at: str) -> tuple[YardRules, float]:
    """The node's yard rules with the settings of `t` changed (the node's own names and checks)."""
    try:
        return node_rules(t)
    except YardSettingError as exc:
        r.fail(child(at, exc.key) if exc.key else at, exc.problem)


def _relative(r: _Reader, spec: str) -> str:
    """A node file or rules file named in the scenario: relative to the scenario file's folder."""
    if spec in DEFAULT_NODES or spec == "default":
        return spec
    path = Path(spec).expanduser()
    if not path.is_absolute() and Path(r.source).parent != Path("") and Path(r.source).is_file():
        path = Path(r.source).parent / path
    return str(path)


def _nodes(r: _Reader, data: dict, rules: str | None) -> tuple[tuple[str, ...], dict[str, tuple[str, str | None]],
                                                                 dict[str, Gate]]:
    """The scenario's node files: (their names, gate code → (node id, rules file) for the gates they operate,
    every gate known: the shipped region's, with the node files' own gates and changes on top)."""
    raw = data.get("nodes", list(DEFAULT_NODES))
    specs = [raw] if isinstance(raw, str) else r.array(raw, "nodes")
    gates = load_gates()
    operated: dict[str, tuple[str, str | None]] = {}
    for i, spec in enumerate(specs):
        at = "nodes" if isinstance(raw, str) else f"nodes[{i}]"
        r.text(spec, at)
        try:
            node_file = load_node(_relative(r, spec))
        except NodeFileError as exc:
            r.fail(at, str(exc))
        chosen = _relative(r, rules) if rules is not None else node_file.rules
        for code, gate in node_file.node.gates.items():
            if code in operated:
                r.fail(at, f"gate {code} is operated by two of the scenario's nodes ({operated[code][0]} and "
                           f"{node_file.node.id})")
            operated[code] = (node_file.node.id, None if chosen == "default" else chosen)
            gates[code] = gate
    return tuple(specs), operated, gates


def _commodity(r: _Reader, key: str, raw: Any) -> Commodity:
    at = f"commodities.{key}"
    t = r.table(raw, at)
    r.keys(t, at, ("description", "perishable", "net_kg", "value_per_kg"), ("hs_vn", "hs_cn"))
    if "hs_vn" not in t and "hs_cn" not in t:
        r.fail(at, "expected hs_vn (8 digits) or hs_cn (10 digits), or both")
    hs_vn = r.text(t["hs_vn"], f"{at}.hs_vn", re.compile(r"\d{8}"), "8 digits") if "hs_vn" in t else None
    hs_cn = r.text(t["hs_cn"], f"{at}.hs_cn", re.compile(r"\d{10}"), "10 digits") if "hs_cn" in t else None
    if not isinstance(t["perishable"], bool):
        r.fail(f"{at}.perishable", f"expected true or false, got {t['perishable']!r}")
    return Commodity(key, r.text(t["description"], f"{at}.description"), hs_vn, hs_cn, t["perishable"],
                     r.integer(t["net_kg"], f"{at}.net_kg", 1, 40_000),
                     r.number(t["value_per_kg"], f"{at}.value_per_kg", 0, 100_000))


def _flow(r: _Reader, i: int, t: dict, defaults: dict, gates: dict[str, Gate],
          operated: dict[str, tuple[str, str | None]], catalog: dict[str, Commodity], yard: YardRules) -> FlowSpec:
    at = f"flows[{i}]"
    _retired(r, t, at)
    r.keys(t, at, ("from", "trucks_per_day"), FLOW_SETTINGS)
    code = r.text(t["from"], f"{at}.from")
    if code not in gates:
        r.fail(f"{at}.from", f"unknown gate {code!r}; expected one of {', '.join(sorted(gates))}")
    if code not in operated:
        r.fail(f"{at}.from", f"gate {code} is not operated by the scenario's nodes; expected one of "
                             f"{', '.join(sorted(operated))} (or add its node file to `nodes`)")
    gate = gates[code]
    if gate.partner_gate not in gates:
        r.fail(f"{at}.from", f"the partner gate {gate.partner_gate!r} of {code} is unknown")
    partner = gates[gate.partner_gate]
    node_id, rules = operated[code]

    def get(name: str) -> tuple[Any, str]:
        if name in t:
            return t[name], f"{at}.{name}"
        return defaults.get(name), f"defaults.{name}"

    out_lanes = [lane for lane in gate.lanes if lane.direction == "outbound" and lane.kind == "goods"]
    in_lanes = [lane for lane in partner.lanes if lane.direction == "inbound" and lane.kind == "goods"]
    if not out_lanes:
        r.fail(f"{at}.from", f"gate {code} has no outbound goods lane")
    if not in_lanes:
        r.fail(f"{at}.from", f"partner gate {partner.code} has no inbound goods lane")
    mix_raw, mix_at = get("mix")
    if mix_raw is None:
        r.fail(f"{at}.mix", "missing (here or in [defaults]); expected a table of commodity shares, "
                            "e.g. { durian = 0.6, cassava = 0.4 }")
    mix_t = r.table(mix_raw, mix_at)
    if not mix_t:
        r.fail(mix_at, "expected at least one commodity")
    mix = []
    for key, share in mix_t.items():
        if key not in catalog:
            r.fail(f"{mix_at}.{key}", f"unknown commodity; expected one of {', '.join(sorted(catalog))} "
                                      "or a [commodities.NAME] table")
        if catalog[key].hs_for(gate.country) is None:
            r.fail(f"{mix_at}.{key}", f"{key} has no HS line for a {gate.country} sender; add hs_"
                                      f"{gate.country.lower()} in [commodities.{key}]")
        mix.append((catalog[key], r.number(share, f"{mix_at}.{key}", 0, 1e9)))
    total = sum(s for _, s in mix)
    if total <= 0:
        r.fail(mix_at, "expected shares that add up to more than 0")
    profile_raw, profile_at = get("profile")
    profile = [1.0] * 24 if profile_raw is None else [
        r.number(v, f"{profile_at}[{j}]", 0, 1e9) for j, v in enumerate(r.array(profile_raw, profile_at))]
    if len(profile) != 24:
        r.fail(profile_at, f"expected 24 weights (one per local hour 00–23), got {len(profile)}")
    if sum(profile) <= 0:
        r.fail(profile_at, "expected weights that add up to more than 0")

    def setting(name: str, low: float, high: float, integer: bool = False) -> Any:
        value, where = get(name)
        if value is None:
            return FLOW_DEFAULTS[name]
        return r.integer(value, where, int(low), int(high)) if integer else r.number(value, where, low, high)

    return FlowSpec(
        gate=gate, partner=partner,
        trucks_per_day=r.number(t["trucks_per_day"], f"{at}.trucks_per_day", 0, 100_000),
        mix=tuple((c, s / total) for c, s in mix), profile=tuple(p / sum(profile) for p in profile),
        node=node_id, rules=rules, yard=yard,
        line_capacity=setting("line_capacity", 1, 100_000, True),
        declarants=setting("declarants", 1, 100_000, True),
        new_declarant_share=setting("new_declarant_share", 0, 1),
        booked_share=setting("booked_share", 0, 1),
        drive_minutes=setting("drive_minutes", 0, 600),
        missed_call_share=setting("missed_call_share", 0, 1),
        problem_share=setting("problem_share", 0, 1),
    )


def _service(r: _Reader, t: dict) -> dict[str, Distribution]:
    r.keys(t, "service", (), SERVICE_KEYS)
    defaults = {  # minutes; the scenario files document their own choice
        "green": {"kind": "lognormal", "mean": 3.0, "sd": 1.0},
        "blue": {"kind": "lognormal", "mean": 3.0, "sd": 1.0},
        "yellow": {"kind": "lognormal", "mean": 3.0, "sd": 1.0},
        "red": {"kind": "lognormal", "mean": 4.0, "sd": 1.5},
        "inspection": {"kind": "erlang", "k": 3, "mean": 45.0},
        "document": {"kind": "lognormal", "mean": 10.0, "sd": 5.0},
        "hold": {"kind": "lognormal", "mean": 60.0, "sd": 30.0},
    }
    out = {}
    for key in SERVICE_KEYS:
        try:
            out[key] = parse_distribution(t.get(key, defaults[key]), f"service.{key}")
        except DistributionError as exc:
            key_path, _, problem = str(exc).partition(": ")
            r.fail(key_path, problem)
    return out


def _outages(r: _Reader, i: int, raw: Any, gates: dict[str, Gate]) -> list[tuple[str, Override, str | None]]:
    """One [[outages]] entry: an operator's override of a gate's capacity, as a supervisor enters it on
    the node (a closure, or a reduced number of trucks an hour), in one direction or both, repeated on
    `repeat_days` days."""
    at = f"outages[{i}]"
    t = r.table(raw, at)
    r.keys(t, at, ("gate", "start", "hours"), ("trucks_per_hour", "reason", "repeat_days", "direction"))
    code = r.text(t["gate"], f"{at}.gate")
    if code not in gates:
        r.fail(f"{at}.gate", f"unknown gate {code!r}; expected one of {', '.join(sorted(gates))}")
    start = r.moment(t["start"], f"{at}.start")
    hours = r.number(t["hours"], f"{at}.hours", 0.0, 24 * 365)
    if hours <= 0:
        r.fail(f"{at}.hours", f"expected a positive number of hours, got {hours:g}")
    if start.minute or start.second or start.microsecond or hours != int(hours):
        r.fail(at, "expected a start on the hour and whole hours: capacity is announced per hour")
    per_hour = t.get("trucks_per_hour")
    if per_hour is not None:
        per_hour = r.integer(per_hour, f"{at}.trucks_per_hour", 0, 100_000)
    reason = r.text(t.get("reason", "outage"), f"{at}.reason")
    repeat = r.integer(t.get("repeat_days", 1), f"{at}.repeat_days", 1, 3650)
    if repeat > 1 and hours > 24:
        r.fail(f"{at}.repeat_days", "a repeated outage lasts at most 24 hours a day")
    direction = t.get("direction")
    if direction is not None and direction not in ("inbound", "outbound"):
        r.fail(f"{at}.direction", f"expected 'inbound' or 'outbound' (or no direction: both), got {direction!r}")
    # trucks_per_hour absent or 0: closed (Override's None); more: reduced to that many an hour.
    return [(code, Override(start + timedelta(days=d), start + timedelta(days=d, hours=hours), per_hour or None,
                            reason), direction) for d in range(repeat)]


def _opening(r: _Reader, i: int, raw: Any, gates: dict[str, Gate]) -> LaneOpening:
    at = f"new_lanes[{i}]"
    t = r.table(raw, at)
    r.keys(t, at, ("gate", "code", "direction", "opens"), ())
    code = r.text(t["gate"], f"{at}.gate")
    if code not in gates:
        r.fail(f"{at}.gate", f"unknown gate {code!r}; expected one of {', '.join(sorted(gates))}")
    direction = t["direction"]
    if direction not in ("inbound", "outbound"):
        r.fail(f"{at}.direction", f"expected 'inbound' or 'outbound', got {direction!r}")
    lane_code = r.text(t["code"], f"{at}.code", re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}"), "a lane code")
    if gates[code].lane(lane_code) is not None:
        r.fail(f"{at}.code", f"gate {code} already has a lane {lane_code!r}")
    return LaneOpening(code, Lane(lane_code, direction), r.moment(t["opens"], f"{at}.opens"))


def _policy(r: _Reader, name: str, t: dict, at: str, base: tuple[tuple[str, Any], ...] = ()) -> PolicySpec:
    """A policy: the node's yard settings it changes (on top of [yard]), and the call-forward."""
    for key, instead in POLICY_RETIRED.items():
        if key in t:
            r.fail(child(at, key), instead)
    r.keys(t, at, (), ("call_forward", *yard_keys()))
    forward = t.get("call_forward", CAPACITY)
    if forward not in CALL_FORWARD:
        r.fail(f"{at}.call_forward", f"expected one of {', '.join(CALL_FORWARD)}, got {forward!r}")
    own = {k: v for k, v in t.items() if k != "call_forward"}
    rules, call_seconds = _yard(r, {**dict(base), **own}, at)
    return PolicySpec(name, rules, forward, call_seconds, tuple(own.items()))


# ------------------------------------------------------------------ typed access


class _Reader(TomlReader):
    error = ScenarioError

    def moment(self, value: Any, key: str) -> datetime:
        if not isinstance(value, datetime) or value.tzinfo is None:
            self.fail(key, f"expected a date-time with its UTC offset, e.g. 2026-06-15T08:00:00+08:00, got {value!r}")
        return value


def local_hour_profile(flow: FlowSpec, start: datetime, hours: int) -> list[float]:
    """Arrival weight for each absolute hour from `start`, by the sending gate's local hour."""
    tz = ZoneInfo(flow.gate.timezone)
    return [flow.profile[(start + timedelta(hours=h)).astimezone(tz).hour] for h in range(hours)]
