"""The gate loop, enforced, through HTTP: the barrier keeps the yard's call order, every agency
the rules name signs off, reactions follow what happened, and the bay pool is shared safely.

Thanh Thuy is this module's own gate (one outbound lane, two inbound, two bays), and the
node's clock is this module's own, so the hour's calls are not shared with other tests.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from borderflow.services import yard as yard_service
from borderflow.store import tables as t
from tests.conftest import BACKENDS, DECLARANT_TAX_ID
from tests.support.capacity import open_around
from tests.support.declarations import declaration, green_cargo
from tests.support.nodes import running_on

GATE = "THANHTHUY"
ROLES = ("device", "gate_operator", "supervisor", "customs", "quarantine", "border_guard")


@pytest.fixture(scope="module", params=BACKENDS)
def loop_node(request, tmp_path_factory):
    with running_on(request.param, tmp_path_factory.mktemp("loop")) as running:
        running.backend = request.param
        yield running


@pytest.fixture(scope="module")
def people(loop_node):
    clients = {role: loop_node.client(role) for role in ROLES}
    clients["declarant"] = loop_node.client("declarant", DECLARANT_TAX_ID)
    yield clients
    for client in clients.values():
        client.close()


HOURS_APART = iter(range(0, 1000, 3))


@pytest.fixture
def open_gate(people, loop_node):
    """Hours after the last test, with Thanh Thuy open both ways at 50 trucks an hour."""
    loop_node.clock.offset = next(HOURS_APART) * 3600.0
    now = loop_node.clock.now()
    open_around(people["supervisor"], GATE, now, 50, hours_after=2)
    yield now
    for direction in ("outbound", "inbound"):  # the supervisor calls in whoever waits; they leave
        for truck in yard(people, direction)["waiting"]:
            people["supervisor"].post(f"/api/v1/crossings/{truck['crossing_id']}/call-forward",
                                      json={"reason": "end of test"})
        for truck in yard(people, direction)["called"]:
            people["supervisor"].post(f"/api/v1/crossings/{truck['crossing_id']}/refuse", json={"reason": "end"})


def tomorrow(now: datetime) -> str:
    local = (now + timedelta(days=1)).astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    return local.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()


def declare(people, body: dict) -> dict:
    response = people["declarant"].post("/api/v1/crossings", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def event(people, kind: str, plate: str, lane: str, **extra) -> dict:
    response = people["device"].post("/api/v1/gate-events", json={"gate": GATE, "lane": lane, "kind": kind,
                                                                   "plate": plate, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def check_in(people, crossing: dict) -> dict:
    return event(people, "yard_entry", crossing["plate"], "YARD", confidence=0.95)


def read(people, crossing: dict, lane: str = "OUT-1") -> dict:
    return event(people, "plate_read", crossing["plate"], lane, confidence=0.95)


def yard(people, direction: str = "outbound") -> dict:
    return people["gate_operator"].get("/api/v1/yard", params={"gate": GATE, "direction": direction}).json()


def call(people, direction: str = "outbound") -> list[dict]:
    response = people["gate_operator"].post("/api/v1/yard/call-forward", params={"gate": GATE, "direction": direction})
    assert response.status_code == 200, response.text
    return response.json()["called"]


def cassava(now: datetime, **overrides) -> dict:
    return green_cargo(gate=GATE, expected_arrival=tomorrow(now), **overrides)


def cargo_of(now: datetime, goods: dict) -> dict:
    """A green-lane declaration of other goods (no documents rule fires for them in the test rules)."""
    return declaration(gate=GATE, expected_arrival=tomorrow(now), goods=[{
        "packages": 900, "gross_kg": 18000, "net_kg": 17000, "value": 9000, "currency": "USD", "origin": "VN",
        "perishable": True, **goods}])


def outbox(people, stream: str) -> list[dict]:
    return people["supervisor"].get("/api/v1/exchange/outbox", params={"stream": stream}).json()


# ------------------------------------------------------------------ the barrier keeps the order


def test_hold_when_the_truck_skipped_the_yard_and_pass_once_called(people, open_gate):
    truck = declare(people, cassava(open_gate))
    skipped = read(people, truck)
    assert (skipped["decision"], skipped["reason_code"]) == ("hold", "not_checked_in")
    assert skipped["status"] == "declared"  # not let into the control zone
    ahead = declare(people, cassava(open_gate))
    check_in(people, ahead)
    check_in(people, truck)
    waiting = read(people, truck)
    assert (waiting["decision"], waiting["reason_code"]) == ("hold", "not_called")
    assert waiting["reason_params"]["position"] == 2
    assert "position 2, expected call" in waiting["reason"]
    assert datetime.fromisoformat(waiting["reason_params"]["expected_call"]) >= open_gate
    called = call(people)
    assert [c["crossing_id"] for c in called] == [ahead["id"], truck["id"]]  # one lane, two on their way
    passed = read(people, truck)
    assert (passed["decision"], passed["reason_code"], passed["status"]) == ("open", "cleared", "exited")


def test_a_supervisor_calls_one_named_truck_out_of_turn_with_a_reason(people, open_gate, loop_node):
    first, second = declare(people, cassava(open_gate)), declare(people, cassava(open_gate))
    check_in(people, first), check_in(people, second)
    refused = people["gate_operator"].post(f"/api/v1/crossings/{second['id']}/call-forward",
                                           json={"reason": "driver unwell"})
    assert refused.status_code == 403
    nosy = people["gate_operator"].post(f"/api/v1/crossings/{second['id']}/call-forward", json={"bogus": 1})
    assert nosy.status_code == 403  # permission before the body: no schema for the forbidden
    missing = people["supervisor"].post(f"/api/v1/crossings/{second['id']}/call-forward", json={})
    assert missing.status_code == 422 and missing.json()["errors"][0]["loc"] == "reason"
    called = people["supervisor"].post(f"/api/v1/crossings/{second['id']}/call-forward",
                                       json={"reason": "driver unwell: let him through first"})
    assert called.status_code == 200, called.text
    assert called.json()["lane"] == "OUT-1"
    again = people["supervisor"].post(f"/api/v1/crossings/{second['id']}/call-forward", json={"reason": "twice"})
    assert again.status_code == 409
    assert read(people, second)["decision"] == "open"
    assert read(people, first)["reason_code"] == "not_called"  # the queue's own order is unchanged
    history = people["supervisor"].get(f"/api/v1/crossings/{second['id']}").json()["events"]
    assert any(e["action"] == "called_out_of_turn" and "driver unwell" in e["cause"]
               and e["actor"].startswith("supervisor:") for e in history)
    with loop_node.ctx.engine.connect() as conn:
        audited = conn.execute(select(t.audit_log.c.data).where(t.audit_log.c.action == "yard.call_one",
                                                                t.audit_log.c.subject == second["id"])).scalar()
    assert audited["reason"] == "driver unwell: let him through first"


# ------------------------------------------------------------------ each agency signs off


def banana(now: datetime) -> dict:
    return cargo_of(now, {"hs_code": "08039010", "description": "Fresh bananas", "planting_area_code": "VNDL0456",
                          "packing_house_code": "VNPH0078"})


def signoff(people, role: str, crossing: dict, kind: str = "document", result: str = "passed", **extra):
    return people[role].post(f"/api/v1/crossings/{crossing['id']}/inspections",
                             json={"kind": kind, "result": result, "notes": f"{role} check", **extra})


def test_release_waits_for_every_agency_the_rules_name(people, open_gate):
    truck = declare(people, banana(open_gate))
    assert truck["pending_signoffs"] == ["quarantine", "border_guard"]
    assert [(s["agency"], s["required"], s["status"]) for s in truck["signoffs"]] == [
        ("quarantine", True, "pending"), ("border_guard", True, "pending")]
    queue = people["quarantine"].get("/api/v1/signoffs", params={"gate": GATE}).json()
    assert queue["agency"] == "quarantine" and truck["id"] in [x["crossing_id"] for x in queue["trucks"]]
    assert people["declarant"].get("/api/v1/signoffs").status_code == 403
    check_in(people, truck)
    call(people)
    held = read(people, truck)
    assert (held["decision"], held["reason_code"]) == ("hold", "signoff_pending")
    assert held["reason_params"] == {"agencies": ["quarantine", "border_guard"]}
    assert held["reason"] == "waiting for the sign-off of quarantine, border guard"
    # customs cannot sign for quarantine; quarantine signs for itself
    assert signoff(people, "customs", truck, agency="quarantine").status_code == 403
    assert signoff(people, "quarantine", truck).json()["pending_signoffs"] == ["border_guard"]
    queue = people["quarantine"].get("/api/v1/signoffs", params={"gate": GATE}).json()
    assert truck["id"] not in [x["crossing_id"] for x in queue["trucks"]]
    early = people["customs"].post(f"/api/v1/crossings/{truck['id']}/release", json={"note": "go"})
    assert early.status_code == 409 and "border_guard" in early.json()["detail"]
    assert read(people, truck)["reason_params"] == {"agencies": ["border_guard"]}
    done = signoff(people, "border_guard", truck).json()
    assert done["pending_signoffs"] == []
    assert {s["agency"]: (s["status"], s["by"]) for s in done["signoffs"]} == {
        "quarantine": ("passed", "quarantine:test-quarantine"), "border_guard": ("passed", "border_guard:test-border_guard")}
    assert read(people, truck)["status"] == "exited"


def test_one_failure_holds_or_refuses_as_the_rules_say(people, open_gate):
    held = declare(people, banana(open_gate))
    failed = signoff(people, "quarantine", held, result="failed", notes="certificate number does not match")
    assert failed.status_code == 201 and failed.json()["status"] == "held"
    assert failed.json()["signoffs"][0]["status"] == "failed"
    chillies = declare(people, cargo_of(open_gate, {"hs_code": "07096010", "description": "Fresh chillies"}))
    assert chillies["pending_signoffs"] == ["quarantine"]
    refused = signoff(people, "quarantine", chillies, kind="physical", result="failed", notes="thrips found")
    assert refused.json()["status"] == "refused"  # chillies with pests are turned back (test rules)


def test_a_supervisor_signs_on_behalf_of_the_agency_it_names(people, open_gate):
    truck = declare(people, banana(open_gate))
    assert signoff(people, "supervisor", truck, agency="border_guard").json()["pending_signoffs"] == ["quarantine"]


# ------------------------------------------------------------------ reactions follow what happened


def test_weighing_an_unchanged_truck_again_sends_nothing_and_tells_no_one_twice(people, open_gate):
    truck = declare(people, cassava(open_gate))
    before = len(outbox(people, truck["id"]))
    for _ in range(3):
        assert event(people, "weighbridge", truck["plate"], "OUT-1", gross_kg=30_000)["decision"] == "open"
    assert len(outbox(people, truck["id"])) == before  # three weighings, nothing happened, nothing sent
    for _ in range(2):
        heavy = event(people, "weighbridge", truck["plate"], "OUT-1", gross_kg=47_000)
        assert (heavy["decision"], heavy["reason_code"]) == ("hold", "overweight")
    sent = outbox(people, truck["id"])
    assert [m["payload"]["status"] for m in sent[before:]] == ["held"]  # the hold, once
    page = people["device"].get(f"/api/v1/driver/{truck['reference']}", params={"plate": truck["plate"]}).json()
    assert [n["kind"] for n in page["notifications"]].count("held") == 1
    lighter = event(people, "weighbridge", truck["plate"], "OUT-1", gross_kg=46_000)  # still heavy, other figure
    assert lighter["reason_code"] == "overweight" and lighter["status"] == "held"


# ------------------------------------------------------------------ the bay pool


def durian(now: datetime, direction: str) -> dict:
    return declaration(gate=GATE, expected_arrival=tomorrow(now), direction=direction)


def test_the_two_directions_never_give_out_the_same_bay(people, open_gate, loop_node):
    if loop_node.backend != "postgres":
        pytest.skip("the race is run on PostgreSQL, where the two steps really run in parallel")
    ctx = loop_node.ctx
    for attempt in range(4):
        for direction in ("export", "import"):
            for _ in range(3):
                truck = declare(people, durian(open_gate, direction))
                assert truck["risk_lane"] == "yellow"  # durian: a bay truck
                assert check_in(people, truck)["decision"] == "open"
        start, errors = threading.Barrier(2), []

        def step(direction: str) -> None:
            try:
                start.wait()
                with ctx.uow() as uow:
                    yard_service.call_forward(ctx, uow, GATE, direction)
                    uow.commit()
            except Exception as exc:  # noqa: BLE001 - the assertion below names it
                errors.append(exc)

        threads = [threading.Thread(target=step, args=(d,)) for d in ("outbound", "inbound")]
        [thread.start() for thread in threads]
        [thread.join(timeout=30) for thread in threads]
        assert errors == [], errors
        with ctx.engine.connect() as conn:
            b = t.bay_assignments.c
            held = conn.execute(select(b.bay, func.count()).where(b.gate == GATE, b.released_at.is_(None))
                                .group_by(b.bay)).all()
        assert held and all(count == 1 for _, count in held) and {bay for bay, _ in held} <= {1, 2}
        for direction in ("outbound", "inbound"):  # clear the yard for the next attempt
            for truck in yard(people, direction)["called"] + yard(people, direction)["waiting"]:
                people["supervisor"].post(f"/api/v1/crossings/{truck['crossing_id']}/refuse",
                                          json={"reason": "race test"})
        del attempt
