"""A supervisor's changes to the capacity calendar: closures, extra hours, fewer lanes.

Each change is announced to the partner in the same transaction (services/announce), so
its call-forward never goes by a calendar we no longer keep.
"""

from __future__ import annotations

from sqlalchemy import insert, update

from borderflow.domain.errors import Forbidden, NotFound, Problem, ValidationFailed
from borderflow.domain.gates import Gate
from borderflow.domain.roles import Principal
from borderflow.services import announce, capacity
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork


def add_override(ctx: NodeContext, uow: UnitOfWork, principal: Principal, gate_code: str, body) -> tuple[int, dict]:  # noqa: ANN001
    if not principal.may("capacity.manage"):
        raise Forbidden(f"role {principal.role} may not change gate capacity")
    gate = capacity.gate_or_problem(ctx, gate_code)
    if body.ends_at <= body.starts_at:
        raise ValidationFailed([Problem("ends_at", "must be after starts_at", "time.order")])
    now = ctx.clock.now()
    row_id = uow.conn.execute(insert(t.capacity_overrides).values(
        gate=gate.code, direction=body.direction, starts_at=body.starts_at, ends_at=body.ends_at,
        trucks_per_hour=body.trucks_per_hour, reason=body.reason, created_by=principal.actor, created_at=now)
        .returning(t.capacity_overrides.c.id)).scalar_one()
    uow.log_action(at=now, actor=principal.actor, action="capacity.override", subject=str(row_id),
                   data={"gate": gate.code, "direction": body.direction, "trucks_per_hour": body.trucks_per_hour,
                         "from": iso(body.starts_at), "until": iso(body.ends_at), "reason": body.reason})
    _calendar_changed(ctx, uow, gate)
    return 201, {"id": row_id, "gate": gate.code, "direction": body.direction, "starts_at": iso(body.starts_at),
                 "ends_at": iso(body.ends_at), "trucks_per_hour": body.trucks_per_hour, "reason": body.reason}


def withdraw_override(ctx: NodeContext, uow: UnitOfWork, principal: Principal, override_id: int) -> tuple[int, dict]:
    if not principal.may("capacity.manage"):
        raise Forbidden(f"role {principal.role} may not change gate capacity")
    o = t.capacity_overrides.c
    now = ctx.clock.now()
    gate_code = uow.conn.execute(update(t.capacity_overrides).where(o.id == override_id, o.withdrawn_at.is_(None))
                                 .values(withdrawn_at=now).returning(o.gate)).scalar()
    if gate_code is None:
        raise NotFound(f"active capacity override {override_id}")
    _calendar_changed(ctx, uow, ctx.node.gate(gate_code))
    uow.log_action(at=now, actor=principal.actor, action="capacity.withdraw", subject=str(override_id))
    return 200, {"id": override_id, "withdrawn_at": iso(now)}


def _calendar_changed(ctx: NodeContext, uow: UnitOfWork, gate: Gate | None) -> None:
    """The partner hears of a change to our calendar in the same transaction as the change."""
    if gate is not None:
        announce.announce(ctx, uow, gate, actor="capacity")
