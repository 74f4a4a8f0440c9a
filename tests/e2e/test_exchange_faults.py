"""The exchange over a bad network, against forged and replayed messages, and through a key rotation."""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from borderflow.exchange import keys as keyfiles
from borderflow.exchange.envelope import SigningKey
from tests.e2e.test_exchange import DECLARANT, eventually, import_crossing, through_the_gate
from tests.support.databases import fresh_pg_database
from tests.support.declarations import green_cargo
from tests.support.faulty_proxy import FaultyProxy
from tests.support.pair import Side, prepare, start_all
from tests.support.processes import cli

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]
FAST = 600  # node seconds per real second where a test waits for node time: ten node minutes in one second


def outbox(side: Side, **params) -> list[dict]:
    with side.client("supervisor") as client:
        return client.get("/api/v1/exchange/outbox", params={"limit": 1000, **params}).json()


def inbox(side: Side, **params) -> list[dict]:
    with side.client("supervisor") as client:
        return client.get("/api/v1/exchange/inbox", params={"limit": 1000, **params}).json()


def crossing_messages(rows: list[dict]) -> list[dict]:
    """Without the audit checkpoints, which the nodes keep sending each other as their logs grow."""
    return [m for m in rows if m["type"] != "audit_checkpoint"]


def drained(side: Side) -> bool:
    with side.client("supervisor") as client:
        return client.get("/api/v1/exchange/status").json()[0]["outbox_depth"] == 0


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_every_message_is_applied_exactly_once_in_stream_order_over_a_bad_network(tmp_path, backend):
    with (fresh_pg_database(migrated=True) if backend == "postgres" else nullcontext()) as vn_db, \
         (fresh_pg_database(migrated=True) if backend == "postgres" else nullcontext()) as cn_db:
        vn, cn = prepare(tmp_path, vn_db, cn_db)
        proxy = FaultyProxy(cn.url).start()
        vn.write_node_file(cn, partner_url=proxy.url)
        vn.extra_env["BORDERFLOW_EXCHANGE_BATCH_SIZE"] = "3"
        start_all(vn, cn)
        try:
            _run_traffic(vn, cn, proxy)
        finally:
            vn.stop(), cn.stop(), proxy.stop()


def _run_traffic(vn: Side, cn: Side, proxy: FaultyProxy) -> None:
    declared = []
    with vn.client("declarant", DECLARANT) as client:
        for i in range(24):
            if i == 12:
                proxy.faults.outage = True  # the partner goes away for a while
            body = green_cargo(gate="HUUNGHI")
            crossing = client.post("/api/v1/crossings", json=body).json()
            declared.append(crossing)
            if i % 3 == 0:  # a second and third message in the same stream
                goods = [{**body["goods"][0], "packages": 801}]
                assert client.post(f"/api/v1/crossings/{crossing['id']}/amendments",
                                   json={"goods": goods}).status_code == 201
                assert through_the_gate(vn, "HUUNGHI", crossing["plate"], crossing["id"])["status"] == "exited"
    eventually(lambda: proxy.done["outage"] > 0, what="a delivery attempt during the outage")
    proxy.faults.outage = False
    eventually(lambda: drained(vn), timeout=90, what="VN's outbox to drain")

    sent = crossing_messages(outbox(vn))
    received = crossing_messages(inbox(cn, sender="VN-BORDER"))
    assert {m["state"] for m in sent} == {"delivered"}, [m["receipt"] for m in sent if m["state"] != "delivered"]
    assert sorted(m["message_id"] for m in received) == sorted(m["message_id"] for m in sent)  # each once
    assert {m["state"] for m in received} == {"applied"}
    streams: dict[str, list[int]] = {}
    for m in received:
        streams.setdefault(m["stream"], []).append(m["seq"])
    assert all(sorted(seqs) == list(range(1, len(seqs) + 1)) for seqs in streams.values())

    with cn.client("supervisor") as client:
        imported = client.get("/api/v1/crossings", params={"gate": "YOUYIGUAN", "limit": 500}).json()
        assert len(imported) == len(declared)  # no truck created twice
        by_origin = {c["partner"]["crossing_id"]: c for c in imported}
        for i, crossing in enumerate(declared):
            mine = by_origin[crossing["id"]]
            if i % 3 == 0:  # notice, amendment, exit: applied in that order or the state would differ
                assert mine["version"] == 2 and mine["status"] == "in_transit", mine
                actions = [e["action"] for e in client.get(f"/api/v1/crossings/{mine['id']}").json()["events"]]
                assert actions == ["declare", "amend", "depart_partner"]
            else:
                assert mine["version"] == 1 and mine["status"] == "declared"
    assert proxy.done["requests"] >= 10, proxy.done  # so each scheduled fault happened at least once
    assert proxy.done["dropped_request"] and proxy.done["dropped_response"] and proxy.done["duplicated"]
    assert proxy.done["reordered"] and proxy.done["outage"]


@pytest.fixture
def running_pair(tmp_path):
    vn, cn = prepare(tmp_path)
    start_all(vn, cn)
    yield vn, cn
    vn.stop(), cn.stop()


def _deliver(cn: Side, vn: Side, *messages: dict) -> list[dict]:
    key = (vn.dir / "partner.key").read_text().strip()
    response = httpx.post(cn.url + "/api/v1/exchange/messages", json={"messages": list(messages)},
                          headers={"Authorization": f"Bearer {key}"}, timeout=20)
    assert response.status_code == 200, response.text
    return response.json()["receipts"]


def _vn_key(vn: Side) -> SigningKey:
    return keyfiles.current(vn.dir)


def test_forged_tampered_and_replayed_messages_are_refused_and_logged(running_pair):
    vn, cn = running_pair
    with vn.client("declarant", DECLARANT) as client:
        declared = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json()
    original = eventually(lambda: [m for m in inbox(cn) if m["stream"] == declared["id"]], what="delivery")[0]
    envelope = original["envelope"]

    tampered = copy.deepcopy(envelope)
    tampered["payload"]["declaration"]["vehicle"]["gross_weight_kg"] = 20000
    replayed = copy.deepcopy(envelope)
    wrong_key = SigningKey(_vn_key(vn).key_id, Ed25519PrivateKey.generate()).sign(
        {k: v for k, v in envelope.items() if k not in ("key_id", "signature")} | {"message_id": str(uuid.uuid4())})
    unknown_key = SigningKey("VN-BORDER-stolen", Ed25519PrivateKey.generate()).sign(
        {k: v for k, v in envelope.items() if k not in ("key_id", "signature")} | {"message_id": str(uuid.uuid4())})
    now = datetime.now(UTC)
    stale = _vn_key(vn).sign({k: v for k, v in envelope.items() if k not in ("key_id", "signature")} | {
        "message_id": str(uuid.uuid4()), "seq": 99, "sent_at": (now - timedelta(days=8)).isoformat()})
    impostor = _vn_key(vn).sign({k: v for k, v in envelope.items() if k not in ("key_id", "signature")} | {
        "message_id": str(uuid.uuid4()), "sender": "XX-NODE"})

    receipts = _deliver(cn, vn, tampered, replayed, wrong_key, unknown_key, stale, impostor, "not an envelope")
    outcome = [(r["status"], r["reason"] or "") for r in receipts]
    assert outcome[0][0] == "rejected" and "signature does not match" in outcome[0][1]
    assert outcome[1][0] == "duplicate"
    assert outcome[2][0] == "rejected" and "signature does not match" in outcome[2][1]
    assert outcome[3][0] == "rejected" and "unknown key" in outcome[3][1] and receipts[3]["retry"] is True
    assert outcome[4][0] == "rejected" and "older than the replay window" in outcome[4][1]
    assert outcome[5][0] == "rejected" and "unknown sender 'XX-NODE'" in outcome[5][1]
    assert outcome[6][0] == "rejected" and "JSON object" in outcome[6][1]
    assert all(r["receiver"] == "CN-BORDER" and r["signature"] for r in receipts)

    with cn.client("supervisor") as client:
        logged = client.get("/api/v1/exchange/rejections").json()
        imported = client.get("/api/v1/crossings", params={"gate": "YOUYIGUAN"}).json()
    assert len(logged) == 6 and {r["principal"] for r in logged} == {"partner:VN-BORDER"}
    with cn.client("supervisor") as client:  # CN's operator reads the refusals in Chinese, each with its code
        in_chinese = client.get("/api/v1/exchange/rejections", headers={"Accept-Language": "zh"}).json()
    codes = {r["reason_code"] for r in in_chinese}
    assert {"exchange.too_old", "exchange.unknown_sender", "exchange.not_object", "exchange.signature"} <= codes
    assert any(r["reason"].startswith("未知的发送方 'XX-NODE'") for r in in_chinese), in_chinese
    assert len(imported) == 1 and imported[0]["partner"]["crossing_id"] == declared["id"]
    with cn.client("device") as client:
        forbidden = client.post("/api/v1/exchange/messages", json={"messages": [envelope]})
    assert forbidden.status_code == 403 and forbidden.headers["content-type"] == "application/problem+json"
    assert httpx.post(cn.url + "/api/v1/exchange/messages", json={"messages": [envelope]}).status_code == 401


def test_a_key_rotation_loses_no_message(running_pair):
    vn, cn = running_pair
    with vn.client("declarant", DECLARANT) as client:
        first = [client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json() for _ in range(3)]
        eventually(lambda: drained(vn), what="the first messages")
        old_key = _vn_key(vn).key_id

        cn.stop()  # the partner is away while VN rotates
        vn.generate_key()
        second = [client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json() for _ in range(3)]
    cn.write_node_file(vn)  # the CN operator adds VN's new public key, keeping the old one
    cn.start()
    eventually(lambda: drained(vn), timeout=60, what="the messages signed with the new key")
    received = {m["stream"]: m["envelope"]["key_id"] for m in inbox(cn) if m["type"] == "pre_arrival_notice"}
    assert {received[c["id"]] for c in first} == {old_key}
    assert {received[c["id"]] for c in second} == {_vn_key(vn).key_id} != {old_key}


def test_a_replay_sends_everything_again_and_the_partner_drops_what_it_has(running_pair):
    vn, cn = running_pair
    with vn.client("declarant", DECLARANT) as client:
        declared = [client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json() for _ in range(3)]
    eventually(lambda: drained(vn), what="first delivery")
    sent = crossing_messages(outbox(vn))  # three pre-arrival notices and VN's capacity notices, one per gate
    assert sum(m["type"] == "pre_arrival_notice" for m in sent) == 3
    since = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    replayed = cli(vn.env, "exchange", "replay", "--since", since, "--node", str(vn.node_file))
    queued = re.search(r"(\d+) message\(s\) for CN-BORDER queued again", replayed.stderr)
    assert queued and int(queued.group(1)) >= len(sent), replayed.stderr  # and the audit checkpoints
    eventually(lambda: {m["receipt"]["status"] for m in crossing_messages(outbox(vn))} == {"duplicate"},
               what="the replay's receipts")
    assert len(crossing_messages(inbox(cn, sender="VN-BORDER"))) == len(sent)  # nothing applied twice
    with cn.client("supervisor") as client:
        assert len(client.get("/api/v1/crossings", params={"gate": "YOUYIGUAN"}).json()) == len(declared)
    status = cli(vn.env, "exchange", "status", "--node", str(vn.node_file))
    assert "CN-BORDER" in status.stdout
    bad = cli(vn.env, "exchange", "replay", "--since", "yesterday", check=False)
    assert bad.returncode == 2 and "not an ISO 8601 time" in bad.stderr


def deliveries(side: Side) -> list[int]:
    """The status of each partner delivery the side has answered, from its access log."""
    found = []
    for line in side.process.log.read_text().splitlines():
        if '"path": "/api/v1/exchange/messages"' in line:
            found.append(json.loads(line)["status"])
    return found


def test_deliveries_grow_back_once_the_partners_operator_raises_its_body_limit(tmp_path):
    """After a 413 the sender stays small for ten minutes of node time, then tries twice as large again:
    a limit raised on the partner's side is used without anyone restarting the sender."""
    vn, cn = prepare(tmp_path)
    clock = {"BORDERFLOW_CLOCK_START": datetime.now(UTC).isoformat(), "BORDERFLOW_CLOCK_SPEED": str(FAST),
             "BORDERFLOW_CLOCK_ANCHOR": datetime.now(UTC).isoformat(), "BORDERFLOW_EXCHANGE_MAX_BACKOFF_SECONDS": "60"}
    vn.extra_env.update(clock)
    cn.extra_env.update(clock, BORDERFLOW_MAX_BODY_BYTES="8192")  # ~3 pre-arrival notices a delivery
    vn.start()  # the partner is down while the backlog builds: its deliveries meet the limit
    try:
        def declare(n: int) -> list[str]:
            with vn.client("declarant", DECLARANT) as client:
                created = [client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")) for _ in range(n)]
            assert all(c.status_code == 201 for c in created), [c.text for c in created]
            return [c.json()["id"] for c in created]

        first = declare(12)
        cn.start()
        eventually(lambda: all(import_crossing(cn, i) for i in first), timeout=60, what="the first notices on CN")
        assert 413 in deliveries(cn)  # the sender learned the small limit
        cn.stop()
        cn.extra_env.pop("BORDERFLOW_MAX_BODY_BYTES")  # the partner's operator raises it (default 262,144)
        second = declare(12)
        time.sleep(60 * 60 / FAST)  # an hour of node time with the partner away: the sender regrows meanwhile
        before = len(deliveries(cn))
        cn.start()
        eventually(lambda: all(import_crossing(cn, i) for i in second), timeout=60, what="the second notices on CN")
        after = deliveries(cn)[before:]
        assert 413 not in after, after
        said = [json.loads(line)["message"] for line in vn.process.log.read_text().splitlines()
                if "trying deliveries of up to" in line]
        assert said and said[-1].endswith("up to 200,000 bytes again"), said  # the configured size, reached
    finally:
        vn.stop(), cn.stop()


def test_a_partner_configured_as_older_is_sent_the_newer_version_once_its_receipts_say_it_reads_it(tmp_path):
    """The node file says the partner reads version 1 (it ran an older release); it has been upgraded
    since. Its receipts say which version it reads, and the sender moves up without a restart."""
    vn, cn = prepare(tmp_path)
    with vn.node_file.open("a") as node_file:  # the last table of the file is the partner's
        node_file.write("message_version = 1\n")
    vn.start()  # the partner is away: the first notice waits to go in the first delivery, sealed as version 1
    try:
        def notice_version(crossing_id: str) -> int:
            def found():  # noqa: ANN202
                rows = [m for m in inbox(cn, stream=crossing_id) if m["type"] == "pre_arrival_notice"]
                return rows[0]["envelope"]["schema_version"] if rows else None
            return eventually(found, what=f"the notice of {crossing_id} on CN")

        with vn.client("declarant", DECLARANT) as client:
            first = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json()["id"]
            cn.start()
            assert notice_version(first) == 1  # as the node file says
            second = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json()["id"]
            assert notice_version(second) == 2  # as CN's receipts say it reads
        said = [json.loads(line)["message"] for line in vn.process.log.read_text().splitlines()
                if "reads message version" in line]
        assert len(said) == 1 and "sending version 2 (the node file says 1)" in said[0], said
    finally:
        vn.stop(), cn.stop()


def test_a_node_restarted_after_kill_9_takes_its_lease_back_at_once(tmp_path):
    """The dead process's lease would block the exchange until it ran out (15 s); the restarted
    node sees that its holder was a process of this machine that no longer runs."""
    vn, cn = prepare(tmp_path)
    start_all(vn, cn)
    try:
        with vn.client("declarant", DECLARANT) as client:
            client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).raise_for_status()
        eventually(lambda: drained(vn), what="the first delivery (VN holds the lease)")
        vn.process.kill()
        vn.start()
        restarted = time.monotonic()
        with vn.client("declarant", DECLARANT) as client:
            after = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json()
        eventually(lambda: import_crossing(cn, after["id"]), timeout=30, what="delivery after the restart")
        assert time.monotonic() - restarted < 6, "the restarted node waited for its dead predecessor's lease"
    finally:
        vn.stop(), cn.stop()


def test_deliveries_shrink_to_the_partners_body_limit_and_a_message_too_large_alone_waits(tmp_path):
    """The partner's operator keeps a smaller body limit than our batches: the dispatcher halves its
    deliveries until they pass, and the one notice that cannot pass at all waits without holding up
    the others (before, the outbox stalled on a 413 for good)."""
    vn, cn = prepare(tmp_path)
    cn.extra_env["BORDERFLOW_MAX_BODY_BYTES"] = "8192"  # ~3 pre-arrival notices a delivery
    vn.extra_env["BORDERFLOW_EXCHANGE_MAX_BACKOFF_SECONDS"] = "0.5"
    vn.start()  # the partner is down while the backlog builds
    try:
        with vn.client("declarant", DECLARANT) as client:
            big = green_cargo(gate="HUUNGHI")
            big["goods"] = [{**big["goods"][0], "gross_kg": 1000, "net_kg": 990, "value": 300, "packages": 40,
                             "description": f"Dried cassava chips, lot {i:02d}, " + "sun-dried, bagged " * 12}
                            for i in range(20)]
            created = client.post("/api/v1/crossings", json=big)
            assert created.status_code == 201, created.text
            big_id = created.json()["id"]
            ids = []
            for _ in range(12):
                created = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI"))
                assert created.status_code == 201, created.text
                ids.append(created.json()["id"])
        cn.start()
        eventually(lambda: all(import_crossing(cn, i) for i in ids), timeout=60,
                   what="every notice that fits on CN")
        waiting = [m for m in outbox(vn, stream=big_id) if m["type"] == "pre_arrival_notice"]
        assert len(waiting) == 1 and waiting[0]["state"] == "pending", waiting
        assert "over CN-BORDER's body limit" in waiting[0]["last_error"] and "max_body_bytes" in waiting[0]["last_error"]
        with vn.client("supervisor") as client:  # the operator reads why in their own language
            said = {lang: client.get("/api/v1/exchange/outbox", params={"stream": big_id},
                                     headers={"Accept-Language": lang}).json()
                    for lang in ("vi", "zh")}
            status = client.get("/api/v1/exchange/status", headers={"Accept-Language": "vi"}).json()
        for lang, words in (("vi", "vượt giới hạn kích thước của CN-BORDER"), ("zh", "超过 CN-BORDER 的请求体上限")):
            notice = next(m for m in said[lang] if m["type"] == "pre_arrival_notice")
            assert words in notice["last_error"], (lang, notice["last_error"])
            assert notice["last_error_code"] == "exchange.too_large", notice
            assert notice["last_error_params"]["message_id"] == waiting[0]["message_id"]
        assert status[0]["last_error"] is None or "CN-BORDER" in status[0]["last_error"], status
        assert import_crossing(cn, big_id) is None
        delivered = [m for m in crossing_messages(outbox(vn, state="delivered")) if m["stream"] in ids]
        assert {m["stream"] for m in delivered} == set(ids)
    finally:
        vn.stop(), cn.stop()
