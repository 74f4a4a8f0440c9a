"""Every error leaves the node as application/problem+json (RFC 9457).

Validation errors list every problem with its JSON path; nothing a client sends
may turn into a 500. Every problem carries the request's id (`request_id`, also in the
`X-Request-Id` header and the request's log line). A database that cannot be reached is
a 503 with `Retry-After`: the pool reconnects by itself once it is back.
"""

from __future__ import annotations

import json
import logging
from contextvars import ContextVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException as StarletteHTTPException

from borderflow.domain.errors import Conflict, Forbidden, NotFound, ValidationFailed
from borderflow.exchange.config import NoSigningKey
from borderflow.schemas import _dotted

log = logging.getLogger("borderflow.api")
TYPE_BASE = "https://borderflow.example/problems/"
TITLES = {400: "Malformed request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
          408: "Request timeout", 415: "Unsupported media type", 422: "Validation failed",
          429: "Too many requests", 500: "Internal error", 503: "Service unavailable"}
DB_RETRY_AFTER_S = 5
"""What a 503 for an unreachable database tells the client to wait before trying again."""

request_id: ContextVar[str | None] = ContextVar("borderflow_request_id", default=None)


def _body(status: int, detail: str, type_: str | None, extra: dict) -> dict:
    body = {"type": TYPE_BASE + (type_ or TITLES.get(status, "error").lower().replace(" ", "-")),
            "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    rid = request_id.get()
    if rid is not None:
        body["request_id"] = rid
    return body


def problem(status: int, detail: str, *, type_: str | None = None, headers: dict | None = None,
            **extra: object) -> JSONResponse:
    rid = request_id.get()
    headers = {**(headers or {}), **({"X-Request-Id": rid} if rid else {})}
    return JSONResponse(_body(status, detail, type_, extra), status_code=status,
                        media_type="application/problem+json", headers=headers)


def problem_bytes(status: int, detail: str, *, type_: str | None = None, close: bool = False,
                  **extra: object) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """A problem for middleware that speaks ASGI directly: the body and its headers."""
    body = json.dumps(_body(status, detail, type_, extra)).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    return body, headers + ([(b"connection", b"close")] if close else [])


def database_unreachable(exc: BaseException) -> bool:
    """The database cannot be reached or has gone away (not: the statement was wrong)."""
    if isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)):
        return True
    return isinstance(exc, sa_exc.DBAPIError) and bool(exc.connection_invalidated)


def _request_errors(exc: RequestValidationError) -> tuple[int, list[dict]]:
    errors, malformed = [], False
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        source = loc[0] if loc else "body"
        path = _dotted(loc[1:]) if source == "body" else f"{source}.{_dotted(loc[1:])}"
        if err.get("type") == "json_invalid":
            malformed = True
            ctx = err.get("ctx", {})
            errors.append({"loc": "body", "msg": f"invalid JSON: {ctx.get('error', err['msg'])}", "code": "json_invalid"})
            continue
        msg = err["msg"]
        if err["type"] not in ("missing", "extra_forbidden") and not isinstance(err.get("input"), (dict, list)):
            msg += f" (got {err.get('input')!r})"
        errors.append({"loc": path or source, "msg": msg, "code": err["type"]})
    return (400 if malformed else 422), errors


def install(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _validation(_: Request, exc: ValidationFailed) -> JSONResponse:
        errors = [{"loc": p.loc, "msg": p.msg, "code": p.code} for p in exc.problems]
        return problem(422, f"{len(errors)} problem(s) in the request; each is listed in errors", errors=errors)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        status, errors = _request_errors(exc)
        detail = "the body is not valid JSON" if status == 400 else f"{len(errors)} problem(s) in the request"
        return problem(status, detail, errors=errors)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return problem(404, f"{exc.what} does not exist (or is not visible to you)")

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, exc.detail)

    @app.exception_handler(Conflict)
    async def _conflict(_: Request, exc: Conflict) -> JSONResponse:
        extra: dict[str, object] = {"current_status": exc.current_status} if exc.current_status else {}
        if exc.rule is not None:  # a rule's refusal always says when it ends; null: not by waiting
            extra["rule"] = exc.rule
            extra["until"] = exc.until.isoformat() if exc.until is not None else None
        elif exc.until is not None:
            extra["until"] = exc.until.isoformat()
        return problem(409, exc.detail, **extra)

    @app.exception_handler(NoSigningKey)
    async def _no_key(_: Request, exc: NoSigningKey) -> JSONResponse:
        return problem(503, str(exc), type_="no-signing-key")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(sa_exc.SQLAlchemyError)
    async def _database(request: Request, exc: sa_exc.SQLAlchemyError) -> JSONResponse:
        if not database_unreachable(exc):
            return await _unexpected(request, exc)
        log.error("database unreachable on %s %s: %s", request.method, request.url.path,
                  str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        return problem(503, "the node cannot reach its database just now; try again shortly",
                       type_="database-unavailable", headers={"Retry-After": str(DB_RETRY_AFTER_S)})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "the node failed to handle this request; it has been logged")
