"""Load and save aggregates; the only place that knows the crossing tables' columns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from borderflow.domain import lifecycle
from borderflow.domain.crossing import Crossing, CrossingEvent
from borderflow.domain.signoffs import Signoff
from borderflow.store import tables as t


@dataclass
class CrossingRecord:
    """A crossing with what the store keeps beside it (the declaration as submitted)."""

    crossing: Crossing
    declaration: dict[str, Any]
    plate: str
    created_at: datetime
    updated_at: datetime
    partner: dict[str, Any] = field(default_factory=dict)  # see PARTNER_COLUMNS


class CrossingRepository:
    def __init__(self, conn: Connection):
        self.conn = conn
        # (crossing id, event) for every event saved in this unit of work: what reactions follow
        self.recorded: list[tuple[str, CrossingEvent]] = []

    def add(self, crossing: Crossing, declaration: dict, *, plate: str, plate_key: str,
            trailer_plate: str | None, expected_arrival: datetime, at: datetime, actor: str,
            **partner: Any) -> None:
        self.conn.execute(insert(t.crossings).values(**_partner_values(partner),
            id=crossing.id, reference=crossing.reference, direction=crossing.direction, gate=crossing.gate,
            status=crossing.status, risk_lane=crossing.risk_lane, risk_reasons=crossing.risk_reasons,
            version=crossing.version, hold_reason=crossing.hold_reason, checks_passed=sorted(crossing.checks_passed),
            signoffs=_signoffs_json(crossing),
            declarant_tax_id=crossing.declarant_tax_id, plate=plate, plate_key=plate_key,
            trailer_plate=trailer_plate, expected_arrival=expected_arrival,
            customs_declaration_no=declaration.get("customs_declaration_no"), declaration=declaration,
            created_at=at, updated_at=at))
        self._add_version(crossing, declaration, actor, at)
        self._flush_events(crossing)

    def get(self, crossing_id: str, *, for_update: bool = False) -> CrossingRecord | None:
        query = select(t.crossings).where(t.crossings.c.id == crossing_id)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _record(row) if row else None

    def by_partner(self, origin_node: str, partner_crossing_id: str, *, for_update: bool = False) -> CrossingRecord | None:
        """An import crossing by the id its announcing partner gave it."""
        c = t.crossings.c
        query = select(t.crossings).where(c.origin_node == origin_node, c.partner_crossing_id == partner_crossing_id)
        if for_update and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = self.conn.execute(query).first()
        return _record(row) if row else None

    def set_partner(self, own_id: str, /, **partner: Any) -> None:
        """Record what the partner side says about its counterpart crossing."""
        self.conn.execute(update(t.crossings).where(t.crossings.c.id == own_id)
                          .values(**_partner_values(partner)))

    def by_reference(self, reference: str) -> CrossingRecord | None:
        row = self.conn.execute(select(t.crossings).where(t.crossings.c.reference == reference)).first()
        return _record(row) if row else None

    def save(self, record: CrossingRecord, *, at: datetime, declaration: dict | None = None,
             plate: str | None = None, plate_key: str | None = None, trailer_plate: str | None = None,
             expected_arrival: datetime | None = None, actor: str = "system") -> None:
        c = record.crossing
        values: dict[str, Any] = dict(status=c.status, risk_lane=c.risk_lane, risk_reasons=c.risk_reasons,
                                      version=c.version, hold_reason=c.hold_reason,
                                      checks_passed=sorted(c.checks_passed), signoffs=_signoffs_json(c),
                                      updated_at=at)
        if declaration is not None:
            values.update(declaration=declaration, plate=plate, plate_key=plate_key, trailer_plate=trailer_plate,
                          expected_arrival=expected_arrival,
                          customs_declaration_no=declaration.get("customs_declaration_no"))
            self._add_version(c, declaration, actor, at)
            record.declaration = declaration
        self.conn.execute(update(t.crossings).where(t.crossings.c.id == c.id).values(**values))
        self._flush_events(c)

    def events(self, crossing_id: str) -> list[dict]:
        rows = self.conn.execute(select(t.crossing_events).where(t.crossing_events.c.crossing_id == crossing_id)
                                 .order_by(t.crossing_events.c.id)).all()
        return [dict(action=r.action, from_status=r.from_status, to_status=r.to_status, at=r.at, actor=r.actor,
                     cause=r.cause, data=r.data) for r in rows]

    def versions(self, crossing_id: str) -> list[dict]:
        v = t.declaration_versions
        rows = self.conn.execute(select(v).where(v.c.crossing_id == crossing_id).order_by(v.c.version)).all()
        return [dict(version=r.version, declaration=r.declaration, risk_lane=r.risk_lane,
                     risk_reasons=r.risk_reasons, actor=r.actor, created_at=r.created_at) for r in rows]

    def list(self, *, status: str | None = None, gate: str | None = None, plate_key: str | None = None,
             declarant: str | None = None, risk_lane: str | None = None, limit: int = 100,
             offset: int = 0) -> list[CrossingRecord]:
        c = t.crossings.c
        query = select(t.crossings).order_by(c.created_at.desc(), c.id).limit(limit).offset(offset)
        for column, value in ((c.status, status), (c.gate, gate), (c.plate_key, plate_key),
                              (c.declarant_tax_id, declarant), (c.risk_lane, risk_lane)):
            if value is not None:
                query = query.where(column == value)
        return [_record(row) for row in self.conn.execute(query)]

    def expected_at_gate(self, gate: str) -> list[tuple[str, str, str]]:
        """(id, plate, plate_key) of every crossing a plate read at `gate` could belong to."""
        c = t.crossings.c
        rows = self.conn.execute(select(c.id, c.plate, c.plate_key).where(
            c.gate == gate, c.status.in_(lifecycle.EXPECTED_AT_GATE)))
        return [tuple(row) for row in rows]

    def history(self, tax_id: str) -> dict[str, int]:
        row = self.conn.execute(select(t.declarant_stats).where(t.declarant_stats.c.tax_id == tax_id)).first()
        if row is None:
            return {"crossings": 0, "refused": 0, "inspections_failed": 0, "red_lanes": 0}
        return {"crossings": row.crossings, "refused": row.refused, "inspections_failed": row.inspections_failed,
                "red_lanes": row.red_lanes}

    def count_history(self, tax_id: str, **increments: int) -> None:
        """Upsert: two first declarations of one declarant may commit at the same moment."""
        s = t.declarant_stats
        dialect_insert = pg_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        base = {"crossings": 0, "refused": 0, "inspections_failed": 0, "red_lanes": 0}
        statement = dialect_insert(s).values(tax_id=tax_id, **{**base, **increments})
        self.conn.execute(statement.on_conflict_do_update(
            index_elements=[s.c.tax_id],
            set_={name: getattr(s.c, name) + n for name, n in increments.items()}))

    def reference_exists(self, reference: str) -> bool:
        return self.conn.execute(select(func.count()).where(t.crossings.c.reference == reference)).scalar_one() > 0

    def _add_version(self, c: Crossing, declaration: dict, actor: str, at: datetime) -> None:
        self.conn.execute(insert(t.declaration_versions).values(
            crossing_id=c.id, version=c.version, declaration=declaration, risk_lane=c.risk_lane,
            risk_reasons=c.risk_reasons, actor=actor, created_at=at))

    def _flush_events(self, c: Crossing) -> None:
        if c.new_events:
            self.conn.execute(insert(t.crossing_events), [
                dict(crossing_id=c.id, action=e.action, from_status=e.from_status, to_status=e.to_status,
                     at=e.at, actor=e.actor, cause=e.cause, data=e.data) for e in c.new_events])
            self.recorded.extend((c.id, e) for e in c.new_events)
            c.new_events.clear()


def _signoffs_json(c: Crossing) -> list[dict]:
    return [s.to_json() for s in c.signoffs.values()]


def _record(row: Any) -> CrossingRecord:
    crossing = Crossing(id=row.id, reference=row.reference, direction=row.direction, gate=row.gate,
                        declarant_tax_id=row.declarant_tax_id, status=row.status, risk_lane=row.risk_lane,
                        risk_reasons=list(row.risk_reasons), version=row.version, hold_reason=row.hold_reason,
                        signoffs={s["agency"]: Signoff.from_json(s) for s in row.signoffs or []})
    partner = {name: getattr(row, column) for name, column in PARTNER_COLUMNS.items()}
    return CrossingRecord(crossing, row.declaration, row.plate, row.created_at, row.updated_at,
                          {k: v for k, v in partner.items() if v is not None})


# CrossingRecord.partner key -> crossings column
PARTNER_COLUMNS = {"origin_node": "origin_node", "crossing_id": "partner_crossing_id",
                   "reference": "partner_reference", "status": "partner_status", "status_at": "partner_status_at",
                   "outcome": "partner_outcome"}


def _partner_values(partner: dict[str, Any]) -> dict[str, Any]:
    unknown = set(partner) - set(PARTNER_COLUMNS)
    if unknown:
        raise TypeError(f"unknown partner fields: {sorted(unknown)}")
    return {PARTNER_COLUMNS[name]: value for name, value in partner.items()}
