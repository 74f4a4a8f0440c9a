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

from borderflow.domain.barrier import local_when
from borderflow.domain.capacity import expected_call
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


def override(people, start: datetime, end: datetime, trucks_per_hour: int | None, reason: str = "test") -> int:
    response = people["supervisor"].post(f"/api/v1/gates/{GATE}/capacity-overrides", json={
        "direction": "outbound", "starts_at": start.isoformat(), "ends_at": end.isoformat(),
        "trucks_per_hour": trucks_per_hour, "reason": reason})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def calendar(people, hours: int = 72) -> list[tuple[datetime, int]]:
    """The gate's capacity calendar from now, as the officers see it."""
    response = people["supervisor"].get(f"/api/v1/gates/{GATE}/capacity",
                                        params={"direction": "outbound", "hours": hours})
    assert response.status_code == 200, response.text
    return [(datetime.fromisoformat(h["start"]), h["capacity"]) for h in response.json()]


def feed_row(people) -> dict:
    feed = people["device"].get("/api/v1/wait-times").json()
    return next(row for row in feed if row["gate"] == GATE and row["direction"] == "outbound")


def driver_page(people, truck: dict) -> dict:
    response = people["device"].get(f"/api/v1/driver/{truck['reference']}", params={"plate": truck["plate"]})
    assert response.status_code == 200, response.text
    return response.json()


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


VN = ZoneInfo("Asia/Ho_Chi_Minh")


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
    # Tân Thanh has two outbound lanes, but one truck an hour needs one of them
    assert mine["status"] == "open" and mine["lanes_open"] == 1 and mine["opens_at"] is None
    text = str(feed)
    assert all(t["plate"] not in text and t["reference"] not in text for t in trucks)
    as_csv = list(csv.DictReader(io.StringIO(people["device"].get("/api/v1/wait-times.csv").text)))
    row = next(r for r in as_csv if r["gate"] == GATE and r["direction"] == "outbound")
    assert row["trucks_waiting"] == "2"
    assert {"crossed_median_wait_min", "crossed_trucks", "wait_if_arriving_now_min", "opens_at"} <= set(row)
    history = people["device"].get("/api/v1/wait-times/history",
                                   params={"gate": GATE, "direction": "outbound", "hours": 3}).json()
    assert len(history) == 3 and history[-1]["trucks"] == 1


def test_a_closed_gate_calls_nobody_and_the_feed_says_closed(people, clean):
    closure = capacity(people, None)  # closed from an hour ago for three hours
    arrive_in_yard(people, cargo())
    assert call(people) == []
    mine = feed_row(people)
    assert mine["status"] == "closed" and mine["capacity_per_hour"] == 0 and mine["lanes_open"] == 0
    now = datetime.fromisoformat(mine["updated_at"])
    # it opens in the first hour the calendar gives trucks again: after the closure, within goods hours
    opens = next(start for start, trucks in calendar(people) if trucks > 0)
    assert datetime.fromisoformat(mine["opens_at"]) == opens
    assert opens >= NOW[0].replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    # a truck arriving now waits at least until then: it is behind the one already waiting
    assert mine["wait_if_arriving_now_min"] >= (opens - now).total_seconds() / 60 - 0.1
    as_csv = list(csv.DictReader(io.StringIO(people["device"].get("/api/v1/wait-times.csv").text)))
    row = next(r for r in as_csv if r["gate"] == GATE and r["direction"] == "outbound")
    assert row["status"] == "closed" and datetime.fromisoformat(row["opens_at"]) == opens
    people["supervisor"].delete(f"/api/v1/capacity-overrides/{closure}")


def test_the_feed_measures_the_wait_of_trucks_that_crossed(people, yard_node, clean):
    capacity(people, 50)
    trucks = {t["id"]: t for t in (arrive_in_yard(people, cargo()) for _ in range(2))}
    yard_node.clock.offset += 20 * 60
    called = call(people)  # the barrier opens only for trucks called forward
    assert {c["crossing_id"] for c in called} == set(trucks)
    yard_node.clock.offset += 10 * 60
    for truck in called:
        read = people["device"].post("/api/v1/gate-events", json={
            "gate": GATE, "lane": truck["lane"], "kind": "plate_read",
            "plate": trucks[truck["crossing_id"]]["plate"], "confidence": 0.95})
        assert read.status_code == 201 and read.json()["decision"] == "open", read.text
    mine = feed_row(people)
    # check-in to exit: 20 minutes in the yard and 10 on the way to the barrier
    assert mine["crossed_trucks"] == 2 and 29 <= mine["crossed_median_wait_min"] <= 32
    assert mine["trucks_waiting"] == 0
    as_csv = list(csv.DictReader(io.StringIO(people["device"].get("/api/v1/wait-times.csv").text)))
    assert next(r for r in as_csv if r["gate"] == GATE and r["direction"] == "outbound")["crossed_trucks"] == "2"
    yard_node.clock.offset += 2 * 3600 + 60  # the figure is of the last two hours only
    later = feed_row(people)
    assert later["crossed_trucks"] == 0 and later["crossed_median_wait_min"] is None


def test_the_wait_if_you_arrive_now_is_the_calendar_and_the_lanes_follow_the_override(people, clean):
    capacity(people, 12)  # twelve trucks an hour: one of Tân Thanh's two outbound lanes
    for _ in range(3):
        arrive_in_yard(people, cargo())
    mine = feed_row(people)
    assert mine["trucks_waiting"] == 3 and mine["capacity_per_hour"] == 12
    assert mine["status"] == "open" and mine["lanes_open"] == 1 and mine["opens_at"] is None
    now = datetime.fromisoformat(mine["updated_at"])
    # a truck arriving now is number 4: the calendar's expected call for number 4, nobody called yet
    expected = expected_call(4, calendar(people), now, 0)
    assert abs(mine["wait_if_arriving_now_min"] - (expected - now).total_seconds() / 60) <= 0.1
    assert 0 <= mine["wait_if_arriving_now_min"] <= 60  # four places of this hour's twelve


def test_the_driver_page_names_tomorrow_when_the_gate_is_closed_until_tomorrow(people, clean):
    opens = datetime.fromisoformat(tomorrow())  # 10:00 at the gate, the day after today
    closure = override(people, NOW[0] - timedelta(hours=1), opens, None, "closed until tomorrow")
    try:
        truck = arrive_in_yard(people, cargo())
        page = driver_page(people, truck)
        assert page["position"] == 1 and page["estimate_basis"] == "calendar"
        # the first call of the hour the gate opens again
        assert datetime.fromisoformat(page["estimated_call_at"]) == opens
        local = opens.astimezone(VN)
        assert f"expected call about 10:00 on {local.day} {local:%b}" in page["next_step"], page["next_step"]
        assert page["no_call_before"] is None and page["no_call_reason"] is None
    finally:
        people["supervisor"].delete(f"/api/v1/capacity-overrides/{closure}")


def test_the_driver_page_says_so_when_the_calendar_has_no_room(people, clean):
    closure = override(people, NOW[0] - timedelta(hours=1), NOW[0] + timedelta(days=4), None, "four-day closure")
    try:
        truck = arrive_in_yard(people, cargo())
        page = driver_page(people, truck)
        assert page["position"] == 1 and page["estimated_call_at"] is None
        # closed for more than the 72 hours the estimate looks at: the page says when the gate opens
        opens = next(start for start, trucks in calendar(people, 24 * 6) if trucks > 0)
        assert page["no_call_reason"] == "gate_closed" and datetime.fromisoformat(page["no_call_before"]) == opens
        assert "number 1 in line" in page["next_step"]
        when = local_when(opens, "Asia/Ho_Chi_Minh", NOW[0])
        assert f"The gate is closed: no call expected before {when}." in page["next_step"], page["next_step"]
    finally:
        people["supervisor"].delete(f"/api/v1/capacity-overrides/{closure}")


def test_yard_access_is_for_officers_and_unknown_plates_wait_for_review(people, yard_node, clean):
    assert people["declarant"].get("/api/v1/yard", params={"gate": GATE, "direction": "outbound"}).status_code == 403
    assert people["device"].post("/api/v1/yard/call-forward",
                                 params={"gate": GATE, "direction": "outbound"}).status_code == 403
    unknown = people["device"].post("/api/v1/gate-events", json={
        "gate": GATE, "lane": "YARD-IN", "kind": "yard_entry", "plate": "51C-000.00", "confidence": 0.9}).json()
    assert unknown["decision"] == "hold" and unknown["match"] == "none"
    reviews = people["gate_operator"].get("/api/v1/gate-events/review").json()
    assert any(r["id"] == unknown["id"] for r in reviews)
