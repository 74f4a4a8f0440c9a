"""Named leases: the node's background work runs in one process at a time, however many run.

A worker takes the lease for a piece of work (`clockwork`: capacity announcements and
call-forward; the audit sequencer's step rides with it) by a conditional UPDATE that
succeeds only when the lease is free, already its own, run out, or held by a process on
this machine that no longer exists (a node restarted after `kill -9` takes its dead
predecessor's lease back at once). The holder renews it as it works, so the row doubles
as the worker's heartbeat: `/readyz` reads it to tell whether any worker is alive.

The lease guards against a *process* that died or stalls, and processes live in real
time: it lasts `period` of real time, written and judged in node time (period × clock
speed), like the exchange's per-partner lease.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, false, insert, or_, select, update
from sqlalchemy.engine import Connection

from borderflow.store import tables as t


def owner_name() -> str:
    """Who holds a lease: this machine and process, and which holder within it."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def died_here(owner: str) -> bool:
    """Whether `owner` was a process on this machine that no longer runs."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname()[:32] or not pid.isdigit():
        return False  # another machine's worker, or an older owner format: wait for its lease to run out
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, someone else's
    return False


def hold(conn: Connection, name: str, owner: str, *, now: datetime, period: timedelta) -> bool:
    """Take or renew `name` for `owner` until now + period; False when a live holder has it."""
    c = t.worker_leases.c
    holder = conn.execute(select(c.owner).where(c.name == name)).scalar()
    dead = holder is not None and holder != owner and died_here(holder)
    taken = conn.execute(update(t.worker_leases).where(
        c.name == name,
        or_(c.owner.is_(None), c.owner == owner, (c.owner == holder) if dead else false(),
            and_(c.until.is_not(None), c.until < now)))
        .values(owner=owner, until=now + period, renewed_at=now)).rowcount
    if not taken and holder is None and conn.execute(select(c.name).where(c.name == name)).first() is None:
        conn.execute(insert(t.worker_leases).values(name=name, owner=owner, until=now + period, renewed_at=now))
        taken = 1
    return bool(taken)


def release(conn: Connection, name: str, owner: str) -> None:
    c = t.worker_leases.c
    conn.execute(update(t.worker_leases).where(c.name == name, c.owner == owner).values(owner=None, until=None))


def current(conn: Connection, name: str) -> tuple[str | None, datetime | None, datetime | None]:
    """(owner, until, renewed_at) of `name`, Nones when never taken."""
    c = t.worker_leases.c
    row = conn.execute(select(c.owner, c.until, c.renewed_at).where(c.name == name)).first()
    return (row.owner, row.until, row.renewed_at) if row else (None, None, None)
