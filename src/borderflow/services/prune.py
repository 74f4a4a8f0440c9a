"""`borderflow prune`: keep each kind of data only as long as its retention setting says.

- the driver's personal data (name, document number, phone) of crossings that ended (exited,
  cancelled, refused) more than BORDERFLOW_RETAIN_PERSONAL_DAYS ago is set to null in the
  crossing, every declaration version, the outbox rows of its stream and, for an import
  crossing, the partner's pre-arrival envelopes in the inbox;
- delivered outbox rows older than BORDERFLOW_RETAIN_OUTBOX_DAYS go, with their receipts, to an
  archive file (services/archive.py) and leave the table. The newest row of a stream stays while
  the stream can still grow (its `seq` is where the next message's number comes from); a
  crossing's stream is finished once the crossing is anonymised;
- idempotency keys, gate events (not those awaiting review) and notifications past theirs go;
- camera images past BORDERFLOW_EVIDENCE_RETENTION_DAYS leave the disk (devices/evidence.py; their
  hashes stay in the events and the audit trail).

Every step runs in batches of BORDERFLOW_PRUNE_BATCH_SIZE rows, one short transaction each, so a
running node keeps answering; each batch appends one audit entry with what it did. What is done
is not found again, so a second run with the same `now` does nothing.

The audit chain stays verifiable: it hashes the actor, action, subject (ids) and the entry's data,
and no entry's data holds a declaration, a driver's name, document or phone, so nothing it hashed
is changed here (tests/integration/test_prune.py runs `audit verify` after a prune).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, exists, or_, select, true, tuple_, update
from sqlalchemy.orm import aliased

from borderflow.domain import lifecycle, personal_data
from borderflow.services.archive import ArchiveWriter, message_line
from borderflow.services.context import NodeContext
from borderflow.store import tables as t

ACTOR = "operator:prune"


@dataclass(frozen=True)
class Retention:
    personal: timedelta = timedelta(days=180)
    outbox: timedelta = timedelta(days=30)
    idempotency: timedelta = timedelta(days=7)
    gate_events: timedelta = timedelta(days=365)
    notifications: timedelta = timedelta(days=90)
    batch: int = 500

    @classmethod
    def from_settings(cls, settings: Any) -> Retention:  # noqa: ANN401
        days = lambda n: timedelta(days=n)  # noqa: E731
        return cls(days(settings.retain_personal_days), days(settings.retain_outbox_days),
                   days(settings.retain_idempotency_days), days(settings.retain_gate_events_days),
                   days(settings.retain_notifications_days), settings.prune_batch_size)


@dataclass
class PruneReport:
    anonymised: int = 0
    archived: int = 0
    idempotency_keys: int = 0
    gate_events: int = 0
    notifications: int = 0
    evidence_images: int = 0
    batches: int = 0
    archive: Path | None = None
    archive_sha256: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"anonymised": self.anonymised, "archived": self.archived, "idempotency_keys": self.idempotency_keys,
                "gate_events": self.gate_events, "notifications": self.notifications,
                "evidence_images": self.evidence_images, "batches": self.batches,
                "archive": str(self.archive) if self.archive else None, "archive_sha256": self.archive_sha256}


def prune(ctx: NodeContext, *, now: datetime, archive_dir: Path, retention: Retention,
          progress: Callable[[str, int], None] | None = None) -> PruneReport:
    """Run every step to the end; `progress(step, rows)` after each batch."""
    report = PruneReport()
    tick = progress or (lambda _step, _n: None)
    for count in _batches(lambda: _anonymise(ctx, now, now - retention.personal, retention.batch)):
        report.anonymised += count
        report.batches += 1
        tick("anonymise", count)
    _archive(ctx, now, now - retention.outbox, retention.batch, archive_dir, report, tick)
    for name, cutoff in (("idempotency_keys", retention.idempotency), ("gate_events", retention.gate_events),
                         ("notifications", retention.notifications)):
        for count in _batches(lambda n=name, c=now - cutoff: _trim(ctx, n, now, c, retention.batch)):
            setattr(report, name, getattr(report, name) + count)
            report.batches += 1
            tick(name, count)
    from borderflow.devices import evidence
    report.evidence_images = evidence.purge(ctx, now)
    tick("evidence_images", report.evidence_images)
    return report


def _batches(step: Callable[[], int]):  # noqa: ANN202
    while (count := step()) > 0:
        yield count


def _locked(query, conn):  # noqa: ANN001, ANN202
    """PostgreSQL: skip rows a concurrent prune holds, so two runs never do one row twice."""
    return query.with_for_update(skip_locked=True) if conn.dialect.name == "postgresql" else query


# -- anonymising -------------------------------------------------------------------

def _anonymise(ctx: NodeContext, now: datetime, ended_before: datetime, batch: int) -> int:
    c = t.crossings.c
    with ctx.uow() as uow:
        conn = uow.conn
        rows = conn.execute(_locked(select(c.id, c.declaration, c.origin_node, c.partner_crossing_id).where(
            c.status.in_(sorted(lifecycle.TERMINAL)), c.anonymised_at.is_(None), c.updated_at < ended_before)
            .order_by(c.updated_at, c.id).limit(batch), conn)).all()
        if not rows:
            return 0
        for row in rows:
            conn.execute(update(t.crossings).where(c.id == row.id).values(
                declaration=personal_data.anonymised(row.declaration), anonymised_at=now))
            _anonymise_versions(conn, row.id)
            _anonymise_messages(conn, row)
        ids = [row.id for row in rows]
        uow.log_action(at=now, actor=ACTOR, action="prune.anonymise", subject=f"{len(ids)} crossings",
                       data={"crossings": ids, "ended_before": ended_before.isoformat(),
                             "fields": [f"driver.{k}" for k in personal_data.PERSONAL]})
        uow.commit()
    return len(rows)


def _anonymise_versions(conn, crossing_id: str) -> None:  # noqa: ANN001
    v = t.declaration_versions.c
    for version, declaration in conn.execute(select(v.version, v.declaration).where(v.crossing_id == crossing_id)):
        conn.execute(update(t.declaration_versions).where(v.crossing_id == crossing_id, v.version == version)
                     .values(declaration=personal_data.anonymised(declaration)))


def _anonymise_messages(conn, crossing: Any) -> None:  # noqa: ANN001, ANN401
    """Our pre-arrival notices still in the outbox; the partner's, for an import crossing, in the inbox."""
    o = t.outbox.c
    for row_id, payload in conn.execute(select(o.id, o.payload).where(o.stream == crossing.id,
                                                                       o.type == "pre_arrival_notice")):
        conn.execute(update(t.outbox).where(o.id == row_id).values(payload=_without_personal(payload)))
    if crossing.origin_node and crossing.partner_crossing_id:
        i = t.inbox.c
        for message_id, envelope in conn.execute(select(i.message_id, i.envelope).where(
                i.sender == crossing.origin_node, i.stream == crossing.partner_crossing_id,
                i.type == "pre_arrival_notice")):
            # The partner's signature no longer checks out over the altered envelope; `digest`
            # still names what was received, and our signed receipt told the partner that digest.
            conn.execute(update(t.inbox).where(i.message_id == message_id).values(
                envelope={**envelope, "payload": _without_personal(envelope.get("payload"))}))


def _without_personal(payload: Any) -> Any:  # noqa: ANN401
    if isinstance(payload, dict) and isinstance(payload.get("declaration"), dict):
        return {**payload, "declaration": personal_data.anonymised(payload["declaration"])}
    return payload


# -- archiving the outbox ----------------------------------------------------------

def _archive(ctx: NodeContext, now: datetime, delivered_before: datetime, batch: int, archive_dir: Path,
             report: PruneReport, tick: Callable[[str, int], None]) -> None:
    writer: ArchiveWriter | None = None
    try:
        while True:
            with ctx.uow() as uow:
                rows = uow.conn.execute(_locked(_archivable(delivered_before).limit(batch), uow.conn)).all()
                if not rows:
                    break
                if writer is None:
                    path = _archive_path(archive_dir, ctx.node.id, now)
                    writer = ArchiveWriter(path, node=ctx.node.id, at=now, before=delivered_before)
                writer.add(message_line(row, ctx.node.id) for row in rows)  # durable before the rows go
                uow.conn.execute(delete(t.outbox).where(t.outbox.c.id.in_([row.id for row in rows])))
                uow.log_action(at=now, actor=ACTOR, action="prune.archive", subject=writer.path.name,
                               data={"messages": len(rows), "first": rows[0].message_id,
                                     "last": rows[-1].message_id, "delivered_before": delivered_before.isoformat()})
                uow.commit()
            report.archived += len(rows)
            report.batches += 1
            tick("archive", len(rows))
    finally:
        if writer is not None:
            report.archive, report.archive_sha256 = writer.path, writer.close()
    if writer is not None:
        with ctx.uow() as uow:  # the audit trail vouches for the whole file
            uow.log_action(at=now, actor=ACTOR, action="prune.archive", subject=writer.path.name,
                           data={"messages": writer.lines, "sha256": report.archive_sha256, "closed": True})
            uow.commit()


def _archive_path(folder: Path, node_id: str, now: datetime) -> Path:
    """A new file each run, also when two runs are told the same `--now`."""
    stem = f"outbox-{node_id}-{now:%Y%m%dT%H%M%S%f}"
    path, n = folder / f"{stem}.jsonl", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.jsonl"
    return path


def _archivable(delivered_before: datetime):  # noqa: ANN202
    o, later, c = t.outbox.c, aliased(t.outbox), t.crossings.c
    newer_in_stream = exists().where(later.c.recipient == o.recipient, later.c.stream == o.stream,
                                     later.c.seq > o.seq)
    finished_crossing = exists().where(c.id == o.stream, c.anonymised_at.is_not(None))
    return (select(t.outbox).where(o.state == "delivered", o.delivered_at < delivered_before,
                                   or_(newer_in_stream, finished_crossing))
            .order_by(o.id))


# -- trimming ----------------------------------------------------------------------

def _trim(ctx: NodeContext, name: str, now: datetime, before: datetime, batch: int) -> int:
    table = getattr(t, name)
    col = table.c
    with ctx.uow() as uow:
        if name == "idempotency_keys":
            keys = uow.conn.execute(_locked(select(col.principal, col.key).where(col.created_at < before)
                                            .limit(batch), uow.conn)).all()
            if keys:
                uow.conn.execute(delete(table).where(tuple_(col.principal, col.key).in_([tuple(k) for k in keys])))
            count = len(keys)
        else:
            keep = col.review != "pending" if name == "gate_events" else true()
            ids = uow.conn.execute(_locked(select(col.id).where(col.at < before, keep).order_by(col.id)
                                           .limit(batch), uow.conn)).scalars().all()
            if ids:
                uow.conn.execute(delete(table).where(col.id.in_(ids)))
            count = len(ids)
        if count:
            uow.log_action(at=now, actor=ACTOR, action=f"prune.{name}", subject=f"{count} rows",
                           data={"rows": count, "before": before.isoformat()})
        uow.commit()
    return count
