"""An auditor checks one entry alone: its inclusion proof leads to a checkpoint the node signed."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select

from borderflow.domain import merkle
from borderflow.exchange import envelope as env
from borderflow.exchange import keys as keyfiles
from borderflow.services import audit_sequencer
from borderflow.store import tables as t
from tests.support.declarations import green_cargo


def signed_log(node) -> None:
    """The node as its background loop leaves it: a signing key, every entry numbered and signed."""
    data_dir = node.ctx.settings.data_dir
    if not keyfiles.all_keys(data_dir):
        keyfiles.generate(data_dir, node.ctx.node.id, datetime.now(UTC))
    audit_sequencer.sequence_once(node.ctx)


def entry_of(node, subject: str, action: str) -> int:
    with node.ctx.engine.connect() as conn:
        return conn.execute(select(t.audit_log.c.seq).where(t.audit_log.c.subject == subject,
                                                            t.audit_log.c.action == action)).scalar_one()


def test_a_declarations_entry_is_proved_in_the_tree_of_the_signed_checkpoint(node, declarant, customs):
    crossing = declarant.post("/api/v1/crossings", json=green_cargo()).json()
    signed_log(node)
    entry = entry_of(node, crossing["id"], "crossing.declare")

    answer = customs.get("/api/v1/audit/proof", params={"entry": entry})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    leaf = json.loads(body["leaf"])
    assert (leaf["action"], leaf["subject"]) == ("crossing.declare", crossing["id"])
    leaf_hash = hashlib.sha256(b"\x00" + body["leaf"].encode()).digest()  # what any RFC 9162 client computes
    assert leaf_hash.hex() == body["leaf_hash"]
    checkpoint = body["checkpoint"]
    env.verify(checkpoint, node.ctx.exchange.keys.public_keys())  # the node's own Ed25519 signature
    assert (checkpoint["tree_size"], checkpoint["root_hash"]) == (body["tree_size"], body["root_hash"])
    proof = [bytes.fromhex(h) for h in body["proof"]]
    root = bytes.fromhex(checkpoint["root_hash"])
    assert merkle.verify_inclusion(leaf_hash, entry - 1, checkpoint["tree_size"], proof, root)
    assert not merkle.verify_inclusion(merkle.leaf_hash(b"another entry"), entry - 1, checkpoint["tree_size"],
                                       proof, root)


def test_the_whole_check_passes_over_http(node, declarant, supervisor):
    declarant.post("/api/v1/crossings", json=green_cargo())
    signed_log(node)
    report = supervisor.get("/api/v1/audit/verify").json()
    assert report["ok"] is True and report["findings"] == [], report
    assert report["latest_checkpoint"]["tree_size"] == report["entries"] > 0


def test_an_entry_beyond_the_log_is_404_and_a_bad_number_422(node, supervisor):
    signed_log(node)
    missing = supervisor.get("/api/v1/audit/proof", params={"entry": 2**52})
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    bad = supervisor.get("/api/v1/audit/proof", params={"entry": 0})
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "query.entry"


def test_a_role_without_audit_read_is_refused_before_its_query_is_validated(node):
    with node.client("gate_operator") as client:
        answer = client.get("/api/v1/audit/proof", params={"entry": "not a number"})
    assert answer.status_code == 403 and "errors" not in answer.json()


def test_metrics_show_the_sequencers_lag(node, declarant):
    declarant.post("/api/v1/crossings", json=green_cargo())
    with node.client("metrics") as client:
        before = client.get("/metrics").text
    signed_log(node)
    with node.client("metrics") as client:
        after = client.get("/metrics").text
    waiting = [line for line in before.splitlines() if line.startswith("borderflow_audit_unsequenced ")]
    assert waiting and float(waiting[0].split()[1]) >= 1
    assert "borderflow_audit_unsequenced 0.0" in after
    assert "borderflow_audit_unsequenced_oldest_age_seconds 0.0" in after
