"""Two sovereign nodes as real processes, set up the way two operators would do it.

Each side runs `borderflow keys generate` and issues the other a partner API key
with `borderflow apikey create --role partner`; each node file then names the
partner's URL, its public keys and the file holding the key to call it with.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.resources import files
from pathlib import Path

import httpx

from borderflow.services import apikeys
from borderflow.store import migrate
from borderflow.store.db import make_engine
from tests.support.nodes import TEST_RULES, free_port
from tests.support.processes import NodeProcess, cli, node_env

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
        line = cli(self.env, "keys", "generate", "--node", self.name).stdout.strip()
        key_id, public = (part.strip().strip('"') for part in line.split("=", 1))
        self.public_keys[key_id] = public

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
        self.process = NodeProcess(self.env, node=str(self.node_file), port=self.port).start()
        return self

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
        issued = cli(there.env, "apikey", "create", "--role", "partner", "--name", here.id,
                     "--node", there.name).stdout.strip()
        (here.dir / "partner.key").write_text(issued + "\n")
    vn.write_node_file(cn)
    cn.write_node_file(vn)
    return vn, cn
