"""A second active declaration of one plate or container is warned of, naming the first one's
reference, and still created: over real HTTP, on both databases."""

from __future__ import annotations

import random
import uuid

from tests.conftest import OTHER_TAX_ID
from tests.support.declarations import declaration, fresh_container

RNG = random.Random()


def unique_plate() -> str:
    """Out of the 24C-… plates other tests draw, so no other active crossing shares it by chance."""
    return f"{RNG.choice((26, 27, 28))}{RNG.choice('DEFGHKLMNPSTUVXYZ')}-{RNG.randrange(1000):03d}." \
           f"{RNG.randrange(100):02d}"


def truck(plate: str | None = None, *containers: str, **overrides) -> dict:
    boxes = containers or (fresh_container(),)
    return declaration(vehicle__plate=plate or unique_plate(),
                       containers=[{"number": n, "seal": "VN1234567", "size_type": "45R1"} for n in boxes], **overrides)


def declared(client, body: dict, **headers: str) -> dict:
    response = client.post("/api/v1/crossings", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def naming(body: dict, reference: str) -> list[dict]:
    return [w for w in body["warnings"] if w["params"].get("reference") == reference]


def test_a_declaration_alone_has_an_empty_list_of_warnings(declarant):
    assert declared(declarant, truck())["warnings"] == []


def test_the_same_plate_twice_is_created_with_a_warning_naming_the_first(declarant):
    plate = unique_plate()
    first = declared(declarant, truck(plate))
    second = declared(declarant, truck(plate))
    assert second["id"] != first["id"] and second["status"] == "declared"
    [warning] = second["warnings"]
    assert warning["code"] == "duplicate.plate" and warning["loc"] == "vehicle.plate"
    assert warning["params"] == {"plate": plate, "reference": first["reference"], "status": "declared"}
    assert first["reference"] in warning["msg"] and plate in warning["msg"]
    assert warning["crossing_id"] == first["id"]


def test_the_plate_is_matched_however_it_is_typed(declarant):
    plate = unique_plate()
    first = declared(declarant, truck(plate))
    typed = plate.replace("-", "").replace(".", "").lower()
    assert [w["code"] for w in naming(declared(declarant, truck(typed)), first["reference"])] == ["duplicate.plate"]


def test_the_same_container_on_another_truck_is_warned_at_its_line(declarant):
    box = fresh_container()
    first = declared(declarant, truck(None, box))
    second = declared(declarant, truck(None, f"{box[:4].lower()} {box[4:10]} {box[10]}"))
    [warning] = second["warnings"]
    assert warning["code"] == "duplicate.container" and warning["loc"] == "containers[0].number"
    assert warning["params"] == {"number": box, "reference": first["reference"], "status": "declared"}
    assert box in warning["msg"] and first["reference"] in warning["msg"]


def test_plate_and_container_both_shared_give_two_warnings(declarant):
    plate, box = unique_plate(), fresh_container()
    first = declared(declarant, truck(plate, box))
    second = declared(declarant, truck(plate, fresh_container(), box))
    assert sorted((w["code"], w["loc"]) for w in naming(second, first["reference"])) == [
        ("duplicate.container", "containers[1].number"), ("duplicate.plate", "vehicle.plate")]


def test_after_the_first_is_cancelled_there_is_no_warning(declarant):
    plate, box = unique_plate(), fresh_container()
    first = declared(declarant, truck(plate, box))
    cancelled = declarant.post(f"/api/v1/crossings/{first['id']}/cancel", json={"note": "typed twice"})
    assert cancelled.status_code == 200, cancelled.text
    assert declared(declarant, truck(plate, box))["warnings"] == []


def test_the_warning_is_said_in_the_callers_language(declarant):
    plate = unique_plate()
    first = declared(declarant, truck(plate))
    english = declared(declarant, truck(plate))["warnings"][0]["msg"]
    zh = declared(declarant, truck(plate), **{"Accept-Language": "zh-CN,zh;q=0.9"})
    vi = declared(declarant, truck(plate), **{"Accept-Language": "vi"})
    for body, words in ((zh, "已有有效报关单"), (vi, "đã có tờ khai đang hiệu lực")):
        [warning] = naming(body, first["reference"])
        assert words in warning["msg"] and first["reference"] in warning["msg"], warning
        assert warning["msg"] != english and "active declaration" not in warning["msg"]
        assert warning["code"] == "duplicate.plate" and warning["params"]["reference"] == first["reference"]


def test_an_amendments_containers_count_and_replace_the_old_ones(declarant):
    old, new = fresh_container(), fresh_container()
    first = declared(declarant, truck(None, old))
    amended = declarant.post(f"/api/v1/crossings/{first['id']}/amendments", json={
        "containers": [{"number": new, "seal": "VN7654321", "size_type": "45R1"}]})
    assert amended.status_code == 201, amended.text
    with_new = declared(declarant, truck(None, new))
    assert [(w["code"], w["loc"]) for w in naming(with_new, first["reference"])] == [
        ("duplicate.container", "containers[0].number")]
    assert naming(declared(declarant, truck(None, old)), first["reference"]) == []


def test_a_replayed_declaration_answers_the_same_warnings(declarant):
    plate = unique_plate()
    first = declared(declarant, truck(plate))
    body, key = truck(plate), str(uuid.uuid4())
    answer = declarant.post("/api/v1/crossings", json=body, headers={"Idempotency-Key": key})
    assert answer.status_code == 201, answer.text
    assert naming(answer.json(), first["reference"])
    assert declarant.post(f"/api/v1/crossings/{first['id']}/cancel", json={"note": "x"}).status_code == 200
    replay = declarant.post("/api/v1/crossings", json=body, headers={"Idempotency-Key": key})
    assert replay.status_code == 201 and replay.headers.get("idempotent-replayed") == "true"
    assert replay.json()["id"] == answer.json()["id"]
    assert replay.json()["warnings"] == answer.json()["warnings"]


def test_a_declarant_hears_nothing_of_another_declarants_crossing(declarant, other_declarant):
    """The reference with the plate opens the driver's page: another declarant must not learn it."""
    plate, box = unique_plate(), fresh_container()
    mine = declared(declarant, truck(plate, box))
    theirs = declared(other_declarant, truck(plate, box, declarant={"tax_id": OTHER_TAX_ID, "name": "Other Co."}))
    assert theirs["warnings"] == []
    assert mine["reference"] not in str(theirs)


def test_an_officer_declaring_hears_of_every_declarants_crossing(declarant, customs):
    plate = unique_plate()
    first = declared(declarant, truck(plate))
    by_customs = declared(customs, truck(plate))
    assert [w["code"] for w in naming(by_customs, first["reference"])] == ["duplicate.plate"]
