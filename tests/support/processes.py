"""Nodes as real processes, the way an operator runs them (`borderflow serve`)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.support.nodes import free_port

BORDERFLOW = [sys.executable, "-m", "borderflow"]


def node_env(data_dir: Path, db_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {**os.environ, "BORDERFLOW_DATA_DIR": str(data_dir), "BORDERFLOW_ENV": "test", **extra}
    if db_url:
        env["BORDERFLOW_DB_URL"] = db_url
    return env


def cli(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run([*BORDERFLOW, *args], env=env, capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"borderflow {' '.join(args)} failed: {result.stderr}")
    return result


class NodeProcess:
    def __init__(self, env: dict, node: str = "vn", port: int | None = None, args: tuple[str, ...] = ()):
        self.env, self.node, self.args = env, node, args
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> NodeProcess:
        return self.launch().wait_ready(timeout)

    def launch(self) -> NodeProcess:
        self.log = Path(self.env["BORDERFLOW_DATA_DIR"]) / f"node-{self.port}.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([*BORDERFLOW, "serve", "--node", self.node, "--port", str(self.port),
                                          *self.args],
                                         env=self.env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def wait_ready(self, timeout: float = 30) -> NodeProcess:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"node exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise AssertionError("node did not answer /healthz in time")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing; what was acknowledged must already be durable."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


class WorkerProcess:
    """`borderflow worker`: the node's background work in a process of its own."""

    def __init__(self, env: dict, node: str = "vn"):
        self.env, self.node = env, node
        self.proc: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        self.log = Path(self.env["BORDERFLOW_DATA_DIR"]) / f"worker-{time.monotonic_ns()}.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([*BORDERFLOW, "worker", "--node", self.node], env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT)
        return self

    @property
    def pid(self) -> int:
        return self.proc.pid

    kill = NodeProcess.kill
    stop = NodeProcess.stop
