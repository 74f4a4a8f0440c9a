"""Concurrent writes to the exchange: parallel reports share one outbox stream, and one batch
delivered twice at the same moment is applied once and answered `duplicate` the other time."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.inbox import envelope, receiving_node  # noqa: F401 - the fixture


def in_parallel(calls: list) -> list:
    """Run the calls in threads released together, answers in call order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i: int, call) -> None:  # noqa: ANN001
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_thirty_parallel_reports_and_notices_all_succeed_and_keep_their_streams_gapless(node):
    now = datetime.now(UTC)
    incident = {"gate": "HUUNGHI", "occurred_at": now.isoformat(), "category": "accident", "severity": "minor",
                "summary": "parallel report"}
    hazard = {"gate": "HUUNGHI", "hazard": "heavy_rain", "severity": "warning",
              "valid_from": (now + timedelta(days=3)).isoformat(),
              "valid_until": (now + timedelta(days=3, hours=1)).isoformat(), "summary": "parallel alert"}
    posts = ([("/api/v1/exchange/incidents", "border_guard", incident)] * 12
             + [("/api/v1/exchange/hazard-alerts", "border_guard", hazard)] * 9
             + [("/api/v1/exchange/capacity-notices", "gate_operator", {"gate": "HUUNGHI"})] * 9)

    def post(path: str, role: str, body: dict):  # noqa: ANN202
        def call() -> int:
            with node.client(role) as client:
                response = client.post(path, json=body)
                return response.status_code if response.status_code != 201 else 201
        return call

    statuses = in_parallel([post(*p) for p in posts])
    assert Counter(statuses) == {201: 30}, statuses
    with node.client("supervisor") as client:
        sent = client.get("/api/v1/exchange/outbox", params={"limit": 1000}).json()
    for stream in ("incidents", "hazards", "capacity:HUUNGHI"):
        seqs = sorted(m["seq"] for m in sent if m["stream"] == stream)
        assert seqs == list(range(1, len(seqs) + 1)), (stream, seqs)


def test_one_batch_delivered_twice_at_once_is_applied_once_and_answered_duplicate(receiving_node):
    if receiving_node.node.ctx.engine.dialect.name != "postgresql":
        pytest.skip("the race is run on PostgreSQL, where deliveries really run in parallel")
    for _ in range(5):  # the race is narrow: a few rounds, each on streams of its own
        streams = [f"race-{uuid.uuid4().hex[:8]}" for _ in range(3)]
        batch = [envelope(receiving_node, stream=stream, seq=seq) for seq in range(1, 11) for stream in streams]

        def deliver() -> httpx.Response:
            return httpx.post(receiving_node.node.url + "/api/v1/exchange/messages", json={"messages": batch},
                              headers=receiving_node.headers, timeout=30)

        first, second = in_parallel([deliver, deliver])
        assert first.status_code == second.status_code == 200, (first.text, second.text)
        for a, b in zip(first.json()["receipts"], second.json()["receipts"], strict=True):
            assert sorted((a["status"], b["status"])) == ["applied", "duplicate"], (a, b)
