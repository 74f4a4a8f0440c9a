"""What the partner node is told, written to the outbox in the same transaction as the change.

Export crossings announce themselves (pre-arrival notice, again on amendment);
status changes the partner cares about follow as crossing_status messages.
Delivery is the exchange's job; here we only decide what to say.
"""

from __future__ import annotations

import uuid

from borderflow.services.views import crossing_summary
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork

STATUS_NEWS = frozenset({"released", "exited", "held", "refused", "cancelled", "arrived"})


def announce(ctx, uow: UnitOfWork, record: CrossingRecord, *, reason: str) -> None:  # noqa: ANN001
    recipient = ctx.partner_for(record.crossing.gate)
    if recipient is None:
        return
    crossing, now = record.crossing, ctx.clock.now()
    if reason in ("declared", "amended") and crossing.direction == "export":
        payload = {"crossing": crossing_summary(record), "declaration": record.declaration, "reason": reason}
        uow.enqueue(message_id=str(uuid.uuid4()), type="pre_arrival_notice", recipient=recipient,
                    stream=crossing.id, payload=payload, at=now)
    elif reason not in ("declared", "amended") and crossing.status in STATUS_NEWS:
        payload = {"crossing_id": crossing.id, "reference": crossing.reference, "status": crossing.status,
                   "risk_lane": crossing.risk_lane, "reason": reason, "at": now.isoformat()}
        uow.enqueue(message_id=str(uuid.uuid4()), type="crossing_status", recipient=recipient,
                    stream=crossing.id, payload=payload, at=now)
