"""Holes found from outside, closed: throttled authentication, revocation at once, the database
down, slow bodies; and what an operator watches: request ids and JSON logs, /readyz, /metrics."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

import httpx
import psycopg
import pytest
from sqlalchemy import text, update

from borderflow.api import limits, throttle
from borderflow.api.request_log import JsonFormatter
from borderflow.services import apikeys
from borderflow.store import tables as t
from tests.support.databases import PG_ADMIN, fresh_pg_database
from tests.support.declarations import green_cargo
from tests.support.nodes import start_node

PROBLEM = "application/problem+json"


def app_of(node):
    return node.server.config.app


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


# Defect 6: throttling -------------------------------------------------------------------------

def test_failed_api_authentications_are_throttled_with_retry_after_and_audited(node):
    app = app_of(node)
    before, app.state.throttle = app.state.throttle, throttle.Throttle(address_limit=5, prefix_limit=3, window_s=60)
    try:
        with node.client() as client:
            answers = [client.get("/api/v1/crossings", headers={"Authorization": f"Bearer bf_{i}guess-wrong"})
                       for i in range(5)]
            assert [a.status_code for a in answers] == [401] * 5
            refused = client.get("/api/v1/crossings", headers={"Authorization": "Bearer bf_6guess-wrong"})
            body = assert_problem(refused, 429)
            assert 0 < int(refused.headers["retry-after"]) <= 60 and "try again" in body["detail"]
            # the address is throttled before any look-up: a guess learns nothing, not even "valid"
            assert client.get("/api/v1/crossings",
                              headers={"Authorization": f"Bearer {node.key('customs')}"}).status_code == 429
        with node.ctx.engine.connect() as conn:
            audited = [row.data for row in conn.execute(t.audit_log.select().where(t.audit_log.c.action == "auth.failed"))
                       if row.data["via"] == "api" and row.data["prefix"].endswith("guess-")]
        assert len(audited) == 5 and all(entry["address"] == "127.0.0.1" for entry in audited)

        app.state.throttle = throttle.Throttle(address_limit=1000, prefix_limit=3, window_s=60)
        with node.client() as client:
            for _ in range(3):
                client.get("/api/v1/crossings", headers={"Authorization": "Bearer bf_onekey0-x"})
            assert_problem(client.get("/api/v1/crossings", headers={"Authorization": "Bearer bf_onekey0-y"}), 429)
            assert client.get("/api/v1/crossings",  # another prefix from the same address still works
                              headers={"Authorization": f"Bearer {node.key('customs')}"}).status_code == 200
    finally:
        app.state.throttle = before


def test_the_window_slides():
    now = [1000.0]
    guard = throttle.Throttle(address_limit=2, prefix_limit=10, window_s=10, clock=lambda: now[0])
    guard.failed("10.0.0.1", "bf_a")
    now[0] += 4
    guard.failed("10.0.0.1", "bf_b")
    assert guard.retry_after("10.0.0.1", None) == 6
    assert guard.retry_after("10.0.0.2", None) == 0
    now[0] += 6
    assert guard.retry_after("10.0.0.1", None) == 0


# Operator 4: revocation and expiry at once ---------------------------------------------------

def test_a_revoked_key_stops_at_the_next_request_despite_the_cache(node):
    key = apikeys.create(node.ctx.engine, role="customs", name="officer leaving", declarant_tax_id=None,
                         at=node.clock.now())
    with httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        assert client.get("/api/v1/crossings").status_code == 200  # now cached in this worker
        apikeys.revoke(node.ctx.engine, key[:10], at=node.clock.now())  # as the CLI does, from another process
        assert "revoked" in assert_problem(client.get("/api/v1/crossings"), 401)["detail"]


def test_an_expired_key_stops_at_its_time(node):
    key = apikeys.create(node.ctx.engine, role="customs", name="contractor", declarant_tax_id=None,
                         at=node.clock.now(), expires_days=1)
    with httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {key}"}, timeout=10) as client:
        assert client.get("/api/v1/crossings").status_code == 200
        with node.ctx.engine.begin() as conn:
            conn.execute(update(t.api_keys).where(t.api_keys.c.key_hash == apikeys.digest(key))
                         .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        # the cached entry carries the expiry it was read with; a fresh read sees the new one
        app_of(node).state.keys._entries.clear()
        assert_problem(client.get("/api/v1/crossings"), 401)


# Defect 7: the database down ------------------------------------------------------------------

@pytest.mark.postgres
def test_postgres_unreachable_is_503_with_retry_after_and_recovers_by_itself(tmp_path):
    with fresh_pg_database() as url:
        name = urlparse(url).path.lstrip("/")
        running = start_node(tmp_path, url)
        try:
            with running.client("customs") as customs, running.client("declarant", "5300123456") as declarant:
                assert customs.get("/api/v1/crossings").status_code == 200
                with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                    admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
                    admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
                try:
                    for answer in (customs.get("/api/v1/crossings"), declarant.post("/api/v1/crossings",
                                                                                    json=green_cargo())):
                        body = assert_problem(answer, 503)
                        assert answer.headers["retry-after"] == "5" and "database" in body["detail"]
                    assert customs.get("/healthz").status_code == 200  # the process is up
                    ready = customs.get("/readyz")
                    assert ready.status_code == 503 and not ready.json()["checks"]["database"]["ok"]
                finally:
                    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
                        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
                assert customs.get("/api/v1/crossings").status_code == 200
                assert declarant.post("/api/v1/crossings", json=green_cargo()).status_code == 201
                assert customs.get("/readyz").status_code == 200
        finally:
            running.stop()


# Defect 9: slow bodies ------------------------------------------------------------------------

def test_a_body_that_stops_arriving_is_408_and_the_connection_closes(node, monkeypatch):
    monkeypatch.setattr(limits, "BODY_READ_TIMEOUT_S", 1.0, raising=False)
    url = urlparse(node.url)
    with socket.create_connection((url.hostname, url.port), timeout=8) as sock:
        sock.sendall(b"POST /api/v1/crossings HTTP/1.1\r\nHost: node\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n{\"")
        started, received = time.monotonic(), b""
        while True:
            chunk = sock.recv(65536)  # a socket.timeout here: the node is still waiting for the other 98 bytes
            if not chunk:
                break
            received += chunk
        waited = time.monotonic() - started
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), received
    assert b"application/problem+json" in head.lower() and 0.5 < waited < 5
    assert json.loads(body)["status"] == 408


def test_a_slow_but_steady_body_is_still_read(node, monkeypatch):
    monkeypatch.setattr(limits, "BODY_READ_TIMEOUT_S", 1.0, raising=False)

    def trickle():
        document = json.dumps(green_cargo()).encode()
        for i in range(0, len(document), len(document) // 3 + 1):
            time.sleep(0.3)
            yield document[i:i + len(document) // 3 + 1]
    with node.client("declarant", "5300123456") as declarant:
        answer = declarant.post("/api/v1/crossings", content=trickle(), headers={"content-type": "application/json"})
    assert answer.status_code == 201, answer.text


# Operator 2: request ids and JSON logs --------------------------------------------------------

def test_every_answer_has_a_request_id_that_its_log_line_and_problem_carry(node):
    lines = io.StringIO()
    handler = logging.StreamHandler(lines)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("borderflow.access")
    access.addHandler(handler)
    try:
        with node.client("customs") as customs:
            ok = customs.get("/api/v1/crossings")
            missing = customs.get("/api/v1/crossings/00000000-0000-0000-0000-000000000000")
            mine = customs.get("/api/v1/gates", headers={"X-Request-Id": "gate-7.check_1"})
            hostile = customs.get("/api/v1/gates", headers={"X-Request-Id": "x\" injected"})
            probe = customs.get("/healthz")  # a monitor's poll: counted, not logged while it succeeds
    finally:
        access.removeHandler(handler)
    assert len(ok.headers["x-request-id"]) == 32 and ok.headers["x-request-id"] != missing.headers["x-request-id"]
    assert assert_problem(missing, 404)["request_id"] == missing.headers["x-request-id"]
    assert mine.headers["x-request-id"] == "gate-7.check_1"
    assert hostile.headers["x-request-id"] != "x\" injected"
    logged = {entry["request_id"]: entry for entry in map(json.loads, lines.getvalue().splitlines())}
    line = logged[missing.headers["x-request-id"]]
    assert line["event"] == "request" and line["status"] == 404 and line["method"] == "GET"
    assert line["route"] == "/api/v1/crossings/{crossing_id}" and line["duration_ms"] >= 0
    assert logged[ok.headers["x-request-id"]]["status"] == 200
    assert probe.status_code == 200 and probe.headers["x-request-id"] not in logged


# Operator 3: probes ---------------------------------------------------------------------------

def test_readyz_says_ready_and_what_it_checked(anonymous):
    answer = anonymous.get("/readyz")
    assert answer.status_code == 200, answer.text
    checks = answer.json()["checks"]
    assert checks["database"]["ok"] and checks["migrations"]["ok"] and checks["signing_key"]["ok"]
    assert checks["migrations"]["database"] == checks["migrations"]["code"]


def test_readyz_names_old_migrations_and_a_missing_signing_key(tmp_path):
    running = start_node(tmp_path, f"sqlite:///{tmp_path / 'node.sqlite'}")
    try:
        with running.ctx.engine.begin() as conn:
            head = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            conn.execute(text("UPDATE alembic_version SET version_num = '0003'"))
        app_of(running).state.exchange_runs = True  # as `borderflow serve` does; this node has no key
        with running.client() as client:
            answer = client.get("/readyz")
        assert answer.status_code == 503 and answer.json()["status"] == "not ready"
        checks = answer.json()["checks"]
        assert checks["database"]["ok"]
        assert checks["migrations"] == {"ok": False, "database": "0003", "code": head,
                                        "problem": "run `borderflow db upgrade`"}
        assert running.ctx.exchange.partners
        assert not checks["signing_key"]["ok"] and "keys generate" in checks["signing_key"]["problem"]
    finally:
        running.stop()


# Operator 1: metrics --------------------------------------------------------------------------

def test_metrics_need_the_metrics_role(node, anonymous):
    assert_problem(anonymous.get("/metrics"), 401)
    with node.client("declarant", "5300123456") as declarant:
        assert_problem(declarant.get("/metrics"), 403)
    with node.client("metrics") as monitor:
        assert monitor.get("/metrics").status_code == 200
    with node.client("supervisor") as supervisor:
        assert supervisor.get("/metrics").status_code == 200


def sample(exposition: str, name: str, **labels: str) -> float:
    for line in exposition.splitlines():
        if not line.startswith(name + "{") and line.split(" ")[0] != name:
            continue
        series = line.rsplit(" ", 1)[0]
        if all(f'{k}="{v}"' in series for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_decisions_declarations_yard_and_outbox(node, declarant, device):
    with node.client("metrics") as monitor:
        before = monitor.get("/metrics").text
        crossing = declarant.post("/api/v1/crossings", json=green_cargo())
        assert crossing.status_code == 201
        lane = crossing.json()["risk_lane"]
        plate = crossing.json()["vehicle"]["plate"] if "vehicle" in crossing.json() else green_cargo()["vehicle"]["plate"]
        read = device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read",
                                                         "plate": plate, "confidence": 0.95})
        assert read.status_code in (200, 201), read.text
        decision, code = read.json()["decision"], read.json()["reason_code"]
        declarant.get(f"/api/v1/crossings/{crossing.json()['id']}")
        after = monitor.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text_ = after.text
    assert sample(text_, "borderflow_declarations_total", lane=lane) == sample(before, "borderflow_declarations_total",
                                                                              lane=lane) + 1
    assert sample(text_, "borderflow_barrier_decisions_total", decision=decision, reason_code=code) >= 1
    assert sample(text_, "borderflow_http_requests_total", method="GET", route="/api/v1/crossings/{crossing_id}",
                  status="200") >= 1
    assert sample(text_, "borderflow_http_request_duration_seconds_count", method="POST",
                  route="/api/v1/crossings") >= 1
    assert "borderflow_yard_length" in text_
    assert sample(text_, "borderflow_outbox_depth", partner="CN-BORDER") >= 1  # the node sends nothing in tests
    assert sample(text_, "borderflow_outbox_oldest_age_seconds", partner="CN-BORDER") >= 0
    assert "/api/v1/crossings/0" not in text_  # templates, not paths: bounded label values


def test_a_replayed_declaration_or_plate_read_is_not_counted_again(node, declarant, device):
    """An idempotent replay accepted and decided nothing new: the counters stay where they were."""
    body = green_cargo()
    with node.client("metrics") as monitor:
        first = declarant.post("/api/v1/crossings", json=body, headers={"Idempotency-Key": "metrics-once"})
        assert first.status_code == 201, first.text
        lane = first.json()["risk_lane"]
        read = {"gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read", "plate": body["vehicle"]["plate"],
                "confidence": 0.95}
        decided = device.post("/api/v1/gate-events", json=read, headers={"Idempotency-Key": "metrics-read"})
        assert decided.status_code in (200, 201), decided.text
        labels = {"decision": decided.json()["decision"], "reason_code": decided.json()["reason_code"]}
        before = monitor.get("/metrics").text
        again = declarant.post("/api/v1/crossings", json=body, headers={"Idempotency-Key": "metrics-once"})
        read_again = device.post("/api/v1/gate-events", json=read, headers={"Idempotency-Key": "metrics-read"})
        after = monitor.get("/metrics").text
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert read_again.headers.get("Idempotent-Replayed") == "true"
    assert sample(after, "borderflow_declarations_total", lane=lane) == sample(before, "borderflow_declarations_total",
                                                                              lane=lane) > 0
    assert sample(after, "borderflow_barrier_decisions_total", **labels) == \
        sample(before, "borderflow_barrier_decisions_total", **labels) > 0
    assert sample(after, "borderflow_http_requests_total", method="POST", route="/api/v1/crossings", status="201") == \
        sample(before, "borderflow_http_requests_total", method="POST", route="/api/v1/crossings", status="201") + 1
