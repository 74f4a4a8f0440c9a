"""A real node on loopback: uvicorn in a background thread, spoken to over HTTP."""

from __future__ import annotations

import socket
from contextlib import contextmanager
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import uvicorn

from borderflow.api.app import create_app
from borderflow.bootstrap import build_context
from borderflow.domain.clock import FixedClock
from borderflow.services import apikeys
from borderflow.services.context import NodeContext
from borderflow.settings import load_settings


TEST_RULES = Path(__file__).with_name("rules.toml")
TEST_VN_NODE = Path(__file__).with_name("vn-test.toml")
# The partner's acceptance cap outbound where no notice speaks: generous in the tests that are
# not about the partner; tests/api/test_partner_capacity.py runs the shipped default (0).
GENEROUS_FALLBACK = 10_000


class TickingClock(FixedClock):
    """Real time plus an offset tests can move forward."""

    def __init__(self) -> None:
        super().__init__(datetime.now(UTC))
        self.offset = 0.0

    def now(self) -> datetime:
        from datetime import timedelta
        return datetime.now(UTC) + timedelta(seconds=self.offset)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_pair() -> int:
    """A free port whose next one is free too: the demo serves its two nodes on `--port` and the one after."""
    while True:
        with socket.socket() as first, socket.socket() as second:
            first.bind(("127.0.0.1", 0))
            port = first.getsockname()[1]
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
            return port


@dataclass
class RunningNode:
    url: str
    ctx: NodeContext
    clock: TickingClock
    server: uvicorn.Server
    thread: threading.Thread
    keys: dict = field(default_factory=dict)

    def key(self, role: str, declarant: str | None = None) -> str:
        wanted = (role, declarant)
        if wanted not in self.keys:
            self.keys[wanted] = apikeys.create(self.ctx.engine, role=role, name=f"test-{role}",
                                               declarant_tax_id=declarant, at=self.clock.now())
        return self.keys[wanted]

    def client(self, role: str | None = None, declarant: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.key(role, declarant)}"} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=10)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.ctx.engine.dispose()


def start_node(data_dir: Path, db_url: str, node: str = str(TEST_VN_NODE), **settings) -> RunningNode:
    settings.setdefault("rules", str(TEST_RULES))
    settings.setdefault("partner_fallback_per_hour", GENEROUS_FALLBACK)
    settings.setdefault("wait_feed_seconds", 0)  # the tests read the feed right after each change
    config = load_settings(data_dir=data_dir, db_url=db_url, node=node, env="test", **settings)
    clock = TickingClock()
    ctx = build_context(config, clock=clock)
    app = create_app(ctx, max_body_bytes=config.max_body_bytes or 262_144, run_exchange=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test node did not start")
        time.sleep(0.02)
    return RunningNode(f"http://127.0.0.1:{port}", ctx, clock, server, thread)


@contextmanager
def running_on(backend: str, data_dir: Path, **settings):
    """A node on a fresh SQLite file or a fresh PostgreSQL database, stopped afterwards."""
    from tests.support.databases import fresh_pg_database
    if backend == "sqlite":
        running = start_node(data_dir, f"sqlite:///{data_dir / 'node.sqlite'}", **settings)
        try:
            yield running
        finally:
            running.stop()
        return
    with fresh_pg_database(migrated=True) as url:
        running = start_node(data_dir, url, **settings)
        try:
            yield running
        finally:
            running.stop()
