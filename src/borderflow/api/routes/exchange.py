"""The partner exchange over HTTP: the partner delivers signed messages here; officers watch the link."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, ConfigDict, Field

from borderflow.api.deps import ContextDep, CurrentPrincipal, IdempotencyKey, May
from borderflow.api.routes import ERRORS, Route, answer
from borderflow.schemas import NoNul
from borderflow.exchange import inbox
from borderflow.services import exchange_ops
from borderflow.services.idempotency import run_once

router = APIRouter(route_class=Route, prefix="/exchange", tags=["exchange"],
                   responses={k: ERRORS[k] for k in (400, 401, 403, 413, 422)})
MAX_BATCH = 1000
Limit = Annotated[int, Query(ge=1, le=1000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Name = Annotated[str | None, Query(max_length=64), NoNul]


class Batch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    messages: list[Any] = Field(min_length=1, max_length=MAX_BATCH,
                                description="signed envelopes (see the exchange docs), in the order sent")


@router.post("/messages", responses={503: {"description": "This node has no signing key yet"}})
def deliver(ctx: ContextDep, principal: May("exchange.receive"), body: Batch) -> dict:
    """For the partner node only: a batch of signed messages; answers one signed receipt per message."""
    return {"receipts": inbox.receive(ctx, principal, body.messages)}


@router.get("/status")
def status(ctx: ContextDep, principal: CurrentPrincipal) -> list[dict]:
    """Per partner: last contact, outbox depth, oldest undelivered age, last error, counts."""
    with ctx.uow(write=False) as uow:
        return exchange_ops.status(ctx, uow, principal)


@router.get("/outbox")
def outbox(ctx: ContextDep, principal: CurrentPrincipal, partner: Name = None,
           state: Annotated[str | None, Query(pattern="^(pending|delivered|rejected)$")] = None,
           stream: Name = None, limit: Limit = 100, offset: Offset = 0) -> list[dict]:
    """Messages sent (or waiting to be), each with the partner's signed receipt."""
    with ctx.uow(write=False) as uow:
        return exchange_ops.outbox(uow, principal, partner_id=partner, state=state, stream=stream, limit=limit,
                                   offset=offset)


@router.get("/inbox")
def received(ctx: ContextDep, principal: CurrentPrincipal, sender: Name = None,
             state: Annotated[str | None, Query(pattern="^(held|applied|rejected)$")] = None,
             stream: Name = None, limit: Limit = 100, offset: Offset = 0) -> list[dict]:
    """Messages received from partners, as signed, with what was done with each."""
    with ctx.uow(write=False) as uow:
        return exchange_ops.inbox(uow, principal, sender=sender, state=state, stream=stream, limit=limit,
                                  offset=offset)


@router.get("/rejections")
def rejections(ctx: ContextDep, principal: CurrentPrincipal, limit: Limit = 100, offset: Offset = 0) -> list[dict]:
    """Deliveries refused before they were trusted: bad signatures, unknown senders, replays."""
    with ctx.uow(write=False) as uow:
        return exchange_ops.rejections(uow, principal, limit=limit, offset=offset)


@router.get("/capacity")
def capacity(ctx: ContextDep, principal: CurrentPrincipal) -> list[dict]:
    """The partner's latest announced acceptance capacity and closures, per gate."""
    with ctx.uow(write=False) as uow:
        return exchange_ops.capacity(ctx, uow, principal)


@router.get("/reports")
def reports(ctx: ContextDep, principal: CurrentPrincipal,
            kind: Annotated[str | None, Query(pattern="^(incident_report|hazard_alert)$")] = None,
            limit: Limit = 100, offset: Offset = 0) -> list[dict]:
    """Incident reports and hazard alerts, sent and received, newest first."""
    with ctx.uow(write=False) as uow:
        return exchange_ops.reports(uow, principal, kind=kind, limit=limit, offset=offset)


def _publish(ctx, principal, idempotency_key, kind: str, body: dict):  # noqa: ANN001, ANN202
    status_code, view, replayed = run_once(ctx, principal, idempotency_key, {kind: body},
                                           lambda uow: exchange_ops.publish_report(ctx, uow, principal, kind, body))
    return answer(status_code, view, replayed)



@router.post("/incidents", status_code=201, responses={201: {"description": "Queued for the partner"}})
def incident(ctx: ContextDep, principal: May("exchange.report"),
             body: Annotated[dict[str, Any], Body(description="an incident report; `id` is optional")],
             idempotency_key: IdempotencyKey = None):
    """Report a border incident to the partner (border guard, supervisor)."""
    return _publish(ctx, principal, idempotency_key, "incident_report", body)


@router.post("/hazard-alerts", status_code=201, responses={201: {"description": "Queued for the partner"}})
def hazard(ctx: ContextDep, principal: May("exchange.report"),
           body: Annotated[dict[str, Any], Body(description="a hazard alert; `id` is optional")],
           idempotency_key: IdempotencyKey = None):
    """Warn the partner of a hydro-meteorological or disaster hazard affecting a gate."""
    return _publish(ctx, principal, idempotency_key, "hazard_alert", body)


@router.post("/capacity-notices", status_code=201, responses={201: {"description": "Queued for the partner"}})
def capacity_notice(ctx: ContextDep, principal: May("exchange.capacity"),
                    body: Annotated[dict[str, Any], Body(description="{gate, hours: [{start, trucks}], closures: "
                                                                     "[{start, end, reason}]}")],
                    idempotency_key: IdempotencyKey = None):
    """Announce this side's acceptance capacity per hour (and closures) at one gate to the partner."""
    status_code, view, replayed = run_once(ctx, principal, idempotency_key, {"capacity": body},
                                           lambda uow: exchange_ops.publish_capacity(ctx, uow, principal, body))
    return answer(status_code, view, replayed)
