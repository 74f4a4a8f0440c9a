"""Group commit for SQLite: writers that queue behind each other share one transaction.

SQLite has one writer at a time, so writers already take turns on a lock in the process
(its own busy-wait makes unlucky requests sleep for whole seconds). Each turn used to be a
whole transaction: BEGIN IMMEDIATE, the work, COMMIT. Now a turn is a SAVEPOINT inside a
transaction that the next writer in the queue continues; the last writer of a group (nobody
else waiting, the group full, or open for longer than MAX_OPEN) commits it for everyone.

What each request sees is unchanged: its work is all-or-nothing (its savepoint is released
or rolled back alone), and it is answered only after the COMMIT that made it durable. If that
COMMIT fails, every member of the group gets the error and none was acknowledged.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import NestedTransaction, RootTransaction

MAX_MEMBERS = 16
MAX_OPEN = 0.015  # seconds a group stays open for more writers: bounds what it adds to latency


@dataclass
class Group:
    opened: float = field(default_factory=time.monotonic)
    members: int = 0  # writers whose work this group's COMMIT carries
    done: threading.Event = field(default_factory=threading.Event)
    error: BaseException | None = None


class Writers:
    """The writers of one SQLite engine."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.turn = threading.Lock()
        self._count = threading.Lock()
        self.waiting = 0
        self.conn: Connection | None = None
        self.tx: RootTransaction | None = None
        self.group: Group | None = None

    def enter(self) -> tuple[Connection, Group, NestedTransaction]:
        """Wait for this writer's turn; its work then runs in a savepoint of the group's transaction."""
        with self._count:
            self.waiting += 1
        self.turn.acquire()
        with self._count:
            self.waiting -= 1
        try:
            if self.conn is None:
                conn = self.engine.connect().execution_options(write=True)
                try:
                    self.tx = conn.begin()
                except BaseException:
                    conn.close()
                    raise
                self.conn, self.group = conn, Group()
            return self.conn, self.group, self.conn.begin_nested()
        except BaseException as exc:
            self._finish(self.group, exc) if self.group is not None else self.turn.release()
            raise

    def leave(self, group: Group, *, committed: bool, broken: BaseException | None = None) -> None:
        """End of a turn whose savepoint was released (`committed`) or rolled back. Hand the open
        transaction to the next writer, or commit it; a committed writer returns once it is durable."""
        if committed:
            group.members += 1
        with self._count:
            others = self.waiting
        if broken is None and others and group.members < MAX_MEMBERS \
                and time.monotonic() - group.opened < MAX_OPEN:
            self.turn.release()
        else:
            self._finish(group, broken)
        if committed:
            group.done.wait()
            if group.error is not None:
                raise group.error

    def _finish(self, group: Group, broken: BaseException | None) -> None:
        conn, tx = self.conn, self.tx
        self.conn = self.tx = self.group = None
        try:
            if broken is not None:
                group.error = broken
                tx.rollback()
            elif group.members:
                tx.commit()
            else:
                tx.rollback()
        except BaseException as exc:  # noqa: BLE001 - every member must hear of it, not only this thread
            group.error = group.error or exc
            try:
                if tx.is_active:
                    tx.rollback()
                if conn.connection.dbapi_connection.in_transaction:  # the failed COMMIT left it open
                    conn.exec_driver_sql("ROLLBACK")
            except BaseException:  # noqa: BLE001 - the connection is not to be trusted again
                conn.invalidate()
        finally:
            try:
                conn.close()
            finally:
                self.turn.release()
                group.done.set()


_WRITERS: dict[int, Writers] = {}
_REGISTRY = threading.Lock()


def writers_of(engine: Engine) -> Writers | None:
    """The engine's writer queue; None where the database has concurrent writers (PostgreSQL)."""
    if engine.dialect.name != "sqlite":
        return None
    found = _WRITERS.get(id(engine))
    if found is None or found.engine is not engine:
        with _REGISTRY:
            found = _WRITERS.get(id(engine))
            if found is None or found.engine is not engine:
                found = _WRITERS[id(engine)] = Writers(engine)
    return found
