"""The facts an exit adds: the gate's calendar, one truck per group, the commodity mapping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as s

from borderflow.domain import statistics as st
from borderflow.reference import commodity_groups

GROUPS = commodity_groups.load()


def test_periods_are_the_gates_local_calendar():
    at = datetime(2026, 6, 30, 17, 30, tzinfo=UTC)  # 00:30 on 1 July in Hanoi
    assert st.period_keys(at, "Asia/Ho_Chi_Minh") == {"day": "2026-07-01", "week": "2026-W27", "month": "2026-07",
                                                     "quarter": "2026-Q3", "year": "2026"}
    assert st.period_keys(at, "UTC")["month"] == "2026-06"


def test_iso_weeks_cross_the_new_year():
    assert st.day_keys(date(2026, 1, 1))["week"] == "2026-W01"
    assert st.day_keys(date(2027, 1, 1))["week"] == "2026-W53"


def test_commodity_groups_take_the_most_specific_range():
    assert GROUPS.group_of("08106000") == "fresh_fruit"  # durian
    assert GROUPS.group_of("07141011") == "cassava"  # not the vegetables chapter
    assert GROUPS.group_of("07096010") == "vegetables"
    assert GROUPS.group_of("11081400") == "cassava"  # cassava starch
    assert GROUPS.group_of("03061719") == "seafood"
    assert GROUPS.group_of("40012200") == "rubber"
    assert GROUPS.group_of("99999999") == st.OTHER_GROUP
    assert GROUPS.perishable("fresh_fruit") and not GROUPS.perishable("rubber")


def line(hs: str, origin: str = "VN") -> dict[str, str]:
    return {"hs_chapter": hs[:2], "hs_heading": hs[:4], "hs_subheading": hs[:6],
            "commodity_group": GROUPS.group_of(hs), "origin": origin}


def test_firsts_mark_a_crossings_first_line_per_group():
    lines = [line("07141011"), line("07141091"), line("09041120"), line("07141011", "LA")]
    masks = st.firsts(lines)
    bit = lambda *dims: [m >> st.subset_bit(dims) & 1 for m in masks]  # noqa: E731
    assert bit() == [1, 0, 0, 0]  # the truck once
    assert bit("hs_chapter") == [1, 0, 1, 0]  # chapters 07 and 09
    assert bit("hs_chapter", "origin") == [1, 0, 1, 1]  # 07/VN, 09/VN, 07/LA
    assert bit("hs_subheading") == [1, 0, 1, 0]


@given(s.lists(s.tuples(s.sampled_from(["07141011", "08106000", "09041120", "40012200", "08039010"]),
                        s.sampled_from(["VN", "LA", "CN"])), min_size=1, max_size=6),
       s.sets(s.sampled_from(st.LINE_DIMENSIONS), max_size=3))
def test_summing_the_firsts_bit_counts_distinct_groups(goods, dims):
    lines = [line(hs, origin) for hs, origin in goods]
    masks = st.firsts(lines)
    bit = st.subset_bit(tuple(dims))
    counted: dict[tuple, int] = {}
    for row, mask in zip(lines, masks, strict=True):
        key = tuple(row[d] for d in sorted(dims))
        counted[key] = counted.get(key, 0) + (mask >> bit & 1)
    assert all(n == 1 for n in counted.values())  # every group counts the truck exactly once


def test_fact_rows_carry_every_key():
    keys = st.CrossingKeys("c1", datetime(2026, 6, 1, 3, tzinfo=UTC), "KIMTHANH", "KIMTHANH-HEKOU", "Lào Cai",
                           "Asia/Ho_Chi_Minh", "export", "green", "5300123456", 2)
    goods = [st.GoodsFigures("0810.60.00", Decimal("24000"), Decimal("22000"), Decimal("72000"), "USD", "VN")]
    (row,) = st.fact_rows(keys, goods, GROUPS)
    assert (row["hs_code"], row["hs_chapter"], row["hs_heading"], row["hs_subheading"]) == \
        ("08106000", "08", "0810", "081060")
    assert row["commodity_group"] == "fresh_fruit" and row["day"] == "2026-06-01" and row["containers"] == 2


def test_no_rate_means_no_value_never_a_guess():
    assert st.usd(100.0, "USD", None) == 100.0
    assert st.usd(250_000.0, "VND", 25_000.0) == 10.0
    assert st.usd(250_000.0, "VND", None) is None


def test_queries_list_every_problem():
    query, problems = st.parse_query("month", "2026-07-01", "2026-06-01", "gate,hs_chapter")
    assert query is None and [p.code for p in problems] == ["statistics.range"]
    query, problems = st.parse_query("quarter", None, None, "gate, direction ,gate")
    assert problems == [] and query.by == ("gate", "direction")
    _, problems = st.parse_query("month", None, None, "gate,direction,origin,hs_chapter,risk_lane")
    assert [p.code for p in problems] == ["statistics.by_too_many"]
