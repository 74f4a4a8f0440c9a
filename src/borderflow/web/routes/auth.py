"""Sign-in with an API key (how the node's principals exist), sign-out, and the front door."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from borderflow.api import throttle
from borderflow.domain.roles import OFFICERS
from borderflow.services import apikeys
from borderflow.web import forms, sessions
from borderflow.web.pages import home_for, principal, redirect, render, web

router = APIRouter(include_in_schema=False)
ROLES_SIGNING_IN = OFFICERS | {"declarant", "statistics"}  # a statistics office reads the figures only


@router.get("/")
def front(request: Request) -> Response:
    return redirect(request, home_for(principal(request)))


@router.get("/login")
def login_form(request: Request) -> Response:
    return render(request, "login.html", error=None)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await forms.read(request)
    if not sessions.csrf_ok(request, form):
        return render(request, "login.html", status=403, error="csrf")
    key, address = form.get("key", "").strip(), throttle.client_address(request.scope)
    guard: throttle.Throttle = request.app.state.throttle
    wait = guard.retry_after(address, key)
    if wait:  # refused before the key is even looked at
        response = render(request, "login.html", status=429, error="throttled")
        response.headers["Retry-After"] = str(wait)
        return response
    ctx = web(request).ctx
    found = await run_in_threadpool(apikeys.lookup, ctx.engine, key) if key else None
    if found is None:
        guard.failed(address, key)
        await run_in_threadpool(throttle.audit_failure, ctx.engine, via="web", address=address, key=key,
                                at=ctx.clock.now())
        return render(request, "login.html", status=401, error="unknown")
    if found.role not in ROLES_SIGNING_IN:
        return render(request, "login.html", status=403, error="role")
    await run_in_threadpool(sessions.start, request, found)
    return redirect(request, after_sign_in(form.get("next", ""), home_for(found)))


def after_sign_in(wanted: str, home: str) -> str:
    """Back to the page that asked for the sign-in, if it is one of this role's own screens."""
    if wanted.startswith(home) and "//" not in wanted and "\\" not in wanted:
        return wanted
    return home


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await forms.read(request)
    if sessions.csrf_ok(request, form):
        await run_in_threadpool(sessions.end, request)
    return redirect(request, "/login")
