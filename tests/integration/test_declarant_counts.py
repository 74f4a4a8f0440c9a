"""A declarant's counts: added at commit, so its one row is locked only for the commit, yet read
within the transaction as they will be left."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

TAX_ID = "5300123456"


def stored(engine) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.declarant_stats).where(t.declarant_stats.c.tax_id == TAX_ID)).first()
    return None if row is None else {"crossings": row.crossings, "refused": row.refused,
                                     "inspections_failed": row.inspections_failed, "red_lanes": row.red_lanes}


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
