"""Declaration ingest, full path, 32 concurrent clients, with GET /healthz of the same server as baseline.

Full path = HTTP, validation, selectivity, state, audit chain, outbox, durable commit.
Usage: python bench/ingest.py [--seconds 10] [--workers 1] [--postgres URL]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, apikey, machine, recreate_pg, start_node, wrk  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.support.declarations import declaration  # noqa: E402


def body_template() -> str:
    body = declaration()
    body["vehicle"]["plate"] = "PLATE"
    body["expected_arrival"] = (datetime.now(timezone(timedelta(hours=7))) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0).isoformat()
    return json.dumps(body)


def run(db_url: str | None, seconds: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, env = start_node(Path(tmp), db_url, workers=workers)
        try:
            key = apikey(env, "declarant", "--declarant", "5300123456")
            wrk(url + "/healthz", seconds=2)  # warm-up
            health = wrk(url + "/healthz", seconds=seconds)
            ingest = wrk(url, seconds=seconds, script=Path(__file__).with_name("declare.lua"),
                         env={"BF_BODY": body_template(), "BF_KEY": key})
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    return {"health": health, "ingest": ingest, "ratio": ingest["rps"] / health["rps"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()
    print(f"# ingest benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {machine()}")
    for name, url in (("SQLite", None), ("PostgreSQL", "pg"))[:1 if args.no_postgres else 2]:
        url = recreate_pg("borderflow_bench") if url else None
        result = run(url, args.seconds, args.workers)
        h, i = result["health"], result["ingest"]
        print(f"{name:10} workers={args.workers}  healthz {h['rps']:7.0f}/s   declarations {i['rps']:6.0f}/s "
              f"p50 {i['p50_ms']:5.1f} ms  p99 {i['p99_ms']:6.1f} ms  ratio {result['ratio']:.2f}  "
              f"non-2xx {i['errors']}")


if __name__ == "__main__":
    main()
