"""Signed session cookies and CSRF tokens for the screens.

The cookie holds `{pid, csrf, exp, flash}` as JSON, signed with an HMAC of a key
derived from the node secret: the client can read it but not forge it. The principal
is looked up by id on every request, so a revoked API key ends its sessions at once.
The CSRF token is a synchronizer token: kept in the session, sent in a hidden field
of every form, compared on every POST. Cookies are HttpOnly and SameSite=Strict,
and Secure whenever the page was served over https.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass, field

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Engine, select

from borderflow.domain.roles import Principal
from borderflow.store import tables as t

COOKIE = "bf_session"
LIFETIME_S = 12 * 3600  # one shift
CSRF_FIELD = "csrf"


@dataclass
class Session:
    csrf: str
    pid: str | None = None
    exp: float = 0.0
    flash: list[dict] = field(default_factory=list)  # {kind: ok|error, text?, what?, ref?, status?}
    changed: bool = False

    def sign_in(self, principal_id: str) -> None:
        self.pid, self.csrf = principal_id, secrets.token_urlsafe(24)  # a fresh token: no fixation
        self.exp, self.changed = time.time() + LIFETIME_S, True

    def sign_out(self) -> None:
        self.pid, self.csrf, self.flash, self.changed = None, secrets.token_urlsafe(24), [], True

    def say(self, kind: str, text: str = "", **facts: str) -> None:
        """A message for the next page: `text` is shown as given (the API's words), `facts`
        (what happened, reference, new status) are shown through the catalogue."""
        self.flash = [*self.flash[-4:], {"kind": kind, "text": text[:600], **facts}]
        self.changed = True

    def take_flash(self) -> list[dict]:
        messages, self.flash = self.flash, []
        self.changed = self.changed or bool(messages)
        return messages


class Codec:
    def __init__(self, secret: bytes):
        self._key = hmac.new(secret, b"borderflow web session v1", hashlib.sha256).digest()

    def _mac(self, payload: bytes) -> str:
        return _b64(hmac.new(self._key, payload, hashlib.sha256).digest())

    def dumps(self, session: Session) -> str:
        payload = json.dumps({"pid": session.pid, "csrf": session.csrf, "exp": session.exp,
                              "flash": session.flash}, separators=(",", ":")).encode()
        return f"{_b64(payload)}.{self._mac(payload)}"

    def loads(self, cookie: str | None) -> Session:
        fresh = Session(csrf=secrets.token_urlsafe(24), changed=True)
        if not cookie or "." not in cookie:
            return fresh
        body, mac = cookie.rsplit(".", 1)
        try:
            payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        except ValueError:
            return fresh
        if not hmac.compare_digest(mac, self._mac(payload)):
            return fresh
        data = json.loads(payload)
        session = Session(csrf=data["csrf"], pid=data.get("pid"), exp=data.get("exp", 0.0),
                          flash=data.get("flash", []))
        if session.pid is not None and session.exp < time.time():
            session.sign_out()
        return session


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def of(request: Request) -> Session:
    """The request's session, decoded once."""
    if not hasattr(request.state, "web_session"):
        request.state.web_session = request.app.state.web.codec.loads(request.cookies.get(COOKIE))
    return request.state.web_session


def store(request: Request, response: Response) -> Response:
    session = of(request)
    if session.changed:
        response.set_cookie(COOKIE, request.app.state.web.codec.dumps(session), max_age=LIFETIME_S, path="/",
                            httponly=True, samesite="strict", secure=request.url.scheme == "https")
    return response


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    sent = form.get(CSRF_FIELD, "")
    return bool(sent) and hmac.compare_digest(sent, of(request).csrf)


def principal_by_id(engine: Engine, principal_id: str) -> Principal | None:
    k = t.api_keys.c
    with engine.connect() as conn:
        row = conn.execute(select(k.id, k.role, k.name, k.declarant_tax_id, k.revoked_at)
                           .where(k.id == principal_id)).first()
    if row is None or row.revoked_at is not None:
        return None
    return Principal(id=row.id, role=row.role, name=row.name, declarant_tax_id=row.declarant_tax_id)
