"""JSON-ready views of records: what the API answers and what idempotent replays store."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
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


GOODS_NUMBERS = ("gross_kg", "net_kg", "value")


def with_numbers(declaration: dict[str, Any]) -> dict[str, Any]:
    """A stored declaration with its goods' weights and values as JSON numbers: those stored
    before the node wrote them as numbers hold them as strings ("24000")."""
    goods = declaration.get("goods")
    if not isinstance(goods, list) or all(not isinstance(g.get(k), str) for g in goods for k in GOODS_NUMBERS):
        return declaration
    return {**declaration, "goods": [{**g, **{k: _number(g[k]) for k in GOODS_NUMBERS if isinstance(g.get(k), str)}}
                                     for g in goods]}


def _number(text: str) -> int | float | str:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite():
        return text
    return int(value) if value == value.to_integral_value() else float(value)


def crossing_full(record: CrossingRecord, events: list[dict], inspections: list[dict] | None = None) -> dict:
    return {
        **crossing_summary(record),
        "declaration": with_numbers(record.declaration),
        "events": [{**e, "at": iso(e["at"])} for e in events],
        "inspections": [{**i, "at": iso(i["at"])} for i in inspections or []],
    }
