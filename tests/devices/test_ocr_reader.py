"""Plates read from snapshots by the packaged model, matched as the gate matches them.

The 20 images in tests/fixtures/plates were made by bench/plate_images.py (seed 15):
VN one- and two-line, CN blue, yellow, 挂 trailer, two-line and new-energy plates, with
blur, tilt, noise, low light and JPEG loss. Each has a decoy declared beside it, a
plate one look-alike character away, that a misread would match.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from borderflow.devices.ocr import DEFAULT_MIN_CONFIDENCE, PlateImageError, confident, read_plate
from borderflow.devices.ocr.engine import engine
from borderflow.domain.identifiers.plates import compact, match_plate

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "plates"
MANIFEST = json.loads((FIXTURES / "manifest.json").read_text())


@pytest.fixture(scope="module")
def reads():
    return {entry["file"]: read_plate((FIXTURES / entry["file"]).read_bytes()) for entry in MANIFEST}


def test_nineteen_of_twenty_trucks_are_found_and_no_wrong_one(reads):
    declared = [entry["plate"] for entry in MANIFEST] + [entry["decoy"] for entry in MANIFEST]
    right, wrong = [], []
    for entry in MANIFEST:
        best = confident(reads[entry["file"]])
        if best is None:
            continue
        match = match_plate(best.text, declared)
        if match.status in ("exact", "fuzzy") and len(match.matches) == 1:
            (right if compact(match.matches[0]) == compact(entry["plate"]) else wrong).append(entry["file"])
    assert wrong == []
    assert len(right) >= 19, f"matched {len(right)} of 20 at confidence {DEFAULT_MIN_CONFIDENCE}"


def test_two_line_plates_are_read_top_line_first(reads):
    two_line = [entry for entry in MANIFEST if len(entry["lines"]) == 2]
    assert {entry["country"] for entry in two_line} == {"VN", "CN"}
    exact = [entry for entry in two_line if reads[entry["file"]] and
             reads[entry["file"]][0].text == compact(entry["plate"])]
    assert len(exact) >= len(two_line) - 1


def test_readings_come_best_first_with_confidences_in_range(reads):
    for readings in reads.values():
        confidences = [reading.confidence for reading in readings]
        assert confidences == sorted(confidences, reverse=True)
        assert all(0.0 <= c <= 1.0 for c in confidences)
        assert len({reading.text for reading in readings}) == len(readings)


def test_an_image_without_text_reads_nothing():
    blank = io.BytesIO()
    Image.new("RGB", (320, 120), (128, 128, 128)).save(blank, "JPEG")
    assert read_plate(blank.getvalue()) == []


@pytest.mark.parametrize("data", [b"", b"not an image", b"\xff\xd8\xff\xe0" + b"\x00" * 64])
def test_what_is_not_an_image_is_refused_with_a_reason(data):
    with pytest.raises(PlateImageError, match="image"):
        read_plate(data)


def test_the_engine_is_loaded_once_for_reads_that_arrive_together():
    image = (FIXTURES / MANIFEST[0]["file"]).read_bytes()
    engines, results = [], []

    def read() -> None:
        engines.append(engine())
        results.append(read_plate(image))

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(e) for e in engines}) == 1
    assert all(result == results[0] for result in results)


@pytest.mark.slow
def test_plates_are_read_with_no_network_at_all():
    """The models ship in the wheel: with every socket refused, the engine still loads and reads."""
    image = FIXTURES / MANIFEST[0]["file"]
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network is off')\n"
        "socket.socket.connect = refuse; socket.create_connection = refuse; socket.getaddrinfo = refuse\n"
        "from borderflow.devices.ocr import read_plate\n"
        f"print(read_plate(open({str(image)!r}, 'rb').read())[0].text)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY":
                               "http://127.0.0.1:9", "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == compact(MANIFEST[0]["plate"])
