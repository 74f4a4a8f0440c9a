"""Cross-witnessing with two real nodes: a history rewritten on one side, even re-signed with that node's
own key, passes that node's own check but not its partner's, which still holds the old checkpoints."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import delete, update

from borderflow.store import tables as t
from borderflow.store.db import make_engine
from tests.e2e.test_exchange import DECLARANT, eventually
from tests.support.databases import fresh_pg_database
from tests.support.declarations import green_cargo
from tests.support.pair import Side, prepare, start_all
from tests.support.processes import cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]
FAST = {"BORDERFLOW_CALL_FORWARD_SECONDS": "1"}  # the background loop, and so the sequencer, every second
ACKNOWLEDGED = re.compile(r"CN-BORDER acknowledged: checkpoint of (\d+) entries")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pair(request, tmp_path):
    if request.param == "sqlite":
        yield from _running(*prepare(tmp_path))
        return
    with fresh_pg_database(migrated=True) as vn_db, fresh_pg_database(migrated=True) as cn_db:
        yield from _running(*prepare(tmp_path, vn_db, cn_db))


def _running(vn: Side, cn: Side):  # noqa: ANN202
    try:
        for side in (vn, cn):
            side.extra_env.update(FAST)
        start_all(vn, cn)
        yield vn, cn
    finally:
        vn.stop(), cn.stop()


def verify(side: Side, *args: str):
    return cli(side.env, "audit", "verify", "--node", str(side.node_file), *args, check=False)


def acknowledged(vn: Side) -> int:
    found = ACKNOWLEDGED.search(verify(vn, "--witnessed").stderr)
    return int(found.group(1)) if found else 0


def rewrite_history(side: Side) -> None:
    """What someone who took the whole node (database and key files) could do: change entry 1, let the node
    number everything again and sign fresh checkpoints with its own key."""
    engine = make_engine(side.db_url)
    try:
        with engine.begin() as conn:
            a = t.audit_log.c
            conn.execute(update(t.audit_log).where(a.seq == 1).values(actor="supervisor:nobody", data={}))
            conn.execute(update(t.audit_log).values(seq=None, leaf_hash=None))
            conn.execute(delete(t.audit_nodes))
            conn.execute(delete(t.audit_checkpoints))
            conn.execute(delete(t.node_state).where(t.node_state.c.key.like("audit_checkpoint_sent:%")))
    finally:
        engine.dispose()


def test_a_rewritten_history_is_caught_by_the_partners_checkpoints(pair):
    vn, cn = pair
    with vn.client("declarant", DECLARANT) as client:
        for _ in range(3):
            assert client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).status_code == 201
    witnessed = eventually(lambda: acknowledged(vn) >= 3, timeout=60, what="CN acknowledging VN's checkpoint")
    assert witnessed
    assert verify(vn, "--witnessed").returncode == 0
    held = verify(cn, "--witnessed").stderr
    assert re.search(r"VN-BORDER's own log, witnessed here: \d+ entries", held), held

    vn.stop()
    rewrite_history(vn)
    vn.start()
    eventually(lambda: "intact" in verify(vn).stderr and "wait to be numbered" not in verify(vn).stderr,
               timeout=60, what="VN numbering and signing the rewritten log")
    assert verify(vn).returncode == 0  # on its own, a re-signed rewrite looks whole

    caught = verify(vn, "--witnessed")
    assert caught.returncode == 1 and "audit.witness_mismatch" in caught.stderr, caught.stderr
    refused = eventually(lambda: (r := verify(cn, "--witnessed")).returncode == 1 and r, timeout=60,
                         what="CN refusing VN's rewritten checkpoint")
    assert "audit.partner_refused" in refused.stderr and "rewritten" in refused.stderr, refused.stderr
    told = eventually(lambda: "audit.witness_refused" in (r := verify(vn, "--witnessed")).stderr and r, timeout=60,
                      what="CN's receipt telling VN its checkpoint was refused")
    assert told.returncode == 1
