"""Health, the node's gates, who am I, and the audit check."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import select

from borderflow.api.deps import ContextDep, CurrentPrincipal
from borderflow.api.routes import ERRORS, Route
from borderflow.domain.errors import Forbidden
from borderflow.store import audit
from borderflow.store import tables as t

router = APIRouter(route_class=Route)


@router.get("/healthz", tags=["meta"])
def healthz(ctx: ContextDep) -> dict:
    return {"status": "ok", "node": ctx.node.id}


@router.get("/api/v1/gates", tags=["meta"])
def gates(ctx: ContextDep) -> list[dict]:
    return [{
        "code": g.code, "name": g.name, "names": g.names, "country": g.country, "province": g.province,
        "unlocode": g.unlocode, "partner_gate": g.partner_gate, "timezone": g.timezone,
        "opening_hours": {"goods": {"from": f"{g.goods_hours[0]:%H:%M}", "to": f"{g.goods_hours[1]:%H:%M}"}},
        "lanes": [{"code": lane.code, "direction": lane.direction, "kind": lane.kind} for lane in g.lanes],
        "yard_capacity": g.yard_capacity, "daily_capacity": g.daily_capacity, "inspection_bays": g.inspection_bays,
    } for g in ctx.node.gates.values()]


@router.get("/api/v1/me", tags=["meta"], responses={401: ERRORS[401]})
def me(principal: CurrentPrincipal) -> dict:
    return {"id": principal.id, "role": principal.role, "name": principal.name,
            "declarant_tax_id": principal.declarant_tax_id}


@router.get("/api/v1/audit/verify", tags=["audit"], responses={401: ERRORS[401], 403: ERRORS[403]})
def audit_verify(ctx: ContextDep, principal: CurrentPrincipal) -> dict:
    if not principal.may("audit.read"):
        raise Forbidden(f"role {principal.role} may not read the audit trail")
    result = verify_chain(ctx.engine)
    return {"ok": result.ok, "entries": result.entries, "broken_at": result.broken_at, "problem": result.problem}


def verify_chain(engine) -> audit.VerifyResult:  # noqa: ANN001
    with engine.connect() as conn:
        head = conn.execute(select(t.audit_head)).first()
        rows = conn.execute(select(t.audit_log).order_by(t.audit_log.c.seq))
        return audit.verify(iter(rows), head_hash=head.hash if head else None, head_seq=head.seq if head else None)
