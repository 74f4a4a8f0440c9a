"""Audit sequencer lag: an entry written → covered by a signed checkpoint (target p99 ≤ 5 s).

A real node process takes declarations from 32 `wrk` clients as fast as it can (every one writes
an audit entry); its background loop numbers them into the Merkle tree and signs checkpoints. The
lag of an entry is its checkpoint's `issued_at` minus the entry's `at`, both node time, read from
the database afterwards. Baseline, in the same run: the loop's cadence, the lag a sequencer that
took no time at all would show (uniform between 0 and the cadence, so p99 ≈ 0.99 × cadence).

Also, in-process: how fast the sequencer numbers, hashes and signs entries, against how fast the
same entries are written (one transaction each), so the headroom is known whatever the machine's load.

Usage: python bench/audit.py [--seconds 20] [--cadence 2] [--postgres] [--capacity 20000]
"""

from __future__ import annotations

import argparse
import bisect
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, apikey, machine, recreate_pg, start_node, wrk  # noqa: E402
from ingest import body_template  # noqa: E402

sys.path.insert(0, str(ROOT / "src"))
from sqlalchemy import func, select  # noqa: E402

from borderflow.store import tables as t  # noqa: E402
from borderflow.store.db import make_engine  # noqa: E402


def lags(db_url: str) -> tuple[list[float], int]:
    """Each numbered entry's lag in seconds, and how many checkpoints were signed."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            checkpoints = conn.execute(select(t.audit_checkpoints.c.tree_size, t.audit_checkpoints.c.issued_at)
                                       .order_by(t.audit_checkpoints.c.tree_size)).all()
            entries = conn.execute(select(t.audit_log.c.seq, t.audit_log.c.at).where(t.audit_log.c.seq.is_not(None))
                                   .order_by(t.audit_log.c.seq)).all()
    finally:
        engine.dispose()
    sizes = [c.tree_size for c in checkpoints]
    out = []
    for seq, at in entries:
        i = bisect.bisect_left(sizes, seq)
        if i < len(sizes):
            out.append((checkpoints[i].issued_at - at).total_seconds())
    return out, len(checkpoints)


def wait_until_signed(db_url: str, timeout: float = 120) -> None:
    engine = make_engine(db_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                waiting = conn.execute(select(func.count()).where(t.audit_log.c.seq.is_(None))).scalar()
                size = conn.execute(select(func.max(t.audit_log.c.seq))).scalar() or 0
                signed = conn.execute(select(func.max(t.audit_checkpoints.c.tree_size))).scalar() or 0
            if waiting == 0 and signed >= size:
                return
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise SystemExit("the sequencer did not catch up")


def run(db_url: str | None, seconds: int, cadence: float) -> dict:
    os.environ["BORDERFLOW_CALL_FORWARD_SECONDS"] = str(cadence)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, env = start_node(Path(tmp), db_url)
        db = db_url or f"sqlite:///{Path(tmp) / 'borderflow.sqlite'}"
        try:
            subprocess.run([sys.executable, "-m", "borderflow", "keys", "generate"], env=env, check=True,
                           capture_output=True)  # the node's key ring picks it up without a restart
            key = apikey(env, "declarant", "--declarant", "5300123456")
            ingest = wrk(url, seconds=seconds, script=Path(__file__).with_name("declare.lua"),
                         env={"BF_BODY": body_template(), "BF_KEY": key})
            wait_until_signed(db)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        found, checkpoints = lags(db)
    found.sort()
    return {"ingest": ingest, "entries": len(found), "checkpoints": checkpoints,
            "p50": found[len(found) // 2], "p99": found[int(0.99 * (len(found) - 1))], "max": found[-1]}


def capacity(entries: int) -> dict:
    """The sequencer's own speed, in-process on SQLite: entries numbered, hashed and signed per second,
    against writing the same entries (one INSERT per transaction) as baseline."""
    from borderflow.bootstrap import build_context
    from borderflow.exchange import keys
    from borderflow.services import audit_sequencer
    from borderflow.settings import load_settings
    from borderflow.store import audit
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), db_url=f"sqlite:///{Path(tmp) / 'bench.sqlite'}", env="test")
        ctx = build_context(settings)
        keys.generate(Path(tmp), ctx.node.id, datetime.now(UTC))
        now = datetime.now(UTC)
        started = time.perf_counter()
        for i in range(entries):
            with ctx.uow() as uow:
                audit.append(uow.conn, at=now, actor="declarant:bench", action="crossing.declare",
                             subject=f"c-{i}", data={"lane": "green", "n": i})
                uow.commit()
        written = time.perf_counter() - started
        started = time.perf_counter()
        while audit_sequencer.sequence_once(ctx, batch=5000):
            pass
        sequenced = time.perf_counter() - started
        ctx.engine.dispose()
    return {"write_rate": entries / written, "sequence_rate": entries / sequenced}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--cadence", type=float, action="append",
                        help="background loop cadence in seconds (repeatable; default 2 and the shipped 15)")
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL too")
    parser.add_argument("--capacity", type=int, default=20_000, help="entries for the in-process speed test")
    args = parser.parse_args()
    speed = capacity(args.capacity)
    print(f"# sequencer speed (SQLite, in-process, {args.capacity} entries): numbered and signed "
          f"{speed['sequence_rate']:,.0f}/s; written one transaction each {speed['write_rate']:,.0f}/s; "
          f"ratio {speed['sequence_rate'] / speed['write_rate']:.1f}")
    print(f"# audit sequencer lag — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}")
    for name, url in (("SQLite", None), ("PostgreSQL", "pg"))[:2 if args.postgres else 1]:
        for cadence in args.cadence or [2.0, 15.0]:
            r = run(recreate_pg("borderflow_bench") if url else None, args.seconds, cadence)
            print(f"{name:10} cadence {cadence:4.1f} s  declarations {r['ingest']['rps']:6.0f}/s  "
                  f"entries {r['entries']:6d}  checkpoints {r['checkpoints']:4d}  lag p50 {r['p50']:5.2f} s  "
                  f"p99 {r['p99']:5.2f} s  max {r['max']:5.2f} s  (zero-cost p99 {0.99 * cadence:5.2f} s)")


if __name__ == "__main__":
    main()
