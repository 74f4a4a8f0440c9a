"""Who may see which crossing: the one check every use case that names a crossing makes."""

from __future__ import annotations

from borderflow.domain.errors import NotFound
from borderflow.domain.roles import Principal
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork


def load_visible(uow: UnitOfWork, principal: Principal, crossing_id: str, *, for_update: bool = False) -> CrossingRecord:
    record = uow.crossings.get(crossing_id, for_update=for_update)
    # A declarant learns nothing about crossings that are not its own, not even that they exist.
    if record is None or not principal.owns(record.crossing.declarant_tax_id):
        raise NotFound(f"crossing {crossing_id}")
    return record
