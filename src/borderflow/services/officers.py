"""Use cases of the officers at the gate: inspect, hold, release, refuse."""

from __future__ import annotations

from borderflow.domain.errors import Forbidden
from borderflow.domain.roles import Principal
from borderflow.domain.signoffs import AGENCIES
from borderflow.services.context import NodeContext
from borderflow.services.access import load_visible
from borderflow.services.views import crossing_full
from borderflow.store.unit_of_work import UnitOfWork


def _guard(principal: Principal, permission: str, verb: str) -> None:
    if not principal.may(permission):
        raise Forbidden(f"role {principal.role} may not {verb} crossings")


def _finish(ctx: NodeContext, uow: UnitOfWork, record, principal: Principal, action: str, data: dict) -> tuple[int, dict]:  # noqa: ANN001
    now = ctx.clock.now()
    uow.crossings.save(record, at=now)
    uow.log_action(at=now, actor=principal.actor, action=f"crossing.{action}", subject=record.crossing.id, data=data)
    cid = record.crossing.id
    return 200, crossing_full(record, uow.crossings.events(cid), uow.inspections(cid))


def hold(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str, reason: str) -> tuple[int, dict]:
    _guard(principal, "crossing.hold", "hold")
    record = load_visible(uow, principal, crossing_id, for_update=True)
    record.crossing.apply("hold", at=ctx.clock.now(), actor=principal.actor, cause=reason)
    return _finish(ctx, uow, record, principal, "hold", {"reason": reason})


def release(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str, note: str) -> tuple[int, dict]:
    _guard(principal, "crossing.release", "release")
    record = load_visible(uow, principal, crossing_id, for_update=True)
    record.crossing.release(at=ctx.clock.now(), actor=principal.actor, cause=note or "released by an officer")
    return _finish(ctx, uow, record, principal, "release", {"note": note})


def refuse(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str, reason: str) -> tuple[int, dict]:
    _guard(principal, "crossing.refuse", "refuse")
    record = load_visible(uow, principal, crossing_id, for_update=True)
    record.crossing.apply("refuse", at=ctx.clock.now(), actor=principal.actor, cause=reason)
    uow.crossings.count_history(record.crossing.declarant_tax_id, refused=1)
    return _finish(ctx, uow, record, principal, "refuse", {"reason": reason})


def agency_of(principal: Principal, asked: str | None) -> str:
    """Each agency signs for itself; a supervisor signs on behalf of the agency it names (customs
    when it names none)."""
    if principal.role in AGENCIES:
        if asked is not None and asked != principal.role:
            raise Forbidden(f"a {principal.role.replace('_', ' ')} officer records the "
                            f"{principal.role.replace('_', ' ')} sign-off only, not {asked.replace('_', ' ')}'s")
        return principal.role
    return asked or "customs"


def inspect(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str, *, kind: str,
            result: str, notes: str, agency: str | None = None) -> tuple[int, dict]:
    _guard(principal, "crossing.inspect", "inspect")
    agency = agency_of(principal, agency)
    record = load_visible(uow, principal, crossing_id, for_update=True)
    now = ctx.clock.now()
    passed = result == "passed"
    record.crossing.record_signoff(agency=agency, kind=kind, passed=passed, at=now, actor=principal.actor, notes=notes)
    uow.record_inspection(crossing_id=crossing_id, kind=kind, result=result, notes=notes, officer=principal.name,
                          role=agency, at=now)
    if not passed:
        uow.crossings.count_history(record.crossing.declarant_tax_id, inspections_failed=1)
    status, view = _finish(ctx, uow, record, principal, "inspect", {"kind": kind, "result": result, "agency": agency})
    return 201, view
