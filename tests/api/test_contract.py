"""Details of the HTTP contract that integrators rely on."""

from __future__ import annotations

from tests.support.declarations import green_cargo


def test_an_empty_idempotency_key_is_a_400(declarant):
    response = declarant.post("/api/v1/crossings", json=green_cargo(), headers={"Idempotency-Key": ""})
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Idempotency-Key" in response.json()["detail"]


def test_a_405_lists_every_allowed_method(declarant):
    crossing = declarant.post("/api/v1/crossings", json=green_cargo()).json()
    booking = declarant.patch(f"/api/v1/crossings/{crossing['id']}/booking", json={})
    assert booking.status_code == 405
    assert set(booking.headers["allow"].replace(" ", "").split(",")) == {"GET", "PUT", "DELETE"}
    crossings = declarant.delete("/api/v1/crossings")
    assert crossings.status_code == 405
    assert set(crossings.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_the_openapi_document_describes_answers_gates_and_the_driver_view(node):
    with node.client() as client:
        spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    assert "404" in paths["/api/v1/driver/{reference}"]["get"]["responses"]

    def schema_of(path: str, method: str, status: str) -> dict:
        return paths[path][method]["responses"][status]["content"]["application/json"]["schema"]

    assert schema_of("/api/v1/crossings", "post", "201") == {"$ref": "#/components/schemas/Crossing"}
    assert schema_of("/api/v1/crossings", "get", "200")["items"] == {"$ref": "#/components/schemas/Crossing"}
    assert schema_of("/api/v1/crossings/{crossing_id}", "get", "200") == {"$ref": "#/components/schemas/Crossing"}
    assert schema_of("/api/v1/gate-events", "post", "201") == {"$ref": "#/components/schemas/GateDecision"}
    assert schema_of("/api/v1/crossings/{crossing_id}/booking", "put", "200") == {
        "$ref": "#/components/schemas/Booking"}
    crossing = spec["components"]["schemas"]["Crossing"]
    assert {"id", "reference", "status", "risk_lane"} <= set(crossing["required"])
    assert crossing.get("additionalProperties", True) is True  # integrators may meet fields added later

    gate_params = [(path, p) for path, item in paths.items() for op in item.values()
                   for p in op.get("parameters", []) if p["name"] == "gate"]
    assert len(gate_params) >= 6
    for path, param in gate_params:
        assert "KIMTHANH" in param["schema"].get("enum", []), (path, param)
