"""The twin on a given arrival trace: these trucks, at these minutes, with these risk lanes.

A scenario normally draws its trucks from distributions (`sim/arrivals.py`). To hold the
twin to a live node, the same trucks must go through both: `simulate_trace` runs the
scenario's gates, rules and service times on an explicit list of trucks (arrival minute,
plate, goods, declarant, the risk lane the node assessed, whether the driver lets the
first call pass) and returns, besides the usual result, every call-forward decision in
the order it was made (`Trace.calls`) and every truck the 20-minute rule put back in line
(`Trace.requeued`). The conformance test (tests/e2e/test_conformance.py) compares these
with what real node processes did.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from borderflow.sim.arrivals import SimDeclarant, SimTruck
from borderflow.sim.commodities import CATALOG
from borderflow.sim.scenario import FlowSpec, PolicySpec, Scenario

COLOURS = ("green", "blue", "yellow", "red")


@dataclass(frozen=True, slots=True)
class TracedTruck:
    crossing_id: str
    gate: str  # the sending gate
    minute: float  # arrival at its yard, minutes since the scenario start
    plate: str
    hs_code: str
    perishable: bool
    declarant: str  # tax id
    risk_lane: str  # as the node assessed the declaration
    misses_first_call: bool = False  # the driver does not come when first called
    commodity: str = "cargo"
    booked_from_minute: float | None = None  # a booked hour, minutes since the start (None: unbooked)

    def __post_init__(self) -> None:
        if self.risk_lane not in COLOURS:
            raise ValueError(f"risk_lane must be one of {', '.join(COLOURS)}, got {self.risk_lane!r}")
        if self.minute < 0:
            raise ValueError(f"minute must be 0 or more, got {self.minute}")


@dataclass(frozen=True, slots=True)
class CallRecord:
    minute: float  # when the step that made the call ran
    gate: str
    crossing_id: str
    lane: str
    bay: int | None


@dataclass
class Trace:
    """The trucks to run, the declarants' records before them, and what the run logs."""

    trucks: Sequence[TracedTruck]
    prior_crossings: dict[str, int] = field(default_factory=dict)  # declarant → crossings before the trace
    calls: list[CallRecord] = field(default_factory=list)
    requeued: list[tuple[float, str, str]] = field(default_factory=list)  # (minute, gate, crossing id)

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for truck in self.trucks:
            if truck.crossing_id in seen:
                raise ValueError(f"crossing id {truck.crossing_id} appears twice in the trace")
            seen.add(truck.crossing_id)
        self._by_id = {t.crossing_id: t for t in self.trucks}

    def fixed(self, crossing_id: str) -> TracedTruck:
        return self._by_id[crossing_id]

    def arrivals(self, scenario: Scenario, flow: FlowSpec) -> Iterator[SimTruck]:
        """The trace's trucks sent from this flow's gate, as the model's arrivals, in arrival order."""
        mine = sorted((t for t in self.trucks if t.gate == flow.gate.code), key=lambda t: (t.minute, t.crossing_id))
        declarants: dict[str, SimDeclarant] = {}
        commodity = CATALOG["cassava"]  # a typical load; the trace gives the goods
        for index, t in enumerate(mine):
            declarant = declarants.setdefault(t.declarant, SimDeclarant(
                t.declarant, f"Declarant {t.declarant}", prior_crossings=self.prior_crossings.get(t.declarant, 0)))
            booked_from = booked_until = None
            if t.booked_from_minute is not None:
                booked_from = scenario.start + timedelta(minutes=t.booked_from_minute)
                booked_until = booked_from + timedelta(hours=1)
            net = commodity.net_kg
            yield SimTruck(t.crossing_id, index, flow.key, flow.gate.code, flow.partner.code, flow.gate.country,
                           flow.direction, scenario.start + timedelta(minutes=t.minute), t.minute, t.commodity,
                           t.hs_code, t.commodity, t.perishable, "ordinary", declarant, t.plate, "", net, 0,
                           booked_from, booked_until)


def simulate_trace(scenario: Scenario, policy: str | PolicySpec, trace: Trace):  # noqa: ANN201
    """One run of the scenario on the trace's trucks; the calls and requeues are logged in `trace`.
    Returns the `ReplicationResult` (with the per-truck rows)."""
    from borderflow.sim.model import simulate_once

    unknown = sorted({t.gate for t in trace.trucks} - {f.gate.code for f in scenario.flows})
    if unknown:
        raise ValueError(f"the trace sends trucks from {', '.join(unknown)}, which the scenario has no flow from")
    trace.calls.clear()
    trace.requeued.clear()
    return simulate_once(scenario, policy, seed=0, replication=0, keep_trucks=True, trace=trace)


__all__ = ["CallRecord", "Trace", "TracedTruck", "simulate_trace"]
