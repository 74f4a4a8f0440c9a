"""An HTTP relay board in front of the barrier's motor controller.

The node POSTs `{"command": "open", "command_id", "gate", "lane", "crossing_id"}` to the URL
registered for the barrier (`borderflow device add --vendor relay --url …`). A 2xx answer
with `{"state": "open"}` confirms at once; a 2xx answer without a state means the relay
reports its state later (`POST /api/v1/devices/heartbeat` with `{"state": …}`). Anything
else is a failure the gate operator sees.
"""

from __future__ import annotations

import httpx

from borderflow.devices.barrier.base import STATES, BarrierUnreachable, Command, Report

TIMEOUT_S = 2.0


class HttpRelay:
    def __init__(self, url: str, *, timeout_s: float = TIMEOUT_S):
        self.url, self.timeout_s = url, timeout_s

    def send(self, command: Command) -> Report:
        body = {"command": command.command, "command_id": command.id, "gate": command.gate, "lane": command.lane,
                "crossing_id": command.crossing_id}
        try:
            response = httpx.post(self.url, json=body, timeout=self.timeout_s)
        except httpx.HTTPError as exc:
            raise BarrierUnreachable(f"{type(exc).__name__}: {exc}") from None
        if not response.is_success:
            raise BarrierUnreachable(f"the relay answered HTTP {response.status_code}")
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = {}
        state = answer.get("state") if isinstance(answer, dict) else None
        return Report(state if state in STATES else None, f"HTTP {response.status_code}")
