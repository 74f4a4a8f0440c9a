"""The declarant portal: declare (errors next to the fields), amend, cancel, book a slot."""

from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import Response

from borderflow import schemas
from borderflow.domain.directions import lane_direction_for
from borderflow.domain.errors import DomainError, NotFound, ValidationFailed
from borderflow.domain.roles import Principal
from borderflow.services import bookings, crossings
from borderflow.services.idempotency import run_once
from borderflow.web import forms, i18n, labels, optional, sessions
from borderflow.web.pages import posted_form, redirect, render, require, web
from borderflow.web.refusals import describe

router = APIRouter(prefix="/portal", include_in_schema=False)
BLANK_ROWS = {"containers": 1, "goods": 1, "documents": 3}
SLOT_HOURS = 48
WARNINGS_SHOWN = 3  # the flash lives in the session cookie: a few lines, not the whole list


@router.get("")
def portal(request: Request) -> Response:
    who = require(request, "declarant")
    with web(request).ctx.uow(write=False) as uow:
        mine = crossings.search(uow, who, status=None, gate=None, plate=request.query_params.get("plate") or None,
                                risk_lane=None, limit=200, offset=0)
    return render(request, "portal/index.html", crossings=mine)


def _form_page(request: Request, who: Principal, *, values: dict, errors: dict, status: int = 200,
               crossing: dict | None = None) -> Response:
    rows = {key: max(BLANK_ROWS[key], forms.rows_in(values, key)) for key in BLANK_ROWS}
    return render(request, "portal/declare.html", status=status, values=values, errors=errors, rows=rows,
                  crossing=crossing, document_types=list(labels.DOCUMENT), token=str(uuid.uuid4()),
                  tz=web(request).tz)


@router.get("/declare")
def declare_form(request: Request) -> Response:
    who = require(request, "declarant")
    values = {"direction": "export", "gate": next(iter(web(request).ctx.node.gates)),
              "declarant.tax_id": who.declarant_tax_id or "", "declarant.name": who.name,
              "vehicle.country": web(request).ctx.node.country, "driver.nationality": web(request).ctx.node.country}
    return _form_page(request, who, values=values, errors={})


def document_of(request: Request, form: dict[str, str], *, amending: bool,
              gate_code: str | None = None) -> tuple[dict, dict[str, int]]:
    """The form as a declaration; its arrival time read in the gate's own time zone."""
    doc, moved = forms.nest(form, blanks_as_null=amending)
    gate = web(request).ctx.node.gate(gate_code or str(doc.get("gate") or "").upper())
    tz = ZoneInfo(gate.timezone) if gate else web(request).tz
    if "expected_arrival" in doc:
        doc["expected_arrival"] = forms.with_zone(doc["expected_arrival"], tz)
    return doc, moved


@router.post("/declare")
async def declare(request: Request) -> Response:
    who, form = await posted_form(request, "declarant")
    ctx = web(request).ctx
    doc, moved = document_of(request, form, amending=False)
    try:
        model = schemas.parse_declaration(doc)
        _, view, _ = run_once(ctx, who, form.get("token") or None, model.model_dump(mode="json"),
                              lambda uow: crossings.declare(ctx, uow, who, model))
    except ValidationFailed as exc:
        return _form_page(request, who, values=form, errors=forms.errors_by_field(exc.problems, moved), status=422)
    session = sessions.of(request)
    session.say("ok", what="declare", ref=view["reference"], status=view["status"])
    for warning in (view.get("warnings") or [])[:WARNINGS_SHOWN]:
        other = warning.get("crossing_id")  # given only for a crossing this declarant may open
        session.say("warning", code=warning["code"], params=warning["params"],
                    links={"reference": f"/portal/crossings/{other}"} if other else None)
    return redirect(request, f"/portal/crossings/{view['id']}")


def visible(request: Request, who: Principal, crossing_id: str) -> dict:
    with web(request).ctx.uow(write=False) as uow:
        view = crossings.read(uow, who, crossing_id)
        view["versions"] = crossings.versions(uow, who, crossing_id)
    return view


@router.get("/crossings/{crossing_id}")
def crossing(request: Request, crossing_id: str) -> Response:
    who = require(request, "declarant")
    ctx = web(request).ctx
    try:
        view = visible(request, who, crossing_id)
    except NotFound:
        return render(request, "not_found.html", status=404)
    way = lane_direction_for(view["direction"])  # slots are per lane direction (outbound/inbound)
    try:
        slots = optional.read(ctx, bookings.slots, who, view["gate"], way, SLOT_HOURS)
    except DomainError:
        slots = optional.UNAVAILABLE
    try:
        booking = optional.read(ctx, bookings.get, who, crossing_id) or None
    except NotFound:
        booking = None
    available = slots is not optional.UNAVAILABLE
    return render(request, "portal/crossing.html", c=view, booking=booking, slots_available=available,
                  slot_days=by_day(request, [s for s in slots if s["capacity"] > 0] if available else []),
                  token=str(uuid.uuid4()))


def by_day(request: Request, slots: list[dict]) -> list[tuple[str, list[dict]]]:
    """Open hours grouped under their local day, in the page's language."""
    formats = i18n.Formats(i18n.choose(request), web(request).tz)
    days: dict[str, list[dict]] = {}
    for slot in slots:
        days.setdefault(formats.day(slot["start"]), []).append(slot)
    return list(days.items())


@router.get("/crossings/{crossing_id}/amend")
def amend_form(request: Request, crossing_id: str) -> Response:
    who = require(request, "declarant")
    try:
        view = visible(request, who, crossing_id)
    except NotFound:
        return render(request, "not_found.html", status=404)
    values = forms.flatten(view["declaration"])
    gate = web(request).ctx.node.gate(view["gate"])
    values["expected_arrival"] = forms.local_input(values.get("expected_arrival"),
                                                   ZoneInfo(gate.timezone) if gate
                                                   else web(request).tz)
    return _form_page(request, who, values=values, errors={}, crossing=view)


@router.post("/crossings/{crossing_id}/amend")
async def amend(request: Request, crossing_id: str) -> Response:
    who, form = await posted_form(request, "declarant")
    ctx = web(request).ctx
    try:
        view = visible(request, who, crossing_id)
    except NotFound:
        return render(request, "not_found.html", status=404)
    doc, moved = document_of(request, {k: v for k, v in form.items() if k not in ("direction", "gate")},
                           amending=True, gate_code=view["gate"])
    try:
        _, answer, _ = run_once(ctx, who, form.get("token") or None, {"id": crossing_id, "patch": doc},
                                lambda uow: crossings.amend(ctx, uow, who, crossing_id, doc))
    except ValidationFailed as exc:
        return _form_page(request, who, values={**form, "direction": view["direction"], "gate": view["gate"]},
                          errors=forms.errors_by_field(exc.problems, moved), status=422, crossing=view)
    except DomainError as exc:
        sessions.of(request).say("error", describe(exc))
        return redirect(request, f"/portal/crossings/{crossing_id}")
    sessions.of(request).say("ok", what="amend", ref=answer["reference"], status=answer["status"])
    return redirect(request, f"/portal/crossings/{crossing_id}")
