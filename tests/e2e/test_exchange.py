"""Two real node processes, each with its own database and key, talking over loopback."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.databases import fresh_pg_database
from tests.support.declarations import green_cargo
from tests.support.pair import Side, prepare, start_all

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]
DECLARANT = "5300123456"


def eventually(probe: Callable[[], object], *, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def import_crossing(cn: Side, vn_crossing_id: str) -> dict | None:
    with cn.client("supervisor") as client:
        found = [c for c in client.get("/api/v1/crossings", params={"gate": "YOUYIGUAN", "limit": 500}).json()
                 if c["partner"].get("crossing_id") == vn_crossing_id]
    return found[0] if found else None


def crossing(side: Side, crossing_id: str) -> dict:
    with side.client("supervisor") as client:
        return client.get(f"/api/v1/crossings/{crossing_id}").json()


def plate_read(side: Side, gate: str, lane: str, plate: str) -> dict:
    with side.client("device") as client:
        response = client.post("/api/v1/gate-events", json={"kind": "plate_read", "gate": gate, "lane": lane,
                                                             "plate": plate, "confidence": 0.97})
    assert response.status_code == 201, response.text
    return response.json()


def through_the_gate(side: Side, gate: str, plate: str, crossing_id: str) -> dict:
    """The yard's steps, then the barrier: check in at the yard camera, called forward (here by a
    supervisor, out of turn: these tests are about the exchange, not the queue), read at the lane."""
    with side.client("device") as device, side.client("supervisor") as supervisor:
        entry = device.post("/api/v1/gate-events", json={"kind": "yard_entry", "gate": gate, "lane": "YARD",
                                                          "plate": plate, "confidence": 0.97})
        assert entry.status_code == 201 and entry.json()["decision"] == "open", entry.text
        called = supervisor.post(f"/api/v1/crossings/{crossing_id}/call-forward", json={"reason": "test truck"})
        if called.status_code == 409 and called.json()["code"] == "crossing.already_called":
            lane = called_lane(supervisor, gate, crossing_id)  # the node's own round called it first
        else:
            assert called.status_code == 200, called.text
            lane = called.json()["lane"]
    return plate_read(side, gate, lane, plate)


def called_lane(supervisor, gate: str, crossing_id: str) -> str:
    direction = {"export": "outbound", "import": "inbound"}[
        supervisor.get(f"/api/v1/crossings/{crossing_id}").json()["direction"]]
    yard = supervisor.get("/api/v1/yard", params={"gate": gate, "direction": direction}).json()
    (lane,) = [c["lane"] for c in yard["called"] if c["crossing_id"] == crossing_id]
    return lane


@pytest.fixture(params=["sqlite", "postgres"])
def pair(request, tmp_path):
    if request.param == "sqlite":
        vn, cn = prepare(tmp_path)
        yield start_all(vn, cn)
        vn.stop(), cn.stop()
        return
    with fresh_pg_database(migrated=True) as vn_db, fresh_pg_database(migrated=True) as cn_db:
        vn, cn = prepare(tmp_path, vn_db, cn_db)
        yield start_all(vn, cn)
        vn.stop(), cn.stop()


def test_a_truck_declared_on_vn_is_known_on_cn_before_arrival_and_both_end_with_the_same_story(pair):
    vn, cn = pair
    body = green_cargo(gate="HUUNGHI")
    plate = body["vehicle"]["plate"]
    with vn.client("declarant", DECLARANT) as client:
        declared = client.post("/api/v1/crossings", json=body).json()

    imported = eventually(lambda: import_crossing(cn, declared["id"]), what="the pre-arrival notice on CN")
    assert imported["direction"] == "import" and imported["status"] == "declared"
    assert imported["plate"] == plate and imported["partner"]["origin_node"] == "VN-BORDER"
    assert imported["partner"]["reference"] == declared["reference"]
    full = crossing(cn, imported["id"])
    assert full["declaration"]["goods"] == declared["declaration"]["goods"]  # nothing retyped
    assert full["declaration"]["gate"] == "YOUYIGUAN"
    eventually(lambda: crossing(vn, declared["id"])["partner"].get("crossing_id") == imported["id"],
               what="CN's acknowledgement on VN")

    skipped = plate_read(vn, "HUUNGHI", "OUT-1", plate)  # straight to the barrier, past the yard
    assert (skipped["decision"], skipped["reason_code"], skipped["status"]) == ("hold", "not_checked_in", "declared")
    assert through_the_gate(vn, "HUUNGHI", plate, declared["id"])["status"] == "exited"
    eventually(lambda: crossing(cn, imported["id"])["status"] == "in_transit", what="the truck in transit on CN")
    cn_read = through_the_gate(cn, "YOUYIGUAN", plate, imported["id"])
    assert cn_read["decision"] == "open" and cn_read["status"] == "exited"

    vn_view = eventually(lambda: (v := crossing(vn, declared["id"]))["partner"].get("outcome") and v,
                         what="CN's clearance result on VN")
    assert vn_view["status"] == "exited"
    assert vn_view["partner"]["outcome"]["decision"] == "released"
    eventually(lambda: crossing(vn, declared["id"])["partner"]["status"] == "exited", what="CN's final status")
    cn_view = crossing(cn, imported["id"])
    assert cn_view["status"] == "exited" and cn_view["partner"]["status"] == "exited"

    with vn.client("supervisor") as client:
        status = client.get("/api/v1/exchange/status").json()
        sent = client.get("/api/v1/exchange/outbox", params={"stream": declared["id"]}).json()
    assert status[0]["partner"] == "CN-BORDER" and status[0]["outbox_depth"] == 0
    assert status[0]["last_contact_at"] is not None and status[0]["last_error"] is None
    assert [m["type"] for m in sent] == ["pre_arrival_notice", "crossing_status"]
    assert all(m["state"] == "delivered" and m["receipt"]["status"] == "applied" for m in sent)
    assert all(m["receipt"]["receiver"] == "CN-BORDER" and m["receipt"]["signature"] for m in sent)
    # what the node said travels as codes beside its English, so that each side renders it in its own language
    notice, status_sent = (m["payload"] for m in sent)
    assert len(notice["risk_reason_codes"]) == len(notice["risk_reasons"])
    assert status_sent["cause_said"]["code"].startswith("history.") and status_sent["cause"]
    outcome = vn_view["partner"]["outcome"]
    assert outcome["reason_codes"] and outcome["reason_codes"][-1]["code"].startswith("history.")
    with vn.client("supervisor") as client:
        history = client.get(f"/api/v1/crossings/{declared['id']}", headers={"Accept-Language": "vi"}).json()["events"]
    clearance = next(e for e in history if e.get("cause_code") == "history.partner_clearance")
    assert "CN-BORDER" in clearance["cause"] and "released" not in clearance["cause"], clearance


def test_a_cancellation_on_either_side_ends_with_both_sides_cancelled(pair):
    vn, cn = pair
    with vn.client("declarant", DECLARANT) as client:
        by_vn = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json()
        by_cn = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json()
    vn_cancelled = eventually(lambda: import_crossing(cn, by_vn["id"]), what="the first notice on CN")
    cn_cancels = eventually(lambda: import_crossing(cn, by_cn["id"]), what="the second notice on CN")
    eventually(lambda: crossing(vn, by_cn["id"])["partner"].get("crossing_id"), what="CN's acknowledgement")
    with vn.client("declarant", DECLARANT) as client:  # the exporter withdraws one truck on VN
        assert client.post(f"/api/v1/crossings/{by_vn['id']}/cancel", json={"note": "order cancelled"}).status_code == 200
    with cn.client("supervisor") as client:  # CN's supervisor cancels the other one on CN
        assert client.post(f"/api/v1/crossings/{cn_cancels['id']}/cancel",
                           json={"note": "importer withdrew the order"}).status_code == 200
    for here, mine, there, theirs in ((vn, by_vn["id"], cn, vn_cancelled["id"]), (vn, by_cn["id"], cn, cn_cancels["id"])):
        eventually(lambda: crossing(there, theirs)["status"] == "cancelled"
                   and crossing(here, mine)["status"] == "cancelled", what="both sides cancelled")
        eventually(lambda: crossing(here, mine)["partner"].get("status") == "cancelled"
                   and crossing(there, theirs)["partner"].get("status") == "cancelled",
                   what="each side knowing the other's cancellation")


def test_an_amendment_reaches_the_partner_and_is_reassessed_there(pair):
    vn, cn = pair
    body = green_cargo(gate="HUUNGHI")
    with vn.client("declarant", DECLARANT) as client:
        declared = client.post("/api/v1/crossings", json=body).json()
        eventually(lambda: import_crossing(cn, declared["id"]), what="the pre-arrival notice")
        amended = client.post(f"/api/v1/crossings/{declared['id']}/amendments",
                              json={"goods": [{**body["goods"][0], "hs_code": "08106000",
                                               "description": "Fresh durian", "perishable": True,
                                               "planting_area_code": "VNDL0123", "packing_house_code": "VNPH0045"}],
                                    "documents": [{"type": "phytosanitary", "number": "PC-2026-0099"}]})
    assert amended.status_code == 201, amended.text
    cn_view = eventually(lambda: (c := import_crossing(cn, declared["id"])) and c["version"] == 2 and c,
                         what="the amendment on CN")
    assert cn_view["risk_lane"] == "yellow"  # durian: CN's own rules decide its lane


def override(side: Side, gate: str, direction: str, start: datetime, hours: float, trucks: int | None,
             reason: str) -> None:
    with side.client("supervisor") as client:
        response = client.post(f"/api/v1/gates/{gate}/capacity-overrides", json={
            "direction": direction, "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=hours)).isoformat(), "trucks_per_hour": trucks, "reason": reason})
    assert response.status_code == 201, response.text


def test_capacity_notices_incidents_and_hazards_are_shared_and_listed(pair):
    vn, cn = pair
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    # CN changes its calendar; nobody types a notice: CN announces it to VN by itself.
    override(cn, "YOUYIGUAN", "inbound", start, 6, 40, "extra shift for the fruit season")
    override(cn, "YOUYIGUAN", "inbound", start + timedelta(hours=8), 2, None, "customs system upgrade")
    with cn.client("supervisor") as client:
        typed = client.post("/api/v1/exchange/capacity-notices", json={
            "gate": "YOUYIGUAN", "hours": [{"start": start.isoformat(), "trucks": 999}]})
        assert typed.status_code == 422 and typed.json()["errors"][0]["code"] == "capacity.computed"
        hazard = client.post("/api/v1/exchange/hazard-alerts", json={
            "gate": "YOUYIGUAN", "hazard": "landslide", "severity": "warning",
            "valid_from": (start + timedelta(hours=12)).isoformat(),
            "valid_until": (start + timedelta(hours=14)).isoformat(),
            "summary": "Landslide risk on the approach road"})
        assert hazard.status_code == 201, hazard.text
    with vn.client("border_guard") as client:
        incident = client.post("/api/v1/exchange/incidents", json={
            "gate": "HUUNGHI", "occurred_at": datetime.now(UTC).isoformat(), "category": "accident",
            "severity": "minor", "summary": "Truck broke down in the outbound lane"})
        assert incident.status_code == 201, incident.text
        bad = client.post("/api/v1/exchange/incidents", json={"gate": "HUUNGHI", "severity": "apocalyptic"})
    assert bad.status_code == 422
    assert {p["loc"] for p in bad.json()["errors"]} >= {"severity", "category", "summary", "occurred_at"}

    def youyiguan() -> dict | None:
        with vn.client("supervisor") as client:
            notices = [c for c in client.get("/api/v1/exchange/capacity").json() if c["gate"] == "YOUYIGUAN"]
        return notices[0] if notices and len(notices[0]["closures"]) == 2 else None

    notice = eventually(youyiguan, what="CN's notice with the closure and the hazard on VN")
    with vn.client("supervisor") as client:
        alerts = eventually(lambda: client.get("/api/v1/exchange/reports", params={"kind": "hazard_alert"}).json(),
                            what="the hazard alert")
    assert notice["facing_gate"] == "HUUNGHI" and not notice["stale"]
    trucks = {datetime.fromisoformat(h["start"]): h["trucks"] for h in notice["hours"]}
    assert len(trucks) == 48  # the next 48 hours
    assert [trucks[start + timedelta(hours=h)] for h in range(6)] == [40] * 6
    assert trucks[start + timedelta(hours=8)] == 0 and trucks[start + timedelta(hours=12)] == 0
    assert [c["reason"] for c in notice["closures"]] == ["customs system upgrade",
                                                         "hazard warning: landslide (Landslide risk on the approach road)"]
    assert alerts[0]["direction"] == "received" and alerts[0]["hazard"] == "landslide"
    with cn.client("customs") as client:
        incidents = eventually(lambda: client.get("/api/v1/exchange/reports",
                                                  params={"kind": "incident_report"}).json(), what="the incident")
    assert incidents[0]["summary"] == "Truck broke down in the outbound lane" and incidents[0]["partner"] == "VN-BORDER"


@pytest.fixture
def quiet_pair(tmp_path):
    """A pair whose yards are called forward only when the test says so."""
    vn, cn = prepare(tmp_path)
    for side in (vn, cn):
        side.extra_env["BORDERFLOW_CALL_FORWARD_SECONDS"] = "3600"
    yield start_all(vn, cn)
    vn.stop(), cn.stop()


def test_the_partner_lowering_its_capacity_slows_our_call_forward_within_one_message(quiet_pair):
    vn, cn = quiet_pair
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    override(vn, "HUUNGHI", "outbound", now - timedelta(hours=1), 4, 20, "test: the gate is open")
    override(cn, "YOUYIGUAN", "inbound", now - timedelta(hours=1), 4, 20, "test: the gate is open")
    trucks = []
    with vn.client("declarant", DECLARANT) as declarant, vn.client("device") as device:
        for _ in range(10):
            body = green_cargo(gate="HUUNGHI")
            body["expected_arrival"] = (now + timedelta(days=1)).astimezone(timezone(timedelta(hours=7))).replace(
                hour=10, minute=0, second=0, microsecond=0).isoformat()
            trucks.append(declarant.post("/api/v1/crossings", json=body).json())
            entry = device.post("/api/v1/gate-events", json={"gate": "HUUNGHI", "lane": "YARD", "kind": "yard_entry",
                                                             "plate": trucks[-1]["plate"], "confidence": 0.9})
            assert entry.json()["decision"] == "open", entry.text
    plate_of = {t["id"]: t["plate"] for t in trucks}

    def call() -> list[dict]:
        with vn.client("gate_operator") as operator:
            return operator.post("/api/v1/yard/call-forward",
                                 params={"gate": "HUUNGHI", "direction": "outbound"}).json()["called"]

    def partner_cap() -> int | None:
        with vn.client("supervisor") as client:
            return client.get("/api/v1/gates/HUUNGHI/capacity", params={"direction": "outbound",
                                                                       "hours": 1}).json()[0]["partner_cap"]

    eventually(lambda: partner_cap() == 20, what="CN's announced 20 trucks/h on VN")
    held = plate_read(vn, "HUUNGHI", "OUT-1", trucks[-1]["plate"])  # not called yet: the barrier keeps the order
    assert (held["decision"], held["reason_code"]) == ("hold", "not_called")
    assert held["reason_params"]["position"] is not None
    first = call()
    assert len(first) == 6  # three outbound lanes, two trucks on their way to each
    for truck in first:  # they pass: the lanes are free again
        assert plate_read(vn, "HUUNGHI", truck["lane"], plate_of[truck["crossing_id"]])["decision"] == "open"
    # CN's supervisor lowers the calendar: the notice follows by itself, and caps VN's next call.
    override(cn, "YOUYIGUAN", "inbound", hour, 3, 7, "two inspectors off sick")
    eventually(lambda: partner_cap() == 7, what="CN's lowered capacity on VN")
    with vn.client("supervisor") as client:
        calendar = client.get("/api/v1/gates/HUUNGHI/capacity", params={"direction": "outbound", "hours": 1}).json()
    assert calendar[0]["own"] == 20 and calendar[0]["capacity"] == 7 and calendar[0]["partner_basis"] == "announced"
    assert len(call()) == 1  # 7 accepted this hour by CN, 6 already sent
    assert call() == []
    # A closure on CN's side reaches VN the same way and stops the calls altogether.
    override(cn, "YOUYIGUAN", "inbound", hour, 3, None, "bridge closed: flood")
    eventually(lambda: partner_cap() == 0, what="CN's closure on VN")
