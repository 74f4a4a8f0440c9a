"""The twin on an explicit trace: the given trucks, their risk lanes and drivers, and a log of its calls."""

from __future__ import annotations

import pytest

from borderflow.sim.scenario import parse_scenario
from borderflow.sim.trace import Trace, TracedTruck, simulate_trace

SCENARIO = """
name = "trace"
start = 2026-06-15T07:00:00+07:00
days = 1
nodes = ["vn", "cn"]

[yard]
per_lane_per_hour = 1  # Kim Thanh's two lanes: two places an hour
call_forward_seconds = 60

[defaults]
mix = { cassava = 1 }
drive_minutes = 5
problem_share = 0
booked_share = 0

[service]
green = 1
yellow = 1
document = 0
inspection = 10

[[flows]]
from = "KIMTHANH"
trucks_per_day = 1
"""


def truck(n: int, minute: float, **kw) -> TracedTruck:
    return TracedTruck(f"c{n}", "KIMTHANH", minute, f"24C-{100 + n:03d}.00", "07141011", False, "5300123456",
                       kw.pop("risk_lane", "green"), **kw)


def test_a_call_that_runs_out_gives_its_place_in_the_hour_back():
    trace = Trace([truck(1, 0.5, misses_first_call=True), truck(2, 0.6), truck(3, 0.7)])
    result = simulate_trace(parse_scenario(SCENARIO), "fifo", trace)
    calls = [(c.minute, c.crossing_id) for c in trace.calls]
    # two places in the 07:00 hour: c1 and c2 at 07:01; c1's driver does not come; after its 20
    # minutes it is back in line (queued from 07:22) and c3 takes the place it gave back
    assert calls[:2] == [(1.0, "c1"), (1.0, "c2")]
    assert trace.requeued == [(22.0, "KIMTHANH", "c1")]
    assert calls[2] == (22.0, "c3")
    assert calls[3] == (60.0, "c1")  # the next hour's first place
    assert result.metrics["crossed"] == 3
    assert result.flows["KIMTHANH>HEKOU"].hourly_calls[:2] == [2, 1]


def test_the_trace_gives_the_risk_lane_and_the_bay_follows_it():
    trace = Trace([truck(1, 0.5, risk_lane="yellow"), truck(2, 0.6)])
    simulate_trace(parse_scenario(SCENARIO), "fifo", trace)
    assert [(c.crossing_id, c.bay) for c in trace.calls] == [("c1", 1), ("c2", None)]


def test_a_trace_from_a_gate_the_scenario_does_not_send_from_is_refused():
    with pytest.raises(ValueError, match="HUUNGHI"):
        simulate_trace(parse_scenario(SCENARIO), "fifo",
                       Trace([TracedTruck("x", "HUUNGHI", 1, "12C-100.00", "07141011", False, "1", "green")]))
    with pytest.raises(ValueError, match="twice"):
        Trace([truck(1, 1), truck(1, 2)])
