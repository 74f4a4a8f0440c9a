"""A device's push, end to end: who sent it, what it says, its images kept, the gate's decision.

1. The key names a registered device (else 403): its gate, lane and vendor come from the
   registry. A device posts only to its own vendor's endpoint.
2. The vendor's adapter parses the push whole, images included, or refuses it (4xx):
   nothing is stored before the push has been read to the end.
3. A plate the camera could not read (or a plain camera's snapshot) is read by the node's
   plate reader, when it has one.
4. The images are written (content-addressed, durable) and the read goes to
   `services/gate.record` in one transaction with the images' rows and the device's
   contact; a push sent again byte for byte gets the first answer back.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from borderflow.devices import evidence, plate_reader, registry
from borderflow.devices.barrier import commands
from borderflow.devices.base import Heartbeat, Limits, PushRejected
from borderflow.devices.dahua import DahuaAdapter
from borderflow.devices.hikvision import HikvisionAdapter
from borderflow.devices.snapshot import SnapshotAdapter
from borderflow.domain.roles import Principal
from borderflow.schemas import PLATE_MAX, GateEventIn
from borderflow.services import gate
from borderflow.services.idempotency import run_once

ADAPTERS = {"hikvision": HikvisionAdapter(), "dahua": DahuaAdapter(), "snapshot": SnapshotAdapter()}
PATHS = {"hikvision": "/api/v1/devices/hikvision/events", "dahua": "/api/v1/devices/dahua/events",
         "snapshot": "/api/v1/devices/snapshot/events", "relay": "/api/v1/devices/heartbeat",
         "simulated": "/api/v1/devices/heartbeat"}
OLDEST_READ = timedelta(days=30)  # a camera uploading its buffer after an outage: older is a wrong clock
UNREAD = "?"


def limits(ctx) -> Limits:  # noqa: ANN001
    return Limits(max_image_bytes=ctx.settings.device_max_image_bytes) if ctx.settings is not None else Limits()


def device_of(ctx, principal: Principal) -> registry.Device:  # noqa: ANN001
    with ctx.engine.connect() as conn:
        device = registry.for_key(conn, principal.id)
    if device is None:
        raise PushRejected(403, "device.not_registered", "headers.authorization")
    return device


def _own_vendor(device: registry.Device, vendor: str) -> None:
    if device.vendor != vendor:
        raise PushRejected(403, "device.wrong_vendor", "path", vendor=device.vendor, kind=device.kind,
                           expected=PATHS[device.vendor])


def ocr_threshold(ctx) -> float:  # noqa: ANN001
    """A plate the node read itself is acted on only from this confidence up (bench/plate_ocr.py)."""
    return max(ctx.min_read_confidence, ctx.settings.ocr_min_confidence if ctx.settings else 0.6)


def push(ctx, principal: Principal, vendor: str, content_type: str, body: bytes) -> tuple[int, dict, bool]:  # noqa: ANN001
    """A camera's push: (status, answer, replayed)."""
    device = device_of(ctx, principal)
    _own_vendor(device, vendor)
    local_tz = ZoneInfo(ctx.node.gate(device.gate).timezone)
    parsed = ADAPTERS[vendor].parse(content_type, body, limits=limits(ctx), local_tz=local_tz)
    if isinstance(parsed, Heartbeat):
        return heartbeat(ctx, device, parsed), {"device": device.name, "contact": "heartbeat"}, False
    plate, confidence, read_by = parsed.plate, parsed.confidence, "camera"
    if plate is None and parsed.images:
        try:
            found = plate_reader.read(parsed.images)
        except plate_reader.OcrUnavailable as exc:
            if vendor == "snapshot":
                raise PushRejected(503, "device.ocr_unavailable", "body", reason=exc.reason) from None
            found = None
        if found:
            (plate, confidence), read_by = found, "node"
    if plate is None:  # nothing read: kept for a person to look at the picture
        plate, confidence, read_by = (parsed.facts.get("plate_as_sent") or UNREAD)[:PLATE_MAX], 0.0, "nobody"
    now = ctx.clock.now()
    at = parsed.at if parsed.at and now - OLDEST_READ < parsed.at <= now + gate.MAX_CLOCK_SKEW else None
    try:
        event = GateEventIn(gate=device.gate, lane=device.lane_for(parsed.camera_lane), kind="plate_read",
                            plate=plate[:PLATE_MAX], confidence=confidence if confidence is not None else 0.0,
                            at=at, device=device.name)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise PushRejected(422, "device.field_invalid", ".".join(map(str, first["loc"])),
                           field=".".join(map(str, first["loc"])), got=first.get("input"),
                           expected=first["msg"]) from None
    store = evidence.store_for(ctx)
    stored = [store.put(image) for image in parsed.images]
    refs = [s.ref() for s in stored]
    keep_until = now + evidence.retention(ctx)

    def work(uow):  # noqa: ANN001, ANN202
        evidence.record(uow.conn, stored, at=now, keep_until=keep_until)
        registry.touch(uow.conn, device.id, now, "event")
        status, view = gate.record(ctx, uow, principal, event, images=refs,
                                   min_confidence=ocr_threshold(ctx) if read_by == "node" else None)
        return status, {**view, "device": device.name, "plate": event.plate, "read_by": read_by, "images": refs,
                        "camera": {k: v for k, v in {"direction": parsed.direction, "lane": parsed.camera_lane,
                                                     "at": parsed.at.isoformat() if parsed.at else None,
                                                     **parsed.facts}.items() if v is not None}}

    key = f"{vendor}:{hashlib.sha256(body).hexdigest()}"
    request = {"event": event.model_dump(mode="json"), "images": refs}
    try:
        return run_once(ctx, principal, key, request, work)
    except BaseException:
        with ctx.engine.connect() as conn:
            store.discard(conn, stored)
        raise


def heartbeat(ctx, device: registry.Device, beat: Heartbeat) -> int:  # noqa: ANN001
    """The device is alive; a barrier's state report may confirm its last `open`."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        registry.touch(uow.conn, device.id, now, "barrier_state" if beat.state else "heartbeat")
        if beat.state and device.kind == "barrier":
            commands.report(ctx, uow, device, beat.state, now)
        uow.commit()
    return 200


def generic_heartbeat(ctx, principal: Principal, body: bytes) -> dict:  # noqa: ANN001
    """`POST /api/v1/devices/heartbeat`: any device; a barrier may say `{"state": "open"}`."""
    device = device_of(ctx, principal)
    state = None
    if body.strip():
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PushRejected(400, "device.json_malformed", "body", error=str(exc),
                               expected='{} or {"state": "open" | "closed" | "fault"}') from None
        state = payload.get("state") if isinstance(payload, dict) else None
        if state is not None and state not in ("open", "closed", "fault"):
            raise PushRejected(422, "device.heartbeat_state", "state", got=state)
    heartbeat(ctx, device, Heartbeat(state=state))
    return {"device": device.name, "gate": device.gate, "lane": device.lane, "state": state,
            "at": ctx.clock.now().isoformat()}


def dahua_keepalive(ctx, principal: Principal, body: bytes) -> dict:  # noqa: ANN001
    device = device_of(ctx, principal)
    _own_vendor(device, "dahua")
    heartbeat(ctx, device, ADAPTERS["dahua"].keepalive(body))
    return {"Result": True, "device": device.name}
