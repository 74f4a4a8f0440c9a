"""What the barrier does for a plate read: open or hold, with a reason an operator understands.

Pure: the service looks up the crossing, the latest weighing and where the truck
stands in the yard; this decides, and the service applies the actions to the
aggregate. Every decision carries a stable `code` (and its `params`) beside the
reason, a message (`domain/messages`) whose English text the API returns by default, so a
device or a screen can act on it or say it in its own language.
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
from borderflow.domain.messages import say, when
from borderflow.domain.weights import legal_limit_kg

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
    params = {"weighed_kg": weighed_kg, "limit_kg": limit, "axles": vehicle.axles}
    return Decision(HOLD, say("barrier.overweight", **params), "overweight", params)


def local_when(at: datetime, timezone: str, now: datetime | None) -> str:
    """"10:40", or "10:40 on 2 Dec" when that is not today at the gate."""
    tz = ZoneInfo(timezone)
    local = at.astimezone(tz)
    same_day = now is not None and now.astimezone(tz).date() == local.date()
    return f"{local:%H:%M}" if same_day else f"{local:%H:%M} on {local.day} {local:%b}"


def _not_called(crossing: Crossing, standing: YardStanding) -> Decision:
    params: dict[str, Any] = {"reference": crossing.reference, "yard": standing.yard_name}
    if not standing.in_yard:
        return Decision(HOLD, say("barrier.not_checked_in", yard=standing.yard_name), "not_checked_in", params)
    params.update(position=standing.position,
                  expected_call=standing.expected_call.isoformat() if standing.expected_call else None)
    said: dict[str, Any] = {"yard": standing.yard_name}
    code = "barrier.not_called"
    if standing.position:
        code, said["position"] = code + ".position", standing.position
    if standing.expected_call:
        code = code + "_call" if standing.position else code + ".call"
        said["when"] = when(standing.expected_call, standing.timezone, standing.now)
    return Decision(HOLD, say(code, **said), "not_called", params)


def decide(crossing: Crossing, lane: Lane, vehicle: VehicleFacts, weighed_kg: float | None,
           node_country: str, standing: YardStanding | None = None) -> Decision:
    ref, status = crossing.reference, crossing.status
    expected = lane_direction_for(crossing.direction)
    if lane.direction != expected:
        return Decision(HOLD, say("barrier.wrong_lane", direction=crossing.direction, reference=ref,
                                  lane_direction=lane.direction, lane=lane.code, expected_direction=expected),
                        "wrong_lane", {"reference": ref, "lane": lane.code, "expected_direction": expected})
    if status in lifecycle.TERMINAL:
        return Decision(HOLD, say("barrier.crossing_closed", reference=ref, status=status), "crossing_closed",
                        {"reference": ref, "status": status})
    if standing is not None and standing.enforced and not standing.called:
        return _not_called(crossing, standing)
    arrive = (("arrive", say("history.plate_read", lane=lane.code)),) if status in (lifecycle.DECLARED, lifecycle.IN_TRANSIT) else ()
    heavy = overweight(vehicle, weighed_kg, node_country)
    if heavy:
        hold = () if status == lifecycle.HELD else (("hold", heavy.reason),)  # a held truck stays held as it is
        return Decision(HOLD, heavy.reason, heavy.code, heavy.params, arrive + hold)
    if status == lifecycle.HELD:
        return Decision(HOLD, say("barrier.held", hold_reason=crossing.hold_reason), "held",
                        {"hold_reason": crossing.hold_reason})
    if status == lifecycle.INSPECTING:
        return Decision(HOLD, say("barrier.inspecting"), "inspecting", {})
    opened = say("history.barrier_opened", lane=lane.code)
    if status == lifecycle.RELEASED:
        return Decision(OPEN, say("barrier.released", reference=ref), "released", {"reference": ref},
                        (("exit", opened),))
    pending = crossing.pending_signoffs()
    if pending:
        return Decision(HOLD, say("barrier.signoff_pending", agencies=pending), "signoff_pending",
                        {"agencies": pending}, arrive)
    cause = say("barrier.cleared_signed" if crossing.signoffs else "barrier.cleared", risk_lane=crossing.risk_lane)
    return Decision(OPEN, cause, "cleared", {"risk_lane": crossing.risk_lane},
                    arrive + (("release", cause), ("exit", opened)))
