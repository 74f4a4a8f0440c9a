"""Slot bookings through HTTP: places, the rules against speculative booking, and every refusal."""

from __future__ import annotations

import itertools
import random
import threading
from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import BACKENDS, DECLARANT_TAX_ID
from tests.support.declarations import HANOI, fresh_plate, green_cargo
from tests.support.nodes import running_on

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


# ------------------------------------------------------------------ the rules against speculative booking


def fresh_tax_id(rng: random.Random = random.Random()) -> str:
    """A declarant of its own: these tests count a declarant's cancellations."""
    return f"{rng.randrange(10**9, 10**10)}"


def declare_for(client, tax_id: str, **overrides) -> dict:
    return declare(client, declarant__tax_id=tax_id, **overrides)


def booked_in(client, start: datetime, gate: str = "KIMTHANH") -> int:
    listed = client.get(f"/api/v1/gates/{gate}/slots", params={"direction": "outbound", "hours": 24 * 13}).json()
    return next(s for s in listed if s["start"] == start.isoformat())["booked"]


def refusal(response, rule: str) -> dict:
    assert response.status_code == 409, response.text
    body = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert body["rule"] == rule, body
    return body


def test_cancelling_and_booking_again_keeps_the_move_count(node, supervisor):
    hours = [open_slot(supervisor, trucks_per_hour=5) for _ in range(3)]
    tax_id = fresh_tax_id()
    with node.client("declarant", tax_id) as client:
        crossing = declare_for(client, tax_id)["id"]
        first = book(client, crossing, hours[0])
        assert first.status_code == 201 and first.json()["reschedules"] == 0
        assert client.delete(f"/api/v1/crossings/{crossing}/booking").status_code == 200
        again = book(client, crossing, hours[1])  # the cancellation was one move: the count goes on from it
        assert again.status_code == 201, again.text
        assert again.json()["reschedules"] == 1 and again.json()["id"] != first.json()["id"]
        assert client.delete(f"/api/v1/crossings/{crossing}/booking").status_code == 200
        refused = refusal(book(client, crossing, hours[2]), "reschedule_limit")
        assert refused["until"] is None
        assert "already moved its booking 2 times (the limit is 2)" in refused["detail"]
        assert "declare again" in refused["detail"]
        assert booked_in(client, hours[2]) == 0  # a refusal takes no place
        assert client.get(f"/api/v1/crossings/{crossing}/booking").status_code == 404


def test_a_booking_made_again_after_cancelling_can_be_moved_only_what_is_left(node, supervisor):
    hours = [open_slot(supervisor, trucks_per_hour=5) for _ in range(4)]
    tax_id = fresh_tax_id()
    with node.client("declarant", tax_id) as client:
        crossing = declare_for(client, tax_id)["id"]
        assert book(client, crossing, hours[0]).status_code == 201
        assert client.delete(f"/api/v1/crossings/{crossing}/booking").status_code == 200
        assert book(client, crossing, hours[1]).json()["reschedules"] == 1
        moved = book(client, crossing, hours[2])
        assert moved.status_code == 200 and moved.json()["reschedules"] == 2
        refused = refusal(book(client, crossing, hours[3]), "reschedule_limit")
        assert refused["until"] is None and "already moved 2 times (the limit is 2)" in refused["detail"]
        # cancelling is never refused, but booking again after it is
        assert client.delete(f"/api/v1/crossings/{crossing}/booking").status_code == 200
        refusal(book(client, crossing, hours[3]), "reschedule_limit")


def test_a_new_plate_releases_the_booking_and_never_moves_it(node, supervisor):
    start, earlier = open_slot(supervisor, trucks_per_hour=5), open_slot(supervisor, trucks_per_hour=5)
    tax_id = fresh_tax_id()
    with node.client("declarant", tax_id) as client:
        crossing = declare_for(client, tax_id)
        old_plate, new_plate = crossing["plate"], fresh_plate()
        # one move already made (a cancellation): the release must neither add one nor forget it
        assert book(client, crossing["id"], earlier).status_code == 201
        assert client.delete(f"/api/v1/crossings/{crossing['id']}/booking").status_code == 200
        booked = book(client, crossing["id"], start)
        assert booked.status_code == 201 and booked.json()["reschedules"] == 1
        assert booked_in(client, start) == 1

        unchanged = client.post(f"/api/v1/crossings/{crossing['id']}/amendments",
                                json={"driver": {"phone": "+84987654321"}})
        assert unchanged.status_code == 201 and client.get(f"/api/v1/crossings/{crossing['id']}/booking").json()[
            "id"] == booked.json()["id"]  # the same vehicle keeps its booking

        amended = client.post(f"/api/v1/crossings/{crossing['id']}/amendments",
                              json={"vehicle": {"plate": new_plate}})
        assert amended.status_code == 201, amended.text
        note = amended.json()["events"][-1]
        assert note["action"] == "booking_released" and note["data"]["slot_start"] == start.isoformat()
        assert old_plate in note["cause"] and new_plate in note["cause"]
        assert client.get(f"/api/v1/crossings/{crossing['id']}/booking").status_code == 404
        assert booked_in(client, start) == 0  # the place went back to the slot

        # the old vehicle holds no booking any more: another crossing of it can book
        other = declare_for(client, tax_id, vehicle__plate=old_plate)
        assert book(client, other["id"], start).status_code == 201
        # the new vehicle books afresh: a new booking, with the moves made before (the release is none)
        rebooked = book(client, crossing["id"], start)
        assert rebooked.status_code == 201, rebooked.text
        assert rebooked.json()["id"] != booked.json()["id"] and rebooked.json()["reschedules"] == 1
        assert booked_in(client, start) == 2


def test_every_booking_refusal_names_its_rule(declarant, device, supervisor):
    full = open_slot(supervisor, trucks_per_hour=2)  # one place
    assert book(declarant, declare(declarant)["id"], full).status_code == 201
    body = refusal(book(declarant, declare(declarant)["id"], full), "slot_full")
    assert body["until"] is None and body["current_status"] == "full"

    closed = open_slot(supervisor, trucks_per_hour=0)
    body = refusal(book(declarant, declare(declarant)["id"], closed), "slot_closed")
    assert body["until"] is None and "choose another hour" in body["detail"]

    start = open_slot(supervisor, trucks_per_hour=10)
    first = declare(declarant)
    assert book(declarant, first["id"], start).status_code == 201
    body = refusal(book(declarant, declare(declarant, vehicle__plate=first["plate"])["id"], start),
                   "one_booking_per_vehicle")
    assert body["until"] is None and "cancel that booking first" in body["detail"]

    crossing = declare(declarant)
    device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read",
                                             "plate": crossing["plate"], "confidence": 0.95})
    body = refusal(book(declarant, crossing["id"], start), "not_bookable_status")
    assert body["until"] is None and body["current_status"] == "exited"


# A node of its own with strict limits, whose clock these tests move.
STRICT = {"max_cancellations_per_week": 3, "no_show_limit": 1}


@pytest.fixture(scope="module", params=BACKENDS)
def strict_node(request, tmp_path_factory):
    with running_on(request.param, tmp_path_factory.mktemp("strict-bookings"), **STRICT) as running:
        yield running


@pytest.fixture(scope="module")
def strict_officers(strict_node):
    clients = {role: strict_node.client(role) for role in ("supervisor", "gate_operator")}
    yield clients
    for client in clients.values():
        client.close()


def open_hour(supervisor, start: datetime, trucks_per_hour: int = 10, gate: str = "KIMTHANH") -> datetime:
    response = supervisor.post(f"/api/v1/gates/{gate}/capacity-overrides", json={
        "direction": "outbound", "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=1)).isoformat(),
        "trucks_per_hour": trucks_per_hour, "reason": "test hour"})
    assert response.status_code == 201, response.text
    return start


def node_hour(node, hours_ahead: int) -> datetime:
    return node.clock.now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=hours_ahead)


def declare_on(node, client, tax_id: str, **overrides) -> dict:
    """Declared for 10:00 at the gate tomorrow by the node's clock, which these tests move."""
    local = (node.clock.now() + timedelta(days=1)).astimezone(HANOI)
    return declare_for(client, tax_id, expected_arrival=local.replace(hour=10, minute=0, second=0,
                                                                      microsecond=0).isoformat(), **overrides)


def test_the_cancellation_limit_refuses_until_the_oldest_cancellation_is_a_week_old(strict_node, strict_officers):
    supervisor = strict_officers["supervisor"]
    hours = [open_hour(supervisor, node_hour(strict_node, h)) for h in range(20, 26)]
    tax_id = fresh_tax_id()
    with strict_node.client("declarant", tax_id) as client:
        crossings = [declare_on(strict_node, client, tax_id)["id"] for _ in range(5)]
        cancelled_between = []
        for crossing, start in zip(crossings[:2], hours, strict=False):
            assert book(client, crossing, start).status_code == 201
            before = strict_node.clock.now()
            assert client.delete(f"/api/v1/crossings/{crossing}/booking").status_code == 200
            cancelled_between.append((before, strict_node.clock.now()))
        # a booking released because the vehicle changed is not the declarant's cancellation
        assert book(client, crossings[2], hours[2]).status_code == 201
        assert client.post(f"/api/v1/crossings/{crossings[2]}/amendments",
                           json={"vehicle": {"plate": fresh_plate()}}).status_code == 201
        kept = book(client, crossings[3], hours[3])  # 2 cancellations of 3: still free to book
        assert kept.status_code == 201, kept.text
        assert book(client, crossings[2], hours[2]).status_code == 201
        before = strict_node.clock.now()
        assert client.delete(f"/api/v1/crossings/{crossings[2]}/booking").status_code == 200
        cancelled_between.append((before, strict_node.clock.now()))

        body = refusal(book(client, crossings[4], hours[4]), "cancellation_limit")
        until = datetime.fromisoformat(body["until"])
        oldest = cancelled_between[0]
        assert oldest[0] + timedelta(days=7) <= until <= oldest[1] + timedelta(days=7)
        assert "cancelled 3 bookings in the last 7 days (the limit is 3 a week)" in body["detail"]
        assert body["until"] in body["detail"]
        assert booked_in(client, hours[4]) == 0

        # moving a booking already held is not a new booking; cancelling is never refused
        assert book(client, crossings[3], hours[5]).status_code == 200
        assert client.delete(f"/api/v1/crossings/{crossings[3]}/booking").status_code == 200
        # four in the week now: booking waits until only two of them are left in it
        body = refusal(book(client, crossings[4], hours[4]), "cancellation_limit")
        until, second = datetime.fromisoformat(body["until"]), cancelled_between[1]
        assert second[0] + timedelta(days=7) <= until <= second[1] + timedelta(days=7)

        # a minute short of that time it still waits; a minute after, it books
        strict_node.clock.offset += (until - strict_node.clock.now()).total_seconds() - 60
        refusal(book(client, crossings[4], open_hour(supervisor, node_hour(strict_node, 20))), "cancellation_limit")
        strict_node.clock.offset += 120
        assert book(client, crossings[4], open_hour(supervisor, node_hour(strict_node, 21))).status_code == 201


def test_the_no_show_ban_names_its_rule_and_its_end(strict_node, strict_officers):
    supervisor, gate_operator = strict_officers["supervisor"], strict_officers["gate_operator"]
    start = open_hour(supervisor, node_hour(strict_node, 1))
    tax_id = fresh_tax_id()
    with strict_node.client("declarant", tax_id) as client:
        missed = declare_on(strict_node, client, tax_id)
        assert book(client, missed["id"], start).status_code == 201
        strict_node.clock.offset += 3 * 3600  # the hour and the tolerance pass; the truck never came
        before = strict_node.clock.now()
        assert gate_operator.post("/api/v1/yard/call-forward",
                                  params={"gate": "KIMTHANH", "direction": "outbound"}).status_code == 200
        after = strict_node.clock.now()
        assert client.get(f"/api/v1/crossings/{missed['id']}/booking").status_code == 404

        again = declare_on(strict_node, client, tax_id, vehicle__plate=missed["plate"])
        body = refusal(book(client, again["id"], open_hour(supervisor, node_hour(strict_node, 5))), "no_show_ban")
        assert body["current_status"] == "banned"
        until = datetime.fromisoformat(body["until"])
        assert before + timedelta(days=7) <= until <= after + timedelta(days=7)
        assert "missed 1 booked slots" in body["detail"] and body["until"] in body["detail"]
        # the ban is the vehicle's: the declarant's other trucks still book
        other = declare_on(strict_node, client, tax_id)
        assert book(client, other["id"], node_hour(strict_node, 5)).status_code == 201
