"""Every error leaves the node as application/problem+json (RFC 9457).

Validation errors list every problem with its JSON path; nothing a client sends
may turn into a 500. What the node says is rendered in the language of `Accept-Language`
(vi, zh, en; default en) with its message beside it: a problem's `code` and `params` for
`detail`, and each error's `params` and `msg_code` (its `code` names the rule that failed). Every problem carries the request's id (`request_id`, also in the
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

from borderflow.domain.errors import Conflict, Forbidden, NotFound, Problem, ValidationFailed
from borderflow.domain.messages import Message, say, to_json
from borderflow.exchange.config import NoSigningKey
from borderflow.i18n import catalogue
from borderflow.schemas import _dotted, pydantic_problem

log = logging.getLogger("borderflow.api")
TYPE_BASE = "https://borderflow.example/problems/"
TITLES = {400: "Malformed request", 401: "Not authenticated", 403: "Forbidden", 404: "Not found",
          405: "Method not allowed", 409: "Conflict", 413: "Request body too large",
          408: "Request timeout", 415: "Unsupported media type", 422: "Validation failed",
          429: "Too many requests", 500: "Internal error", 503: "Service unavailable"}
DB_RETRY_AFTER_S = 5
"""What a 503 for an unreachable database tells the client to wait before trying again."""

request_id: ContextVar[str | None] = ContextVar("borderflow_request_id", default=None)


def _body(status: int, detail: str, type_: str | None, extra: dict, lang: str = catalogue.DEFAULT) -> dict:
    title = TITLES.get(status, "Error")
    if catalogue.messages.known(f"title.{status}"):
        title = catalogue.render_code(f"title.{status}", {}, lang)
    said = catalogue.message_of(detail)
    if said is not None:
        extra = {"code": said.code, "params": to_json(said.params), **extra}
        detail = catalogue.render(said, lang)
    body = {"type": TYPE_BASE + (type_ or TITLES.get(status, "error").lower().replace(" ", "-")),
            "title": title, "status": status, "detail": detail, **extra}
    rid = request_id.get()
    if rid is not None:
        body["request_id"] = rid
    return body


def problem(status: int, detail: str, *, type_: str | None = None, headers: dict | None = None,
            lang: str | None = None, **extra: object) -> JSONResponse:
    """`detail` may be a message: rendered in `lang` (the request's language), its code beside it."""
    rid = request_id.get()
    lang = lang or language.get()
    headers = {**(headers or {}), **({"X-Request-Id": rid} if rid else {}), "Content-Language": lang}
    return JSONResponse(_body(status, detail, type_, extra, lang), status_code=status,
                        media_type="application/problem+json", headers=headers)


language: ContextVar[str] = ContextVar("borderflow_language", default=catalogue.DEFAULT)
"""The language of the request being answered (set by the handlers below from Accept-Language)."""


def _lang(request: Request | None) -> str:
    lang = catalogue.from_header(request.headers.get("accept-language") if request is not None else None)
    language.set(lang)
    return lang


def error_entry(p: Problem, lang: str) -> dict:
    """One problem of a 422: `msg` in `lang`, and the message it says (`msg_code`, `params`)."""
    message = p.message
    msg = catalogue.render_code(message.code, message.params, lang) if message is not None and lang != "en" \
        else p.msg
    entry = {"loc": p.loc, "msg": str(msg), "code": p.code, "params": to_json(p.params)}
    if message is not None:
        entry["msg_code"] = message.code
    return entry


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


def _request_errors(exc: RequestValidationError, lang: str = catalogue.DEFAULT) -> tuple[int, list[dict]]:
    errors, malformed = [], False
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        source = loc[0] if loc else "body"
        path = _dotted(loc[1:]) if source == "body" else f"{source}.{_dotted(loc[1:])}"
        if err.get("type") == "json_invalid":
            malformed = True
            ctx = err.get("ctx", {})
            detail = str(ctx.get("error", err["msg"]))
            errors.append(error_entry(Problem("body", f"invalid JSON: {detail}", "json_invalid", {"detail": detail},
                                              "input.json_invalid"), lang))
            continue
        errors.append(error_entry(pydantic_problem(err, path or source), lang))
    return (400 if malformed else 422), errors


def install(app: FastAPI) -> None:
    @app.exception_handler(ValidationFailed)
    async def _validation(request: Request, exc: ValidationFailed) -> JSONResponse:
        lang = _lang(request)
        errors = [error_entry(p, lang) for p in exc.problems]
        return problem(422, say("problem.validation", count=len(errors)), errors=errors, lang=lang)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = _lang(request)
        status, errors = _request_errors(exc, lang)
        detail = say("problem.not_json") if status == 400 else say("problem.request", count=len(errors))
        return problem(status, detail, errors=errors, lang=lang)

    @app.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> JSONResponse:
        what = exc.what if isinstance(exc.what, Message) else catalogue.message_of(exc.what) or exc.what
        return problem(404, say("problem.not_found", what=what), lang=_lang(request))

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> JSONResponse:
        return problem(403, exc.detail, lang=_lang(request))

    @app.exception_handler(Conflict)
    async def _conflict(request: Request, exc: Conflict) -> JSONResponse:
        _lang(request)
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
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "error")
        return problem(exc.status_code, detail, headers=getattr(exc, "headers", None), lang=_lang(request))

    @app.exception_handler(sa_exc.SQLAlchemyError)
    async def _database(request: Request, exc: sa_exc.SQLAlchemyError) -> JSONResponse:
        if not database_unreachable(exc):
            return await _unexpected(request, exc)
        log.error("database unreachable on %s %s: %s", request.method, request.url.path,
                  str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__)
        return problem(503, say("problem.database"), type_="database-unavailable",
                       headers={"Retry-After": str(DB_RETRY_AFTER_S)}, lang=_lang(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, say("problem.unexpected"), lang=_lang(request))
