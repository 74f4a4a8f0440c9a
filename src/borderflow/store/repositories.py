"""Load and save aggregates; the only place that knows the crossing tables' columns.

The statements of the write path are built once, at import, and executed with parameters:
building a statement (`insert(...).values(...)`, `select(...).where(...)`) and its cache key
cost more CPU than SQLite takes to run it. A record this unit of work wrote is known in
memory (`known`), so what follows in the same transaction (the response, the reactions)
does not read it back.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (Connection, String, bindparam, cast, delete, func, insert, literal_column, null, select, text,
                        union_all, update)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from borderflow.domain import lifecycle
from borderflow.domain.crossing import Crossing, CrossingEvent
from borderflow.domain.identifiers.plates import key_variants
from borderflow.domain.signoffs import Signoff
from borderflow.domain.validation import ActiveDeclaration, compact_container
from borderflow.store import tables as t
from borderflow.store.held_writes import HeldWrites


@dataclass
class CrossingRecord:
    """A crossing with what the store keeps beside it (the declaration as submitted)."""

    crossing: Crossing
    declaration: dict[str, Any]
    plate: str
    created_at: datetime
    updated_at: datetime
    partner: dict[str, Any] = field(default_factory=dict)  # see PARTNER_COLUMNS


_C = t.crossings.c
INSERT_CROSSING = insert(t.crossings)
INSERT_VERSION = insert(t.declaration_versions)
INSERT_EVENTS = insert(t.crossing_events)
UPDATE_CROSSING = update(t.crossings).where(_C.id == bindparam("b_id"))
BY_ID = select(t.crossings).where(_C.id == bindparam("id"))
BY_ID_FOR_UPDATE = BY_ID.with_for_update()
BY_IDS = select(t.crossings).where(_C.id.in_(bindparam("ids", expanding=True))).order_by(_C.id)
BY_IDS_FOR_UPDATE = BY_IDS.with_for_update()
BY_PARTNER = select(t.crossings).where(_C.origin_node == bindparam("node"), _C.partner_crossing_id == bindparam("id"))
BY_PARTNER_FOR_UPDATE = BY_PARTNER.with_for_update()
PARTNER_IDS = select(_C.partner_crossing_id).where(_C.origin_node == bindparam("node"),
                                                   _C.partner_crossing_id.in_(bindparam("ids", expanding=True)))
EVENTS_OF = select(t.crossing_events).where(t.crossing_events.c.crossing_id == bindparam("id")) \
    .order_by(t.crossing_events.c.id)
_V = t.crossing_plate_keys.c
# Driven from the key index (gate, variant), each crossing then by its primary key: SQLite without
# statistics would otherwise walk the gate's (gate, status) index, every truck the gate expects. The
# index holds exactly the crossings that have not ended, which are the ones expected at a gate.
_NEAR = select(_C.id, _C.plate, _C.plate_key).select_from(t.crossing_plate_keys.join(t.crossings,
                                                                                    _C.id == _V.crossing_id))
EXPECTED_WITH_KEY = _NEAR.where(_V.gate == bindparam("gate"), _V.variant == bindparam("key"),
                                _C.plate_key == bindparam("key")).order_by(_C.id)
EXPECTED_NEAR = _NEAR.where(_V.gate == bindparam("gate"), _V.variant.in_(bindparam("probes", expanding=True))) \
    .distinct().order_by(_C.id)
INSERT_PLATE_KEYS = insert(t.crossing_plate_keys)
# On PostgreSQL a unit of work's plate keys go as three arrays in one statement: a crossing has eight or
# so (its plate's OCR variants), most of a delivery's rows, and an executemany sends each row on its own.
PLATE_KEYS_FROM_ARRAYS = text(
    "INSERT INTO crossing_plate_keys (gate, variant, crossing_id) "
    "SELECT * FROM unnest(CAST(:gates AS text[]), CAST(:variants AS text[]), CAST(:ids AS text[]))")
DELETE_PLATE_KEYS = delete(t.crossing_plate_keys).where(_V.crossing_id == bindparam("id"))
INSERT_CONTAINERS = insert(t.crossing_containers)
DELETE_CONTAINERS = delete(t.crossing_containers).where(t.crossing_containers.c.crossing_id == bindparam("id"))
_COUNTERS: dict[tuple[str, tuple[str, ...]], Any] = {}  # (dialect, counters) -> upsert statement
NO_HISTORY = {"crossings": 0, "refused": 0, "inspections_failed": 0, "red_lanes": 0}
_S = t.declarant_stats.c
HISTORY_OF = select(*(func.sum(getattr(_S, name)).label(name) for name in NO_HISTORY)) \
    .where(_S.tax_id == bindparam("tax_id"))
ALIKE_LIMIT = 3
"""Active crossings named per kind (same plate, same container): enough for the declarant to look,
and a bounded read however many trucks share a container (a benchmark's, a demo's)."""


def _alike(containers: int, own: bool) -> Any:
    """Active crossings other than `exclude` with the plate key `plate_key` or, for `containers`
    0, 1 or 2 (two or more), the container number `number` or one of `numbers`; with `own`, only
    the declarant's `declarant`. Each half is an index lookup that stops at ALIKE_LIMIT rows. No
    list is expanded into the SQL for the usual truck (one box): that costs more than the query."""
    x = t.crossing_containers.c
    # `|| ''`: not through the declarant's index, which would read all of a busy declarant's crossings
    # to spare sorting the few that share a plate
    mine = ((_C.declarant_tax_id + literal_column("''")) == bindparam("declarant"),) if own else ()
    active = text("crossings.status NOT IN (" + ", ".join(f"'{s}'" for s in sorted(lifecycle.TERMINAL)) + ")")
    by_plate = select(_C.id, _C.reference, _C.status, _C.plate, _C.created_at,
                      cast(null(), String(40)).label("number")) \
        .where(_C.plate_key == bindparam("plate_key"), _C.id != bindparam("exclude"), active, *mine) \
        .order_by(_C.created_at).limit(ALIKE_LIMIT)
    if not containers:
        return by_plate
    number = x.number == bindparam("number") if containers == 1 else x.number.in_(bindparam("numbers", expanding=True))
    by_container = select(_C.id, _C.reference, _C.status, _C.plate, _C.created_at, x.number) \
        .select_from(t.crossing_containers.join(t.crossings, _C.id == x.crossing_id)) \
        .where(number, x.crossing_id != bindparam("exclude"), active, *mine).limit(ALIKE_LIMIT)
    return union_all(select(by_plate.subquery()), select(by_container.subquery()))


ALIKE = {(containers, own): _alike(containers, own) for containers in (0, 1, 2) for own in (False, True)}


def container_numbers(declaration: dict) -> list[str]:
    """The declaration's container numbers in compact form, each once (what `crossing_containers` holds)."""
    units = declaration.get("containers") or ()
    found = (compact_container(u["number"])[:40] for u in units
             if isinstance(u, dict) and isinstance(u.get("number"), str))
    return list(dict.fromkeys(n for n in found if n))


def _counter_upsert(dialect: str, names: tuple[str, ...]) -> Any:
    statement = _COUNTERS.get((dialect, names))
    if statement is None:
        s = t.declarant_stats
        dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = dialect_insert(s).on_conflict_do_update(
            index_elements=[s.c.tax_id, s.c.shard],
            set_={name: getattr(s.c, name) + bindparam(f"add_{name}", type_=s.c[name].type) for name in names})
        _COUNTERS[dialect, names] = statement
    return statement


# The inserts a unit of work holds back (store/held_writes), parents first; the unit of work adds the outbox's.
HELD = (INSERT_CROSSING, INSERT_VERSION, INSERT_CONTAINERS, INSERT_PLATE_KEYS, INSERT_EVENTS)


def plate_keys_at_once(conn: Connection, rows: list[dict]) -> None:
    """Held plate keys in one statement (PostgreSQL): what `HeldWrites` sends instead of an executemany."""
    conn.execute(PLATE_KEYS_FROM_ARRAYS, {"gates": [r["gate"] for r in rows],
                                          "variants": [r["variant"] for r in rows],
                                          "ids": [r["crossing_id"] for r in rows]})


def held_instead(dialect: str) -> dict:
    """What a unit of work on this database sends its way rather than as an executemany."""
    return {INSERT_PLATE_KEYS: plate_keys_at_once} if dialect == "postgresql" else {}


class CrossingRepository:
    def __init__(self, conn: Connection, held: HeldWrites | None = None):
        self.conn = conn
        self._insert = held.add if held is not None else conn.execute  # held: sent before the next statement
        self._held = held
        # (crossing id, event) for every event saved in this unit of work: what reactions follow
        self.recorded: list[tuple[str, CrossingEvent]] = []
        # records this unit of work wrote, as written; and the whole history of those it created
        self.known: dict[str, CrossingRecord] = {}
        self._created_events: dict[str, list[dict]] = {}
        self._absent: set[tuple[str, str]] = set()  # (partner, its crossing id) known to have no crossing here
        self._histories: dict[str, dict[str, int]] = {}  # declarant -> counts as committed, read once
        # (declarant, increments) counted in this unit of work, written at its commit (`write_counts`)
        self.counts: list[tuple[str, dict[str, int]]] = []

    def add(self, crossing: Crossing, declaration: dict, *, plate: str, plate_key: str,
            trailer_plate: str | None, expected_arrival: datetime, at: datetime, actor: str,
            **partner: Any) -> CrossingRecord:
        partner_columns = _partner_values(partner)
        if self._absent and "origin_node" in partner:
            self._absent.discard((partner["origin_node"], partner.get("crossing_id")))
        self._insert(INSERT_CROSSING, {**partner_columns,
            "id": crossing.id, "reference": crossing.reference, "direction": crossing.direction,
            "gate": crossing.gate, "status": crossing.status, "risk_lane": crossing.risk_lane,
            "risk_reasons": crossing.risk_reasons, "version": crossing.version, "hold_reason": crossing.hold_reason,
            "checks_passed": sorted(crossing.checks_passed), "signoffs": _signoffs_json(crossing),
            "declarant_tax_id": crossing.declarant_tax_id, "plate": plate, "plate_key": plate_key,
            "trailer_plate": trailer_plate, "expected_arrival": expected_arrival,
            "customs_declaration_no": declaration.get("customs_declaration_no"), "declaration": declaration,
            "created_at": at, "updated_at": at})
        self._add_version(crossing, declaration, actor, at)
        self._add_containers(crossing.id, container_numbers(declaration))
        if crossing.status not in lifecycle.TERMINAL:
            self._add_plate_keys(crossing.id, crossing.gate, plate_key)
        self._created_events[crossing.id] = []
        self._flush_events(crossing)
        record = CrossingRecord(crossing, declaration, plate, at, at,
                                {name: partner[name] for name in PARTNER_COLUMNS if partner.get(name) is not None})
        self.known[crossing.id] = record
        return record

    def forget(self) -> None:
        """After a rollback to a savepoint: what was written since may be gone; read it again."""
        self.known.clear()
        self._created_events.clear()

    def get(self, crossing_id: str, *, for_update: bool = False) -> CrossingRecord | None:
        """The crossing as this transaction sees it (rows it wrote itself are locked already)."""
        if crossing_id in self.known:
            return self.known[crossing_id]
        query = BY_ID_FOR_UPDATE if for_update and self.conn.dialect.name == "postgresql" else BY_ID
        row = self.conn.execute(query, {"id": crossing_id}).first()
        return _record(row) if row else None

    def by_partner(self, origin_node: str, partner_crossing_id: str, *, for_update: bool = False) -> CrossingRecord | None:
        """An import crossing by the id its announcing partner gave it."""
        if (origin_node, partner_crossing_id) in self._absent:
            return None
        query = BY_PARTNER_FOR_UPDATE if for_update and self.conn.dialect.name == "postgresql" else BY_PARTNER
        row = self.conn.execute(query, {"node": origin_node, "id": partner_crossing_id}).first()
        return _record(row) if row else None

    def note_partner_crossings(self, origin_node: str, crossing_ids: Iterable[str]) -> None:
        """Which of the partner's crossings have none here yet, read in one statement for a delivery:
        `by_partner` then answers those without asking (one this transaction creates is asked again).
        The partner's streams are locked already, so no other delivery creates them meanwhile."""
        wanted = sorted(set(crossing_ids))
        if wanted:
            found = set(self.conn.execute(PARTNER_IDS, {"node": origin_node, "ids": wanted}).scalars())
            self._absent.update((origin_node, i) for i in wanted if i not in found)

    def load(self, crossing_ids: Iterable[str], *, for_update: bool = False) -> None:
        """The crossings a delivery's messages name, read in one statement (locked in one order on
        PostgreSQL): `get` then answers them from memory, as it does those this transaction wrote."""
        wanted = sorted(set(crossing_ids) - self.known.keys())
        if wanted:
            query = BY_IDS_FOR_UPDATE if for_update and self.conn.dialect.name == "postgresql" else BY_IDS
            for row in self.conn.execute(query, {"ids": wanted}):
                self.known[row.id] = _record(row)

    def by_reference(self, reference: str) -> CrossingRecord | None:
        row = self.conn.execute(select(t.crossings).where(t.crossings.c.reference == reference)).first()
        return _record(row) if row else None

    def save(self, record: CrossingRecord, *, at: datetime, declaration: dict | None = None,
             plate: str | None = None, plate_key: str | None = None, trailer_plate: str | None = None,
             expected_arrival: datetime | None = None, actor: str = "system",
             partner: dict[str, Any] | None = None) -> None:
        """`partner`: what the partner side now says about its counterpart crossing (PARTNER_COLUMNS)."""
        c = record.crossing
        values: dict[str, Any] = dict(b_id=c.id, status=c.status, risk_lane=c.risk_lane, risk_reasons=c.risk_reasons,
                                      version=c.version, hold_reason=c.hold_reason,
                                      checks_passed=sorted(c.checks_passed), signoffs=_signoffs_json(c),
                                      updated_at=at)
        if partner:
            values.update(_partner_values(partner))
            record.partner = {k: v for k, v in {**record.partner, **partner}.items() if v is not None}
            if "crossing_id" in partner:
                self._absent.clear()
        if declaration is not None:
            values.update(declaration=declaration, plate=plate, plate_key=plate_key, trailer_plate=trailer_plate,
                          expected_arrival=expected_arrival,
                          customs_declaration_no=declaration.get("customs_declaration_no"))
            self._add_version(c, declaration, actor, at)
            numbers = container_numbers(declaration)
            if numbers != container_numbers(record.declaration):
                self.conn.execute(DELETE_CONTAINERS, {"id": c.id})
                self._add_containers(c.id, numbers)
            record.declaration = declaration
            record.plate = plate
            if c.status not in lifecycle.TERMINAL:
                self.conn.execute(DELETE_PLATE_KEYS, {"id": c.id})
                self._add_plate_keys(c.id, c.gate, plate_key or "")
        if c.status in lifecycle.TERMINAL:  # no longer read at a gate
            self.conn.execute(DELETE_PLATE_KEYS, {"id": c.id})
        if self._held is not None:
            self._held.update(UPDATE_CROSSING, "b_id", values)  # with the delivery's others, in one statement
        else:
            self.conn.execute(UPDATE_CROSSING, values)
        record.updated_at = at
        self.known[c.id] = record
        self._flush_events(c)

    def events(self, crossing_id: str) -> list[dict]:
        if crossing_id in self._created_events:
            return list(self._created_events[crossing_id])
        rows = self.conn.execute(EVENTS_OF, {"id": crossing_id}).all()
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

    def _add_plate_keys(self, crossing_id: str, gate: str, plate_key: str) -> None:
        self._insert(INSERT_PLATE_KEYS, [{"gate": gate, "variant": v, "crossing_id": crossing_id}
                                              for v in sorted(key_variants(plate_key))])

    def expected_with_key(self, gate: str, plate_key: str) -> list[tuple[str, str, str]]:
        """(id, plate, plate_key) of the crossings expected at `gate` whose plate folds to `plate_key`."""
        return [tuple(row) for row in self.conn.execute(EXPECTED_WITH_KEY, {"gate": gate, "key": plate_key})]

    def expected_near(self, gate: str, probes: Iterable[str]) -> list[tuple[str, str, str]]:
        """(id, plate, plate_key) of the crossings expected at `gate` with one of `probes`
        (`plates.probe_keys`) among their key variants: an index lookup, never the whole gate."""
        return [tuple(row) for row in self.conn.execute(EXPECTED_NEAR, {"gate": gate, "probes": sorted(probes)})]

    def history(self, tax_id: str) -> dict[str, int]:
        """The declarant's counts as this transaction will leave them (what it counted included).
        What is committed is read once a transaction: its own counts are written only at its commit."""
        committed = self._histories.get(tax_id)
        if committed is None:
            row = self.conn.execute(HISTORY_OF, {"tax_id": tax_id}).first()  # its shards summed
            committed = dict(NO_HISTORY) if row is None or row.crossings is None else dict(row._mapping)
            self._histories[tax_id] = committed
        found = dict(committed)
        for counted, increments in self.counts:
            if counted == tax_id:
                for name, n in increments.items():
                    found[name] += n
        return found

    def count_history(self, tax_id: str, **increments: int) -> None:
        """Added to the declarant's counts at commit (`write_counts`), not now, into one of its
        DECLARANT_SHARDS rows: a row's lock is then held only for the commit, and concurrent
        declarations of one declarant seldom need the same row (on PostgreSQL, 32 clients of one
        declarant had waited on its single row ~26 at a time)."""
        self.counts.append((tax_id, increments))

    def write_counts(self) -> None:
        """The counted increments, one upsert per declarant into a shard picked at random (in tax id
        order: two transactions counting the same declarants lock them in one order). Upserts: two
        first declarations of one declarant may commit at the same moment."""
        merged: dict[str, dict[str, int]] = {}
        for tax_id, increments in self.counts:
            total = merged.setdefault(tax_id, {})
            for name, n in increments.items():
                total[name] = total.get(name, 0) + n
        self.counts.clear()
        for tax_id in sorted(merged):
            increments = merged[tax_id]
            names = tuple(sorted(increments))
            self.conn.execute(_counter_upsert(self.conn.dialect.name, names),
                              {"tax_id": tax_id, "shard": random.randrange(t.DECLARANT_SHARDS), **NO_HISTORY,
                               **increments,
                               **{f"add_{name}": increments[name] for name in names}})

    def active_alike(self, *, plate_key: str, containers: list[str], exclude: str,
                     declarant: str | None = None) -> list[tuple[str, ActiveDeclaration]]:
        """(id, declaration) of the active crossings other than `exclude` that share the plate key or
        one of the compact container numbers, oldest first; with `declarant`, only that declarant's.
        One SELECT; at most ALIKE_LIMIT crossings per kind."""
        statement = ALIKE[min(len(containers), 2), declarant is not None]
        params: dict[str, Any] = {"plate_key": plate_key, "exclude": exclude}
        if len(containers) == 1:
            params["number"] = containers[0]
        elif containers:
            params["numbers"] = containers
        if declarant is not None:
            params["declarant"] = declarant
        found: dict[str, tuple[Any, list[str]]] = {}
        for row in self.conn.execute(statement, params):
            _, numbers = found.setdefault(row.id, (row, []))
            if row.number is not None:
                numbers.append(row.number)
        ordered = sorted(found.values(), key=lambda item: (item[0].created_at, item[0].reference))
        return [(row.id, ActiveDeclaration(row.reference, row.status, row.plate, tuple(numbers)))
                for row, numbers in ordered]

    def reference_exists(self, reference: str) -> bool:
        return self.conn.execute(select(func.count()).where(t.crossings.c.reference == reference)).scalar_one() > 0

    def _add_version(self, c: Crossing, declaration: dict, actor: str, at: datetime) -> None:
        self._insert(INSERT_VERSION, {
            "crossing_id": c.id, "version": c.version, "declaration": declaration, "risk_lane": c.risk_lane,
            "risk_reasons": c.risk_reasons, "actor": actor, "created_at": at})

    def _add_containers(self, crossing_id: str, numbers: list[str]) -> None:
        if numbers:
            self._insert(INSERT_CONTAINERS, [{"number": n, "crossing_id": crossing_id} for n in numbers])

    def _flush_events(self, c: Crossing) -> None:
        if c.new_events:
            rows = [dict(crossing_id=c.id, action=e.action, from_status=e.from_status, to_status=e.to_status,
                         at=e.at, actor=e.actor, cause=e.cause, data=e.data) for e in c.new_events]
            self._insert(INSERT_EVENTS, rows)
            if c.id in self._created_events:
                self._created_events[c.id].extend({k: v for k, v in row.items() if k != "crossing_id"}
                                                  for row in rows)
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
