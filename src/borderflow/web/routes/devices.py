"""The console's device screens: evidence images (officers only) and seeing to a barrier alert."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from borderflow.devices.barrier import commands
from borderflow.domain.errors import DomainError
from borderflow.services.idempotency import run_once
from borderflow.web import device_views, i18n, sessions
from borderflow.web.pages import SECURITY_HEADERS, posted_form, redirect, render, require, web
from borderflow.web.refusals import describe
from borderflow.web.routes.console_actions import back

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/evidence/{digest}")
def evidence_image(request: Request, digest: str) -> Response:
    who = require(request, "officer")
    if not who.may("evidence.read"):
        return render(request, "not_found.html", status=403)
    found = device_views.image(web(request).ctx, digest)
    if found is None:
        return render(request, "not_found.html", status=404)
    data, content_type = found
    headers = {**SECURITY_HEADERS, "Cache-Control": "private, max-age=86400, immutable", "ETag": f'"{digest}"'}
    return Response(data, media_type=content_type, headers=headers)


@router.post("/barrier-alerts/{command_id}")
async def acknowledge(request: Request, command_id: int) -> Response:
    who, form = await posted_form(request, "officer")
    ctx, session = web(request).ctx, sessions.of(request)
    try:
        run_once(ctx, who, form.get("token") or None, {"barrier_alert": command_id},
                 lambda uow: (200, commands.acknowledge(ctx, uow, who, command_id, form.get("note", "")[:500])))
        session.say("ok", i18n.translations(i18n.choose(request)).gettext("Barrier alert acknowledged"))
    except DomainError as exc:
        session.say("error", describe(exc))
    return redirect(request, back(request, form, "/console"))
