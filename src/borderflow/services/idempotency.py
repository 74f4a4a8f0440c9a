"""Retried writes take effect once: the first answer is stored with the change, in the same
transaction, and a retry with the same key gets that answer back.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from borderflow.domain.messages import say
from borderflow.domain.errors import Conflict
from borderflow.domain.roles import Principal
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

MAX_KEY_LENGTH = 128


def request_hash(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


def run_once(ctx, principal: Principal, key: str | None, body: Any,  # noqa: ANN001
             work: Callable[[UnitOfWork], tuple[int, dict]]) -> tuple[int, dict, bool]:
    """Run `work` in one transaction, or replay the stored answer for a repeated key.

    Returns (status code, response, replayed). `body` may be a function giving it: without a
    key nothing is compared, so nothing needs to be serialised.
    """
    if key is not None and not 0 < len(key) <= MAX_KEY_LENGTH:
        raise Conflict(say("idempotency.key_length", max=MAX_KEY_LENGTH))
    digest = request_hash(body() if callable(body) else body) if key is not None else ""
    for _ in range(2):
        with ctx.uow() as uow:
            if key is not None:
                stored = _stored(uow, principal, key)
                if stored is not None:
                    return _replay(stored, digest, key)
            status, response = work(uow)
            try:
                if key is not None:
                    uow.conn.execute(insert(t.idempotency_keys).values(
                        principal=principal.id, key=key, request_hash=digest, status_code=status,
                        response=response, created_at=ctx.clock.now()))
                uow.commit()
            except IntegrityError:
                if key is None:
                    raise
                continue  # a concurrent request with the same key won; replay its answer
            return status, response, False
    with ctx.uow(write=False) as uow:
        stored = _stored(uow, principal, key)
    return _replay(stored, digest, key)


def _stored(uow: UnitOfWork, principal: Principal, key: str):  # noqa: ANN202
    i = t.idempotency_keys.c
    return uow.conn.execute(select(t.idempotency_keys).where(i.principal == principal.id, i.key == key)).first()


def _replay(stored, digest: str, key: str) -> tuple[int, dict, bool]:  # noqa: ANN001
    if stored.request_hash != digest:
        raise Conflict(f"Idempotency-Key {key!r} was already used for a different request; "
                       "use a new key for a new request")
    return stored.status_code, stored.response, True
