"""Finding a crossing the way an officer knows it: by reference, container number or plate."""

from __future__ import annotations

from borderflow.domain.roles import Principal
from borderflow.services import crossings
from borderflow.services.context import NodeContext

RECENT = 500  # how far back a container number is looked for

def find(ctx: NodeContext, principal: Principal, query: str) -> list[dict]:
    """Crossings by reference, container number or plate (in that order of recognition)."""
    text = query.strip().upper()
    if not text:
        return []
    with ctx.uow(write=False) as uow:
        record = uow.crossings.by_reference(text)
        if record is not None and principal.owns(record.crossing.declarant_tax_id):
            return [crossings.read(uow, principal, record.crossing.id)]
        by_plate = crossings.search(uow, principal, status=None, gate=None, plate=query, risk_lane=None,
                                    limit=100, offset=0)
        if by_plate:
            return by_plate
        # Containers live in the declaration document (no index yet): scan the most recent crossings.
        recent = crossings.search(uow, principal, status=None, gate=None, plate=None, risk_lane=None,
                                  limit=RECENT, offset=0)
        return [summary for summary in recent
                if text in {str(c.get("number", "")).upper()
                            for c in uow.crossings.get(summary["id"]).declaration.get("containers", [])}]
