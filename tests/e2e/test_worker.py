"""`serve --workers 2` serves HTTP only; `borderflow worker` runs the background work once.

Two worker processes race for the same outbox and the same clockwork: one works, the other
stands by, no message goes to the partner twice, and when the working one is killed the
other takes over at once. /readyz says whether any worker is alive.
"""

from __future__ import annotations

from collections import Counter

import httpx
import pytest

from tests.e2e.test_exchange import DECLARANT, eventually
from tests.e2e.test_exchange_faults import crossing_messages, drained, outbox
from tests.support.databases import fresh_pg_database
from tests.support.declarations import green_cargo
from tests.support.faulty_proxy import Faults, FaultyProxy
from tests.support.pair import prepare
from tests.support.processes import NodeProcess, WorkerProcess

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]


class CountingProxy(FaultyProxy):
    """A faultless network that counts every message it carries to the partner."""

    def __init__(self, target: str):
        super().__init__(target, faults=Faults(drop_request_every=0, drop_response_every=0, duplicate_every=0,
                                               reorder_every=0, max_delay=0))
        self.carried: Counter = Counter()

    def handle(self, path, headers, raw):  # noqa: ANN001, ANN201
        import json
        for message in json.loads(raw).get("messages", []):
            with self.lock:
                self.carried[message.get("message_id") or message.get("id")] += 1
        return super().handle(path, headers, raw)


def ready(url: str) -> httpx.Response:
    return httpx.get(url + "/readyz", timeout=5)


def holder_pid(url: str) -> int | None:
    worker = ready(url).json()["checks"]["worker"]
    return int(worker["holder"].split(":")[1]) if worker.get("ok") else None


def declare(vn, count: int) -> list[str]:
    with vn.client("declarant", DECLARANT) as client:
        answers = [client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")) for _ in range(count)]
    assert [a.status_code for a in answers] == [201] * count, [a.text for a in answers if a.status_code != 201]
    return [a.json()["id"] for a in answers]


@pytest.mark.postgres
def test_http_workers_serve_while_one_worker_process_at_a_time_does_the_background_work(tmp_path):
    with fresh_pg_database(migrated=True) as vn_db:
        vn, cn = prepare(tmp_path, vn_db)
        proxy = CountingProxy(cn.url).start()
        vn.write_node_file(cn, partner_url=proxy.url)
        http = NodeProcess(vn.env, node=str(vn.node_file), port=vn.port, args=("--workers", "2"))
        workers: list[WorkerProcess] = []
        try:
            cn.start()
            http.start()
            answer = ready(vn.url)
            assert answer.status_code == 503, answer.text
            worker = answer.json()["checks"]["worker"]
            assert not worker["ok"] and "borderflow worker" in worker["problem"]

            declare(vn, 8)  # HTTP works without a worker; the messages wait in the outbox
            assert not drained(vn)

            workers = [WorkerProcess(vn.env, node=str(vn.node_file)).start() for _ in range(2)]
            eventually(lambda: ready(vn.url).status_code == 200, timeout=30, what="a worker to be alive")
            first = holder_pid(vn.url)
            assert first in {w.pid for w in workers}
            declare(vn, 8)
            eventually(lambda: drained(vn), timeout=60, what="VN's outbox to drain with two workers racing")
            sent = crossing_messages(outbox(vn))
            assert len(sent) >= 16 and {m["state"] for m in sent} == {"delivered"}
            assert {m["message_id"] for m in sent} <= set(proxy.carried)
            assert set(proxy.carried.values()) == {1}, "a message went to the partner twice"

            [working] = [w for w in workers if w.pid == first]
            [standby] = [w for w in workers if w.pid != first]
            working.kill()
            eventually(lambda: holder_pid(vn.url) == standby.pid, timeout=20,
                       what="the standing-by worker to take the clockwork over")
            declare(vn, 4)
            eventually(lambda: drained(vn), timeout=60, what="the outbox to drain after the kill")
            assert {m["state"] for m in outbox(vn)} == {"delivered"}
        finally:
            for process in (*workers, http):
                process.stop()
            cn.stop()
            proxy.stop()


def test_a_single_serve_runs_the_background_work_itself_unless_told_not_to(tmp_path):
    vn, cn = prepare(tmp_path)
    alone = NodeProcess(vn.env, node=str(vn.node_file), port=vn.port)
    try:
        alone.start()
        eventually(lambda: ready(vn.url).status_code == 200, timeout=15, what="the in-process worker")
        assert holder_pid(vn.url) == alone.proc.pid
    finally:
        alone.stop()
    bare = NodeProcess(vn.env, node=str(vn.node_file), port=vn.port, args=("--no-worker",))
    try:
        bare.start()
        answer = ready(vn.url)
        assert answer.status_code == 503 and "borderflow worker" in answer.json()["checks"]["worker"]["problem"]
    finally:
        bare.stop()
