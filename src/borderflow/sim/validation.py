"""An M/M/c queue expressed as a borderflow scenario, to check the engine against Erlang C.

Every element of the real model stays in the path (arrival generator, declarations and
selectivity, sign-offs, the node's call-forward step with its queue policy, capacity
calendar and budget, the partner's acceptance); only the numbers make it an M/M/c queue:
Poisson arrivals at a constant rate, c lanes with exponential service whatever the risk
lane colour, a gate open around the clock, no bays, instant checks, no drive from the
yard, an unlimited border line and partner, one truck on its way per lane
(`called_per_lane = 1`), a call that does not run out (a lane here can take longer than
the node's 20 minutes to free) and a step at every event (no scheduler tick). A called truck
then takes the first lane to free, so the yard and the trucks on their way form one
first-come-first-served queue in front of c servers: arrival → start of lane service is
the M/M/c waiting time in queue (Wq).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, time, timedelta

from borderflow.domain.gates import Gate, Lane
from borderflow.sim.commodities import CATALOG
from borderflow.sim.distributions import Distribution
from borderflow.sim.node_config import default_rules
from borderflow.sim.scenario import FlowSpec, PolicySpec, Scenario

UNLIMITED = 1_000_000  # trucks an hour: never the binding constraint


def _gate(code: str, partner: str, country: str, lanes: tuple[Lane, ...]) -> Gate:
    return Gate(code=code, country=country, names={"en": code}, province="Test", unlocode=None, partner_gate=partner,
                timezone="UTC", goods_hours=(time(0, 0), time(23, 59)), lanes=lanes, yard_capacity=UNLIMITED,
                daily_capacity=UNLIMITED, inspection_bays=0, plate_prefixes=("24",))


def mmc_scenario(arrivals_per_hour: float, mean_service_minutes: float, servers: int, days: int = 20) -> Scenario:
    """A one-flow scenario that is an M/M/c queue: arrival → lane start (`lane_wait`) = Wq."""
    out = tuple(Lane(f"OUT-{i + 1}", "outbound") for i in range(servers))
    sender = _gate("MMCSEND", "MMCRECV", "VN", out)
    receiver = _gate("MMCRECV", "MMCSEND", "CN", (Lane("IN-1", "inbound"),))
    # A call does not run out (a lane can take longer than the node's 20 minutes to free): one FIFO queue.
    yard = dataclasses.replace(default_rules(), queue_policy="fifo", per_lane_per_hour=UNLIMITED, called_per_lane=1,
                               call_timeout=timedelta(days=365))
    flow = FlowSpec(gate=sender, partner=receiver, trucks_per_day=arrivals_per_hour * 24,
                    mix=((CATALOG["cassava"], 1.0),), profile=(1 / 24,) * 24, yard=yard,
                    line_capacity=UNLIMITED, declarants=50, new_declarant_share=0.0, booked_share=0.0,
                    drive_minutes=0.0, missed_call_share=0.0, problem_share=0.0)
    service = Distribution("exponential", mean_service_minutes)
    instant = Distribution("constant", 0.0)
    # The goods hours end at 23:59, so every hour *starts* open; the 00:00 start keeps hours aligned.
    return Scenario(
        name="mmc", title=f"M/M/{servers}", description="validation against Erlang C", source="<mmc>",
        start=datetime(2026, 1, 1, tzinfo=UTC), days=days, drain_days=1, flows=(flow,),
        service={"green": service, "blue": service, "yellow": service, "red": service,
                 "inspection": instant, "document": instant, "hold": instant},
        policies={"fifo": PolicySpec("fifo", yard, call_seconds=0.0)}, compare=("fifo",), sample_minutes=60,
        yard=yard, call_seconds=0.0,
    )
