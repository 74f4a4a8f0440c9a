"""What the barrier does for a plate read: open or hold, with a reason an operator understands.

Pure: the service looks up the crossing, the latest weighing and where the truck
stands in the yard; this decides, and the service applies the actions to the
aggregate. Every decision carries a stable `code` (and its `params`) beside the
English reason, so a device or a screen can act on it or say it in its own language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from borderflow.domain import lifecycle
from borderflow.domain.crossing import Crossing
from borderflow.domain.directions import lane_direction_for
from borderflow.domain.gates import Lane
from borderflow.domain.weights import legal_limit_kg, tonnes

OPEN, HOLD = "open", "hold"
AUTO_RELEASE_LANES = frozenset({"green", "blue"})


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    reason: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    actions: tuple[tuple[str, str], ...] = ()  # (action, cause) to apply to the crossing, in order


@dataclass(frozen=True, slots=True)
class VehicleFacts:
    country: str
    axles: int
    combination: bool


@dataclass(frozen=True, slots=True)
class YardStanding:
    """Where the truck stands with the yard, as far as the barrier must know.

    `called` is true once the yard called the truck forward (and stays true once it
    reached the lanes); `enforced` is false at gates that keep no call-forward order.
    """

    enforced: bool
    called: bool
    in_yard: bool = False
    position: int | None = None
    expected_call: datetime | None = None
    yard_name: str = ""
    timezone: str = "UTC"
    now: datetime | None = None


def overweight(vehicle: VehicleFacts, weighed_kg: float | None, node_country: str) -> Decision | None:
    if weighed_kg is None:
        return None
    limit = legal_limit_kg(vehicle.country, vehicle.axles, combination=vehicle.combination,
                           fallback_country=node_country)
    if limit is None or weighed_kg <= limit:
        return None
    return Decision(HOLD, f"weight {tonnes(weighed_kg)} exceeds {tonnes(limit)} for {vehicle.axles} axles",
                    "overweight", {"weighed_kg": weighed_kg, "limit_kg": limit, "axles": vehicle.axles})


def local_when(at: datetime, timezone: str, now: datetime | None) -> str:
    """"10:40", or "10:40 on 2 Dec" when that is not today at the gate."""
    tz = ZoneInfo(timezone)
    local = at.astimezone(tz)
    same_day = now is not None and now.astimezone(tz).date() == local.date()
    return f"{local:%H:%M}" if same_day else f"{local:%H:%M} on {local.day} {local:%b}"


def _not_called(crossing: Crossing, standing: YardStanding) -> Decision:
    params: dict[str, Any] = {"reference": crossing.reference, "yard": standing.yard_name}
    if not standing.in_yard:
        return Decision(HOLD, f"not called forward: check in at the {standing.yard_name} yard and wait to be called",
                        "not_checked_in", params)
    params.update(position=standing.position,
                  expected_call=standing.expected_call.isoformat() if standing.expected_call else None)
    when = (f", expected call {local_when(standing.expected_call, standing.timezone, standing.now)}"
            if standing.expected_call else "")
    position = f", position {standing.position}" if standing.position else ""
    return Decision(HOLD, f"not called forward yet: wait in the {standing.yard_name} yard{position}{when}",
                    "not_called", params)


def decide(crossing: Crossing, lane: Lane, vehicle: VehicleFacts, weighed_kg: float | None,
           node_country: str, standing: YardStanding | None = None) -> Decision:
    ref, status = crossing.reference, crossing.status
    expected = lane_direction_for(crossing.direction)
    if lane.direction != expected:
        return Decision(HOLD, f"{crossing.direction} crossing {ref} at {lane.direction} lane {lane.code}: "
                              f"use an {expected} lane", "wrong_lane",
                        {"reference": ref, "lane": lane.code, "expected_direction": expected})
    if status in lifecycle.TERMINAL:
        return Decision(HOLD, f"crossing {ref} is already {status}", "crossing_closed",
                        {"reference": ref, "status": status})
    if standing is not None and standing.enforced and not standing.called:
        return _not_called(crossing, standing)
    arrive = (("arrive", f"plate read at lane {lane.code}"),) if status in (lifecycle.DECLARED, lifecycle.IN_TRANSIT) else ()
    heavy = overweight(vehicle, weighed_kg, node_country)
    if heavy:
        hold = () if status == lifecycle.HELD else (("hold", heavy.reason),)  # a held truck stays held as it is
        return Decision(HOLD, heavy.reason, heavy.code, heavy.params, arrive + hold)
    if status == lifecycle.HELD:
        return Decision(HOLD, f"held: {crossing.hold_reason}", "held", {"hold_reason": crossing.hold_reason})
    if status == lifecycle.INSPECTING:
        return Decision(HOLD, "inspection under way", "inspecting", {})
    if status == lifecycle.RELEASED:
        return Decision(OPEN, f"released; {ref} may pass", "released", {"reference": ref},
                        (("exit", f"barrier opened at lane {lane.code}"),))
    pending = crossing.pending_signoffs()
    if pending:
        names = ", ".join(a.replace("_", " ") for a in pending)
        return Decision(HOLD, f"waiting for the sign-off of {names}", "signoff_pending",
                        {"agencies": pending}, arrive)
    cause = (f"{crossing.risk_lane} lane: released at the gate" if not crossing.signoffs
             else f"{crossing.risk_lane} lane: every sign-off passed; released at the gate")
    return Decision(OPEN, cause, "cleared", {"risk_lane": crossing.risk_lane},
                    arrive + (("release", cause), ("exit", f"barrier opened at lane {lane.code}")))
