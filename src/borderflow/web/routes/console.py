"""The officer console: live sign-off queue, yard, lanes, crossings, holds, reviews, partner link,
capacity."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from borderflow.domain.errors import NotFound
from borderflow.domain.signoffs import AGENCIES
from borderflow.services import crossings
from borderflow.web import console_data, device_views, sessions
from borderflow.web.pages import fragment, render, require, web
from borderflow.web.search import find as search_crossings

router = APIRouter(prefix="/console", include_in_schema=False)
PUSH_EVERY_S = 1.0
# A stream ends after this and the browser reconnects by itself (2 s later): so no stream
# outlives a server that is shutting down by more than this, and none is left dangling.
STREAM_LIFETIME_S = 20


def selection(request: Request) -> tuple[str, str]:
    gates = web(request).ctx.node.gates
    gate = request.query_params.get("gate", "").upper()
    direction = request.query_params.get("direction", "export")
    return (gate if gate in gates else next(iter(gates))), (direction if direction in ("export", "import")
                                                           else "export")


def agency(request: Request, who) -> str | None:  # noqa: ANN001
    """Whose sign-off queue to show: the officer's own agency, or the one a supervisor picked."""
    return console_data.agency_for(who, request.query_params.get("agency"))


def _panels(request: Request, who, gate: str, direction: str) -> dict[str, str]:  # noqa: ANN001
    chosen = agency(request, who)
    data = console_data.gather(web(request).ctx, who, gate, direction, chosen)
    here = f"/console?gate={quote(gate)}&direction={quote(direction)}"  # where a panel's form comes back to
    if chosen and chosen != who.role:
        here += f"&agency={quote(chosen)}"
    return {name: fragment(request, f"console/_{name}.html", data=data, gate=gate, direction=direction,
                           agency=chosen, here=here, gate_obj=web(request).ctx.node.gate(gate))
            for name in console_data.panel_names(who)}


@router.get("")
def console(request: Request) -> Response:
    who = require(request, "officer")
    gate, direction = selection(request)
    return render(request, "console/index.html", gate=gate, direction=direction, agency=agency(request, who),
                  agencies=AGENCIES, panels=_panels(request, who, gate, direction),
                  names=console_data.panel_names(who))


@router.get("/stream")
async def stream(request: Request) -> Response:
    """Server-sent events: each panel's HTML, sent again whenever it changes."""
    who = require(request, "officer")
    gate, direction = selection(request)
    ctx = web(request).ctx

    async def events():  # noqa: ANN202
        sent: dict[str, str] = {}
        shown = request.headers.get("last-event-id")  # what the page already shows, after a reconnect
        started = time.monotonic()
        yield "retry: 2000\n\n"
        while time.monotonic() - started < STREAM_LIFETIME_S and not await request.is_disconnected():
            if await run_in_threadpool(sessions.principal_by_id, ctx.engine, who.id) is None:
                break  # the key was revoked: its sessions stop seeing the console at once
            panels = await run_in_threadpool(_panels, request, who, gate, direction)
            changed = {}
            for name, html in panels.items():
                digest = hashlib.sha256(html.encode()).hexdigest()
                if sent.get(name) != digest:
                    sent[name], changed[name] = digest, html
            version = hashlib.sha256(json.dumps(sent, sort_keys=True).encode()).hexdigest()[:32]
            if changed and version != shown:
                yield f"id: {version}\nevent: panels\ndata: " + json.dumps(changed) + "\n\n"
                shown = version
            else:
                yield ": idle\n\n"
            await asyncio.sleep(PUSH_EVERY_S)
        yield "event: bye\ndata: {}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


@router.get("/search")
def search(request: Request) -> Response:
    who = require(request, "officer")
    query = request.query_params.get("q", "")[:64]
    results = search_crossings(web(request).ctx, who, query) if query.strip() else []
    return render(request, "console/search.html", query=query, results=results)


@router.get("/crossings/{crossing_id}")
def crossing(request: Request, crossing_id: str) -> Response:
    who = require(request, "officer")
    ctx = web(request).ctx
    try:
        with ctx.uow(write=False) as uow:
            view = crossings.read(uow, who, crossing_id)
            shown = device_views.for_crossing(uow, view["id"]) if who.may("evidence.read") else []
    except NotFound:
        return render(request, "not_found.html", status=404)
    return render(request, "console/crossing.html", c=view, can=console_data.allowed(who, view["status"]),
                  signing=console_data.signing(who, view), agencies=AGENCIES, evidence=shown)
