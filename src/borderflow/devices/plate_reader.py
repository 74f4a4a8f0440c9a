"""Reading a plate from an image, for cameras that send a picture without a (usable) read.

The reader itself is `borderflow.devices.ocr.read_plate(image: bytes) -> list[PlateReading]`
(an offline model shipped inside a package). It may be absent from a node; then a plain
camera's push is refused with `device.ocr_unavailable`, and an ANPR camera's push whose
plate the camera could not read goes to review as it is.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from functools import cache

from borderflow.devices.base import Image


class OcrUnavailable(RuntimeError):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@cache
def _reader() -> Callable[[bytes], list]:
    if importlib.util.find_spec("borderflow.devices.ocr") is None:
        raise OcrUnavailable("the package borderflow.devices.ocr is not installed")
    try:
        module = importlib.import_module("borderflow.devices.ocr")
    except ImportError as exc:  # the reader is there but its model runtime is not
        raise OcrUnavailable(f"borderflow.devices.ocr cannot load: {exc}") from None
    reader = getattr(module, "read_plate", None)
    if reader is None:
        raise OcrUnavailable("borderflow.devices.ocr has no read_plate")
    return reader


def available() -> str | None:
    """None when plates can be read from images here, else why not."""
    try:
        _reader()
    except OcrUnavailable as exc:
        return exc.reason
    return None


def read(images: Iterable[Image]) -> tuple[str, float] | None:
    """The most confident reading over the images (plate crops first), or None when none reads."""
    reader = _reader()
    best: tuple[str, float] | None = None
    for image in sorted(images, key=lambda i: i.role != "plate"):
        for reading in reader(image.data) or []:
            text, confidence = str(reading.text).strip(), float(reading.confidence)
            if text and (best is None or confidence > best[1]):
                best = (text, max(0.0, min(1.0, confidence)))
    return best
