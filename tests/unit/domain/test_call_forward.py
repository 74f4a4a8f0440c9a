"""The one call-forward decision the node and the twin share: budget, policy order, lanes, bays."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta

import pytest

from borderflow.domain.call_forward import decide_calls, keeps_booking, missed
from borderflow.domain.queueing import CallUpState, Waiting
from borderflow.domain.yard_rules import YardRules

NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
RULES = YardRules(call_pattern=("perishable", "trusted", "ordinary", "ordinary"))


def _truck(name: str, minutes_ago: float, priority: str, booked: int | None = None) -> Waiting:
    start = NOW.replace(minute=0) + timedelta(hours=booked) if booked is not None else None
    return Waiting(name, NOW - timedelta(minutes=minutes_ago), priority, start,
                   start + timedelta(hours=1) if start else None)


YARD = [
    _truck("o1", 300, "ordinary"), _truck("o2", 240, "ordinary"), _truck("o3", 200, "ordinary"),
    _truck("p1", 100, "perishable"), _truck("p2", 90, "perishable"), _truck("t1", 80, "trusted"),
    _truck("o4", 30, "ordinary", booked=0),  # on time for its booking: first among the ordinary
]
RISK = {"o1": "green", "o2": "red", "o3": "blue", "p1": "yellow", "p2": "green", "t1": "yellow", "o4": "yellow"}


def test_golden_call_order_lanes_and_bays():
    decision = decide_calls(RULES, YARD, NOW, CallUpState(0), places_left=10, lanes=["OUT-2", "OUT-1"],
                            in_flight={"OUT-1": 0, "OUT-2": 1}, risk_lanes=RISK, free_bays=[3, 1])
    # Pattern perishable, trusted, ordinary, ordinary (booked on time first); budget 2 lanes × 2 − 1 = 3.
    assert decision.budget == 3
    assert [(c.crossing_id, c.lane, c.bay) for c in decision.calls] == [
        ("p1", "OUT-1", 1),  # yellow: the lowest free bay; the lane with fewest on their way
        ("t1", "OUT-1", 3),  # yellow: the next bay; OUT-1 and OUT-2 tie at 1 → by code
        ("o4", "OUT-2", None),  # yellow, but no bay is left: called all the same, checked at its lane
    ]
    assert decision.state == CallUpState(3)
    # The next step resumes the pattern where it stood: the second ordinary, then perishable.
    rest = [t for t in YARD if t.crossing_id not in ("p1", "t1", "o4")]
    after = decide_calls(RULES, rest, NOW, decision.state, places_left=10, lanes=["OUT-1", "OUT-2"],
                         in_flight={"OUT-1": 0, "OUT-2": 0}, risk_lanes=RISK, free_bays=[2])
    assert [(c.crossing_id, c.lane, c.bay) for c in after.calls] == [
        ("o1", "OUT-1", None), ("p2", "OUT-2", None), ("o2", "OUT-1", 2), ("o3", "OUT-2", None)]  # o2 is red


def test_bays_only_for_yellow_and_red():
    trucks = [_truck(f"c{i}", 60 - i, "ordinary") for i in range(4)]
    risk = dict(zip([t.crossing_id for t in trucks], ["green", "blue", "yellow", "red"], strict=True))
    decision = decide_calls(dataclasses.replace(RULES, queue_policy="fifo"), trucks, NOW, CallUpState(),
                            places_left=9, lanes=["A", "B"], in_flight={}, risk_lanes=risk, free_bays=[1, 2, 3])
    assert {c.crossing_id: c.bay for c in decision.calls} == {"c0": None, "c1": None, "c2": 1, "c3": 2}


@pytest.mark.parametrize("queue_policy", ["fifo", "booked_first", "priority"])
def test_the_budget_is_never_exceeded(queue_policy):
    rng = random.Random(queue_policy)
    rules = dataclasses.replace(RULES, queue_policy=queue_policy)
    for _ in range(300):
        trucks = [_truck(f"c{i}", rng.random() * 900, rng.choice(["perishable", "trusted", "ordinary"]),
                         rng.choice([None, None, -1, 0, 1])) for i in range(rng.randrange(0, 30))]
        lanes = [f"L{i}" for i in range(rng.randrange(0, 4))]
        in_flight = {lane: rng.randrange(0, 4) for lane in lanes}
        places = rng.randrange(-3, 12)
        state = CallUpState(rng.randrange(4))
        decision = decide_calls(rules, trucks, NOW, state, places_left=places, lanes=lanes,
                                in_flight=in_flight, risk_lanes={}, free_bays=[])
        budget = max(0, min(places, len(lanes) * rules.called_per_lane - sum(in_flight.values())))
        assert decision.budget == budget == rules.call_budget(places_left=places, lanes=len(lanes),
                                                              in_flight=sum(in_flight.values()))
        assert len(decision.calls) == min(budget, len(trucks))
        # No lane gets more than its share on top of what it had: the fewest on their way first.
        after = dict(in_flight)
        for call in decision.calls:
            assert after[call.lane] == min(after.values())
            after[call.lane] += 1
        # Called in the policy's order: its first n.
        assert [c.truck for c in decision.calls] == rules.policy().order(trucks, NOW, state)[:len(decision.calls)]


def test_a_subset_holding_the_first_trucks_gives_the_same_decision():
    """What the twin passes: a function of the budget returning trucks that include the policy's first n."""
    full = decide_calls(RULES, YARD, NOW, CallUpState(1), places_left=3, lanes=["A"], in_flight={"A": 0},
                        risk_lanes=RISK, free_bays=[1])
    asked = []

    def candidates(n: int) -> list[Waiting]:
        asked.append(n)
        first = RULES.policy().order(YARD, NOW, CallUpState(1))[:n]
        return first + [t for t in YARD if t not in first][:1]

    subset = decide_calls(RULES, candidates, NOW, CallUpState(1), places_left=3, lanes=["A"], in_flight={"A": 0},
                          risk_lanes=RISK, free_bays=[1])
    assert asked == [2] and subset == full


def test_nothing_to_call_leaves_the_state_alone():
    decision = decide_calls(RULES, YARD, NOW, CallUpState(2), places_left=0, lanes=["A"], in_flight={},
                            risk_lanes=RISK, free_bays=[1])
    assert decision.calls == () and decision.state == CallUpState(2) and decision.budget == 0


def test_the_twenty_minute_rule_and_no_shows():
    deadline = NOW - timedelta(minutes=1)
    assert missed([("late", deadline), ("on time", NOW), ("early", NOW + timedelta(minutes=5))], NOW) == ["late"]
    until = NOW.replace(minute=0) + timedelta(hours=1)
    assert keeps_booking(RULES, until, until + RULES.late)
    assert not keeps_booking(RULES, until, until + RULES.late + timedelta(seconds=1))
