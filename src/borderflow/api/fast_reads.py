"""The two reads polled the most, answered before the framework: `GET /healthz` and the public
wait-time feed while its rendered answer is current.

A load balancer polls /healthz every few seconds, and every wait board, phone and trucking
company's dispatcher polls the feed; neither needs a key, a body, a language middleware, the
routing through the node's ~150 routes or FastAPI's dependency solving, which cost a bare
request more than half of its time. This middleware sits just inside `RequestLog`, so each
answer still gets its request id, its access line and its metrics; the answer is byte for byte
the route's own (`routes/meta.healthz`, `routes/yard.wait_times`), and anything else, the
feed when it must be computed again included, goes on to the app as before.
"""

from __future__ import annotations

import json
from typing import NamedTuple

from starlette.types import ASGIApp, Receive, Scope, Send

from borderflow.api.routes.meta import health
from borderflow.i18n.localize import language_of
from borderflow.services import waits

HEALTHZ, FEED = "/healthz", "/api/v1/wait-times"


class Matched(NamedTuple):  # what the access line and the metrics read of a matched route
    path: str
    path_regex: None = None


class FastReads:
    def __init__(self, app: ASGIApp, ctx_of) -> None:  # noqa: ANN001
        self.app, self.ctx_of = app, ctx_of
        self._healthz: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path") if scope["type"] == "http" and scope["method"] == "GET" else None
        if path == HEALTHZ:
            if self._healthz is None:
                self._healthz = json.dumps(health(self.ctx_of()), separators=(",", ":")).encode()
            return await _answer(scope, send, HEALTHZ, self._healthz, [])
        if path == FEED:
            lang = language_of(scope)
            body = waits.served_body(self.ctx_of(), lang)
            if body is not None:
                return await _answer(scope, send, FEED, body,
                                     [(b"content-language", lang.encode()), (b"vary", b"Accept-Language")])
        return await self.app(scope, receive, send)


async def _answer(scope: Scope, send: Send, route: str, body: bytes, extra: list[tuple[bytes, bytes]]) -> None:
    scope["route"] = Matched(route)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json"),
                            *extra]})
    await send({"type": "http.response.body", "body": body})
