"""The node's background work, in whichever process runs it.

The partner exchange's dispatchers, the clockwork (capacity announcements, call-forward,
and the steps that ride with them) and the audit sequencer are one unit: `borderflow worker` runs it on its own, so
that `serve --workers N` can give HTTP N processes while the work runs once; `serve` runs it
in-process when asked, which is the default for the single-process embedded setup. Two
processes running it at once is safe: leases (store/leases.py, the exchange's per-partner
lease) let one of them work while the other stands by.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from borderflow.services.context import NodeContext

log = logging.getLogger("borderflow.worker")


class Every(threading.Thread):
    """One step on its own real-time cadence: the audit sequencer's lag must not wait for a
    call-forward round (BORDERFLOW_AUDIT_SEQUENCE_SECONDS, 2 s)."""

    def __init__(self, ctx: NodeContext, step: Callable[[NodeContext], object], seconds: float):
        super().__init__(name=step.__name__, daemon=True)
        self.ctx, self.step, self.seconds = ctx, step, seconds
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(self.seconds):
            try:
                self.step(self.ctx)
            except Exception:  # noqa: BLE001 - the next round must come whatever this one hit
                log.exception("%s failed", self.step.__name__)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=10)


class Background:
    def __init__(self, ctx: NodeContext, *, exchange: bool = True, clockwork: bool = True):
        from borderflow.exchange.dispatcher import Exchange
        from borderflow.services import audit_sequencer
        from borderflow.services.scheduler import CallForward
        self.exchange = Exchange(ctx) if exchange and ctx.exchange and ctx.exchange.partners else None
        self.clockwork = CallForward(ctx) if clockwork else None
        seconds = ctx.settings.audit_sequence_seconds if ctx.settings else 2.0
        self.sequencer = Every(ctx, audit_sequencer.sequence_once, seconds) if clockwork else None

    def start(self) -> None:
        for part in (self.exchange, self.clockwork, self.sequencer):
            if part:
                part.start()

    def alive(self) -> bool:
        return self.clockwork is None or self.clockwork.is_alive()

    def stop(self) -> None:
        for part in (self.sequencer, self.clockwork, self.exchange):
            if part:
                part.stop()
