"""Bad input gets a precise problem+json answer, never a 500."""

from __future__ import annotations

import pytest

from tests.support.declarations import declaration

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def test_health_needs_no_key_and_names_the_node(anonymous):
    assert anonymous.get("/healthz").json() == {"status": "ok", "node": "VN-BORDER"}


def test_gates_are_public_and_complete(anonymous):
    gates = {g["code"]: g for g in anonymous.get("/api/v1/gates").json()}
    assert set(gates) == {"KIMTHANH", "MALUTHANG", "THANHTHUY", "HUUNGHI", "TANTHANH"}
    kim = gates["KIMTHANH"]
    assert kim["partner_gate"] == "HEKOU" and kim["country"] == "VN"
    assert set(kim["names"]) >= {"vi", "zh", "en"}
    assert [lane["direction"] for lane in kim["lanes"]].count("outbound") == 2
    assert kim["opening_hours"]["goods"] == {"from": "07:00", "to": "19:00"}


def test_malformed_json_is_400(declarant):
    response = declarant.post("/api/v1/crossings", content=b'{"direction": "export",',
                              headers={"content-type": "application/json"})
    body = assert_problem(response, 400)
    assert body["errors"][0]["code"] == "json_invalid"


def test_missing_key_is_401_with_the_scheme(anonymous):
    response = anonymous.post("/api/v1/crossings", json=declaration())
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_key_is_401(node):
    with node.client() as client:
        response = client.get("/api/v1/crossings", headers={"Authorization": "Bearer bf_nope"})
    assert "unknown" in assert_problem(response, 401)["detail"]


def test_unknown_crossing_is_404(customs):
    assert_problem(customs.get("/api/v1/crossings/00000000-0000-0000-0000-000000000000"), 404)


def test_unknown_route_is_a_problem_too(customs):
    assert_problem(customs.get("/api/v1/nothing-here"), 404)


def test_oversized_body_is_413(declarant):
    huge = declaration(goods__0__description="x" * 400_000)
    assert_problem(declarant.post("/api/v1/crossings", json=huge), 413)


def test_oversized_chunked_body_is_413(declarant):
    def chunks():
        yield b'{"direction": "export", "gate": "'
        for _ in range(300):
            yield b"K" * 1024
        yield b'"}'
    response = declarant.post("/api/v1/crossings", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(response, 413)


def test_wrong_types_are_422_with_paths(declarant):
    body = declaration(vehicle__axles="five", goods__0__packages=-1, direction="sideways")
    problem = assert_problem(declarant.post("/api/v1/crossings", json=body), 422)
    assert {"vehicle.axles", "goods[0].packages", "direction"} <= {e["loc"] for e in problem["errors"]}


@pytest.mark.parametrize("payload", [[], "text", 42, None, {"goods": "many"}])
def test_body_of_the_wrong_shape_is_422_not_500(declarant, payload):
    assert_problem(declarant.post("/api/v1/crossings", json=payload), 422)


def test_bad_query_parameters_are_422(customs):
    problem = assert_problem(customs.get("/api/v1/crossings", params={"status": "teleported", "limit": 0}), 422)
    assert {"query.status", "query.limit"} <= {e["loc"] for e in problem["errors"]}


def test_overlong_idempotency_key_is_refused(declarant):
    response = declarant.post("/api/v1/crossings", json=declaration(), headers={"Idempotency-Key": "k" * 300})
    assert response.status_code in (409, 422)
    assert response.headers["content-type"].startswith(PROBLEM)
