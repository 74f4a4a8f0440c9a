"""Revision 0011 fills `crossing_containers` from the declarations already stored, so crossings
declared before it are warned of too; only active ones, each number once, in compact form."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from tests.conftest import BACKENDS
from tests.support.databases import engine_at
from borderflow.store import migrate
from borderflow.store import tables as t

AT = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def before_0011(request, tmp_path):
    """A database at revision 0010, the one before the table existed."""
    with engine_at(request.param, tmp_path, "0010") as engine:
        yield engine


def crossing(crossing_id: str, status: str, containers: list | None) -> dict:
    declaration = {"vehicle": {"plate": "24C-123.45"}}
    if containers is not None:
        declaration["containers"] = containers
    return dict(id=crossing_id, reference=f"KIM-{crossing_id.upper():0>7}", direction="export", gate="KIMTHANH",
                status=status, risk_lane="green", risk_reasons=[], version=1, checks_passed=[], signoffs=[],
                declarant_tax_id="5300123456", plate="24C-123.45", plate_key="24C12345", expected_arrival=AT,
                declaration=declaration, created_at=AT, updated_at=AT)


def test_active_crossings_containers_are_backfilled_in_compact_form(before_0011):
    rows = [crossing("a", "declared", [{"number": "csqu 305438 3"}, {"number": "MSCU1234566"},
                                       {"number": "CSQU3054383"}]),  # the same box typed twice: once
            crossing("b", "held", [{"number": "TGHU9876540", "seal": "S1"}]),
            crossing("c", "exited", [{"number": "CSQU3054383"}]),
            crossing("d", "cancelled", [{"number": "MSCU1234566"}]),
            crossing("e", "refused", [{"number": "MSCU1234566"}]),
            crossing("f", "declared", None),
            crossing("g", "in_transit", [])]
    with before_0011.begin() as conn:
        conn.execute(insert(t.crossings), rows)
    migrate.upgrade(before_0011, "0011")
    cc = t.crossing_containers.c
    with before_0011.connect() as conn:
        found = set(conn.execute(select(cc.crossing_id, cc.number)).all())
    assert found == {("a", "CSQU3054383"), ("a", "MSCU1234566"), ("b", "TGHU9876540")}
