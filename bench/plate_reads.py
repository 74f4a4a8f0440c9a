"""Plate read → decision latency at a steady 100 reads/s, against a gate with 1,000 trucks expected.

Reads are a realistic mix: exact reads, OCR misreads (1→I, 0→O, 8→B) and plates nobody declared.
The baseline is GET /healthz paced the same way against the same server in the same run.
Usage: python bench/plate_reads.py [--reads 2000] [--rate 100] [--expected 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, apikey, machine, start_node  # noqa: E402

sys.path.insert(0, str(ROOT))
from tests.support.declarations import green_cargo  # noqa: E402


def misread(plate: str) -> str:
    head, tail = plate.split("-")
    return head + "-" + tail.replace("1", "I").replace("0", "O").replace("8", "B")


DROPPED = []  # requests sent again because the server had closed an idle kept-alive connection


async def paced(client: httpx.AsyncClient, requests: list, rate: float) -> list[float]:
    """Open loop: request i is sent at i/rate seconds whatever the earlier ones are doing."""
    latencies: list[float] = []
    start = time.perf_counter()

    async def one(i: int, method: str, path: str, body: dict | None) -> None:
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        t0 = time.perf_counter()
        try:
            response = await client.request(method, path, json=body)
        except (httpx.ReadError, httpx.RemoteProtocolError):  # the connection was closed under us: again
            DROPPED.append(i)
            response = await client.request(method, path, json=body)
        latencies.append((time.perf_counter() - t0) * 1000)
        assert response.status_code in (200, 201), response.text

    await asyncio.gather(*(one(i, *r) for i, r in enumerate(requests)))
    return latencies


def pct(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=1000)[int(p * 10) - 1]


async def main_async(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, env = start_node(Path(tmp), args.db_url)
        try:
            declarant = apikey(env, "declarant", "--declarant", "5300123456")
            device = apikey(env, "device")
            plates = [f"24C-{n // 100:03d}.{n % 100:02d}" for n in rng.sample(range(100_000), args.expected)]
            async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {declarant}"},
                                         limits=httpx.Limits(max_connections=16)) as client:
                sem = asyncio.Semaphore(16)

                async def declare(plate: str) -> None:
                    async with sem:
                        r = await client.post("/api/v1/crossings", json=green_cargo(vehicle__plate=plate))
                        assert r.status_code == 201, r.text
                await asyncio.gather(*(declare(p) for p in plates))
            reads = []
            for i in range(args.reads):
                kind = i % 10
                plate = plates[i % len(plates)]
                text = misread(plate) if kind < 3 else f"29C-{rng.randrange(1000):03d}.{rng.randrange(100):02d}" \
                    if kind == 9 else plate
                reads.append(("POST", "/api/v1/gate-events", {"gate": "KIMTHANH", "lane": "OUT-1",
                                                              "kind": "plate_read", "plate": text,
                                                              "confidence": 0.9}))
            async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {device}"},
                                         limits=httpx.Limits(max_connections=64)) as client:
                base = await paced(client, [("GET", "/healthz", None)] * args.reads, args.rate)
                lat = await paced(client, reads, args.rate)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    print(f"# plate-read benchmark — {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC — {machine()}")
    print(f"{args.expected} crossings expected at KIMTHANH, {args.reads} reads at {args.rate:.0f}/s "
          f"(60% exact, 30% misread, 10% unknown)")
    print(f"plate read → decision  p50 {pct(lat, 50):5.2f} ms  p99 {pct(lat, 99):5.2f} ms  max {max(lat):6.2f} ms")
    print(f"GET /healthz baseline  p50 {pct(base, 50):5.2f} ms  p99 {pct(base, 99):5.2f} ms")
    print(f"p99 ratio (decision / healthz): {pct(lat, 99) / pct(base, 99):.1f}")
    if DROPPED:
        print(f"{len(DROPPED)} requests sent again on a fresh connection (the server had closed the idle one)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--expected", type=int, default=1000)
    parser.add_argument("--db-url", default=None)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
