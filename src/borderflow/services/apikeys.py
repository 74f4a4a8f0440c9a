"""API keys: random, shown once, stored as a SHA-256 digest.

A key carries 256 random bits, so a fast hash is enough (no password stretching
needed) and checking one costs microseconds on the hot path.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime

from sqlalchemy import Engine, insert, select

from borderflow.domain.roles import ROLES, Principal
from borderflow.store import audit
from borderflow.store import tables as t

PREFIX = "bf_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(engine: Engine, *, role: str, name: str, declarant_tax_id: str | None, at: datetime) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if not 0 < len(name) <= 128:
        raise ValueError("the key's name must be 1 to 128 characters")
    if role == "declarant" and not declarant_tax_id:
        raise ValueError("a declarant key needs --declarant TAX_ID: it sees only that declarant's crossings")
    key = PREFIX + secrets.token_urlsafe(32)
    key_id = str(uuid.uuid4())
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        conn.execute(insert(t.api_keys).values(id=key_id, key_hash=digest(key), prefix=key[:10], role=role,
                                               declarant_tax_id=declarant_tax_id, name=name, created_at=at))
        audit.append(conn, at=at, actor="cli", action="apikey.create", subject=key_id,
                     data={"role": role, "name": name, "declarant_tax_id": declarant_tax_id})
    return key


def lookup(engine: Engine, key: str) -> Principal | None:
    k = t.api_keys.c
    with engine.connect() as conn:
        row = conn.execute(select(k.id, k.role, k.name, k.declarant_tax_id, k.revoked_at)
                           .where(k.key_hash == digest(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    return Principal(id=row.id, role=row.role, name=row.name, declarant_tax_id=row.declarant_tax_id)
