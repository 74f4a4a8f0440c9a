"""The audit log's rows: writers append, the sequencer numbers and hashes, proofs read cached subtrees.

Writers only INSERT (one statement per transaction, however many entries it has) rows with no
sequence number: no row is shared between writers, so parallel transactions never wait on each
other here. The sequencer (services/audit_sequencer) later gives each row its place in the
Merkle tree (`seq`), its leaf hash, and signs checkpoints over the tree.

Why no entry is ever skipped on PostgreSQL: ids come from a sequence, so a transaction that took
id 41 can commit after the one that took id 42. The sequencer never keeps an id watermark
("everything above the last id I saw"); each round it takes *every* committed row that still has
no `seq` (a partial index finds them), so a late committer is numbered in the next round, after
entries with higher ids. `seq` is the order in which the sequencer saw entries committed, not id
order. Only one sequencer numbers at a time (an advisory lock on PostgreSQL, the single writer on
SQLite) and `seq` is unique, so no number is ever given twice.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from borderflow.domain import canonical as jcs, merkle
from borderflow.store.tables import audit_checkpoints, audit_log, audit_nodes

CACHED_EVERY = 4  # complete subtrees of 16, 256, 4096, … leaves are stored; smaller ones are hashed on demand
_INSERT = insert(audit_log)
_NUMBER = (update(audit_log).where(audit_log.c.id == bindparam("row_id"))
           .values(seq=bindparam("seq"), leaf_hash=bindparam("leaf")))


def append(conn: Connection, *, at: datetime, actor: str, action: str, subject: str, data: dict) -> None:
    append_many(conn, [dict(at=at, actor=actor, action=action, subject=subject, data=data)])


def append_many(conn: Connection, entries: list[dict[str, Any]]) -> None:
    """One INSERT for all of a transaction's entries; nothing else is read or written."""
    if entries:
        conn.execute(_INSERT, [_row(**e) for e in entries] if len(entries) > 1 else _row(**entries[0]))


def _row(*, at: datetime, actor: str, action: str, subject: str, data: dict | None) -> dict[str, Any]:
    data = data or {}
    try:
        jcs.dumps(data)
    except jcs.CanonicalizationError:  # e.g. an integer beyond 2**53: kept as text so it can be hashed
        data = {"text": json.dumps(data, sort_keys=True, default=str)}
    return dict(at=aware(at), actor=actor, action=action, subject=subject, data=data)


def leaf(row: Any) -> bytes:  # noqa: ANN401 - a row of audit_log
    """The bytes a leaf hashes: the entry as RFC 8785 canonical JSON, so any auditor can rebuild it."""
    return jcs.dumps({"at": aware(row.at).isoformat(), "actor": row.actor, "action": row.action,
                          "subject": row.subject, "data": row.data})


def tree_size(conn: Connection) -> int:
    return conn.execute(select(func.max(audit_log.c.seq))).scalar() or 0


def unsequenced(conn: Connection, limit: int) -> list[Any]:
    return conn.execute(select(audit_log).where(audit_log.c.seq.is_(None)).order_by(audit_log.c.id)
                        .limit(limit)).all()


def number(conn: Connection, rows: list[Any], size: int) -> list[bytes]:
    """Give `rows` the places after `size`; their leaf hashes, in order."""
    hashes = [merkle.leaf_hash(leaf(row)) for row in rows]
    conn.execute(_NUMBER, [{"row_id": row.id, "seq": size + i + 1, "leaf": h.hex()}
                           for i, (row, h) in enumerate(zip(rows, hashes, strict=True))])
    return hashes


class StoredTree:
    """Subtree hashes from the database: leaves and stored complete subtrees, `known` ones from memory."""

    def __init__(self, conn: Connection, known: dict[tuple[int, int], bytes] | None = None):
        self.conn = conn
        self.known = known or {}

    def complete(self, level: int, index: int) -> bytes:
        if (level, index) in self.known:
            return self.known[level, index]
        if level and level % CACHED_EVERY == 0:
            stored = self.conn.execute(select(audit_nodes.c.hash).where(
                audit_nodes.c.level == level, audit_nodes.c.idx == index)).scalar()
            if stored is not None:
                return bytes.fromhex(stored)
            base = level - CACHED_EVERY
        else:
            base = level - level % CACHED_EVERY
        hashes = self._row(base, index << (level - base), 1 << (level - base))
        while len(hashes) > 1:
            hashes = [merkle.node_hash(hashes[i], hashes[i + 1]) for i in range(0, len(hashes), 2)]
        return hashes[0]

    def _row(self, level: int, first: int, width: int) -> list[bytes]:
        """The `width` subtree hashes of `level` from index `first` on, in one query."""
        found = {i: self.known[level, i] for i in range(first, first + width) if (level, i) in self.known}
        if len(found) < width:
            if level == 0:
                c = audit_log.c
                rows = self.conn.execute(select(c.seq - 1, c.leaf_hash).where(c.seq > first, c.seq <= first + width))
            else:
                n = audit_nodes.c
                rows = self.conn.execute(select(n.idx, n.hash).where(n.level == level, n.idx >= first,
                                                                     n.idx < first + width))
            found.update((i, bytes.fromhex(h)) for i, h in rows if i not in found)
        for i in range(first, first + width):
            if i not in found:
                if level == 0:
                    raise LookupError(f"the audit log has no entry {i + 1}: entries were removed")
                found[i] = self.complete(level, i)
        return [found[i] for i in range(first, first + width)]

    def mth(self, start: int, end: int) -> bytes:
        return merkle.range_hash(start, end, self.complete)

    def extend(self, old_size: int, new_size: int) -> None:
        """Store the complete subtrees the leaves old_size..new_size closed, lowest level first."""
        level = CACHED_EVERY
        while 1 << level <= new_size:
            rows = []
            for index in range(old_size >> level, new_size >> level):
                digest = self.complete(level, index)
                self.known[level, index] = digest
                rows.append({"level": level, "idx": index, "hash": digest.hex()})
            if rows:
                self.conn.execute(insert(audit_nodes), rows)
            level += CACHED_EVERY


def latest_checkpoint(conn: Connection) -> Any:  # noqa: ANN401 - a row or None
    c = audit_checkpoints.c
    return conn.execute(select(audit_checkpoints).order_by(c.tree_size.desc()).limit(1)).first()


def add_checkpoint(conn: Connection, document: dict[str, Any]) -> None:
    conn.execute(insert(audit_checkpoints).values(
        tree_size=document["tree_size"], root_hash=document["root_hash"],
        issued_at=datetime.fromisoformat(document["issued_at"]), document=document))


def entries(conn: Connection) -> Iterable[Any]:
    """Every numbered entry, in tree order (streamed)."""
    return conn.execution_options(yield_per=2000).execute(
        select(audit_log).where(audit_log.c.seq.is_not(None)).order_by(audit_log.c.seq))


def aware(at: datetime) -> datetime:
    return at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
