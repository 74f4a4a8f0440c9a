"""A plate snapshot in, the plates it may show out, most likely first.

The lines are found and cut (`lines`), read by the packaged model (`engine`) and
decoded into plate characters (`decoding`). A reading's confidence is its least certain
character's probability, halved when the text is no well-formed VN or CN plate, so that
a doubtful read goes to a person rather than to the nearest declared truck.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from borderflow.devices.ocr import lines as plate_lines
from borderflow.devices.ocr.decoding import Row, decode, shaped
from borderflow.devices.ocr.engine import engine
from borderflow.devices.ocr.text import ALPHABET, conform, country_of, join_lines

DETECT_SIDE = 480  # px: the image's longer side as the detector sees it
MIN_READ_HEIGHT = 48  # px: line crops are enlarged to the recogniser's input height before reading
WIDEN = 1.5  # the second view: plate characters are twice as tall as wide, most print half that
MALFORMED_PENALTY = 0.5
ALTERNATIVE_FLOOR = 0.05  # a second choice for a character below this probability is no alternative
MAX_READINGS = 5
MAX_PIXELS = 40_000_000


class PlateImageError(ValueError):
    """The bytes are not an image a plate can be read from."""


@dataclass(frozen=True, slots=True)
class PlateReading:
    text: str  # compact, as `plates.compact` writes a plate: 29C12345, 桂F1234挂
    confidence: float  # 0..1


def decode_image(data: bytes) -> np.ndarray:
    if not data:
        raise PlateImageError("the image is empty; expected a JPEG or PNG snapshot")
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise PlateImageError("the bytes are not a JPEG, PNG or BMP image")
    if image.shape[0] * image.shape[1] > MAX_PIXELS:
        raise PlateImageError(f"the image has {image.shape[1]}×{image.shape[0]} pixels; expected at most "
                              f"{MAX_PIXELS // 1_000_000} million")
    return image


def _fit(image: np.ndarray, side: int) -> np.ndarray:
    scale = side / max(image.shape[:2])
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=interpolation)


def _widen(crop: np.ndarray, factor: float) -> np.ndarray:
    """At least the recogniser's height, `factor` times wider than tall as cut."""
    height = max(crop.shape[0], MIN_READ_HEIGHT)
    width = int(crop.shape[1] * height / crop.shape[0] * factor)
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_CUBIC)


def _stretch(image: np.ndarray) -> np.ndarray:
    """Dim or washed-out snapshots: spread the brightness over the full range (1st to 99th percentile)."""
    low, high = np.percentile(image, (1, 99))
    if high - low < 8:
        return image
    return np.clip((image.astype(np.float32) - low) * (255.0 / (high - low)), 0, 255).astype(np.uint8)


def _score(text: str, probabilities: list[float]) -> float:
    if not text or not probabilities:
        return 0.0
    return min(probabilities) * (1.0 if country_of(text) else MALFORMED_PENALTY)


def _readings(rows: list[Row]) -> list[PlateReading]:
    """The read itself and, for each doubtful character, the reading with its runner-up."""
    chars = [c for row in rows for c in row.chars if c.char in ALPHABET]
    best = [c.char for c in chars]
    probabilities = [c.probability for c in chars]
    candidates: dict[str, float] = {}

    def offer(text_chars: list[str], probs: list[float]) -> None:
        text = conform(join_lines(["".join(text_chars)]))
        score = _score(text, probs)
        if text and score > candidates.get(text, -1.0):
            candidates[text] = score

    offer(best, probabilities)
    for i, c in enumerate(chars):
        if c.second is not None and c.second_probability >= ALTERNATIVE_FLOOR:
            offer(best[:i] + [c.second] + best[i + 1:], probabilities[:i] + [c.second_probability]
                  + probabilities[i + 1:])
    ranked = sorted(candidates.items(), key=lambda item: -item[1])[:MAX_READINGS]
    return [PlateReading(text, round(score, 4)) for text, score in ranked]


def read_plate(image: bytes) -> list[PlateReading]:
    """The plates this snapshot may show, best first; empty when it shows no text at all.

    Each line is read twice, as cut and widened (WIDEN): narrow letters beside a Han
    character (the J of 苏J) are lost in one view and kept in the other. A text read in
    either view keeps its better confidence.
    """
    picture = _stretch(_fit(decode_image(image), DETECT_SIDE))
    ocr = engine()
    found = plate_lines.group_lines(ocr.detect(picture))
    crops = [_stretch(plate_lines.cut(picture, line)) for line in found] or [picture]
    views = [_widen(crop, factor) for factor in (1.0, WIDEN) for crop in crops]
    characters = tuple(ocr.characters)
    rows = [decode(p, characters) for p in ocr.recognise(views)]
    best: dict[str, float] = {}
    for view in (rows[: len(crops)], rows[len(crops):]):
        for reading in _readings(shaped(view)):
            best[reading.text] = max(reading.confidence, best.get(reading.text, 0.0))
    ranked = sorted(best.items(), key=lambda item: -item[1])[:MAX_READINGS]
    return [PlateReading(text, confidence) for text, confidence in ranked]
