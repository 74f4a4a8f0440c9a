"""The audit log is tamper-evident and scales: writers only insert, the sequencer numbers entries into a
Merkle tree under signed checkpoints, and any edit, removal or re-signed rewrite is found and named."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, select, text, update

from borderflow.bootstrap import build_context
from borderflow.domain import merkle
from borderflow.domain.clock import FixedClock
from borderflow.exchange import keys
from borderflow.exchange.envelope import SigningKey
from borderflow.services import audit_sequencer, audit_verify
from borderflow.settings import load_settings
from borderflow.store import audit
from borderflow.store import tables as t
from tests.support.nodes import TEST_RULES, TEST_VN_NODE

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


@pytest.fixture
def ctx(engine, tmp_path):
    settings = load_settings(data_dir=tmp_path, db_url=engine.url.render_as_string(hide_password=False),
                             node=str(TEST_VN_NODE), rules=str(TEST_RULES), env="test")
    context = build_context(settings, clock=FixedClock(T0 + timedelta(hours=1)), upgrade=False)
    context.engine.dispose()
    context.engine = engine
    keys.generate(tmp_path, context.node.id, T0)
    return context


def write_entries(engine, n: int = 5, first: int = 0) -> None:
    for i in range(first, first + n):
        with engine.connect().execution_options(write=True) as conn, conn.begin():
            audit.append(conn, at=T0 + timedelta(minutes=i), actor="customs:An", action="crossing.hold",
                         subject=f"c-{i}", data={"reason": f"check {i}", "n": i})


def codes(report) -> list[tuple[str, int | None]]:
    return [(f.code, f.at) for f in report.findings]


def test_an_untouched_log_verifies_under_a_signed_checkpoint(ctx, engine):
    write_entries(engine)
    assert audit_sequencer.sequence_once(ctx) == 5
    report = audit_verify.verify(ctx)
    assert report.ok, report.findings
    assert (report.entries, report.unsequenced, report.checkpoints) == (5, 0, 1)
    assert report.latest["tree_size"] == 5 and report.latest["node"] == ctx.node.id


def test_entries_wait_unnumbered_until_the_sequencer_runs_and_nothing_new_signs_nothing(ctx, engine):
    write_entries(engine, 3)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).where(t.audit_log.c.seq.is_(None))).scalar() == 3
    audit_sequencer.sequence_once(ctx)
    assert audit_sequencer.sequence_once(ctx) == 0
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.audit_checkpoints)).scalar() == 1


def test_a_transaction_writes_all_its_entries_in_one_statement(ctx, engine):
    statements = []
    from sqlalchemy import event

    def count(conn, cursor, statement, *args):  # noqa: ANN001
        if "audit_log" in statement:
            statements.append(statement)
    event.listen(engine, "before_cursor_execute", count)
    try:
        with ctx.uow() as uow:
            for i in range(3):
                uow.log_action(at=T0, actor="supervisor:Binh", action="capacity.override", subject=str(i))
            uow.commit()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1 and statements[0].lstrip().upper().startswith("INSERT")


def test_proofs_from_the_stored_subtrees_match_the_tree_rebuilt_in_memory(ctx, engine):
    total = 0
    for batch in (1, 14, 2, 40, 200, 17, 3):  # batches that cross the cached 16- and 256-leaf subtrees
        write_entries(engine, batch, first=total)
        total += batch
        audit_sequencer.sequence_once(ctx)
        with engine.connect() as conn:
            rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)).all()
            memory = merkle.MemoryTree([merkle.leaf_hash(audit.leaf(r)) for r in rows])
            stored = audit.StoredTree(conn)
            assert stored.mth(0, total) == memory.root()
            assert audit.latest_checkpoint(conn).root_hash == memory.root().hex()
            for index in {0, total // 2, total - 1}:
                proof = merkle.inclusion_proof(index, total, stored.mth)
                assert merkle.verify_inclusion(memory.leaves[index], index, total, proof, memory.root())
    assert audit_verify.verify(ctx).ok


def test_an_edited_entry_is_named(ctx, engine):
    write_entries(engine)
    audit_sequencer.sequence_once(ctx)
    with engine.begin() as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 3).values(data={"reason": "nothing to see"}))
    report = audit_verify.verify(ctx)
    assert ("audit.entry_altered", 3) in codes(report) and report.first().at == 3


def test_an_edit_with_its_leaf_hash_recomputed_breaks_the_signed_root(ctx, engine):
    write_entries(engine)
    audit_sequencer.sequence_once(ctx)
    with engine.begin() as conn:
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 2).values(actor="customs:Someone"))
        row = conn.execute(select(t.audit_log).where(t.audit_log.c.seq == 2)).one()
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 2)
                     .values(leaf_hash=merkle.leaf_hash(audit.leaf(row)).hex()))
    report = audit_verify.verify(ctx)
    assert codes(report) == [("audit.root_mismatch", 5)]


def test_a_removed_middle_entry_is_named(ctx, engine):
    write_entries(engine)
    audit_sequencer.sequence_once(ctx)
    with engine.begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq == 2))
    report = audit_verify.verify(ctx)
    assert report.first().code == "audit.entry_missing" and report.first().at == 2


def test_a_deleted_tail_is_found_through_the_checkpoint(ctx, engine):
    write_entries(engine)
    audit_sequencer.sequence_once(ctx)
    with engine.begin() as conn:
        conn.execute(delete(t.audit_log).where(t.audit_log.c.seq >= 4))
    report = audit_verify.verify(ctx)
    assert ("audit.entries_removed", 4) in codes(report)
    assert "removed from the end" in report.first().detail


def test_a_log_rewritten_and_signed_again_with_another_key_is_refused(ctx, engine):
    write_entries(engine)
    audit_sequencer.sequence_once(ctx)
    forger = SigningKey(f"{ctx.node.id}-forged", Ed25519PrivateKey.generate())
    with engine.begin() as conn:  # change entry 1, recompute every hash and subtree, sign a fresh checkpoint
        conn.execute(update(t.audit_log).where(t.audit_log.c.seq == 1).values(data={"reason": "forged"}))
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq)).all()
        memory = merkle.MemoryTree([merkle.leaf_hash(audit.leaf(r)) for r in rows])
        for r, leaf in zip(rows, memory.leaves, strict=True):
            conn.execute(update(t.audit_log).where(t.audit_log.c.id == r.id).values(leaf_hash=leaf.hex()))
        conn.execute(delete(t.audit_nodes))
        conn.execute(delete(t.audit_checkpoints))
        audit.add_checkpoint(conn, forger.sign({"node": ctx.node.id, "tree_size": 5, "root_hash": memory.root().hex(),
                                                "issued_at": T0.isoformat()}))
    report = audit_verify.verify(ctx)
    assert codes(report) == [("audit.checkpoint_signature", 5)]
    assert "unknown key" in report.first().detail


def test_a_tampered_stored_subtree_is_found(ctx, engine):
    write_entries(engine, 20)
    audit_sequencer.sequence_once(ctx)
    with engine.begin() as conn:
        conn.execute(update(t.audit_nodes).values(hash="00" * 32))
    assert codes(audit_verify.verify(ctx)) == [("audit.subtree_altered", 0)]


def test_checkpoints_only_ever_extend_each_other(ctx, engine):
    write_entries(engine, 3)
    audit_sequencer.sequence_once(ctx)
    write_entries(engine, 4, first=3)
    audit_sequencer.sequence_once(ctx)
    assert audit_verify.verify(ctx).ok
    with engine.begin() as conn:  # the older checkpoint re-signed over another history of 3 entries
        other = merkle.MemoryTree([merkle.leaf_hash(b"x"), merkle.leaf_hash(b"y"), merkle.leaf_hash(b"z")])
        conn.execute(delete(t.audit_checkpoints).where(t.audit_checkpoints.c.tree_size == 3))
        audit.add_checkpoint(conn, ctx.exchange.keys.current().sign({
            "node": ctx.node.id, "tree_size": 3, "root_hash": other.root().hex(), "issued_at": T0.isoformat()}))
    found = codes(audit_verify.verify(ctx))
    assert ("audit.root_mismatch", 3) in found and ("audit.inconsistent", 7) in found


def test_without_a_signing_key_entries_are_numbered_but_no_checkpoint_is_signed(ctx, engine, tmp_path):
    for pem in keys.key_dir(tmp_path).glob("*.pem"):
        pem.unlink()
    write_entries(engine, 2)
    assert audit_sequencer.sequence_once(ctx) == 2
    report = audit_verify.verify(ctx)
    assert report.ok and report.checkpoints == 0 and report.entries == 2


def pg_only(engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite has one writer at a time")


def test_concurrent_writers_never_wait_for_each_other(ctx, engine):
    pg_only(engine)
    first = engine.connect()
    tx = first.begin()
    audit.append(first, at=T0, actor="device:cam", action="gate.plate_read", subject="1", data={})
    try:
        with engine.connect() as second, second.begin():
            second.execute(text("SET LOCAL lock_timeout = '1s'"))  # a shared row would make this wait, and fail
            audit.append(second, at=T0, actor="device:cam", action="gate.plate_read", subject="2", data={})
    finally:
        tx.commit()
        first.close()
    assert audit_sequencer.sequence_once(ctx) == 2


def test_an_entry_that_commits_after_a_higher_id_is_numbered_not_skipped(ctx, engine):
    pg_only(engine)
    slow = engine.connect()
    tx = slow.begin()
    audit.append(slow, at=T0, actor="device:cam", action="gate.plate_read", subject="slow", data={})  # lower id
    write_entries(engine, 2)  # higher ids, committed first
    assert audit_sequencer.sequence_once(ctx) == 2
    tx.commit()
    slow.close()
    assert audit_sequencer.sequence_once(ctx) == 1
    with engine.connect() as conn:
        numbered = conn.execute(select(t.audit_log.c.subject, t.audit_log.c.seq).order_by(t.audit_log.c.seq)).all()
    assert [s for s, _ in numbered] == ["c-0", "c-1", "slow"] and [n for _, n in numbered] == [1, 2, 3]
    assert audit_verify.verify(ctx).ok


def test_a_second_sequencer_stands_by_while_one_holds_the_lock(ctx, engine):
    pg_only(engine)
    write_entries(engine, 3)
    with engine.connect() as other, other.begin():
        other.execute(text(f"SELECT pg_advisory_xact_lock({audit_sequencer.LOCK_SPACE}, 1)"))
        assert audit_sequencer.sequence_once(ctx) == 0
    assert audit_sequencer.sequence_once(ctx) == 3


def test_sequencers_racing_with_writers_give_every_entry_exactly_one_number(ctx, engine):
    pg_only(engine)
    stop = threading.Event()

    def sequence() -> None:
        while not stop.is_set():
            audit_sequencer.sequence_once(ctx)

    racers = [threading.Thread(target=sequence) for _ in range(2)]
    for racer in racers:
        racer.start()
    try:
        write_entries(engine, 60)
    finally:
        stop.set()
        for racer in racers:
            racer.join()
    audit_sequencer.sequence_once(ctx)
    with engine.connect() as conn:
        numbers = sorted(conn.execute(select(t.audit_log.c.seq)).scalars())
    assert numbers == list(range(1, 61))
    assert audit_verify.verify(ctx).ok
