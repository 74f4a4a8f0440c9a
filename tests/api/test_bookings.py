"""Slot bookings through HTTP: places, the rules against speculative booking, and every refusal."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import DECLARANT_TAX_ID
from tests.support.declarations import green_cargo

HOURS = itertools.count(30)  # each test books its own hour, well ahead, so tests never share a slot


def slot_hours_ahead(hours: int) -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours)


def open_slot(supervisor, *, trucks_per_hour: int, gate: str = "KIMTHANH") -> datetime:
    """A fresh hour with a known capacity, whatever the time of day the tests run at."""
    start = slot_hours_ahead(next(HOURS))
    response = supervisor.post(f"/api/v1/gates/{gate}/capacity-overrides", json={
        "direction": "outbound", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(),
        "trucks_per_hour": trucks_per_hour, "reason": "test hour"})
    assert response.status_code == 201, response.text
    return start


def declare(declarant, **overrides) -> dict:
    response = declarant.post("/api/v1/crossings", json=green_cargo(**overrides))
    assert response.status_code == 201, response.text
    return response.json()


def book(client, crossing_id: str, start: datetime):
    return client.put(f"/api/v1/crossings/{crossing_id}/booking", json={"slot_start": start.isoformat()})


def test_bookings_fill_the_bookable_share_and_then_the_slot_is_full(declarant, supervisor):
    start = open_slot(supervisor, trucks_per_hour=5)  # 80 % bookable: 4 places
    booked = [book(declarant, declare(declarant)["id"], start) for _ in range(4)]
    assert [r.status_code for r in booked] == [201] * 4
    assert booked[0].json()["slot_end"] == (start + timedelta(hours=1)).isoformat()
    full = book(declarant, declare(declarant)["id"], start)
    assert full.status_code == 409
    assert "is full: 4 of 4 places booked" in full.json()["detail"]
    listed = declarant.get("/api/v1/gates/KIMTHANH/slots", params={"direction": "outbound", "hours": 60}).json()
    mine = next(s for s in listed if s["start"] == start.isoformat())
    assert (mine["capacity"], mine["booked"], mine["free"]) == (4, 4, 0)


def test_cancelling_gives_the_place_back(declarant, supervisor):
    start = open_slot(supervisor, trucks_per_hour=2)  # one place
    first, second = declare(declarant), declare(declarant)
    assert book(declarant, first["id"], start).status_code == 201
    assert book(declarant, second["id"], start).status_code == 409
    cancelled = declarant.delete(f"/api/v1/crossings/{first['id']}/booking")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert book(declarant, second["id"], start).status_code == 201
    assert declarant.get(f"/api/v1/crossings/{first['id']}/booking").status_code == 404


def test_reschedules_are_limited(declarant, supervisor):
    hours = [open_slot(supervisor, trucks_per_hour=5) for _ in range(4)]
    crossing = declare(declarant)["id"]
    assert book(declarant, crossing, hours[0]).status_code == 201
    moved = [book(declarant, crossing, start) for start in hours[1:]]
    assert [r.status_code for r in moved] == [200, 200, 409]
    assert moved[1].json()["reschedules"] == 2
    assert "already moved 2 times (the limit is 2)" in moved[2].json()["detail"]
    assert book(declarant, crossing, hours[2]).status_code == 200  # the same hour again changes nothing
    assert declarant.get(f"/api/v1/crossings/{crossing}/booking").json()["slot_start"] == hours[2].isoformat()


def test_one_active_booking_per_vehicle(declarant, supervisor):
    start = open_slot(supervisor, trucks_per_hour=10)
    first = declare(declarant)
    second = declare(declarant, vehicle__plate=first["plate"])
    assert book(declarant, first["id"], start).status_code == 201
    refused = book(declarant, second["id"], start)
    assert refused.status_code == 409
    assert f"vehicle {first['plate']} already has an active booking" in refused.json()["detail"]


def test_bad_slot_times_are_named(declarant, supervisor):
    crossing = declare(declarant)["id"]
    half_past = slot_hours_ahead(40) + timedelta(minutes=30)
    past = slot_hours_ahead(-2)
    far = slot_hours_ahead(24 * 30)
    naive = book(declarant, crossing, half_past.replace(tzinfo=None))
    assert naive.status_code == 422 and naive.json()["errors"][0]["loc"] == "slot_start"
    for start, expected in ((half_past, "not the start of an hour"), (past, "has started or passed"),
                            (far, "more than 14 days ahead")):
        response = book(declarant, crossing, start)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == "slot_start"
        assert expected in response.json()["errors"][0]["msg"]


def test_a_closed_hour_cannot_be_booked_and_says_why(declarant, supervisor):
    start = open_slot(supervisor, trucks_per_hour=10)
    closure = supervisor.post("/api/v1/gates/KIMTHANH/capacity-overrides", json={
        "direction": "outbound", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(),
        "trucks_per_hour": None, "reason": "bridge repair"})
    assert closure.status_code == 201
    refused = book(declarant, declare(declarant)["id"], start)
    assert refused.status_code == 409 and "bridge repair" in refused.json()["detail"]
    assert supervisor.delete(f"/api/v1/capacity-overrides/{closure.json()['id']}").status_code == 200
    assert book(declarant, declare(declarant)["id"], start).status_code == 201


def test_who_may_book_and_whose_crossings(declarant, other_declarant, device, supervisor, customs):
    start = open_slot(supervisor, trucks_per_hour=10)
    crossing = declare(declarant)["id"]
    assert book(other_declarant, crossing, start).status_code == 404  # not even told it exists
    assert book(device, crossing, start).status_code == 403
    assert book(customs, crossing, start).status_code == 403
    override = customs.post("/api/v1/gates/KIMTHANH/capacity-overrides", json={
        "direction": "outbound", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(),
        "trucks_per_hour": 100, "reason": "not mine to say"})
    assert override.status_code == 403
    assert supervisor.post("/api/v1/gates/NOWHERE/capacity-overrides", json={
        "direction": "outbound", "starts_at": start.isoformat(), "ends_at": start.isoformat(),
        "trucks_per_hour": 1, "reason": "x"}).status_code == 422


def test_a_crossing_at_the_gate_can_no_longer_book(declarant, device, supervisor):
    start = open_slot(supervisor, trucks_per_hour=10)
    crossing = declare(declarant)
    device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read",
                                             "plate": crossing["plate"], "confidence": 0.95})
    refused = book(declarant, crossing["id"], start)
    assert refused.status_code == 409 and refused.json()["current_status"] == "exited"


@pytest.mark.postgres
def test_concurrent_clients_never_overbook_the_last_places(node, supervisor):
    if node.ctx.engine.dialect.name != "postgresql":
        pytest.skip("the race is run on PostgreSQL, where requests really run in parallel")
    start = open_slot(supervisor, trucks_per_hour=4)  # 3 places
    with node.client("declarant", DECLARANT_TAX_ID) as client:
        crossings = [declare(client)["id"] for _ in range(24)]
    barrier = threading.Barrier(len(crossings))
    results: list[int] = []

    def attempt(crossing_id: str) -> None:
        with node.client("declarant", DECLARANT_TAX_ID) as client:
            barrier.wait()
            results.append(book(client, crossing_id, start).status_code)

    threads = [threading.Thread(target=attempt, args=(c,)) for c in crossings]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201] * 3 + [409] * 21
    with node.client("supervisor") as client:
        slot = next(s for s in client.get("/api/v1/gates/KIMTHANH/slots",
                                          params={"direction": "outbound", "hours": 100}).json()
                    if s["start"] == start.isoformat())
    assert slot["booked"] == 3
