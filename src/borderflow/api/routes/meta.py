"""Health, the node's gates, and who am I."""

from __future__ import annotations

from fastapi import APIRouter, Request

from borderflow.api.deps import ContextDep, CurrentPrincipal
from borderflow.api.routes import ERRORS, Route

router = APIRouter(route_class=Route)


def health(ctx) -> dict:  # noqa: ANN001
    """What /healthz says: also answered before the framework (api/fast_reads.py)."""
    return {"status": "ok", "node": ctx.node.id}


@router.get("/healthz", tags=["meta"])
async def healthz(request: Request) -> dict:
    """The process answers (what a load balancer polls: no dependency, no database, no thread)."""
    return health(request.app.state.context)


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
