"""`prune` on a real node, both databases: the driver's data goes once its retention has run out,
nothing else goes with it, a second run does nothing, every batch is audited, the audit chain holds.

Ages are judged from an explicit `now` months ahead of the node's clock: no sleeping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from borderflow.services import notify, prune as pruning
from borderflow.store import tables as t
from tests.conftest import BACKENDS, DECLARANT_TAX_ID
from tests.support.declarations import green_cargo
from tests.support.nodes import running_on

DAY = timedelta(days=1)


@pytest.fixture(params=BACKENDS)
def node(request, tmp_path):
    with running_on(request.param, tmp_path) as running:
        yield running


def run(node, *, days: float, batch: int = 500, **retention) -> pruning.PruneReport:
    return pruning.prune(node.ctx, now=node.clock.now() + days * DAY, archive_dir=node.ctx.settings.data_dir / "arch",
                         retention=pruning.Retention(batch=batch, **retention))


def declare(client, **headers) -> dict:
    response = client.post("/api/v1/crossings", json=green_cargo(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def rows(node, query):
    with node.ctx.engine.connect() as conn:
        return conn.execute(query).all()


def audit_actions(node, action: str) -> list:
    a = t.audit_log.c
    return rows(node, select(a.subject, a.data).where(a.action == action).order_by(a.seq))


def test_the_drivers_data_of_ended_crossings_goes_after_its_retention_and_nothing_else(node):
    with node.client("declarant", DECLARANT_TAX_ID) as declarant, node.client("supervisor") as supervisor:
        cancelled = declare(declarant, **{"Idempotency-Key": "prune-1"})
        amended = declare(declarant)
        assert declarant.post(f"/api/v1/crossings/{amended['id']}/amendments",
                              json={"driver": {"phone": "+84987654321"}}).status_code == 201
        refused = declare(declarant)
        waiting = declare(declarant)
        for ended in (cancelled, amended):
            assert declarant.post(f"/api/v1/crossings/{ended['id']}/cancel").status_code == 200
        assert supervisor.post(f"/api/v1/crossings/{refused['id']}/refuse",
                               json={"reason": "seal broken"}).status_code == 200

        early = run(node, days=179)
        assert early.anonymised == 0 and early.idempotency_keys == 1  # the key's 7 days are over

        report = run(node, days=181)
        assert report.anonymised == 3

        gone = {cancelled["id"], amended["id"], refused["id"]}
        c = t.crossings.c
        for crossing_id, declaration, anonymised_at in rows(node, select(c.id, c.declaration, c.anonymised_at)):
            driver = declaration["driver"]
            if crossing_id in gone:
                assert (driver["name"], driver["document_no"], driver.get("phone")) == (None, None, None)
                assert driver["nationality"] == "VN" and anonymised_at is not None
            elif crossing_id == waiting["id"]:
                assert driver["name"] == "Nguyen Van An" and anonymised_at is None
        v = t.declaration_versions.c
        versions = rows(node, select(v.declaration).where(v.crossing_id == amended["id"]))
        assert len(versions) == 2 and all(d["driver"]["name"] is None and d["driver"]["phone"] is None
                                          for (d,) in versions)
        o = t.outbox.c
        notices = {stream: payload for stream, payload in rows(node, select(o.stream, o.payload)
                                                                .where(o.type == "pre_arrival_notice"))}
        assert notices[cancelled["id"]]["declaration"]["driver"]["name"] is None
        assert notices[waiting["id"]]["declaration"]["driver"]["name"] == "Nguyen Van An"

        shown = supervisor.get(f"/api/v1/crossings/{amended['id']}")
        assert shown.status_code == 200 and shown.json()["declaration"]["driver"]["document_no"] is None
        assert shown.json()["declaration"]["goods"][0]["hs_code"] == "07141011"
        assert supervisor.get("/api/v1/audit/verify").json()["ok"] is True

    entries = audit_actions(node, "prune.anonymise")
    assert len(entries) == 1 and sorted(entries[0].data["crossings"]) == sorted(gone)

    again = run(node, days=181)
    assert (again.anonymised, again.idempotency_keys, again.archived, again.batches) == (0, 0, 0, 0)
    assert len(audit_actions(node, "prune.anonymise")) == 1


def test_large_prunes_run_in_bounded_batches_each_audited(node):
    with node.client("declarant", DECLARANT_TAX_ID) as declarant:
        ids = [declare(declarant)["id"] for _ in range(5)]
        for crossing_id in ids:
            assert declarant.post(f"/api/v1/crossings/{crossing_id}/cancel").status_code == 200
    report = run(node, days=200, batch=2)
    assert report.anonymised == 5
    batches = audit_actions(node, "prune.anonymise")
    assert [len(e.data["crossings"]) for e in batches] == [2, 2, 1]
    assert sorted(i for e in batches for i in e.data["crossings"]) == sorted(ids)
    with node.client("supervisor") as supervisor:
        assert supervisor.get("/api/v1/audit/verify").json()["ok"] is True


def test_keys_gate_events_and_notifications_go_each_after_its_own_retention(node):
    with node.client("declarant", DECLARANT_TAX_ID) as declarant, node.client("device") as device:
        crossing = declare(declarant, **{"Idempotency-Key": "keep-a-week"})
        matched = device.post("/api/v1/gate-events", json={"kind": "plate_read", "gate": "KIMTHANH", "lane": "OUT-1",
                                                          "plate": crossing["plate"], "confidence": 0.97})
        unknown = device.post("/api/v1/gate-events", json={"kind": "plate_read", "gate": "KIMTHANH", "lane": "OUT-1",
                                                          "plate": "99Z-999.99", "confidence": 0.97})
        assert matched.status_code == 201 and unknown.status_code == 201
    with node.ctx.uow() as uow:
        notify.tell(node.ctx, uow, crossing["id"], "called", "go to lane OUT-1", {"lane": "OUT-1"})
        uow.commit()
    g, n, k = t.gate_events.c, t.notifications.c, t.idempotency_keys.c
    count = lambda table: rows(node, select(func.count()).select_from(table))[0][0]  # noqa: E731
    pending = count(t.gate_events.select().where(g.review == "pending").subquery())
    assert pending >= 1

    assert run(node, days=6).idempotency_keys == 0
    week = run(node, days=8)
    assert (week.idempotency_keys, week.gate_events, week.notifications) == (1, 0, 0)
    assert count(t.notifications) == 1 and count(t.gate_events) == 2
    quarter = run(node, days=91)
    assert (quarter.notifications, quarter.gate_events) == (1, 0)
    year = run(node, days=366)
    assert year.gate_events == 1  # the matched read; the unmatched one still waits for review
    assert rows(node, select(g.review)) == [("pending",)]
    assert [e.data["rows"] for e in audit_actions(node, "prune.idempotency_keys")] == [1]
    assert [e.data["rows"] for e in audit_actions(node, "prune.gate_events")] == [1]
    assert count(t.idempotency_keys.select().where(k.key == "keep-a-week").subquery()) == 0
    assert rows(node, select(n.id)) == []


def test_camera_images_leave_the_disk_after_their_retention_and_their_hashes_stay(node):
    from tests.devices.support import camera, hikvision_multipart, hikvision_xml, register
    with node.client("declarant", DECLARANT_TAX_ID) as declarant:
        truck = declare(declarant)
    content_type, body = hikvision_multipart(hikvision_xml(plate=truck["plate"]))
    with camera(node, register(node, "hikvision")) as cam:
        pushed = cam.post("/api/v1/devices/hikvision/events", content=body, headers={"Content-Type": content_type})
    assert pushed.status_code == 200, pushed.text
    hashes = {i["sha256"] for i in pushed.json()["images"]}
    files = lambda: {p.stem for p in (node.ctx.settings.data_dir / "evidence").rglob("*.jpg")}  # noqa: E731
    assert len(hashes) == 2 and hashes <= files()

    assert run(node, days=89).evidence_images == 0 and hashes <= files()
    assert run(node, days=91).evidence_images == 2
    assert not hashes & files()
    assert run(node, days=92).evidence_images == 0  # done once
    events = rows(node, select(t.gate_events.c.images).where(t.gate_events.c.images.is_not(None)))
    assert {i["sha256"] for (images,) in events for i in images} == hashes
    assert [e.data["images"] for e in audit_actions(node, "evidence.purge")] == [2]
    with node.client("customs") as officer:
        gone = officer.get(f"/api/v1/evidence/{sorted(hashes)[0]}")
    assert gone.status_code == 410 and gone.json()["code"] == "evidence.purged"
