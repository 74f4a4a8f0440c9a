"""What officers do from the console: sign off (inspect), hold, release, refuse, call one truck
forward out of turn, resolve plate reads.

Each form carries a CSRF token and an idempotency key, so a double click or a resent
form takes effect once, exactly as a retried API call does.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from borderflow.domain.directions import lane_direction_for
from borderflow.domain.errors import DomainError, Forbidden, NotFound, Problem, ValidationFailed
from borderflow.domain.signoffs import AGENCIES
from borderflow.services import gate, officers, yard
from borderflow.services.idempotency import run_once
from borderflow.web import sessions
from borderflow.web.pages import posted_form, redirect, render, web
from borderflow.web.refusals import describe

router = APIRouter(prefix="/console", include_in_schema=False)
ACTIONS = ("inspect", "hold", "release", "refuse", "call")
WITH_REASON = ("hold", "refuse", "call")  # the reason is required, shown and kept in the history


def back(request: Request, form: dict[str, str], fallback: str) -> str:
    target = form.get("next", "")
    return target if target.startswith("/console") and "//" not in target else fallback


@router.post("/crossings/{crossing_id}/{action}")
async def act(request: Request, crossing_id: str, action: str) -> Response:
    who, form = await posted_form(request, "officer")
    if action not in ACTIONS:
        return render(request, "expired.html", status=403)
    ctx, session = web(request).ctx, sessions.of(request)
    text = form.get("reason" if action in WITH_REASON else "note", "").strip()[:500]
    kind, result, notes = form.get("kind", ""), form.get("result", ""), form.get("notes", "").strip()[:2000]
    agency = form.get("agency") or None  # whose sign-off: an officer's own agency; a supervisor names one
    work = {
        "inspect": lambda uow: officers.inspect(ctx, uow, who, crossing_id, kind=kind, result=result, notes=notes,
                                                agency=agency),
        "hold": lambda uow: officers.hold(ctx, uow, who, crossing_id, text),
        "release": lambda uow: officers.release(ctx, uow, who, crossing_id, text),
        "refuse": lambda uow: officers.refuse(ctx, uow, who, crossing_id, text),
        "call": lambda uow: (200, yard.call_one(ctx, uow, who, crossing_id, text)),
    }[action]
    try:
        if action in WITH_REASON and not text:
            raise ValidationFailed([_call_reason_needed() if action == "call" else _reason_needed()])
        if action == "inspect":
            if kind not in ("document", "physical") or result not in ("passed", "failed"):
                raise ValidationFailed([_inspection_needed()])
            if agency is not None and agency not in AGENCIES:
                raise ValidationFailed([Problem("agency", f"{agency!r} is not an agency; expected one of "
                                                          f"{', '.join(AGENCIES)}", "agency.unknown")])
            if result == "failed" and not notes:
                raise ValidationFailed([_failure_note_needed()])
        _, view, _ = run_once(ctx, who, form.get("token") or None, {"id": crossing_id, action: dict(form)}, work)
        if action == "call":
            session.say("ok", view["lane"], what="call", ref=view["reference"])  # the lane it is to take
        else:
            session.say("ok", what=action, ref=view["reference"], status=view["status"])
    except DomainError as exc:
        session.say("error", describe(exc))
    return redirect(request, back(request, form, f"/console/crossings/{crossing_id}"))


@router.post("/yard/call-forward")
async def call_forward(request: Request) -> Response:
    """Run a call-forward step now (the node also runs one every few seconds)."""
    who, form = await posted_form(request, "officer")
    ctx, session = web(request).ctx, sessions.of(request)
    gate_code, direction = form.get("gate", "").upper(), form.get("direction", "export")
    target = f"/console?gate={quote(gate_code)}&direction={quote(direction)}"
    if ctx.node.gate(gate_code) is None or direction not in ("export", "import"):
        session.say("error", what="unavailable")
        return redirect(request, target)
    try:
        if not who.may("yard.call"):
            raise Forbidden(f"role {who.role} may not call trucks forward")
        with ctx.uow() as uow:
            called = yard.call_forward(ctx, uow, gate_code, lane_direction_for(direction))
            uow.commit()
        session.say("ok", str(len(called)), what="call_forward")
    except DomainError as exc:
        session.say("error", describe(exc))
    return redirect(request, target)


@router.post("/reviews/{event_id}")
async def resolve(request: Request, event_id: int) -> Response:
    who, form = await posted_form(request, "officer")
    ctx, session = web(request).ctx, sessions.of(request)
    dismiss = form.get("dismiss") == "1"
    chosen = form.get("crossing_id", "").strip() or None
    typed = form.get("reference", "").strip().upper()
    try:
        if not dismiss and chosen is None and typed:
            with ctx.uow(write=False) as uow:
                record = uow.crossings.by_reference(typed)
            if record is None:
                raise NotFound(f"crossing {typed}")
            chosen = record.crossing.id
        _, view, _ = run_once(ctx, who, form.get("token") or None, {"review": event_id, **form},
                              lambda uow: gate.resolve(ctx, uow, who, event_id, crossing_id=None if dismiss else chosen,
                                                       dismiss=dismiss, note=form.get("note", "")[:500]))
        session.say("ok", view.get("reason") or "", what="review_" + view["review"], ref=f"#{event_id}",
                    status=view.get("status") or "")
    except DomainError as exc:
        session.say("error", describe(exc))
    return redirect(request, back(request, form, "/console"))


def _reason_needed() -> Problem:
    return Problem("reason", "give a reason: it is shown to the driver and kept in the history", "missing")


def _call_reason_needed() -> Problem:
    return Problem("reason", "give a reason for calling this truck out of turn: it is kept in the history and "
                             "the audit trail", "missing")


def _failure_note_needed() -> Problem:
    return Problem("notes", "say in a few words what failed: the truck is held or refused with it", "missing")


def _inspection_needed() -> Problem:
    return Problem("kind", "choose the kind of check (document or physical) and its result (passed or failed)",
                   "missing")
