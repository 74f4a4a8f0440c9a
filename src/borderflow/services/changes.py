"""After any change of a crossing's state: tell the partner, tidy the yard, tell the driver."""

from __future__ import annotations

from borderflow.domain import lifecycle
from borderflow.services import notify, partner, yard
from borderflow.services.context import NodeContext
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork


def crossing_changed(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, *, reason: str) -> None:
    partner.announce(ctx, uow, record, reason=reason)
    yard.on_change(ctx, uow, record)
    crossing = record.crossing
    if reason in ("declared", "amended", "announced"):
        return
    if crossing.status == lifecycle.HELD:
        notify.tell(ctx, uow, crossing.id, "held", f"Stopped: {crossing.hold_reason}", {})
    elif crossing.status == lifecycle.RELEASED:
        notify.tell(ctx, uow, crossing.id, "released", "Cleared: drive through the barrier", {})
