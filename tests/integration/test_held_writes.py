"""A unit of work's held writes: one statement per table, yet never missing from any read.

The crossings a transaction creates, and its updates of crossings, are held back and sent a table at
a time (store/held_writes); whatever runs next on the connection must see them, a savepoint rolled
back must take back exactly what was held since it began, and a unit of work that fails must leave
nothing behind, also not for the next user of its pooled connection.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select, text

from borderflow.domain.crossing import Crossing
from borderflow.domain.identifiers.plates import key_variants
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

AT = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def add(uow: UnitOfWork, n: int, *, partner: str | None = None) -> str:
    crossing_id = f"00000000-0000-4000-8000-{n:012d}"
    crossing = Crossing.declare(id=crossing_id, reference=f"HN-{n:06d}", direction="import", gate="HUUNGHI",
                                declarant_tax_id="5300123456", risk_lane="green", risk_reasons=[], at=AT,
                                actor="test")
    declaration = {"containers": [{"number": f"MSCU{n:06d}{n % 10}"}]}
    extra = {"origin_node": partner, "crossing_id": f"p-{n}"} if partner else {}
    uow.crossings.add(crossing, declaration, plate=f"24C-{n:05d}", plate_key=f"24C{n:05d}", trailer_plate=None,
                      expected_arrival=AT, at=AT, actor="test", **extra)
    return crossing_id


def count(engine, table) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.fixture
def statements(engine):  # noqa: ANN001
    seen: Counter[str] = Counter()

    def note(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        seen[" ".join(statement.split()[:3])] += 1

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def test_a_hundred_crossings_go_in_one_statement_per_table(engine, statements):  # noqa: ANN001
    with UnitOfWork(engine) as uow:
        for n in range(100):
            add(uow, n)
        assert statements["INSERT INTO crossings"] == 0, "sent before anything needed them"
        uow.commit()
    for table in ("crossings", "declaration_versions", "crossing_containers", "crossing_plate_keys",
                  "crossing_events"):
        assert statements[f"INSERT INTO {table}"] == 1, table
    assert count(engine, t.crossings) == 100
    assert count(engine, t.crossing_events) == 100
    assert count(engine, t.crossing_containers) == 100
    # every variant of every plate, with its gate and crossing (sent as three arrays on PostgreSQL)
    k = t.crossing_plate_keys.c
    with engine.connect() as conn:
        rows = set(conn.execute(select(k.gate, k.variant, k.crossing_id)).all())
    assert rows == {("HUUNGHI", variant, f"00000000-0000-4000-8000-{n:012d}")
                    for n in range(100) for variant in key_variants(f"24C{n:05d}")}


def test_any_statement_sees_what_the_transaction_holds(engine):  # noqa: ANN001
    with UnitOfWork(engine) as uow:
        first = add(uow, 1)
        # a read the repository knows nothing of, straight on the connection
        assert uow.conn.execute(text("SELECT count(*) FROM crossing_events WHERE crossing_id = :id"),
                                {"id": first}).scalar_one() == 1
        add(uow, 2)
        assert uow.crossings.get(first) is not None
        assert uow.conn.execute(select(func.count()).select_from(t.crossings)).scalar_one() == 2
        uow.commit()
    assert count(engine, t.crossings) == 2


@pytest.mark.parametrize("sent_inside", [False, True], ids=["held-throughout", "sent-inside-the-savepoint"])
def test_a_savepoint_rolled_back_takes_back_only_what_was_held_since(engine, sent_inside):  # noqa: ANN001
    with UnitOfWork(engine) as uow:
        kept = add(uow, 1)
        savepoint = uow.conn.begin_nested()
        add(uow, 2)
        if sent_inside:  # the read sends both crossings inside the savepoint; its rollback undoes both
            assert uow.conn.execute(select(func.count()).select_from(t.crossings)).scalar_one() == 2
        savepoint.rollback()
        uow.crossings.forget()
        add(uow, 3)
        uow.commit()
    with engine.connect() as conn:
        ids = set(conn.execute(select(t.crossings.c.id)).scalars())
    assert ids == {kept, "00000000-0000-4000-8000-000000000003"}
    assert count(engine, t.crossing_events) == 2


def test_a_unit_of_work_that_fails_leaves_nothing_for_the_next_user_of_its_connection(engine):  # noqa: ANN001
    with pytest.raises(RuntimeError), UnitOfWork(engine) as uow:
        add(uow, 1)
        raise RuntimeError("changed its mind")
    for _ in range(3):  # whichever pooled connection comes next
        with UnitOfWork(engine) as uow:
            uow.conn.execute(select(func.count()).select_from(t.crossings)).scalar_one()
            uow.commit()
    assert count(engine, t.crossings) == 0


def test_outbox_rows_held_together_keep_each_streams_numbers(engine, statements):  # noqa: ANN001
    with UnitOfWork(engine) as uow:
        for n in range(30):
            uow.enqueue(message_id=f"m-{n}", type="crossing_status", recipient="CN-BORDER", stream=f"s-{n % 3}",
                        payload={"n": n}, at=AT)
        uow.commit()
    with UnitOfWork(engine) as uow:  # a later transaction goes on from where the streams stand
        uow.enqueue(message_id="m-30", type="crossing_status", recipient="CN-BORDER", stream="s-0",
                    payload={"n": 30}, at=AT)
        uow.commit()
    o = t.outbox.c
    with engine.connect() as conn:
        rows = conn.execute(select(o.stream, o.seq, o.message_id).order_by(o.id)).all()
    assert [(r.stream, r.seq) for r in rows if r.stream == "s-0"] == [("s-0", i) for i in range(1, 12)]
    assert [r.message_id for r in rows] == [f"m-{n}" for n in range(31)]
    if engine.dialect.name == "postgresql":  # one statement locks the three streams, for the first transaction
        assert statements["SELECT pg_advisory_xact_lock(2831, hashtext(s))"] == 2


def test_the_partners_new_crossings_are_looked_up_once_and_one_created_is_found_again(engine):  # noqa: ANN001
    with UnitOfWork(engine) as uow:
        add(uow, 1, partner="CN-BORDER")
        uow.commit()
    with UnitOfWork(engine) as uow:
        uow.crossings.note_partner_crossings("CN-BORDER", ["p-1", "p-2", "p-3"])
        assert uow.crossings.by_partner("CN-BORDER", "p-1") is not None  # was there before
        assert uow.crossings.by_partner("CN-BORDER", "p-2") is None
        add(uow, 2, partner="CN-BORDER")
        found = uow.crossings.by_partner("CN-BORDER", "p-2")
        assert found is not None and found.crossing.id.endswith("000000000002")
        uow.commit()


def announced(engine, numbers: range) -> list[str]:  # noqa: ANN001
    """Crossings the partner announced, committed: what a delivery's status messages then name."""
    with UnitOfWork(engine) as uow:
        ids = [add(uow, n, partner="CN-BORDER") for n in numbers]
        uow.commit()
    return ids


def test_crossings_a_delivery_names_are_read_once_and_saved_with_the_partners_news(engine, statements):  # noqa: ANN001
    ids = announced(engine, range(700, 705))
    statements.clear()
    with UnitOfWork(engine) as uow:
        uow.crossings.load([*ids, "00000000-0000-4000-8000-999999999999"], for_update=True)
        assert statements["SELECT crossings.id, crossings.reference,"] == 1
        records = [uow.crossings.get(i, for_update=True) for i in ids]
        assert statements["SELECT crossings.id, crossings.reference,"] == 1, "answered from what was read"
        assert uow.crossings.get("00000000-0000-4000-8000-999999999999") is None
        record = records[0]
        uow.crossings.save(record, at=AT, partner={"status": "exited", "reference": None})
        assert record.partner == {"origin_node": "CN-BORDER", "crossing_id": "p-700", "status": "exited"}
        uow.commit()
    with UnitOfWork(engine, write=False) as uow:
        again = uow.crossings.get(ids[0])
        assert again.partner == record.partner


def test_updates_go_in_one_statement_and_a_row_saved_twice_ends_as_its_last_save(engine, statements):  # noqa: ANN001
    ids = announced(engine, range(800, 810))
    statements.clear()
    with UnitOfWork(engine) as uow:
        uow.crossings.load(ids, for_update=True)
        records = [uow.crossings.get(i) for i in ids]
        for record in records:
            uow.crossings.save(record, at=AT, partner={"status": "entered"})
        uow.crossings.save(records[0], at=AT, partner={"status": "exited"})  # merged into its first update
        assert statements["UPDATE crossings SET"] == 0, "sent before anything needed them"
        savepoint = uow.conn.begin_nested()
        uow.crossings.save(records[1], at=AT, partner={"status": "exited"})
        savepoint.rollback()  # takes back only the update held since it began
        uow.commit()
    assert statements["UPDATE crossings SET"] == 1
    with UnitOfWork(engine, write=False) as uow:
        statuses = [uow.crossings.get(i).partner["status"] for i in ids]
    assert statuses == ["exited"] + ["entered"] * 9


def test_an_update_held_behind_the_insert_of_its_row_finds_the_row(engine, statements):  # noqa: ANN001
    with UnitOfWork(engine) as uow:
        crossing_id = add(uow, 900, partner="CN-BORDER")
        uow.crossings.save(uow.crossings.get(crossing_id), at=AT, partner={"status": "entered"})
        uow.commit()
    assert statements["INSERT INTO crossings"] == 1 and statements["UPDATE crossings SET"] == 1
    with UnitOfWork(engine, write=False) as uow:
        assert uow.crossings.get(crossing_id).partner["status"] == "entered"
