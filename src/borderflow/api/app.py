"""The node's HTTP application: API v1 under /api/v1, problem+json errors, OpenAPI at /openapi.json."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from borderflow import __version__
from borderflow.api import problems
from borderflow.api.deps import KeyCache, NotAuthenticated
from borderflow.api.limits import BodyLimit
from borderflow.api.routes import crossings, gate_events, meta
from borderflow.services.context import NodeContext


def create_app(ctx: NodeContext, *, max_body_bytes: int = 262_144) -> FastAPI:
    app = FastAPI(title=f"borderflow node {ctx.node.id}", version=__version__,
                  description="Smart border gate node: pre-arrival declarations, risk lanes, gate decisions.")
    app.state.context = ctx
    app.state.keys = KeyCache()
    problems.install(app)

    @app.exception_handler(NotAuthenticated)
    async def _unauthenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
        return problems.problem(401, exc.detail, headers={"WWW-Authenticate": "Bearer"})

    app.include_router(meta.router)
    app.include_router(crossings.router, prefix="/api/v1")
    app.include_router(gate_events.router, prefix="/api/v1")
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes)
    return app
