"""Slots, bookings, the waiting yard, the driver's view and the public wait-time feed."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ConfigDict, Field

from borderflow.api.deps import ContextDep, CurrentPrincipal, IdempotencyKey, May
from borderflow.api.routes import ERRORS, GATE_DOC, Route, answer
from borderflow.i18n.catalogue import from_header
from borderflow.schemas import PLATE_MAX, Booking, NoNul, NulFree, PlausibleTime, ReasonIn
from borderflow.services import bookings, capacity, overrides, waits, yard, yard_views
from borderflow.services.idempotency import run_once

router = APIRouter(route_class=Route, responses={k: ERRORS[k] for k in (400, 401, 403, 413, 422)})
public = APIRouter(route_class=Route, tags=["public"], responses={422: ERRORS[422]})
CrossingId = Annotated[str, Path(min_length=1, max_length=64), NoNul]
GateCode = Annotated[str, Path(min_length=1, max_length=16, **GATE_DOC), NoNul]
GateQuery = Annotated[str, Query(max_length=16, **GATE_DOC), NoNul]
Direction = Annotated[Literal["inbound", "outbound"], Query()]
WITH_404_409 = {404: ERRORS[404], 409: ERRORS[409]}


class BookingIn(NulFree):
    model_config = ConfigDict(extra="forbid")
    slot_start: PlausibleTime = Field(description="start of the hour to book, e.g. 2026-11-27T09:00:00+07:00")


class OverrideIn(NulFree):
    model_config = ConfigDict(extra="forbid")
    direction: Literal["inbound", "outbound"]
    starts_at: PlausibleTime
    ends_at: PlausibleTime
    trucks_per_hour: int | None = Field(default=None, ge=0, le=10_000, description="null = closed")
    reason: str = Field(min_length=1, max_length=500)


@router.get("/gates/{gate}/capacity", tags=["slots"])
def gate_capacity(ctx: ContextDep, principal: CurrentPrincipal, gate: GateCode, direction: Direction,
                  hours: Annotated[int, Query(ge=1, le=24 * 14)] = 24) -> list[dict]:
    """Trucks per hour from now: own lanes and hours, overrides, and (outbound) the partner's cap."""
    with ctx.uow(write=False) as uow:
        return capacity.calendar(ctx, uow, principal, gate, direction, hours)


@router.post("/gates/{gate}/capacity-overrides", tags=["slots"], status_code=201)
def add_override(ctx: ContextDep, principal: May("capacity.manage"), gate: GateCode, body: OverrideIn,
                 idempotency_key: IdempotencyKey = None):
    """A closure (trucks_per_hour null) or a change of capacity for a period (supervisor)."""
    status_code, view, replayed = run_once(ctx, principal, idempotency_key, {"gate": gate, **body.model_dump(mode="json")},
                                           lambda uow: overrides.add_override(ctx, uow, principal, gate, body))
    return answer(status_code, view, replayed)


@router.delete("/capacity-overrides/{override_id}", tags=["slots"], responses={404: ERRORS[404]})
def withdraw_override(ctx: ContextDep, principal: May("capacity.manage"),
                      override_id: Annotated[int, Path(ge=1, le=2**62)]):
    with ctx.uow() as uow:
        status_code, view = overrides.withdraw_override(ctx, uow, principal, override_id)
        uow.commit()
    return answer(status_code, view)


@router.get("/gates/{gate}/slots", tags=["slots"])
def slots(ctx: ContextDep, principal: CurrentPrincipal, gate: GateCode, direction: Direction,
          hours: Annotated[int, Query(ge=1, le=24 * 14)] = 24) -> list[dict]:
    """Bookable hours from the next one: places, booked, free."""
    with ctx.uow(write=False) as uow:
        return bookings.slots(ctx, uow, principal, gate, direction, hours)


@router.get("/crossings/{crossing_id}/booking", tags=["slots"], responses={404: ERRORS[404]},
            response_model=Booking)
def get_booking(ctx: ContextDep, principal: CurrentPrincipal, crossing_id: CrossingId) -> dict:
    with ctx.uow(write=False) as uow:
        return bookings.get(ctx, uow, principal, crossing_id)


@router.put("/crossings/{crossing_id}/booking", tags=["slots"], response_model=Booking, responses={
    **WITH_404_409, 201: {"model": Booking, "description": "Booked (200: moved to another hour)"}})
def book(ctx: ContextDep, principal: May("booking.manage"), crossing_id: CrossingId, body: BookingIn,
         idempotency_key: IdempotencyKey = None):
    """Book a slot, or move the booking to another hour (a reschedule; limited)."""
    status_code, view, replayed = run_once(
        ctx, principal, idempotency_key, {"id": crossing_id, "slot": body.slot_start.isoformat()},
        lambda uow: bookings.book(ctx, uow, principal, crossing_id, body.slot_start))
    return answer(status_code, view, replayed)


@router.delete("/crossings/{crossing_id}/booking", tags=["slots"], responses=WITH_404_409,
               response_model=Booking)
def cancel_booking(ctx: ContextDep, principal: May("booking.manage"), crossing_id: CrossingId,
                   idempotency_key: IdempotencyKey = None):
    status_code, view, replayed = run_once(ctx, principal, idempotency_key, {"id": crossing_id, "cancel": True},
                                           lambda uow: bookings.cancel(ctx, uow, principal, crossing_id))
    return answer(status_code, view, replayed)


@router.get("/yard", tags=["yard"])
def yard_queue(ctx: ContextDep, principal: CurrentPrincipal, gate: GateQuery,
               direction: Direction) -> dict:
    """The queue as the policy orders it now, and the trucks called to the lanes."""
    with ctx.uow(write=False) as uow:
        return yard_views.yard_view(ctx, uow, principal, gate, direction)


@router.post("/yard/call-forward", tags=["yard"])
def call_forward(ctx: ContextDep, principal: May("yard.call"), gate: GateQuery,
                 direction: Direction) -> dict:
    """Run a call-forward step now (the node also runs one every few seconds)."""
    code = capacity.gate_or_problem(ctx, gate).code
    with ctx.uow() as uow:
        called = yard.call_forward(ctx, uow, code, direction)
        uow.commit()
    return {"gate": code, "direction": direction, "called": called}


@router.post("/crossings/{crossing_id}/call-forward", tags=["yard"], responses=WITH_404_409)
def call_one(ctx: ContextDep, principal: May("yard.call_one"), crossing_id: CrossingId,
             body: ReasonIn, idempotency_key: IdempotencyKey = None):
    """Call one named truck to the gate now, out of turn (supervisor; the reason is audited)."""
    status_code, view, replayed = run_once(
        ctx, principal, idempotency_key, {"id": crossing_id, "call": body.reason},
        lambda uow: (200, yard.call_one(ctx, uow, principal, crossing_id, body.reason)))
    return answer(status_code, view, replayed)


@public.get("/driver/{reference}", responses={404: ERRORS[404]})
def driver(ctx: ContextDep, reference: Annotated[str, Path(min_length=3, max_length=16), NoNul],
           plate: Annotated[str, Query(min_length=2, max_length=PLATE_MAX), NoNul]) -> dict:
    """For the driver's phone, no account: the crossing reference and the plate."""
    with ctx.uow(write=False) as uow:
        return yard_views.driver_view(ctx, uow, reference, plate)


@public.get("/wait-times", response_class=Response,
            responses={200: {"content": {"application/json": {}}, "description": "one entry per gate and direction"}})
async def wait_times(request: Request) -> Response:
    """Per gate and direction: trucks waiting, measured median waits, lanes open of the most the gate
    has, goods hours, status with the notices in force (closures, capacity changes, hazard alerts),
    and the typical week (median wait by local weekday 1-7 and hour). No personal data. Computed
    again every few seconds (BORDERFLOW_WAIT_FEED_SECONDS, 5 by default); between times the answer is
    the rendered one, with no database, no thread and no dependency to solve."""
    ctx, lang = request.app.state.context, from_header(request.headers.get("accept-language"))
    body = waits.served_body(ctx, lang)
    if body is None:
        body = (await run_in_threadpool(waits.served, ctx)).body(lang)
    return Response(body, media_type="application/json",
                    headers={"content-language": lang, "vary": "Accept-Language"})


@public.get("/wait-times.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}, "description": "the same feed as CSV"}})
def wait_times_csv(ctx: ContextDep) -> Response:
    rows = waits.served(ctx).rows
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=waits.CSV_FIELDS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(waits.csv_row(row) for row in rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")


@public.get("/wait-times/history")
def wait_history(ctx: ContextDep, gate: GateQuery, direction: Direction,
                 hours: Annotated[int, Query(ge=1, le=24 * 7)] = 24) -> list[dict]:
    """Median yard wait per hour, for the wait board's chart."""
    code = capacity.gate_or_problem(ctx, gate).code
    with ctx.uow(write=False) as uow:
        return waits.history(ctx, uow, code, direction, hours)

