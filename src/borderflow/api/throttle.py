"""Failed authentication, throttled: per client address and per key prefix, in-process.

A sliding window of failure times per address and per key prefix (the key's first 10
characters, what `borderflow apikey list` shows). Once either has `limit` failures within
`window_s` seconds, every further attempt from that address (or with that prefix) is
answered 429 with `Retry-After` *before* the key is looked at, until the oldest failure
leaves the window: guessing stops being cheap and a guess gets no answer at all. A key
that works never counts. Each process keeps its own counters (a few deques, bounded in
number): with N workers an address gets at most N × limit tries a window.

The limits are these constants (an operator's node needs no other setting):
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections import deque
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool

from borderflow.store import audit

ADDRESS_LIMIT = 30
"""Failed attempts one client address may make within the window (shared offices sit behind one address)."""
PREFIX_LIMIT = 10
"""Failed attempts with one key prefix within the window (someone working on one key)."""
WINDOW_S = 300.0
"""The sliding window, in seconds."""
MAX_TRACKED = 50_000
"""Addresses and prefixes remembered at most; beyond it the quietest are forgotten first."""

log = logging.getLogger("borderflow.auth")


def prefix_of(key: str) -> str:
    return key.strip()[:10]


class Window:
    """Failure times per name within a sliding window."""

    def __init__(self, limit: int, window_s: float):
        self.limit, self.window_s = limit, window_s
        self._times: dict[str, deque[float]] = {}

    def _recent(self, name: str, now: float) -> deque[float] | None:
        times = self._times.get(name)
        if times is None:
            return None
        while times and times[0] <= now - self.window_s:
            times.popleft()
        if not times:
            del self._times[name]
            return None
        return times

    def retry_after(self, name: str, now: float) -> float:
        """0 when `name` may try again, otherwise the seconds until it may."""
        times = self._recent(name, now)
        if times is None or len(times) < self.limit:
            return 0.0
        return times[-self.limit] + self.window_s - now

    def fail(self, name: str, now: float) -> None:
        times = self._recent(name, now)
        if times is None:
            if len(self._times) >= MAX_TRACKED:
                self._forget(now)
            times = self._times[name] = deque(maxlen=self.limit)
        times.append(now)

    def _forget(self, now: float) -> None:
        for name in list(self._times):
            self._recent(name, now)
        while len(self._times) >= MAX_TRACKED:
            self._times.pop(next(iter(self._times)))


class Throttle:
    def __init__(self, *, address_limit: int = ADDRESS_LIMIT, prefix_limit: int = PREFIX_LIMIT,
                 window_s: float = WINDOW_S, clock=time.monotonic):  # noqa: ANN001
        self.addresses = Window(address_limit, window_s)
        self.prefixes = Window(prefix_limit, window_s)
        self.clock = clock

    def retry_after(self, address: str, key: str | None) -> int:
        """Whole seconds to wait before trying again (0: go ahead)."""
        now = self.clock()
        wait = self.addresses.retry_after(address, now)
        if key:
            wait = max(wait, self.prefixes.retry_after(prefix_of(key), now))
        return math.ceil(wait) if wait > 0 else 0

    def failed(self, address: str, key: str | None) -> None:
        now = self.clock()
        self.addresses.fail(address, now)
        if key:
            self.prefixes.fail(prefix_of(key), now)


def audit_failure(engine, *, via: str, address: str, key: str | None, at: datetime | None = None) -> None:  # noqa: ANN001
    """One audit entry per failed attempt (the throttle bounds how many there can be)."""
    data = {"via": via, "address": address, "prefix": prefix_of(key) if key else None}
    log.warning(json.dumps({"event": "auth.failed", **data}))
    try:
        with engine.connect().execution_options(write=True) as conn, conn.begin():
            audit.append(conn, at=at or datetime.now(UTC), actor=f"anonymous:{address}", action="auth.failed",
                         subject=data["prefix"] or "-", data=data)
    except Exception:  # noqa: BLE001 - the refusal must not fail because the audit could not be written
        log.exception("could not audit a failed authentication")


def client_address(scope) -> str:  # noqa: ANN001
    client = scope.get("client")
    return client[0] if client else "unknown"


def bearer_key(scope) -> str | None:  # noqa: ANN001
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").partition(" ")
            return credentials.strip() or None if scheme.lower() == "bearer" else None
    return None


class ApiThrottle:
    """ASGI middleware for /api/: refuse throttled callers with 429, count and audit 401s to a key."""

    def __init__(self, app, throttle_of, ctx_of, problem_body):  # noqa: ANN001
        self.app, self.throttle_of, self.ctx_of, self.problem_body = app, throttle_of, ctx_of, problem_body

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            return await self.app(scope, receive, send)
        key = bearer_key(scope)
        if key is None:  # no credentials: nothing is being guessed
            return await self.app(scope, receive, send)
        throttle, address = self.throttle_of(), client_address(scope)
        wait = throttle.retry_after(address, key)
        if wait:
            body, headers = self.problem_body(scope, 429, f"too many failed authentications; try again in {wait} s",
                                              type_="too-many-failed-authentications")
            await send({"type": "http.response.start", "status": 429,
                        "headers": [*headers, (b"retry-after", str(wait).encode())]})
            await send({"type": "http.response.body", "body": body})
            return None

        async def watch(message):  # noqa: ANN001, ANN202
            if message["type"] == "http.response.start" and message["status"] == 401:
                throttle.failed(address, key)  # counted and audited before the client hears the answer
                ctx = self.ctx_of()
                await run_in_threadpool(audit_failure, ctx.engine, via="api", address=address, key=key,
                                        at=ctx.clock.now())
            await send(message)

        return await self.app(scope, receive, watch)
