"""The public wait-time feed, as the US CBP's Border Wait Times feed: goods hours, lanes open of
the most the gate has, the notices in force (closures, hazard alerts) and the typical week, in
JSON and in the CSV.

These tests move the node's clock, so they get a node of their own.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from borderflow.exchange import messages as m
from borderflow.services import inbound
from tests.conftest import BACKENDS, DECLARANT_TAX_ID
from tests.support.declarations import green_cargo
from tests.support.nodes import running_on

GATE = "HUUNGHI"  # three outbound goods lanes, four inbound; 07:00-19:00 at the gate
VN = ZoneInfo("Asia/Ho_Chi_Minh")
NUMBERS = ("trucks_waiting", "lanes_open", "max_lanes", "capacity_per_hour", "crossed_trucks")


@pytest.fixture(scope="module", params=BACKENDS)
def feed_node(request, tmp_path_factory):
    with running_on(request.param, tmp_path_factory.mktemp("feed")) as running:
        yield running


@pytest.fixture(scope="module")
def people(feed_node):
    clients = {role: feed_node.client(role) for role in ("gate_operator", "supervisor", "border_guard", "device")}
    clients["declarant"] = feed_node.client("declarant", DECLARANT_TAX_ID)
    clients["public"] = feed_node.client()
    yield clients
    for client in clients.values():
        client.close()


@pytest.fixture
def later(feed_node):
    """Each test starts a day after the last one: no hour, override or alert is shared."""
    feed_node.clock.offset += 86400.0
    return feed_node.clock.now()


def feed(people, direction: str = "outbound") -> dict:
    response = people["public"].get("/api/v1/wait-times")
    assert response.status_code == 200, response.text
    return next(r for r in response.json() if r["gate"] == GATE and r["direction"] == direction)


def feed_csv(people, direction: str = "outbound") -> dict:
    response = people["public"].get("/api/v1/wait-times.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv"), response.text
    return next(r for r in csv.DictReader(io.StringIO(response.text)) if r["gate"] == GATE
                and r["direction"] == direction)


def override(people, start: datetime, end: datetime, trucks: int | None, reason: str) -> int:
    response = people["supervisor"].post(f"/api/v1/gates/{GATE}/capacity-overrides", json={
        "direction": "outbound", "starts_at": start.isoformat(), "ends_at": end.isoformat(),
        "trucks_per_hour": trucks, "reason": reason})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def check_in(people, now: datetime) -> None:
    tomorrow = (now + timedelta(days=1)).astimezone(VN).replace(hour=10, minute=0, second=0, microsecond=0)
    declared = people["declarant"].post("/api/v1/crossings", json=green_cargo(
        gate=GATE, expected_arrival=tomorrow.isoformat()))
    assert declared.status_code == 201, declared.text
    read = people["device"].post("/api/v1/gate-events", json={
        "gate": GATE, "lane": "YARD-IN", "kind": "yard_entry", "plate": declared.json()["plate"], "confidence": 0.9})
    assert read.status_code == 201 and read.json()["decision"] == "open", read.text


def test_each_gate_direction_has_its_hours_and_lanes_as_numbers(people, later):
    outbound, inbound_row = feed(people), feed(people, "inbound")
    assert outbound["opening_hours"] == {"goods": {"from": "07:00", "to": "19:00"}, "timezone": "Asia/Ho_Chi_Minh"}
    assert (outbound["max_lanes"], inbound_row["max_lanes"]) == (3, 4)
    assert 0 <= outbound["lanes_open"] <= outbound["max_lanes"]
    for field in NUMBERS:  # JSON numbers, never strings
        assert type(outbound[field]) is int, (field, outbound[field])
    assert outbound["typical_week_weeks"] == 8 and isinstance(outbound["typical_week"], list)
    # open now: it says when it closes; closed: when it opens
    assert (outbound["closes_at"] is None) == (outbound["status"] == "closed") == (outbound["opens_at"] is not None)
    row = feed_csv(people)
    assert (row["max_lanes"], row["opening_hours_from"], row["opening_hours_to"]) == ("3", "07:00", "19:00")
    assert row["timezone"] == "Asia/Ho_Chi_Minh" and "typical_mon_07" in row and "typical_sun_23" in row


def test_a_closure_is_a_notice_with_the_officers_reason_and_its_end(people, later):
    ends = later + timedelta(hours=5)
    closure = override(people, later - timedelta(hours=1), ends, None, "bridge repair on the access road")
    try:
        mine = feed(people)
        assert mine["status"] == "closed" and mine["lanes_open"] == 0 and mine["max_lanes"] == 3
        [notice] = [n for n in mine["notices"] if n["kind"] == "closure"]
        assert notice["text"] == "bridge repair on the access road" and notice["trucks_per_hour"] is None
        assert datetime.fromisoformat(notice["ends_at"]) == ends
        assert all(n["kind"] != "closure" for n in feed(people, "inbound")["notices"])  # outbound only
        row = feed_csv(people)
        assert row["notice_kinds"] == "closure" and row["notice_text"] == "bridge repair on the access road"
    finally:
        people["supervisor"].delete(f"/api/v1/capacity-overrides/{closure}")
    assert all(n["kind"] != "closure" for n in feed(people)["notices"])


def test_hazard_alerts_in_force_on_either_side_are_notices_on_both_directions(people, feed_node, later):
    alert = {"gate": GATE, "hazard": "heavy_rain", "severity": "advisory",  # an advisory closes nothing
             "valid_from": (later - timedelta(minutes=10)).isoformat(),
             "valid_until": (later + timedelta(hours=2)).isoformat(), "summary": "heavy rain on QL1A"}
    over = {**alert, "hazard": "landslide", "valid_from": (later - timedelta(hours=3)).isoformat(),
            "valid_until": (later - timedelta(hours=1)).isoformat(), "summary": "cleared"}
    for body in (alert, over):
        response = people["border_guard"].post("/api/v1/exchange/hazard-alerts", json=body)
        assert response.status_code == 201, response.text
    # the partner warns of a flood at Youyiguan, facing Huu Nghi (as its inbox stores it)
    with feed_node.ctx.uow() as uow:
        inbound.report(feed_node.ctx, uow, "CN-BORDER", m.HazardAlert(
            id=str(uuid.uuid4()), gate="YOUYIGUAN", hazard="flood", severity="watch",
            valid_from=later - timedelta(minutes=5), valid_until=None, summary="河水上涨"), str(uuid.uuid4()))
        uow.commit()
    for direction in ("outbound", "inbound"):
        mine = feed(people, direction)
        hazards = {(n["hazard"], n["severity"], n["side"], n["text"]) for n in mine["notices"] if n["kind"] == "hazard"}
        assert hazards == {("heavy_rain", "advisory", "own", "heavy rain on QL1A"),
                           ("flood", "watch", "partner", "河水上涨")}, mine["notices"]
        assert mine["status"] != "closed" or mine["opens_at"] is not None
    row = feed_csv(people, "inbound")
    assert row["notice_kinds"].split(";").count("hazard") == 2 and "河水上涨" in row["notice_text"]
    other = next(r for r in people["public"].get("/api/v1/wait-times").json() if r["gate"] == "TANTHANH")
    assert not [n for n in other["notices"] if n["kind"] == "hazard"]  # only the gate it is about


def test_the_typical_week_is_the_median_wait_by_local_weekday_and_hour(people, feed_node, later):
    opening = override(people, later - timedelta(hours=1), later + timedelta(hours=3), 50, "open for the test")
    for minutes in (10, 20, 10):  # checked in 40, 30 and 10 minutes before the call: median 30, mean 26.7
        check_in(people, feed_node.clock.now())
        feed_node.clock.offset += minutes * 60
    called = people["gate_operator"].post("/api/v1/yard/call-forward", params={"gate": GATE, "direction": "outbound"})
    assert called.status_code == 200 and len(called.json()["called"]) == 3, called.text
    when = feed_node.clock.now().astimezone(VN)
    cell = {"weekday": when.isoweekday(), "hour": when.hour}
    people["supervisor"].delete(f"/api/v1/capacity-overrides/{opening}")
    # the hour under way is not in it yet: the typical week is made of complete hours
    assert not [c for c in feed(people)["typical_week"] if (c["weekday"], c["hour"]) == tuple(cell.values())]

    feed_node.clock.offset += 7 * 86400  # the same hour a week later
    mine = feed(people)
    [found] = [c for c in mine["typical_week"] if (c["weekday"], c["hour"]) == tuple(cell.values())]
    assert found == {**cell, "median_wait_min": 30.0, "trucks": 3}
    assert mine["typical_wait_now_min"] == 30.0
    row = feed_csv(people)
    day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[when.isoweekday() - 1]
    assert float(row[f"typical_{day}_{when.hour:02d}"]) == 30.0 and float(row["typical_wait_now_min"]) == 30.0
    assert feed(people, "inbound")["typical_week"] == []  # nobody was called inbound

    feed_node.clock.offset += 9 * 7 * 86400  # beyond the eight weeks the median is taken over
    assert feed(people)["typical_week"] == []


def test_the_feed_is_public_and_names_nobody(people, later):
    response = people["public"].get("/api/v1/wait-times")
    assert response.status_code == 200
    text = response.text
    assert DECLARANT_TAX_ID not in text and "24C-" not in text and "Nguyen" not in text
    assert datetime.fromisoformat(response.json()[0]["updated_at"]).tzinfo is not None


@pytest.fixture(scope="module")
def cached_node(tmp_path_factory):
    """A node whose feed is computed again once a minute old (node time), so a slow machine stays within it."""
    with running_on("sqlite", tmp_path_factory.mktemp("feed-cached"), wait_feed_seconds=60) as running:
        yield running


def test_the_feed_is_computed_again_once_its_period_has_passed(cached_node):
    with cached_node.client("declarant", DECLARANT_TAX_ID) as declarant, cached_node.client("device") as device, \
            cached_node.client() as public:
        people = {"declarant": declarant, "device": device, "public": public}
        before = feed(people, "outbound")["trucks_waiting"]
        check_in(people, cached_node.clock.now())
        assert feed(people, "outbound")["trucks_waiting"] == before  # within the period: the same answer
        cached_node.clock.offset += 60.0
        assert feed(people, "outbound")["trucks_waiting"] == before + 1
        assert feed_csv(people, "outbound")["trucks_waiting"] == str(before + 1)


def _counted(client, route: str) -> float:  # noqa: ANN001
    """borderflow_http_requests_total for GET `route` answered 200, from /metrics."""
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("borderflow_http_requests_total{") and f'route="{route}"' in line \
                and 'method="GET"' in line and 'status="200"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_the_rendered_feed_is_answered_as_the_route_answers_it_and_still_logged_and_counted(cached_node):
    """While its answer is current the feed (and /healthz) are answered before the framework
    (api/fast_reads.py): the same bytes and headers as the route's, a request id, a count."""
    with cached_node.client() as public, cached_node.client("supervisor") as supervisor:
        counted = _counted(supervisor, "/api/v1/wait-times")
        for lang in ("vi", "zh", "en"):
            answers = [public.get("/api/v1/wait-times", headers={"Accept-Language": lang}) for _ in range(3)]
            first = answers[0]  # it may compute the feed (the route); the others are the kept answer
            for answer in answers:
                assert answer.status_code == 200 and answer.content == first.content
                assert {k: answer.headers[k] for k in ("content-type", "content-language", "vary")} == \
                    {"content-type": "application/json", "content-language": lang, "vary": "Accept-Language"}
                assert answer.headers["content-length"] == str(len(first.content))
            assert len({a.headers["x-request-id"] for a in answers}) == 3
        assert _counted(supervisor, "/api/v1/wait-times") == counted + 9
        health = public.get("/healthz")
        assert health.json() == {"status": "ok", "node": cached_node.ctx.node.id}
        assert health.headers["content-type"] == "application/json" and health.headers["x-request-id"]
        refused = public.post("/healthz")  # anything but a GET is the framework's, as before
        assert refused.status_code == 405 and refused.headers["allow"] == "GET"
