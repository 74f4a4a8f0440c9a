"""The node's background work, in whichever process runs it.

The partner exchange's dispatchers and the clockwork (capacity announcements, call-forward,
and the steps that ride with them) are one unit: `borderflow worker` runs it on its own, so
that `serve --workers N` can give HTTP N processes while the work runs once; `serve` runs it
in-process when asked, which is the default for the single-process embedded setup. Two
processes running it at once is safe: leases (store/leases.py, the exchange's per-partner
lease) let one of them work while the other stands by.
"""

from __future__ import annotations

from borderflow.services.context import NodeContext


class Background:
    def __init__(self, ctx: NodeContext, *, exchange: bool = True, clockwork: bool = True):
        from borderflow.exchange.dispatcher import Exchange
        from borderflow.services.scheduler import CallForward
        self.exchange = Exchange(ctx) if exchange and ctx.exchange and ctx.exchange.partners else None
        self.clockwork = CallForward(ctx) if clockwork else None

    def start(self) -> None:
        for part in (self.exchange, self.clockwork):
            if part:
                part.start()

    def alive(self) -> bool:
        return self.clockwork is None or self.clockwork.is_alive()

    def stop(self) -> None:
        for part in (self.clockwork, self.exchange):
            if part:
                part.stop()
