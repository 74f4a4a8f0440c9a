"""Scenario files (TOML): the demand, the gates and the policies one simulation compares.

Read once and checked here, so the model can trust every value; a mistake stops the
run with the file, the key path and what is expected, because whoever reads it is
a planner editing a copy of a shipped scenario. Gates come from the shipped
reference region (`load_gates()`), so a scenario only names them.
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
from borderflow.domain.queueing import POLICIES, PRIORITIES, QueuePolicy, policy_from_name
from borderflow.reference.region import load_gates
from borderflow.reference.toml_reader import FileError, TomlReader
from borderflow.sim.commodities import CATALOG, Commodity
from borderflow.sim.distributions import Distribution, DistributionError, parse_distribution

CALL_FORWARD = ("capacity", "send_all")
COLOURS = ("green", "blue", "yellow", "red")
SERVICE_KEYS = (*COLOURS, "inspection")
TOP_KEYS = ("name", "title", "description", "start", "days", "drain_days", "day_factors", "demand_scale",
            "perishable_threshold_hours", "secret", "rules", "compare", "sample_minutes", "defaults", "service",
            "flows", "outages", "new_lanes", "policies", "commodities")
FLOW_SETTINGS = ("mix", "profile", "per_lane_per_hour", "partner_per_lane_per_hour", "call_ahead", "call_batch",
                 "call_lead_minutes",
                 "line_capacity", "declarants", "new_declarant_share", "trusted_share", "booked_share")
FLOW_KEYS = ("from", "trucks_per_day", *FLOW_SETTINGS)
BUILTIN_POLICIES = {
    "fifo": {"queue": "fifo"},
    "priority": {"queue": "priority"},
    "booked_first": {"queue": "booked_first"},
    "send_all": {"queue": "fifo", "call_forward": "send_all"},
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

    The sending gate runs the yard, the call-forward and its outbound lanes with its
    own node's selectivity; the receiving gate is its acceptance capacity per hour.
    """

    gate: Gate  # sending gate, with every lane it will ever have
    partner: Gate  # receiving gate, likewise
    trucks_per_day: float
    mix: tuple[tuple[Commodity, float], ...]  # shares sum to 1
    profile: tuple[float, ...]  # 24 arrival weights by the sending gate's local hour, sum to 1
    per_lane_per_hour: int = 16
    partner_per_lane_per_hour: int = 16
    call_ahead: int = 0  # trucks allowed between the call and the partner's acceptance; 0 = lanes + 2
    call_batch: int = 0  # the yard calls when this many places are free in that window; 0 = call_ahead // 2
    call_lead_minutes: float = 15.0
    line_capacity: int = 60
    declarants: int = 40
    new_declarant_share: float = 0.1
    trusted_share: float = 0.15
    booked_share: float = 0.3

    @property
    def key(self) -> str:
        return f"{self.gate.code}>{self.partner.code}"

    @property
    def direction(self) -> str:
        """The direction as the Vietnamese node sees it (the reference region's customary view)."""
        return "export" if self.gate.country == "VN" else "import"


@dataclass(frozen=True, slots=True)
class PolicySpec:
    """A yard queue policy (the live node's own object) plus how the yard calls trucks forward."""

    name: str
    queue: str
    options: dict = field(default_factory=dict)
    call_forward: str = "capacity"

    def build(self) -> QueuePolicy:
        return policy_from_name(self.queue, **self.options)

    def describe(self) -> str:
        extra = ", ".join(f"{k}={_show(v)}" for k, v in self.options.items())
        forward = "partner-capacity-aware call-forward" if self.call_forward == "capacity" \
            else "send everything to the border line"
        return f"{self.queue}{f' ({extra})' if extra else ''}; {forward}"


def _show(value: Any) -> str:
    if isinstance(value, timedelta):
        hours = value.total_seconds() / 3600
        return f"{hours:g} h"
    if isinstance(value, tuple):
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
    lane_openings: tuple[LaneOpening, ...] = ()
    perishable_threshold_hours: float = 24.0
    secret: bytes = b"borderflow-sim"
    rules: str | None = None  # None: the shipped default rules
    sample_minutes: int = 30

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
            return _policy(_Reader(self.source), name, BUILTIN_POLICIES[name], f"--policy {name}")
        known = sorted(set(self.policies) | set(BUILTIN_POLICIES))
        raise ScenarioError(self.source, "policies", f"no policy {name!r}; expected one of {', '.join(known)}")

    def expected_trucks(self) -> float:
        total = sum(f.trucks_per_day for f in self.flows) * self.demand_scale
        return total * sum(self.day_factor(d) for d in range(self.days))

    def day_factor(self, day: int) -> float:
        return self.day_factors[day % len(self.day_factors)]

    def overrides_for(self, gate: str) -> tuple[Override, ...]:
        return tuple(o for code, o in self.outages if code == gate)

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
    r.keys(defaults, "defaults", (), FLOW_SETTINGS)
    gates = load_gates()
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
        flow = _flow(r, i, r.table(raw_f, f"flows[{i}]"), defaults, gates, catalog)
        if flow.gate.code in seen:
            r.fail(f"flows[{i}].from", f"gate {flow.gate.code} is already sent from in flows[{seen[flow.gate.code]}]; "
                                      "expected one flow per sending gate")
        seen[flow.gate.code] = i
        flows.append(flow)
    service = _service(r, r.table(data.get("service", {}), "service"))
    outages = tuple(_outage(r, i, raw_o, gates) for i, raw_o in enumerate(
        r.array(data.get("outages", []), "outages", non_empty=False)))
    policies = {}
    for pname, raw_p in r.table(data.get("policies", {}), "policies").items():
        r.text(pname, f"policies.{pname}", _NAME, "a lower-case policy name")
        policies[pname] = _policy(r, pname, r.table(raw_p, f"policies.{pname}"), f"policies.{pname}")
    compare = tuple(r.text(v, f"compare[{i}]") for i, v in enumerate(
        r.array(data.get("compare", list(policies) or ["fifo", "priority", "send_all"]), "compare")))
    for i, pname in enumerate(compare):
        if pname not in policies and pname not in BUILTIN_POLICIES:
            known = sorted(set(policies) | set(BUILTIN_POLICIES))
            r.fail(f"compare[{i}]", f"no policy {pname!r}; expected one of {', '.join(known)}")
    rules = data.get("rules", "default")
    r.text(rules, "rules")
    secret = r.text(data.get("secret", f"borderflow-sim:{name}"), "secret")
    return Scenario(
        name=name, title=r.text(data.get("title", name), "title"),
        description=r.text(data.get("description", name), "description").strip(), source=source,
        start=start, days=days, drain_days=drain_days, flows=tuple(flows), service=service, policies=policies,
        compare=compare, day_factors=factors,
        demand_scale=r.number(data.get("demand_scale", 1.0), "demand_scale", 0, 1000),
        outages=outages, lane_openings=openings,
        perishable_threshold_hours=r.number(data.get("perishable_threshold_hours", 24), "perishable_threshold_hours",
                                            0.1, 10_000),
        secret=hashlib.sha256(secret.encode()).digest(), rules=None if rules == "default" else rules,
        sample_minutes=r.integer(data.get("sample_minutes", 30), "sample_minutes", 1, 1440),
    )


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
          catalog: dict[str, Commodity]) -> FlowSpec:
    at = f"flows[{i}]"
    r.keys(t, at, ("from", "trucks_per_day"), FLOW_SETTINGS)
    code = r.text(t["from"], f"{at}.from")
    if code not in gates:
        r.fail(f"{at}.from", f"unknown gate {code!r}; expected one of {', '.join(sorted(gates))}")
    gate = gates[code]
    partner = gates[gate.partner_gate]

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

    def setting(name: str, default: Any, low: float, high: float, integer: bool = False) -> Any:
        value, where = get(name)
        if value is None:
            return default
        return r.integer(value, where, int(low), int(high)) if integer else r.number(value, where, low, high)

    return FlowSpec(
        gate=gate, partner=partner,
        trucks_per_day=r.number(t["trucks_per_day"], f"{at}.trucks_per_day", 0, 100_000),
        mix=tuple((c, s / total) for c, s in mix), profile=tuple(p / sum(profile) for p in profile),
        per_lane_per_hour=setting("per_lane_per_hour", 16, 1, 1000, True),
        partner_per_lane_per_hour=setting("partner_per_lane_per_hour", 16, 0, 1000, True),
        call_ahead=setting("call_ahead", 0, 0, 10_000, True),
        call_batch=setting("call_batch", 0, 0, 10_000, True),
        call_lead_minutes=setting("call_lead_minutes", 15.0, 0, 600),
        line_capacity=setting("line_capacity", 60, 1, 100_000, True),
        declarants=setting("declarants", 40, 1, 100_000, True),
        new_declarant_share=setting("new_declarant_share", 0.1, 0, 1),
        trusted_share=setting("trusted_share", 0.15, 0, 1),
        booked_share=setting("booked_share", 0.3, 0, 1),
    )


def _service(r: _Reader, t: dict) -> dict[str, Distribution]:
    r.keys(t, "service", (), SERVICE_KEYS)
    defaults = {  # minutes; the scenario files document their own choice
        "green": {"kind": "lognormal", "mean": 3.0, "sd": 1.0},
        "blue": {"kind": "lognormal", "mean": 3.0, "sd": 1.0},
        "yellow": {"kind": "lognormal", "mean": 8.0, "sd": 3.0},
        "red": {"kind": "lognormal", "mean": 4.0, "sd": 1.5},
        "inspection": {"kind": "erlang", "k": 3, "mean": 45.0},
    }
    out = {}
    for key in SERVICE_KEYS:
        try:
            out[key] = parse_distribution(t.get(key, defaults[key]), f"service.{key}")
        except DistributionError as exc:
            key_path, _, problem = str(exc).partition(": ")
            r.fail(key_path, problem)
    return out


def _outage(r: _Reader, i: int, raw: Any, gates: dict[str, Gate]) -> tuple[str, Override]:
    at = f"outages[{i}]"
    t = r.table(raw, at)
    r.keys(t, at, ("gate", "start", "hours"), ("trucks_per_hour", "reason"))
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
    # trucks_per_hour absent or 0: closed (Override's None); more: reduced to that many an hour.
    return code, Override(start, start + timedelta(hours=hours), per_hour or None, reason)


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


def _policy(r: _Reader, name: str, t: dict, at: str) -> PolicySpec:
    r.keys(t, at, ("queue",), ("call_forward", "pattern", "max_wait_hours", "early_minutes", "late_minutes"))
    queue = r.text(t["queue"], f"{at}.queue")
    if queue not in POLICIES:
        r.fail(f"{at}.queue", f"unknown queue policy {queue!r}; expected one of {', '.join(POLICIES)}")
    forward = t.get("call_forward", "capacity")
    if forward not in CALL_FORWARD:
        r.fail(f"{at}.call_forward", f"expected one of {', '.join(CALL_FORWARD)}, got {forward!r}")
    options: dict[str, Any] = {}
    if "pattern" in t:
        pattern = r.array(t["pattern"], f"{at}.pattern")
        for j, cls in enumerate(pattern):
            if cls not in PRIORITIES:
                r.fail(f"{at}.pattern[{j}]", f"expected one of {', '.join(PRIORITIES)}, got {cls!r}")
        options["pattern"] = tuple(pattern)
    if "max_wait_hours" in t:
        options["max_wait"] = timedelta(hours=r.number(t["max_wait_hours"], f"{at}.max_wait_hours", 0.001, 1e6))
    for key, option in (("early_minutes", "early"), ("late_minutes", "late")):
        if key in t:
            options[option] = timedelta(minutes=r.number(t[key], f"{at}.{key}", 0, 1e6))
    spec = PolicySpec(name, queue, options, forward)
    try:
        spec.build()  # the live node's own checks: unknown options, bad patterns
    except ValueError as exc:
        r.fail(at, str(exc))
    return spec


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
