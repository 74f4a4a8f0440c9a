"""Refuse oversized bodies (413, problem+json) before the application parses a byte.

The body is read here, up to the limit, and handed on whole: a chunked upload
without Content-Length is held to the same limit as one that declares its size.
A client that stops sending in the middle of its body (announces 100 bytes, sends 2)
gets 408 once it has been silent for BODY_READ_TIMEOUT_S, and the connection is closed:
it cannot hold a worker's connection as long as it likes. (Idle connections between
requests are uvicorn's `timeout_keep_alive`, 5 s.)
"""

from __future__ import annotations

import asyncio

from borderflow.api import problems

BODY_READ_TIMEOUT_S = 10.0
"""Longest silence allowed while a request body is still arriving, in seconds."""


class BodyLimit:
    def __init__(self, app, max_bytes: int, read_timeout_s: float | None = None):  # noqa: ANN001
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout_s = read_timeout_s  # None: BODY_READ_TIMEOUT_S, read at each request

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send)
        chunks, size = [], 0
        timeout = self.read_timeout_s if self.read_timeout_s is not None else BODY_READ_TIMEOUT_S
        while True:
            try:
                message = await asyncio.wait_for(receive(), timeout)
            except TimeoutError:
                return await self._timed_out(send, timeout)
            if message["type"] != "http.request":
                return  # the client went away
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                return await self._refuse(send)
            if not message.get("more_body", False):
                break
        body, delivered = b"".join(chunks), False

        async def replay():  # noqa: ANN202
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}

        return await self.app(scope, replay, send)

    async def _refuse(self, send):  # noqa: ANN001
        body, headers = problems.problem_bytes(413, f"the body is larger than {self.max_bytes} bytes; split the "
                                                    "request or ask the operator to raise max_body_bytes",
                                               type_="request-body-too-large", close=True)
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _timed_out(self, send, timeout: float):  # noqa: ANN001
        body, headers = problems.problem_bytes(408, f"the request body stopped arriving for {timeout:g} s; "
                                                    "send it again, whole", type_="request-timeout", close=True)
        await send({"type": "http.response.start", "status": 408, "headers": headers})
        await send({"type": "http.response.body", "body": body})
