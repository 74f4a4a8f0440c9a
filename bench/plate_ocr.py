"""Plate OCR from snapshots: how often the right declared truck is found, and never a wrong one.

Images come from bench/plate_images.py (VN one- and two-line, CN blue/yellow/trailer/
two-line/new-energy; varied fonts, blur, tilt, noise, light, JPEG quality). The declared
trucks are the true plates plus, for each, a decoy a camera could confuse with it: a
digit that looks alike (3/8, 6/8, 5/6, 1/7, 0/8), a letter of its confusion class in
a Chinese serial (B/8, S/5, Z/2, G/6, D/0), another province or series, or any one
character changed. A read is acted on only at or above the confidence threshold, and
then matched with the node's own `match_plate`, as `services/gate` does.

One core: the process is pinned to one CPU and the engine runs one ONNX Runtime thread.
The baseline, in the same run, is the packaged RapidOCR pipeline as shipped (default
settings, one thread, its lines joined) on the first --baseline images.

Usage: python bench/plate_ocr.py [--count 300] [--seed 1] [--baseline 40] [--failures]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
import numpy as np  # noqa: E402
from common import machine  # noqa: E402
from plate_images import generate  # noqa: E402

from borderflow.devices.ocr import DEFAULT_MIN_CONFIDENCE, read_plate  # noqa: E402
from borderflow.devices.ocr.text import join_lines  # noqa: E402
from borderflow.domain.identifiers.plates import compact, match_plate  # noqa: E402

THRESHOLDS = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.9)


def pct(values: list[float], p: float) -> float:
    return float(np.percentile(values, p))


def outcome(text: str | None, truth: str, declared: list[str]) -> str:
    if text is None:
        return "review"
    match = match_plate(text, declared)
    if match.status in ("exact", "fuzzy") and len(match.matches) == 1:
        return "right" if compact(match.matches[0]) == compact(truth) else "wrong"
    return "review"


def baseline(images: list[tuple[bytes, dict]]) -> tuple[float, list[float]]:
    from rapidocr_onnxruntime import RapidOCR

    ocr = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
    exact, latencies = 0, []
    for jpeg, truth in images:
        start = time.perf_counter()
        result, _ = ocr(jpeg)
        latencies.append((time.perf_counter() - start) * 1000)
        exact += join_lines([r[1] for r in result or []]) == compact(truth["plate"])
    return exact / len(images), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", type=int, default=40, help="images for the packaged pipeline (0: skip)")
    parser.add_argument("--failures", action="store_true", help="list every image not matched to its truck")
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})

    images = generate(args.count, args.seed)
    truths = [truth["plate"] for _, truth in images]
    decoys = [t["decoy"] for _, t in images if t["decoy"]]
    declared = truths + decoys

    start = time.perf_counter()
    read_plate(images[0][0])  # loads the engine
    load_s = time.perf_counter() - start
    latencies, cpu, reads = [], [], []
    for jpeg, _ in images:
        start, start_cpu = time.perf_counter(), time.process_time()
        reads.append(read_plate(jpeg))
        latencies.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)

    def best_text(r: list) -> str | None:
        return r[0].text if r else None

    results = [(r[0].confidence if r else 0.0, compact(t["plate"]), best_text(r),
                outcome(best_text(r), t["plate"], declared), t) for r, (_, t) in zip(reads, images, strict=True)]
    exact = sum(text == truth for _, truth, text, _, _ in results)
    print(f"{machine()}; {len(images)} images, {len(declared)} declared plates ({len(decoys)} decoys); "
          f"engine load {load_s:.1f} s")
    print(f"exact read (best reading): {exact}/{len(images)} = {exact / len(images):.1%}")
    print("threshold  right   wrong  review  misreads acted on")
    for threshold in sorted({*THRESHOLDS, DEFAULT_MIN_CONFIDENCE}):
        acted = [(truth, text, result) for conf, truth, text, result, _ in results if text and conf >= threshold]
        right = sum(result == "right" for _, _, result in acted)
        wrong = sum(result == "wrong" for _, _, result in acted)
        misread = sum(text != truth for truth, text, _ in acted)
        mark = "  (default)" if threshold == DEFAULT_MIN_CONFIDENCE else ""
        print(f"{threshold:9.2f}  {right / len(images):6.1%}  {wrong:5d}  {len(images) - right - wrong:6d}  "
              f"{misread:17d}{mark}")
    matched = {}
    for conf, _, _, result, truth in results:
        matched.setdefault(truth["style"], []).append(result == "right" and conf >= DEFAULT_MIN_CONFIDENCE)
    print("matched by style:", ", ".join(f"{s} {sum(v)}/{len(v)}" for s, v in matched.items()))
    print(f"latency per image, one core: p50 {pct(latencies, 50):.0f} ms, p99 {pct(latencies, 99):.0f} ms, "
          f"max {max(latencies):.0f} ms; CPU time p50 {pct(cpu, 50):.0f} ms, p99 {pct(cpu, 99):.0f} ms")
    if args.failures:
        for (conf, _, _, result, truth), r in zip(results, reads, strict=True):
            if result != "right" or conf < DEFAULT_MIN_CONFIDENCE or (r and r[0].text != compact(truth["plate"])):
                print("  ", truth["plate"], truth["style"], {k: truth[k] for k in ("blur", "noise", "light", "jpeg",
                      "width", "tilt")}, [(x.text, x.confidence) for x in r[:3]])
    if args.baseline:
        rate, base = baseline(images[: args.baseline])
        print(f"baseline, packaged RapidOCR pipeline on {min(args.baseline, len(images))} images: exact read "
              f"{rate:.1%}, p50 {pct(base, 50):.0f} ms, p99 {pct(base, 99):.0f} ms")


if __name__ == "__main__":
    main()
