"""A declarant's counts: spread over shard rows and added at commit, so concurrent declarations of
one declarant seldom wait on a row's lock, and hold one only for the commit; yet read within the
transaction as they will be left."""

from __future__ import annotations

import threading

import pytest
from alembic import command
from sqlalchemy import select, text

from borderflow.store import migrate
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork
from tests.conftest import BACKENDS
from tests.support.databases import engine_at

TAX_ID = "5300123456"


NAMES = ("crossings", "refused", "inspections_failed", "red_lanes")


def stored(engine) -> dict | None:
    """The declarant's committed counts, its shards summed."""
    with engine.connect() as conn:
        rows = conn.execute(select(t.declarant_stats).where(t.declarant_stats.c.tax_id == TAX_ID)).all()
    return {name: sum(getattr(row, name) for row in rows) for name in NAMES} if rows else None


def test_one_declarants_counts_spread_over_its_shards_and_sum_back(engine):
    for _ in range(40):
        with UnitOfWork(engine) as uow:
            uow.crossings.count_history(TAX_ID, crossings=1)
            uow.commit()
    with engine.connect() as conn:
        shards = conn.execute(select(t.declarant_stats.c.shard).where(t.declarant_stats.c.tax_id == TAX_ID)).all()
    assert 1 < len(shards) <= t.DECLARANT_SHARDS  # 40 commits all in one of 8 shards: odds of 8 in 10^35
    with UnitOfWork(engine) as uow:
        assert uow.crossings.history(TAX_ID)["crossings"] == 40


def test_counts_are_read_as_counted_and_written_once_at_commit(engine):
    with UnitOfWork(engine) as uow:
        uow.crossings.count_history(TAX_ID, crossings=1, red_lanes=1)
        uow.crossings.count_history(TAX_ID, crossings=1, red_lanes=0)
        assert uow.crossings.history(TAX_ID) == {"crossings": 2, "refused": 0, "inspections_failed": 0,
                                                 "red_lanes": 1}
        assert stored(engine) is None  # nothing written before the commit
        uow.commit()
    assert stored(engine) == {"crossings": 2, "refused": 0, "inspections_failed": 0, "red_lanes": 1}
    with UnitOfWork(engine) as uow:
        uow.crossings.count_history(TAX_ID, refused=1)
        assert uow.crossings.history(TAX_ID)["refused"] == 1 and uow.crossings.history(TAX_ID)["crossings"] == 2
        uow.commit()
    assert stored(engine) == {"crossings": 2, "refused": 1, "inspections_failed": 0, "red_lanes": 1}


def test_counts_of_a_transaction_that_does_not_commit_are_gone(engine):
    with UnitOfWork(engine) as uow:
        uow.crossings.count_history(TAX_ID, crossings=5)
    with UnitOfWork(engine) as uow:
        assert uow.crossings.history(TAX_ID)["crossings"] == 0
        uow.commit()
    assert stored(engine) is None


@pytest.mark.postgres
def test_a_declarants_row_is_not_locked_while_its_declaration_is_still_being_written(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks held across a transaction are PostgreSQL's; SQLite has one writer at a time")
    with UnitOfWork(engine) as first:
        first.crossings.count_history(TAX_ID, crossings=1)
        first.commit()
    counted = threading.Event()
    release = threading.Event()

    def slow_declaration() -> None:
        with UnitOfWork(engine) as uow:
            uow.crossings.count_history(TAX_ID, crossings=1)
            counted.set()
            release.wait(10)  # the rest of a declaration: warnings, reactions, audit
            uow.commit()

    writer = threading.Thread(target=slow_declaration)
    writer.start()
    try:
        assert counted.wait(10)
        with engine.begin() as conn:  # another declaration's commit meanwhile: it must not wait
            conn.execute(text("SET LOCAL lock_timeout = '1s'"))
            conn.execute(t.declarant_stats.update().where(t.declarant_stats.c.tax_id == TAX_ID)
                         .values(crossings=t.declarant_stats.c.crossings + 1))
    finally:
        release.set()
        writer.join()
    assert stored(engine)["crossings"] == 3


@pytest.fixture(params=BACKENDS)
def before_0014(request, tmp_path):
    with engine_at(request.param, tmp_path, "0013") as engine:
        yield engine


def test_the_migration_keeps_every_count_and_going_back_sums_the_shards(before_0014):
    with before_0014.begin() as conn:
        conn.execute(text("INSERT INTO declarant_stats (tax_id, crossings, refused, inspections_failed, red_lanes) "
                          "VALUES ('5300123456', 12, 1, 2, 3), ('0100000001', 4, 0, 0, 0)"))
    migrate.upgrade(before_0014, "0014")
    assert stored(before_0014) == {"crossings": 12, "refused": 1, "inspections_failed": 2, "red_lanes": 3}
    for _ in range(20):
        with UnitOfWork(before_0014) as uow:
            uow.crossings.count_history(TAX_ID, crossings=1, red_lanes=1)
            uow.commit()
    config = migrate.alembic_config(before_0014)
    with before_0014.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0013")
    with before_0014.connect() as conn:
        rows = {r.tax_id: tuple(r)[1:] for r in conn.execute(text(
            "SELECT tax_id, crossings, refused, inspections_failed, red_lanes FROM declarant_stats"))}
    assert rows == {"5300123456": (32, 1, 2, 23), "0100000001": (4, 0, 0, 0)}
