"""Measured wait times for the public feed: computed from yard events, never typed in.

Yard wait = called − checked in; the current figure is the median time the trucks
still waiting have waited so far, the rolling figure the median yard wait of the
trucks called in the last hour. No plates, no names: this feed is public.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from borderflow.services import capacity
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.services.yard_views import median_minutes
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

DELAY_MINUTES = 60  # a median wait above this is reported as a delay


def current(ctx: NodeContext, uow: UnitOfWork) -> list[dict]:
    now = ctx.clock.now()
    y = t.yard.c
    rows = uow.conn.execute(select(y.gate, y.direction, y.state, y.checked_in_at, y.called_at).where(
        (y.state == "waiting") | (y.called_at >= now - capacity.HOUR))).all()
    answer = []
    for gate in ctx.node.gates.values():
        for direction in capacity.DIRECTIONS:
            mine = [r for r in rows if r.gate == gate.code and r.direction == direction]
            waiting = [now - r.checked_in_at for r in mine if r.state == "waiting"]
            served = [r.called_at - r.checked_in_at for r in mine if r.called_at and r.called_at >= now - capacity.HOUR]
            places = capacity.capacity_now(ctx, uow, gate, direction, now)
            lanes = len([lane for lane in gate.lanes_for(direction) if lane.kind == "goods"])
            worst = max(filter(None, (median_minutes(waiting), median_minutes(served))), default=0)
            status = "closed" if places == 0 else "delay" if worst > DELAY_MINUTES else "open"
            answer.append({"gate": gate.code, "gate_names": gate.names, "direction": direction,
                           "trucks_waiting": len(waiting), "current_median_wait_min": median_minutes(waiting),
                           "rolling_hour_median_wait_min": median_minutes(served),
                           "lanes_open": lanes if places else 0, "capacity_per_hour": places, "status": status,
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
              "lanes_open", "capacity_per_hour", "status", "updated_at")
