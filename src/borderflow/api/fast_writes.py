"""The two writes sent the most, taken past the framework: declarations and gate events.

A trucking company's system declares in bursts and every camera at the barrier posts a plate
read per truck; a quarter of each request's CPU went to FastAPI routing it through the node's
~150 routes, solving its dependencies (two thread-pool hops: the key, then the route) and the
exception and exit-stack layers around it. This middleware, the innermost, does the route's own
checks in the route's order and in one thread-pool hop: the key (api/keycheck), the permission,
the Idempotency-Key header, the body as the route's model; then the route's own work
(`routes.crossings.declared`, `routes.gate_events.recorded`).

It only ever takes the way the route would take when every check passes. A request that fails
one (no key or an unknown one, a role without the permission, a malformed header, a body that
is not valid JSON or not valid for the model, a content type other than JSON) goes on to the app
untouched, body and all, and gets the app's own answer. An error of the work itself (a
declaration the rules refuse, a conflict) is answered by the app's own exception handler, so
the problem+json is the one the route gives.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any, NamedTuple

from anyio import to_thread
from fastapi.security.utils import get_authorization_scheme_param
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from borderflow.api.fast_reads import Matched
from borderflow.api.routes.crossings import declared
from borderflow.api.routes.gate_events import recorded
from borderflow.schemas import DeclarationIn, GateEventIn
from borderflow.services.idempotency import MAX_KEY_LENGTH


class Write(NamedTuple):
    permission: str
    body: type[BaseModel]
    work: Callable[..., Response]  # (ctx, principal, body, idempotency key, metrics) -> the route's answer


WRITES = {"/api/v1/crossings": Write("crossing.declare", DeclarationIn, declared),
          "/api/v1/gate-events": Write("gate.event", GateEventIn, recorded)}
_PASS = object()  # a check failed: the app answers


class FastWrites:
    def __init__(self, app: ASGIApp, ctx_of, keys_of, metrics_of, handlers_of) -> None:  # noqa: ANN001
        self.app, self.ctx_of, self.keys_of, self.metrics_of = app, ctx_of, keys_of, metrics_of
        self.handlers_of = handlers_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        write = WRITES.get(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if write is None:
            return await self.app(scope, receive, send)
        message = await receive()  # the whole body: BodyLimit, outside, read it already
        delivered = False

        async def replay() -> dict:
            nonlocal delivered
            if delivered:
                return await receive()
            delivered = True
            return message

        body = message.get("body", b"") if message["type"] == "http.request" and not message.get("more_body") \
            else None
        try:
            answer = _PASS if body is None else await to_thread.run_sync(self._write, write, scope, body)
        except Exception as exc:  # noqa: BLE001 - answered by the app's handler for it, or raised on as before
            handler = _handler(self.handlers_of(), exc)
            if handler is None:
                raise
            request = Request(scope, replay)
            answer = await handler(request, exc) if inspect.iscoroutinefunction(handler) \
                else await run_in_threadpool(handler, request, exc)
        if answer is _PASS:
            return await self.app(scope, replay, send)
        scope["route"] = Matched(scope["path"])
        await answer(scope, replay, send)

    def _write(self, write: Write, scope: Scope, body: bytes) -> Any:  # noqa: ANN401
        """The route's checks in its order, then its work; _PASS at the first check that fails."""
        headers = Headers(scope=scope)
        scheme, token = get_authorization_scheme_param(headers.get("authorization"))
        if scheme.lower() != "bearer" or not token:
            return _PASS
        ctx = self.ctx_of()
        principal = self.keys_of().principal(ctx, token)
        if principal is None or not principal.may(write.permission):
            return _PASS
        key = headers.get("idempotency-key")
        if key is not None and (len(key) > MAX_KEY_LENGTH or not key.strip()):
            return _PASS
        media_type = headers.get("content-type", "").partition(";")[0].strip().lower()
        if media_type != "application/json":
            return _PASS
        try:
            parsed = write.body.model_validate(json.loads(body))
        except (ValueError, ValidationError):  # not JSON (a ValueError), or not the route's model
            return _PASS
        return write.work(ctx, principal, parsed, key, self.metrics_of())


def _handler(handlers: dict, exc: Exception) -> Callable | None:
    """The handler the app's exception layer would pick: by class, nearest first. What only the
    outermost layer handles (Exception itself: a 500, logged) is left to it, raised on as before."""
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None
        if cls in handlers:
            return handlers[cls]
    return None
