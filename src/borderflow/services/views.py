"""JSON-ready views of records: what the API answers and what idempotent replays store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from borderflow.store.repositories import CrossingRecord


def iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def crossing_summary(record: CrossingRecord) -> dict[str, Any]:
    c = record.crossing
    return {
        "id": c.id, "reference": c.reference, "status": c.status, "direction": c.direction, "gate": c.gate,
        "plate": record.plate, "risk_lane": c.risk_lane, "risk_reasons": list(c.risk_reasons),
        "version": c.version, "hold_reason": c.hold_reason, "checks_passed": sorted(c.checks_passed),
        "signoffs": [s.to_json() for s in c.signoffs.values()], "pending_signoffs": c.pending_signoffs(),
        "declarant_tax_id": c.declarant_tax_id,
        "expected_arrival": record.declaration.get("expected_arrival"),
        "created_at": iso(record.created_at), "updated_at": iso(record.updated_at),
        "partner": {k: iso(v) if isinstance(v, datetime) else v for k, v in record.partner.items()},
    }


def crossing_full(record: CrossingRecord, events: list[dict], inspections: list[dict] | None = None) -> dict:
    return {
        **crossing_summary(record),
        "declaration": record.declaration,
        "events": [{**e, "at": iso(e["at"])} for e in events],
        "inspections": [{**i, "at": iso(i["at"])} for i in inspections or []],
    }
