"""Shared by the benchmarks: start a real node process, run wrk, parse its figures."""

from __future__ import annotations

import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_node(data_dir: Path, db_url: str | None, *, workers: int = 1) -> tuple[subprocess.Popen, str, dict]:
    env = {**os.environ, "BORDERFLOW_DATA_DIR": str(data_dir), "BORDERFLOW_ENV": "test"}
    if db_url:
        env["BORDERFLOW_DB_URL"] = db_url
    subprocess.run([sys.executable, "-m", "borderflow", "db", "upgrade"], env=env, check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "borderflow", "serve", "--port", str(port),
                             "--workers", str(workers)], env=env, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url, env
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("node did not start")


def apikey(env: dict, role: str, *extra: str) -> str:
    out = subprocess.run([sys.executable, "-m", "borderflow", "apikey", "create", "--role", role, *extra],
                         env=env, check=True, capture_output=True, text=True)
    return out.stdout.strip()


def wrk(url: str, *, seconds: int, connections: int = 32, script: Path | None = None,
        env: dict | None = None) -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed for the benchmarks: apt-get install wrk")
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if script:
        cmd[1:1] = ["-s", str(script)]
    out = subprocess.run(cmd, env={**os.environ, **(env or {})}, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {p: _ms(re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)) for p in ("50", "99")}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rate, "p50_ms": latency["50"], "p99_ms": latency["99"], "requests": total,
            "errors": int(non2xx.group(1)) if non2xx else 0}


def _ms(match: re.Match) -> float:
    return float(match.group(1)) * UNITS[match.group(2)]


def recreate_pg(name: str, admin: str = "postgresql://postgres@127.0.0.1:5432") -> str:
    """An empty PostgreSQL database for one benchmark run; returns its URL."""
    import psycopg
    with psycopg.connect(admin + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{admin}/{name}"
