"""The node's HTTP application: API v1 under /api/v1, problem+json errors, OpenAPI at /openapi.json,
and what an operator watches: /healthz, /readyz, /metrics (role metrics), JSON request logs."""

from __future__ import annotations

from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from borderflow import __version__
from borderflow.api import docs, metrics, probes, problems, request_log
from borderflow.api.deps import NotAuthenticated
from borderflow.api.fast_reads import FastReads
from borderflow.api.fast_writes import FastWrites
from borderflow.api.keycheck import RevocationAwareKeyCache
from borderflow.api.device_ingress import BodyLimitByPath, DeviceIngress
from borderflow.api.throttle import ApiThrottle, Throttle
from borderflow.api.routes import audit as audit_routes
from borderflow.api.routes import crossings, devices, exchange, gate_events, meta, yard
from borderflow.api.routes import statistics as statistics_routes
from borderflow.bootstrap import settle_heap
from borderflow.i18n import LocalizeApi
from borderflow.services.context import NodeContext


def create_app(ctx: NodeContext, *, max_body_bytes: int = 262_144, run_exchange: bool = True,
               run_background: bool | None = None, worker_elsewhere: bool = False) -> FastAPI:
    """`worker_elsewhere`: the background work runs in another process (`borderflow worker`),
    whose heartbeat /readyz then checks."""
    run_background = run_exchange if run_background is None else run_background
    @asynccontextmanager
    async def lifespan(_: FastAPI):  # noqa: ANN202
        """The background work, where this process runs it, lasts exactly as long as the server."""
        from borderflow.worker import Background
        background = Background(ctx, exchange=run_exchange, clockwork=run_background) \
            if run_exchange or run_background else None
        if background:
            background.start()
        settle_heap()
        try:
            yield
        finally:
            if background:
                background.stop()
            app.state.keys.revocations.close()

    app = FastAPI(title=f"borderflow node {ctx.node.id}", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,  # served by api/docs with the node's own assets
                  description="Smart border gate node: pre-arrival declarations, risk lanes, gate decisions, "
                              "and the signed exchange with the partner node.")
    app.state.context = ctx
    app.state.exchange_runs = bool(run_exchange)  # /readyz asks for a signing key only where it is used
    app.state.worker_expected = bool(run_background or worker_elsewhere)  # /readyz: is a worker alive?
    app.state.keys = RevocationAwareKeyCache()  # revocation and expiry effective at once, in every worker
    app.state.throttle = Throttle()  # failed authentications, API and sign-in alike
    app.state.metrics = metrics.NodeMetrics(ctx)
    request_log.configure()
    problems.install(app)

    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
        return problems.problem(401, exc.detail, headers={"WWW-Authenticate": "Bearer"})

    # Routes are matched in the order they are included: the cheap public reads polled the most go first.
    app.include_router(meta.router)
    app.include_router(yard.public, prefix="/api/v1")
    docs.install(app)
    app.include_router(probes.router)
    app.include_router(metrics.router)
    app.include_router(crossings.router, prefix="/api/v1")
    app.include_router(gate_events.router, prefix="/api/v1")
    app.include_router(exchange.router, prefix="/api/v1")
    app.include_router(yard.router, prefix="/api/v1")
    app.include_router(audit_routes.router, prefix="/api/v1")
    app.include_router(statistics_routes.router, prefix="/api/v1")
    app.include_router(devices.router, prefix="/api/v1")
    from borderflow import web
    web.mount(app, ctx)
    app.add_middleware(FastWrites, ctx_of=lambda: ctx, keys_of=lambda: app.state.keys,  # innermost
                       metrics_of=lambda: app.state.metrics, handlers_of=lambda: app.exception_handlers)
    app.add_middleware(LocalizeApi)  # answers in the language the caller asks for
    app.add_middleware(ApiThrottle, throttle_of=lambda: app.state.throttle, ctx_of=lambda: ctx,
                       problem_body=lambda _scope, status, detail, type_: problems.problem_bytes(
                           status, detail, type_=type_))
    device_bytes = ctx.settings.device_max_body_bytes if ctx.settings is not None else max_body_bytes
    app.add_middleware(BodyLimitByPath, max_bytes=max_body_bytes, device_max_bytes=device_bytes)
    app.add_middleware(FastReads, ctx_of=lambda: ctx)  # /healthz and the kept wait feed: past the rest
    app.add_middleware(request_log.RequestLog, metrics_of=lambda: getattr(app.state, "metrics", None))
    app.add_middleware(DeviceIngress)  # outermost: a key in a device's path is never logged
    return app
