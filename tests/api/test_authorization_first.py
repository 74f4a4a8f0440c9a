"""A forbidden caller learns nothing about a write's schema: the permission is checked before the
body (or any parameter) is validated, so an invalid request from a role without the permission
gets 403, never 422 with the field errors."""

from __future__ import annotations

import pytest

from borderflow.domain.roles import PERMISSIONS, ROLES
from tests.conftest import DECLARANT_TAX_ID

LONG_ID = "x" * 65  # longer than any crossing id may be: invalid as a path parameter
# (method, path, permission, request arguments that are invalid for everyone)
WRITES = [
    ("POST", "/api/v1/crossings", "crossing.declare", {"json": {"direction": "sideways"}}),
    ("POST", "/api/v1/crossings/{crossing_id}/amendments", "crossing.amend", {"json": ["not", "an", "object"]}),
    ("POST", "/api/v1/crossings/{crossing_id}/cancel", "crossing.cancel", {"json": {"note": 1, "extra": True}}),
    ("POST", "/api/v1/crossings/{crossing_id}/inspections", "crossing.inspect", {"json": {"kind": "x"}}),
    ("POST", "/api/v1/crossings/{crossing_id}/hold", "crossing.hold", {"json": {"reason": ""}}),
    ("POST", "/api/v1/crossings/{crossing_id}/release", "crossing.release", {"json": {"note": 1, "extra": True}}),
    ("POST", "/api/v1/crossings/{crossing_id}/refuse", "crossing.refuse", {"json": {}}),
    ("POST", "/api/v1/gate-events", "gate.event", {"json": {"kind": "teleport"}}),
    ("POST", "/api/v1/gate-events/{event_id}/resolution", "gate.review", {"json": {"dismiss": "perhaps"}}),
    ("POST", "/api/v1/exchange/messages", "exchange.receive", {"json": {"messages": []}}),
    ("POST", "/api/v1/exchange/incidents", "exchange.report", {"json": ["not", "an", "object"]}),
    ("POST", "/api/v1/exchange/hazard-alerts", "exchange.report", {"json": ["not", "an", "object"]}),
    ("POST", "/api/v1/exchange/capacity-notices", "exchange.capacity", {"json": ["not", "an", "object"]}),
    ("POST", "/api/v1/gates/{gate}/capacity-overrides", "capacity.manage", {"json": {"direction": "up"}}),
    ("DELETE", "/api/v1/capacity-overrides/{override_id}", "capacity.manage", {"path": {"override_id": "0"}}),
    ("PUT", "/api/v1/crossings/{crossing_id}/booking", "booking.manage", {"json": {"slot_start": "noon"}}),
    ("DELETE", "/api/v1/crossings/{crossing_id}/booking", "booking.manage", {"path": {"crossing_id": LONG_ID}}),
    ("POST", "/api/v1/yard/call-forward", "yard.call", {"params": {"gate": "KIMTHANH", "direction": "up"}}),
    ("POST", "/api/v1/crossings/{crossing_id}/call-forward", "yard.call_one", {"json": {"reason": ""}}),
    ("POST", "/api/v1/statistics/reports", "statistics.report", {"json": {"period": "July", "gate": ""}}),
    ("POST", "/api/v1/devices/hikvision/events", "device.push", {"json": {"not": "xml"}}),
    ("POST", "/api/v1/devices/dahua/events", "device.push", {"json": {"Picture": 1}}),
    ("POST", "/api/v1/devices/dahua/keepalive", "device.push", {"json": ["not", "an", "object"]}),
    ("POST", "/api/v1/devices/snapshot/events", "device.push", {"json": {"not": "a jpeg"}}),
    ("POST", "/api/v1/devices/heartbeat", "device.push", {"json": {"state": "ajar"}}),
]
PATH_DEFAULTS = {"crossing_id": "VN-DOES-NOT-MATTER", "event_id": "1", "gate": "KIMTHANH", "override_id": "1"}


def test_every_write_route_is_in_the_table(node):
    with node.client() as client:
        spec = client.get("/openapi.json").json()
    routes = {(method.upper(), path) for path, item in spec["paths"].items() if path.startswith("/api/v1/")
              for method in item if method in ("post", "put", "patch", "delete")}
    assert routes == {(method, path) for method, path, _, _ in WRITES}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path", "permission", "invalid"), WRITES,
                         ids=[f"{m} {p}" for m, p, _, _ in WRITES])
def test_a_forbidden_role_gets_403_before_its_invalid_request_is_validated(node, role, method, path, permission,
                                                                         invalid):
    url = path.format(**{**PATH_DEFAULTS, **invalid.get("path", {})})
    with node.client(role, DECLARANT_TAX_ID if role == "declarant" else None) as client:
        response = client.request(method, url, json=invalid.get("json"), params=invalid.get("params"))
    if role in PERMISSIONS[permission] and path.startswith("/api/v1/devices/"):
        # a device key that names no registered device is refused before its body is read, too
        assert response.status_code == 403 and response.json()["code"] == "device.not_registered", response.text
        assert "errors" not in response.json()
    elif role in PERMISSIONS[permission]:
        assert response.status_code == 422, f"{role} {method} {url}: the request should be invalid: {response.text}"
    else:
        assert response.status_code == 403, f"{role} {method} {url}: {response.status_code} {response.text}"
        assert response.headers["content-type"].startswith("application/problem+json")
        assert "errors" not in response.json()
