"""Open a gate at a known capacity around the node's now, whatever the time of day."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx


def open_around(supervisor: httpx.Client, gate: str, now: datetime, trucks_per_hour: int, *, hours_after: float,
                directions: tuple[str, ...] = ("outbound", "inbound"), reason: str = "test hours") -> list[int]:
    """Capacity overrides from an hour before `now` to `hours_after` after it; their ids."""
    ids = []
    for direction in directions:
        response = supervisor.post(f"/api/v1/gates/{gate}/capacity-overrides", json={
            "direction": direction, "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=hours_after)).isoformat(), "trucks_per_hour": trucks_per_hour,
            "reason": reason})
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids
