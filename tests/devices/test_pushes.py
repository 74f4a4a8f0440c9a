"""Cameras push in their vendors' formats through real HTTP: a decision for each read, its images
kept as evidence and shown only to officers; a bad push is refused whole, with a clear 4xx."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from borderflow.store import tables as t
from tests.conftest import DECLARANT_TAX_ID
from tests.devices.support import (basic, camera, dahua_json, fixture, hikvision_multipart, hikvision_xml, image,
                                   register)
from tests.support.declarations import fresh_plate, green_cargo

PLATE_SHA = hashlib.sha256(image("plate_vn_two_line.jpg")).hexdigest()
SCENE_SHA = hashlib.sha256(image("scene.jpg")).hexdigest()


def declare(node, **overrides) -> dict:  # noqa: ANN001
    with node.client("declarant", DECLARANT_TAX_ID) as declarant:
        response = declarant.post("/api/v1/crossings", json=green_cargo(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def two_line(plate: str) -> str:
    """How a square rear plate reads: the series over the number."""
    head, tail = plate.split("-")
    return f"{head}\n{tail}"


def counts(node) -> tuple[int, int, int]:  # noqa: ANN001
    with node.ctx.engine.connect() as conn:
        return tuple(conn.execute(select(func.count()).select_from(table)).scalar_one()
                     for table in (t.gate_events, t.evidence_images, t.idempotency_keys))


def evidence_files(node) -> set[str]:  # noqa: ANN001
    root = node.ctx.settings.data_dir / "evidence"
    return {p.name for p in root.rglob("*.jpg")} if root.exists() else set()


def test_hikvision_multipart_push_opens_for_the_declared_truck_and_keeps_its_images(device_node):
    truck = declare(device_node)
    key = register(device_node, "hikvision")
    content_type, body = hikvision_multipart(hikvision_xml(plate=two_line(truck["plate"])))
    with camera(device_node, key) as cam:
        response = cam.post("/api/v1/devices/hikvision/events", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["decision"], answer["crossing_id"], answer["Result"]) == ("open", truck["id"], True)
    assert {i["sha256"] for i in answer["images"]} == {PLATE_SHA, SCENE_SHA}
    with device_node.ctx.engine.connect() as conn:
        stored = conn.execute(select(t.gate_events.c.images).where(t.gate_events.c.id == answer["id"])).scalar_one()
        entry = conn.execute(select(t.audit_log.c.data).where(t.audit_log.c.action == "gate.plate_read",
                                                              t.audit_log.c.subject == str(answer["id"]))).first()
    assert {i["sha256"] for i in stored} == {PLATE_SHA, SCENE_SHA}
    assert entry is not None and set(entry.data["images"]) == {PLATE_SHA, SCENE_SHA}
    assert {f"{PLATE_SHA}.jpg", f"{SCENE_SHA}.jpg"} <= evidence_files(device_node)
    with device_node.client("customs") as officer:
        shown = officer.get(f"/api/v1/evidence/{PLATE_SHA}")
        assert shown.status_code == 200 and shown.content == image("plate_vn_two_line.jpg")
        assert shown.headers["content-type"] == "image/jpeg"
        history = officer.get(f"/api/v1/crossings/{truck['id']}").json()
    assert history["status"] == "exited"


@pytest.mark.parametrize("role", ["driver", "public", "device", "partner", "metrics"])
def test_evidence_is_refused_to_everyone_but_officers(device_node, role):
    with device_node.client(role) as client:
        response = client.get(f"/api/v1/evidence/{SCENE_SHA}")
    assert response.status_code == 403, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


def test_evidence_is_refused_to_a_declarant_even_of_its_own_truck(device_node):
    with device_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        assert declarant.get(f"/api/v1/evidence/{SCENE_SHA}").status_code == 403
    with device_node.client() as anonymous:
        assert anonymous.get(f"/api/v1/evidence/{SCENE_SHA}").status_code == 401


def test_unknown_evidence_is_404_with_its_code(device_node):
    with device_node.client("supervisor") as officer:
        response = officer.get(f"/api/v1/evidence/{'0' * 64}")
        assert response.status_code == 404 and response.json()["code"] == "evidence.unknown"
        assert officer.get("/api/v1/evidence/not-a-hash").status_code == 422


def test_key_in_the_path_and_basic_auth_work_and_the_key_is_not_logged(device_node, caplog):
    truck = declare(device_node)
    key = register(device_node, "hikvision")
    xml = hikvision_xml(plate=truck["plate"].replace("-", "").replace(".", ""))
    with caplog.at_level("INFO"), device_node.client() as anonymous:
        in_path = anonymous.post(f"/api/v1/devices/k/{key}/hikvision/events", content=xml,
                                 headers={"Content-Type": "application/xml"})
        by_basic = anonymous.post("/api/v1/devices/hikvision/events", content=fixture(
            "hikvision/heartbeat_videoloss.xml"), headers={"Content-Type": "text/xml", **basic(key)})
    assert in_path.status_code == 200, in_path.text
    assert in_path.json()["crossing_id"] == truck["id"]
    assert by_basic.status_code == 200 and by_basic.json()["contact"] == "heartbeat"
    node_records = [r for r in caplog.records if r.name.startswith("borderflow")]
    assert node_records and not any(key in str(vars(r)) for r in node_records)


def test_wrong_device_key_is_401_and_nothing_is_stored(device_node):
    before, files = counts(device_node), evidence_files(device_node)
    content_type, body = hikvision_multipart(hikvision_xml(plate=fresh_plate()),
                                             {"detectionPicture.jpg": image("scene.jpg")[:-2] + b"\x01\x02"})
    with device_node.client() as anonymous:
        response = anonymous.post("/api/v1/devices/k/bf_wrong-key/hikvision/events", content=body,
                                  headers={"Content-Type": content_type})
        also = anonymous.post("/api/v1/devices/hikvision/events", content=body,
                              headers={"Content-Type": content_type, **basic("bf_not-a-key")})
    assert (response.status_code, also.status_code) == (401, 401)
    assert response.headers["content-type"].startswith("application/problem+json")
    assert counts(device_node) == before and evidence_files(device_node) == files


def test_a_key_of_no_registered_device_or_another_vendor_is_403(device_node):
    with device_node.client("device") as unregistered:
        response = unregistered.post("/api/v1/devices/hikvision/events", content=fixture(
            "hikvision/heartbeat_videoloss.xml"), headers={"Content-Type": "application/xml"})
    assert response.status_code == 403 and response.json()["code"] == "device.not_registered"
    dahua_key = register(device_node, "dahua")
    with camera(device_node, dahua_key) as cam:
        wrong = cam.post("/api/v1/devices/hikvision/events", content=fixture("hikvision/heartbeat_videoloss.xml"),
                         headers={"Content-Type": "application/xml"})
    assert wrong.status_code == 403 and wrong.json()["params"]["expected"] == "/api/v1/devices/dahua/events"
    with device_node.client("gate_operator") as officer:
        assert officer.post("/api/v1/devices/heartbeat").status_code == 403


@pytest.mark.parametrize("name, status, code", [
    ("malformed_truncated.xml", 400, "device.xml_malformed"),
    ("entity_expansion.xml", 400, "device.xml_forbidden"),
    ("anpr_missing_block.xml", 422, "device.field_missing"),
])
def test_malformed_hikvision_push_is_a_clear_4xx_and_nothing_is_stored(device_node, name, status, code):
    key = register(device_node, "hikvision")
    content_type, body = hikvision_multipart(fixture(f"hikvision/{name}"))
    before = counts(device_node)
    with camera(device_node, key) as cam:
        response = cam.post("/api/v1/devices/hikvision/events", content=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == code and problem["errors"][0]["code"] == code and problem["errors"][0]["loc"]
    assert counts(device_node) == before


def test_oversized_image_is_413_and_nothing_is_stored(device_node):
    key = register(device_node, "hikvision")
    big = b"\xff\xd8\xff" + bytes(range(256)) * 300  # 76.8 kB: over this node's 64 kB per image
    content_type, body = hikvision_multipart(hikvision_xml(plate=fresh_plate()),
                                             {"licensePlatePicture.jpg": image("plate_cn.jpg"),
                                              "detectionPicture.jpg": big})
    before, files = counts(device_node), evidence_files(device_node)
    with camera(device_node, key) as cam:
        response = cam.post("/api/v1/devices/hikvision/events", content=body, headers={"Content-Type": content_type})
    assert response.status_code == 413, response.text
    assert response.json()["params"] == {"name": "detectionPicture.jpg", "size": len(big), "limit": 64 * 1024}
    assert counts(device_node) == before and evidence_files(device_node) == files
    too_long = b"x" * (device_node.ctx.settings.device_max_body_bytes + 1)
    with camera(device_node, key) as cam:
        assert cam.post("/api/v1/devices/hikvision/events", content=too_long,
                        headers={"Content-Type": "application/xml"}).status_code == 413


def test_a_push_sent_again_gets_the_first_answer(device_node):
    truck = declare(device_node)
    key = register(device_node, "hikvision")
    content_type, body = hikvision_multipart(hikvision_xml(plate=truck["plate"]))
    with camera(device_node, key) as cam:
        first = cam.post("/api/v1/devices/hikvision/events", content=body, headers={"Content-Type": content_type})
        again = cam.post("/api/v1/devices/hikvision/events", content=body, headers={"Content-Type": content_type})
    assert first.json()["id"] == again.json()["id"] and again.headers.get("Idempotent-Replayed") == "true"


def test_dahua_push_with_a_chinese_plate_and_its_keepalive(device_node):
    plate = "桂F" + fresh_plate()[-5:].replace(".", "7")
    truck = declare(device_node, vehicle__plate=plate, vehicle__country="CN", vehicle__trailer_plate="桂F9876挂",
                    driver__nationality="CN", direction="import")
    key = register(device_node, "dahua", lane="IN-1")
    with camera(device_node, key) as cam:
        response = cam.post("/api/v1/devices/dahua/events", content=dahua_json(plate=plate),
                            headers={"Content-Type": "application/json"})
        beat = cam.post("/api/v1/devices/dahua/keepalive", content=fixture("dahua/keepalive.json"),
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["Result"] is True and answer["crossing_id"] == truck["id"] and answer["plate"] == plate
    assert {i["role"] for i in answer["images"]} == {"plate", "scene"}
    assert beat.status_code == 200 and beat.json()["Result"] is True


def test_dahua_malformed_json_is_400(device_node):
    key = register(device_node, "dahua")
    with camera(device_node, key) as cam:
        response = cam.post("/api/v1/devices/dahua/events", content=fixture("dahua/malformed.json"),
                            headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "device.json_malformed"


def test_an_unread_plate_waits_for_review_with_its_picture(device_node):
    key = register(device_node, "hikvision")
    content_type, body = hikvision_multipart(fixture("hikvision/anpr_no_plate.xml"),
                                             {"detectionPicture.jpg": image("plate_cn_trailer.jpg")})
    with camera(device_node, key) as cam:
        answer = cam.post("/api/v1/devices/hikvision/events", content=body,
                          headers={"Content-Type": content_type}).json()
    assert answer["decision"] == "hold" and answer["read_by"] in ("nobody", "node")
    with device_node.client("gate_operator") as officer:
        pending = {e["id"]: e for e in officer.get("/api/v1/gate-events/review").json()}
    assert pending[answer["id"]]["images"] == [{"sha256": hashlib.sha256(image("plate_cn_trailer.jpg")).hexdigest(),
                                               "role": "scene"}]


def test_snapshot_camera_needs_the_plate_reader(device_node):
    from borderflow.devices import plate_reader
    key = register(device_node, "snapshot")
    with camera(device_node, key) as cam:
        response = cam.post("/api/v1/devices/snapshot/events", content=image("plate_cn.jpg"),
                            headers={"Content-Type": "image/jpeg"})
    missing = plate_reader.available()
    if missing is not None:
        assert response.status_code == 503 and response.json()["code"] == "device.ocr_unavailable"
        pytest.skip(f"no plate reader on this node yet ({missing}): only its refusal is checked")
    assert response.status_code == 200, response.text
    assert response.json()["read_by"] in ("node", "nobody")
