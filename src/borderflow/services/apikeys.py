"""API keys: random, shown once, stored as a SHA-256 digest.

A key carries 256 random bits, so a fast hash is enough (no password stretching
needed) and checking one costs microseconds on the hot path.

A key may expire (`expires_at`, wall-clock time: security does not follow an accelerated
node clock) and is revoked by `revoke`, which also ends every web session signed in with
it. `revocations` is the cheap number every worker compares to know whether any key was
revoked since it last looked (an index-only count), so a revocation is effective at once.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, insert, select, update

from borderflow.domain.roles import ROLES, Principal
from borderflow.store import audit
from borderflow.store import tables as t

PREFIX = "bf_"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create(engine: Engine, *, role: str, name: str, declarant_tax_id: str | None, at: datetime,
           expires_days: float | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if not 0 < len(name) <= 128:
        raise ValueError("the key's name must be 1 to 128 characters")
    if role == "declarant" and not declarant_tax_id:
        raise ValueError("a declarant key needs --declarant TAX_ID: it sees only that declarant's crossings")
    if expires_days is not None and not 0 < expires_days <= 3650:
        raise ValueError("--expires-days must be more than 0 and at most 3650")
    expires_at = datetime.now(UTC) + timedelta(days=expires_days) if expires_days is not None else None
    key = PREFIX + secrets.token_urlsafe(32)
    key_id = str(uuid.uuid4())
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        conn.execute(insert(t.api_keys).values(id=key_id, key_hash=digest(key), prefix=key[:10], role=role,
                                               declarant_tax_id=declarant_tax_id, name=name, created_at=at,
                                               expires_at=expires_at))
        audit.append(conn, at=at, actor="cli", action="apikey.create", subject=key_id,
                     data={"role": role, "name": name, "declarant_tax_id": declarant_tax_id,
                           **({"expires_at": expires_at.isoformat()} if expires_at else {})})
    return key


def usable(row, now: datetime | None = None) -> bool:  # noqa: ANN001
    """Neither revoked nor expired."""
    return row.revoked_at is None and (row.expires_at is None or row.expires_at > (now or datetime.now(UTC)))


def lookup(engine: Engine, key: str) -> Principal | None:
    found = lookup_with_expiry(engine, key)
    return found[0] if found else None


def lookup_with_expiry(engine: Engine, key: str) -> tuple[Principal, datetime | None] | None:
    """The key's principal and when it expires (None: never), or None for an unknown, revoked or expired key."""
    k = t.api_keys.c
    with engine.connect() as conn:
        row = conn.execute(select(k.id, k.role, k.name, k.declarant_tax_id, k.revoked_at, k.expires_at)
                           .where(k.key_hash == digest(key))).first()
    if row is None or not usable(row):
        return None
    return Principal(id=row.id, role=row.role, name=row.name, declarant_tax_id=row.declarant_tax_id), row.expires_at


REVOKED = select(func.count()).select_from(t.api_keys).where(t.api_keys.c.revoked_at.is_not(None))


def revocations(engine: Engine) -> int:
    """How many keys were ever revoked: it only grows, so a change means "drop what you cached".
    Every request asks it (api/keycheck.RevocationCount, on a connection kept for it; this way
    when that connection fails), so the statement is built once."""
    with engine.connect() as conn:
        return conn.execute(REVOKED).scalar_one()


@dataclass(frozen=True)
class KeyInfo:
    prefix: str
    role: str
    name: str
    declarant_tax_id: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def list_keys(engine: Engine) -> list[KeyInfo]:
    """Every key, oldest first; never the key itself (only its first characters)."""
    k = t.api_keys.c
    with engine.connect() as conn:
        rows = conn.execute(select(k.prefix, k.role, k.name, k.declarant_tax_id, k.created_at, k.expires_at,
                                   k.revoked_at).order_by(k.created_at, k.prefix)).all()
    return [KeyInfo(*row) for row in rows]


class AmbiguousPrefix(ValueError):
    pass


def revoke(engine: Engine, prefix: str, *, at: datetime, actor: str = "cli") -> KeyInfo:
    """Revoke the one key starting with `prefix` and end its web sessions, in one transaction.

    Raises LookupError when no key matches, AmbiguousPrefix when several do. Revoking a revoked
    key again changes nothing and says so (its revoked_at stays the first one)."""
    k = t.api_keys.c
    if len(prefix) < 6:
        raise AmbiguousPrefix("give at least the first 6 characters of the key (see `borderflow apikey list`)")
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        rows = conn.execute(select(k.id, k.prefix, k.role, k.name, k.declarant_tax_id, k.created_at, k.expires_at,
                                   k.revoked_at).where(k.prefix.startswith(prefix[:10], autoescape=True))).all()
        if not rows:
            raise LookupError(f"no key starts with {prefix!r}")
        if len(rows) > 1:
            raise AmbiguousPrefix(f"{len(rows)} keys start with {prefix!r}; give more characters")
        row = rows[0]
        if row.revoked_at is not None:
            return KeyInfo(*row[1:])
        now = datetime.now(UTC)
        conn.execute(update(t.api_keys).where(k.id == row.id).values(revoked_at=at))
        s = t.web_sessions.c
        conn.execute(update(t.web_sessions).where(s.api_key_id == row.id, s.ended_at.is_(None)).values(ended_at=now))
        audit.append(conn, at=at, actor=actor, action="apikey.revoke", subject=row.id,
                     data={"prefix": row.prefix, "role": row.role, "name": row.name})
    return KeyInfo(row.prefix, row.role, row.name, row.declarant_tax_id, row.created_at, row.expires_at, at)
