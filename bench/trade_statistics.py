"""Monthly trade statistics over one year at the reference region's peak rate.

~5,000 trucks a day for 365 days (~1.8 million crossings, ~2 million goods lines: one truck
in ten carries two lines) are written straight into the tables an exit fills (bulk insert:
COPY on PostgreSQL, executemany on SQLite), then the API's query (services/statistics.trade:
the grouping, per-period and grand totals, unpriced values, rates used) is timed for
`period=month&by=gate,hs_chapter,direction` over the year, against a plain
`SELECT count(*)` over the same rows in the same run: first from the lines, then from the
months' sums (services/trade_months), which must answer exactly the same.

    python bench/trade_statistics.py [--crossings 1825000] [--backend sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import machine  # noqa: E402
from borderflow.domain import statistics as st  # noqa: E402
from borderflow.domain.clock import FixedClock  # noqa: E402
from borderflow.reference import commodity_groups  # noqa: E402
from borderflow.reference.region import load_node  # noqa: E402
from borderflow.services import statistics  # noqa: E402
from borderflow.store import migrate  # noqa: E402
from borderflow.store import tables as t  # noqa: E402
from borderflow.store.db import make_engine  # noqa: E402
from borderflow.store.unit_of_work import UnitOfWork  # noqa: E402

GATES = [("KIMTHANH", "HEKOU", "Lào Cai"), ("MALUTHANG", "JINSHUIHE", "Lai Châu"),
         ("THANHTHUY", "TIANBAO", "Tuyên Quang"), ("HUUNGHI", "YOUYIGUAN", "Lạng Sơn"),
         ("TANTHANH", "POZHAI", "Lạng Sơn")]
GATE_WEIGHTS = [0.2, 0.02, 0.08, 0.4, 0.3]
HS = ["08106000", "08109092", "08109010", "08039010", "07141011", "40012200", "03061719", "09041120",
      "84798990", "85423100", "31052000", "72142000", "52083100", "87089900", "08081000", "08052100"]
CURRENCIES = ["USD"] * 7 + ["VND", "CNY"]
START = date(2025, 1, 1)
REPEATS = 5


def rows(crossings: int, seed: int = 1):
    """(crossing row, [trade line rows]) for `crossings` trucks spread over 365 days."""
    rng = random.Random(seed)
    groups = commodity_groups.load()
    group = {code: groups.group_of(code) for code in HS}
    days = [st.day_keys(START + timedelta(days=d)) for d in range(365)]
    for n in range(crossings):
        gate, partner, province = rng.choices(GATES, GATE_WEIGHTS)[0]
        keys = days[n * 365 // crossings]
        exited = datetime.fromisoformat(keys["day"] + "T05:00:00+00:00") + timedelta(seconds=rng.randrange(36000))
        direction = "export" if rng.random() < 0.35 else "import"
        crossing_id = str(uuid.UUID(int=rng.getrandbits(128)))
        crossing = (crossing_id, f"B{n:014d}", direction, gate, exited)
        lines = [{"hs_code": rng.choice(HS), "origin": "VN" if direction == "export" else "CN"}
                 for _ in range(2 if rng.random() < 0.1 else 1)]
        for line in lines:
            code = line["hs_code"]
            line.update(hs_chapter=code[:2], hs_heading=code[:4], hs_subheading=code[:6],
                        commodity_group=group[code])
        out = []
        for i, (line, mask) in enumerate(zip(lines, st.firsts(lines), strict=True)):
            currency = rng.choice(CURRENCIES)
            value = rng.uniform(5_000, 90_000)
            value_usd = value if currency == "USD" else (value / 25_000 if currency == "VND" else None)
            gross = rng.uniform(8_000, 30_000)
            out.append((crossing_id, i, exited, keys["day"], keys["week"], keys["month"], keys["quarter"],
                        keys["year"], gate, f"{gate}-{partner}", province, direction, rng.choice("ggggbyr"),
                        f"53{rng.randrange(10 ** 8):08d}", line["hs_code"], line["hs_chapter"], line["hs_heading"],
                        line["hs_subheading"], line["commodity_group"], line["origin"], rng.randrange(3),
                        gross, gross * 0.95, value * (25_000 if currency == "VND" else 1), currency, value_usd,
                        mask, rng.uniform(10, 200) if i == 0 else None, None))
        yield crossing, out


LINE_COLUMNS = ("crossing_id", "line_no", "exited_at", "day", "week", "month", "quarter", "year", "gate",
                "gate_pair", "province", "direction", "risk_lane", "declarant_tax_id", "hs_code", "hs_chapter",
                "hs_heading", "hs_subheading", "commodity_group", "origin", "containers", "gross_kg", "net_kg",
                "value", "currency", "value_usd", "firsts", "crossing_minutes", "yard_minutes")
CROSSING_COLUMNS = ("id", "reference", "direction", "gate", "status", "risk_lane", "risk_reasons", "version",
                    "checks_passed", "signoffs", "declarant_tax_id", "plate", "plate_key", "expected_arrival",
                    "declaration", "created_at", "updated_at")


def crossing_row(c: tuple) -> tuple:
    crossing_id, reference, direction, gate, at = c
    return (crossing_id, reference, direction, gate, "exited", "green", "[]", 1, "[]", "[]", "5300000000",
            "24C-000.00", "24C00000", at, "{}", at, at)


def seed_sqlite(engine, crossings: int) -> None:  # noqa: ANN001
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("BEGIN")
        batch_c, batch_l = [], []
        sql_c = f"INSERT INTO crossings ({','.join(CROSSING_COLUMNS)}) VALUES ({','.join('?' * len(CROSSING_COLUMNS))})"
        sql_l = f"INSERT INTO trade_lines ({','.join(LINE_COLUMNS)}) VALUES ({','.join('?' * len(LINE_COLUMNS))})"
        iso = lambda v: v.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ") if isinstance(v, datetime) else v  # noqa: E731
        for crossing, lines in rows(crossings):
            batch_c.append(tuple(iso(v) for v in crossing_row(crossing)))
            batch_l.extend(tuple(iso(v) for v in line) for line in lines)
            if len(batch_c) >= 20_000:
                cur.executemany(sql_c, batch_c)
                cur.executemany(sql_l, batch_l)
                batch_c, batch_l = [], []
        cur.executemany(sql_c, batch_c)
        cur.executemany(sql_l, batch_l)
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()


def seed_postgres(engine, crossings: int) -> None:  # noqa: ANN001
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur:
            with cur.copy(f"COPY crossings ({','.join(CROSSING_COLUMNS)}) FROM STDIN") as copy_c:
                for crossing, _ in rows(crossings):
                    copy_c.write_row(crossing_row(crossing))
            with cur.copy(f"COPY trade_lines ({','.join(LINE_COLUMNS)}) FROM STDIN") as copy_l:
                for _, lines in rows(crossings):  # the same seed: the same trucks again, lines this time
                    for line in lines:
                        copy_l.write_row(line)
        raw.commit()
        with raw.cursor() as cur:
            cur.execute("ANALYZE crossings")
            cur.execute("ANALYZE trade_lines")
        raw.commit()
    finally:
        raw.close()


def timed(fn, repeats: int = REPEATS) -> float:  # noqa: ANN001
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    return sorted(times)[len(times) // 2]  # the median (this file's name hides the statistics module)


def same(a, b) -> bool:  # noqa: ANN001
    """Equal, counts exactly and sums of floats to within their rounding (two million additions in
    another order may move the last cent)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= max(0.011, 1e-9 * abs(a))
    return a == b


def run(backend: str, url: str, crossings: int) -> dict:
    engine = make_engine(url)
    migrate.upgrade(engine)
    began = time.perf_counter()
    (seed_sqlite if backend == "sqlite" else seed_postgres)(engine, crossings)
    seeded = time.perf_counter() - began
    ctx = SimpleNamespace(commodity_groups=commodity_groups.load(), node=load_node("vn").node,
                          clock=FixedClock(datetime(2026, 1, 15, tzinfo=UTC)),
                          uow=lambda write=True: UnitOfWork(engine, write=write))
    query = st.TradeQuery("month", date(2025, 1, 1), date(2025, 12, 31), ("gate", "hs_chapter", "direction"))

    def count() -> int:
        with UnitOfWork(engine, write=False) as uow:
            return uow.conn.execute(select(func.count()).select_from(t.trade_lines)).scalar()

    def monthly() -> dict:
        with UnitOfWork(engine, write=False) as uow:
            return statistics.trade(ctx, uow, query)

    lines = count()
    from_lines = monthly()  # no month summed yet: every line is read, as before the sums
    assert from_lines["totals"]["trucks"] == crossings, from_lines["totals"]
    baseline, before = timed(count), timed(monthly, 1)  # from the lines: seconds a run at full scale, once is enough
    began = time.perf_counter()
    statistics.prepare(ctx, query)
    summing = time.perf_counter() - began
    result = monthly()
    assert same(result, from_lines), "the sums must answer what the lines do"
    answer = timed(monthly)
    engine.dispose()
    return {"backend": backend, "crossings": crossings, "lines": lines, "rows": len(result["rows"]),
            "seed_s": seeded, "count_s": baseline, "lines_s": before, "sum_s": summing, "monthly_s": answer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--crossings", type=int, default=1_825_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    print(machine(), datetime.now(UTC).date().isoformat())
    results = []
    with tempfile.TemporaryDirectory() as folder:
        if args.backend in ("sqlite", "both"):
            results.append(run("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", args.crossings))
        if args.backend in ("postgres", "both"):
            from tests.support.databases import fresh_pg_database
            with fresh_pg_database() as url:
                results.append(run("postgres", url, args.crossings))
    print("| backend | crossings | goods lines | result rows | seed | SELECT count(*) | from the lines | "
          "summing the 12 months (once) | monthly statistics | ratio to count | target |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in results:
        met = "met" if r["monthly_s"] <= 2 else "**not met**"
        print(f"| {r['backend']} | {r['crossings']:,} | {r['lines']:,} | {r['rows']:,} | {r['seed_s']:.0f} s | "
              f"{r['count_s'] * 1000:.0f} ms | {r['lines_s'] * 1000:,.0f} ms | {r['sum_s']:.1f} s | "
              f"{r['monthly_s'] * 1000:.0f} ms | {r['monthly_s'] / r['count_s']:.1f} | ≤ 2 s: {met} |")


if __name__ == "__main__":
    main()
