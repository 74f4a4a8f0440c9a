"""Declarations and gate events taken past the framework (api/fast_writes) answer exactly as the
routes do: the work is the route's own, and any request that fails one of the route's checks gets
the app's own answer, as if the fast way were not there."""

from __future__ import annotations

import pytest

from borderflow.api import fast_writes
from tests.support.declarations import declaration, fresh_container, fresh_plate, green_cargo

CROSSINGS, EVENTS = "/api/v1/crossings", "/api/v1/gate-events"


@pytest.fixture
def taken(monkeypatch):
    """The writes the fast way carried out, by path."""
    done: list[str] = []

    def recording(path: str, write: fast_writes.Write) -> fast_writes.Write:
        def work(*args):  # noqa: ANN002, ANN202
            done.append(path)
            return write.work(*args)
        return write._replace(work=work)

    monkeypatch.setattr(fast_writes, "WRITES", {path: recording(path, w) for path, w in fast_writes.WRITES.items()})
    return done


@pytest.fixture
def framework_only(monkeypatch):
    """Switch the fast way off: every write goes through FastAPI's routing."""
    return lambda: monkeypatch.setattr(fast_writes, "WRITES", {})


def comparable(answer: dict) -> dict:
    """An answer without what differs from one declaration to the next (ids, references, times, the plate)."""
    drop = {"id", "reference", "plate", "created_at", "updated_at", "at", "request_id", "crossing_id",
            "expected_arrival", "driver_link", "status_at", "number"}
    if isinstance(answer, dict):
        return {k: comparable(v) for k, v in answer.items() if k not in drop}
    if isinstance(answer, list):
        return [comparable(v) for v in answer]
    return answer


def test_a_declaration_is_taken_past_the_framework_and_answered_as_the_route_answers(declarant, taken,
                                                                                     framework_only):
    fast = declarant.post(CROSSINGS, json=declaration(containers__0__number=fresh_container()),
                          headers={"Accept-Language": "vi"})
    assert taken == [CROSSINGS]
    framework_only()
    routed = declarant.post(CROSSINGS, json=declaration(containers__0__number=fresh_container()),
                            headers={"Accept-Language": "vi"})
    assert taken == [CROSSINGS]
    assert fast.status_code == routed.status_code == 201, (fast.text, routed.text)
    for header in ("content-type", "content-language", "vary"):
        assert fast.headers[header] == routed.headers[header], header
    assert "idempotent-replayed" not in fast.headers
    assert comparable(fast.json()) == comparable(routed.json())
    assert fast.json()["risk_reason_codes"] and fast.json()["events"]


def test_a_plate_read_is_taken_past_the_framework_with_its_decision(declarant, device, taken, framework_only):
    answers = []
    for fast in (True, False):
        if not fast:
            framework_only()
        plate = declarant.post(CROSSINGS, json=green_cargo()).json()["plate"]
        read = device.post(EVENTS, json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read", "plate": plate,
                                         "confidence": 0.95}, headers={"Accept-Language": "zh"})
        assert read.status_code in (200, 201), read.text
        answers.append(read)
    assert taken == [CROSSINGS, EVENTS]
    assert answers[0].status_code == answers[1].status_code
    assert comparable(answers[0].json()) == comparable(answers[1].json())
    assert answers[0].headers["content-language"] == "zh"


def test_a_retried_declaration_is_replayed_by_the_fast_way_too(declarant, taken):
    body = declaration()
    first = declarant.post(CROSSINGS, json=body, headers={"Idempotency-Key": f"fast-{fresh_plate()}"})
    again = declarant.post(CROSSINGS, json=body, headers={"Idempotency-Key": first.request.headers["Idempotency-Key"]})
    assert taken == [CROSSINGS, CROSSINGS]
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json()["id"] == first.json()["id"]


def _problem(response) -> tuple[int, dict]:  # noqa: ANN001
    body = response.json()
    return response.status_code, {k: v for k, v in body.items() if k not in ("request_id", "instance")}


# Each fails one of the route's checks, in the route's order: the key, the permission, the
# Idempotency-Key header, the content type, the JSON, the model.
FAILING = {
    "no key": ({}, None, lambda: declaration()),
    "unknown key": ({"Authorization": "Bearer not-a-key"}, None, lambda: declaration()),
    "a role without the permission": ({}, "device", lambda: {"not": "a declaration"}),
    "an empty Idempotency-Key": ({"Idempotency-Key": ""}, "declarant", lambda: declaration()),
    "an Idempotency-Key too long": ({"Idempotency-Key": "k" * 129}, "declarant", lambda: declaration()),
    "a body that is not JSON": ({"Content-Type": "application/json"}, "declarant", lambda: b"{not json"),
    "plain text": ({"Content-Type": "text/plain"}, "declarant", lambda: b"{}"),
    "a body the model refuses": ({}, "declarant", lambda: declaration(vehicle__axles=-1)),
    "a body with a NUL": ({}, "declarant", lambda: declaration(declarant__name="Lao\x00Cai")),
}


@pytest.mark.parametrize("case", FAILING)
def test_a_request_that_fails_a_check_gets_the_apps_own_answer(node, case, taken, framework_only):
    headers, role, body = FAILING[case]
    answers = []
    for fast in (True, False):
        if not fast:
            framework_only()
        with node.client(role, "5300123456" if role == "declarant" else None) as client:
            payload = body()
            sent = client.post(CROSSINGS, headers=headers, **({"content": payload} if isinstance(payload, bytes)
                                                              else {"json": payload}))
        assert sent.status_code >= 400, sent.text
        assert sent.headers["content-type"].startswith("application/problem+json")
        answers.append(_problem(sent))
    assert taken == []
    assert answers[0] == answers[1]


def test_an_error_of_the_work_is_answered_by_the_apps_handler(declarant, taken, framework_only):
    """A declaration the model takes but the node's validation refuses (a container whose check
    digit is wrong): the same 422, every problem with its field path, from the fast way and the route."""
    answers = []
    for fast in (True, False):
        if not fast:
            framework_only()
        refused = declarant.post(CROSSINGS, json=declaration(containers__0__number="CSQU3054384"),
                                 headers={"Accept-Language": "vi"})
        assert refused.status_code == 422, refused.text
        answers.append(_problem(refused))
    assert taken == [CROSSINGS]
    assert answers[0] == answers[1]
    assert any(e["loc"].startswith("containers") for e in answers[0][1]["errors"])
