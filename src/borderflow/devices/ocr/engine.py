"""One PP-OCR engine per process, loaded on first use and run on one thread.

RapidOCR (`rapidocr-onnxruntime` 1.4.4) carries the PP-OCRv4 detection and recognition
models inside its wheel, so a node reads plates with no network at all; its 3.x line
downloads models at run time and is not used. Loading takes about a second and some
hundred MB, so a node that never reads an image never pays it. Inference is serialised
on one ONNX Runtime thread: a read costs one core for a predictable time, and the
node's HTTP work keeps the others.

The recogniser's raw per-frame probabilities are taken rather than its decoded text,
so that the reader can restrict decoding to plate characters and keep a confidence
per character (the packaged decoder gives only a mean over the line).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

_load_lock = threading.Lock()
_engine: Engine | None = None


class Engine:
    def __init__(self) -> None:
        import cv2
        from rapidocr_onnxruntime import RapidOCR

        cv2.setNumThreads(1)
        ocr = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1, det_limit_type="max",
                       det_limit_side_len=2000, det_box_thresh=0.4, det_unclip_ratio=1.6)
        self._detector, self._recogniser = ocr.text_det, ocr.text_rec
        self.characters: list[str] = list(ocr.text_rec.postprocess_op.character)
        self._run_lock = threading.Lock()

    def detect(self, image: np.ndarray) -> list[np.ndarray]:
        """Text boxes (4 corner points each) in a BGR image."""
        with self._run_lock:
            boxes, _ = self._detector(image)
        return [] if boxes is None else list(boxes)

    def recognise(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per-frame class probabilities (frames × characters) for each single-line BGR crop."""
        if not crops:
            return []
        height = self._recogniser.rec_image_shape[1]
        ratio = max(crop.shape[1] / crop.shape[0] for crop in crops)
        batch = np.stack([self._recogniser.resize_norm_img(crop, max(ratio, 1.0)) for crop in crops])
        with self._run_lock:
            probabilities = self._recogniser.session(batch.astype(np.float32))[0]
        frames = [max(1, int(np.ceil(height * crop.shape[1] / crop.shape[0] / 8))) for crop in crops]
        return [p[: min(len(p), f + 2)] for p, f in zip(probabilities, frames, strict=True)]


def engine() -> Engine:
    """The process's engine, loaded once even when the first reads arrive together."""
    global _engine
    if _engine is None:
        with _load_lock:
            if _engine is None:
                _engine = Engine()
    return _engine
