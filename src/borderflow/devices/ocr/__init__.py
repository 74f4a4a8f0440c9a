"""Reading plates from camera snapshots, offline, for gates whose camera sends only an image.

`read_plate(image)` gives the plates the image may show, best first, each with a
confidence in 0..1; `confident(readings, min_confidence)` is the one to act on, or None
when even the best is too doubtful and a person should look (BORDERFLOW_OCR_MIN_CONFIDENCE).
The text is normalised like a typed plate, so the node's `match_plate` takes it as is.
"""

from __future__ import annotations

from collections.abc import Sequence

from borderflow.devices.ocr.reader import PlateImageError, PlateReading, read_plate
from borderflow.settings import Settings

DEFAULT_MIN_CONFIDENCE: float = Settings.model_fields["ocr_min_confidence"].default


def confident(readings: Sequence[PlateReading], min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> PlateReading | None:
    """The best reading if it is sure enough to match a truck by; otherwise the read goes to review."""
    return readings[0] if readings and readings[0].confidence >= min_confidence else None


__all__ = ["DEFAULT_MIN_CONFIDENCE", "PlateImageError", "PlateReading", "confident", "read_plate"]
