"""The audit log: the whole check, and an inclusion proof for one entry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from borderflow.api.deps import ContextDep, May
from borderflow.api.routes import ERRORS, Route
from borderflow.services import audit_proofs, audit_verify

router = APIRouter(route_class=Route, tags=["audit"], responses={k: ERRORS[k] for k in (401, 403, 422)})


@router.get("/audit/verify")
async def verify(ctx: ContextDep, principal: May("audit.read")) -> dict:
    """Every entry against its leaf hash, the tree against every signed checkpoint, each checkpoint against
    the one before (consistency); `ok` is false with every finding listed."""
    report = await run_in_threadpool(audit_verify.verify, ctx)
    first = report.first()
    return {"ok": report.ok, "entries": report.entries, "unsequenced": report.unsequenced,
            "checkpoints": report.checkpoints, "latest_checkpoint": report.latest,
            "broken_at": first.at if first else None, "problem": first.detail if first else None,
            "findings": [{"code": f.code, "at": f.at, "detail": f.detail} for f in report.findings]}


@router.get("/audit/proof", responses={404: ERRORS[404], 409: ERRORS[409]})
def proof(ctx: ContextDep, principal: May("audit.read"),
          entry: Annotated[int, Query(ge=1, le=2**53, description="the entry's number (`seq`), from 1")]) -> dict:
    """An RFC 9162 inclusion proof of one entry in the tree of the newest signed checkpoint."""
    return audit_proofs.inclusion(ctx, principal, entry)
