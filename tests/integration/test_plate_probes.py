"""A read its key does not settle finds its plates by the key variants (migration 0013), with the same
answer as matching every truck the gate expects; a crossing that ends leaves the index, an amended
plate moves in it, and the migration fills it for crossings declared before it."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from borderflow import schemas
from borderflow.bootstrap import build_context
from borderflow.domain import lifecycle
from borderflow.domain.clock import FixedClock
from borderflow.domain.identifiers.plates import match_plate, probe_keys
from borderflow.services import crossings
from borderflow.settings import load_settings
from borderflow.store import migrate
from borderflow.store import tables as t
from tests.conftest import BACKENDS
from tests.support.databases import engine_at, fresh_pg_database
from tests.support.declarations import green_cargo
from tests.support.history import principal
from tests.support.nodes import TEST_RULES, TEST_VN_NODE

NOW = datetime(2026, 6, 15, 1, 0, tzinfo=UTC)
DECLARANT = principal("declarant", "5300123456")
SWAPS = {"1": "I", "0": "O", "8": "B", "3": "8", "6": "G", "5": "S", "4": "A"}


@pytest.fixture(params=BACKENDS)
def ctx(request, tmp_path):
    def build(url: str):
        return build_context(load_settings(data_dir=tmp_path, db_url=url, node=str(TEST_VN_NODE), env="test",
                                           rules=str(TEST_RULES)), clock=FixedClock(NOW))
    if request.param == "sqlite":
        context = build(f"sqlite:///{tmp_path / 'node.sqlite'}")
        yield context
        context.engine.dispose()
        return
    with fresh_pg_database(migrated=True) as url:
        context = build(url)
        yield context
        context.engine.dispose()


def declare(ctx, plate: str) -> str:
    body = green_cargo(vehicle__plate=plate, expected_arrival="2026-06-15T09:00:00+07:00")
    with ctx.uow() as uow:
        _, view = crossings.declare(ctx, uow, DECLARANT, schemas.parse_declaration(body))
        uow.commit()
    return view["id"]


def misread(rng: random.Random, plate: str) -> str:
    chars = list(plate)
    for _ in range(rng.randrange(1, 4)):
        i = rng.randrange(len(chars))
        if rng.random() < 0.7:
            chars[i] = SWAPS.get(chars[i], chars[i])
        elif rng.random() < 0.5:
            chars[i] = rng.choice("0123456789")
        else:
            del chars[i]
    return "".join(chars)


def both_ways(ctx, read: str):
    """The match over every truck the gate expects, the match over what the probes found, and those."""
    c = t.crossings.c
    with ctx.uow(write=False) as uow:
        everyone = uow.conn.execute(select(c.id, c.plate, c.plate_key).where(
            c.gate == "KIMTHANH", c.status.in_(lifecycle.EXPECTED_AT_GATE))).all()
        probed = uow.crossings.expected_near("KIMTHANH", probe_keys(read))
    return match_plate(read, [p for _, p, _ in everyone]), match_plate(read, [p for _, p, _ in probed]), probed


def test_reads_match_by_the_index_as_by_the_whole_gate(ctx):
    rng = random.Random(5)
    plates = sorted({f"24C-{rng.randrange(1000):03d}.{rng.randrange(100):02d}" for _ in range(240)})
    plates += ["24C-123.45", "24C-123.46", "24C-128.45"]  # neighbours: a misread may be ambiguous
    for plate in plates:
        declare(ctx, plate)
    reads = [misread(rng, rng.choice(plates)) for _ in range(400)]
    reads += [f"29C-{rng.randrange(1000):03d}.{rng.randrange(100):02d}" for _ in range(100)]  # nobody's
    reads += ["24C-I23.4S", "24C-123.4", "24C-1234.5", "24C-I2B.45"]
    statuses = set()
    for read in reads:
        whole, indexed, probed = both_ways(ctx, read)
        if whole.status == "none":  # its distance only says "beyond the limit"
            assert (indexed.status, indexed.matches) == ("none", ()), read
        else:  # the same plates, in the order their rows came
            assert (indexed.status, sorted(indexed.matches), indexed.distance) == \
                (whole.status, sorted(whole.matches), whole.distance), read
        assert len(probed) <= 40  # a handful of rows, not the gate
        statuses.add(whole.status)
    assert statuses == {"exact", "fuzzy", "ambiguous", "none"}  # every kind of answer was compared


def test_the_index_holds_what_a_gate_expects():
    """The key index keeps a crossing until it ends, so it must be what a read can belong to."""
    assert lifecycle.EXPECTED_AT_GATE == set(lifecycle.STATUSES) - lifecycle.TERMINAL


def test_an_ended_crossing_leaves_the_index_and_an_amended_plate_moves(ctx):
    first, second = declare(ctx, "24C-555.11"), declare(ctx, "24C-777.22")
    with ctx.uow() as uow:
        crossings.cancel(ctx, uow, DECLARANT, first, "not going")
        crossings.amend(ctx, uow, DECLARANT, second, {"vehicle": {"plate": "24C-888.33"}})
        uow.commit()
    v = t.crossing_plate_keys.c
    with ctx.engine.connect() as conn:
        kept = {(row.crossing_id, row.variant) for row in conn.execute(select(v.crossing_id, v.variant))}
    assert {cid for cid, _ in kept} == {second}
    assert (second, "24C88833") in kept and (second, "24C77722") not in kept
    assert both_ways(ctx, "24C-555.1I")[1].status == "none"
    assert both_ways(ctx, "24C-888.3")[1].matches == ("24C-888.33",)
    assert both_ways(ctx, "24C-777.2")[1].status == "none"


@pytest.fixture(params=BACKENDS)
def before_0013(request, tmp_path):
    """A database at revision 0012, the one before the table existed."""
    with engine_at(request.param, tmp_path, "0012") as engine:
        yield engine


def test_the_migration_fills_the_index_for_crossings_still_expected(before_0013):
    def crossing(cid: str, status: str, key: str) -> dict:
        return dict(id=cid, reference=f"KIM-{cid.upper():0>7}", direction="export", gate="KIMTHANH", status=status,
                    risk_lane="green", risk_reasons=[], version=1, checks_passed=[], signoffs=[],
                    declarant_tax_id="5300123456", plate=key, plate_key=key, expected_arrival=NOW,
                    declaration={}, created_at=NOW, updated_at=NOW)
    with before_0013.begin() as conn:
        conn.execute(insert(t.crossings), [crossing("a", "declared", "24C12345"), crossing("b", "held", "29C1100"),
                                           crossing("c", "exited", "24C99999"), crossing("d", "cancelled", "24C9")])
    migrate.upgrade(before_0013, "0013")
    v = t.crossing_plate_keys.c
    with before_0013.connect() as conn:
        found = {(row.crossing_id, row.variant) for row in conn.execute(select(v.crossing_id, v.variant))}
    assert {variant for cid, variant in found if cid == "a"} == {
        "24C12345", "4C12345", "2C12345", "2412345", "24C2345", "24C1345", "24C1245", "24C1235", "24C1234"}
    assert {variant for cid, variant in found if cid == "b"} == {"29C1100", "9C1100", "2C1100", "291100", "29C100",
                                                                  "29C110"}
    assert {cid for cid, _ in found} == {"a", "b"}
