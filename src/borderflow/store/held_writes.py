"""Inserts and row updates held back until the transaction next needs the database, then sent a table at a time.

A partner's delivery of a hundred pre-arrival notices creates a hundred crossings in one
transaction, and its hundred status messages update a hundred. Written as they came, that was
six statements a crossing, each a round trip to PostgreSQL; held, each table's rows go in one
executemany. Nothing can tell the difference: any other statement on the connection sends what
is held first (so every read, whoever makes it, sees those rows), and so does the commit; rolling
back to a savepoint takes back what was held since the savepoint began, as the database takes
back what was written. Updates go after the inserts (a row created and updated in one unit of
work is there to update), and two updates of one row are merged into one that leaves it as the
second would.

Savepoints themselves do not send what is held, or a delivery's savepoint per message would
send each message's rows on their own again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.sql.expression import ReleaseSavepointClause, RollbackToSavepointClause, SavepointClause

_KEY = "borderflow.held_writes"  # in the DBAPI connection's info: the unit of work's held writes, while it runs


class HeldWrites:
    """The rows of a unit of work's inserts not sent yet, in `order` (parents before children), and its
    updates of single rows by key."""

    def __init__(self, order: Sequence[Any], before: Mapping[Any, Callable[[Connection, list[dict]], None]] = {},
                 instead: Mapping[Any, Callable[[Connection, list[dict]], None]] = {}):
        self.order = tuple(order)
        self.before = dict(before)  # statement -> what must run just before its rows go (a lock)
        self.instead = dict(instead)  # statement -> what sends its rows in place of an executemany
        self.rows: dict[Any, list[dict]] = {statement: [] for statement in self.order}
        self.updates: dict[tuple[Any, Any], dict] = {}  # (statement, the row's key) -> the values to set
        self.held = 0
        self.locks: set[str] = set()  # advisory locks taken in this transaction, forgotten at a rollback
        self._at_savepoint: dict[str, tuple[dict[Any, list[dict]], dict[tuple[Any, Any], dict], int]] = {}
        self._info: dict | None = None

    def add(self, statement: Any, rows: dict | list[dict]) -> None:  # noqa: ANN401 - an Insert of `order`
        if isinstance(rows, dict):
            self.rows[statement].append(rows)
            self.held += 1
        else:
            self.rows[statement].extend(rows)
            self.held += len(rows)

    def update(self, statement: Any, key: str, values: dict) -> None:  # noqa: ANN401 - an Update by one row's key
        """`statement` (whose WHERE names the row by the parameter `key`) with `values`, held; a later update
        of the same row is merged in, so that the row ends as the last one set it."""
        slot = (statement, values[key])
        held = self.updates.get(slot)
        if held is None:
            self.updates[slot] = dict(values)
            self.held += 1
        else:
            held.update(values)

    def send(self, conn: Connection) -> None:
        """Every held row, one statement per table, parents first; then the updates, one statement for
        each statement and set of columns."""
        if not self.held:
            return
        rows, self.rows, self.held = self.rows, {statement: [] for statement in self.order}, 0
        updates, self.updates = self.updates, {}
        for statement in self.order:  # the hook sees nothing held while these run
            if rows[statement]:
                if statement in self.before:
                    self.before[statement](conn, rows[statement])
                if statement in self.instead:
                    self.instead[statement](conn, rows[statement])
                else:
                    conn.execute(statement, _one_or_many(rows[statement]))
        alike: dict[tuple[Any, frozenset], list[dict]] = {}  # an executemany sets the same columns in every row
        for (statement, _), values in updates.items():
            alike.setdefault((statement, frozenset(values)), []).append(values)
        for (statement, _), batch in alike.items():
            conn.execute(statement, _one_or_many(batch))

    def attach(self, conn: Connection) -> None:
        _hook(conn.engine)
        self._info = conn.info  # the pooled connection's, which outlives the Connection
        self._info[_KEY] = self

    def detach(self) -> None:
        """The connection goes on without these (on SQLite, to the next writer, who may have attached its own)."""
        if self._info is not None and self._info.get(_KEY) is self:
            del self._info[_KEY]
        self._info = None

    def _savepoint(self, clause: Any) -> None:  # noqa: ANN401
        if isinstance(clause, SavepointClause):
            self._at_savepoint[clause.ident] = ({s: list(r) for s, r in self.rows.items()},
                                                {slot: dict(v) for slot, v in self.updates.items()}, self.held)
        elif isinstance(clause, RollbackToSavepointClause):
            # What was held when it began is held again: sent since, it was rolled back with the rest.
            held = self._at_savepoint.get(clause.ident)
            if held is not None:
                self.rows = {s: list(r) for s, r in held[0].items()}
                self.updates = {slot: dict(v) for slot, v in held[1].items()}
                self.held = held[2]
            self.locks.clear()  # PostgreSQL releases the locks taken inside; which ones is not worth knowing
        else:
            self._at_savepoint.pop(clause.ident, None)


def _one_or_many(rows: list[dict]) -> dict | list[dict]:
    """One row as an execute, more as an executemany: psycopg sends an executemany through a pipeline, a
    little slower for a single row (a declaration's are single): 145-170 us an insert against 139-144."""
    return rows[0] if len(rows) == 1 else rows


_SAVEPOINTS = (SavepointClause, ReleaseSavepointClause, RollbackToSavepointClause)


def _hook(engine: Engine) -> None:
    if not event.contains(engine, "before_execute", _before_execute):
        event.listen(engine, "before_execute", _before_execute)


def _before_execute(conn: Connection, clause: Any, multiparams: Any, params: Any, options: Any) -> None:  # noqa: ANN401
    held: HeldWrites | None = conn.info.get(_KEY)
    if held is None:
        return
    if isinstance(clause, _SAVEPOINTS):
        held._savepoint(clause)
    elif held.held:
        held.send(conn)
