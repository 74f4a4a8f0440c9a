"""Barrier commands leave the request thread: a decision is answered as soon as it commits,
and a slow or dead barrier never delays the camera's answer. Two threads per node suffice
(a gate has a handful of lanes); a command still queued when the process dies stays
`pending` and is flagged to the gate operator when its confirmation time has passed."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor

log = logging.getLogger("borderflow.devices.barrier")
_LOCK = threading.Lock()


class BarrierSender:
    def __init__(self, ctx) -> None:  # noqa: ANN001
        self.ctx = ctx
        self.pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="barrier")

    def submit(self, command_id: int) -> Future:
        from borderflow.devices.barrier.commands import send

        def run() -> None:
            try:
                send(self.ctx, command_id)
            except Exception:  # noqa: BLE001 - logged; the command stays unconfirmed and is flagged
                log.exception("could not deliver barrier command %s", command_id)
        return self.pool.submit(run)


def sender_for(ctx) -> BarrierSender:  # noqa: ANN001
    with _LOCK:
        if ctx.barrier_sender is None:
            ctx.barrier_sender = BarrierSender(ctx)
        return ctx.barrier_sender
