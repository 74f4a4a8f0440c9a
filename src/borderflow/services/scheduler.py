"""The node's clockwork: a call-forward step for every gate and direction every few seconds,
and at once when something frees a lane (a truck checked in, a truck through the barrier)."""

from __future__ import annotations

import logging
import threading

from borderflow.services import yard
from borderflow.services.context import NodeContext

log = logging.getLogger("borderflow.yard")


class CallForward(threading.Thread):
    def __init__(self, ctx: NodeContext):
        super().__init__(name="call-forward", daemon=True)
        self.ctx = ctx
        self.every = ctx.settings.call_forward_seconds if ctx.settings else 15.0
        self.wake = threading.Event()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                yard.call_forward_all(self.ctx)
            except Exception:  # noqa: BLE001 - the next round must come whatever this one hit
                log.exception("call-forward step failed")
            self.wake.wait(self.every)
            self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout=10)
