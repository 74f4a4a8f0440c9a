"""A delivery is applied whole, and taken again with a savepoint per message only when one of
its payloads is refused: the answers are the same either way, and nothing is applied twice."""

from __future__ import annotations

import uuid

from sqlalchemy import event, func, select

from borderflow.store import tables as t
from tests.support.inbox import envelope, incident, receiving_node  # noqa: F401 - the fixture


class Savepoints:
    """SAVEPOINT statements the node's engine runs while it is entered."""

    def __init__(self, engine):  # noqa: ANN001
        self.engine, self.count = engine, 0

    def _seen(self, conn, cursor, statement, *args) -> None:  # noqa: ANN001, ANN002
        self.count += statement.lstrip().upper().startswith("SAVEPOINT")

    def __enter__(self) -> Savepoints:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        event.remove(self.engine, "before_cursor_execute", self._seen)


def stored_reports(receiving_node, message_ids: list[str]) -> dict[str, int]:  # noqa: ANN001
    r = t.exchange_reports.c
    with receiving_node.node.ctx.engine.connect() as conn:
        return dict(conn.execute(select(r.message_id, func.count()).where(r.message_id.in_(message_ids))
                                 .group_by(r.message_id)).all())


def turns(receiving_node) -> int:  # noqa: ANN001
    """Savepoints a unit of work takes for itself: on SQLite its turn in the group commit is one."""
    return 1 if receiving_node.node.ctx.engine.dialect.name == "sqlite" else 0


def test_a_delivery_with_nothing_refused_takes_no_savepoint(receiving_node):
    stream = f"whole-{uuid.uuid4().hex[:8]}"
    messages = [envelope(receiving_node, stream=stream, seq=n) for n in range(1, 6)]
    with Savepoints(receiving_node.node.ctx.engine) as savepoints:
        receipts = receiving_node.deliver(*messages).json()["receipts"]
    assert [r["status"] for r in receipts] == ["applied"] * 5
    assert savepoints.count == turns(receiving_node)
    assert stored_reports(receiving_node, [m["message_id"] for m in messages]) == {
        m["message_id"]: 1 for m in messages}


def test_one_refused_payload_is_undone_alone_and_the_rest_applied_once(receiving_node):
    stream = f"mixed-{uuid.uuid4().hex[:8]}"
    before = envelope(receiving_node, stream=stream, seq=1)
    refused = envelope(receiving_node, stream=stream, seq=2, payload=incident(gate="NOWHERE"))
    after = envelope(receiving_node, stream=stream, seq=3)
    with Savepoints(receiving_node.node.ctx.engine) as savepoints:
        receipts = receiving_node.deliver(before, refused, after).json()["receipts"]
    assert [r["status"] for r in receipts] == ["applied", "rejected", "applied"], receipts
    assert "NOWHERE" in receipts[1]["reason"]
    assert savepoints.count == 2 * turns(receiving_node) + 3  # taken twice, the second time one a message
    assert stored_reports(receiving_node, [before["message_id"], refused["message_id"], after["message_id"]]) == {
        before["message_id"]: 1, after["message_id"]: 1}
    # The refused message used its number: the stream goes on after it.
    receipt = receiving_node.deliver(envelope(receiving_node, stream=stream, seq=4)).json()["receipts"][0]
    assert receipt["status"] == "applied"
    again = receiving_node.deliver(before, refused).json()["receipts"]
    assert [r["status"] for r in again] == ["duplicate", "duplicate"]
