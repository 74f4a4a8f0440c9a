"""Signed session cookies and CSRF tokens for the screens.

The cookie holds `{sid, pid, csrf, exp, flash}` as JSON, signed with an HMAC of a key
derived from the node secret: the client can read it but not forge it. A signed-in
session also lives on the server (`web_sessions`, keyed by the SHA-256 of `sid`), and
every request checks it together with its key, in one query: signing out, revoking
the key (`borderflow apikey revoke`), the key's expiry or the session's own (one shift)
end it at once, in every worker, even for a copy of the cookie taken before.
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
from datetime import UTC, datetime, timedelta

from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import Engine, delete, insert, select, update

from borderflow.domain.roles import Principal
from borderflow.services import apikeys
from borderflow.store import tables as t

COOKIE = "bf_session"
LIFETIME_S = 12 * 3600  # one shift
CSRF_FIELD = "csrf"


@dataclass
class Session:
    csrf: str
    pid: str | None = None
    exp: float = 0.0
    flash: list[dict] = field(default_factory=list)  # {kind: ok|error|warning, text?, what?, ref?, status?,
    #                                                   code?, params?, links?}
    changed: bool = False
    sid: str | None = None  # the server-side session's id (its SHA-256 is the row's key)

    def sign_in(self, principal_id: str, sid: str | None = None) -> None:
        self.pid, self.csrf = principal_id, secrets.token_urlsafe(24)  # a fresh token: no fixation
        self.sid = sid
        self.exp, self.changed = time.time() + LIFETIME_S, True

    def sign_out(self) -> None:
        self.pid, self.sid, self.csrf, self.flash, self.changed = None, None, secrets.token_urlsafe(24), [], True

    def say(self, kind: str, text: str = "", **facts: object) -> None:
        """A message for the next page: `text` is shown as given (the API's words), `facts`
        (what happened, reference, new status; or a message's code and params) are shown through
        the catalogue."""
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
        payload = json.dumps({"sid": session.sid, "pid": session.pid, "csrf": session.csrf, "exp": session.exp,
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
                          flash=data.get("flash", []), sid=data.get("sid"))
        if session.pid is not None and (session.exp < time.time() or not session.sid):
            session.sign_out()
        return session


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def of(request: Request) -> Session:
    """The request's session, decoded once; a signed-in one is checked against the server's record."""
    if not hasattr(request.state, "web_session"):
        session = request.app.state.web.codec.loads(request.cookies.get(COOKIE))
        if session.pid is not None:
            found = live_principal(request.app.state.web.ctx.engine, session.sid or "", session.pid)
            if found is None:
                session.sign_out()
            else:
                request.state.web_principal = found
        request.state.web_session = session
    return request.state.web_session


def _digest(sid: str) -> str:
    return hashlib.sha256(sid.encode()).hexdigest()


def start(request: Request, principal: Principal) -> None:
    """Sign `principal` in: a new server-side session (and a new CSRF token) for this browser."""
    engine: Engine = request.app.state.web.ctx.engine
    sid, now = secrets.token_urlsafe(32), datetime.now(UTC)
    s = t.web_sessions.c
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        conn.execute(delete(t.web_sessions).where(s.expires_at < now - timedelta(days=7)))  # tidy as we go
        conn.execute(insert(t.web_sessions).values(id=_digest(sid), api_key_id=principal.id, created_at=now,
                                                   expires_at=now + timedelta(seconds=LIFETIME_S)))
    of(request).sign_in(principal.id, sid)
    request.state.web_principal = principal


def end(request: Request) -> None:
    """Sign out: the server forgets the session, so no copy of the cookie opens anything again."""
    session = of(request)
    if session.sid:
        engine: Engine = request.app.state.web.ctx.engine
        with engine.connect().execution_options(write=True) as conn, conn.begin():
            conn.execute(update(t.web_sessions).where(t.web_sessions.c.id == _digest(session.sid),
                                                      t.web_sessions.c.ended_at.is_(None))
                         .values(ended_at=datetime.now(UTC)))
    session.sign_out()
    if hasattr(request.state, "web_principal"):
        del request.state.web_principal


def live_principal(engine: Engine, sid: str, principal_id: str) -> Principal | None:
    """The session's principal if the session was not ended or expired and its key still works."""
    if not sid:
        return None
    s, k = t.web_sessions.c, t.api_keys.c
    with engine.connect() as conn:
        row = conn.execute(select(s.ended_at, s.expires_at.label("session_expires_at"), k.id, k.role, k.name,
                                  k.declarant_tax_id, k.revoked_at, k.expires_at)
                           .join_from(t.web_sessions, t.api_keys, s.api_key_id == k.id)
                           .where(s.id == _digest(sid))).first()
    now = datetime.now(UTC)
    if (row is None or row.id != principal_id or row.ended_at is not None or row.session_expires_at <= now
            or not apikeys.usable(row, now)):
        return None
    return Principal(id=row.id, role=row.role, name=row.name, declarant_tax_id=row.declarant_tax_id)


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
        row = conn.execute(select(k.id, k.role, k.name, k.declarant_tax_id, k.revoked_at, k.expires_at)
                           .where(k.id == principal_id)).first()
    if row is None or not apikeys.usable(row):
        return None
    return Principal(id=row.id, role=row.role, name=row.name, declarant_tax_id=row.declarant_tax_id)
