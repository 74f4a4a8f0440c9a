"""The node's clockwork, every few seconds: announce our acceptance capacity to the partner when
it is due (services/announce), then a call-forward step for every gate and direction.

The cadence (BORDERFLOW_CALL_FORWARD_SECONDS) is node time: on an accelerated clock the
loop waits that long divided by the clock's speed in real time (15 s at 60× = 0.25 s), so
the yard calls as often per node hour whatever the speed.
"""

from __future__ import annotations

import logging
import threading

from borderflow.domain.clock import real_seconds
from borderflow.services import announce, yard
from borderflow.services.context import NodeContext

log = logging.getLogger("borderflow.yard")


class CallForward(threading.Thread):
    def __init__(self, ctx: NodeContext):
        super().__init__(name="call-forward", daemon=True)
        self.ctx = ctx
        self.every = ctx.settings.call_forward_seconds if ctx.settings else 15.0  # node seconds
        self.wake = threading.Event()
        self.stopping = threading.Event()

    @property
    def real_wait(self) -> float:
        """Real seconds between rounds."""
        return real_seconds(self.ctx.clock, self.every)

    def run(self) -> None:
        while not self.stopping.is_set():
            for step in (announce.announce_all, yard.call_forward_all):
                try:
                    step(self.ctx)
                except Exception:  # noqa: BLE001 - the next round must come whatever this one hit
                    log.exception("%s failed", step.__name__)
            self.wake.wait(self.real_wait)
            self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout=10)
