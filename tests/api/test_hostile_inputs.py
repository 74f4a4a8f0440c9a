"""Inputs that once made the node answer 500: each is refused as the caller's fault (422, or a
rejected receipt for a partner message), and nothing else in the request is lost."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.declarations import fresh_plate, green_cargo
from tests.support.inbox import envelope, receiving_node, unsigned  # noqa: F401 - the fixture

NOW = datetime.now(UTC)


def problem_locs(response) -> set[str]:  # noqa: ANN001
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return {e["loc"] for e in response.json()["errors"]}


# ------------------------------------------------------------------ partner envelopes


@pytest.mark.parametrize("number", ["18446744073709551616", "NaN", "Infinity", "-Infinity"])
def test_a_number_canonical_json_cannot_encode_refuses_that_message_and_keeps_the_rest(receiving_node, number):
    stream = f"numbers-{uuid.uuid4().hex[:8]}"
    good_before = envelope(receiving_node, stream=stream, seq=1)
    bad = {**unsigned(receiving_node, stream=f"{stream}-bad", seq=1), "payload": {"marker": "BAD"},
           "key_id": receiving_node.partner_key.key_id, "signature": "AAAA"}
    good_after = envelope(receiving_node, stream=stream, seq=2)
    # Python's json module reads NaN, Infinity and big integers as numbers: so does the node.
    text = json.dumps({"messages": [good_before, bad, good_after]}).replace('"BAD"', number)
    response = receiving_node.deliver_raw(text)
    assert response.status_code == 200, response.text
    receipts = response.json()["receipts"]
    assert [r["status"] for r in receipts] == ["applied", "rejected", "applied"], receipts
    assert "canonical JSON" in receipts[1]["reason"] and receipts[1]["retry"] is False
    with receiving_node.node.client("supervisor") as client:
        logged = client.get("/api/v1/exchange/rejections").json()
    assert any(r["message_id"] == bad["message_id"] for r in logged)


@pytest.mark.parametrize("where", ["stream", "payload text", "payload key", "signature"])
def test_a_nul_character_in_an_envelope_refuses_that_message_and_keeps_the_rest(receiving_node, where):
    stream = f"nul-{uuid.uuid4().hex[:8]}"
    if where == "stream":
        bad = envelope(receiving_node, stream=f"{stream}\x00", seq=1)
    elif where == "signature":
        signed = envelope(receiving_node, stream=f"{stream}-bad", seq=1)
        bad = {**signed, "signature": signed["signature"][:8] + "\x00" + signed["signature"][9:]}
    else:
        payload = {"summary": "road closed", "where": {"note": ["ok", "a\x00b"]}} if where == "payload text" \
            else {"summary": "road closed", "where": {"no\x00te": 1}}
        bad = envelope(receiving_node, stream=f"{stream}-bad", seq=1, payload=payload)
    good = envelope(receiving_node, stream=stream, seq=1)
    receipts = receiving_node.deliver(bad, good).json()["receipts"]
    assert [r["status"] for r in receipts] == ["rejected", "applied"], receipts
    assert "NUL" in receipts[0]["reason"]


def test_a_refused_or_held_message_reads_in_the_operators_language_and_its_receipt_as_signed(receiving_node):
    stream = f"words-{uuid.uuid4().hex[:8]}"
    misaddressed = receiving_node.partner_key.sign({**unsigned(receiving_node, stream=stream, seq=1),
                                                    "recipient": "XX-NODE"})
    ahead = envelope(receiving_node, stream=stream, seq=3)  # 1 and 2 have not come: it waits
    receipts = receiving_node.deliver(misaddressed, ahead).json()["receipts"]
    assert [r["status"] for r in receipts] == ["rejected", "held"], receipts
    assert receipts[0]["reason"].startswith("addressed to 'XX-NODE'")  # signed: the English text, as sent
    assert receipts[1]["reason"] == f"waiting for sequence number 1 of stream {stream!r}"
    with receiving_node.node.client("supervisor") as client:
        refused = client.get("/api/v1/exchange/rejections", headers={"Accept-Language": "vi"}).json()
        held = client.get("/api/v1/exchange/inbox", params={"stream": stream, "state": "held"},
                          headers={"Accept-Language": "zh"}).json()
    mine = next(r for r in refused if r["message_id"] == misaddressed["message_id"])
    assert mine["reason"].startswith("tin gửi cho 'XX-NODE'") and mine["reason_code"] == "exchange.wrong_recipient"
    assert mine["reason_params"] == {"recipient": "XX-NODE", "node": receiving_node.node.ctx.node.id}
    assert [m["reason"] for m in held] == [f"正在等待消息流 {stream!r} 的序号 1"], held
    assert held[0]["envelope"] == ahead  # what the partner signed, untouched by the rendering


# ------------------------------------------------------------------ times


@pytest.mark.parametrize("at", ["2026-11-27T09:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                "0001-01-01T00:00:00+00:00", "9999-01-01T00:00:00+00:00"])
def test_a_gate_event_time_without_offset_or_out_of_range_is_a_422(device, at):
    response = device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "barrier",
                                                        "state": "open", "at": at})
    assert problem_locs(response) == {"at"}


@pytest.mark.parametrize("field", ["starts_at", "ends_at"])
@pytest.mark.parametrize("at", ["2026-11-27T09:00:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                                "0001-01-01T00:00:00+00:00", "9999-01-01T00:00:00+00:00"])
def test_an_override_time_without_offset_or_out_of_range_is_a_422(supervisor, field, at):
    body = {"direction": "inbound", "starts_at": (NOW + timedelta(days=400)).isoformat(),
            "ends_at": (NOW + timedelta(days=400, hours=1)).isoformat(), "trucks_per_hour": 3,
            "reason": "implausible", field: at}
    response = supervisor.post("/api/v1/gates/KIMTHANH/capacity-overrides", json=body)
    assert problem_locs(response) == {field}
    if "+" in at or "-14" in at:
        assert "within 10 years" in response.text


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+00:00", "9999-01-01T00:00:00+00:00"])
def test_absurd_times_in_incidents_and_hazard_alerts_are_refused(border_guard, at):
    incident = border_guard.post("/api/v1/exchange/incidents", json={
        "gate": "HUUNGHI", "occurred_at": at, "category": "other", "severity": "info", "summary": "absurd"})
    assert problem_locs(incident) == {"occurred_at"} and "within 10 years" in incident.text
    hazard = border_guard.post("/api/v1/exchange/hazard-alerts", json={
        "gate": "HUUNGHI", "hazard": "flood", "severity": "advisory", "valid_from": NOW.isoformat(),
        "valid_until": at, "summary": "absurd"})
    assert problem_locs(hazard) == {"valid_until"}


def test_an_absurd_time_in_a_partner_capacity_notice_refuses_that_message(receiving_node):
    notice = {"gate": "YOUYIGUAN", "issued_at": NOW.isoformat(),
              "hours": [{"start": "9999-01-01T00:00:00+00:00", "trucks": 5}]}
    message = receiving_node.partner_key.sign({**unsigned(receiving_node, stream=f"cap-{uuid.uuid4().hex[:8]}", seq=1),
                                               "type": "capacity_notice", "payload": notice})
    receipt = receiving_node.deliver(message).json()["receipts"][0]
    assert receipt["status"] == "rejected" and "within 10 years" in receipt["reason"]


# ------------------------------------------------------------------ NUL characters and lengths


def test_a_nul_character_in_any_text_is_a_422_naming_the_field(node, declarant, customs, device, supervisor):
    crossing = declarant.post("/api/v1/crossings", json=green_cargo()).json()
    cases = [
        (customs.post(f"/api/v1/crossings/{crossing['id']}/hold", json={"reason": "bad\x00reason"}), {"reason"}),
        (device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "barrier",
                                                  "state": "open", "device": "cam\x00era"}), {"device"}),
        (device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read",
                                                  "plate": "24C\x00", "confidence": 0.9}), {"plate"}),
        (customs.get("/api/v1/crossings", params={"plate": "24C\x00"}), {"query.plate"}),
        (customs.get("/api/v1/crossings/VN%00X"), {"path.crossing_id"}),
        (customs.get("/api/v1/crossings", params={"gate": "KIM\x00"}), {"query.gate"}),
        (declarant.post("/api/v1/crossings", json=green_cargo(driver__name="An\x00")), {"driver.name"}),
        (declarant.post(f"/api/v1/crossings/{crossing['id']}/amendments",
                        json={"vehicle": {"plate": "24C\x00"}}), {"vehicle.plate"}),
        (supervisor.post("/api/v1/gates/KIMTHANH/capacity-overrides", json={
            "direction": "inbound", "starts_at": (NOW + timedelta(days=500)).isoformat(),
            "ends_at": (NOW + timedelta(days=500, hours=1)).isoformat(), "reason": "x\x00"}), {"reason"}),
        (supervisor.get("/api/v1/exchange/outbox", params={"stream": "a\x00"}), {"query.stream"}),
        (node.client().get(f"/api/v1/driver/{crossing['reference']}", params={"plate": "24\x00C"}), {"query.plate"}),
    ]
    for response, locs in cases:
        assert problem_locs(response) == locs, response.text
        assert "NUL" in response.text


@pytest.mark.parametrize("length", [33, 40])
def test_a_plate_longer_than_the_column_is_a_422(device, declarant, length):
    plate = ("24C" + "9" * 40)[:length]
    read = device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read",
                                                    "plate": plate, "confidence": 0.9})
    assert problem_locs(read) == {"plate"}
    declared = declarant.post("/api/v1/crossings", json=green_cargo(vehicle__trailer_plate=plate))
    assert problem_locs(declared) == {"vehicle.trailer_plate"}
    assert device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read",
                                                    "plate": fresh_plate(), "confidence": 0.9}).status_code == 201
