"""One transaction per use case: repositories share its connection, audit entries are
appended last (the audit head is the one hot row), and nothing is visible until commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, text

from borderflow.store import audit
from borderflow.store import tables as t
from borderflow.store.gate_events import GateEventRepository
from borderflow.store.repositories import CrossingRepository


_SQLITE_WRITERS: dict[int, threading.Lock] = {}
# A transaction-scoped advisory lock per outbox stream (the first key keeps it apart from any other
# advisory lock); a hash collision only makes two streams wait for each other, never share a number.
OUTBOX_LOCK_SPACE = 0x0B0F
_STREAM_LOCK = text(f"SELECT pg_advisory_xact_lock({OUTBOX_LOCK_SPACE}, hashtext(:stream))")


def _writer_lock(engine: Engine) -> threading.Lock | None:
    """SQLite has one writer at a time; queueing writers on a lock in the process is fair and
    quick, where SQLite's own busy-wait makes unlucky requests sleep for whole seconds."""
    if engine.dialect.name != "sqlite":
        return None
    return _SQLITE_WRITERS.setdefault(id(engine), threading.Lock())


class UnitOfWork:
    def __init__(self, engine: Engine, *, write: bool = True,
                 before_commit: Callable[[UnitOfWork], None] | None = None):
        self.engine = engine
        self.write = write
        self._before_commit = before_commit
        self.conn: Connection
        self._audit: list[dict[str, Any]] = []
        self._after_commit: list = []
        self._lock = _writer_lock(engine) if write else None
        self._held = False

    def __enter__(self) -> UnitOfWork:
        if self._lock is not None:
            self._lock.acquire()
            self._held = True
        try:
            self.conn = self.engine.connect().execution_options(write=self.write)
        except BaseException:
            self._release()
            raise
        self._tx = self.conn.begin()
        self.crossings = CrossingRepository(self.conn)
        self.gate_events = GateEventRepository(self.conn)
        return self

    def __exit__(self, exc_type, exc, tb) -> None:  # noqa: ANN001
        try:
            if self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()
            self._release()

    def _release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()

    def log_action(self, *, at: datetime, actor: str, action: str, subject: str, data: dict | None = None) -> None:
        """Every write says what it did here; the entries join the audit chain at commit."""
        self._audit.append(dict(at=at, actor=actor, action=action, subject=subject, data=data or {}))

    def after_commit(self, fn) -> None:  # noqa: ANN001
        """Work (notifications, waking a dispatcher) that must not run unless the change is durable."""
        self._after_commit.append(fn)

    def commit(self) -> None:
        if self._before_commit is not None:
            self._before_commit(self)  # the reactions to what the use case recorded, in this transaction
        for entry in self._audit:
            audit.append(self.conn, **entry)
        self._audit.clear()
        self._tx.commit()
        callbacks, self._after_commit = self._after_commit, []
        for fn in callbacks:
            fn()

    def rollback(self) -> None:
        self._audit.clear()
        self._after_commit.clear()
        self._tx.rollback()

    # --- small tables that need no repository of their own -------------------

    def enqueue(self, *, message_id: str, type: str, recipient: str, stream: str, payload: dict,
                at: datetime) -> None:
        """Outbox row in the same transaction as the change that caused it.

        The stream's next sequence number is read under a lock on the stream, held until commit:
        parallel writers to one stream (incident reports, hazard alerts, capacity notices) queue
        behind each other instead of taking the same number. SQLite has one writer at a time already.
        """
        o = t.outbox.c
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(_STREAM_LOCK, {"stream": f"{recipient}\x1f{stream}"})
        last = self.conn.execute(select(o.seq).where(o.recipient == recipient, o.stream == stream)
                                 .order_by(o.seq.desc()).limit(1)).scalar()
        self.conn.execute(insert(t.outbox).values(
            message_id=message_id, type=type, recipient=recipient, stream=stream, seq=(last or 0) + 1,
            payload=payload, created_at=at, attempts=0, next_attempt_at=at))

    def record_inspection(self, **values: Any) -> None:
        self.conn.execute(insert(t.inspections).values(**values))

    def inspections(self, crossing_id: str) -> list[dict]:
        rows = self.conn.execute(select(t.inspections).where(t.inspections.c.crossing_id == crossing_id)
                                 .order_by(t.inspections.c.id))
        return [dict(kind=r.kind, result=r.result, notes=r.notes, officer=r.officer, role=r.role, at=r.at)
                for r in rows]
