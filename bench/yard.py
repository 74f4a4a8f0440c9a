"""Slots and yard: booking throughput under contention, and one call-forward step with 5,000 trucks waiting.

1. 32 concurrent HTTP clients book 2,000 crossings into 20 slots of 5 places (a
   real node process); every request gets 201 or 409, and the slots must end with
   exactly 100 bookings. Baseline: GET /healthz with the same client pool.
2. In-process: 5,000 trucks in one gate's yard; time the full call-forward step
   (lock, requeue, no-shows, capacity, policy, updates, notifications, commit)
   against the queue policy alone on the same 5,000 trucks.
Usage: python bench/yard.py [--postgres]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, apikey, machine, recreate_pg, start_node  # noqa: E402

sys.path.insert(0, str(ROOT))
from sqlalchemy import insert, update  # noqa: E402

from borderflow.bootstrap import build_context  # noqa: E402
from borderflow.domain.queueing import CallUpState, Waiting  # noqa: E402
from borderflow.services import capacity, yard  # noqa: E402
from borderflow.settings import load_settings  # noqa: E402
from borderflow.store import tables as t  # noqa: E402
from tests.support.declarations import green_cargo  # noqa: E402

CLIENTS, CROSSINGS, SLOTS, PLACES = 32, 2000, 20, 5


def pooled(url: str, headers: dict, calls: list[tuple[str, str, dict | None]]) -> tuple[float, list[int]]:
    """Run (method, path, json) calls on CLIENTS threads; returns (seconds, status codes)."""
    local = {}

    def one(call):  # noqa: ANN001, ANN202
        import threading
        client = local.get(threading.get_ident())
        if client is None:
            client = local[threading.get_ident()] = httpx.Client(base_url=url, headers=headers, timeout=60)
        method, path, body = call
        return client.request(method, path, json=body).status_code

    began = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        codes = list(pool.map(one, calls))
    return time.perf_counter() - began, codes


def bookings(db_url: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, env = start_node(Path(tmp), db_url)
        try:
            declarant = {"Authorization": f"Bearer {apikey(env, 'declarant', '--declarant', '5300123456')}"}
            supervisor = {"Authorization": f"Bearer {apikey(env, 'supervisor')}"}
            first = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
            hours = [first + timedelta(hours=h) for h in range(SLOTS)]
            httpx.post(url + "/api/v1/gates/KIMTHANH/capacity-overrides", headers=supervisor, json={
                "direction": "outbound", "starts_at": first.isoformat(),
                "ends_at": (first + timedelta(hours=SLOTS)).isoformat(),
                "trucks_per_hour": math.ceil(PLACES / 0.8), "reason": "benchmark"}).raise_for_status()
            body = green_cargo()
            declares = []
            for i in range(CROSSINGS):
                declares.append(("POST", "/api/v1/crossings",
                                 {**body, "vehicle": {**body["vehicle"], "plate": f"24C-{i // 100:03d}.{i % 100:02d}"}}))
            _, codes = pooled(url, declarant, declares)
            assert set(codes) == {201}, set(codes)
            ids = [c["id"] for offset in range(0, CROSSINGS, 500)
                   for c in httpx.get(url + "/api/v1/crossings", headers=declarant,
                                      params={"limit": 500, "offset": offset}).json()]
            calls = [("PUT", f"/api/v1/crossings/{cid}/booking", {"slot_start": hours[i % SLOTS].isoformat()})
                     for i, cid in enumerate(ids)]
            seconds, codes = pooled(url, declarant, calls)
            health_seconds, _ = pooled(url, {}, [("GET", "/healthz", None)] * len(calls))
            slots = httpx.get(url + "/api/v1/gates/KIMTHANH/slots", headers=supervisor,
                              params={"direction": "outbound", "hours": SLOTS + 3}).json()
            booked = sum(s["booked"] for s in slots if s["start"] in {h.isoformat() for h in hours})
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    rate, baseline = len(calls) / seconds, len(calls) / health_seconds
    return {"rate": rate, "ok": codes.count(201), "full": codes.count(409), "other": len(codes) - codes.count(201)
            - codes.count(409), "booked": booked, "baseline": baseline, "ratio": rate / baseline}


def call_forward_latency(db_url: str | None, trucks: int = 5000, rounds: int = 30) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(data_dir=Path(tmp), db_url=db_url, env="test")
        ctx = build_context(settings)
        now = ctx.clock.now()
        gate = "HUUNGHI"
        with ctx.uow() as uow:
            uow.conn.execute(insert(t.capacity_overrides).values(
                gate=gate, direction="outbound", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1),
                trucks_per_hour=100_000, reason="benchmark", created_by="bench", created_at=now))
            rows, yard_rows = [], []
            for i in range(trucks):
                cid = str(uuid.uuid4())
                rows.append(dict(id=cid, reference=f"HUU-{i:07d}", direction="export", gate=gate, status="declared",
                                 risk_lane="green", risk_reasons=[], version=1, checks_passed=[],
                                 declarant_tax_id="5300123456", plate=f"P{i}", plate_key=f"P{i}",
                                 expected_arrival=now, declaration={"goods": []}, created_at=now, updated_at=now))
                yard_rows.append(dict(crossing_id=cid, gate=gate, direction="outbound",
                                      priority=("perishable", "trusted", "ordinary")[i % 3], state="waiting",
                                      checked_in_at=now - timedelta(seconds=i), queued_at=now - timedelta(seconds=i),
                                      missed_calls=0))
            uow.conn.execute(insert(t.crossings), rows)
            uow.conn.execute(insert(t.yard), yard_rows)
            uow.commit()
        steps, policy_only = [], []
        policy = capacity.rules(ctx).policy()
        for _ in range(rounds):
            began = time.perf_counter()
            with ctx.uow() as uow:
                called = yard.call_forward(ctx, uow, gate, "outbound")
                uow.commit()
            steps.append((time.perf_counter() - began) * 1000)
            with ctx.uow() as uow:  # they pass the gate: lanes free, the yard stays full
                uow.conn.execute(update(t.yard).where(t.yard.c.crossing_id.in_([c["crossing_id"] for c in called]))
                                 .values(state="waiting", called_at=None, queued_at=ctx.clock.now()))
                uow.commit()
            waiting = [Waiting(r["crossing_id"], r["queued_at"], r["priority"]) for r in yard_rows]
            began = time.perf_counter()
            policy.pick(waiting, ctx.clock.now(), 6, CallUpState())
            policy_only.append((time.perf_counter() - began) * 1000)
        ctx.engine.dispose()
    return {"p50": statistics.median(steps), "p99": sorted(steps)[int(0.99 * (len(steps) - 1))],
            "policy": statistics.median(policy_only), "called": len(called)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL (127.0.0.1:5432)")
    args = parser.parse_args()
    print(f"# slots and yard benchmark — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC — {machine()}")
    for name, pg in (("SQLite", False), ("PostgreSQL", True))[:2 if args.postgres else 1]:
        b = bookings(recreate_pg("borderflow_bench_yard") if pg else None)
        print(f"{name:10} booking  {b['rate']:6.0f} req/s ({CLIENTS} clients, {SLOTS}×{PLACES} places): "
              f"{b['ok']} booked, {b['full']} told full, {b['other']} other; slots hold {b['booked']} "
              f"(overbooked: {'no' if b['booked'] == SLOTS * PLACES else 'YES'})  healthz {b['baseline']:6.0f}/s  "
              f"ratio {b['ratio']:.2f}")
        c = call_forward_latency(recreate_pg("borderflow_bench_yard") if pg else None)
        print(f"{name:10} call-forward step, 5,000 in the yard: p50 {c['p50']:.1f} ms  p99 {c['p99']:.1f} ms  "
              f"(queue policy alone {c['policy']:.1f} ms; {c['called']} called per step)")


if __name__ == "__main__":
    main()
