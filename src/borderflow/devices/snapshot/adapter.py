"""A plain camera's snapshot: a JPEG posted as the body (`image/jpeg`) or as the one file of a
multipart/form-data upload (what most cameras' "HTTP upload" / "HTTP notification" sends).

The adapter only takes the image out; reading its plate is `devices.plate_reader`'s job.
"""

from __future__ import annotations

from datetime import tzinfo

from borderflow.devices import multipart
from borderflow.devices.base import Heartbeat, Limits, PlateRead, PushRejected, at_most, checked_image


class SnapshotAdapter:
    vendor = "snapshot"

    def parse(self, content_type: str, body: bytes, *, limits: Limits, local_tz: tzinfo) -> PlateRead | Heartbeat:
        if not body:
            raise PushRejected(400, "device.body_empty", "body", expected="a JPEG snapshot")
        kind = content_type.split(";", 1)[0].strip().lower()
        if multipart.is_multipart(content_type):
            files = [p for p in multipart.parts(content_type, body) if p.content_type.startswith("image/")
                     or (p.filename or "").lower().endswith((".jpg", ".jpeg"))]  # metadata parts are ignored
            if not files:
                raise PushRejected(422, "device.no_image", "body")
            images = [checked_image("scene", p.filename or p.name, p.data, limits, f"body.{p.filename or p.name}")
                      for p in files]
            return PlateRead(plate=None, confidence=None, at=None, images=at_most(images, limits, "body"))
        if kind in ("image/jpeg", "image/jpg", "application/octet-stream", ""):
            return PlateRead(plate=None, confidence=None, at=None,
                             images=(checked_image("scene", "snapshot.jpg", body, limits, "body"),))
        raise PushRejected(415, "device.content_type", "headers.content-type", got=content_type,
                           expected="image/jpeg or multipart/form-data")
