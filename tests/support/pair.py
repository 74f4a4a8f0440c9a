"""Two sovereign nodes as real processes, set up the way two operators would do it.

Each side generates its signing key and issues the other a partner API key, as
`borderflow keys generate` and `borderflow apikey create --role partner` do (called here
in-process: tests/e2e/test_cli.py and test_retention.py run those commands); each node
file then names the partner's URL, its public keys and the file holding the key to call
it with. Both nodes start at once (`start_all`): each waits on its own imports.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import httpx

from borderflow.exchange import keys as keyfiles
from borderflow.services import apikeys
from borderflow.store import migrate
from borderflow.store.db import make_engine
from tests.support.nodes import TEST_RULES, free_port
from tests.support.processes import NodeProcess, node_env

IDS = {"vn": "VN-BORDER", "cn": "CN-BORDER"}


@dataclass
class Side:
    name: str
    dir: Path
    db_url: str
    port: int = field(default_factory=free_port)
    public_keys: dict[str, str] = field(default_factory=dict)
    keys: dict = field(default_factory=dict)
    process: NodeProcess | None = None
    extra_env: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return IDS[self.name]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def node_file(self) -> Path:
        return self.dir / "node.toml"

    @property
    def env(self) -> dict:
        return node_env(self.dir, self.db_url, **{"BORDERFLOW_EXCHANGE_MAX_BACKOFF_SECONDS": "1", **self.extra_env})

    def key(self, role: str, declarant: str | None = None) -> str:
        if (role, declarant) not in self.keys:
            engine = make_engine(self.db_url)
            try:
                self.keys[role, declarant] = apikeys.create(engine, role=role, name=f"test-{role}",
                                                            declarant_tax_id=declarant, at=datetime.now(UTC))
            finally:
                engine.dispose()
        return self.keys[role, declarant]

    def client(self, role: str, declarant: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {self.key(role, declarant)}"},
                            timeout=20)

    def generate_key(self) -> None:
        key = keyfiles.generate(self.dir, self.id, datetime.now(UTC))
        self.public_keys[key.key_id] = key.public_b64()

    def write_node_file(self, partner: Side, partner_url: str | None = None) -> None:
        shipped = tomllib.loads(files("borderflow.reference").joinpath("nodes", f"{self.name}.toml").read_text())
        node = shipped["node"]
        keys = ", ".join(f'"{k}" = "{v}"' for k, v in partner.public_keys.items())
        self.node_file.write_text(
            f'[node]\nid = "{node["id"]}"\nname = "{node["name"]}"\ncountry = "{node["country"]}"\n'
            f"gates = {node['gates']!r}\n\n"
            f'[settings]\nport = {self.port}\nrules = "{TEST_RULES}"\n\n'
            f'[partners."{partner.id}"]\nurl = "{partner_url or partner.url}"\napi_key_file = "partner.key"\n'
            f"public_keys = {{ {keys} }}\n")

    def start(self) -> Side:
        return start_all(self)[0]

    def stop(self) -> None:
        if self.process:
            self.process.stop()


def prepare(tmp: Path, vn_db: str | None = None, cn_db: str | None = None) -> tuple[Side, Side]:
    """Both sides with keys exchanged and node files written; not started."""
    sides = []
    for name, db in (("vn", vn_db), ("cn", cn_db)):
        folder = tmp / name
        folder.mkdir()
        side = Side(name, folder, db or f"sqlite:///{folder / 'node.sqlite'}")
        migrate.upgrade(engine := make_engine(side.db_url))
        engine.dispose()
        side.generate_key()
        sides.append(side)
    vn, cn = sides
    for here, there in ((vn, cn), (cn, vn)):
        # `there` issues the key `here` calls it with; `here` keeps it in its data folder.
        engine = make_engine(there.db_url)
        issued = apikeys.create(engine, role="partner", name=here.id, declarant_tax_id=None, at=datetime.now(UTC))
        engine.dispose()
        (here.dir / "partner.key").write_text(issued + "\n")
    vn.write_node_file(cn)
    cn.write_node_file(vn)
    return vn, cn


def start_all(*sides: Side) -> tuple[Side, ...]:
    """Launch every node, then wait for each to answer: their start-ups overlap."""
    for side in sides:
        side.process = NodeProcess(side.env, node=str(side.node_file), port=side.port).launch()
    for side in sides:
        side.process.wait_ready()
    return sides
