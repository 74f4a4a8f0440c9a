"""The API key cache, with revocation effective at once in every worker.

A found key's principal is kept for up to CACHE_SECONDS, but every request first asks the
database how many keys were ever revoked (`apikeys.revocations`, an index-only count, on a
connection kept for it); when
that number changed since this worker last looked, everything cached is dropped. A key's
expiry is checked against the clock on every use. So `borderflow apikey revoke` takes
effect on the very next request, in every worker, and an expired key stops at its time.
The app keeps one on `app.state.keys`; `api.deps.current_principal` asks it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine

from borderflow.domain.roles import Principal
from borderflow.services import apikeys

CACHE_SECONDS = 30.0
"""How long an unchanged key's principal is kept without looking it up again."""


class RevocationCount:
    """`apikeys.revocations`, asked on one connection kept for it (outside any transaction, so it
    sees every commit): a request then pays for one SELECT, not for a pool checkout, a BEGIN, the
    SELECT and a ROLLBACK. A connection that fails is dropped and the count asked the usual way."""

    def __init__(self) -> None:
        self._raw = None
        self._sql: str | None = None
        self._lock = threading.Lock()

    def __call__(self, engine: Engine) -> int:
        with self._lock:
            try:
                if self._raw is None:
                    self._raw = raw = engine.raw_connection()
                    if engine.dialect.name == "postgresql":
                        raw.rollback()  # whatever the pool's checks began
                        raw.driver_connection.autocommit = True  # SQLite's connections are (db.py)
                    self._sql = str(apikeys.REVOKED.compile(dialect=engine.dialect))
                cursor = self._raw.cursor()
                try:
                    cursor.execute(self._sql)
                    return cursor.fetchone()[0]
                finally:
                    cursor.close()
            except Exception:  # noqa: BLE001 - a dropped or broken connection: the usual way, errors and all
                self.close(invalidate=True)
        return apikeys.revocations(engine)

    def close(self, *, invalidate: bool = False) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            try:
                raw.invalidate() if invalidate else raw.close()
            except Exception:  # noqa: BLE001 - it is being thrown away
                pass


class RevocationAwareKeyCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None, datetime | None]] = {}
        self._revocations: int | None = None
        self._lock = threading.Lock()
        self.revocations = RevocationCount()

    def principal(self, ctx, key: str) -> Principal | None:  # noqa: ANN001
        revoked = self.revocations(ctx.engine)
        now = time.monotonic()
        with self._lock:
            if revoked != self._revocations:
                self._entries.clear()
                self._revocations = revoked
            hit = self._entries.get(key)
        if hit is not None and hit[0] > now and (hit[2] is None or hit[2] > datetime.now(UTC)):
            return hit[1]
        found = apikeys.lookup_with_expiry(ctx.engine, key)
        principal, expires = found if found else (None, None)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (now + CACHE_SECONDS, principal, expires)
        return principal
