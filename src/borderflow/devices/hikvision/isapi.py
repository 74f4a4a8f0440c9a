"""Hikvision ISAPI event push ("HTTP listening" / alarm host): `EventNotificationAlert`.

An ANPR camera posts, for each vehicle, either the XML alone (`application/xml`) or
`multipart/form-data` with the XML part (`anpr.xml`) and JPEG parts named as the XML's
`pictureInfoList` says (`licensePlatePicture.jpg`: the plate crop, `detectionPicture.jpg`:
the scene). Other event types (the `videoloss` heartbeat the camera sends while idle) say
only that it is alive. The XML is parsed with defusedxml: no DTD, no entity, no external
reference is ever expanded.

Fields read, inside the ISAPI 2.0 namespace (or none, as some firmware sends):
`eventType`, `dateTime` (ISO 8601, offset optional), `channelID`, `UUID`, and in `<ANPR>`:
`licensePlate`, `confidenceLevel` (0–100), `line` (the camera's lane), `direction`
(forward | reverse | unknown), `plateColor`, `plateType`, `country`, `pictureInfoList`.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from borderflow.devices import multipart
from borderflow.devices.base import Heartbeat, Image, Limits, PlateRead, PushRejected, at_most, checked_image, one_line

XML_TYPES = ("application/xml", "text/xml")
NO_PLATE = frozenset({"", "unknown", "无车牌", "车牌", "none", "noplate"})
PLATE_PICTURES = ("licenseplatepicture", "plate")
DIRECTIONS = {"forward": "approach", "reverse": "leave", "unknown": "unknown"}


class HikvisionAdapter:
    vendor = "hikvision"

    def parse(self, content_type: str, body: bytes, *, limits: Limits, local_tz: tzinfo) -> PlateRead | Heartbeat:
        kind = content_type.split(";", 1)[0].strip().lower()
        if not body:
            raise PushRejected(400, "device.body_empty", "body", expected="an EventNotificationAlert")
        if multipart.is_multipart(content_type):
            return self._multipart(content_type, body, limits, local_tz)
        if kind in XML_TYPES or (not kind and body.lstrip().startswith(b"<")):
            return _from_xml(body, [], limits, local_tz)
        raise PushRejected(415, "device.content_type", "headers.content-type", got=content_type,
                           expected="application/xml or multipart/form-data")

    def _multipart(self, content_type: str, body: bytes, limits: Limits, local_tz: tzinfo) -> PlateRead | Heartbeat:
        found = multipart.parts(content_type, body)
        xml = next((p for p in found if _is_xml(p)), None)
        if xml is None:
            raise PushRejected(400, "device.multipart_no_event", "body", expected="anpr.xml")
        return _from_xml(xml.data, [p for p in found if p is not xml], limits, local_tz)


def _is_xml(part: multipart.Part) -> bool:
    name = (part.filename or part.name).lower()
    return name.endswith(".xml") or part.content_type.split(";")[0].strip().lower() in XML_TYPES


def _from_xml(data: bytes, pictures: list[multipart.Part], limits: Limits, local_tz: tzinfo) -> PlateRead | Heartbeat:
    root = _parse(data)
    if _local(root.tag) != "EventNotificationAlert":
        raise PushRejected(422, "device.field_invalid", "EventNotificationAlert", field="root element",
                           got=_local(root.tag), expected="EventNotificationAlert")
    event_type = (_text(root, "eventType") or "").strip()
    if event_type.upper() != "ANPR":
        return Heartbeat(facts={"event_type": event_type, "state": _text(root, "eventState")})
    anpr = _child(root, "ANPR")
    if anpr is None:
        raise PushRejected(422, "device.field_missing", "EventNotificationAlert.ANPR", field="ANPR",
                           expected="the <ANPR> block of an ANPR event")
    raw_plate = (_text(anpr, "licensePlate") or "").strip()
    plate = None if raw_plate.lower() in NO_PLATE else one_line(raw_plate)
    return PlateRead(
        plate=plate, confidence=_confidence(anpr), at=_time(root, local_tz),
        camera_lane=_text(anpr, "line") or _text(root, "channelID"),
        direction=DIRECTIONS.get((_text(anpr, "direction") or "unknown").lower(), "unknown"),
        event_id=_text(root, "UUID"), images=_images(anpr, pictures, limits),
        facts={k: v for k, v in {"plate_as_sent": raw_plate, "plate_color": _text(anpr, "plateColor"),
                                 "plate_type": _text(anpr, "plateType"), "country": _text(anpr, "country"),
                                 "channel": _text(root, "channelID")}.items() if v})


def _parse(data: bytes) -> Element:
    try:
        return fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise PushRejected(400, "device.xml_forbidden", "body") from None
    except (ParseError, ValueError) as exc:
        raise PushRejected(400, "device.xml_malformed", "body", error=str(exc)) from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: Element, name: str) -> Element | None:
    return next((c for c in node if _local(c.tag) == name), None)


def _text(node: Element, name: str) -> str | None:
    child = _child(node, name)
    return child.text.strip() if child is not None and child.text and child.text.strip() else None


def _confidence(anpr: Element) -> float | None:
    raw = _text(anpr, "confidenceLevel")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise PushRejected(422, "device.field_invalid", "ANPR.confidenceLevel", field="confidenceLevel", got=raw,
                           expected="a number from 0 to 100") from None
    if not 0 <= value <= 100:
        raise PushRejected(422, "device.field_invalid", "ANPR.confidenceLevel", field="confidenceLevel", got=raw,
                           expected="a number from 0 to 100")
    return value / 100


def _time(root: Element, local_tz: tzinfo) -> datetime | None:
    raw = _text(root, "dateTime")
    if raw is None:
        return None
    try:
        at = datetime.fromisoformat(raw)
    except ValueError:
        raise PushRejected(422, "device.field_invalid", "EventNotificationAlert.dateTime", field="dateTime",
                           got=raw, expected="an ISO 8601 time such as 2026-11-23T08:30:00+07:00") from None
    return at if at.tzinfo is not None else at.replace(tzinfo=local_tz)


def _images(anpr: Element, pictures: list[multipart.Part], limits: Limits) -> tuple[Image, ...]:
    """Each JPEG part, as plate crop or scene: by the type the XML gives its file name, else by its own name."""
    declared: dict[str, str] = {}
    listing = _child(anpr, "pictureInfoList")
    for info in (listing if listing is not None else []):
        name, kind = _text(info, "fileName"), _text(info, "type")
        if name and kind:
            declared[name.lower()] = kind.lower()
    images = []
    for part in pictures:
        name = part.filename or part.name
        kind = declared.get(name.lower(), name.lower())
        role = "plate" if any(kind.startswith(p) for p in PLATE_PICTURES) else "scene"
        images.append(checked_image(role, name, part.data, limits, f"body.{name}"))
    return at_most(images, limits, "body")
