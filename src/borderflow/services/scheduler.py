"""The node's clockwork, every few seconds: announce our acceptance capacity to the partner when
it is due (services/announce), then a call-forward step for every gate and direction.

The cadence (BORDERFLOW_CALL_FORWARD_SECONDS) is node time: on an accelerated clock the
loop waits that long divided by the clock's speed in real time (15 s at 60× = 0.25 s), so
the yard calls as often per node hour whatever the speed. Rounds start on the cadence's grid
of node time (every 15 s: at :00, :15, :30 and :45 of each minute), the steps the twin makes
too (sim/model.py), so how long a round took never shifts the next one.

However many processes run the loop (`borderflow worker`, or `serve` in-process), one at a
time does the work: each round starts by holding the `clockwork` lease (store/leases.py);
a process that cannot stands by and looks again a third of a lease later.
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import timedelta

from borderflow.domain.clock import real_seconds, speed_of
from borderflow.services import announce, statistics_exchange, yard
from borderflow.services.context import NodeContext
from borderflow.store import leases
from borderflow.store.unit_of_work import UnitOfWork

LEASE = "clockwork"
LEASE_PERIOD = timedelta(seconds=15)  # real time; see store/leases.py

log = logging.getLogger("borderflow.yard")


class CallForward(threading.Thread):
    def __init__(self, ctx: NodeContext):
        super().__init__(name="call-forward", daemon=True)
        self.ctx = ctx
        self.every = ctx.settings.call_forward_seconds if ctx.settings else 15.0  # node seconds
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.owner = leases.owner_name()
        self.lease = LEASE_PERIOD * speed_of(ctx.clock)  # in node time
        self.held_until = None

    @property
    def real_wait(self) -> float:
        """Real seconds between rounds."""
        return real_seconds(self.ctx.clock, self.every)

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                holding = self._hold_lease()
            except Exception:  # noqa: BLE001 - a database blip: stand by and look again
                log.exception("cannot take the %s lease", LEASE)
                holding = False
            if not holding:
                self.stopping.wait(real_seconds(self.ctx.clock, self.lease.total_seconds() / 3))
                continue
            for step in (announce.announce_all, yard.call_forward_all, statistics_exchange.send_due):
                try:
                    step(self.ctx)
                except Exception:  # noqa: BLE001 - the next round must come whatever this one hit
                    log.exception("%s failed", step.__name__)
            self._until_next_round()

    def _until_next_round(self) -> None:
        """Wait for the next point of the cadence's grid in node time (or for `stop`)."""
        due = (math.floor(self.ctx.clock.now().timestamp() / self.every) + 1) * self.every
        while not self.stopping.is_set() and (left := due - self.ctx.clock.now().timestamp()) > 0:
            self.wake.wait(real_seconds(self.ctx.clock, left) + 1e-4)
        self.wake.clear()

    def _hold_lease(self) -> bool:
        """Renewed once a third of it has run, not on every round."""
        now = self.ctx.clock.now()
        if self.held_until is not None and now < self.held_until - self.lease * 2 / 3:
            return True
        with UnitOfWork(self.ctx.engine) as uow:  # in the writers' queue: SQLite's lock is shared
            taken = leases.hold(uow.conn, LEASE, self.owner, now=now, period=self.lease)
            uow.commit()
        self.held_until = now + self.lease if taken else None
        return taken

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.join(timeout=10)
        if self.held_until is not None:
            try:
                with UnitOfWork(self.ctx.engine) as uow:
                    leases.release(uow.conn, LEASE, self.owner)
                    uow.commit()
            except Exception:  # noqa: BLE001 - stopping anyway; the lease runs out by itself
                log.warning("could not release the %s lease", LEASE)
