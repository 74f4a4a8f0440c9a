"""Who may do what: every role against every write, through HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import DECLARANT_TAX_ID
from tests.devices.support import register
from tests.support.declarations import green_cargo

ROLES = ["declarant", "driver", "customs", "border_guard", "quarantine", "gate_operator", "supervisor",
         "partner", "device", "public", "metrics", "statistics"]
ALLOWED = {
    "declare": {"declarant", "customs", "supervisor"},
    "list": {"declarant", "customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "hold": {"customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "inspect": {"customs", "quarantine", "border_guard", "supervisor"},
    "gate_event": {"device", "gate_operator"},
    "review": {"gate_operator", "customs", "border_guard", "supervisor"},
    "audit": {"supervisor", "customs"},
    "audit_proof": {"supervisor", "customs"},
    "versions": {"declarant", "customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "booking": {"declarant", "customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "signoff_queue": {"customs", "quarantine", "border_guard", "supervisor"},
    "call_one": {"supervisor"},
    "trade_statistics": {"statistics", "customs", "supervisor", "declarant"},
    "device_heartbeat": {"device"},
    "devices": {"customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "evidence": {"customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
}
# What an allowed role gets where it is not 200/201: the crossing has no booking.
ALLOWED_STATUS = {"booking": (404,), "evidence": (404,),  # no image has that hash
                  "audit_proof": (200, 404, 409)}  # entry 1 may not be numbered, or signed, yet


def attempt(client, action: str, crossing_id: str):
    if action == "declare":
        return client.post("/api/v1/crossings", json=green_cargo())
    if action == "list":
        return client.get("/api/v1/crossings")
    if action == "hold":
        return client.post(f"/api/v1/crossings/{crossing_id}/hold", json={"reason": "role check"})
    if action == "inspect":
        return client.post(f"/api/v1/crossings/{crossing_id}/inspections",
                           json={"kind": "document", "result": "passed"})
    if action == "gate_event":
        return client.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "barrier",
                                                        "state": "open"})
    if action == "review":
        return client.get("/api/v1/gate-events/review")
    if action == "audit":
        return client.get("/api/v1/audit/verify")
    if action == "audit_proof":
        return client.get("/api/v1/audit/proof", params={"entry": 1})
    if action == "versions":
        return client.get(f"/api/v1/crossings/{crossing_id}/versions")
    if action == "booking":
        return client.get(f"/api/v1/crossings/{crossing_id}/booking")
    if action == "signoff_queue":
        return client.get("/api/v1/signoffs")
    if action == "call_one":
        return client.post(f"/api/v1/crossings/{crossing_id}/call-forward", json={"reason": "role check"})
    if action == "trade_statistics":
        return client.get("/api/v1/statistics/trade", params={"period": "month", "by": "gate"})
    if action == "device_heartbeat":
        return client.post("/api/v1/devices/heartbeat")
    if action == "devices":
        return client.get("/api/v1/devices")
    if action == "evidence":
        return client.get(f"/api/v1/evidence/{'e' * 64}")
    raise AssertionError(action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_role_matrix(node, declarant, role, action):
    crossing_id = declarant.post("/api/v1/crossings", json=green_cargo()).json()["id"]
    with node.client(role, DECLARANT_TAX_ID if role == "declarant" else None) as client:
        if role == "device" and action == "device_heartbeat":  # a device key speaks once registered
            client.headers["Authorization"] = f"Bearer {register(node)}"
        response = attempt(client, action, crossing_id)
    if role in ALLOWED[action]:
        assert response.status_code in ALLOWED_STATUS.get(action, (200, 201)), f"{role} {action}: {response.text}"
    else:
        assert response.status_code == 403, f"{role} {action}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
