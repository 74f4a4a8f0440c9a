"""A bad network between two nodes: drops, duplicates, reorders and delays partner deliveries.

Sits on loopback in front of the receiving node. Seeded, so a failing run can be
repeated; counts what it did, so a test can prove the faults really happened.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import uvicorn

from tests.support.nodes import free_port


@dataclass
class Faults:
    """Which deliveries go wrong, by their number: every 5th request is lost on the way there,
    every 10th answer on the way back (applied there, so the sender sends it again), every
    10th request arrives twice, and every other batch is shuffled and split in two, second
    half first. A schedule rather than dice, so the faults happen in every run."""

    drop_request_every: int = 5
    drop_response_every: int = 10
    duplicate_every: int = 10
    reorder_every: int = 2
    max_delay: float = 0.05
    outage: bool = False  # the partner is unreachable


@dataclass
class FaultyProxy:
    target: str
    faults: Faults = field(default_factory=Faults)
    seed: int = 20261126
    port: int = field(default_factory=free_port)
    done: Counter = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.lock = threading.Lock()
        self.client = httpx.Client(timeout=30)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _is(self, n: int, every: int, phase: int) -> bool:
        return every > 0 and n % every == phase % every

    def _forward(self, path: str, headers: dict, body: dict) -> httpx.Response:
        return self.client.post(self.target + path, json=body, headers=headers)

    def handle(self, path: str, headers: dict, raw: bytes) -> tuple[int, bytes]:
        f = self.faults
        if f.outage:
            self.done["outage"] += 1
            return 503, b'{"detail": "partner down"}'
        with self.lock:
            self.done["requests"] += 1
            n = self.done["requests"]
            delay = self.rng.uniform(0, f.max_delay)
        time.sleep(delay)
        if self._is(n, f.drop_request_every, 1):
            self.done["dropped_request"] += 1
            return 502, b'{"detail": "lost"}'
        body = json.loads(raw)
        messages = body.get("messages", [])
        if len(messages) > 1 and self._is(n, f.reorder_every, 0):
            self.done["reordered"] += 1
            with self.lock:
                self.rng.shuffle(messages)
            half = len(messages) // 2
            later, first = messages[:half], messages[half:]
            receipts = []
            for part in (first, later):
                response = self._forward(path, headers, {"messages": part})
                if response.status_code != 200:
                    return response.status_code, response.content
                receipts += response.json()["receipts"]
            answer: tuple[int, bytes] = (200, json.dumps({"receipts": receipts}).encode())
        else:
            response = self._forward(path, headers, body)
            answer = (response.status_code, response.content)
        if self._is(n, f.duplicate_every, 4):
            self.done["duplicated"] += 1
            self._forward(path, headers, body)
        if self._is(n, f.drop_response_every, 3):
            self.done["dropped_response"] += 1
            return 502, b'{"detail": "answer lost"}'
        self.done["forwarded"] += 1
        return answer

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - a bare ASGI app
        if scope["type"] != "http":
            return
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k.lower() == b"authorization"}
        import anyio.to_thread
        status, content = await anyio.to_thread.run_sync(self.handle, scope["path"], headers, raw)
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": content})

    def start(self) -> FaultyProxy:
        self.server = uvicorn.Server(uvicorn.Config(self, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        while not self.server.started:
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
