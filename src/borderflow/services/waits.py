"""Measured wait times for the public feed: computed from yard events, never typed in.

Yard wait = called − checked in; the current figure is the median time the trucks
still waiting have waited so far, the rolling figure the median yard wait of the
trucks called in the last hour. The crossed figure is the whole wait of the trucks that
went through the barrier in the last two hours: yard check-in to the exit. The wait if
you arrive now is the capacity calendar's expected call for a truck joining the back of
the queue (services/yard.expected_call). No plates, no names: this feed is public.

Beside the numbers, as the US CBP's Border Wait Times feed gives them: the goods hours, lanes
open of the most the gate has, the notices in force (services/wait_notices) and the typical
week, the median yard wait by local weekday and hour over the last weeks' complete hours
(one grouped query, store/typical_week, redone once an hour).
"""

from __future__ import annotations

import json
import weakref
from datetime import datetime, timedelta
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from fastapi.encoders import jsonable_encoder
from sqlalchemy import Engine, select

from borderflow.domain import capacity as cap
from borderflow.i18n.localize import localize
from borderflow.services import capacity, wait_notices, yard
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.services.yard_views import median_minutes
from borderflow.store import tables as t
from borderflow.store import typical_week as week
from borderflow.store.unit_of_work import UnitOfWork

DELAY_MINUTES = 60  # a median wait above this is reported as a delay
CROSSED_WINDOW = timedelta(hours=2)  # trucks through the barrier this recently make the crossed figure
TYPICAL_WEEKS = 8  # the typical week is the median over this many weeks
_typical: WeakKeyDictionary[Engine, tuple[datetime, week.WeekHours]] = WeakKeyDictionary()
_served: dict[int, _Served] = {}  # per node context, dropped with it


def crossed(uow: UnitOfWork, now: datetime) -> dict[tuple[str, str], list[timedelta]]:
    """Per (gate, direction): yard check-in to barrier exit of the trucks that exited since
    `now` − CROSSED_WINDOW. Trucks that never queued in the yard do not count."""
    y, e = t.yard.c, t.crossing_events.c
    rows = uow.conn.execute(select(y.crossing_id, y.gate, y.direction, y.checked_in_at, e.at)
                            .join(t.crossing_events, e.crossing_id == y.crossing_id)
                            .where(e.action == "exit", e.at >= now - CROSSED_WINDOW)).all()
    first_exit: dict[str, tuple] = {}
    for r in rows:
        if r.crossing_id not in first_exit or r.at < first_exit[r.crossing_id].at:
            first_exit[r.crossing_id] = r
    answer: dict[tuple[str, str], list[timedelta]] = {}
    for r in first_exit.values():
        answer.setdefault((r.gate, r.direction), []).append(max(r.at - r.checked_in_at, timedelta(0)))
    return answer


def minutes_until(at: datetime | None, now: datetime) -> float | None:
    return round((at - now).total_seconds() / 60, 1) if at is not None else None


def typical_week(ctx: NodeContext, uow: UnitOfWork, now: datetime) -> week.WeekHours:
    """The median yard wait by gate, direction, local weekday and hour over the last TYPICAL_WEEKS
    weeks. Complete hours only, so nothing can change it before the hour turns: it is kept per
    node (per engine) until then, and the feed, hit often, queries it once an hour."""
    until = capacity.floor_hour(now)
    kept = _typical.get(ctx.engine)
    if kept is not None and kept[0] == until:
        return kept[1]
    zones = {g.code: g.timezone for g in ctx.node.gates.values()}
    answer = week.medians(uow.conn, zones, until - TYPICAL_WEEKS * timedelta(days=7), until)
    _typical[ctx.engine] = (until, answer)
    return answer


def _week_view(cells: dict[tuple[int, int], tuple[float, int]]) -> list[dict]:
    return [{"weekday": day, "hour": hour, "median_wait_min": median, "trucks": trucks}
            for (day, hour), (median, trucks) in sorted(cells.items())]


class _Served:
    """One computed feed and its JSON, rendered once per language asked for."""

    __slots__ = ("at", "rows", "bodies")

    def __init__(self, at: datetime, rows: list[dict]) -> None:
        self.at, self.rows, self.bodies = at, rows, {}

    def body(self, lang: str) -> bytes:
        body = self.bodies.get(lang)
        if body is None:
            body = self.bodies[lang] = json.dumps(localize(jsonable_encoder(self.rows), lang), ensure_ascii=False,
                                                  separators=(",", ":")).encode()
        return body


def _kept(ctx: NodeContext) -> _Served | None:
    """The feed computed less than BORDERFLOW_WAIT_FEED_SECONDS ago (node time), if there is one."""
    kept = _served.get(id(ctx))
    seconds = ctx.settings.wait_feed_seconds if ctx.settings is not None else 0.0
    if kept is None or not timedelta(0) <= ctx.clock.now() - kept.at < timedelta(seconds=seconds):
        return None
    return kept


def served(ctx: NodeContext) -> _Served:
    """The feed as `current` computes it, computed again once it is BORDERFLOW_WAIT_FEED_SECONDS old
    (node time; 5 s by default): the same for every caller, polled by boards, apps and other
    countries' systems, so one request in that time pays for it and the others are as cheap as a
    health check. Every caller gets the same rows: read them, never change them."""
    kept = _kept(ctx)
    if kept is None:
        now = ctx.clock.now()
        with ctx.uow(write=False) as uow:
            kept = _Served(now, current(ctx, uow))
        if id(ctx) not in _served:
            weakref.finalize(ctx, _served.pop, id(ctx), None)
        _served[id(ctx)] = kept
    return kept


def served_body(ctx: NodeContext, lang: str) -> bytes | None:
    """The feed's JSON in `lang` when it needs no computing (no database, no thread): else None."""
    kept = _kept(ctx)
    return kept.body(lang) if kept is not None else None


def current(ctx: NodeContext, uow: UnitOfWork) -> list[dict]:
    now = ctx.clock.now()
    y = t.yard.c
    rows = uow.conn.execute(select(y.gate, y.direction, y.state, y.checked_in_at, y.called_at).where(
        (y.state == "waiting") | (y.called_at >= now - capacity.HOUR))).all()
    through = crossed(uow, now)
    this_hour = capacity.floor_hour(now)
    typical = typical_week(ctx, uow, now)
    overrides = wait_notices.overrides(uow, this_hour)
    hazards = wait_notices.hazards(uow, ctx.node, now)
    answer = []
    for gate in ctx.node.gates.values():
        local = now.astimezone(ZoneInfo(gate.timezone))
        for direction in capacity.DIRECTIONS:
            mine = [r for r in rows if r.gate == gate.code and r.direction == direction]
            waiting = [now - r.checked_in_at for r in mine if r.state == "waiting"]
            served = [r.called_at - r.checked_in_at for r in mine if r.called_at and r.called_at >= now - capacity.HOUR]
            # The one calendar computation for this gate and direction: status, lanes, opening
            # and the wait if you arrive now all come from it.
            calendar = capacity.hours(ctx, uow, gate, direction, now, yard.CALENDAR_HOURS)
            hours = [(h["start"], h["capacity"]) for h in calendar]
            places = calendar[0]["capacity"]
            # what yard.called_this_hour counts, read from the rows at hand (every call since the
            # hour began is within the last hour)
            called = sum(1 for r in mine if r.called_at and r.called_at >= this_hour)
            arriving = cap.expected_call(len(waiting) + 1, hours, now, called)
            goods_lanes = len([lane for lane in gate.lanes_for(direction) if lane.kind == "goods"])
            lanes = cap.lanes_open(places, goods_lanes, per_lane_per_hour=ctx.yard.per_lane_per_hour,
                                   override_trucks=calendar[0]["own"] if calendar[0]["override"] is not None else None)
            worst = max(filter(None, (median_minutes(waiting), median_minutes(served))), default=0)
            status = "closed" if places == 0 else "delay" if worst > DELAY_MINUTES else "open"
            exits = through.get((gate.code, direction), [])
            cells = typical.get((gate.code, direction), {})
            usual = cells.get((local.isoweekday(), local.hour))
            notices = [*([overrides[(gate.code, direction)]] if (gate.code, direction) in overrides else []),
                       *hazards.get(gate.code, []), *wait_notices.partner_closed(direction, calendar[0])]
            answer.append({"gate": gate.code, "gate_names": gate.names, "direction": direction,
                           "trucks_waiting": len(waiting), "current_median_wait_min": median_minutes(waiting),
                           "rolling_hour_median_wait_min": median_minutes(served),
                           "crossed_median_wait_min": median_minutes(exits), "crossed_trucks": len(exits),
                           "wait_if_arriving_now_min": minutes_until(arriving, now),
                           "lanes_open": lanes, "max_lanes": goods_lanes, "capacity_per_hour": places,
                           "status": status, "notices": notices,
                           "opens_at": iso(cap.next_open(hours)) if status == "closed" else None,
                           "closes_at": iso(next((s for s, n in hours if n == 0), None)) if status != "closed" else None,
                           "opening_hours": {"goods": {"from": f"{gate.goods_hours[0]:%H:%M}",
                                                       "to": f"{gate.goods_hours[1]:%H:%M}"},
                                             "timezone": gate.timezone},
                           "typical_wait_now_min": usual[0] if usual else None,
                           "typical_week": _week_view(cells), "typical_week_weeks": TYPICAL_WEEKS,
                           "updated_at": iso(now)})
    return answer


def history(ctx: NodeContext, uow: UnitOfWork, gate: str, direction: str, hours: int) -> list[dict]:
    """Per hour of the last `hours`: the median yard wait of the trucks called in that hour."""
    now = ctx.clock.now()
    start = capacity.floor_hour(now) - (hours - 1) * capacity.HOUR
    y = t.yard.c
    rows = uow.conn.execute(select(y.checked_in_at, y.called_at).where(
        y.gate == gate, y.direction == direction, y.called_at >= start)).all()
    series = []
    for i in range(hours):
        hour: datetime = start + i * capacity.HOUR
        waits = [r.called_at - r.checked_in_at for r in rows if hour <= r.called_at < hour + capacity.HOUR]
        series.append({"hour": iso(hour), "median_wait_min": median_minutes(waits), "trucks": len(waits)})
    return series


WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TYPICAL_COLUMNS = tuple(f"typical_{day}_{hour:02d}" for day in WEEKDAYS for hour in range(24))
CSV_FIELDS = ("gate", "direction", "trucks_waiting", "current_median_wait_min", "rolling_hour_median_wait_min",
              "lanes_open", "capacity_per_hour", "status", "updated_at",
              "crossed_median_wait_min", "crossed_trucks", "wait_if_arriving_now_min", "opens_at",
              "max_lanes", "closes_at", "opening_hours_from", "opening_hours_to", "timezone",
              "notice_kinds", "notice_text", "typical_wait_now_min", *TYPICAL_COLUMNS)
"""New columns go at the end: a reader that takes columns by position keeps working."""


def csv_row(row: dict) -> dict:
    """One feed row flat: the notices as their kinds and texts, the typical week as one column per
    weekday and hour (`typical_mon_07`: the median wait in minutes, empty without trucks)."""
    goods = row["opening_hours"]["goods"]
    typical = {f"typical_{WEEKDAYS[c['weekday'] - 1]}_{c['hour']:02d}": c["median_wait_min"]
               for c in row["typical_week"]}
    return {**row, "opening_hours_from": goods["from"], "opening_hours_to": goods["to"],
            "timezone": row["opening_hours"]["timezone"],
            "notice_kinds": ";".join(n["kind"] for n in row["notices"]),
            "notice_text": " | ".join(n["text"] for n in row["notices"] if n["text"]), **typical}
