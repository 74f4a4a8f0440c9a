"""What the barrier does for a plate read: open or hold, with a reason an operator understands.

Pure: the service looks up the crossing and the latest weighing, this decides,
and the service applies the actions to the aggregate.
"""

from __future__ import annotations

from dataclasses import dataclass

from borderflow.domain import lifecycle
from borderflow.domain.crossing import Crossing
from borderflow.domain.gates import Lane
from borderflow.domain.weights import legal_limit_kg, tonnes

OPEN, HOLD = "open", "hold"
AUTO_RELEASE_LANES = frozenset({"green", "blue"})


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    reason: str
    actions: tuple[tuple[str, str], ...] = ()  # (action, cause) to apply to the crossing, in order


@dataclass(frozen=True, slots=True)
class VehicleFacts:
    country: str
    axles: int
    combination: bool


def lane_direction_for(direction: str) -> str:
    return "outbound" if direction == "export" else "inbound"


def overweight(vehicle: VehicleFacts, weighed_kg: float | None, node_country: str) -> str | None:
    if weighed_kg is None:
        return None
    limit = legal_limit_kg(vehicle.country, vehicle.axles, combination=vehicle.combination,
                           fallback_country=node_country)
    if limit is None or weighed_kg <= limit:
        return None
    return f"weight {tonnes(weighed_kg)} exceeds {tonnes(limit)} for {vehicle.axles} axles"


def decide(crossing: Crossing, lane: Lane, vehicle: VehicleFacts, weighed_kg: float | None,
           node_country: str) -> Decision:
    ref, status = crossing.reference, crossing.status
    expected = lane_direction_for(crossing.direction)
    if lane.direction != expected:
        return Decision(HOLD, f"{crossing.direction} crossing {ref} at {lane.direction} lane {lane.code}: "
                              f"use an {expected} lane")
    if status in lifecycle.TERMINAL:
        return Decision(HOLD, f"crossing {ref} is already {status}")
    arrive = (("arrive", f"plate read at lane {lane.code}"),) if status in (lifecycle.DECLARED, lifecycle.IN_TRANSIT) else ()
    heavy = overweight(vehicle, weighed_kg, node_country)
    if heavy:
        hold = () if status == lifecycle.HELD and crossing.hold_reason == heavy else (("hold", heavy),)
        return Decision(HOLD, heavy, arrive + hold)
    if status == lifecycle.HELD:
        return Decision(HOLD, f"held: {crossing.hold_reason}")
    if status == lifecycle.INSPECTING:
        return Decision(HOLD, "inspection under way")
    if status == lifecycle.RELEASED:
        return Decision(OPEN, f"released; {ref} may pass", (("exit", f"barrier opened at lane {lane.code}"),))
    missing = crossing.missing_check()
    if missing is not None:
        return Decision(HOLD, f"{crossing.risk_lane} lane: {missing} inspection not yet done", arrive)
    cause = (f"{crossing.risk_lane} lane: released at the gate" if crossing.risk_lane in AUTO_RELEASE_LANES
             else f"{crossing.risk_lane} lane: {LANE_DONE[crossing.risk_lane]}; released at the gate")
    return Decision(OPEN, cause, arrive + (("release", cause), ("exit", f"barrier opened at lane {lane.code}")))


LANE_DONE = {"yellow": "documents checked", "red": "inspection passed"}
