"""The crossing state machine: which action moves a crossing from which state to which.

One table, so that the API, the officer console and the simulator agree on what
is legal, and an illegal move is refused with the current state named.
"""

from __future__ import annotations

from typing import Final

DECLARED = "declared"  # declaration accepted and assessed; the truck is not at the gate yet
IN_TRANSIT = "in_transit"  # import only: the partner says the truck left its side
ARRIVED = "arrived"  # seen at the gate by a plate read; awaiting control
INSPECTING = "inspecting"  # a document or physical control is under way
HELD = "held"  # stopped, with a reason (weight, officer hold, failed inspection)
RELEASED = "released"  # cleared: the barrier opens on the next plate read
EXITED = "exited"  # through the barrier and out of this side's control zone
CANCELLED = "cancelled"  # withdrawn by the declarant before the truck arrived
REFUSED = "refused"  # refused by an officer

STATUSES: Final = (DECLARED, IN_TRANSIT, ARRIVED, INSPECTING, HELD, RELEASED, EXITED, CANCELLED, REFUSED)
TERMINAL: Final = frozenset({EXITED, CANCELLED, REFUSED})
# Crossings a plate read at the gate can belong to.
EXPECTED_AT_GATE: Final = frozenset({DECLARED, IN_TRANSIT, ARRIVED, INSPECTING, HELD, RELEASED})
# The declarant may still correct the declaration: not once released at the gate.
AMENDABLE: Final = frozenset({DECLARED, IN_TRANSIT, ARRIVED, INSPECTING, HELD})

# action -> {from status: to status}
TRANSITIONS: Final[dict[str, dict[str, str]]] = {
    "depart_partner": {DECLARED: IN_TRANSIT},
    "arrive": {DECLARED: ARRIVED, IN_TRANSIT: ARRIVED},
    "start_inspection": {ARRIVED: INSPECTING, HELD: INSPECTING, DECLARED: INSPECTING},
    "pass_inspection": {INSPECTING: ARRIVED},
    "fail_inspection": {INSPECTING: HELD},
    "hold": {DECLARED: HELD, IN_TRANSIT: HELD, ARRIVED: HELD, INSPECTING: HELD, RELEASED: HELD},
    "release": {DECLARED: RELEASED, IN_TRANSIT: RELEASED, ARRIVED: RELEASED, HELD: RELEASED},
    "exit": {RELEASED: EXITED},
    "cancel": {DECLARED: CANCELLED, IN_TRANSIT: CANCELLED},
    "refuse": {DECLARED: REFUSED, IN_TRANSIT: REFUSED, ARRIVED: REFUSED, INSPECTING: REFUSED, HELD: REFUSED},
}
ACTIONS: Final = tuple(TRANSITIONS)


def next_status(current: str, action: str) -> str | None:
    """The state `action` leads to from `current`, or None when it is not allowed."""
    return TRANSITIONS.get(action, {}).get(current)


def allowed_actions(current: str) -> tuple[str, ...]:
    return tuple(action for action, moves in TRANSITIONS.items() if current in moves)
