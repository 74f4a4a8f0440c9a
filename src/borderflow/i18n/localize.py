"""The API's answers in the caller's language (`Accept-Language`: vi, zh, en; default en).

Every text the node says keeps its field (`reason`, `hold_reason`, `risk_reasons`, an
event's `cause`, a notification's `message`, the driver's `next_step`, an exchange link's
`last_error`), rendered, and gets
its message beside it (`<field>_code`, `<field>_params`; `risk_reason_codes` for the risk
reasons), so an integrator can render its own. Text that is a person's own words (an
officer's hold reason) has no code and stays as written.

What the partner is answered (`/api/v1/exchange/messages`) is left alone, and so are the envelopes
and receipts an operator reads: they are signed as sent.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.types import ASGIApp, Message as AsgiMessage, Receive, Scope, Send

from borderflow.domain.messages import to_json
from borderflow.i18n.catalogue import from_header, message_of, render, render_code

TEXT_FIELDS = ("reason", "hold_reason", "cause", "next_step", "message", "no_call_reason", "last_error")
SKIP_PREFIXES = ("/api/v1/exchange/messages",)  # what the partner is answered: receipts, signed as sent
AS_SUBMITTED = frozenset({"declaration", "payload", "envelope", "receipt"})  # typed by a person or signed: as it is
CODED_LISTS = ("warnings", "discrepancies")  # entries with code, params and msg (a warning, a reconciliation's finding)
WORTH_A_LOOK = tuple(f'"{name}"'.encode() for name in (*TEXT_FIELDS, "risk_reasons", *CODED_LISTS))


def language_of(scope: Scope) -> str:
    """The language an ASGI request asks for (`Accept-Language`), as `from_header` reads it."""
    return from_header(next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"accept-language"),
                            ""))


def localize(value: Any, lang: str) -> Any:  # noqa: ANN401
    """A JSON document with every text the node said rendered in `lang`, and its code beside it."""
    if isinstance(value, list):
        return [localize(v, lang) for v in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if key == "risk_reasons" and isinstance(item, list):
            found = [message_of(r) for r in item]
            out[key] = [render(m, lang) if m is not None else r for m, r in zip(found, item, strict=True)]
            out["risk_reason_codes"] = [m.as_json() if m is not None else {"code": "risk.rule", "params": {"text": r}}
                                        for m, r in zip(found, item, strict=True)]
        elif key in TEXT_FIELDS and isinstance(item, str):
            message = message_of(item)
            out[key] = render(message, lang) if message is not None else item
            if message is not None:
                prefix = f"{key}_msg" if f"{key}_code" in value else key
                out[f"{prefix}_code"], out[f"{prefix}_params"] = message.code, to_json(message.params)
        elif key in AS_SUBMITTED:
            out[key] = item
        elif key in CODED_LISTS and isinstance(item, list):
            out[key] = [_warning(w, lang) for w in item]
        else:
            out[key] = localize(item, lang)
    return out


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

        await self.app(scope, receive, capture)


async def _send_localized(send: Send, start: AsgiMessage, body: bytes, lang: str) -> None:
    if any(marker in body for marker in WORTH_A_LOOK):
        try:
            body = json.dumps(localize(json.loads(body), lang), ensure_ascii=False,
                              separators=(",", ":")).encode()
        except ValueError:
            pass
    headers = [(k, v) for k, v in start.get("headers", ()) if k != b"content-length"]
    headers += [(b"content-length", str(len(body)).encode()), (b"content-language", lang.encode()),
                (b"vary", b"Accept-Language")]
    await send({**start, "headers": headers})
    await send({"type": "http.response.body", "body": body})
