"""Real databases for tests: a SQLite file, or a fresh PostgreSQL database on 127.0.0.1:5432.

Outside CI a missing PostgreSQL skips its tests with a clear message; with CI=true it fails.
"""

from __future__ import annotations

import atexit
import functools
import os
import uuid
from contextlib import contextmanager

import psycopg
import pytest

PG_ADMIN = os.environ.get("BORDERFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def require_pg() -> None:
    problem = pg_reachable()
    if problem is None:
        return
    message = f"PostgreSQL not reachable at {PG_ADMIN}: {problem}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message} (mandatory in CI)")
    pytest.skip(f"{message}; start it or set BORDERFLOW_TEST_PG")


@contextmanager
def fresh_pg_database(*, migrated: bool = False):
    """An empty database, or with `migrated` one at the head revision: copied from a template this
    process migrated once (the migrations ran on it, so what they make is still what is tested)."""
    require_pg()
    name = f"borderflow_test_{uuid.uuid4().hex[:10]}"
    template = f' TEMPLATE "{_migrated_template()}"' if migrated else ""
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{template}')
    try:
        yield _url(name)
    finally:
        _drop(name)


def _url(name: str) -> str:
    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)


def _drop(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@functools.cache
def _migrated_template() -> str:
    from borderflow.store import migrate
    from borderflow.store.db import make_engine
    name = f"borderflow_template_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    atexit.register(_drop, name)
    engine = make_engine(_url(name))
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()  # a template is copied only while nobody is connected to it
    return name


@contextmanager
def engine_at(backend: str, tmp_path, revision: str):  # noqa: ANN001
    """An engine on a fresh database of `backend` ("sqlite" or "postgres") migrated up to `revision`:
    where a migration's own test starts, with the rows it must carry over still to be written."""
    from borderflow.store import migrate
    from borderflow.store.db import make_engine
    if backend == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'store.sqlite'}")
        try:
            migrate.upgrade(engine, revision)
            yield engine
        finally:
            engine.dispose()
        return
    with fresh_pg_database() as url:
        engine = make_engine(url)
        try:
            migrate.upgrade(engine, revision)
            yield engine
        finally:
            engine.dispose()
