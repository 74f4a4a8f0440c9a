"""Two real node processes, each with its own database and key, talking over loopback."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.support.databases import fresh_pg_database
from tests.support.declarations import green_cargo
from tests.support.pair import Side, prepare

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


@pytest.fixture(params=["sqlite", "postgres"])
def pair(request, tmp_path):
    if request.param == "sqlite":
        vn, cn = prepare(tmp_path)
        yield vn.start(), cn.start()
        vn.stop(), cn.stop()
        return
    with fresh_pg_database() as vn_db, fresh_pg_database() as cn_db:
        vn, cn = prepare(tmp_path, vn_db, cn_db)
        yield vn.start(), cn.start()
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

    assert plate_read(vn, "HUUNGHI", "OUT-1", plate)["status"] == "exited"
    eventually(lambda: crossing(cn, imported["id"])["status"] == "in_transit", what="the truck in transit on CN")
    cn_read = plate_read(cn, "YOUYIGUAN", "IN-1", plate)
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


def test_capacity_notices_incidents_and_hazards_are_shared_and_listed(pair):
    vn, cn = pair
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    with cn.client("supervisor") as client:
        notice = client.post("/api/v1/exchange/capacity-notices", json={
            "gate": "YOUYIGUAN",
            "hours": [{"start": (start + timedelta(hours=h)).isoformat(), "trucks": 40 - h} for h in range(6)],
            "closures": [{"start": (start + timedelta(hours=8)).isoformat(), "reason": "customs system upgrade"}]})
        assert notice.status_code == 201, notice.text
        hazard = client.post("/api/v1/exchange/hazard-alerts", json={
            "gate": "YOUYIGUAN", "hazard": "heavy_rain", "severity": "warning",
            "valid_from": start.isoformat(), "summary": "Heavy rain expected, slow approach road"})
        assert hazard.status_code == 201, hazard.text
    with vn.client("border_guard") as client:
        incident = client.post("/api/v1/exchange/incidents", json={
            "gate": "HUUNGHI", "occurred_at": datetime.now(UTC).isoformat(), "category": "accident",
            "severity": "minor", "summary": "Truck broke down in the outbound lane"})
        assert incident.status_code == 201, incident.text
        bad = client.post("/api/v1/exchange/incidents", json={"gate": "HUUNGHI", "severity": "apocalyptic"})
    assert bad.status_code == 422
    assert {p["loc"] for p in bad.json()["errors"]} >= {"severity", "category", "summary", "occurred_at"}

    with vn.client("supervisor") as client:
        capacity = eventually(lambda: client.get("/api/v1/exchange/capacity").json(), what="the capacity notice")
        alerts = eventually(lambda: client.get("/api/v1/exchange/reports", params={"kind": "hazard_alert"}).json(),
                            what="the hazard alert")
    assert capacity[0]["gate"] == "YOUYIGUAN" and capacity[0]["facing_gate"] == "HUUNGHI"
    assert [h["trucks"] for h in capacity[0]["hours"]] == [40, 39, 38, 37, 36, 35]
    assert capacity[0]["closures"][0]["reason"] == "customs system upgrade"
    assert alerts[0]["direction"] == "received" and alerts[0]["hazard"] == "heavy_rain"
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
    yield vn.start(), cn.start()
    vn.stop(), cn.stop()


def test_the_partner_lowering_its_capacity_slows_our_call_forward_within_one_message(quiet_pair):
    vn, cn = quiet_pair
    now = datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    with vn.client("supervisor") as client:
        assert client.post("/api/v1/gates/HUUNGHI/capacity-overrides", json={
            "direction": "outbound", "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": (now + timedelta(hours=3)).isoformat(), "trucks_per_hour": 20,
            "reason": "test: the gate is open"}).status_code == 201
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

    def call() -> list[dict]:
        with vn.client("gate_operator") as operator:
            return operator.post("/api/v1/yard/call-forward",
                                 params={"gate": "HUUNGHI", "direction": "outbound"}).json()["called"]

    first = call()
    assert len(first) == 6  # three outbound lanes, two trucks on their way to each
    with vn.client("device") as device:
        for truck in first:  # they pass: the lanes are free again
            device.post("/api/v1/gate-events", json={"gate": "HUUNGHI", "lane": truck["lane"], "kind": "plate_read",
                                                     "plate": next(t["plate"] for t in trucks
                                                                   if t["id"] == truck["crossing_id"]),
                                                     "confidence": 0.95})
    with cn.client("supervisor") as client:
        assert client.post("/api/v1/exchange/capacity-notices", json={
            "gate": "YOUYIGUAN", "hours": [{"start": (hour + timedelta(hours=h)).isoformat(), "trucks": 7}
                                           for h in range(3)]}).status_code == 201
    with vn.client("supervisor") as client:
        eventually(lambda: client.get("/api/v1/exchange/capacity").json(), what="CN's capacity notice on VN")
        calendar = client.get("/api/v1/gates/HUUNGHI/capacity", params={"direction": "outbound", "hours": 1}).json()
    assert calendar[0]["own"] == 20 and calendar[0]["partner_cap"] == 7 and calendar[0]["capacity"] == 7
    assert len(call()) == 1  # 7 accepted this hour by CN, 6 already sent
    assert call() == []
