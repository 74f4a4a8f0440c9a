"""A migrated database per test, on each backend, without a server."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS
from tests.support.databases import fresh_pg_database
from borderflow.store import migrate
from borderflow.store.db import make_engine


@pytest.fixture(params=BACKENDS)
def engine(request, tmp_path):
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
        migrate.upgrade(eng)
        yield eng
        eng.dispose()
        return
    with fresh_pg_database(migrated=True) as url:
        eng = make_engine(url)
        migrate.upgrade(eng)
        yield eng
        eng.dispose()
