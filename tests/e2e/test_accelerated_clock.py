"""A node process on an accelerated clock (BORDERFLOW_CLOCK_START/SPEED/ANCHOR) lives on that timeline:
the times it reports, what it accepts, and how often its call-forward loop runs."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from borderflow.services import apikeys
from borderflow.store import migrate
from borderflow.store import tables as t
from borderflow.store.db import make_engine
from tests.support.declarations import green_cargo
from tests.support.processes import NodeProcess, node_env

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("clock")]
HANOI = timezone(timedelta(hours=7))
SPEED = 60
CADENCE = 120  # node seconds between call-forward rounds: 2 real seconds at 60×
DECLARANT = "5300123456"


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """The VN node, 08:00 at Kim Thành (open for goods) a month ago, running at 60×."""
    folder = tmp_path_factory.mktemp("clock")
    db_url = f"sqlite:///{folder / 'node.sqlite'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    keys = {role: apikeys.create(engine, role=role, name=role, declarant_tax_id=DECLARANT if role == "declarant"
                                 else None, at=datetime.now(UTC))
            for role in ("declarant", "device", "gate_operator")}
    start = (datetime.now(HANOI) - timedelta(days=30)).replace(hour=8, minute=0, second=0, microsecond=0)
    anchor = datetime.now(UTC)
    env = node_env(folder, db_url, BORDERFLOW_CLOCK_START=start.isoformat(), BORDERFLOW_CLOCK_SPEED=str(SPEED),
                   BORDERFLOW_CLOCK_ANCHOR=anchor.isoformat(), BORDERFLOW_CALL_FORWARD_SECONDS=str(CADENCE),
                   BORDERFLOW_PARTNER_FALLBACK_PER_HOUR="30")
    process = NodeProcess(env).start()
    yield process, keys, engine, start, anchor
    process.stop()
    engine.dispose()


def on_timeline(start: datetime, anchor: datetime) -> datetime:
    """Node time now, as the node's settings define it."""
    return start + (datetime.now(UTC) - anchor) * SPEED


def get(node: NodeProcess, path: str, key: str | None = None, **params) -> object:
    import httpx
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    response = httpx.get(node.url + path, params=params, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def post(node: NodeProcess, path: str, key: str, body: dict):  # noqa: ANN201
    import httpx
    return httpx.post(node.url + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=10)


def test_the_node_reports_times_on_its_timeline_advancing_speed_times_faster(node):
    process, keys, _, start, anchor = node
    get(process, "/api/v1/wait-times")  # the hour's first feed computes the typical week: not what is timed here
    first, real_first = datetime.fromisoformat(get(process, "/api/v1/wait-times")[0]["updated_at"]), time.monotonic()
    assert abs(first - on_timeline(start, anchor)) < timedelta(seconds=SPEED)  # within a real second
    time.sleep(3)
    second, real_second = datetime.fromisoformat(get(process, "/api/v1/wait-times")[0]["updated_at"]), time.monotonic()
    assert (second - first).total_seconds() == pytest.approx((real_second - real_first) * SPEED, abs=SPEED)

    declared = post(process, "/api/v1/crossings", keys["declarant"],
                    green_cargo(expected_arrival=(on_timeline(start, anchor) + timedelta(hours=2)).isoformat()))
    assert declared.status_code == 201, declared.text
    created = datetime.fromisoformat(declared.json()["created_at"])
    assert abs(created - on_timeline(start, anchor)) < timedelta(seconds=SPEED)


def test_the_node_judges_a_declaration_by_its_own_time(node):
    process, keys, _, start, anchor = node
    real_tomorrow = (datetime.now(HANOI) + timedelta(days=1)).isoformat()  # a month after the node's today
    refused = post(process, "/api/v1/crossings", keys["declarant"], green_cargo(expected_arrival=real_tomorrow))
    assert refused.status_code == 422, refused.text
    assert any(p["loc"] == "expected_arrival" for p in refused.json()["errors"]), refused.text


def test_its_call_forward_loop_runs_at_the_accelerated_cadence(node):
    process, keys, engine, start, anchor = node
    s = t.call_state.c
    runs: list[datetime] = []
    deadline = time.monotonic() + 7
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            at = conn.execute(select(s.last_run_at).where(s.gate == "KIMTHANH", s.direction == "outbound")).scalar()
        if at is not None and (not runs or at != runs[-1]):
            runs.append(at)
        time.sleep(0.05)
    # 7 real seconds at one round per 2: three or more rounds (on the system clock: one, at most)
    assert len(runs) >= 3, runs
    gaps = [(b - a).total_seconds() for a, b in zip(runs, runs[1:], strict=False)]
    # rounds start on the cadence's grid of node time; each is stamped when its step runs, up to a
    # real second after its grid point
    # (a change, such as an announcement, may wake the loop for one extra round off the grid)
    assert sum(CADENCE - SPEED < gap < CADENCE + SPEED for gap in gaps) >= len(gaps) - 1 >= 1, gaps

    body = green_cargo(expected_arrival=(on_timeline(start, anchor) + timedelta(minutes=30)).isoformat())
    declared = post(process, "/api/v1/crossings", keys["declarant"], body).json()
    entry = post(process, "/api/v1/gate-events", keys["device"], {
        "gate": "KIMTHANH", "lane": "YARD", "kind": "yard_entry", "plate": body["vehicle"]["plate"],
        "confidence": 0.97}).json()
    assert entry["reason_code"] == "checked_in", entry
    began, called = time.monotonic(), None
    while called is None and time.monotonic() - began < 8:
        board = get(process, "/api/v1/yard", keys["gate_operator"], gate="KIMTHANH", direction="outbound")
        called = next((c for c in board["called"] if c["crossing_id"] == declared["id"]), None)
        time.sleep(0.1)
    assert called is not None, "not called forward within 8 real seconds"
    assert time.monotonic() - began < 2 * CADENCE / SPEED + 1.5  # a round came within its real cadence
