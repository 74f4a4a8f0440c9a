"""Each agency's work queue: the trucks waiting for its sign-off, oldest first."""

from __future__ import annotations

from sqlalchemy import select

from borderflow.domain import lifecycle
from borderflow.domain.errors import Forbidden, Problem, ValidationFailed
from borderflow.domain.roles import Principal
from borderflow.domain.signoffs import AGENCIES, PASSED
from borderflow.services.officers import agency_of
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

OPEN_FOR_SIGNOFF = (lifecycle.DECLARED, lifecycle.IN_TRANSIT, lifecycle.ARRIVED, lifecycle.INSPECTING,
                    lifecycle.HELD)


def work_queue(uow: UnitOfWork, principal: Principal, *, agency: str | None, gate: str | None,
               limit: int = 200) -> dict:
    if not principal.may("crossing.inspect"):
        raise Forbidden(f"role {principal.role} may not read the agencies' work queues")
    if agency is not None and agency not in AGENCIES:
        raise ValidationFailed([Problem("agency", f"{agency!r} is not an agency; expected one of "
                                                  f"{', '.join(AGENCIES)}", "agency.unknown")])
    agency = agency_of(principal, agency)
    c, y = t.crossings.c, t.yard.c
    query = (select(c.id, c.reference, c.plate, c.gate, c.direction, c.status, c.risk_lane, c.signoffs,
                    c.created_at, y.state.label("yard_state"), y.checked_in_at, y.bay)
             .outerjoin(t.yard, y.crossing_id == c.id)
             .where(c.status.in_(OPEN_FOR_SIGNOFF)).order_by(c.created_at, c.id))
    if gate is not None:
        query = query.where(c.gate == gate.upper())
    trucks = []
    for row in uow.conn.execute(query):
        mine = next((s for s in row.signoffs or [] if s["agency"] == agency), None)
        if mine is None or not mine["required"] or mine["status"] == PASSED:
            continue
        waiting_since = row.checked_in_at or row.created_at
        trucks.append({"crossing_id": row.id, "reference": row.reference, "plate": row.plate, "gate": row.gate,
                       "direction": row.direction, "status": row.status, "risk_lane": row.risk_lane,
                       "check": mine["check"], "signoff_status": mine["status"], "reasons": mine["reasons"],
                       "yard_state": row.yard_state, "bay": row.bay, "waiting_since": iso(waiting_since)})
    # Trucks at the gate or in the yard first (someone is waiting on them), each part oldest first.
    trucks.sort(key=lambda x: (x["status"] in (lifecycle.DECLARED, lifecycle.IN_TRANSIT) and x["yard_state"] is None,
                               x["waiting_since"]))
    return {"agency": agency, "trucks": trucks[:limit], "total": len(trucks)}
