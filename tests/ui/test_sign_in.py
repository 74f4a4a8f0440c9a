"""Signing in to the screens: API keys map to the node's principals; sessions are signed,
HttpOnly, SameSite=Strict cookies; every form needs the session's CSRF token."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import update

from borderflow.services import apikeys
from borderflow.store import tables as t
from borderflow.web import sessions
from tests.support.declarations import green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, UI

pytestmark = UI


def fresh(node) -> httpx.Client:
    return httpx.Client(base_url=node.url, follow_redirects=False, timeout=10)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def signed_in(node, role: str, declarant: str | None = None) -> tuple[httpx.Client, str]:
    client = fresh(node)
    token = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf": token, "key": node.key(role, declarant)})
    assert answer.status_code == 303, answer.text
    return client, answer.headers["location"]


def test_officers_go_to_the_console_and_declarants_to_the_portal(ui_node):
    assert signed_in(ui_node, "customs")[1] == "/console"
    assert signed_in(ui_node, "declarant", DECLARANT_TAX_ID)[1] == "/portal"


def test_the_session_cookie_is_httponly_strict_and_rotates_its_token_at_sign_in(ui_node):
    client = fresh(ui_node)
    before = csrf_of(client.get("/login").text)
    answer = client.post("/login", data={"csrf": before, "key": ui_node.key("supervisor")})
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict") and "Path=/" in cookie
    assert "Secure" not in cookie  # served over plain http here; Secure whenever the page is https
    assert csrf_of(client.get("/console").text) != before


@pytest.mark.parametrize("role", ["device", "partner", "driver"])
def test_keys_of_machines_and_drivers_cannot_sign_in(ui_node, role):
    client = fresh(ui_node)
    answer = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": ui_node.key(role)})
    assert answer.status_code == 403
    assert client.get("/console").status_code == 303


def test_an_unknown_key_is_refused(ui_node):
    client = fresh(ui_node)
    answer = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": "bf_not-a-key"})
    assert answer.status_code == 401


def test_a_form_without_the_csrf_token_changes_nothing(ui_node):
    with ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        truck = declarant.post("/api/v1/crossings", json=green_cargo()).json()
    officer, _ = signed_in(ui_node, "supervisor")
    refused = officer.post(f"/console/crossings/{truck['id']}/hold", data={"reason": "forged", "csrf": "guess"})
    assert refused.status_code == 403
    no_login = fresh(ui_node).post("/login", data={"key": ui_node.key("supervisor")})
    assert no_login.status_code == 403
    with ui_node.client("supervisor") as supervisor:
        assert supervisor.get(f"/api/v1/crossings/{truck['id']}").json()["status"] == "declared"


def test_a_tampered_cookie_is_not_a_session(ui_node):
    officer, _ = signed_in(ui_node, "supervisor")
    value = officer.cookies[sessions.COOKIE]
    body, mac = value.rsplit(".", 1)
    forged = fresh(ui_node)
    forged.cookies.set(sessions.COOKIE, body + "." + mac[:-2] + ("AA" if mac[-2:] != "AA" else "BB"))
    answer = forged.get("/console")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_each_screen_is_for_its_own_role(ui_node):
    declarant, _ = signed_in(ui_node, "declarant", DECLARANT_TAX_ID)
    assert declarant.get("/console").status_code == 403
    officer, _ = signed_in(ui_node, "customs")
    assert officer.get("/portal").status_code == 403
    assert fresh(ui_node).get("/portal/declare").headers["location"] == "/login?next=%2Fportal%2Fdeclare"


def test_signing_in_returns_to_the_page_that_asked(ui_node):
    client = fresh(ui_node)
    token = csrf_of(client.get("/login?next=%2Fconsole%2Fsearch%3Fq%3D24C").text)
    back = client.post("/login", data={"csrf": token, "key": ui_node.key("customs"), "next": "/console/search?q=24C"})
    assert back.headers["location"] == "/console/search?q=24C"
    elsewhere = fresh(ui_node)
    token = csrf_of(elsewhere.get("/login").text)
    away = elsewhere.post("/login", data={"csrf": token, "key": ui_node.key("customs"), "next": "//evil.example/"})
    assert away.headers["location"] == "/console"


def test_revoking_the_key_ends_its_sessions(ui_node):
    key = apikeys.create(ui_node.ctx.engine, role="customs", name="officer leaving", declarant_tax_id=None,
                         at=ui_node.clock.now())
    client = fresh(ui_node)
    client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": key})
    assert client.get("/console").status_code == 200
    with ui_node.ctx.engine.begin() as conn:
        conn.execute(update(t.api_keys).where(t.api_keys.c.key_hash == apikeys.digest(key))
                     .values(revoked_at=ui_node.clock.now()))
    assert client.get("/console").status_code == 303


def test_signing_out_ends_the_session(ui_node):
    officer, _ = signed_in(ui_node, "customs")
    token = csrf_of(officer.get("/console").text)
    assert officer.post("/logout", data={"csrf": token}).status_code == 303
    assert officer.get("/console").status_code == 303


def test_pages_forbid_framing_and_outside_scripts(ui_node):
    answer = fresh(ui_node).get("/login")
    policy = answer.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "http" not in answer.text.split("<body", 1)[1].replace(ui_node.url, "")  # every asset is the node's own


def test_a_cookie_copied_before_sign_out_no_longer_opens_the_console(ui_node):
    officer, _ = signed_in(ui_node, "customs")
    copied = officer.cookies[sessions.COOKIE]
    token = csrf_of(officer.get("/console").text)
    assert officer.post("/logout", data={"csrf": token}).status_code == 303
    thief = fresh(ui_node)
    thief.cookies.set(sessions.COOKIE, copied)
    answer = thief.get("/console")
    assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_a_session_past_its_server_side_expiry_is_over(ui_node):
    officer, _ = signed_in(ui_node, "customs")
    assert officer.get("/console").status_code == 200
    from datetime import UTC, datetime, timedelta
    with ui_node.ctx.engine.begin() as conn:  # every session of this node: the cookie itself still says "valid"
        conn.execute(update(t.web_sessions).where(t.web_sessions.c.ended_at.is_(None))
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert officer.get("/console").status_code == 303


def test_a_key_past_its_expiry_ends_its_sessions_and_cannot_sign_in(ui_node):
    from datetime import UTC, datetime, timedelta
    key = apikeys.create(ui_node.ctx.engine, role="customs", name="temporary officer", declarant_tax_id=None,
                         at=ui_node.clock.now(), expires_days=1)
    client = fresh(ui_node)
    assert client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": key}).status_code == 303
    assert client.get("/console").status_code == 200
    with ui_node.ctx.engine.begin() as conn:
        conn.execute(update(t.api_keys).where(t.api_keys.c.key_hash == apikeys.digest(key))
                     .values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert client.get("/console").status_code == 303
    again = fresh(ui_node)
    assert again.post("/login", data={"csrf": csrf_of(again.get("/login").text), "key": key}).status_code == 401


def test_apikey_revoke_ends_the_sessions_of_the_key(ui_node):
    key = apikeys.create(ui_node.ctx.engine, role="supervisor", name="supervisor leaving", declarant_tax_id=None,
                         at=ui_node.clock.now())
    client = fresh(ui_node)
    client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": key})
    assert client.get("/console").status_code == 200
    apikeys.revoke(ui_node.ctx.engine, key[:10], at=ui_node.clock.now())
    assert client.get("/console").status_code == 303
    with ui_node.ctx.engine.connect() as conn:
        ended = conn.execute(t.web_sessions.select().join(t.api_keys)
                             .where(t.api_keys.c.key_hash == apikeys.digest(key))).all()
    assert ended and all(row.ended_at is not None for row in ended)


def test_wrong_sign_ins_are_throttled_with_retry_after_and_audited(ui_node):
    from borderflow.api.throttle import Throttle
    app = ui_node.server.config.app
    before, app.state.throttle = app.state.throttle, Throttle(address_limit=4, prefix_limit=3, window_s=60)
    try:
        client = fresh(ui_node)
        answers = [client.post("/login", data={"csrf": csrf_of(client.get("/login").text),
                                               "key": f"bf_{i}wrong-guess"}).status_code for i in range(4)]
        assert answers == [401, 401, 401, 401]
        refused = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": ui_node.key("customs")})
        assert refused.status_code == 429  # even a right key: the address is throttled before any look-up
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert "Too many failed sign-ins" in refused.text
        with ui_node.ctx.engine.connect() as conn:
            audited = conn.execute(t.audit_log.select().where(t.audit_log.c.action == "auth.failed")).all()
        assert sum(1 for row in audited if row.data["via"] == "web" and row.data["prefix"].endswith("wrong-")) == 4

        app.state.throttle = Throttle(address_limit=100, prefix_limit=3, window_s=60)  # one key's prefix, many tries
        for _ in range(3):
            client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": "bf_samepfx-a"})
        same = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": "bf_samepfx-b"})
        assert same.status_code == 429
        other = client.post("/login", data={"csrf": csrf_of(client.get("/login").text), "key": ui_node.key("customs")})
        assert other.status_code == 303
    finally:
        app.state.throttle = before
