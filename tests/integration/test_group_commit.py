"""SQLite writers queued behind each other share one COMMIT, and each keeps its own answer.

Every writer that `commit()` returned for is durable (a fresh connection sees it), every
writer that failed left nothing, and when the shared COMMIT itself fails every member hears
it and nothing of theirs is there.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, insert, select

from borderflow.store import migrate
from borderflow.store import tables as t
from borderflow.store.db import make_engine
from borderflow.store.unit_of_work import UnitOfWork

AT = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'node.sqlite'}")
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def names(engine) -> set[str]:  # noqa: ANN001
    with engine.connect() as conn:
        return set(conn.execute(select(t.worker_leases.c.name)).scalars())


def write(engine, name: str, *, fail: bool = False) -> None:  # noqa: ANN001
    with UnitOfWork(engine) as uow:
        uow.conn.execute(insert(t.worker_leases).values(name=name, owner="test", until=AT, renewed_at=AT))
        if fail:
            raise RuntimeError(f"{name} changed its mind")
        uow.commit()


def run_together(engine, count: int, *, failing=frozenset()) -> dict[str, BaseException | None]:  # noqa: ANN001
    start = threading.Barrier(count)
    outcome: dict[str, BaseException | None] = {}

    def one(i: int) -> None:
        name = f"w{i:02d}"
        start.wait()
        try:
            write(engine, name, fail=i in failing)
            outcome[name] = None
            assert name in names(engine), "answered before it was durable"
        except BaseException as exc:  # noqa: BLE001 - recorded for the assertions
            outcome[name] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcome


def test_queued_writers_share_commits_and_each_keeps_its_all_or_nothing(engine):
    commits = []
    event.listen(engine, "commit", lambda conn: commits.append(1))
    failing = {3, 7, 11}
    outcome = run_together(engine, 16, failing=failing)
    written = {name for name, error in outcome.items() if error is None}
    assert written == {f"w{i:02d}" for i in range(16) if i not in failing}
    assert all(isinstance(outcome[f"w{i:02d}"], RuntimeError) for i in failing)
    assert names(engine) == written  # the failed ones left nothing, though they shared a transaction
    assert len(commits) < len(written), "no writer shared a COMMIT"


def test_a_failed_commit_reaches_every_member_and_keeps_nothing_of_theirs(engine):
    write(engine, "before")
    calls = []

    def refuse(conn):  # noqa: ANN001, ANN202
        calls.append(1)
        raise OSError("disk full")

    event.listen(engine, "commit", refuse)
    outcome = run_together(engine, 8)
    event.remove(engine, "commit", refuse)
    assert all(isinstance(error, OSError) for error in outcome.values()), outcome
    assert len(calls) < 8  # they were in fewer transactions than writers
    assert names(engine) == {"before"}
    write(engine, "after")  # the queue works again
    assert names(engine) == {"before", "after"}


def test_a_lone_writer_commits_at_once(engine):
    write(engine, "alone")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(t.worker_leases)).scalar() == 1
