"""Two real nodes: the partner gets the driver's data it needs and no more; `prune` months later
anonymises, archives delivered messages with the partner's receipts, and the archive verifies
offline (and fails once altered); the operator's log shows the partner going down and up and a
key rotation."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.databases import fresh_pg_database
from tests.e2e.test_exchange import eventually as wait_for
from tests.support.declarations import green_cargo
from tests.support.pair import prepare, start_all
from tests.support.processes import cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]
DECLARANT = "5300123456"



def eventually(probe, *, timeout: float = 40, what: str = "condition"):  # noqa: ANN001, ANN201
    """The e2e suite's own wait, with this file's longer default."""
    return wait_for(probe, timeout=timeout, what=what)


def imported(cn, vn_id: str) -> dict | None:
    with cn.client("supervisor") as client:
        for summary in client.get("/api/v1/crossings", params={"gate": "YOUYIGUAN", "limit": 500}).json():
            if summary["partner"].get("crossing_id") == vn_id:
                return client.get(f"/api/v1/crossings/{summary['id']}").json()
    return None


def log_events(side, event: str) -> list[dict]:
    lines = side.process.log.read_text(errors="replace").splitlines()
    return [json.loads(line) for line in lines if line.startswith("{") and f'"{event}"' in line]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pair(request, tmp_path):
    if request.param == "sqlite":
        vn, cn = prepare(tmp_path)
        yield start_all(vn, cn)
        vn.stop(), cn.stop()
        return
    with fresh_pg_database(migrated=True) as vn_db, fresh_pg_database(migrated=True) as cn_db:
        vn, cn = prepare(tmp_path, vn_db, cn_db)
        yield start_all(vn, cn)
        vn.stop(), cn.stop()


def test_the_partner_gets_no_phone_and_a_prune_leaves_a_verifiable_archive(pair, tmp_path):
    vn, cn = pair
    with vn.client("declarant", DECLARANT) as client:
        made = [client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json() for _ in range(3)]
    theirs = [eventually(lambda c=c: imported(cn, c["id"]), what="the notice on CN") for c in made]
    driver = theirs[0]["declaration"]["driver"]
    assert (driver["name"], driver["document_no"], driver["nationality"]) == ("Nguyen Van An", "C1234567", "VN")
    assert driver.get("phone") is None  # the declaring side alone calls its drivers

    with vn.client("declarant", DECLARANT) as client:
        for crossing in made[:2]:
            assert client.post(f"/api/v1/crossings/{crossing['id']}/cancel").status_code == 200
    with cn.client("supervisor") as client:
        eventually(lambda: all(client.get(f"/api/v1/crossings/{c['id']}").json()["status"] == "cancelled"
                               for c in theirs[:2]), what="CN hearing of both cancellations")
    with vn.client("supervisor") as client:
        eventually(lambda: client.get("/metrics").text.count('borderflow_outbox_depth{partner="CN-BORDER"} 0.0'),
                   what="VN's outbox drained")

    later = (datetime.now(UTC) + timedelta(days=200)).isoformat()
    report = json.loads(cli(vn.env, "prune", "--now", later, "--node", str(vn.node_file)).stdout)
    assert report["anonymised"] == 2 and report["archived"] >= 4
    archive = report["archive"]
    checked = cli(vn.env, "archive", "verify", archive, "--node", str(vn.node_file))
    assert "archive verified" in checked.stderr and "receipt and content verified" in checked.stderr
    assert "0 receipt and content verified" not in checked.stderr
    assert "0 receipt verified (personal data redacted)" not in checked.stderr
    assert "Nguyen Van An" not in open(archive, encoding="utf-8").read()
    again = json.loads(cli(vn.env, "prune", "--now", later, "--node", str(vn.node_file)).stdout)
    assert again["anonymised"] == 0
    if again["archived"]:  # only what the first run's own audit entries caused: checkpoints sent since
        assert again["archive"] != archive
        kinds = {json.loads(line)["envelope"]["type"] for line in open(again["archive"], encoding="utf-8")
                 if '"envelope"' in line}
        assert kinds == {"audit_checkpoint"}, kinds
    assert "intact" in cli(vn.env, "audit", "verify").stderr

    lines = open(archive, encoding="utf-8").read().splitlines()
    status = next(i for i, line in enumerate(lines) if '"crossing_status"' in line and '"cancelled"' in line)
    forged = tmp_path / "forged.jsonl"
    forged.write_text("\n".join(lines[:status] + [lines[status].replace('"cancelled"', '"exited"')]
                                + lines[status + 1:]) + "\n", encoding="utf-8")
    refused = cli(vn.env, "archive", "verify", str(forged), "--node", str(vn.node_file), check=False)
    assert refused.returncode == 1 and "NOT verified" in refused.stderr
    cut = tmp_path / "cut.jsonl"
    cut.write_text("\n".join(lines[:-2]) + "\n", encoding="utf-8")
    refused = cli(vn.env, "archive", "verify", str(cut), "--node", str(vn.node_file), check=False)
    assert refused.returncode == 1 and "no trailer" in refused.stderr


def test_the_operator_log_says_when_the_partner_goes_down_and_up_and_when_a_key_rotates(pair):
    vn, cn = pair
    with vn.client("declarant", DECLARANT) as client:
        first = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json()
    eventually(lambda: imported(cn, first["id"]), what="a first delivery")
    # a send before CN had started may have logged a first down and up already: count from here
    downs_before, ups_before = len(log_events(vn, "partner.down")), len(log_events(vn, "partner.up"))
    cn.stop()
    with vn.client("declarant", DECLARANT) as client:
        client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI"))
    down = eventually(lambda: log_events(vn, "partner.down")[downs_before:], what="partner.down in VN's log")
    assert len(down) == 1 and down[0]["partner"] == "CN-BORDER" and "unreachable" in down[0]["error"]
    cn.start()
    up = eventually(lambda: log_events(vn, "partner.up")[ups_before:], what="partner.up in VN's log")
    assert up[0]["partner"] == "CN-BORDER" and up[0]["down_seconds"] > 0
    changes = sorted(log_events(vn, "partner.down") + log_events(vn, "partner.up"), key=lambda e: e["ts"])
    kinds = [e["event"] for e in changes]
    assert all(a != b for a, b in zip(kinds, kinds[1:])), changes  # retries while down are no new events

    rotated = cli(vn.env, "keys", "generate", "--node", str(vn.node_file))
    line = next(json.loads(x) for x in rotated.stderr.splitlines() if '"key.rotated"' in x)
    assert line["side"] == "node" and line["previous"] in vn.public_keys and line["key_id"] != line["previous"]
    time.sleep(1.1)  # key ids are stamped to the second
    with vn.client("declarant", DECLARANT) as client:
        client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI"))
    seen = eventually(lambda: log_events(vn, "key.rotated"), what="key.rotated in VN's log")
    assert seen[0]["key_id"] == line["key_id"] and seen[0]["previous"] == line["previous"]
