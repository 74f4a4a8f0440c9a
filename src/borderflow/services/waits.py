"""Measured wait times for the public feed: computed from yard events, never typed in.

Yard wait = called − checked in; the current figure is the median time the trucks
still waiting have waited so far, the rolling figure the median yard wait of the
trucks called in the last hour. The crossed figure is the whole wait of the trucks that
went through the barrier in the last two hours: yard check-in to the exit. The wait if
you arrive now is the capacity calendar's expected call for a truck joining the back of
the queue (services/yard.expected_call). No plates, no names: this feed is public.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from borderflow.domain import capacity as cap
from borderflow.services import capacity, yard
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.services.yard_views import median_minutes
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

DELAY_MINUTES = 60  # a median wait above this is reported as a delay
CROSSED_WINDOW = timedelta(hours=2)  # trucks through the barrier this recently make the crossed figure


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


def current(ctx: NodeContext, uow: UnitOfWork) -> list[dict]:
    now = ctx.clock.now()
    y = t.yard.c
    rows = uow.conn.execute(select(y.gate, y.direction, y.state, y.checked_in_at, y.called_at).where(
        (y.state == "waiting") | (y.called_at >= now - capacity.HOUR))).all()
    through = crossed(uow, now)
    this_hour = capacity.floor_hour(now)
    answer = []
    for gate in ctx.node.gates.values():
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
            lanes = cap.lanes_open(places, len([lane for lane in gate.lanes_for(direction) if lane.kind == "goods"]),
                                   per_lane_per_hour=ctx.yard.per_lane_per_hour,
                                   override_trucks=calendar[0]["own"] if calendar[0]["override"] is not None else None)
            worst = max(filter(None, (median_minutes(waiting), median_minutes(served))), default=0)
            status = "closed" if places == 0 else "delay" if worst > DELAY_MINUTES else "open"
            exits = through.get((gate.code, direction), [])
            answer.append({"gate": gate.code, "gate_names": gate.names, "direction": direction,
                           "trucks_waiting": len(waiting), "current_median_wait_min": median_minutes(waiting),
                           "rolling_hour_median_wait_min": median_minutes(served),
                           "crossed_median_wait_min": median_minutes(exits), "crossed_trucks": len(exits),
                           "wait_if_arriving_now_min": minutes_until(arriving, now),
                           "lanes_open": lanes, "capacity_per_hour": places, "status": status,
                           "opens_at": iso(cap.next_open(hours)) if status == "closed" else None,
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


CSV_FIELDS = ("gate", "direction", "trucks_waiting", "current_median_wait_min", "rolling_hour_median_wait_min",
              "lanes_open", "capacity_per_hour", "status", "updated_at",
              "crossed_median_wait_min", "crossed_trucks", "wait_if_arriving_now_min", "opens_at")
