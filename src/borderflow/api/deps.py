"""Request dependencies: the node context and the authenticated principal.

The ones that only compute are `async def`: FastAPI runs a plain `def` dependency in the
thread pool, and a hop there costs more than the work of these. Only the key lookup (which
may ask the database) stays a thread-pool function.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from borderflow.domain.errors import Forbidden
from borderflow.domain.roles import Principal
from borderflow.services.context import NodeContext
from borderflow.services.idempotency import MAX_KEY_LENGTH

bearer = HTTPBearer(auto_error=False, description="API key from `borderflow apikey create`")


class NotAuthenticated(Exception):
    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


async def get_context(request: Request) -> NodeContext:
    return request.app.state.context


ContextDep = Annotated[NodeContext, Depends(get_context)]


def current_principal(request: Request, ctx: ContextDep,
                      credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated("send 'Authorization: Bearer <api key>'; create a key with `borderflow apikey create`")
    principal = request.app.state.keys.principal(ctx, credentials.credentials)
    if principal is None:
        raise NotAuthenticated("the API key is unknown or revoked")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


IdempotencyHeader = Annotated[str | None, Header(
    alias="Idempotency-Key", max_length=MAX_KEY_LENGTH,
    description="Retry-safe writes: the same key (1 to 128 characters) returns the first answer")]


async def idempotency_key(key: IdempotencyHeader = None) -> str | None:
    """An empty key is a malformed request (400), not a conflict with an earlier one."""
    if key is not None and not key.strip():
        raise HTTPException(400, "Idempotency-Key is empty; send 1 to 128 characters, or no header at all")
    return key


IdempotencyKey = Annotated[str | None, Depends(idempotency_key)]


def allowed(permission: str):  # noqa: ANN201
    """A dependency that refuses a principal without `permission` before the body is even parsed,
    so a forbidden caller learns nothing about the schema."""
    async def check(principal: CurrentPrincipal) -> Principal:
        if not principal.may(permission):
            raise Forbidden(f"role {principal.role} may not {permission.replace('.', ' ').replace('_', ' ')}")
        return principal
    return Depends(check)


def May(permission: str):  # noqa: ANN201, N802 - used as a type: `principal: May("crossing.hold")`
    """The authenticated principal, refused with 403 unless it has `permission`: every write route
    declares its permission this way, so authorization comes before any parameter or body is
    validated. The use cases check again, for the CLI and the console."""
    return Annotated[Principal, allowed(permission)]
