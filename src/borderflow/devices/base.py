"""The one small interface every camera adapter speaks, and what it hands the node.

An adapter turns a vendor's push (its bytes and content type) into a `PlateRead` or a
`Heartbeat`, or refuses it with a `PushRejected` that says where and what was wrong. It
does no I/O and keeps no state: parsing a push twice gives the same answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Literal, Protocol

from borderflow.devices import messages

ImageRole = Literal["plate", "scene"]
JPEG_START = b"\xff\xd8\xff"


@dataclass(frozen=True, slots=True)
class Limits:
    max_image_bytes: int = 3 * 1024 * 1024
    max_images: int = 4


@dataclass(frozen=True, slots=True)
class Image:
    role: ImageRole
    name: str
    data: bytes
    content_type: str = "image/jpeg"


@dataclass(frozen=True, slots=True)
class PlateRead:
    """A vehicle the camera saw: the plate as read (None: it read none), with its evidence."""

    plate: str | None
    confidence: float | None  # 0..1
    at: datetime | None  # when the camera saw it (aware)
    camera_lane: str | None = None  # the camera's own lane or channel number
    direction: str | None = None  # approach | leave | unknown
    event_id: str | None = None  # the vendor's id of this event: a retransmission carries the same
    images: tuple[Image, ...] = ()
    facts: dict = field(default_factory=dict)  # vendor extras worth keeping (plate colour, country…)


@dataclass(frozen=True, slots=True)
class Heartbeat:
    """The device is alive (and, for a barrier, in this state)."""

    state: str | None = None
    facts: dict = field(default_factory=dict)


class PushRejected(Exception):
    """A push the node refuses, whole: nothing of it is kept."""

    def __init__(self, status: int, code: str, loc: str, **params: object):
        self.status, self.code, self.loc, self.params = status, code, loc, params
        self.msg = messages.text(code, **params)
        super().__init__(self.msg)

    def error(self) -> dict:
        return {"loc": self.loc, "msg": self.msg, "code": self.code,
                "params": {k: v if isinstance(v, (int, float, bool)) else str(v) for k, v in self.params.items()}}


class CameraAdapter(Protocol):
    vendor: str

    def parse(self, content_type: str, body: bytes, *, limits: Limits, local_tz: tzinfo) -> PlateRead | Heartbeat:
        """The push as the node understands it; `local_tz` reads a camera time given without offset."""


def checked_image(role: ImageRole, name: str, data: bytes, limits: Limits, loc: str) -> Image:
    """An image is evidence only if it is a whole JPEG within the size limit."""
    if len(data) > limits.max_image_bytes:
        raise PushRejected(413, "device.image_too_large", loc, name=name, size=len(data),
                           limit=limits.max_image_bytes)
    if not data.startswith(JPEG_START):
        raise PushRejected(422, "device.image_not_jpeg", loc, name=name)
    return Image(role, name, data)


def at_most(images: list[Image], limits: Limits, loc: str) -> tuple[Image, ...]:
    if len(images) > limits.max_images:
        raise PushRejected(422, "device.too_many_images", loc, count=len(images), limit=limits.max_images)
    return tuple(images)


def one_line(plate: str | None) -> str | None:
    """A two-line plate (a Vietnamese trailer's `24R` over `012.34`) as one line, rows apart."""
    if plate is None:
        return None
    joined = " ".join(part for part in plate.replace("|", "\n").split())
    return joined or None
