"""The partner's acceptance caps our outbound call-forward, and our own is announced by itself.

This node runs the shipped default for hours no current notice speaks of: 0 trucks, never
"unlimited". Notices arrive here through the inbox's own handler (the signed HTTP path is
tests/e2e/test_exchange.py's).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from borderflow.exchange import messages as m
from borderflow.services import announce, inbound
from tests.conftest import BACKENDS
from tests.support.capacity import open_around
from tests.support.nodes import running_on

GATE, FACING = "HUUNGHI", "YOUYIGUAN"


@pytest.fixture(scope="module", params=BACKENDS)
def cap_node(request, tmp_path_factory):
    with running_on(request.param, tmp_path_factory.mktemp("partner-cap"), partner_fallback_per_hour=0) as running:
        yield running


@pytest.fixture(scope="module")
def supervisor(cap_node):
    with cap_node.client("supervisor") as client:
        yield client


HOURS_APART = iter(range(0, 2000, 100))


@pytest.fixture
def now(cap_node, supervisor):
    """Each test in hours of its own, with our own side open at 20 trucks an hour both ways."""
    cap_node.clock.offset = next(HOURS_APART) * 3600.0
    at = cap_node.clock.now()
    open_around(supervisor, GATE, at, 20, hours_after=6)
    return at


def receive(cap_node, issued_at, hours: list[tuple[int, int]], closures: list[tuple[int, int]] = ()) -> None:
    """The partner's notice as the inbox applies it: hours (offset from this hour, trucks)."""
    first = issued_at.replace(minute=0, second=0, microsecond=0)
    payload = m.CapacityNotice(gate=FACING, issued_at=issued_at, hours=[
        m.CapacityHour(start=first + timedelta(hours=h), trucks=n) for h, n in hours], closures=[
        m.Closure(start=first + timedelta(hours=a), end=first + timedelta(hours=b), reason="bridge works")
        for a, b in closures])
    with cap_node.ctx.uow() as uow:
        inbound.capacity_notice(cap_node.ctx, uow, "CN-BORDER", payload, str(uuid.uuid4()))
        uow.commit()


def calendar(supervisor, hours: int = 4) -> list[dict]:
    response = supervisor.get(f"/api/v1/gates/{GATE}/capacity", params={"direction": "outbound", "hours": hours})
    assert response.status_code == 200, response.text
    return response.json()


def test_with_no_notice_nothing_is_called_outbound(supervisor, now):
    hours = calendar(supervisor)
    assert [(h["own"], h["partner_cap"], h["partner_basis"], h["capacity"]) for h in hours] == [
        (20, 0, "fallback", 0)] * 4


def test_a_current_notice_caps_the_hours_it_speaks_of_and_silence_falls_back(cap_node, supervisor, now):
    receive(cap_node, now, [(0, 7), (1, 30)], closures=[(2, 3)])
    hours = calendar(supervisor)
    assert [(h["partner_cap"], h["partner_basis"], h["capacity"]) for h in hours] == [
        (7, "announced", 7), (30, "announced", 20), (0, "announced", 0), (0, "fallback", 0)]


def test_a_stale_notice_no_longer_counts(cap_node, supervisor, now):
    receive(cap_node, now - timedelta(minutes=50), [(0, 15), (1, 15)])  # older than the 45-minute default
    assert [(h["partner_cap"], h["partner_basis"]) for h in calendar(supervisor, 2)] == [(0, "fallback")] * 2
    listed = supervisor.get("/api/v1/exchange/capacity").json()
    mine = next(c for c in listed if c["gate"] == FACING)
    assert mine["stale"] is True and mine["fallback_per_hour"] == 0
    assert mine["stale_since"] == (now - timedelta(minutes=5)).isoformat()


def test_our_calendar_changes_are_announced_in_the_same_transaction(cap_node, supervisor, now):
    before = supervisor.get("/api/v1/exchange/outbox", params={"stream": f"capacity:{GATE}", "limit": 500}).json()
    closed = supervisor.post(f"/api/v1/gates/{GATE}/capacity-overrides", json={
        "direction": "inbound", "starts_at": (now + timedelta(hours=2)).isoformat(),
        "ends_at": (now + timedelta(hours=3)).isoformat(), "trucks_per_hour": None, "reason": "scanner repairs"})
    assert closed.status_code == 201
    sent = supervisor.get("/api/v1/exchange/outbox", params={"stream": f"capacity:{GATE}", "limit": 500}).json()
    assert len(sent) == len(before) + 1
    notice = sent[-1]
    assert notice["type"] == "capacity_notice" and notice["recipient"] == "CN-BORDER"
    payload = notice["payload"]
    assert payload["gate"] == GATE and len(payload["hours"]) == 48
    assert payload["hours"][0]["trucks"] == 20  # our inbound lanes, as the override opened them
    assert [c["reason"] for c in payload["closures"]] == ["scanner repairs"]
    withdrawn = supervisor.delete(f"/api/v1/capacity-overrides/{closed.json()['id']}")
    assert withdrawn.status_code == 200
    again = supervisor.get("/api/v1/exchange/outbox", params={"stream": f"capacity:{GATE}", "limit": 500}).json()
    assert len(again) == len(sent) + 1 and again[-1]["payload"]["closures"] == []


def test_an_unchanged_calendar_is_announced_again_only_when_the_last_notice_ages(cap_node, supervisor, now):
    ctx, gate = cap_node.ctx, cap_node.ctx.node.gate(GATE)
    cap_node.clock.offset += (62 - now.minute) * 60 - now.second  # 2 minutes into an hour: no hour turns below
    with ctx.uow() as uow:
        announce.announce(ctx, uow, gate, force=True)
        uow.commit()
    base = cap_node.clock.offset
    for minutes, expected in ((1, False), (14, False), (16, True), (17, False)):
        cap_node.clock.offset = base + minutes * 60
        with ctx.uow() as uow:
            assert (announce.announce(ctx, uow, gate) is not None) is expected, minutes
            uow.commit()


def test_nobody_types_the_capacity(supervisor, now):
    typed = supervisor.post("/api/v1/exchange/capacity-notices", json={"gate": GATE, "hours": []})
    assert typed.status_code == 422 and typed.json()["errors"][0]["code"] == "capacity.computed"
    asked = supervisor.post("/api/v1/exchange/capacity-notices", json={"gate": GATE})
    assert asked.status_code == 201 and asked.json()["hours"][0]["trucks"] == 20
