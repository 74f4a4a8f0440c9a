"""One JSON log line per request, with the request id it also returns (header `X-Request-Id`, and
`request_id` in every problem+json body), and the request's metrics.

A client may send its own `X-Request-Id` (up to 64 of `A-Z a-z 0-9 . _ -`) to follow a call
through; otherwise the node makes one. The line (logger `borderflow.access`, on standard error):

    {"ts": "2026-12-08T10:00:00.123Z", "level": "info", "logger": "borderflow.access",
     "event": "request", "request_id": "…", "method": "POST", "route": "/api/v1/gate-events",
     "path": "/api/v1/gate-events", "status": 201, "duration_ms": 4.2, "client": "10.0.0.7"}

Every other `borderflow.*` log record is written as one JSON object too (`event`, `message`,
and `exc` with the traceback where there is one).

The probes a monitor polls every few seconds (`/healthz`, `/readyz`, `/metrics`) are logged only when
they fail; they are counted in the metrics either way.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from datetime import UTC, datetime

from borderflow.api import problems

access = logging.getLogger("borderflow.access")
SAFE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})  # logged only when they fail


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
                .replace("+00:00", "Z"), "level": record.levelname.lower(), "logger": record.name}
        fields = getattr(record, "fields", None)
        if fields:
            line.update(fields)
        else:
            message = record.getMessage()
            try:  # a message that is already a JSON object is merged, not quoted
                parsed = json.loads(message) if message.startswith("{") else None
            except ValueError:
                parsed = None
            line.update(parsed if isinstance(parsed, dict) else {"event": "log", "message": message})
        rid = problems.request_id.get()
        if rid and "request_id" not in line:
            line["request_id"] = rid
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(level: int = logging.INFO) -> None:
    """JSON lines on standard error for the `borderflow` loggers (once per process)."""
    root = logging.getLogger("borderflow")
    if any(getattr(h, "_borderflow_json", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._borderflow_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    root.propagate = False


def _incoming_id(scope) -> str | None:  # noqa: ANN001
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if SAFE_ID.fullmatch(text) else None
    return None


def route_template(scope) -> str:  # noqa: ANN001
    """The matched route's template with its router's prefix (`/api/v1/crossings/{crossing_id}`):
    included routers keep their own relative path, so the prefix is what the path holds before it."""
    route = scope.get("route")
    template = getattr(route, "path", None)
    if not template:
        return "unmatched"
    path, regex = scope.get("path", ""), getattr(route, "path_regex", None)
    if regex is None or regex.match(path):
        return template
    for i in range(1, len(path)):
        if path[i] == "/" and regex.match(path[i:]):
            return path[:i] + template
    return template


class RequestLog:
    """Outermost middleware: request id, timing, the access line and the request metrics."""

    def __init__(self, app, metrics_of):  # noqa: ANN001
        self.app, self.metrics_of = app, metrics_of

    async def __call__(self, scope, receive, send):  # noqa: ANN001
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        rid = _incoming_id(scope) or os.urandom(16).hex()
        problems.request_id.set(rid)  # each request runs in its own task: no reset needed
        started, status = time.perf_counter(), 500

        async def tagged(message):  # noqa: ANN001, ANN202
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                if not any(name.lower() == b"x-request-id" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            client = scope.get("client")
            if status >= 400 or scope["path"] not in QUIET:
                access.info("request", extra={"fields": {
                    "event": "request", "request_id": rid, "method": scope["method"], "route": route,
                    "path": scope["path"], "status": status, "duration_ms": round(seconds * 1000, 2),
                    "client": client[0] if client else None}})
            metrics = self.metrics_of()
            if metrics is not None:
                try:
                    metrics.observe(scope["method"], route, status, seconds)
                except Exception:  # noqa: BLE001 - counting must never break an answer
                    logging.getLogger("borderflow.metrics").exception("could not count a request")
        return None
