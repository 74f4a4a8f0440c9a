"""Declarations and what officers do with them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import Response

from borderflow.api.deps import ContextDep, CurrentPrincipal, IdempotencyKey, May
from borderflow.api.routes import ERRORS, GATE_DOC, Route, answer
from borderflow.api.metrics import NodeMetrics
from borderflow.domain import lifecycle
from borderflow.domain.roles import Principal
from borderflow.schemas import PLATE_MAX, Crossing, DeclarationIn, InspectionIn, NoNul, NoteIn, ReasonIn
from borderflow.services import crossings, officers, signoffs
from borderflow.services.context import NodeContext
from borderflow.services.idempotency import run_once

router = APIRouter(route_class=Route, tags=["crossings"], responses={k: ERRORS[k] for k in (400, 401, 403, 413, 422)})
WITH_404_409 = {404: ERRORS[404], 409: ERRORS[409]}
CrossingId = Annotated[str, Path(min_length=1, max_length=64), NoNul]


@router.post("/crossings", status_code=201, response_model=Crossing)
def declare(request: Request, ctx: ContextDep, principal: May("crossing.declare"), body: DeclarationIn,
            idempotency_key: IdempotencyKey = None):
    """Declare a crossing once: validated, assessed (risk lane with reasons) and announced to the partner."""
    return declared(ctx, principal, body, idempotency_key, request.app.state.metrics)


def declared(ctx: NodeContext, principal: Principal, body: DeclarationIn, idempotency_key: str | None,
             metrics: NodeMetrics) -> Response:
    """The route's work once its caller may declare and its body is a declaration (api/fast_writes
    calls it too)."""
    status, view, replayed = run_once(ctx, principal, idempotency_key, lambda: body.model_dump(mode="json"),
                                      lambda uow: crossings.declare(ctx, uow, principal, body))
    if not replayed:
        metrics.count_declaration(view)
    return answer(status, view, replayed)


@router.get("/crossings", response_model=list[Crossing])
def list_crossings(ctx: ContextDep, principal: CurrentPrincipal,
                   status: Annotated[str | None, Query(pattern="^(" + "|".join(lifecycle.STATUSES) + ")$")] = None,
                   gate: Annotated[str | None, Query(max_length=40, **GATE_DOC), NoNul] = None,
                   plate: Annotated[str | None, Query(max_length=PLATE_MAX), NoNul] = None,
                   risk_lane: Annotated[str | None, Query(pattern="^(green|blue|yellow|red)$")] = None,
                   limit: Annotated[int, Query(ge=1, le=500)] = 100,
                   offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[dict]:
    """Crossings, newest first; a declarant sees only its own."""
    with ctx.uow(write=False) as uow:
        return crossings.search(uow, principal, status=status, gate=gate.upper() if gate else None, plate=plate,
                                risk_lane=risk_lane, limit=limit, offset=offset)


@router.get("/signoffs")
def signoff_queue(ctx: ContextDep, principal: CurrentPrincipal,
                  agency: Annotated[str | None, Query(max_length=16, description="default: the caller's own"),
                                    NoNul] = None,
                  gate: Annotated[str | None, Query(max_length=40, **GATE_DOC), NoNul] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 200) -> dict:
    """One agency's work queue: the trucks still waiting for its sign-off, those at the gate first,
    oldest first."""
    with ctx.uow(write=False) as uow:
        return signoffs.work_queue(uow, principal, agency=agency, gate=gate, limit=limit)


@router.get("/crossings/{crossing_id}", responses={404: ERRORS[404]}, response_model=Crossing)
def read(ctx: ContextDep, principal: CurrentPrincipal, crossing_id: CrossingId) -> dict:
    with ctx.uow(write=False) as uow:
        return crossings.read(uow, principal, crossing_id)


@router.get("/crossings/{crossing_id}/versions", responses={404: ERRORS[404]})
def versions(ctx: ContextDep, principal: CurrentPrincipal, crossing_id: CrossingId) -> list[dict]:
    """Every version of the declaration, as submitted, with the lane it was given."""
    with ctx.uow(write=False) as uow:
        return crossings.versions(uow, principal, crossing_id)


@router.post("/crossings/{crossing_id}/amendments", status_code=201, responses=WITH_404_409,
             response_model=Crossing)
def amend(ctx: ContextDep, principal: May("crossing.amend"), crossing_id: CrossingId,
          body: Annotated[dict[str, Any], Body()],
          idempotency_key: IdempotencyKey = None):
    """A new version: send only what changes (objects merge, lists replace); the lane is re-assessed."""
    status, view, replayed = run_once(ctx, principal, idempotency_key, {"id": crossing_id, "patch": body},
                                      lambda uow: crossings.amend(ctx, uow, principal, crossing_id, body))
    return answer(status, view, replayed)


@router.post("/crossings/{crossing_id}/cancel", responses=WITH_404_409, response_model=Crossing)
def cancel(ctx: ContextDep, principal: May("crossing.cancel"), crossing_id: CrossingId, body: NoteIn | None = None,
           idempotency_key: IdempotencyKey = None):
    note = body.note if body else ""
    status, view, replayed = run_once(ctx, principal, idempotency_key, {"id": crossing_id, "cancel": note},
                                      lambda uow: crossings.cancel(ctx, uow, principal, crossing_id, note))
    return answer(status, view, replayed)


@router.post("/crossings/{crossing_id}/inspections", status_code=201, responses=WITH_404_409)
def inspect(ctx: ContextDep, principal: May("crossing.inspect"), crossing_id: CrossingId, body: InspectionIn,
            idempotency_key: IdempotencyKey = None):
    """An agency's sign-off: a document check or a physical inspection and its result. The agency
    is the caller's role (customs, quarantine, border_guard); a supervisor names it."""
    status, view, replayed = run_once(
        ctx, principal, idempotency_key, {"id": crossing_id, **body.model_dump()},
        lambda uow: officers.inspect(ctx, uow, principal, crossing_id, kind=body.kind, result=body.result,
                                     notes=body.notes, agency=body.agency))
    return answer(status, view, replayed)


@router.post("/crossings/{crossing_id}/hold", responses=WITH_404_409, response_model=Crossing)
def hold(ctx: ContextDep, principal: May("crossing.hold"), crossing_id: CrossingId, body: ReasonIn,
         idempotency_key: IdempotencyKey = None):
    status, view, replayed = run_once(ctx, principal, idempotency_key, {"id": crossing_id, "hold": body.reason},
                                      lambda uow: officers.hold(ctx, uow, principal, crossing_id, body.reason))
    return answer(status, view, replayed)


@router.post("/crossings/{crossing_id}/release", responses=WITH_404_409, response_model=Crossing)
def release(ctx: ContextDep, principal: May("crossing.release"), crossing_id: CrossingId, body: NoteIn | None = None,
            idempotency_key: IdempotencyKey = None):
    note = body.note if body else ""
    status, view, replayed = run_once(ctx, principal, idempotency_key, {"id": crossing_id, "release": note},
                                      lambda uow: officers.release(ctx, uow, principal, crossing_id, note))
    return answer(status, view, replayed)


@router.post("/crossings/{crossing_id}/refuse", responses=WITH_404_409, response_model=Crossing)
def refuse(ctx: ContextDep, principal: May("crossing.refuse"), crossing_id: CrossingId, body: ReasonIn,
           idempotency_key: IdempotencyKey = None):
    status, view, replayed = run_once(ctx, principal, idempotency_key, {"id": crossing_id, "refuse": body.reason},
                                      lambda uow: officers.refuse(ctx, uow, principal, crossing_id, body.reason))
    return answer(status, view, replayed)
