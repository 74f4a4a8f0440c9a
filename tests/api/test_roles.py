"""Who may do what: every role against every write, through HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import DECLARANT_TAX_ID
from tests.support.declarations import green_cargo

ROLES = ["declarant", "driver", "customs", "border_guard", "quarantine", "gate_operator", "supervisor",
         "partner", "device", "public", "metrics"]
ALLOWED = {
    "declare": {"declarant", "customs", "supervisor"},
    "list": {"declarant", "customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "hold": {"customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "inspect": {"customs", "quarantine", "border_guard", "supervisor"},
    "gate_event": {"device", "gate_operator"},
    "review": {"gate_operator", "customs", "border_guard", "supervisor"},
    "audit": {"supervisor"},
    "versions": {"declarant", "customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "booking": {"declarant", "customs", "border_guard", "quarantine", "gate_operator", "supervisor"},
    "signoff_queue": {"customs", "quarantine", "border_guard", "supervisor"},
    "call_one": {"supervisor"},
}
# What an allowed role gets where it is not 200/201: the crossing has no booking.
ALLOWED_STATUS = {"booking": (404,)}


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
    if action == "versions":
        return client.get(f"/api/v1/crossings/{crossing_id}/versions")
    if action == "booking":
        return client.get(f"/api/v1/crossings/{crossing_id}/booking")
    if action == "signoff_queue":
        return client.get("/api/v1/signoffs")
    if action == "call_one":
        return client.post(f"/api/v1/crossings/{crossing_id}/call-forward", json={"reason": "role check"})
    raise AssertionError(action)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_role_matrix(node, declarant, role, action):
    crossing_id = declarant.post("/api/v1/crossings", json=green_cargo()).json()["id"]
    with node.client(role, DECLARANT_TAX_ID if role == "declarant" else None) as client:
        response = attempt(client, action, crossing_id)
    if role in ALLOWED[action]:
        assert response.status_code in ALLOWED_STATUS.get(action, (200, 201)), f"{role} {action}: {response.text}"
    else:
        assert response.status_code == 403, f"{role} {action}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
