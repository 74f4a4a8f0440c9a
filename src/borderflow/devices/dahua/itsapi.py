"""Dahua ITC / ITSAPI traffic-event push ("TollgateInfo"): JSON with the plate and pictures.

The camera posts, for each vehicle, `{"Picture": {"Plate": {…}, "SnapInfo": {…},
"NormalPic" | "VehiclePic": {"PicName", "Content"}, "CutoutPic": {…}}}` where `Content`
is the JPEG in base64: the cut-out is the plate, the normal picture the scene. It wants
`{"Result": true}` back, or it sends the event again. Its keep-alive is any JSON object.

Fields read: `Plate.PlateNumber` (`IsExist` false or empty: no plate read), `Plate.Confidence`
(0–100), `Plate.PlateColor`, `Plate.Channel`; `SnapInfo.AccurateTime` or `SnapTime`
("2026-05-13 14:32:15.123", camera-local), `SnapInfo.Direction` (Approach | Leave, or
Obverse | Reverse), `SnapInfo.Lane`, `SnapInfo.DeviceID`, `SnapInfo.UUID`.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime, tzinfo

from borderflow.devices.base import Heartbeat, Image, Limits, PlateRead, PushRejected, at_most, checked_image, one_line

EXPECTED = "a Dahua ITSAPI event: {\"Picture\": {\"Plate\": …, \"SnapInfo\": …}}"
NO_PLATE = frozenset({"", "unknown", "无车牌", "none"})
DIRECTIONS = {"approach": "approach", "obverse": "approach", "leave": "leave", "reverse": "leave"}
PICTURES = (("CutoutPic", "plate"), ("NormalPic", "scene"), ("VehiclePic", "scene"))


class DahuaAdapter:
    vendor = "dahua"

    def parse(self, content_type: str, body: bytes, *, limits: Limits, local_tz: tzinfo) -> PlateRead | Heartbeat:
        event = load_json(body)
        picture = event.get("Picture")
        if not isinstance(picture, dict):
            raise PushRejected(422, "device.field_missing", "Picture", field="Picture", expected=EXPECTED)
        plate_info = _object(picture, "Plate")
        snap = _object(picture, "SnapInfo")
        raw = plate_info.get("PlateNumber")
        if raw is not None and not isinstance(raw, str):
            raise PushRejected(422, "device.field_invalid", "Picture.Plate.PlateNumber", field="PlateNumber",
                               got=raw, expected="the plate as text")
        exists = plate_info.get("IsExist", True) is not False
        plate = one_line(raw) if exists and raw and raw.strip().lower() not in NO_PLATE else None
        return PlateRead(
            plate=plate, confidence=_confidence(plate_info.get("Confidence")),
            at=_time(snap.get("AccurateTime") or snap.get("SnapTime"), local_tz),
            camera_lane=_str(snap.get("Lane") if snap.get("Lane") is not None else plate_info.get("Channel")),
            direction=DIRECTIONS.get(str(snap.get("Direction") or "").lower(), "unknown"),
            event_id=_str(snap.get("UUID")), images=_images(picture, limits),
            facts={k: v for k, v in {"plate_as_sent": raw, "plate_color": plate_info.get("PlateColor"),
                                     "plate_type": plate_info.get("PlateType"), "device_id": snap.get("DeviceID"),
                                     }.items() if v not in (None, "")})

    def keepalive(self, body: bytes) -> Heartbeat:
        event = load_json(body) if body.strip() else {}
        return Heartbeat(facts={k: v for k, v in event.items() if isinstance(v, (str, int, float, bool))})


def load_json(body: bytes) -> dict:
    if not body.strip():
        raise PushRejected(400, "device.body_empty", "body", expected=EXPECTED)
    try:
        event = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PushRejected(400, "device.json_malformed", "body", error=str(exc), expected=EXPECTED) from None
    if not isinstance(event, dict):
        raise PushRejected(422, "device.field_invalid", "body", field="body", got=type(event).__name__,
                           expected="a JSON object")
    return event


def _object(picture: dict, name: str) -> dict:
    value = picture.get(name, {})
    if not isinstance(value, dict):
        raise PushRejected(422, "device.field_invalid", f"Picture.{name}", field=name, got=value,
                           expected="a JSON object")
    return value


def _str(value: object) -> str | None:
    return None if value in (None, "") else str(value)


def _confidence(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 100:
        raise PushRejected(422, "device.field_invalid", "Picture.Plate.Confidence", field="Confidence", got=value,
                           expected="a number from 0 to 100")
    return value / 100 if value > 1 else float(value)


def _time(value: object, local_tz: tzinfo) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        at = datetime.fromisoformat(str(value))
    except ValueError:
        raise PushRejected(422, "device.field_invalid", "Picture.SnapInfo.AccurateTime", field="AccurateTime",
                           got=value, expected="a time such as 2026-05-13 14:32:15.123") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=local_tz)


def _images(picture: dict, limits: Limits) -> tuple[Image, ...]:
    images = []
    for key, role in PICTURES:
        pic = picture.get(key)
        if not isinstance(pic, dict) or not pic.get("Content"):
            continue
        name = str(pic.get("PicName") or key)
        try:
            data = base64.b64decode(str(pic["Content"]), validate=True)
        except (binascii.Error, ValueError):
            raise PushRejected(422, "device.image_base64", f"Picture.{key}.Content", name=name) from None
        images.append(checked_image(role, name, data, limits, f"Picture.{key}.Content"))
    return at_most(images, limits, "Picture")
