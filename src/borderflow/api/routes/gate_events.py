"""Device reports at the barrier and the review of reads nobody could match."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from borderflow.api.deps import ContextDep, CurrentPrincipal, IdempotencyKey, May
from borderflow.api.metrics import NodeMetrics
from borderflow.api.routes import ERRORS, GATE_DOC, Route, answer
from borderflow.domain.roles import Principal
from borderflow.schemas import GateDecision, GateEventIn, NoNul, ResolutionIn
from borderflow.services import gate
from borderflow.services.context import NodeContext
from borderflow.services.idempotency import run_once

router = APIRouter(route_class=Route, tags=["gate"], responses={k: ERRORS[k] for k in (400, 401, 403, 413, 422)})


@router.post("/gate-events", status_code=201, response_model=GateDecision)
def post_event(request: Request, ctx: ContextDep, principal: May("gate.event"), body: GateEventIn,
               idempotency_key: IdempotencyKey = None):
    """A plate read gets a decision (`open` or `hold` with a reason); weighings and barrier states are kept."""
    return recorded(ctx, principal, body, idempotency_key, request.app.state.metrics)


def recorded(ctx: NodeContext, principal: Principal, body: GateEventIn, idempotency_key: str | None,
             metrics: NodeMetrics) -> Response:
    """The route's work once its caller may report gate events and its body is one (api/fast_writes
    calls it too)."""
    status, view, replayed = run_once(ctx, principal, idempotency_key, body.model_dump(mode="json"),
                                      lambda uow: gate.record(ctx, uow, principal, body))
    if not replayed:
        metrics.count_decision(view)
    return answer(status, view, replayed)


@router.get("/gate-events/review")
def review(ctx: ContextDep, principal: CurrentPrincipal,
           gate_code: Annotated[str | None, Query(alias="gate", max_length=40, **GATE_DOC), NoNul] = None,
           ) -> list[dict]:
    """Plate reads that matched no declaration, several, or were too unsure: oldest first."""
    with ctx.uow(write=False) as uow:
        return gate.pending_reviews(uow, principal, gate_code.upper() if gate_code else None)


@router.post("/gate-events/{event_id}/resolution", responses={404: ERRORS[404], 409: ERRORS[409]},
             response_model=GateDecision)
def resolve(ctx: ContextDep, principal: May("gate.review"), event_id: Annotated[int, Path(ge=1, le=2**62)],
            body: ResolutionIn,
            idempotency_key: IdempotencyKey = None):
    """Say which crossing the read belongs to (it is then decided) or dismiss it as noise."""
    status, view, replayed = run_once(
        ctx, principal, idempotency_key, {"id": event_id, **body.model_dump()},
        lambda uow: gate.resolve(ctx, uow, principal, event_id, crossing_id=body.crossing_id,
                                 dismiss=body.dismiss, note=body.note))
    return answer(status, view, replayed)
