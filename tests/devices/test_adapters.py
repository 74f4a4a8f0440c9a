"""The vendor adapters on pushes written from the vendors' formats: good, malformed, hostile."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.devices.base import Heartbeat, Limits, PlateRead, PushRejected
from borderflow.devices.dahua import DahuaAdapter
from borderflow.devices.hikvision import HikvisionAdapter
from borderflow.devices.snapshot import SnapshotAdapter
from borderflow.domain.identifiers.plates import match_plate
from tests.devices.support import dahua_json, fixture, hikvision_multipart, hikvision_xml, image

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
LIMITS = Limits(max_image_bytes=64 * 1024)
hik, dahua, snapshot = HikvisionAdapter(), DahuaAdapter(), SnapshotAdapter()


def parse_hik(body: bytes, content_type: str = "application/xml"):
    return hik.parse(content_type, body, limits=LIMITS, local_tz=HANOI)


def rejected(call) -> PushRejected:
    with pytest.raises(PushRejected) as caught:
        call()
    return caught.value


def test_hikvision_two_line_vietnamese_plate_reads_as_one_line_and_matches():
    read = parse_hik(fixture("hikvision/anpr_vn_two_line.xml"))
    assert isinstance(read, PlateRead)
    assert read.plate == "24C 123.45"
    assert read.confidence == pytest.approx(0.91)
    assert read.at == datetime(2026, 11, 23, 1, 31, 7, 412000, tzinfo=UTC)
    assert (read.camera_lane, read.direction, read.event_id) == ("1", "approach", "7f1c3a52-9b3e-4a55-8d6e-2c1f0a9e4b11")
    assert match_plate(read.plate, ["24C-123.45", "24C-128.45"]).matches == ("24C-123.45",)


def test_hikvision_chinese_trailer_plate_keeps_province_and_gua_and_local_time():
    read = parse_hik(fixture("hikvision/anpr_cn_trailer.xml"))
    assert read.plate == "云G1234挂"
    assert read.facts["plate_color"] == "yellow" and read.direction == "leave" and read.camera_lane == "2"
    assert read.at == datetime(2026, 11, 23, 9, 2, 55, tzinfo=HANOI)  # no offset: the gate's own time


def test_hikvision_without_namespace_is_read_the_same():
    read = parse_hik(fixture("hikvision/anpr_cn_no_namespace.xml"), "text/xml; charset=UTF-8")
    assert read.plate == "桂F12345" and read.confidence == pytest.approx(0.97)
    assert read.at.utcoffset() == timedelta(hours=8)


def test_hikvision_multipart_carries_the_plate_crop_and_the_scene():
    content_type, body = hikvision_multipart(fixture("hikvision/anpr_vn_two_line.xml"))
    read = parse_hik(body, content_type)
    assert {(i.role, i.name) for i in read.images} == {("plate", "licensePlatePicture.jpg"),
                                                       ("scene", "detectionPicture.jpg")}
    assert next(i for i in read.images if i.role == "plate").data == image("plate_vn_two_line.jpg")


def test_hikvision_idle_event_is_a_heartbeat():
    beat = parse_hik(fixture("hikvision/heartbeat_videoloss.xml"))
    assert isinstance(beat, Heartbeat) and beat.facts["event_type"] == "videoloss"


def test_hikvision_unread_plate_is_none_not_the_word_unknown():
    content_type, body = hikvision_multipart(fixture("hikvision/anpr_no_plate.xml"),
                                             {"detectionPicture.jpg": image("scene.jpg")})
    read = parse_hik(body, content_type)
    assert read.plate is None and read.confidence == 0 and read.images[0].role == "scene"


@pytest.mark.parametrize("name, status, code", [
    ("malformed_truncated.xml", 400, "device.xml_malformed"),
    ("entity_expansion.xml", 400, "device.xml_forbidden"),
    ("anpr_missing_block.xml", 422, "device.field_missing"),
])
def test_hikvision_bad_xml_is_refused_with_a_code(name, status, code):
    error = rejected(lambda: parse_hik(fixture(f"hikvision/{name}")))
    assert (error.status, error.code) == (status, code)
    assert error.error()["loc"] and error.error()["msg"]


def test_hikvision_confidence_out_of_range_is_refused():
    body = fixture("hikvision/anpr_vn_two_line.xml").replace(b">91<", b">191<")
    assert rejected(lambda: parse_hik(body)).code == "device.field_invalid"


def test_hikvision_oversized_image_is_refused_413():
    content_type, body = hikvision_multipart(fixture("hikvision/anpr_vn_two_line.xml"),
                                             {"detectionPicture.jpg": b"\xff\xd8\xff" + b"\0" * (70 * 1024)})
    error = rejected(lambda: parse_hik(body, content_type))
    assert (error.status, error.code, error.params["limit"]) == (413, "device.image_too_large", 64 * 1024)


def test_hikvision_part_that_is_not_a_jpeg_is_refused():
    content_type, body = hikvision_multipart(fixture("hikvision/anpr_vn_two_line.xml"),
                                             {"licensePlatePicture.jpg": b"GIF89a not a jpeg"})
    assert rejected(lambda: parse_hik(body, content_type)).code == "device.image_not_jpeg"


def test_hikvision_multipart_cut_short_or_without_xml_is_refused():
    content_type, body = hikvision_multipart(fixture("hikvision/anpr_vn_two_line.xml"))
    assert rejected(lambda: parse_hik(body[:-40], content_type)).code == "device.multipart_malformed"
    content_type, body = hikvision_multipart(b"", {"detectionPicture.jpg": image("scene.jpg")})
    only_jpeg = body.replace(b'name="anpr.xml"; filename="anpr.xml"', b'name="x"; filename="x.bin"')
    only_jpeg = only_jpeg.replace(b"Content-Type: application/xml", b"Content-Type: application/octet-stream")
    assert rejected(lambda: parse_hik(only_jpeg, content_type)).code == "device.multipart_no_event"


def test_hikvision_refuses_json_as_unsupported_media():
    assert rejected(lambda: parse_hik(b"{}", "application/json")).status == 415


def test_dahua_chinese_plate_with_both_pictures():
    read = dahua.parse("application/json", fixture("dahua/tollgate_cn.json"), limits=LIMITS, local_tz=HANOI)
    assert read.plate == "桂F12345" and read.confidence == pytest.approx(0.93)
    assert read.at == datetime(2026, 11, 23, 9, 14, 36, 250000, tzinfo=HANOI)
    assert (read.camera_lane, read.direction) == ("2", "approach")
    assert {i.role: i.data for i in read.images} == {"plate": image("plate_cn.jpg"), "scene": image("scene.jpg")}


def test_dahua_two_line_trailer_plate():
    read = dahua.parse("application/json", fixture("dahua/tollgate_vn_trailer.json"), limits=LIMITS, local_tz=HANOI)
    assert read.plate == "24R-012.34" and read.direction == "leave"
    assert match_plate(read.plate, ["24R-012.34"]).status == "exact"


def test_dahua_no_plate_and_bad_inputs():
    read = dahua.parse("application/json", fixture("dahua/tollgate_no_plate.json"), limits=LIMITS, local_tz=HANOI)
    assert read.plate is None and len(read.images) == 1
    for name, code in (("malformed.json", "device.json_malformed"), ("tollgate_bad_base64.json", "device.image_base64")):
        error = rejected(lambda: dahua.parse("application/json", fixture(f"dahua/{name}"), limits=LIMITS,
                                             local_tz=HANOI))
        assert error.code == code
    assert rejected(lambda: dahua.parse("application/json", b"[1, 2]", limits=LIMITS, local_tz=HANOI)).status == 422
    assert rejected(lambda: dahua.parse("application/json", b'{"x": 1}', limits=LIMITS,
                                        local_tz=HANOI)).code == "device.field_missing"


def test_dahua_oversized_picture_is_refused():
    event = json.loads(dahua_json())
    import base64
    event["Picture"]["NormalPic"]["Content"] = base64.b64encode(b"\xff\xd8\xff" + b"\1" * (65 * 1024)).decode()
    error = rejected(lambda: dahua.parse("application/json", json.dumps(event).encode(), limits=LIMITS,
                                         local_tz=HANOI))
    assert (error.status, error.code) == (413, "device.image_too_large")


def test_snapshot_takes_the_jpeg_from_the_body_or_the_form():
    read = snapshot.parse("image/jpeg", image("scene.jpg"), limits=LIMITS, local_tz=HANOI)
    assert read.plate is None and read.images[0].data == image("scene.jpg")
    content_type, body = hikvision_multipart(b"<x/>", {"snap.jpg": image("plate_cn.jpg")})
    read = snapshot.parse(content_type, body, limits=LIMITS, local_tz=HANOI)
    assert image("plate_cn.jpg") in [i.data for i in read.images]
    assert rejected(lambda: snapshot.parse("text/plain", b"hello", limits=LIMITS, local_tz=HANOI)).status == 415


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["application/xml", "application/json",
                                                  "multipart/form-data; boundary=MIME_boundary", "image/jpeg", ""]))
def test_any_bytes_are_parsed_or_refused_never_crash(body, content_type):
    for adapter in (hik, dahua, snapshot):
        try:
            adapter.parse(content_type, body, limits=LIMITS, local_tz=HANOI)
        except PushRejected as exc:
            assert 400 <= exc.status < 500 and exc.msg


PLATE_TEXT = st.text(alphabet=st.sampled_from(list("0123456789ABCDEFGHKLMNPRSTUVXYZ桂云挂·.- ")), min_size=1,
                     max_size=20).filter(lambda s: s.strip() and s.strip().lower() not in ("unknown", "none"))


@settings(max_examples=200, deadline=None)
@given(PLATE_TEXT, st.integers(min_value=0, max_value=100))
def test_any_hikvision_plate_and_confidence_come_through(plate, confidence):
    body = hikvision_xml(plate=plate).replace(b">91<", f">{confidence}<".encode())
    read = parse_hik(body)
    assert read.plate == " ".join(plate.split())
    assert read.confidence == pytest.approx(confidence / 100)


@settings(max_examples=200, deadline=None)
@given(PLATE_TEXT, st.integers(min_value=2, max_value=100))
def test_any_dahua_plate_and_confidence_come_through(plate, confidence):
    event = json.loads(dahua_json(plate=plate))
    event["Picture"]["Plate"]["Confidence"] = confidence
    read = dahua.parse("application/json", json.dumps(event).encode(), limits=LIMITS, local_tz=timezone.utc)
    assert read.plate == " ".join(plate.split()) and read.confidence == pytest.approx(confidence / 100)
