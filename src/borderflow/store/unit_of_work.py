"""One transaction per use case: repositories share its connection, audit entries are
appended last (one insert, no shared row), and nothing is visible until commit.

On SQLite a writer's unit of work is a savepoint in a transaction that writers queued behind
each other share (store/group_commit.py): each is still all-or-nothing and answered only once
durable, but a burst of requests pays for one COMMIT.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, insert, literal, select, text

from borderflow.store import audit
from borderflow.store import tables as t
from borderflow.store.group_commit import writers_of
from borderflow.store.gate_events import GateEventRepository
from borderflow.store.held_writes import HeldWrites
from borderflow.store.repositories import HELD, CrossingRepository, held_instead


# A transaction-scoped advisory lock per outbox stream (the first key keeps it apart from any other
# advisory lock); a hash collision only makes two streams wait for each other, never share a number.
OUTBOX_LOCK_SPACE = 0x0B0F
# Every stream a batch of outbox rows writes to, locked in one statement and in one order (no two
# transactions then wait on each other's streams).
_STREAM_LOCKS = text(f"SELECT pg_advisory_xact_lock({OUTBOX_LOCK_SPACE}, hashtext(s)) "
                     "FROM unnest(CAST(:streams AS text[])) AS s ORDER BY s")
_O = t.outbox.c
# One statement: the row takes the stream's next sequence number as it is inserted.
_ENQUEUE = insert(t.outbox).from_select(
    ["message_id", "type", "recipient", "stream", "seq", "payload", "created_at", "attempts", "next_attempt_at"],
    select(bindparam("message_id", type_=_O.message_id.type), bindparam("type", type_=_O.type.type),
           bindparam("recipient", type_=_O.recipient.type), bindparam("stream", type_=_O.stream.type),
           func.coalesce(func.max(_O.seq), 0) + 1, bindparam("payload", type_=_O.payload.type),
           bindparam("at", type_=_O.created_at.type), literal(0), bindparam("at_", type_=_O.next_attempt_at.type))
    .where(_O.recipient == bindparam("recipient"), _O.stream == bindparam("stream")))


class UnitOfWork:
    def __init__(self, engine: Engine, *, write: bool = True,
                 before_commit: Callable[[UnitOfWork], None] | None = None):
        self.engine = engine
        self.write = write
        self._before_commit = before_commit
        self.conn: Connection
        self._audit: list[dict[str, Any]] = []
        self._after_commit: list = []
        self._writers = writers_of(engine) if write else None
        self._group = None
        self.memo: dict[str, Any] = {}  # what a read-only transaction may compute once (services/capacity)

    def __enter__(self) -> UnitOfWork:
        if self._writers is not None:
            self.conn, self._group, self._tx = self._writers.enter()
        else:
            self.conn = self.engine.connect().execution_options(write=self.write)
            self._tx = self.conn.begin()
        self.held = HeldWrites((*HELD, _ENQUEUE), before={_ENQUEUE: self._lock_streams},
                               instead=held_instead(self.conn.dialect.name)) if self.write else None
        if self.held is not None:
            self.held.attach(self.conn)
        self.crossings = CrossingRepository(self.conn, self.held)
        self.gate_events = GateEventRepository(self.conn)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        if self.held is not None:
            self.held.detach()  # what is still held was not committed: it goes with the rest
        if self._group is not None:
            self._leave(committed=False)
            return
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()

    def _leave(self, *, committed: bool) -> None:
        """End this writer's turn in its group: its savepoint is released (committed) or rolled back."""
        group, self._group = self._group, None
        broken = None
        if not committed and self._tx.is_active:
            try:
                self._tx.rollback()
            except BaseException as exc:  # noqa: BLE001 - the shared transaction is unusable: end it
                broken = exc
        self._writers.leave(group, committed=committed, broken=broken)

    def log_action(self, *, at: datetime, actor: str, action: str, subject: str, data: dict | None = None) -> None:
        """Every write says what it did here; the entries join the audit log at commit."""
        self._audit.append(dict(at=at, actor=actor, action=action, subject=subject, data=data or {}))

    def after_commit(self, fn) -> None:  # noqa: ANN001
        """Work (notifications, waking a dispatcher) that must not run unless the change is durable."""
        self._after_commit.append(fn)

    def commit(self) -> None:
        if self.held is not None:
            self.held.send(self.conn)  # before the reactions, whatever statements they make
        if self._before_commit is not None:
            self._before_commit(self)  # the reactions to what the use case recorded, in this transaction
        self.crossings.write_counts()  # the declarants' rows last: their locks last only for the COMMIT
        audit.append_many(self.conn, self._audit)
        self._audit.clear()
        if self.held is not None:
            self.held.send(self.conn)  # the reactions' outbox rows, when no audit entry sent them
            self.held.detach()
        self._tx.commit()
        if self._group is not None:
            self._leave(committed=True)  # returns once the group's COMMIT made it durable
        callbacks, self._after_commit = self._after_commit, []
        for fn in callbacks:
            fn()

    def rollback(self) -> None:
        if self.held is not None:
            self.held.detach()
        self._audit.clear()
        self.crossings.counts.clear()
        self._after_commit.clear()
        self._tx.rollback()

    # --- small tables that need no repository of their own -------------------

    def enqueue(self, *, message_id: str, type: str, recipient: str, stream: str, payload: dict,
                at: datetime) -> None:
        """Outbox row in the same transaction as the change that caused it.

        The stream's next sequence number is taken in the insert itself, under a lock on the stream
        held until commit: parallel writers to one stream (incident reports, hazard alerts, capacity notices) queue
        behind each other instead of taking the same number. SQLite has one writer at a time already. The
        insert is held (store/held_writes): a delivery's reactions enqueue a message per crossing, each on
        the crossing's own stream, and these then go in one statement for the locks and one executemany
        (on PostgreSQL, one pipeline) for the rows.
        """
        self.held.add(_ENQUEUE, {"message_id": message_id, "type": type, "recipient": recipient,
                                 "stream": stream, "payload": payload, "at": at, "at_": at})

    def _lock_streams(self, conn: Connection, rows: list[dict]) -> None:
        """The streams of outbox rows about to be inserted, locked unless this transaction holds them."""
        if conn.dialect.name != "postgresql":
            return
        locks = self.held.locks
        wanted = sorted({f"{row['recipient']}\x1f{row['stream']}" for row in rows} - locks)
        if wanted:
            conn.execute(_STREAM_LOCKS, {"streams": wanted})
            locks.update(wanted)

    def record_inspection(self, **values: Any) -> None:
        self.conn.execute(insert(t.inspections).values(**values))

    def inspections(self, crossing_id: str) -> list[dict]:
        rows = self.conn.execute(select(t.inspections).where(t.inspections.c.crossing_id == crossing_id)
                                 .order_by(t.inspections.c.id))
        return [dict(kind=r.kind, result=r.result, notes=r.notes, officer=r.officer, role=r.role, at=r.at)
                for r in rows]
