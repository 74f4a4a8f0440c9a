"""Where the text lines of a plate are: detected boxes grouped into lines, cut out straight.

The detector often splits one plate line into pieces that overlap (`99`, `9G-812.`,
`86`); reading the pieces would repeat characters, so the pieces of one line are merged
and the line is read once, from the smallest rotated rectangle around them.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SAME_LINE_OVERLAP = 0.5  # of the smaller box's height
MIN_LINE_HEIGHT = 0.3  # of the tallest line: shorter ones are screws, stickers, frame text
PAD_Y = 0.12  # of the line's height, above and below
PAD_X = 0.5  # of the line's height, left and right: a thin province character (川, 云) is often left out of the box


@dataclass
class Line:
    points: np.ndarray  # every corner of the boxes merged into this line
    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


def group_lines(boxes: list[np.ndarray]) -> list[Line]:
    """Boxes that overlap vertically form one line; lines come top to bottom."""
    lines: list[Line] = []
    for box in sorted(boxes, key=lambda b: float(b[:, 1].mean())):
        top, bottom = float(box[:, 1].min()), float(box[:, 1].max())
        for line in lines:
            overlap = min(bottom, line.bottom) - max(top, line.top)
            if overlap >= SAME_LINE_OVERLAP * min(bottom - top, line.height):
                line.points = np.vstack([line.points, box])
                line.top, line.bottom = min(top, line.top), max(bottom, line.bottom)
                break
        else:
            lines.append(Line(np.asarray(box, dtype=np.float32), top, bottom))
    tallest = max((line.height for line in lines), default=0)
    return sorted((line for line in lines if line.height >= MIN_LINE_HEIGHT * tallest), key=lambda line: line.top)


def cut(image: np.ndarray, line: Line) -> np.ndarray:
    """The line, deskewed, as a horizontal strip."""
    (cx, cy), (w, h), angle = cv2.minAreaRect(line.points.astype(np.float32))
    if w < h:  # OpenCV may report the rectangle standing up; plate lines lie down
        w, h, angle = h, w, angle - 90
    w, h = w + 2 * PAD_X * h, h * (1 + 2 * PAD_Y)
    corners = cv2.boxPoints(((cx, cy), (w, h), angle)).astype(np.float32)
    corners = corners[np.argsort(corners[:, 0] + corners[:, 1] * 0.001)]
    left, right = corners[:2][np.argsort(corners[:2, 1])], corners[2:][np.argsort(corners[2:, 1])]
    source = np.array([left[0], right[0], right[1], left[1]], dtype=np.float32)
    width, height = max(8, int(round(w))), max(8, int(round(h)))
    target = np.array([[0, 0], [width, 0], [width, height], [0, height]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, target)
    return cv2.warpPerspective(image, matrix, (width, height), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
