"""HTTP routes: each builds a command, calls one use case, and shapes the answer."""

from __future__ import annotations

from fastapi.responses import JSONResponse

PROBLEM = {"content": {"application/problem+json": {}}}
ERRORS = {status: {"description": text, **PROBLEM} for status, text in (
    (400, "Malformed JSON"), (401, "Missing or unknown API key"), (403, "Role not allowed"),
    (404, "Not found"), (409, "Not allowed in the current state"), (413, "Body too large"),
    (422, "Validation failed: every problem listed with its JSON path"))}


def answer(status: int, body: object, replayed: bool = False) -> JSONResponse:
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONResponse(body, status_code=status, headers=headers)
