"""Device reports at the gate. Every plate read is kept, matched or not, for review."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from borderflow.store import tables as t

# Built once: a plate read runs these, and building a statement cost more than SQLite takes to run it.
_G = t.gate_events.c
INSERT_EVENT = insert(t.gate_events).returning(_G.id)  # its columns are the given ones, compiled once per set
COLUMNS = frozenset(t.gate_events.c.keys())
LATEST_WEIGHT = select(_G.gross_kg).where(_G.crossing_id == bindparam("id"), _G.kind == "weighbridge") \
    .order_by(_G.id.desc()).limit(1)


class GateEventRepository:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, **values: Any) -> int:
        values.setdefault("candidates", [])
        values.setdefault("review", "none")
        if not values.keys() <= COLUMNS:  # executed with parameters, it would drop an unknown name unsaid
            raise TypeError(f"gate_events has no column {sorted(values.keys() - COLUMNS)[0]!r}")
        return self.conn.execute(INSERT_EVENT, values).scalar_one()

    def get(self, event_id: int) -> dict | None:
        row = self.conn.execute(select(t.gate_events).where(t.gate_events.c.id == event_id)).first()
        return dict(row._mapping) if row else None

    def latest_weight(self, crossing_id: str) -> float | None:
        return self.conn.execute(LATEST_WEIGHT, {"id": crossing_id}).scalar()

    def for_review(self, *, gate: str | None = None, limit: int = 100) -> list[dict]:
        g = t.gate_events.c
        query = select(t.gate_events).where(g.review == "pending").order_by(g.id).limit(limit)
        if gate:
            query = query.where(g.gate == gate)
        return [dict(row._mapping) for row in self.conn.execute(query)]

    def for_crossing(self, crossing_id: str) -> list[dict]:
        g = t.gate_events.c
        rows = self.conn.execute(select(t.gate_events).where(g.crossing_id == crossing_id).order_by(g.id))
        return [dict(row._mapping) for row in rows]

    def resolve(self, event_id: int, *, review: str, crossing_id: str | None, by: str) -> None:
        self.conn.execute(update(t.gate_events).where(t.gate_events.c.id == event_id).values(
            review=review, crossing_id=crossing_id, resolved_by=by))
