"""HTTP routes: each builds a command, calls one use case, and shapes the answer."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.routing import compile_path
from starlette.types import Receive, Scope, Send

from borderflow.i18n.localize import answer_language, localized_json
from borderflow.reference.region import load_gates

# Gate codes in the OpenAPI document: the reference region's gates (a node answers for its own, listed
# by GET /api/v1/gates; codes are case-insensitive).
GATE_CODES = sorted(load_gates())
GATE_DOC = {"description": "a gate code: " + ", ".join(GATE_CODES) + " (this node's own: GET /api/v1/gates)",
            "json_schema_extra": {"enum": GATE_CODES}}

PROBLEM = {"content": {"application/problem+json": {}}}
ERRORS = {status: {"description": text, **PROBLEM} for status, text in (
    (400, "Malformed JSON"), (401, "Missing or unknown API key"), (403, "Role not allowed"),
    (404, "Not found"), (409, "Not allowed in the current state"), (413, "Body too large"),
    (422, "Validation failed: every problem listed with its JSON path"))}


def answer(status: int, body: object, replayed: bool = False) -> Response:
    """A write's answer, already in the caller's language where the API localizes (i18n/localize)."""
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    lang = answer_language.get()
    if lang is None:
        return JSONResponse(body, status_code=status, headers=headers)
    return Response(localized_json(body, lang), status_code=status, media_type="application/json",
                    headers={**headers, "Content-Language": lang, "Vary": "Accept-Language"})


class Route(APIRoute):
    """A 405 names every method the path allows (`Allow`), not only those of the first route
    that matched it: GET, PUT and DELETE on a booking are three routes."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods and "app" in scope:
            allowed = _methods_for(scope["app"], scope["path"]) or set(self.methods)
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        await super().handle(scope, receive, send)


def _methods_for(app: FastAPI, path: str) -> set[str]:
    """Every method the API documents for `path`, read from the app's own OpenAPI document."""
    methods: set[str] = set()
    for template, operations in app.openapi().get("paths", {}).items():
        if compile_path(template)[0].match(path):
            methods |= {m.upper() for m in operations if m in HTTP_METHODS}
    return methods


HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})
