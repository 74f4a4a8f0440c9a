"""`borderflow demo`: both reference nodes on loopback, driven by the simulator's trucks.

Sets up what two operators would (a data folder, signing keys, a partner API key
each way, node files naming each other), starts the VN and CN nodes as real
processes on their own SQLite files, and plays the simulator's arrivals on an
accelerated clock through the real API: declare on the sending side, check in at
the yard camera (now and then misread), wait to be called forward, pass the
gate (officers check yellow and red lanes), then the same at the partner's gate.

So that the demo shows traffic at any hour of the day, it opens every gate around
the clock with a capacity override on both nodes; nothing else is bent.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from borderflow.exchange import keys as keyfiles
from borderflow.reference.region import load_gates, load_node
from borderflow.services import apikeys
from borderflow.sim import generate_arrivals, load_scenario
from borderflow.sim.arrivals import declaration_body
from borderflow.store import migrate
from borderflow.store.db import make_engine

MISREADS = {"0": "O", "1": "I", "8": "B", "5": "S"}


@dataclass
class DemoNode:
    name: str  # vn | cn
    folder: Path
    port: int
    keys: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def id(self) -> str:
        return load_node(self.name).node.id

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.folder / 'borderflow.sqlite'}"

    def client(self, role: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=30)


def set_up(root: Path, base_port: int, fresh: bool) -> tuple[DemoNode, DemoNode]:
    if fresh and root.exists():
        shutil.rmtree(root)
    nodes = (DemoNode("vn", root / "vn", base_port), DemoNode("cn", root / "cn", base_port + 1))
    now = datetime.now(UTC)
    for node in nodes:
        node.folder.mkdir(parents=True, exist_ok=True)
        engine = make_engine(node.db_url)
        migrate.upgrade(engine)
        if not keyfiles.all_keys(node.folder):
            keyfiles.generate(node.folder, node.id, now)
        for role in ("customs", "quarantine", "border_guard", "device", "supervisor", "gate_operator"):
            node.keys[role] = apikeys.create(engine, role=role, name=f"demo-{role}", declarant_tax_id=None, at=now)
        engine.dispose()
    for here, there in (nodes, nodes[::-1]):
        engine = make_engine(there.db_url)
        issued = apikeys.create(engine, role="partner", name=here.id, declarant_tax_id=None, at=now)
        engine.dispose()
        (here.folder / "partner.key").write_text(issued + "\n")
    for here, there in (nodes, nodes[::-1]):
        shipped = load_node(here.name).node
        public = ", ".join(f'"{k.key_id}" = "{k.public_b64()}"' for k in keyfiles.all_keys(there.folder))
        gates = ", ".join(f'"{g}"' for g in shipped.gates)
        (here.folder / "node.toml").write_text(
            f'[node]\nid = "{shipped.id}"\nname = "{shipped.name}"\ncountry = "{shipped.country}"\n'
            f"gates = [{gates}]\n\n[settings]\nport = {here.port}\n\n"
            f'[partners."{there.id}"]\nurl = "{there.url}"\napi_key_file = "partner.key"\n'
            f"public_keys = {{ {public} }}\n")
    return nodes


def start(node: DemoNode) -> None:
    env = {**os.environ, "BORDERFLOW_DATA_DIR": str(node.folder), "BORDERFLOW_DB_URL": node.db_url,
           "BORDERFLOW_CALL_FORWARD_SECONDS": "2", "BORDERFLOW_EXCHANGE_MAX_BACKOFF_SECONDS": "2",
           "BORDERFLOW_ENV": "development"}
    log = (node.folder / "node.log").open("ab")
    node.process = subprocess.Popen([sys.executable, "-m", "borderflow", "serve", "--node",
                                     str(node.folder / "node.toml"), "--port", str(node.port)],
                                    env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise RuntimeError(f"the {node.name} node stopped; see {node.folder / 'node.log'}")
        try:
            if httpx.get(node.url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"the {node.name} node did not answer on {node.url}")


def open_around_the_clock(node: DemoNode, hours: int) -> None:
    now = datetime.now(UTC) - timedelta(hours=1)
    with node.client("supervisor") as client:
        for gate in load_node(node.name).node.gates:
            for direction in ("inbound", "outbound"):
                client.post(f"/api/v1/gates/{gate}/capacity-overrides", json={
                    "direction": direction, "starts_at": now.isoformat(),
                    "ends_at": (now + timedelta(hours=hours)).isoformat(), "trucks_per_hour": 60,
                    "reason": "demo: open around the clock"}).raise_for_status()


def expected_at(gate_code: str) -> datetime:
    """The next time, at least an hour ahead, at which the gate takes goods."""
    gate = load_gates()[gate_code]
    at = datetime.now(UTC) + timedelta(hours=1)
    if gate.open_for_goods_at(at):
        return at
    local = (at + timedelta(days=1)).astimezone(ZoneInfo(gate.timezone))
    return local.replace(hour=10, minute=0, second=0, microsecond=0)


def camera(plate: str, rng: random.Random) -> tuple[str, float]:
    """What the camera reads: usually right, sometimes a classic confusion at lower confidence."""
    if rng.random() < 0.15:
        for digit, letter in MISREADS.items():
            if digit in plate:
                return plate.replace(digit, letter, 1), 0.72
    return plate, 0.96


class Drive:
    """One truck's journey through both nodes, step by step, over HTTP."""

    def __init__(self, truck, sender: DemoNode, receiver: DemoNode, stats: Counter, stop: threading.Event):  # noqa: ANN001
        self.truck, self.sender, self.receiver, self.stats, self.stop = truck, sender, receiver, stats, stop
        self.rng = random.Random(truck.id)

    def run(self) -> None:
        try:
            self._run()
        except Exception as exc:  # noqa: BLE001 - one truck's trouble must not end the demo
            self.stats["errors"] += 1
            self.stats["last_error"] = str(exc)[:200]  # type: ignore[assignment]

    def _run(self) -> None:
        t = self.truck
        with self.sender.client("customs") as customs:
            body = declaration_body(t, expected_at(t.gate))
            answer = customs.post("/api/v1/crossings", json=body)
            if answer.status_code != 201:
                self.stats["refused_declarations"] += 1
                return
            crossing = answer.json()
        self.stats["declared"] += 1
        if not self._pass(self.sender, t.gate, "outbound", crossing):
            return
        imported = self._wait(lambda: self._import_of(crossing["id"]), 120)
        if imported is None:
            return
        if self._pass(self.receiver, t.partner_gate, "inbound", imported):
            self.stats["crossed"] += 1

    def _import_of(self, crossing_id: str) -> dict | None:
        with self.receiver.client("customs") as client:
            found = [c for c in client.get("/api/v1/crossings", params={"gate": self.truck.partner_gate,
                                                                        "limit": 500}).json()
                     if c["partner"].get("crossing_id") == crossing_id]
        return found[0] if found else None

    def _wait(self, probe, seconds: float):  # noqa: ANN001, ANN202
        deadline = time.monotonic() + seconds
        while not self.stop.is_set() and time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(1)
        return None

    def _pass(self, node: DemoNode, gate: str, direction: str, crossing: dict) -> bool:
        plate = crossing["plate"]
        with node.client("device") as device, node.client("customs") as customs, \
                node.client("gate_operator") as operator:
            read, confidence = camera(plate, self.rng)
            entry = device.post("/api/v1/gate-events", json={"gate": gate, "lane": "YARD", "kind": "yard_entry",
                                                             "plate": read, "confidence": confidence}).json()
            if entry.get("crossing_id") is None:  # the misread waits for a person: the operator confirms it
                operator.post(f"/api/v1/gate-events/{entry['id']}/resolution", json={"crossing_id": crossing["id"]})
                device.post("/api/v1/gate-events", json={"gate": gate, "lane": "YARD", "kind": "yard_entry",
                                                         "plate": plate, "confidence": 0.99})
            page = self._wait(lambda: (p := httpx.get(f"{node.url}/api/v1/driver/{crossing['reference']}",
                                                      params={"plate": plate}, timeout=30).json())
                              .get("lane") and p, 600)
            if page is None:
                return False
            for _ in range(6):
                decision = device.post("/api/v1/gate-events", json={
                    "gate": gate, "lane": page["lane"], "kind": "plate_read", "plate": plate,
                    "confidence": 0.97}).json()
                if decision.get("decision") == "open":
                    return True
                if decision.get("reason_code") == "signoff_pending":  # each agency the rules name looks at it
                    self._sign_off(node, crossing["id"], decision["reason_params"]["agencies"])
                elif decision.get("status") == "held":
                    customs.post(f"/api/v1/crossings/{crossing['id']}/release", json={"note": "demo"})
                time.sleep(0.5)
        return False

    def _sign_off(self, node: DemoNode, crossing_id: str, agencies: list[str]) -> None:
        with node.client("customs") as customs:
            asked = {s["agency"]: s["check"] for s in customs.get(f"/api/v1/crossings/{crossing_id}").json()["signoffs"]}
        for agency in agencies:
            with node.client(agency) as officer:
                officer.post(f"/api/v1/crossings/{crossing_id}/inspections",
                             json={"kind": asked.get(agency, "document"), "result": "passed", "notes": "demo check"})


def agree(vn: DemoNode, cn: DemoNode) -> tuple[int, int, bool]:
    """(crossed, waiting, agree): every truck through both sides has the same story on both nodes."""
    crossed = waiting = 0
    same = True
    for here, there in ((vn, cn), (cn, vn)):
        with here.client("supervisor") as a, there.client("supervisor") as b:
            theirs = {c["id"]: c for c in b.get("/api/v1/crossings", params={"limit": 500}).json()}
            for mine in a.get("/api/v1/crossings", params={"limit": 500}).json():
                if mine["direction"] != "export":
                    continue
                counterpart = theirs.get(mine["partner"].get("crossing_id", ""))
                if counterpart and counterpart["status"] == "exited":
                    crossed += 1
                    same &= mine["status"] == "exited" and mine["partner"].get("status") == "exited"
                elif mine["status"] not in ("cancelled", "refused"):
                    waiting += 1
    return crossed, waiting, same


def run(*, data_dir: Path, base_port: int, speed: float, scale: float, duration: float | None, headless: bool,
        seed: int, fresh: bool, say) -> str:  # noqa: ANN001
    vn, cn = set_up(data_dir, base_port, fresh)
    nodes = {"VN": vn, "CN": cn}
    try:
        for node in (vn, cn):
            start(node)
            open_around_the_clock(node, hours=48)
        say(f"VN node: {vn.url}/console  (API docs {vn.url}/docs)   CN node: {cn.url}/console  "
            f"(API docs {cn.url}/docs)   wait board: {vn.url}/board")
        say(f"sign in with these keys — VN supervisor: {vn.keys['supervisor']}  CN supervisor: {cn.keys['supervisor']}")
        scenario = load_scenario("normal_day")
        rng = random.Random(seed)
        trucks = [t for t in generate_arrivals(scenario, seed=seed) if rng.random() < scale]
        stop, stats = threading.Event(), Counter()
        began = time.monotonic()
        first = trucks[0].minute if trucks else 0.0
        with ThreadPoolExecutor(max_workers=16) as pool:
            for truck in trucks:
                due = began + (truck.minute - first) * 60 / (speed * 60)  # speed: simulated hours per real minute
                while time.monotonic() < due:
                    if duration is not None and time.monotonic() - began > duration:
                        break
                    time.sleep(min(0.5, due - time.monotonic()))
                    if not headless and int(time.monotonic() - began) % 10 == 0:
                        say(f"… {stats['declared']} declared, {stats['crossed']} crossed, "
                            f"{stats['errors']} errors", live=True)
                if duration is not None and time.monotonic() - began > duration:
                    break
                sender, receiver = (nodes["VN"], nodes["CN"]) if truck.country == "VN" else (nodes["CN"], nodes["VN"])
                pool.submit(Drive(truck, sender, receiver, stats, stop).run)
            if duration is not None:
                time.sleep(max(0.0, duration - (time.monotonic() - began)))
            stop.set()
        crossed, waiting, same = agree(vn, cn)
        return f"demo: {crossed} trucks crossed, {waiting} waiting, nodes agree: {'yes' if same else 'no'}"
    finally:
        for node in (vn, cn):
            if node.process and node.process.poll() is None:
                node.process.terminate()
                try:
                    node.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    node.process.kill()
