"""The API key cache, with revocation effective at once in every worker.

A found key's principal is kept for up to CACHE_SECONDS, but every request first asks the
database how many keys were ever revoked (`apikeys.revocations`, an index-only count); when
that number changed since this worker last looked, everything cached is dropped. A key's
expiry is checked against the clock on every use. So `borderflow apikey revoke` takes
effect on the very next request, in every worker, and an expired key stops at its time.
The app keeps one on `app.state.keys`; `api.deps.current_principal` asks it.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from borderflow.domain.roles import Principal
from borderflow.services import apikeys

CACHE_SECONDS = 30.0
"""How long an unchanged key's principal is kept without looking it up again."""


class RevocationAwareKeyCache:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal | None, datetime | None]] = {}
        self._revocations: int | None = None
        self._lock = threading.Lock()

    def principal(self, ctx, key: str) -> Principal | None:  # noqa: ANN001
        revoked = apikeys.revocations(ctx.engine)
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
