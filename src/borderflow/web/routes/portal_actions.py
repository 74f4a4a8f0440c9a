"""The declarant's quick actions: check a form as it is typed, cancel a crossing, book,
reschedule or drop a slot."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from borderflow import schemas
from borderflow.domain.errors import DomainError, Problem, ValidationFailed
from borderflow.domain.validation import validate_declaration
from borderflow.services import bookings, crossings
from borderflow.services.idempotency import run_once
from borderflow.web import forms, sessions
from borderflow.web.pages import posted_form, redirect, require, web
from borderflow.web.refusals import describe
from borderflow.web.routes.portal import document_of, visible

router = APIRouter(prefix="/portal", include_in_schema=False)


@router.post("/check")
async def check(request: Request) -> Response:
    """Inline validation as the declarant types: the API's own checks, nothing saved."""
    who = require(request, "declarant")
    form = await forms.read(request)
    if not sessions.csrf_ok(request, form):
        return JSONResponse({"errors": {}, "expired": True}, status_code=403)
    ctx, crossing_id = web(request).ctx, request.query_params.get("crossing")
    try:
        base = visible(request, who, crossing_id)["declaration"] if crossing_id else None
        doc, moved = document_of(request, {k: v for k, v in form.items() if not (base and k in ("direction", "gate"))},
                               amending=base is not None, gate_code=base["gate"] if base else None)
        if base is not None:
            doc = schemas.merge(base, doc)
        model = schemas.parse_declaration(doc)
        problems = validate_declaration(model.to_domain(), ctx.validation())
    except ValidationFailed as exc:
        problems = exc.problems
    except DomainError:
        problems, moved = [], {}
    return JSONResponse({"errors": forms.errors_by_field(problems, moved)}, headers={"Cache-Control": "no-store"})


@router.post("/crossings/{crossing_id}/cancel")
async def cancel(request: Request, crossing_id: str) -> Response:
    who, form = await posted_form(request, "declarant")
    ctx, session = web(request).ctx, sessions.of(request)
    note = form.get("note", "").strip()[:500]
    try:
        _, view, _ = run_once(ctx, who, form.get("token") or None, {"id": crossing_id, "cancel": note},
                              lambda uow: crossings.cancel(ctx, uow, who, crossing_id, note))
        session.say("ok", what="cancel", ref=view["reference"], status=view["status"])
    except DomainError as exc:
        session.say("error", describe(exc))
    return redirect(request, f"/portal/crossings/{crossing_id}")


@router.post("/crossings/{crossing_id}/booking")
async def book(request: Request, crossing_id: str) -> Response:
    """Book a slot, or move the booking to another (a reschedule, counted by the booking rules)."""
    who, form = await posted_form(request, "declarant")
    ctx, session = web(request).ctx, sessions.of(request)
    unbook = form.get("cancel") == "1"
    try:
        if unbook:
            work, body = (lambda uow: bookings.cancel(ctx, uow, who, crossing_id)), {"unbook": crossing_id}
        else:
            start = _slot_start(form.get("slot_start", ""))
            work, body = (lambda uow: bookings.book(ctx, uow, who, crossing_id, start)), {
                "book": crossing_id, "slot_start": start.isoformat()}
        run_once(ctx, who, form.get("token") or None, body, work)
        session.say("ok", what="unbook" if unbook else "book", ref=form.get("reference", "")[:16])
    except DomainError as exc:
        session.say("error", describe(exc))
    return redirect(request, f"/portal/crossings/{crossing_id}")


def _slot_start(value: str) -> datetime:
    try:
        start = datetime.fromisoformat(value)
    except ValueError:
        raise ValidationFailed([Problem("slot_start", "choose one of the slots shown", "slot.missing")]) from None
    if start.tzinfo is None:
        raise ValidationFailed([Problem("slot_start", "expected a time with its UTC offset", "slot.naive")])
    return start
