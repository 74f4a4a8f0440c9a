"""kill -9 in the middle of a load: every crossing the node acknowledged is there after restart."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from borderflow.store import tables as t
from borderflow.store.db import make_engine

from tests.support.databases import fresh_pg_database
from tests.support.declarations import green_cargo
from tests.support.processes import NodeProcess, cli, node_env

pytestmark = pytest.mark.slow


def load_until_killed(url: str, key: str, acknowledged: list, errors: list, stop: threading.Event) -> None:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=5) as client:
        while not stop.is_set():
            try:
                response = client.post("/api/v1/crossings", json=green_cargo())
            except httpx.HTTPError:
                continue  # the node died under us: unacknowledged, so no promise was made
            if response.status_code == 201:
                acknowledged.append(response.json()["id"])
            else:
                errors.append(response.text)


def crash_and_recover(tmp_path, db_url: str | None) -> None:
    env = node_env(tmp_path, db_url, BORDERFLOW_CALL_FORWARD_SECONDS="1")  # the audit sequencer every second
    cli(env, "keys", "generate")  # so that checkpoints are signed
    node = NodeProcess(env).start()
    key = cli(env, "apikey", "create", "--role", "declarant", "--declarant", "5300123456").stdout.strip()
    acknowledged: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    workers = [threading.Thread(target=load_until_killed, args=(node.url, key, acknowledged, errors, stop))
               for _ in range(8)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 150 and time.monotonic() < deadline:
        time.sleep(0.05)
    node.kill()
    stop.set()
    for worker in workers:
        worker.join(timeout=10)
    assert not errors, errors[:3]
    assert len(acknowledged) >= 150

    restarted = NodeProcess(env, port=node.port).start()
    try:
        officer = cli(env, "apikey", "create", "--role", "supervisor").stdout.strip()
        with httpx.Client(base_url=restarted.url, headers={"Authorization": f"Bearer {officer}"}) as client:
            missing = [cid for cid in acknowledged if client.get(f"/api/v1/crossings/{cid}").status_code != 200]
            assert missing == []
            assert client.get("/api/v1/audit/verify").json()["ok"] is True
        unsigned = wait_until_signed(db_url or f"sqlite:///{tmp_path / 'borderflow.sqlite'}", acknowledged)
        assert unsigned == set()
    finally:
        restarted.stop()


def wait_until_signed(db_url: str, crossing_ids: list[str], timeout: float = 60) -> set[str]:
    """The acknowledged declarations whose audit entry no signed checkpoint covers yet, once the restarted
    node's sequencer has had `timeout` seconds (empty as soon as all are covered)."""
    engine = make_engine(db_url)
    a, c = t.audit_log.c, t.audit_checkpoints.c
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as conn:
                signed = conn.execute(select(func.max(c.tree_size))).scalar() or 0
                covered = set(conn.execute(select(a.subject).where(
                    a.action == "crossing.declare", a.seq.is_not(None), a.seq <= signed)).scalars())
            missing = set(crossing_ids) - covered
            if not missing or time.monotonic() > deadline:
                return missing
            time.sleep(0.5)
    finally:
        engine.dispose()


def test_sqlite_keeps_every_acknowledged_crossing_through_kill_9(tmp_path):
    crash_and_recover(tmp_path, None)


@pytest.mark.postgres
def test_postgres_keeps_every_acknowledged_crossing_through_kill_9(tmp_path):
    with fresh_pg_database() as url:
        crash_and_recover(tmp_path, url)
