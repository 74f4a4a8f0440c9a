"""One call-forward decision: who the yard calls now, to which lane, with which inspection bay.

Pure, and the one place the rule lives: the live node's call-forward step
(`services/yard.call_forward`) and the simulator (`sim/model.py`) both hand it what
they know at that moment and carry out what it returns, so a policy that wins in
the twin is the policy the node runs.

What the caller has already done (both callers do it the same way): put called
trucks that missed their 20 minutes back in line (`missed`), released the bookings
of no-shows, and worked out the places left in this hour (the capacity calendar,
capped by the partner's announced acceptance, less the trucks already called in the
hour). The decision then:

1. takes the budget `YardRules.call_budget(places_left, lanes, in_flight)`: no more
   than the hour still has room for, and no more than `called_per_lane` trucks on
   their way to each lane;
2. lets the queue policy (`YardRules.policy()`, with the call-up state kept by the
   caller) pick that many trucks, in call order;
3. sends each to the goods lane with the fewest trucks on their way to it (ties by
   lane code), and gives each truck whose risk lane needs an inspection bay
   (`needs_bay`: yellow and red) the lowest free bay, if there is one; without a free
   bay the truck is called all the same and is checked at its lane.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from borderflow.domain.queueing import CallUpState, QueuePolicy, Waiting
from borderflow.domain.yard_rules import YardRules, needs_bay

# The waiting trucks, or a function of the budget that returns any subset of them holding the
# policy's first `budget` trucks (what the simulator passes, so it need not hand over the whole yard).
Candidates = Sequence[Waiting] | Callable[[int], Iterable[Waiting]]


class Call(NamedTuple):  # a named tuple, not a frozen dataclass: the node and the twin build one per call
    truck: Waiting
    lane: str
    bay: int | None  # None: no bay needed, or none was free

    @property
    def crossing_id(self) -> str:
        return self.truck.crossing_id


class CallDecision(NamedTuple):
    calls: tuple[Call, ...]
    state: CallUpState  # the call-up state after these calls: store it and hand it back next time
    budget: int  # how many trucks this step could call


def decide_calls(rules: YardRules, waiting: Candidates, now: datetime, state: CallUpState, *, places_left: int,
                 lanes: Sequence[str], in_flight: Mapping[str, int], risk_lanes: Mapping[str, str],
                 free_bays: Sequence[int], policy: QueuePolicy | None = None) -> CallDecision:
    """Who to call forward now, in call order, with lane and bay.

    `places_left`: trucks the capacity calendar still allows in this hour; `lanes`: the codes of
    the goods lanes of this direction; `in_flight`: called trucks not yet at a lane, by lane code;
    `risk_lanes`: crossing id → risk lane (green, blue, yellow, red) for the waiting trucks (one
    missing needs no bay); `free_bays`: the numbers of the gate's free inspection bays; `policy`:
    `rules.policy()` unless given (the caller may build it once).
    """
    budget = rules.call_budget(places_left=places_left, lanes=len(lanes), in_flight=sum(in_flight.values()))
    if budget <= 0:
        return CallDecision((), state, budget)
    trucks = waiting(budget) if callable(waiting) else waiting
    picked, after = (policy or rules.policy()).pick(list(trucks), now, budget, state)
    if not picked:
        return CallDecision((), after, budget)
    flights = dict.fromkeys(sorted(lanes), 0)  # ties go to the lowest lane code
    for code in flights:
        flights[code] = in_flight.get(code, 0)
    bays: list[int] | None = None  # the free bays, highest first (pop() gives the lowest), once one is needed
    calls = []
    for truck in picked:
        lane = min(flights, key=flights.__getitem__)  # the first of the fewest on their way
        flights[lane] += 1
        bay = None
        if free_bays and needs_bay(risk_lanes.get(truck.crossing_id, "")):
            if bays is None:
                bays = sorted(free_bays, reverse=True)
            bay = bays.pop() if bays else None
        calls.append(Call(truck, lane, bay))
    return CallDecision(tuple(calls), after, budget)


def missed(called: Iterable[tuple[str, datetime]], now: datetime) -> list[str]:
    """The 20-minute rule: of the called trucks (crossing id, call deadline) still not at a lane,
    those whose deadline has passed; they go back in line, queued from now."""
    return [crossing_id for crossing_id, deadline in called if deadline < now]


def keeps_booking(rules: YardRules, booked_until: datetime, checked_in_at: datetime) -> bool:
    """Whether a booking still holds when its truck checks in: the yard releases the booking of a
    truck that is not in the yard once its hour and the late tolerance have passed (a no-show)."""
    return checked_in_at <= booked_until + rules.late


__all__ = ["Call", "CallDecision", "Candidates", "decide_calls", "keeps_booking", "missed"]
