"""What the partner node is told, written to the outbox in the same transaction as the change.

Export crossings announce themselves (pre-arrival notice, again on amendment);
status changes the partner cares about follow as crossing_status messages, and
the import side's release or refusal also as a clearance_result. Each crossing
is one stream, so the partner applies its messages in the order they were made.
Delivery is the exchange's job; here we only decide what to say, and only when
something happened (services/reactions decides from the recorded events).

The partner gets the driver's personal data only where it needs it: the pre-arrival
notice carries the driver's name, document and nationality for its border guard, never
the phone (domain/personal_data.py says why, field by field); status and clearance
messages carry none.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from borderflow.domain import messages, personal_data
from borderflow.domain.crossing import CrossingEvent
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork

CLEARANCE = frozenset({"released", "exited", "refused"})


def send(ctx: NodeContext, uow: UnitOfWork, *, type_: str, recipient: str, stream: str,
         payload: dict[str, Any]) -> str:
    message_id = str(uuid.uuid4())
    uow.enqueue(message_id=message_id, type=type_, recipient=recipient, stream=stream, payload=payload,
                at=ctx.clock.now())
    if ctx.outbox_listener is not None:
        uow.after_commit(ctx.outbox_listener)
    return message_id


def recipient_for(ctx: NodeContext, record: CrossingRecord) -> str | None:
    """Import crossings answer the node that announced them; export crossings tell the gate's partner."""
    return record.partner.get("origin_node") or ctx.partner_for(record.crossing.gate)


def pre_arrival(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, reason: str) -> None:
    """An export crossing of ours, declared or amended: the partner gets the declaration, less what
    it does not need of the driver."""
    crossing, recipient = record.crossing, recipient_for(ctx, record)
    if recipient is None or crossing.direction != "export" or "origin_node" in record.partner:
        return
    send(ctx, uow, type_="pre_arrival_notice", recipient=recipient, stream=crossing.id, payload={
        "crossing_id": crossing.id, "reference": crossing.reference, "gate": crossing.gate,
        "risk_lane": crossing.risk_lane, "risk_reasons": list(crossing.risk_reasons),
        "risk_reason_codes": _codes(crossing.risk_reasons),
        "version": crossing.version, "reason": reason,
        "declaration": personal_data.for_partner(record.declaration)})


def status_news(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, event: CrossingEvent) -> None:
    """The crossing reached `event.to_status` here; the import side's decision follows once."""
    recipient = recipient_for(ctx, record)
    if recipient is None:
        return
    crossing = record.crossing
    send(ctx, uow, type_="crossing_status", recipient=recipient, stream=crossing.id, payload={
        "crossing_id": crossing.id, "counterpart_id": record.partner.get("crossing_id"),
        "reference": crossing.reference, "status": event.to_status, "risk_lane": crossing.risk_lane,
        "cause": event.cause[:500], "cause_said": _codes([event.cause])[0], "at": ctx.clock.now().isoformat()})
    decision = _clearance(uow, crossing, event.to_status)
    if decision is not None:
        send(ctx, uow, type_="clearance_result", recipient=recipient, stream=crossing.id, payload={
            "crossing_id": crossing.id, "counterpart_id": record.partner.get("crossing_id"),
            "decision": decision, "risk_lane": crossing.risk_lane,
            "reasons": list(crossing.risk_reasons) + [event.cause],
            "reason_codes": _codes([*crossing.risk_reasons, event.cause]),
            "inspections": [{"kind": i["kind"], "result": i["result"], "notes": i["notes"], "at": i["at"].isoformat()}
                            for i in uow.inspections(crossing.id)],
            "at": ctx.clock.now().isoformat()})


def _codes(texts: Any) -> list[dict | None]:  # noqa: ANN401
    """Each text's message (code and params) where the node said it; None for a person's own words."""
    return [found.as_json() if found is not None else None for found in messages.recognise_all(texts)]


def _clearance(uow: UnitOfWork, crossing, status: str) -> str | None:  # noqa: ANN001
    """The import side's decision, once: released (perhaps already through the barrier) or refused."""
    if crossing.direction != "import" or status not in CLEARANCE:
        return None
    o = t.outbox.c
    sent = uow.conn.execute(select(o.id).where(o.stream == crossing.id, o.type == "clearance_result")).first()
    return None if sent else ("refused" if status == "refused" else "released")
