"""An append-only, hash-chained audit trail of every write.

Each entry's hash covers the previous hash and the entry's canonical JSON, so
changing, removing or reordering any row breaks the chain from there on;
`verify` walks the chain and names the first broken entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from borderflow.store.tables import audit_head, audit_log

GENESIS = "0" * 64


def entry_hash(prev_hash: str, seq: int, at: datetime, actor: str, action: str, subject: str, data: Any) -> str:
    body = json.dumps([seq, at.isoformat(), actor, action, subject, data], sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


def append(conn: Connection, *, at: datetime, actor: str, action: str, subject: str, data: dict) -> int:
    """Append one entry; the head row update is the lock that keeps the chain linear."""
    at = _aware(at)
    seq, prev = conn.execute(
        update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq + 1)
        .returning(audit_head.c.seq, audit_head.c.hash)).one()
    digest = entry_hash(prev, seq, at, actor, action, subject, data)
    conn.execute(audit_log.insert().values(seq=seq, at=at, actor=actor, action=action, subject=subject,
                                           data=data, prev_hash=prev, hash=digest))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=digest))
    return seq


def ensure_head(conn: Connection) -> None:
    if conn.execute(select(audit_head.c.id)).first() is None:
        conn.execute(audit_head.insert().values(id=1, seq=0, hash=GENESIS))


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    broken_at: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify(rows: Iterator[Any], head_hash: str | None = None, head_seq: int | None = None) -> VerifyResult:
    prev, expected_seq, count = GENESIS, 1, 0
    for row in rows:
        if row.seq != expected_seq:
            return VerifyResult(count, expected_seq, f"entry {expected_seq} is missing (next is {row.seq})")
        if row.prev_hash != prev:
            return VerifyResult(count, row.seq, f"entry {row.seq} does not link to entry {row.seq - 1}")
        digest = entry_hash(prev, row.seq, _aware(row.at), row.actor, row.action, row.subject, row.data)
        if digest != row.hash:
            return VerifyResult(count, row.seq, f"entry {row.seq} was altered (hash mismatch)")
        prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    if head_seq is not None and head_seq != count:
        return VerifyResult(count, count + 1, f"the chain ends at entry {count} but the head says {head_seq}: "
                                              "entries were removed from the end")
    if head_hash is not None and count and head_hash != prev:
        return VerifyResult(count, count, "the last entry does not match the chain head")
    return VerifyResult(count, None, None)


def _aware(at: datetime) -> datetime:
    return at.astimezone(UTC) if at.tzinfo is not None else at.replace(tzinfo=UTC)
