"""The audit trail is tamper-evident: any edit, removal or reordering is found and named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update

from borderflow.api.routes.meta import verify_chain
from borderflow.store import audit
from borderflow.store import tables as t

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def write_entries(engine, n: int = 5) -> None:
    for i in range(n):
        with engine.connect().execution_options(write=True) as conn, conn.begin():
            audit.append(conn, at=T0 + timedelta(minutes=i), actor="customs:An", action="crossing.hold",
                         subject=f"c-{i}", data={"reason": f"check {i}", "n": i})


def test_an_untouched_chain_verifies(engine):
    write_entries(engine)
    result = verify_chain(engine)
    assert result.ok and result.entries == 5


def test_an_edited_entry_is_named(engine):
    write_entries(engine)
    with engine.begin() as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 3).values(data={"reason": "nothing to see"}))
    result = verify_chain(engine)
    assert not result.ok and result.broken_at == 3 and "altered" in result.problem


def test_a_removed_middle_entry_is_named(engine):
    write_entries(engine)
    with engine.begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == 2))
    result = verify_chain(engine)
    assert not result.ok and result.broken_at == 2 and "missing" in result.problem


def test_a_truncated_tail_is_found_through_the_head(engine):
    write_entries(engine)
    with engine.begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == 5))
    result = verify_chain(engine)
    assert not result.ok and "removed from the end" in result.problem


def test_a_rewritten_chain_with_recomputed_hashes_still_breaks_at_the_head(engine):
    write_entries(engine, 3)
    with engine.begin() as conn:
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)).all()
        prev = audit.GENESIS
        for row in rows:  # a forger recomputes every hash after changing entry 1 ...
            data = {"reason": "forged"} if row.seq == 1 else row.data
            digest = audit.entry_hash(prev, row.seq, row.at, row.actor, row.action, row.subject, data)
            conn.execute(update(t.audit_log).where(t.audit_log.c.seq == row.seq)
                         .values(data=data, prev_hash=prev, hash=digest))
            prev = digest
    result = verify_chain(engine)  # ... but the head still holds the true last hash
    assert not result.ok and result.broken_at == 3
