"""The waiting yard through HTTP: check-in, call-forward within capacity, the 20-minute rule,
inspection bays, no-shows, the driver's page and the public wait-time feed.

These tests move the node's clock, so they get a node of their own.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import BACKENDS, DECLARANT_TAX_ID
from tests.support.declarations import declaration, green_cargo
from tests.support.nodes import running_on

GATE = "TANTHANH"  # its own gate, so the counts below are this module's alone


@pytest.fixture(scope="module", params=BACKENDS)
def yard_node(request, tmp_path_factory):
    with running_on(request.param, tmp_path_factory.mktemp("yard")) as running:
        yield running


@pytest.fixture(scope="module")
def people(yard_node):
    clients = {role: yard_node.client(role) for role in ("device", "gate_operator", "supervisor")}
    clients["declarant"] = yard_node.client("declarant", DECLARANT_TAX_ID)
    yield clients
    for client in clients.values():
        client.close()


def capacity(people, trucks_per_hour: int | None, hours: int = 3) -> int:
    """Open the gate with a known capacity from now on, whatever the time of day."""
    now = NOW[0] - timedelta(hours=1)
    response = people["supervisor"].post(f"/api/v1/gates/{GATE}/capacity-overrides", json={
        "direction": "outbound", "starts_at": now.isoformat(), "ends_at": (now + timedelta(hours=hours)).isoformat(),
        "trucks_per_hour": trucks_per_hour, "reason": "test capacity"})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def arrive_in_yard(people, body: dict) -> dict:
    declared = people["declarant"].post("/api/v1/crossings", json=body)
    assert declared.status_code == 201, declared.text
    crossing = declared.json()
    read = people["device"].post("/api/v1/gate-events", json={
        "gate": GATE, "lane": "YARD-IN", "kind": "yard_entry", "plate": crossing["plate"], "confidence": 0.9})
    assert read.status_code == 201, read.text
    assert read.json()["decision"] == "open", read.json()
    return crossing


def call(people) -> list[dict]:
    response = people["gate_operator"].post("/api/v1/yard/call-forward",
                                            params={"gate": GATE, "direction": "outbound"})
    assert response.status_code == 200, response.text
    return response.json()["called"]


def yard(people) -> dict:
    return people["gate_operator"].get("/api/v1/yard", params={"gate": GATE, "direction": "outbound"}).json()


def drain(people, yard_node) -> None:
    """Empty the yard between tests: the supervisor calls whoever still waits, and everyone
    called is read at the barrier."""
    for truck in yard(people)["waiting"]:
        people["supervisor"].post(f"/api/v1/crossings/{truck['crossing_id']}/call-forward",
                                  json={"reason": "end of test"})
    for truck in yard(people)["called"]:
        people["device"].post("/api/v1/gate-events", json={"gate": GATE, "lane": "OUT-1", "kind": "plate_read",
                                                           "plate": truck["plate"], "confidence": 0.95})


def tomorrow() -> str:
    """10:00 at the gate, the day after the node's today: inside goods hours."""
    local = (NOW[0] + timedelta(days=1)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    return local.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()


def cargo(**overrides) -> dict:
    return green_cargo(gate=GATE, expected_arrival=tomorrow(), **overrides)


def durian(**overrides) -> dict:
    return declaration(gate=GATE, expected_arrival=tomorrow(), **overrides)


NOW: list[datetime] = [datetime.now(UTC)]  # the node's time at the start of the running test
HOURS_APART = iter(range(0, 1000, 3))


@pytest.fixture
def clean(people, yard_node):
    """Each test starts hours after the last one, so no hour's calls are shared between tests."""
    yard_node.clock.offset = next(HOURS_APART) * 3600.0
    NOW[0] = yard_node.clock.now()
    yield
    drain(people, yard_node)


def test_perishable_goods_are_called_first_and_capacity_is_never_exceeded(people, clean):
    override = capacity(people, 3)
    ordinary = [arrive_in_yard(people, cargo()) for _ in range(3)]
    fruit = arrive_in_yard(people, durian())
    queue = yard(people)["waiting"]
    assert [t["crossing_id"] for t in queue][0] == fruit["id"]  # the priority policy orders the yard
    assert [t["position"] for t in queue] == [1, 2, 3, 4]
    called = call(people)
    assert len(called) == 3  # the hour's capacity, not the 6 the lanes could take
    assert called[0]["crossing_id"] == fruit["id"] and called[0]["priority"] == "perishable"
    assert called[0]["bay"] == 1  # durian is a yellow-lane truck here: it gets an inspection bay
    assert call(people) == []  # nothing more this hour
    assert len(yard(people)["waiting"]) == 1 and len(yard(people)["called"]) == 3
    people["supervisor"].delete(f"/api/v1/capacity-overrides/{override}")
    del ordinary


def test_a_called_truck_that_does_not_come_goes_back_in_line(people, yard_node, clean):
    capacity(people, 50)
    first = arrive_in_yard(people, cargo())
    [called] = call(people)
    assert called["crossing_id"] == first["id"]
    second = arrive_in_yard(people, cargo())
    yard_node.clock.offset += 21 * 60  # the 20-minute rule
    recalled = call(people)
    # the truck that missed its call is back at the end of the line, behind the one that waited
    assert [c["crossing_id"] for c in recalled] == [second["id"], first["id"]]
    page = people["device"].get(f"/api/v1/driver/{first['reference']}", params={"plate": first["plate"]}).json()
    assert [n["kind"] for n in page["notifications"]][:3] == ["called", "requeued", "called"]


def test_the_driver_page_tells_position_eta_and_what_to_do(people, yard_node, clean):
    capacity(people, 2)
    trucks = [arrive_in_yard(people, cargo()) for _ in range(4)]
    call(people)
    anonymous_page = people["device"].get  # the driver page needs no key: any client will do
    waiting = anonymous_page(f"/api/v1/driver/{trucks[3]['reference']}", params={"plate": trucks[3]["plate"]}).json()
    assert waiting["position"] == 2 and "number 2 in line" in waiting["next_step"]
    assert waiting["estimate_basis"] == "calendar"
    # this hour's 2 places are used: number 2 is the second call of the next hour (2 trucks/h)
    next_hour = yard_node.clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    assert datetime.fromisoformat(waiting["estimated_call_at"]) == next_hour + timedelta(minutes=30)
    called = anonymous_page(f"/api/v1/driver/{trucks[0]['reference']}", params={"plate": trucks[0]["plate"]}).json()
    assert called["lane"] in ("OUT-1", "OUT-2") and called["next_step"].startswith("Go to")
    wrong = anonymous_page(f"/api/v1/driver/{trucks[0]['reference']}", params={"plate": "99Z-999.99"})
    assert wrong.status_code == 404 and wrong.headers["content-type"] == "application/problem+json"


def test_no_shows_release_their_slot(people, yard_node, clean):
    capacity(people, 10, hours=6)
    slot = NOW[0].replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    crossing = people["declarant"].post("/api/v1/crossings", json=cargo()).json()
    booked = people["declarant"].put(f"/api/v1/crossings/{crossing['id']}/booking",
                                     json={"slot_start": slot.isoformat()})
    assert booked.status_code == 201, booked.text
    yard_node.clock.offset += 3 * 3600  # the hour and the tolerance pass; the truck never came
    call(people)
    assert people["declarant"].get(f"/api/v1/crossings/{crossing['id']}/booking").status_code == 404
    slots = people["declarant"].get(f"/api/v1/gates/{GATE}/slots", params={"direction": "outbound"})
    assert slots.status_code == 200


def test_the_public_feed_measures_waits_without_personal_data(people, yard_node, clean):
    capacity(people, 1)
    trucks = [arrive_in_yard(people, cargo()) for _ in range(3)]
    yard_node.clock.offset += 30 * 60
    call(people)
    feed = people["device"].get("/api/v1/wait-times").json()
    mine = next(row for row in feed if row["gate"] == GATE and row["direction"] == "outbound")
    assert mine["trucks_waiting"] == 2
    assert 29 <= mine["current_median_wait_min"] <= 32
    assert 29 <= mine["rolling_hour_median_wait_min"] <= 32
    assert mine["status"] == "open" and mine["lanes_open"] == 2  # Tân Thanh has two outbound lanes
    text = str(feed)
    assert all(t["plate"] not in text and t["reference"] not in text for t in trucks)
    as_csv = list(csv.DictReader(io.StringIO(people["device"].get("/api/v1/wait-times.csv").text)))
    assert next(r for r in as_csv if r["gate"] == GATE and r["direction"] == "outbound")["trucks_waiting"] == "2"
    history = people["device"].get("/api/v1/wait-times/history",
                                   params={"gate": GATE, "direction": "outbound", "hours": 3}).json()
    assert len(history) == 3 and history[-1]["trucks"] == 1


def test_a_closed_gate_calls_nobody_and_the_feed_says_closed(people, clean):
    override = capacity(people, None)
    arrive_in_yard(people, cargo())
    assert call(people) == []
    feed = people["device"].get("/api/v1/wait-times").json()
    assert next(r for r in feed if r["gate"] == GATE and r["direction"] == "outbound")["status"] == "closed"
    people["supervisor"].delete(f"/api/v1/capacity-overrides/{override}")


def test_yard_access_is_for_officers_and_unknown_plates_wait_for_review(people, yard_node, clean):
    assert people["declarant"].get("/api/v1/yard", params={"gate": GATE, "direction": "outbound"}).status_code == 403
    assert people["device"].post("/api/v1/yard/call-forward",
                                 params={"gate": GATE, "direction": "outbound"}).status_code == 403
    unknown = people["device"].post("/api/v1/gate-events", json={
        "gate": GATE, "lane": "YARD-IN", "kind": "yard_entry", "plate": "51C-000.00", "confidence": 0.9}).json()
    assert unknown["decision"] == "hold" and unknown["match"] == "none"
    reviews = people["gate_operator"].get("/api/v1/gate-events/review").json()
    assert any(r["id"] == unknown["id"] for r in reviews)
