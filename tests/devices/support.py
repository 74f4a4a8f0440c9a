"""Vendor-format pushes built from the fixtures, and cameras registered on a test node."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import httpx

from borderflow.devices import registry
from borderflow.services import apikeys

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "devices"
BOUNDARY = "MIME_boundary"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def image(name: str) -> bytes:
    return fixture(f"images/{name}")


def hikvision_xml(name: str = "anpr_vn_two_line.xml", plate: str | None = None) -> bytes:
    """A Hikvision XML fixture, its plate replaced (`24C\\n123.45` is the fixture's own)."""
    xml = fixture(f"hikvision/{name}").decode()
    if plate is not None:
        start, end = xml.index("<licensePlate>") + len("<licensePlate>"), xml.index("</licensePlate>")
        xml = xml[:start] + plate + xml[end:]
    return xml.encode()


def hikvision_multipart(xml: bytes, pictures: dict[str, bytes] | None = None) -> tuple[str, bytes]:
    """The body as the camera writes it: the XML part first, then each JPEG, every part with its
    own Content-Type and Content-Length (as Hikvision firmware sends them)."""
    pictures = {"licensePlatePicture.jpg": image("plate_vn_two_line.jpg"),
                "detectionPicture.jpg": image("scene.jpg")} if pictures is None else pictures
    chunks = []
    for name, data, kind in [("anpr.xml", xml, "application/xml"),
                             *((n, d, "image/jpeg") for n, d in pictures.items())]:
        chunks.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{name}"\r\n'
                      f"Content-Type: {kind}\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data + b"\r\n")
    body = b"".join(chunks) + f"--{BOUNDARY}--\r\n".encode()
    return f"multipart/form-data; boundary={BOUNDARY}", body


def dahua_json(name: str = "tollgate_cn.json", plate: str | None = None) -> bytes:
    event = json.loads(fixture(f"dahua/{name}"))
    if plate is not None:
        event["Picture"]["Plate"]["PlateNumber"] = plate
    return json.dumps(event, ensure_ascii=False).encode()


def register(node, vendor: str = "hikvision", lane: str = "OUT-1", **options) -> str:  # noqa: ANN001
    """A device registered on the node as `borderflow device add` does; its key."""
    import uuid
    _, key = registry.add(node.ctx, vendor=vendor, gate="KIMTHANH", lane=lane,
                          name=f"test-{vendor}-{uuid.uuid4().hex[:8]}", **options)
    return key


def adopt(node, key: str, vendor: str = "hikvision", lane: str = "OUT-1") -> None:  # noqa: ANN001
    """Make an existing device-role key a registered device (the role matrix's `device` key)."""
    principal = apikeys.lookup(node.ctx.engine, key)
    with node.ctx.engine.connect() as conn:
        if registry.for_key(conn, principal.id) is not None:
            return
    registry.attach(node.ctx.engine, api_key_id=principal.id, name=f"adopted-{principal.id[:8]}", vendor=vendor,
                    gate="KIMTHANH", lane=lane, config={}, at=node.clock.now())


def camera(node, key: str) -> httpx.Client:  # noqa: ANN001
    return httpx.Client(base_url=node.url, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def basic(key: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"camera:{key}".encode()).decode()}
