"""The barrier is told to open and must confirm; a silent device is an alert (console API and
/metrics). A real HTTP relay board runs beside the node, answering as one would."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from sqlalchemy import select

from borderflow.devices.barrier import commands
from borderflow.store import tables as t
from tests.devices.conftest import CONFIRM_S, SILENT_S
from tests.devices.support import camera, hikvision_xml, register
from tests.devices.test_pushes import declare


class Relay:
    """An HTTP relay board: answers `open` with the state it is told to report (None: no state)."""

    def __init__(self, state: str | None = "open", status: int = 200):
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                outer.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                body = json.dumps({"state": state} if state else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # noqa: ANN002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/relay/1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def command_for(node, gate_event_id: int, timeout: float = 5.0) -> dict:  # noqa: ANN001
    """The barrier command a decision made, once the sender has done with it."""
    c = t.barrier_commands.c
    deadline = time.monotonic() + timeout
    while True:
        with node.ctx.engine.connect() as conn:
            row = conn.execute(select(t.barrier_commands).where(c.gate_event_id == gate_event_id)).first()
        if row is not None and (row.state != "pending" or time.monotonic() > deadline):
            return dict(row._mapping)
        if time.monotonic() > deadline:
            raise AssertionError(f"no barrier command for gate event {gate_event_id}")
        time.sleep(0.05)


def push_read(node, lane: str, plate: str) -> dict:  # noqa: ANN001
    key = register(node, "hikvision", lane=lane)
    with camera(node, key) as cam:
        response = cam.post("/api/v1/devices/hikvision/events", content=hikvision_xml(plate=plate),
                            headers={"Content-Type": "application/xml"})
    assert response.status_code == 200, response.text
    return response.json()


def test_an_open_decision_opens_the_relay_barrier_and_its_answer_confirms_it(device_node):
    relay = Relay("open")
    try:
        register(device_node, "relay", lane="OUT-2", url=relay.url)
        truck = declare(device_node)
        answer = push_read(device_node, "OUT-2", truck["plate"])
        assert answer["decision"] == "open"
        command = command_for(device_node, answer["id"])
    finally:
        relay.close()
    assert command["state"] == "confirmed" and command["reported_state"] == "open"
    assert relay.received == [{"command": "open", "command_id": command["id"], "gate": "KIMTHANH", "lane": "OUT-2",
                               "crossing_id": truck["id"]}]
    with device_node.ctx.engine.connect() as conn:
        states = conn.execute(select(t.gate_events.c.barrier).where(t.gate_events.c.kind == "barrier",
                                                                    t.gate_events.c.lane == "OUT-2")).scalars().all()
    assert "open" in states


def test_a_barrier_that_does_not_answer_is_flagged_until_it_reports_open(device_node):
    barrier_key = register(device_node, "simulated", lane="IN-2", confirms=False)
    crossing = declare(device_node)
    answer = push_read(device_node, "OUT-1", crossing["plate"])  # OUT-1 has no barrier: no command
    assert answer["decision"] == "open"
    with device_node.ctx.engine.connect() as conn:
        assert conn.execute(select(t.barrier_commands).where(
            t.barrier_commands.c.gate_event_id == answer["id"])).first() is None
    with device_node.ctx.uow() as uow:  # the decision's own hook, for the lane whose barrier is dead
        command_id = commands.issue(device_node.ctx, uow, gate="KIMTHANH", lane="IN-2", gate_event_id=answer["id"],
                                    crossing_id=crossing["id"], now=device_node.clock.now())
        uow.commit()
    failed = command_for(device_node, answer["id"])
    assert failed["id"] == command_id and failed["state"] == "failed"
    time.sleep(CONFIRM_S + 0.2)
    with device_node.client("gate_operator") as operator:
        listed = operator.get("/api/v1/devices", params={"gate": "KIMTHANH"}).json()
        assert command_id in [a["id"] for a in listed["unconfirmed_barriers"]]
        with device_node.client("supervisor") as supervisor:
            scraped = supervisor.get("/metrics").text
        assert 'borderflow_barrier_unconfirmed{gate="KIMTHANH",lane="IN-2"}' in scraped
        with camera(device_node, barrier_key) as barrier:
            reported = barrier.post("/api/v1/devices/heartbeat", json={"state": "open"})
        assert reported.status_code == 200, reported.text
        listed = operator.get("/api/v1/devices").json()
    assert command_id not in [a["id"] for a in listed["unconfirmed_barriers"]]
    assert command_for(device_node, answer["id"])["state"] == "confirmed"


def test_a_silent_device_is_an_alert_in_the_list_and_in_metrics(device_node):
    key = register(device_node, "hikvision", lane="OUT-1")
    with camera(device_node, key) as cam:
        assert cam.post("/api/v1/devices/heartbeat").status_code == 200
    with device_node.client("customs") as officer:
        mine = [d for d in officer.get("/api/v1/devices").json()["devices"] if d["last_contact_at"]]
    assert mine and all(d["status"] == "ok" for d in mine)
    device_node.clock.offset += SILENT_S + 5
    try:
        with device_node.client("supervisor") as supervisor:
            devices = supervisor.get("/api/v1/devices").json()["devices"]
            scraped = supervisor.get("/metrics").text
    finally:
        device_node.clock.offset -= SILENT_S + 5
    assert {d["status"] for d in devices} == {"silent"}
    assert "borderflow_device_silent{" in scraped and scraped.count("borderflow_device_silent{") == len(devices)
    assert all(line.endswith(" 1.0") for line in scraped.splitlines() if line.startswith("borderflow_device_silent{"))


def test_heartbeat_with_a_wrong_state_is_422(device_node):
    key = register(device_node, "simulated", lane="IN-3")
    with camera(device_node, key) as barrier:
        response = barrier.post("/api/v1/devices/heartbeat", json={"state": "ajar"})
        malformed = barrier.post("/api/v1/devices/heartbeat", content=b"{nope")
    assert response.status_code == 422 and response.json()["code"] == "device.heartbeat_state"
    assert malformed.status_code == 400
