"""Partner exchange: signed messages delivered with signed receipts per second, two node processes.

The partner is down while a backlog builds up in the sender's outbox (as after an
outage), then comes back; we time the drain until every message has a stored,
verified receipt. Two kinds of traffic: pre-arrival notices (each creates and
assesses an import crossing on the partner) and incident reports (store only).
Baseline: GET /healthz of the receiving node in the same run.
Usage: python bench/exchange.py [--messages 3000] [--postgres] [--batch-size 100] [--kind pre_arrival_notice]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine, recreate_pg, wrk  # noqa: E402

sys.path.insert(0, str(ROOT))
from borderflow import schemas  # noqa: E402
from borderflow.bootstrap import build_context  # noqa: E402
from borderflow.domain.roles import Principal  # noqa: E402
from borderflow.services import crossings, partner  # noqa: E402
from borderflow.settings import load_settings  # noqa: E402
from tests.support.declarations import green_cargo  # noqa: E402
from tests.support.pair import prepare  # noqa: E402

KINDS = ("incident_report", "pre_arrival_notice")
POLL_S = 0.2  # how often the drain is looked at: ±1 % of a 10 s drain
DECLARANT = Principal("bench", "declarant", "bench", "5300123456")


def build_backlog(vn, kind: str, count: int) -> None:
    settings = load_settings(data_dir=vn.dir, db_url=vn.db_url, node=str(vn.node_file), env="test")
    ctx = build_context(settings)
    body = green_cargo(gate="HUUNGHI")
    for start in range(0, count, 250):
        with ctx.uow() as uow:
            for i in range(start, min(count, start + 250)):
                if kind == "pre_arrival_notice":
                    body["vehicle"]["plate"] = f"24C-{i // 100 % 1000:03d}.{i % 100:02d}"
                    crossings.declare(ctx, uow, DECLARANT, schemas.parse_declaration(body))
                else:
                    partner.send(ctx, uow, type_="incident_report", recipient="CN-BORDER", stream="incidents",
                                 payload={"id": f"bench-{i}", "gate": "HUUNGHI", "category": "other",
                                          "severity": "info", "summary": f"bench incident {i}",
                                          "occurred_at": datetime.now(UTC).isoformat()})
            uow.commit()
    ctx.engine.dispose()


def depth(client: httpx.Client) -> int:
    return client.get("/api/v1/exchange/status").json()[0]["outbox_depth"]


def run(kind: str, count: int, pg: bool, batch: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        urls = (recreate_pg("borderflow_bench_vn"), recreate_pg("borderflow_bench_cn")) if pg else (None, None)
        vn, cn = prepare(Path(tmp), *urls)
        vn.extra_env["BORDERFLOW_EXCHANGE_MAX_BACKOFF_SECONDS"] = "0.5"
        vn.extra_env["BORDERFLOW_EXCHANGE_BATCH_SIZE"] = str(batch)
        vn.start()
        try:
            build_backlog(vn, kind, count)
            # One client, polled every POLL_S: the status counts the whole outbox, and a new client per
            # look (its TLS context) took a sixth of a core from the two nodes it measures.
            with vn.client("supervisor") as watcher:
                backlog = depth(watcher)  # the node's own messages (capacity notices, checkpoints) queue too
                assert backlog >= count, f"backlog not built: {backlog} of {count} queued"
                cn.start()  # answers from here: the sender, retrying every 0.5 s at most, starts the drain
                began = time.perf_counter()
                while depth(watcher) > 0:
                    time.sleep(POLL_S)
                elapsed = time.perf_counter() - began
            health = wrk(cn.url + "/healthz", seconds=5)  # after the drain, which it must not slow down
            with cn.client("supervisor") as client:
                applied = client.get("/api/v1/exchange/status").json()[0]["received"]["applied"]
        finally:
            vn.stop(), cn.stop()
    rate = backlog / elapsed
    return {"rate": rate, "elapsed": elapsed, "applied": applied, "backlog": backlog, "health": health["rps"],
            "ratio": rate / health["rps"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432)")
    parser.add_argument("--batch-size", type=int, default=100, help="the sender's BORDERFLOW_EXCHANGE_BATCH_SIZE")
    parser.add_argument("--kind", choices=KINDS, action="append", help="only this kind of traffic (repeatable)")
    args = parser.parse_args()
    print(f"# exchange benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}")
    for pg in (False, True) if args.postgres else (False,):
        for kind in args.kind or KINDS:
            r = run(kind, args.messages, pg, args.batch_size)
            print(f"{'PostgreSQL' if pg else 'SQLite':10} {kind:18} backlog {r['backlog']}  drained in "
                  f"{r['elapsed']:6.1f} s  = {r['rate']:6.0f} msg/s with receipts  (applied {r['applied']})  "
                  f"healthz {r['health']:6.0f}/s  ratio {r['ratio']:.2f}")
    httpx.Client().close()


if __name__ == "__main__":
    main()
