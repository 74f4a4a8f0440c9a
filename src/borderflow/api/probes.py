"""`GET /readyz`: may this node take traffic? (`/healthz` only says the process is up.)

200 `{"status": "ready", "checks": {...}}` when the database answers, its schema is at the
newest migration, where this process runs the partner exchange its signing key is there, and
where the node's background work is expected a worker holds its lease (renewed as it works,
so a lease run out means no worker is alive: "start `borderflow worker`"); otherwise 503
with the same checks, each failing one saying what is wrong. Public, like /healthz, and
it reveals no more than that.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from borderflow.exchange.config import NoSigningKey

router = APIRouter(tags=["operations"])
_HEADS: dict[str, str | None] = {}


def code_head() -> str | None:
    """The newest migration this code ships (read once)."""
    if "head" not in _HEADS:
        from alembic.script import ScriptDirectory

        from borderflow.store.migrate import MIGRATIONS
        from alembic.config import Config
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        _HEADS["head"] = ScriptDirectory.from_config(config).get_current_head()
    return _HEADS["head"]


def checks(ctx, *, exchange_runs: bool = True, worker_expected: bool = False) -> dict[str, dict]:  # noqa: ANN001
    out: dict[str, dict] = {}
    try:
        with ctx.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            try:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except Exception:  # noqa: BLE001 - no version table: never migrated
                revision = None
            out["worker"] = _worker(conn, ctx.clock.now()) if worker_expected else {"ok": True, "needed": False}
        out["database"] = {"ok": True}
        head = code_head()
        out["migrations"] = {"ok": revision == head, "database": revision, "code": head}
        if revision != head:
            out["migrations"]["problem"] = "run `borderflow db upgrade`"
    except Exception as exc:  # noqa: BLE001 - any failure to talk to it means "not reachable"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        out["database"] = {"ok": False, "problem": f"unreachable: {type(exc).__name__}: {first[:200]}"}
        out["migrations"] = {"ok": False, "problem": "unknown: the database is unreachable"}
        out["worker"] = {"ok": False, "problem": "unknown: the database is unreachable"}
    if exchange_runs and ctx.exchange is not None and ctx.exchange.partners:
        try:
            out["signing_key"] = {"ok": True, "key_id": ctx.exchange.keys.current().key_id}
        except NoSigningKey as exc:
            out["signing_key"] = {"ok": False, "problem": str(exc)}
    else:
        out["signing_key"] = {"ok": True, "needed": False}
    return out


def _worker(conn, now) -> dict:  # noqa: ANN001
    from borderflow.services.scheduler import LEASE
    from borderflow.store import leases
    try:
        owner, until, renewed_at = leases.current(conn, LEASE)
    except Exception:  # noqa: BLE001 - the table is not there yet: the migrations check says why
        return {"ok": False, "problem": "unknown: the schema is not current"}
    if owner is not None and until is not None and until >= now:
        return {"ok": True, "holder": owner, "renewed_at": renewed_at.isoformat()}
    since = f" since {renewed_at.isoformat(timespec='seconds')}" if renewed_at else ""
    return {"ok": False, "problem": f"no worker has run the node's background work{since}: "
                                    "start `borderflow worker`"}


@router.get("/readyz", summary="Ready for traffic: database, migrations, signing key, worker")
async def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    found = await run_in_threadpool(lambda: checks(state.context, exchange_runs=getattr(state, "exchange_runs", True),
                                                   worker_expected=getattr(state, "worker_expected", False)))
    ready = all(check["ok"] for check in found.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": found},
                        status_code=200 if ready else 503, headers=None if ready else {"Retry-After": "5"})
