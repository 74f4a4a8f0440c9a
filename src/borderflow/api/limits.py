"""Refuse oversized bodies (413, problem+json) before the application parses a byte.

The body is read here, up to the limit, and handed on whole: a chunked upload
without Content-Length is held to the same limit as one that declares its size.
"""

from __future__ import annotations

import json


class BodyLimit:
    def __init__(self, app, max_bytes: int):  # noqa: ANN001
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            return await self._refuse(send)
        chunks, size = [], 0
        while True:
            message = await receive()
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
        body = json.dumps({"type": "https://borderflow.example/problems/request-body-too-large",
                           "title": "Request body too large", "status": 413,
                           "detail": f"the body is larger than {self.max_bytes} bytes; split the request "
                                     "or ask the operator to raise max_body_bytes"}).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", b"application/problem+json"),
                                (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": body})
