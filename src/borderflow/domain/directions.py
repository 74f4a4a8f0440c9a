"""Both direction vocabularies in one place.

A crossing's `direction` is seen from the country (export leaves it, import enters
it); a lane's, a yard's and a slot's from the gate (outbound, inbound).
"""

from __future__ import annotations

from typing import Final

CROSSING_DIRECTIONS: Final = ("export", "import")
LANE_DIRECTIONS: Final = ("inbound", "outbound")


def lane_direction_for(direction: str) -> str:
    """The lane direction a crossing of `direction` uses at this side's gate."""
    return "outbound" if direction == "export" else "inbound"
