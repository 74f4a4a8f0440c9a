"""A scenario calibrated from a node's own history: `borderflow simulate --from-node`.

The node's database already holds what a planner would otherwise have to guess: when
trucks arrived (yard check-ins, or the declared expected arrival where a gate keeps no
yard), what they carried, which risk lane they got, how long the drive from the yard,
the lanes, the agencies' sign-offs and inspections took, how bookings turned out, and
what the partner announced it accepts. This module measures those over a window of
full days and writes a scenario file (TOML, the format `sim/scenario.py` loads) that
names the node's own node file and yard settings, and whose every measured number says
what it was measured from; the planner edits it ("and one more lane") and runs it.

Layout: small pure functions over plain rows (`CrossingRow`, `EventRow`, …) do the
measuring and are unit-tested on their own; `read_history` is the one function that
reads the node's tables; `calibrate` turns a history into a `Calibration`, and
`scenario_text` writes it.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from borderflow.domain.gates import Gate, Node
from borderflow.domain.yard_rules import YardRules
from borderflow.sim.commodities import CATALOG, Commodity

MIN_TRUCKS = 50  # below this the history is too thin to stand in for a planner's assumptions
MIN_SAMPLES = 5  # fewest measured times a distribution (or a flow's drive time) is fitted from
NEW_DECLARANT_CROSSINGS = 3  # fewer earlier crossings than this: a new declarant (the twin's 0–2)
ARRIVED_STATUSES = frozenset({"arrived", "inspecting", "held", "released", "exited", "refused"})
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
COLOURS = ("green", "blue", "yellow", "red")
SERVICE = (*COLOURS, "inspection", "document", "hold")
# Always written in [yard], whatever their value: the numbers a planner changes first.
YARD_SHOWN = ("per_lane_per_hour", "called_per_lane", "queue_policy", "call_pattern", "max_wait_hours")


class CalibrationError(ValueError):
    """The history cannot calibrate a scenario (too thin, or nothing at the node's gates)."""


# ------------------------------------------------------------------ rows


@dataclass(frozen=True, slots=True)
class CrossingRow:
    """One crossing with its yard record (if it checked in) and whether it had a booking."""

    id: str
    gate: str
    direction: str  # export | import, as the node sees it
    status: str
    risk_lane: str
    declarant: str
    goods: tuple[dict, ...]
    expected_arrival: datetime
    created_at: datetime
    checked_in_at: datetime | None = None
    called_at: datetime | None = None
    priority: str | None = None
    missed_calls: int = 0
    booked: bool = False


@dataclass(frozen=True, slots=True)
class EventRow:
    crossing_id: str
    action: str
    at: datetime


@dataclass(frozen=True, slots=True)
class InspectionRow:
    crossing_id: str
    kind: str  # document | physical | …
    result: str  # passed | failed
    agency: str  # the inspections table's role column
    at: datetime


@dataclass(frozen=True, slots=True)
class BookingRow:
    crossing_id: str
    gate: str
    direction: str  # inbound | outbound
    slot_start: datetime
    status: str  # active | cancelled | used | no_show | released
    checked_in_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NoticeRow:
    """The partner's newest capacity notice for one of its gates."""

    partner: str
    gate: str  # the partner's gate
    facing_gate: str  # ours
    issued_at: datetime
    hours: tuple[tuple[datetime, int], ...]
    closures: tuple[tuple[datetime, datetime | None, str], ...] = ()


@dataclass(frozen=True, slots=True)
class OverrideRow:
    gate: str
    direction: str
    starts_at: datetime
    ends_at: datetime
    trucks_per_hour: int | None
    reason: str


@dataclass
class NodeHistory:
    """What `read_history` read: the rows of the window, and the node's own configuration."""

    node: Node
    since: datetime
    until: datetime
    zone: str
    crossings: list[CrossingRow]
    events: list[EventRow] = field(default_factory=list)
    inspections: list[InspectionRow] = field(default_factory=list)
    bookings: list[BookingRow] = field(default_factory=list)
    notices: list[NoticeRow] = field(default_factory=list)
    overrides: list[OverrideRow] = field(default_factory=list)
    prior_crossings: dict[str, int] = field(default_factory=dict)  # by declarant: crossings before `since`
    yard: YardRules = field(default_factory=YardRules)
    settings: dict[str, Any] = field(default_factory=dict)  # the node's yard settings, by setting name
    defaults: dict[str, Any] = field(default_factory=dict)  # the same settings' defaults
    node_spec: str = "vn"  # the node file, as the scenario's `nodes` names it
    partner_spec: str | None = None  # the partner's node file, for flows the partner sends
    rules: str | None = None  # a rules file the node runs instead of its node file's (BORDERFLOW_RULES)
    database: str = ""


# ------------------------------------------------------------------ small pure measures


def weekday_number(name: str) -> int:
    """0 (Monday) … 6 (Sunday) from "tue", "Tuesday", "tuesdays"."""
    key = name.strip().lower()
    key = key[:-1] if key.endswith("s") and len(key) > 3 else key
    for i, day in enumerate(WEEKDAYS):
        if len(key) >= 3 and day.startswith(key):
            return i
    raise CalibrationError(f"unknown weekday {name!r}; expected one of {', '.join(d[:3] for d in WEEKDAYS)} "
                           "or the full name")


def window(until: date, days: int, zone: str) -> tuple[datetime, datetime]:
    """[since, until) as aware datetimes: `days` full local days ending at `until`'s midnight."""
    if days < 1:
        raise CalibrationError(f"--days must be 1 or more, got {days}")
    tz = ZoneInfo(zone)
    return datetime.combine(until - timedelta(days=days), time(0), tz), datetime.combine(until, time(0), tz)


def arrival_of(row: CrossingRow) -> tuple[datetime, str] | None:
    """When the truck turned up, and from what: its yard check-in, or (a gate without a yard) the
    declared expected arrival of a crossing that did reach the gate. None: it never came."""
    if row.checked_in_at is not None:
        return row.checked_in_at, "check_in"
    if row.status in ARRIVED_STATUSES:
        return row.expected_arrival, "declared"
    return None


@dataclass(frozen=True, slots=True)
class Arrival:
    row: CrossingRow
    at: datetime
    source: str  # check_in | declared


def arrivals(rows: Iterable[CrossingRow], since: datetime, until: datetime,
             weekday: int | None = None, zone: str = "UTC") -> list[Arrival]:
    """The trucks that arrived in [since, until), on one local weekday if given, in time order."""
    tz = ZoneInfo(zone)
    out = []
    for row in rows:
        found = arrival_of(row)
        if found is None:
            continue
        at, source = found
        if not since <= at < until:
            continue
        if weekday is not None and at.astimezone(tz).weekday() != weekday:
            continue
        out.append(Arrival(row, at, source))
    out.sort(key=lambda a: (a.at, a.row.id))
    return out


def hour_profile(times: Iterable[datetime], zone: str) -> list[int]:
    """Arrivals by local hour 00..23 in `zone`."""
    tz = ZoneInfo(zone)
    counts = [0] * 24
    for at in times:
        counts[at.astimezone(tz).hour] += 1
    return counts


def weekday_occurrences(since: datetime, until: datetime, zone: str) -> list[int]:
    """How many of each weekday (Monday first) the window's local days hold."""
    tz = ZoneInfo(zone)
    counts = [0] * 7
    day, last = since.astimezone(tz).date(), until.astimezone(tz).date()
    while day < last:
        counts[day.weekday()] += 1
        day += timedelta(days=1)
    return counts


def weekday_counts(times: Iterable[datetime], zone: str) -> list[int]:
    tz = ZoneInfo(zone)
    counts = [0] * 7
    for at in times:
        counts[at.astimezone(tz).weekday()] += 1
    return counts


def day_factors(counts: Sequence[int], occurrences: Sequence[int], first_weekday: int) -> list[float]:
    """Each weekday's trucks per day against the window's mean per day, in scenario order from
    `first_weekday` (the scenario's `day_factors`); a weekday the window did not hold gets 1."""
    days, total = sum(occurrences), sum(counts)
    mean = total / days if days else 0.0
    out = []
    for i in range(7):
        w = (first_weekday + i) % 7
        out.append(round(counts[w] / occurrences[w] / mean, 3) if mean and occurrences[w] else 1.0)
    return out


def main_item(goods: Sequence[dict]) -> dict | None:
    """The goods line that stands for the truck: the heaviest (net kg) one."""
    if not goods:
        return None
    return max(goods, key=lambda g: float(g.get("net_kg") or 0))


def _digits(code: str) -> str:
    return "".join(ch for ch in str(code) if ch.isdigit())


def commodity_for(item: dict, country: str, catalog: dict[str, Commodity] = CATALOG) -> tuple[str, bool]:
    """The commodity key for a declared goods line and a sending country: the catalogue entry with
    the same national line, else one with the same 6-digit subheading, else a new entry named
    after the code (`hs_09041120`). The flag says whether the key is new."""
    hs = _digits(item.get("hs_code", ""))
    for key, c in catalog.items():
        if hs and hs in (c.hs_vn, c.hs_cn) and c.hs_for(country):
            return key, False
    for key, c in catalog.items():
        if len(hs) >= 6 and any(line and line[:6] == hs[:6] for line in (c.hs_vn, c.hs_cn)) and c.hs_for(country):
            return key, False
    return f"hs_{hs or 'unknown'}", True


def new_commodity(key: str, items: Sequence[dict]) -> Commodity:
    """A catalogue entry for goods the catalogue lacks, from the declared lines themselves: the
    code for both countries (padded to 8 and 10 digits: an assumption), the perishable flag of
    most of them, the mean net load and the value per kg."""
    hs = _digits(items[0].get("hs_code", "")) or "00000000"
    net = [float(i.get("net_kg") or 0) for i in items]
    value = [float(i.get("value") or 0) for i in items]
    mean_net = max(1, round(statistics.fmean(net))) if net else 20_000
    per_kg = round(sum(value) / sum(net), 4) if sum(net) > 0 else 1.0
    perishable = sum(bool(i.get("perishable")) for i in items) * 2 > len(items)
    return Commodity(key, str(items[0].get("description") or key)[:120], hs[:8].ljust(8, "0"),
                     hs[:10].ljust(10, "0"), perishable, min(40_000, mean_net), per_kg)


def commodity_mix(rows: Iterable[CrossingRow], country: str,
                  catalog: dict[str, Commodity] = CATALOG) -> tuple[Counter, dict[str, Commodity]]:
    """Trucks by commodity key, and the entries it had to add to the catalogue."""
    mix: Counter = Counter()
    unknown: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        item = main_item(row.goods)
        if item is None:
            continue
        key, new = commodity_for(item, country, catalog)
        mix[key] += 1
        if new:
            unknown[key].append(item)
    return mix, {key: new_commodity(key, items) for key, items in unknown.items()}


def lane_mix(rows: Iterable[CrossingRow]) -> Counter:
    return Counter(row.risk_lane for row in rows)


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def first_events(events: Iterable[EventRow]) -> dict[str, dict[str, list[datetime]]]:
    """By crossing and action, the times the action happened, earliest first."""
    out: dict[str, dict[str, list[datetime]]] = defaultdict(lambda: defaultdict(list))
    for e in events:
        out[e.crossing_id][e.action].append(e.at)
    for actions in out.values():
        for times in actions.values():
            times.sort()
    return out


@dataclass
class ServiceSamples:
    """Measured minutes, each list from the trucks that showed it."""

    lane: dict[str, list[float]] = field(default_factory=lambda: {c: [] for c in COLOURS})
    inspection: list[float] = field(default_factory=list)  # at the lane (or inspection started) → recorded
    document: list[float] = field(default_factory=list)  # declared → an agency's document sign-off
    hold: list[float] = field(default_factory=list)  # a check that found a problem → released
    drive: list[float] = field(default_factory=list)  # called forward → first plate read at the lane
    signoff: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))  # after arrival

    def of(self, key: str) -> list[float]:
        return self.lane[key] if key in self.lane else getattr(self, key)


def service_samples(rows: Iterable[CrossingRow], events: Iterable[EventRow],
                    inspections: Iterable[InspectionRow]) -> ServiceSamples:
    """The node's times, as the twin takes them:

    * drive: the yard's call → the first plate read at a lane (the `arrive` event);
    * lane, by risk lane: that read → the barrier opening (`exit`), less any wait for a
      sign-off or an inspection recorded after the read (those are apart in the twin);
    * inspection: the read (or an earlier `start_inspection`) → a physical check recorded;
    * document: the declaration → an agency's document sign-off (agencies check documents
      from the declaration on, before or after the truck is there);
    * hold: a check that found a problem → the release that followed it.
    """
    times = first_events(events)
    by_crossing: dict[str, list[InspectionRow]] = defaultdict(list)
    for check in inspections:
        by_crossing[check.crossing_id].append(check)
    out = ServiceSamples()
    for row in rows:
        seen = times.get(row.id, {})
        at_lane = seen["arrive"][0] if seen.get("arrive") else None
        exit_at = seen["exit"][0] if seen.get("exit") else None
        checks = sorted(by_crossing.get(row.id, []), key=lambda c: c.at)
        if row.called_at is not None and at_lane is not None and at_lane >= row.called_at:
            out.drive.append(_minutes(at_lane, row.called_at))
        last_check = None
        for check in checks:
            if check.kind == "document" and check.result == "passed" and check.at >= row.created_at:
                out.document.append(_minutes(check.at, row.created_at))
            if at_lane is not None and check.at >= at_lane:
                out.signoff[(check.agency, check.kind)].append(_minutes(check.at, at_lane))
                if exit_at is None or check.at <= exit_at:
                    last_check = check.at
            if check.kind == "physical" and at_lane is not None and check.at >= at_lane:
                started = [t for t in seen.get("start_inspection", []) if at_lane <= t < check.at]
                out.inspection.append(_minutes(check.at, started[-1] if started else at_lane))
            if check.result != "passed":
                released = [t for t in seen.get("release", []) if t >= check.at]
                if released:
                    out.hold.append(_minutes(released[0], check.at))
        if at_lane is not None and exit_at is not None and exit_at >= at_lane and row.risk_lane in out.lane:
            out.lane[row.risk_lane].append(_minutes(exit_at, max(at_lane, last_check or at_lane)))
    return out


def fit(key: str, samples: Sequence[float]) -> dict:
    """A scenario distribution for measured minutes: an Erlang for inspections (shape k nearest the
    spread, k = mean² / var), a lognormal by mean and standard deviation otherwise; a constant when
    the times do not vary (a lane where the barrier opens on the plate read: 0)."""
    mean = statistics.fmean(samples)
    var = statistics.variance(samples) if len(samples) > 1 else 0.0
    if mean < 0.05 or var <= 0:
        return {"kind": "constant", "mean": round(max(mean, 0.0), 2)}
    if key == "inspection":
        return {"kind": "erlang", "k": max(1, min(50, round(mean * mean / var))), "mean": round(mean, 2)}
    return {"kind": "lognormal", "mean": round(mean, 2), "sd": round(math.sqrt(var), 2)}


@dataclass(frozen=True, slots=True)
class BookingRates:
    used: int
    no_show: int
    early: int  # used bookings whose truck checked in before its hour
    late: int  # … after its hour had ended
    late_minutes: float  # mean minutes after the hour's end, of the late ones
    other: int  # cancelled, released, or still open

    @property
    def kept(self) -> int:
        return self.used + self.no_show

    @property
    def no_show_share(self) -> float:
        return self.no_show / self.kept if self.kept else math.nan

    @property
    def late_share(self) -> float:
        return self.late / self.used if self.used else math.nan

    @property
    def early_share(self) -> float:
        return self.early / self.used if self.used else math.nan


def booking_rates(bookings: Iterable[BookingRow], since: datetime, until: datetime) -> BookingRates:
    """Bookings of the hours in [since, until): no-shows among the bookings that came due, and how
    early or late the trucks that used theirs checked in (a slot is one hour)."""
    used = no_show = early = late = other = 0
    late_minutes: list[float] = []
    for b in bookings:
        if not since <= b.slot_start < until:
            continue
        if b.status == "no_show":
            no_show += 1
        elif b.status == "used":
            used += 1
            if b.checked_in_at is not None:
                end = b.slot_start + timedelta(hours=1)
                if b.checked_in_at < b.slot_start:
                    early += 1
                elif b.checked_in_at >= end:
                    late += 1
                    late_minutes.append(_minutes(b.checked_in_at, end))
        else:
            other += 1
    return BookingRates(used, no_show, early, late, statistics.fmean(late_minutes) if late_minutes else 0.0, other)


@dataclass(frozen=True, slots=True)
class PartnerRate:
    per_hour: int | None  # the partner's typical acceptance in an open hour; None: no notice
    open_hours: int
    hours: int
    issued_at: datetime | None


def partner_rate(notice: NoticeRow | None) -> PartnerRate:
    """The partner's announced acceptance in a typical open hour: the median of the hours its
    newest notice announces open (more than 0 trucks)."""
    if notice is None or not notice.hours:
        return PartnerRate(None, 0, 0, None)
    open_hours = [n for _, n in notice.hours if n > 0]
    median = round(statistics.median(open_hours)) if open_hours else 0
    return PartnerRate(median, len(open_hours), len(notice.hours), notice.issued_at)


@dataclass(frozen=True, slots=True)
class DeclarantMix:
    declarants: int
    new_share: float
    booked_share: float


def declarant_mix(rows: Sequence[CrossingRow], prior: dict[str, int]) -> DeclarantMix:
    """The twin's declarant settings for one flow: how many declarants, the share that are new (fewer
    than 3 crossings before the window), and the share of trucks that had booked a slot."""
    declarants = {r.declarant for r in rows}
    new = [d for d in declarants if prior.get(d, 0) < NEW_DECLARANT_CROSSINGS]
    booked = sum(r.booked for r in rows) / len(rows) if rows else 0.0
    return DeclarantMix(len(declarants), len(new) / len(declarants) if declarants else 0.0, booked)


def missed_call_share(rows: Sequence[CrossingRow]) -> tuple[float, int]:
    """The share of called trucks that missed a call (back in line by the 20-minute rule), and how
    many trucks were called."""
    called = [r for r in rows if r.called_at is not None]
    return (sum(r.missed_calls > 0 for r in called) / len(called) if called else 0.0), len(called)


def problem_share(rows: Sequence[CrossingRow], inspections: Iterable[InspectionRow]) -> tuple[float, int]:
    """The share of the trucks where an agency's check found a problem, and how many had a check."""
    ids = {r.id for r in rows}
    checked, failed = set(), set()
    for check in inspections:
        if check.crossing_id in ids:
            checked.add(check.crossing_id)
            if check.result != "passed":
                failed.add(check.crossing_id)
    return (len(failed) / len(ids) if ids else 0.0), len(checked)


def whole_hours(start: datetime, end: datetime) -> tuple[datetime, int]:
    """A period widened to whole hours (the twin's capacity is per hour): its first hour and length."""
    first = start.replace(minute=0, second=0, microsecond=0)
    return first, max(1, math.ceil((end - first).total_seconds() / 3600))


def yard_settings(settings: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The node's yard settings a scenario's [yard] should say: the ones a planner changes first, and
    every one the node runs with a value other than the default."""
    return {k: v for k, v in settings.items() if k in YARD_SHOWN or defaults.get(k, v) != v}


# ------------------------------------------------------------------ calibration


@dataclass
class Outage:
    gate: str
    start: datetime
    hours: int
    trucks_per_hour: int | None  # None: closed
    reason: str
    repeat_days: int = 1
    direction: str | None = None  # inbound | outbound; None: both


@dataclass
class FlowCalibration:
    sender: Gate
    receiver: Gate
    direction: str  # as the node sees it: export (we send) | import (the partner sends)
    trucks: list[Arrival]
    days: int  # days the trucks were counted over
    profile: list[int]
    mix: Counter
    lanes: Counter
    declarants: DeclarantMix
    drive: list[float]
    missed: tuple[float, int]
    problems: tuple[float, int]

    @property
    def trucks_per_day(self) -> float:
        return len(self.trucks) / self.days if self.days else 0.0

    @property
    def sources(self) -> Counter:
        return Counter(a.source for a in self.trucks)


@dataclass
class Calibration:
    name: str
    history: NodeHistory
    weekday: int | None
    start: datetime
    days: int
    drain_days: int
    history_days: int  # days the window held (all, or of the chosen weekday)
    flows: list[FlowCalibration]
    day_factors: list[float] | None
    service: dict[str, dict | None]  # None: too few measured, the loader's default stands
    samples: ServiceSamples
    bookings: BookingRates
    commodities: dict[str, Commodity]
    outages: list[Outage]
    partner_notes: list[str]
    total: int

    @property
    def node(self) -> Node:
        return self.history.node

    @property
    def period(self) -> str:
        h = self.history
        return period_text(h.since, h.until, h.zone, self.weekday, self.history_days)


def period_text(since: datetime, until: datetime, zone: str, weekday: int | None, weekdays: int) -> str:
    """"2026-05-18 to 2026-06-14 (28 days, Tuesdays only: 4)": the window as a planner reads it."""
    tz = ZoneInfo(zone)
    first, last = since.astimezone(tz).date(), (until - timedelta(days=1)).astimezone(tz).date()
    which = f", {WEEKDAYS[weekday].capitalize()}s only: {weekdays}" if weekday is not None else ""
    return f"{first.isoformat()} to {last.isoformat()} ({(last - first).days + 1} days{which})"


def _goods_lanes(gate: Gate, direction: str) -> int:
    return sum(1 for lane in gate.lanes if lane.direction == direction and lane.kind == "goods")


def _partner_outages(history: NodeHistory, flows: list[FlowCalibration], gates: dict[str, Gate], start: datetime,
                     days: int) -> tuple[list[Outage], list[str]]:
    """The partner's announced acceptance where it differs from what the twin would assume (its
    inbound lanes at [yard] per_lane_per_hour): a reduced (or raised) rate over its goods hours,
    every day of the scenario; and its announced closures that fall in the scenario."""
    notices = {n.facing_gate: n for n in sorted(history.notices, key=lambda n: n.issued_at)}
    per_lane = history.yard.per_lane_per_hour
    outages, notes = [], []
    end = start + timedelta(days=days)
    for flow in flows:
        if flow.direction != "export":
            continue
        partner = flow.receiver
        notice = notices.get(flow.sender.code)
        rate = partner_rate(notice)
        assumed = _goods_lanes(partner, "inbound") * per_lane
        if rate.per_hour is None:
            notes.append(f"{partner.code}: no capacity notice on record; the twin assumes its "
                         f"{_goods_lanes(partner, 'inbound')} inbound lanes × {per_lane} = {assumed} trucks/h")
            continue
        notes.append(f"{partner.code}: newest capacity notice {rate.issued_at:%Y-%m-%d %H:%M} UTC, {rate.open_hours} "
                     f"of its {rate.hours} hours open, median {rate.per_hour} trucks/h (the twin would assume "
                     f"{assumed})")
        if rate.per_hour != assumed:
            tz = ZoneInfo(partner.timezone)
            opens, closes = partner.goods_hours
            day = start.astimezone(tz).date()
            first = datetime.combine(day, opens, tz)
            length = (datetime.combine(day, closes, tz) - first).total_seconds() / 3600
            if length <= 0:
                length += 24
            at, hours = whole_hours(first, first + timedelta(hours=length))
            outages.append(Outage(partner.code, at, hours, rate.per_hour,
                                  f"{partner.code}'s announced acceptance: median {rate.per_hour} trucks/h "
                                  f"(notice of {rate.issued_at:%Y-%m-%d %H:%M} UTC)", days, "inbound"))
        for c_start, c_end, reason in notice.closures:
            c_end = c_end or end
            if c_end > start and c_start < end:
                at, hours = whole_hours(max(c_start, start), min(c_end, end))
                outages.append(Outage(notice.gate, at, hours, None, f"{reason} (announced by {notice.partner})",
                                      direction="inbound"))
    return outages, notes


def calibrate(history: NodeHistory, *, weekday: int | None = None, name: str = "calibrated",
              min_trucks: int = MIN_TRUCKS, gates: dict[str, Gate] | None = None) -> Calibration:
    """Measure the history and build the scenario's numbers; refuses a history under `min_trucks`."""
    from borderflow.reference.region import load_gates
    gates = {**(gates or load_gates()), **history.node.gates}
    node, zone = history.node, history.zone
    window_days = round((history.until - history.since).total_seconds() / 86400)
    occurrences = weekday_occurrences(history.since, history.until, zone)
    counted_days = occurrences[weekday] if weekday is not None else window_days
    ours = [r for r in history.crossings if r.gate in node.gates]
    found = arrivals(ours, history.since, history.until, weekday, zone)
    if len(found) < min_trucks:
        period = period_text(history.since, history.until, zone, weekday, counted_days)
        raise CalibrationError(
            f"too little history to calibrate: {len(found)} truck{'s' if len(found) != 1 else ''} arrived at "
            f"{node.id}'s gates ({', '.join(node.gates)}) from {period} in {history.database or 'the database'}; "
            f"at least {min_trucks} are needed. Use a longer --days{', drop --weekday' if weekday is not None else ''}"
            f" or lower --min-trucks.")
    by_flow: dict[tuple[str, str], list[Arrival]] = defaultdict(list)
    for a in found:
        by_flow[(a.row.gate, a.row.direction)].append(a)
    catalog, commodities, flows = dict(CATALOG), {}, []
    for (gate_code, direction), trucks in sorted(by_flow.items(), key=lambda kv: (kv[0][0], kv[0][1] != "export")):
        ours_gate = gates[gate_code]
        theirs = gates.get(ours_gate.partner_gate)
        if theirs is None:
            raise CalibrationError(f"gate {gate_code}'s partner gate {ours_gate.partner_gate!r} is neither in the "
                                   "reference region nor in the node file: the twin cannot send trucks to it")
        sender, receiver = (ours_gate, theirs) if direction == "export" else (theirs, ours_gate)
        rows = [a.row for a in trucks]
        mix, new = commodity_mix(rows, sender.country, catalog)
        catalog.update(new)
        commodities.update(new)
        flows.append(FlowCalibration(
            sender=sender, receiver=receiver, direction=direction, trucks=trucks, days=counted_days,
            profile=hour_profile((a.at for a in trucks), sender.timezone), mix=mix, lanes=lane_mix(rows),
            declarants=declarant_mix(rows, history.prior_crossings),
            drive=service_samples(rows, history.events, ()).drive, missed=missed_call_share(rows),
            problems=problem_share(rows, history.inspections)))
    exports = [a.row for a in found if a.row.direction == "export"]
    samples = service_samples(exports or [a.row for a in found], history.events, history.inspections)
    service = {key: fit(key, samples.of(key)) if len(samples.of(key)) >= MIN_SAMPLES else None for key in SERVICE}
    tz = ZoneInfo(zone)
    first = history.until.astimezone(tz).date()
    if weekday is not None:
        first += timedelta(days=(weekday - first.weekday()) % 7)
    start = datetime.combine(first, time(0), tz)
    days = 1 if weekday is not None or window_days < 7 else 7
    drain_days = 1 if days == 1 else 2
    factors = None
    if days == 7:
        factors = day_factors(weekday_counts((a.at for a in found), zone), occurrences, start.weekday())
    end = start + timedelta(days=days)
    outages = []
    for o in history.overrides:
        if o.ends_at > start and o.starts_at < end and o.gate in node.gates:
            at, hours = whole_hours(max(o.starts_at, start), min(o.ends_at, end))
            outages.append(Outage(o.gate, at, hours, o.trucks_per_hour,
                                  f"{o.reason} (override on the node's calendar)", direction=o.direction))
    partner, notes = _partner_outages(history, flows, gates, start, days + drain_days)
    return Calibration(
        name=name, history=history, weekday=weekday, start=start, days=days, drain_days=drain_days,
        history_days=counted_days, flows=flows, day_factors=factors, service=service, samples=samples,
        bookings=booking_rates(history.bookings, history.since, history.until), commodities=commodities,
        outages=partner + sorted(outages, key=lambda o: (o.start, o.gate)), partner_notes=notes, total=len(found))


# ------------------------------------------------------------------ the scenario file


def _s(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def _num(value: float) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    return f"{round(value, 3):.10g}"


def _value(value: Any) -> str:
    if isinstance(value, str):
        return _s(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    return _num(value)


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def _inline(values: dict) -> str:
    return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in values.items()) + " }"


def _median(values: Sequence[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "–"


def scenario_text(cal: Calibration) -> str:
    """The scenario file: TOML the loader reads, with comments saying what each number came from."""
    h = cal.history
    lines: list[str] = []
    add = lines.append
    weekday = f"{WEEKDAYS[cal.weekday].capitalize()}s" if cal.weekday is not None else None
    ours = sorted({f.sender.code if f.direction == "export" else f.receiver.code for f in cal.flows})
    add(f"# Calibrated from node {cal.node.id}'s own history ({cal.node.name}),")
    add(f"# database {h.database or 'of the node'}: {cal.total} trucks at {', '.join(ours)},")
    add(f"# measured over {cal.period}.")
    add("# Each measured number says what it was measured from; keys left out keep the twin's defaults")
    add("# (docs/simulator.md). Edit it and run it: borderflow simulate THIS_FILE --report FOLDER")
    add("#")
    add("# Not taken from the history: the risk lanes (the twin assigns them with the node's own rules, as")
    add("# the live node does; the mix the node gave is noted per flow, to compare with the report's")
    add("# trucks.csv), and bookings' no-shows and lateness (noted below; the twin does not model them).")
    add("")
    add(f"name = {_s(cal.name)}")
    what = f"a {weekday[:-1]} like the last {cal.history_days} {weekday}" if weekday else \
        f"a week like the last {round((h.until - h.since).total_seconds() / 86400)} days"
    add(f"title = {_s(f'{cal.node.id}: {what}')}")
    add('description = """')
    add(f"Calibrated from {cal.node.id}'s history, {cal.period}: arrivals by gate, direction,")
    add("local hour and weekday, commodity mix, drive, lane, sign-off and inspection times, missed calls,")
    add('and the partner\'s announced acceptance."""')
    add(f"start = {cal.start.isoformat()}  # the first {weekday[:-1] if weekday else 'day'} after the history")
    add(f"days = {cal.days}")
    add(f"drain_days = {cal.drain_days}  # no new arrivals: lets every truck cross, so every wait is complete")
    if cal.day_factors:
        names = ", ".join(WEEKDAYS[(cal.start.weekday() + i) % 7][:3] for i in range(7))
        add(f"# Trucks per day by weekday against the mean day ({names}), from all {cal.total} trucks.")
        add(f"day_factors = [{', '.join(_num(f) for f in cal.day_factors)}]")
    specs = [h.node_spec] + ([h.partner_spec] if h.partner_spec and any(f.direction == "import" for f in cal.flows)
                             else [])
    add(f"nodes = {_value(specs)}  # the node's own node file" + (" and its partner's" if len(specs) > 1 else ""))
    if h.rules:
        add(f"rules = {_s(h.rules)}  # the rules file the node runs (BORDERFLOW_RULES), for every node here")
    add(f"compare = {_value(_compare(h.yard))}")
    add("")
    add("[yard]")
    add("# The node's own yard rules: its BORDERFLOW_* settings when this file was written (the twin runs them;")
    add("# change one here to try it, e.g. per_lane_per_hour).")
    for key, value in yard_settings(h.settings, h.defaults).items():
        if key == "call_pattern" and isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        add(f"{key} = {_value(value)}")
    add("")
    _service(cal, add)
    for flow in cal.flows:
        _flow(cal, flow, add)
    _bookings(cal, add)
    if cal.partner_notes:
        add("")
        add("# The partner's acceptance:")
        for note in cal.partner_notes:
            add(f"#   {note}")
    for o in cal.outages:
        add("")
        add("[[outages]]")
        add(f"gate = {_s(o.gate)}")
        add(f"start = {o.start.isoformat()}")
        add(f"hours = {o.hours}")
        add(f"trucks_per_hour = {o.trucks_per_hour or 0}" + ("  # 0: closed" if not o.trucks_per_hour else ""))
        if o.repeat_days > 1:
            add(f"repeat_days = {o.repeat_days}")
        if o.direction:
            add(f"direction = {_s(o.direction)}")
        add(f"reason = {_s(o.reason[:200])}")
    _new_lane_example(cal, add)
    for key, c in cal.commodities.items():
        add("")
        add(f"[commodities.{key}]  # not in the built-in catalogue: from the declarations themselves")
        add(f"description = {_s(c.description)}")
        add(f"hs_vn = {_s(c.hs_vn or '')}  # padded to 8 digits where the code was shorter (assumption)")
        add(f"hs_cn = {_s(c.hs_cn or '')}  # padded to 10 digits (assumption)")
        add(f"perishable = {'true' if c.perishable else 'false'}")
        add(f"net_kg = {c.net_kg}  # mean declared net load")
        add(f"value_per_kg = {_num(c.value_per_kg)}  # declared value over net weight")
    _policies(cal, add)
    return "\n".join(lines) + "\n"


def _compare(rules: YardRules) -> list[str]:
    return ["fifo", rules.queue_policy if rules.queue_policy != "fifo" else "priority"]


SERVICE_NOTES = {
    "green": "green-lane trucks", "blue": "blue-lane trucks", "yellow": "yellow-lane trucks",
    "red": "red-lane trucks",
    "inspection": "physical inspections", "document": "document sign-offs", "hold": "checks that found a problem",
}


def _service(cal: Calibration, add) -> None:  # noqa: ANN001
    s = cal.samples
    add("[service]")
    add("# Minutes, measured from the node's exports (their own outbound lanes): in the lane by risk lane,")
    add("# the first plate read at the lane → the barrier opening, less any wait for a sign-off or an")
    add("# inspection recorded after the read; inspection: the read → a physical check recorded; document:")
    add("# the declaration → an agency's document sign-off; hold: a failed check → the release.")
    for key in SERVICE:
        values = s.of(key)
        if cal.service[key] is None:
            add(f"# {key}: the default kept; {SERVICE_NOTES[key]} measured: {len(values)}, need {MIN_SAMPLES}")
            continue
        add(f"{key} = {_inline(cal.service[key])}  # {len(values)} {SERVICE_NOTES[key]}, "
            f"median {_median(values)} min")
    if s.signoff:
        add("# Agencies' checks after the truck reached the lane, minutes to the check recorded (median, count):")
        for (agency, kind), values in sorted(s.signoff.items()):
            add(f"#   {agency} {kind}: {_median(values)} ({len(values)})")


def _flow(cal: Calibration, flow: FlowCalibration, add) -> None:  # noqa: ANN001
    n = len(flow.trucks)
    src = flow.sources
    add("")
    side = "our exports" if flow.direction == "export" else "our imports, sent by the partner"
    add(f"# {'-' * 50} {flow.sender.code} → {flow.receiver.code} ({side})")
    add("[[flows]]")
    add(f"from = {_s(flow.sender.code)}")
    how = ", ".join(f"{v} from {k}" for k, v in (("yard check-ins", src.get("check_in", 0)),
                                                 ("declared expected arrivals (no check-in)",
                                                  src.get("declared", 0))) if v)
    add(f"# {n} trucks over {flow.days} day(s): {how}.")
    if flow.direction == "import":
        add(f"# Measured as they reached {flow.receiver.code}'s yard; the twin's arrival is at {flow.sender.code}'s")
        add("# (the crossing time between the two is not taken off).")
    add(f"trucks_per_day = {round(flow.trucks_per_day, 3):g}")
    add(f"# Trucks by commodity, from the declarations' main goods line ({n} trucks; proportions).")
    add(f"mix = {_inline(dict(flow.mix.most_common()))}")
    add(f"# Arrivals by local hour 00..23 in {flow.sender.timezone} ({n} trucks).")
    add(f"profile = [{', '.join(str(c) for c in flow.profile)}]")
    d = flow.declarants
    add(f"declarants = {max(1, d.declarants)}  # distinct declarants of these trucks")
    add(f"new_declarant_share = {round(d.new_share, 3):g}  # fewer than {NEW_DECLARANT_CROSSINGS} crossings "
        "before the window")
    add(f"booked_share = {round(d.booked_share, 3):g}  # trucks that had booked a slot")
    if len(flow.drive) >= MIN_SAMPLES:
        add(f"drive_minutes = {round(statistics.fmean(flow.drive), 2):g}  # the yard's call → the first plate read "
            f"at a lane, mean of {len(flow.drive)} (median {_median(flow.drive)})")
    else:
        add(f"# drive_minutes: the default kept; called trucks measured: {len(flow.drive)}, need {MIN_SAMPLES}")
    share, called = flow.missed
    add(f"missed_call_share = {round(share, 3):g}  # of {called} called trucks, those sent back by the "
        "20-minute rule")
    share, checked = flow.problems
    add(f"problem_share = {round(share, 3):g}  # trucks where a check found a problem ({checked} of {n} checked)")
    add("# Risk lanes the node gave these trucks: "
        + ", ".join(f"{k} {v} ({_pct(v, n)})" for k, v in flow.lanes.most_common()) + ".")


def _bookings(cal: Calibration, add) -> None:  # noqa: ANN001
    b = cal.bookings
    add("")
    add(f"# Bookings of the hours {cal.period}, as the node recorded them (not modelled by the twin):")
    if not b.kept and not b.other:
        add("#   none.")
        return
    add(f"#   {b.kept} came due: {b.no_show} no-shows ({_pct(b.no_show, b.kept)}), {b.used} used;")
    if b.used:
        late = f", {b.late_minutes:.0f} min after the hour on average" if b.late else ""
        add(f"#   of the used: {b.early} checked in before their hour ({_pct(b.early, b.used)}), {b.late} after it "
            f"({_pct(b.late, b.used)}{late});")
    add(f"#   {b.other} cancelled, released or still open.")


def _new_lane_example(cal: Calibration, add) -> None:  # noqa: ANN001
    export = next((f for f in cal.flows if f.direction == "export"), cal.flows[0])
    gate = export.sender
    taken = {lane.code for lane in gate.lanes}
    n = 1 + sum(1 for lane in gate.lanes if lane.direction == "outbound")
    while f"OUT-{n}" in taken:
        n += 1
    opens = datetime.combine(cal.start.astimezone(ZoneInfo(gate.timezone)).date(), gate.goods_hours[0],
                             ZoneInfo(gate.timezone)).replace(minute=0)
    add("")
    add("# One more lane? Uncomment (the report then compares with and without it):")
    add("# [[new_lanes]]")
    add(f"# gate = {_s(gate.code)}")
    add(f'# code = "OUT-{n}"')
    add('# direction = "outbound"')
    add(f"# opens = {opens.isoformat()}")


def _policies(cal: Calibration, add) -> None:  # noqa: ANN001
    own = cal.history.yard.queue_policy
    add("")
    add("# " + "-" * 50 + " policies: each starts from [yard] and changes what it says")
    add("[policies.fifo]")
    add('queue_policy = "fifo"  # first come, first served: the baseline the report compares with')
    if own != "fifo":
        add("")
        add(f"[policies.{own}]  # the node's own rules, as in [yard]")
    else:
        add("")
        add("[policies.priority]  # the node runs fifo; the priority rule, to compare")
        add('queue_policy = "priority"')
    add("")
    add("[policies.send_all]  # the 2021 situation, for reference: add it to `compare`")
    add('queue_policy = "fifo"')
    add('call_forward = "send_all"')


def scenario_name(path_stem: str) -> str:
    """A scenario name the loader accepts, from the file's name."""
    name = re.sub(r"[^a-z0-9_\-]", "_", path_stem.lower()).strip("_-") or "calibrated"
    return (name if name[0].isalnum() else f"s{name}")[:64]


# ------------------------------------------------------------------ reading the node's tables


def read_history(engine, node: Node, since: datetime, until: datetime, *, zone: str,  # noqa: ANN001
                 horizon: timedelta = timedelta(days=10), **config: Any) -> NodeHistory:
    """Every row the calibration needs, read in one read-only transaction: the crossings at the
    node's gates that checked in (or, without a check-in, were expected) in [since, until), their
    events, sign-offs and bookings, the partner's capacity notices, and the overrides planned for
    the `horizon` after `until`. `config` fills the node's configuration fields of `NodeHistory`
    (yard, settings, defaults, node_spec, partner_spec, rules)."""
    from sqlalchemy import and_, func, or_, select

    from borderflow.store import tables as t

    c, y, e, i, b = t.crossings.c, t.yard.c, t.crossing_events.c, t.inspections.c, t.bookings.c
    codes = list(node.gates)
    slack = timedelta(days=1)
    with engine.connect() as conn:
        found = conn.execute(
            select(c.id, c.gate, c.direction, c.status, c.risk_lane, c.declarant_tax_id, c.declaration,
                   c.expected_arrival, c.created_at, y.checked_in_at, y.called_at, y.priority, y.missed_calls)
            .select_from(t.crossings.outerjoin(t.yard, y.crossing_id == c.id))
            .where(c.gate.in_(codes), or_(
                and_(y.checked_in_at >= since, y.checked_in_at < until),
                and_(y.checked_in_at.is_(None), c.expected_arrival >= since - slack,
                     c.expected_arrival < until + slack)))).all()
        ids = [r.id for r in found]
        booked: set[str] = set()
        events, inspections = [], []
        for chunk in _chunks(ids, 500):
            booked |= set(conn.execute(select(b.crossing_id).where(b.crossing_id.in_(chunk), b.status == "used"))
                          .scalars())
            events += [EventRow(r.crossing_id, r.action, r.at) for r in conn.execute(
                select(e.crossing_id, e.action, e.at).where(e.crossing_id.in_(chunk), e.action.in_(
                    ("arrive", "exit", "release", "start_inspection", "pass_inspection", "fail_inspection"))))]
            inspections += [InspectionRow(r.crossing_id, r.kind, r.result, r.role, r.at) for r in conn.execute(
                select(i.crossing_id, i.kind, i.result, i.role, i.at).where(i.crossing_id.in_(chunk)))]
        rows = [CrossingRow(
            id=r.id, gate=r.gate, direction=r.direction, status=r.status, risk_lane=r.risk_lane,
            declarant=r.declarant_tax_id, goods=tuple((r.declaration or {}).get("goods", [])),
            expected_arrival=r.expected_arrival, created_at=r.created_at, checked_in_at=r.checked_in_at,
            called_at=r.called_at, priority=r.priority, missed_calls=r.missed_calls or 0, booked=r.id in booked)
            for r in found]
        prior: dict[str, int] = {}
        for chunk in _chunks(sorted({r.declarant for r in rows}), 500):
            prior.update(dict(conn.execute(select(c.declarant_tax_id, func.count()).where(
                c.declarant_tax_id.in_(chunk), c.created_at < since).group_by(c.declarant_tax_id)).all()))
        bookings = [BookingRow(r.crossing_id, r.gate, r.direction, r.slot_start, r.status, r.checked_in_at)
                    for r in conn.execute(
                        select(b.crossing_id, b.gate, b.direction, b.slot_start, b.status, y.checked_in_at)
                        .select_from(t.bookings.outerjoin(t.yard, y.crossing_id == b.crossing_id))
                        .where(b.gate.in_(codes), b.slot_start >= since, b.slot_start < until))]
        notices = []
        for r in conn.execute(select(t.partner_capacity).where(t.partner_capacity.c.facing_gate.in_(codes))):
            notice = r.notice or {}
            hours = tuple((datetime.fromisoformat(x["start"]), int(x["trucks"])) for x in notice.get("hours", []))
            closures = tuple((datetime.fromisoformat(x["start"]),
                              datetime.fromisoformat(x["end"]) if x.get("end") else None, x.get("reason", ""))
                             for x in notice.get("closures", []))
            notices.append(NoticeRow(r.partner, r.gate, r.facing_gate, r.issued_at, hours, closures))
        o = t.capacity_overrides.c
        overrides = [OverrideRow(r.gate, r.direction, r.starts_at, r.ends_at, r.trucks_per_hour, r.reason)
                     for r in conn.execute(select(t.capacity_overrides).where(
                         o.gate.in_(codes), o.withdrawn_at.is_(None), o.ends_at > until,
                         o.starts_at < until + horizon))]
    return NodeHistory(node=node, since=since, until=until, zone=zone, crossings=rows, events=events,
                       inspections=inspections, bookings=bookings, notices=notices, overrides=overrides,
                       prior_crossings=prior, database=engine.url.render_as_string(hide_password=True), **config)


def _chunks(values: Sequence, size: int) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def node_zone(node: Node) -> str:
    """The zone the node's days are counted in: its first gate's."""
    return next(iter(node.gates.values())).timezone
