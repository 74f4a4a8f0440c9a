"""Whole past months read from their sums answer exactly what their goods lines do.

Lines are written as an exit writes them (domain/statistics.fact_rows) for trucks with one to
three goods lines over five months; each query is answered once from the lines alone, then
again after the past months are summed, on both databases."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import func, insert, select

from borderflow.domain import statistics as st
from borderflow.domain.clock import FixedClock
from borderflow.reference import commodity_groups
from borderflow.reference.region import load_node
from borderflow.services import rates, statistics, trade_months
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

HS = ["08106000", "08109092", "07141011", "40012200", "03061719", "09041120", "84798990"]
GATES = [("KIMTHANH", "HEKOU", "Lào Cai"), ("HUUNGHI", "YOUYIGUAN", "Lạng Sơn")]
NOW = datetime(2026, 6, 10, 3, 0, tzinfo=UTC)  # June is still running: January to May may be summed


def seed(engine, trucks: int = 600) -> None:
    rng, groups = random.Random(7), commodity_groups.load()
    lines = []
    for n in range(trucks):
        gate, partner, province = rng.choice(GATES)
        exited = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(160 * 24 * 60))
        keys = st.CrossingKeys(crossing_id=f"c{n}", exited_at=exited, gate=gate, gate_pair=f"{gate}-{partner}",
                               province=province, timezone="Asia/Ho_Chi_Minh", direction=rng.choice(("export", "import")),
                               risk_lane=rng.choice(("green", "yellow", "red")), declarant_tax_id=f"01{n % 5:08d}",
                               containers=rng.randrange(3))
        goods = [st.GoodsFigures(hs_code=rng.choice(HS), gross_kg=Decimal(rng.randrange(1000, 30000)),
                                 net_kg=Decimal(rng.randrange(900, 1000)), value=Decimal(rng.randrange(100, 90000)),
                                 currency=rng.choice(("USD", "USD", "VND", "CNY")), origin=rng.choice(("VN", "CN")))
                 for _ in range(rng.choice((1, 1, 2, 3)))]
        for row in st.fact_rows(keys, goods, groups):
            row["value_usd"] = float(row["value"]) if row["currency"] == "USD" else None
            lines.append(row)
    with engine.begin() as conn:
        conn.execute(insert(t.crossings), [crossing_row(f"c{n}") for n in range(trucks)])
        conn.execute(insert(t.trade_lines), lines)


def crossing_row(crossing_id: str) -> dict:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return {"id": crossing_id, "reference": crossing_id.upper(), "direction": "export", "gate": "KIMTHANH",
            "status": "exited", "risk_lane": "green", "risk_reasons": [], "version": 1, "checks_passed": [],
            "signoffs": [], "declarant_tax_id": "0100000000", "plate": "24C-000.00", "plate_key": "24C00000",
            "expected_arrival": at, "declaration": {}, "created_at": at, "updated_at": at}


@pytest.fixture
def node(engine):
    seed(engine)
    return SimpleNamespace(engine=engine, node=load_node("vn").node, clock=FixedClock(NOW),
                           commodity_groups=commodity_groups.load(),
                           uow=lambda write=True: UnitOfWork(engine, write=write))


def answer(node, q: st.TradeQuery) -> dict:
    with node.uow(write=False) as uow:
        return statistics.trade(node, uow, q, per_dimension=True)


QUERIES = [
    st.TradeQuery("month", None, None, ("gate", "hs_chapter", "direction")),
    st.TradeQuery("month", date(2026, 1, 15), date(2026, 4, 30), ("commodity_group", "origin")),
    st.TradeQuery("quarter", date(2026, 2, 1), None, ("hs_subheading", "risk_lane")),
    st.TradeQuery("year", None, date(2026, 3, 31), ("province",), gates=("HUUNGHI",)),
    st.TradeQuery("month", date(2026, 1, 1), date(2026, 6, 30), ("hs_heading", "commodity_group", "origin")),
    st.TradeQuery("month", None, None, ()),
]


@pytest.mark.parametrize("q", QUERIES, ids=lambda q: f"{q.period}-{'-'.join(q.by) or 'totals'}")
def test_summed_months_answer_what_their_lines_do(node, q):
    from_lines = answer(node, q)
    assert from_lines["totals"]["lines"] > 0
    statistics.prepare(node, q)
    with node.uow(write=False) as uow:
        summed = statistics.summed_months(node, uow, q)
    assert summed and "2026-06" not in summed  # the running month is never summed
    assert answer(node, q) == from_lines


def test_only_whole_past_months_are_summed_and_each_once(node):
    assert trade_months.build(node, date(2026, 1, 10), date(2026, 5, 20)) == ["2026-02", "2026-03", "2026-04"]
    assert trade_months.build(node, date(2026, 1, 10), date(2026, 5, 20)) == []
    assert trade_months.build(node) == ["2026-01", "2026-05"]
    with node.engine.connect() as conn:
        counted = dict(conn.execute(select(t.trade_months.c.month, t.trade_months.c.lines)).all())
        per_month = dict(conn.execute(select(t.trade_lines.c.month, func.count()).group_by(t.trade_lines.c.month)).all())
    assert counted == {m: n for m, n in per_month.items() if m < "2026-06"}


def test_a_rate_imported_later_values_the_summed_months_again(node):
    q = st.TradeQuery("month", None, None, ("gate",))
    statistics.prepare(node, q)
    before = answer(node, q)
    rows, problems = rates.parse_csv("date,currency,units_per_usd\n2026-02-03,VND,25000\n2026-04-11,CNY,7.1\n",
                                     {"VND", "CNY", "USD"}, default_source="test")
    assert problems == []
    with node.uow() as uow:
        rates.store(uow, rows, NOW)
        uow.commit()
    with node.uow(write=False) as uow:
        assert {"2026-02", "2026-04"}.isdisjoint(statistics.summed_months(node, uow, q))
    after = answer(node, q)
    assert after["totals"]["value_usd"] > before["totals"]["value_usd"]
    statistics.prepare(node, q)  # summed again, with the new values
    assert answer(node, q) == after


def test_a_month_whose_lines_changed_is_read_from_its_lines_until_summed_again(node):
    q = st.TradeQuery("month", None, None, ("direction",))
    from_lines = answer(node, q)
    statistics.prepare(node, q)
    with node.uow() as uow:
        trade_months.forget(uow, {"2026-03"})
        uow.commit()
    with node.uow(write=False) as uow:
        summed = statistics.summed_months(node, uow, q)
    assert "2026-03" not in summed and {"2026-02", "2026-04"} <= set(summed)
    assert answer(node, q) == from_lines  # March from its lines, beside months from their sums
