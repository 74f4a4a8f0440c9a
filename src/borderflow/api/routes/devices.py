"""Where cameras and barriers push (in their vendors' own formats), and what officers read of them.

A device authenticates with its own key (`borderflow device add`): `Authorization: Bearer`,
HTTP Basic with the key as password, or the key in the path (`/api/v1/devices/k/<key>/…`)
for cameras that can only be given a URL; `api/device_ingress.py` turns the last two into
the first before anything else sees the request. The permission is checked before the body
is read; a refused push leaves nothing behind.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from borderflow.api import problems
from borderflow.api.deps import ContextDep, May
from borderflow.api.routes import ERRORS, GATE_DOC, Route, answer
from borderflow.devices import evidence, health, ingest, messages
from borderflow.devices.base import PushRejected
from borderflow.schemas import NoNul

router = APIRouter(route_class=Route, tags=["devices"],
                   responses={k: ERRORS[k] for k in (400, 401, 403, 413, 422)})
Sha256 = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="the image's SHA-256, as in the gate event")]


def _body(*types: str) -> dict:
    return {"requestBody": {"required": True, "content": {t: {"schema": {"type": "string", "format": "binary"}}
                                                          for t in types}}}


def _refused(exc: PushRejected) -> JSONResponse:
    """A refused push as problem+json; a refused device (401/403) learns nothing of the body's shape."""
    error = exc.error()
    extra = {"errors": [error]} if exc.status not in (401, 403) else {}
    return problems.problem(exc.status, exc.msg, type_=exc.code.replace(".", "-").replace("_", "-"),
                            code=exc.code, params=error["params"], **extra)


async def _camera(request: Request, ctx, principal, vendor: str) -> Response:  # noqa: ANN001
    body = await request.body()
    try:
        _, view, replayed = await run_in_threadpool(ingest.push, ctx, principal, vendor,
                                                         request.headers.get("content-type", ""), body)
    except PushRejected as exc:
        return _refused(exc)
    if not replayed:
        request.app.state.metrics.count_decision(view)
    # cameras resend what is not answered 200 (Dahua also wants "Result": true)
    return answer(200, {**view, "Result": True}, replayed)


@router.post("/devices/hikvision/events", openapi_extra=_body("application/xml", "multipart/form-data"),
             responses={415: {**ERRORS[400], "description": "Unsupported media type"}})
async def hikvision_event(request: Request, ctx: ContextDep, principal: May("device.push")) -> Response:
    """Hikvision ISAPI `EventNotificationAlert`: ANPR events (XML, or multipart with the plate and scene
    JPEGs) get the barrier's decision; other event types count as the camera's heartbeat."""
    return await _camera(request, ctx, principal, "hikvision")


@router.post("/devices/dahua/events", openapi_extra=_body("application/json"))
async def dahua_event(request: Request, ctx: ContextDep, principal: May("device.push")) -> Response:
    """Dahua ITSAPI traffic event ("TollgateInfo"): JSON with the plate and base64 pictures."""
    return await _camera(request, ctx, principal, "dahua")


@router.post("/devices/dahua/keepalive", openapi_extra=_body("application/json"))
async def dahua_keepalive(request: Request, ctx: ContextDep, principal: May("device.push")) -> Response:
    """Dahua ITSAPI keep-alive: the camera is alive."""
    body = await request.body()
    try:
        return JSONResponse(await run_in_threadpool(ingest.dahua_keepalive, ctx, principal, body))
    except PushRejected as exc:
        return _refused(exc)


@router.post("/devices/snapshot/events", openapi_extra=_body("image/jpeg", "multipart/form-data"),
             responses={503: {**ERRORS[400], "description": "This node has no plate reader"}})
async def snapshot_event(request: Request, ctx: ContextDep, principal: May("device.push")) -> Response:
    """A plain camera's snapshot (JPEG): the node reads the plate itself, then decides as for any read."""
    return await _camera(request, ctx, principal, "snapshot")


@router.post("/devices/heartbeat", openapi_extra=_body("application/json"))
async def heartbeat(request: Request, ctx: ContextDep, principal: May("device.push")) -> Response:
    """Any device says it is alive; a barrier adds its state (`{"state": "open"}` confirms its last opening)."""
    body = await request.body()
    try:
        return JSONResponse(await run_in_threadpool(ingest.generic_heartbeat, ctx, principal, body))
    except PushRejected as exc:
        return _refused(exc)


@router.get("/devices")
def list_devices(ctx: ContextDep, principal: May("device.read"),
                 gate: Annotated[str | None, Query(max_length=16, **GATE_DOC), NoNul] = None) -> dict:
    """Every registered device with its last contact and status (ok, silent, waiting), and the barrier
    openings not confirmed in time."""
    from borderflow.devices.barrier import commands
    with ctx.engine.connect() as conn:
        flagged = commands.unconfirmed(conn, gate.upper() if gate else None, ctx.clock.now())
        return {"devices": health.overview(ctx, conn, gate.upper() if gate else None),
                "silent_after_s": health.silent_after(ctx).total_seconds(),
                "unconfirmed_barriers": [{**f, "issued_at": f["issued_at"].isoformat(),
                                          "confirm_by": f["confirm_by"].isoformat()} for f in flagged]}


@router.get("/evidence/{sha256}", response_class=Response, tags=["devices"],
            responses={200: {"content": {"image/jpeg": {}}}, 404: ERRORS[404], 410: {"description": "Purged"}})
def evidence_image(ctx: ContextDep, principal: May("evidence.read"), sha256: Sha256) -> Response:
    """A plate or scene image a decision was made on (officers only)."""
    return image_response(ctx, sha256)


def image_response(ctx, sha256: str) -> Response:  # noqa: ANN001
    """The image, or a problem saying it never was here or was removed after its retention."""
    with ctx.engine.connect() as conn:
        row = evidence.row(conn, sha256)
    if row is None:
        return problems.problem(404, messages.text("evidence.unknown", sha256=sha256), code="evidence.unknown",
                                params={"sha256": sha256})
    if row["purged_at"] is not None:
        return problems.problem(410, messages.text("evidence.purged", sha256=sha256,
                                                   keep_until=row["keep_until"].isoformat()),
                                code="evidence.purged", params={"sha256": sha256,
                                                                 "keep_until": row["keep_until"].isoformat()})
    data = evidence.store_for(ctx).read(sha256)
    if data is None:
        return problems.problem(410, messages.text("evidence.purged", sha256=sha256,
                                                   keep_until=row["keep_until"].isoformat()), code="evidence.purged",
                                params={"sha256": sha256, "keep_until": row["keep_until"].isoformat()})
    return Response(data, media_type=row["content_type"],
                    headers={"Cache-Control": "private, max-age=86400, immutable", "ETag": f'"{sha256}"',
                             "X-Content-Type-Options": "nosniff"})
