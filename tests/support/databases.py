"""Real databases for tests: a SQLite file, or a fresh PostgreSQL database on 127.0.0.1:5432.

Outside CI a missing PostgreSQL skips its tests with a clear message; with CI=true it fails.
"""

from __future__ import annotations

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
def fresh_pg_database():
    require_pg()
    name = f"borderflow_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
