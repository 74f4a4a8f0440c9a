"""The API's answers in the caller's language (`Accept-Language`: vi, zh, en; default en).

Every text the node says keeps its field (`reason`, `hold_reason`, `risk_reasons`, an
event's `cause`, a notification's `message`, the driver's `next_step`, an exchange link's
`last_error`), rendered, and gets
its message beside it (`<field>_code`, `<field>_params`; `risk_reason_codes` for the risk
reasons), so an integrator can render its own. Text that is a person's own words (an
officer's hold reason) has no code and stays as written.

A route that renders its own answer (`api.routes.answer`, which every write route uses) reads the
language from `answer_language` and localizes the document before it is ever encoded; the middleware
then only passes it on, instead of parsing the bytes again to write them a second time.

What the partner is answered (`/api/v1/exchange/messages`) is left alone, and so are the envelopes
and receipts an operator reads: they are signed as sent.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message as AsgiMessage, Receive, Scope, Send

from borderflow.domain.messages import Message, to_json
from borderflow.i18n.catalogue import from_header, message_of, render, render_code

TEXT_FIELDS = ("reason", "hold_reason", "cause", "next_step", "message", "no_call_reason", "last_error")
SKIP_PREFIXES = ("/api/v1/exchange/messages",)  # what the partner is answered: receipts, signed as sent
AS_SUBMITTED = frozenset({"declaration", "payload", "envelope", "receipt"})  # typed by a person or signed: as it is
CODED_LISTS = ("warnings", "discrepancies")  # entries with code, params and msg (a warning, a reconciliation's finding)
# The language of the answer being made, for the routes that render their own (None: not localized).
answer_language: ContextVar[str | None] = ContextVar("answer_language", default=None)
WORTH_A_LOOK = tuple(f'"{name}"'.encode() for name in (*TEXT_FIELDS, "risk_reasons", *CODED_LISTS))


def language_of(scope: Scope) -> str:
    """The language an ASGI request asks for (`Accept-Language`), as `from_header` reads it."""
    return from_header(next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept-language"),
                            ""))


def localize(value: Any, lang: str, said: Callable[[Any], Message | None] = message_of) -> Any:  # noqa: ANN401
    """A JSON document with every text the node said rendered in `lang`, and its code beside it."""
    if isinstance(value, list | tuple):
        return [localize(v, lang, said) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "risk_reasons" and isinstance(item, list | tuple):
            found = [said(r) for r in item]
            out[key] = [render(m, lang) if m is not None else r for m, r in zip(found, item, strict=True)]
            out["risk_reason_codes"] = [m.as_json() if m is not None else {"code": "risk.rule", "params": {"text": r}}
                                        for m, r in zip(found, item, strict=True)]
        elif key in TEXT_FIELDS and isinstance(item, str):
            message = said(item)
            out[key] = render(message, lang) if message is not None else item
            if message is not None:
                prefix = f"{key}_msg" if f"{key}_code" in value else key
                out[f"{prefix}_code"], out[f"{prefix}_params"] = message.code, to_json(message.params)
        elif key in AS_SUBMITTED:
            out[key] = item
        elif key in CODED_LISTS and isinstance(item, list | tuple):
            out[key] = [_warning(w, lang) for w in item]
        else:
            out[key] = localize(item, lang, said)
    return out


def localized_json(value: Any, lang: str) -> bytes:  # noqa: ANN401
    """`value` localized and encoded byte for byte as the middleware writes it from `value` encoded:
    each text is read from its words, as the encoded answer (and the stored crossing) would be, not
    from the message object it still is here, which may carry more params than its words say."""
    return json.dumps(localize(value, lang, _as_read), ensure_ascii=False, allow_nan=False,
                      separators=(",", ":")).encode()


def _as_read(text: Any) -> Message | None:  # noqa: ANN401
    return message_of(str(text)) if isinstance(text, str) else None


def _warning(warning: Any, lang: str) -> Any:  # noqa: ANN401
    if isinstance(warning, dict) and "code" in warning:
        return {**warning, "msg": render_code(warning["code"], warning.get("params"), lang)}
    return warning


class LocalizeApi:
    """ASGI middleware: JSON answers under /api/v1 rendered in the language the caller asks for."""

    def __init__(self, app: ASGIApp, prefix: str = "/api/v1"):
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(self.prefix) or path.startswith(SKIP_PREFIXES):
            await self.app(scope, receive, send)
            return
        lang = language_of(scope)
        token = answer_language.set(lang)
        start: AsgiMessage | None = None
        chunks: list[bytes] = []

        async def capture(message: AsgiMessage) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", ()))
                content_type = headers.get(b"content-type", b"")
                # an answer that already says its language was rendered by its route (the wait feed)
                if content_type.startswith(b"application/json") and b"content-language" not in headers:
                    start = message
                    return
                await send(message)
            elif start is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await _send_localized(send, start, b"".join(chunks), lang)
            else:
                await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            answer_language.reset(token)


async def _send_localized(send: Send, start: AsgiMessage, body: bytes, lang: str) -> None:
    if any(marker in body for marker in WORTH_A_LOOK):
        try:
            body = localized_json(json.loads(body), lang)
        except ValueError:
            pass
    headers = [(k, v) for k, v in start.get("headers", ()) if k != b"content-length"]
    headers += [(b"content-length", str(len(body)).encode()), (b"content-language", lang.encode()),
                (b"vary", b"Accept-Language")]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
