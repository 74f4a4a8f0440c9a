"""Declaration ingest, full path, 32 concurrent clients, against a trivial app in the same run.

Full path = HTTP, validation, selectivity, state, audit, outbox, durable commit. The baseline
(bench/baseline_app.py) parses the same body with pydantic and inserts it into one table; its
bare `/healthz` is the yardstick for the node's cheap requests (`/healthz`, the public wait feed).
Usage: python bench/ingest.py [--seconds 10] [--workers 1] [--no-postgres]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, apikey, free_port, machine, recreate_pg, start_node, wrk  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.support.declarations import declaration  # noqa: E402

DECLARE = Path(__file__).with_name("declare.lua")


def body_template() -> str:
    body = declaration()
    body["vehicle"]["plate"] = "PLATE"
    for container in body.get("containers") or []:
        container["number"] = "CONTAINER"  # each request its own (declare.lua): no duplicate warnings
    body["expected_arrival"] = (datetime.now(timezone(timedelta(hours=7))) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0).isoformat()
    return json.dumps(body)


def baseline(db_url: str, seconds: int) -> dict:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("baseline_app.py")), str(port), db_url],
                            stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        wrk(url + "/healthz", seconds=2)  # warm-up
        return {"health": wrk(url + "/healthz", seconds=seconds),
                "health_async": wrk(url + "/healthz-async", seconds=seconds),
                "ingest": wrk(url, seconds=seconds, script=DECLARE, env={"BF_BODY": body_template(), "BF_KEY": "-"})}
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def node(db_url: str | None, seconds: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, env = start_node(Path(tmp), db_url, workers=workers)
        try:
            key = apikey(env, "declarant", "--declarant", "5300123456")
            wrk(url + "/healthz", seconds=2)  # warm-up
            health = wrk(url + "/healthz", seconds=seconds)
            feed = wrk(url + "/api/v1/wait-times", seconds=seconds)
            ingest = wrk(url, seconds=seconds, script=DECLARE, env={"BF_BODY": body_template(), "BF_KEY": key})
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return {"health": health, "feed": feed, "ingest": ingest}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    print(f"# ingest benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {machine()}")
    for name, pg in (("SQLite", False), ("PostgreSQL", True))[:1 if args.no_postgres else 2]:
        with tempfile.TemporaryDirectory() as tmp:
            base = baseline(recreate_pg("borderflow_bench_baseline") if pg else f"sqlite:///{tmp}/baseline.sqlite",
                            args.seconds)
        mine = node(recreate_pg("borderflow_bench") if pg else None, args.seconds, args.workers)
        bh, bi, ba = base["health"], base["ingest"], base["health_async"]
        h, f, i = mine["health"], mine["feed"], mine["ingest"]
        print(f"{name:10} trivial app: healthz {bh['rps']:6.0f}/s (async def {ba['rps']:6.0f}/s)  insert {bi['rps']:6.0f}/s "
              f"p99 {bi['p99_ms']:5.1f} ms")
        print(f"{name:10} node workers={args.workers}: healthz {h['rps']:6.0f}/s ({h['rps'] / bh['rps']:.2f}×, "
              f"{h['rps'] / ba['rps']:.2f}× async)  wait feed {f['rps']:6.0f}/s ({f['rps'] / bh['rps']:.2f}×, "
              f"{f['rps'] / ba['rps']:.2f}× async)  declarations {i['rps']:6.0f}/s "
              f"p50 {i['p50_ms']:5.1f} ms p99 {i['p99_ms']:6.1f} ms  ratio to insert {i['rps'] / bi['rps']:.2f}  "
              f"non-2xx {i['errors']}")


if __name__ == "__main__":
    main()
