"""`borderflow backup` of a node under write load and `borderflow restore` into a fresh database, on both
databases: everything acknowledged before the backup began is in the copy, its audit trail verifies,
its outbox says what the original's said, and a node started on it carries on delivering."""

from __future__ import annotations

import json
import shutil
import sqlite3
import threading
import time
from contextlib import ExitStack

import httpx
import pytest
from sqlalchemy import select

from borderflow.services.backup import BackupError, backup, restore
from borderflow.store import migrate, tables as t
from borderflow.store.db import make_engine
from tests.support.databases import fresh_pg_database
from tests.e2e.test_exchange import eventually as wait_for
from tests.support.declarations import green_cargo
from tests.support.pair import prepare, start_all
from tests.support.processes import NodeProcess, cli

DECLARANT = "5300123456"


def load(url: str, key: str, acknowledged: list, errors: list, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=20) as client:
        while not stop.is_set():
            response = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI"))
            if response.status_code == 201:
                acknowledged.append((time.monotonic(), response.json()["id"]))
            else:
                errors.append(response.text)


def outbox(db_url: str) -> dict[str, tuple]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            o = t.outbox.c
            return {r.message_id: (r.stream, r.seq, r.type, r.state, r.receipt) for r in conn.execute(
                select(o.message_id, o.stream, o.seq, o.type, o.state, o.receipt))}
    finally:
        engine.dispose()



def eventually(probe, *, timeout: float = 60, what: str = "condition"):  # noqa: ANN001, ANN201
    """The e2e suite's own wait, with this file's longer default."""
    return wait_for(probe, timeout=timeout, what=what)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_backup_under_load_restores_everything_acknowledged_before_it(backend, tmp_path):
    with ExitStack() as stack:
        if backend == "sqlite":
            vn_db, cn_db = None, None
            restored_db = f"sqlite:///{tmp_path / 'restored.sqlite'}"
            backup_file = tmp_path / "vn.sqlite.bak"
        else:
            vn_db, cn_db, restored_db = (stack.enter_context(fresh_pg_database(migrated=True)) for _ in range(3))
            backup_file = tmp_path / "vn.pgdump"
        vn, cn = prepare(tmp_path, vn_db, cn_db)
        start_all(vn, cn)
        stack.callback(vn.stop), stack.callback(cn.stop)
        key, officer = vn.key("declarant", DECLARANT), vn.key("supervisor")  # both in the backup
        acknowledged, errors, stop = [], [], threading.Event()
        writers = [threading.Thread(target=load, args=(vn.url, key, acknowledged, errors, stop)) for _ in range(4)]
        for writer in writers:
            writer.start()
        try:
            eventually(lambda: len(acknowledged) >= 60, what="a first load")
            began = time.monotonic()
            made = cli(vn.env, "backup", str(backup_file))
            ended = time.monotonic()
            eventually(lambda: any(at > ended for at, _ in acknowledged), what="writes after the backup")
        finally:
            stop.set()
            for writer in writers:
                writer.join(timeout=30)
        assert not errors, errors[:3]
        before = [cid for at, cid in acknowledged if at < began]
        during = [cid for at, cid in acknowledged if began <= at]
        assert len(before) >= 60 and during, "the load went on while the backup ran"

        done = [json.loads(line) for line in made.stderr.splitlines() if '"backup.done"' in line]
        assert len(done) == 1 and done[0]["bytes"] == backup_file.stat().st_size > 0
        assert done[0]["path"] == str(backup_file.resolve()) and done[0]["duration_s"] >= 0

        restored_env = {**vn.env, "BORDERFLOW_DB_URL": restored_db}
        refused = cli(vn.env, "restore", str(backup_file), check=False)  # into the live, full database
        assert refused.returncode == 1 and "not empty" in refused.stderr and "--force" in refused.stderr
        cli(restored_env, "restore", str(backup_file))
        verified = cli(restored_env, "audit", "verify")
        assert "intact" in verified.stderr

        source_db = vn.db_url
        original, copy = outbox(source_db), outbox(restored_db)
        notices = {stream for stream, _, kind, _, _ in copy.values() if kind == "pre_arrival_notice"}
        assert set(before) <= notices  # every acknowledged crossing's message is in the copy
        states = {"pending": 0, "delivered": 0}
        for message_id, (stream, seq, kind, state, receipt) in copy.items():
            assert original[message_id][:3] == (stream, seq, kind)
            states[state] = states.get(state, 0) + 1
            if state == "delivered":  # delivered then, delivered now, with the same signed receipt
                assert original[message_id][3:] == (state, receipt)
        assert states["delivered"] > 0

        vn.stop()
        again = NodeProcess(restored_env, node=str(vn.node_file)).start()
        stack.callback(again.stop)
        with httpx.Client(base_url=again.url, headers={"Authorization": f"Bearer {officer}"}) as client:
            missing = [cid for cid in before if client.get(f"/api/v1/crossings/{cid}").status_code != 200]
            assert missing == []
            assert client.get("/api/v1/audit/verify").json()["ok"] is True
        # What was pending in the copy goes out (the partner answers "duplicate" where the original had
        # sent it already). What the restored node writes afterwards may not: its audit checkpoints no
        # longer extend what the partner witnessed, since the entries after the backup are gone.
        pending = [message_id for message_id, (*_, state, _) in copy.items() if state == "pending"]
        eventually(lambda: all(outbox(restored_db)[m][3] == "delivered" for m in pending),
                   what="the restored node delivering what was pending in its copy")


def test_restore_refuses_a_backup_from_a_newer_schema_and_a_full_database_without_force(tmp_path):
    source = f"sqlite:///{tmp_path / 'a.sqlite'}"
    migrate.upgrade(engine := make_engine(source))
    engine.dispose()
    made = backup(source, tmp_path / "a.bak")
    with pytest.raises(BackupError, match="exists already"):
        backup(source, tmp_path / "a.bak")

    fresh = f"sqlite:///{tmp_path / 'b.sqlite'}"
    assert restore(fresh, made.path).upgraded_to is None
    with pytest.raises(BackupError, match="is not empty"):  # b now has the audit head of a (and rows)
        from borderflow.services import apikeys
        from datetime import UTC, datetime
        apikeys.create(engine := make_engine(fresh), role="supervisor", name="x", declarant_tax_id=None,
                       at=datetime.now(UTC))
        engine.dispose()
        restore(fresh, made.path)
    assert restore(fresh, made.path, force=True).revision == made_revision(made.path)

    newer = tmp_path / "newer.bak"
    shutil.copy(made.path, newer)
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(BackupError, match="does not know"):
        restore(f"sqlite:///{tmp_path / 'c.sqlite'}", newer)
    with pytest.raises(BackupError, match="sqlite backup"):
        restore("postgresql://postgres@127.0.0.1:5432/none", made.path)


def made_revision(path) -> str:  # noqa: ANN001
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
