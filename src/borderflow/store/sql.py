"""The few statements whose spelling differs between SQLite and PostgreSQL: the dialect branch, once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Insert, Select, Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert


def insert_ignore(conn: Connection, table: Table, values: dict[str, Any], keys: list) -> None:
    """INSERT … ON CONFLICT DO NOTHING: make sure a row (a lock row, a counter) exists."""
    dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect_insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))


def inserts_ignoring_conflicts(table: Table, keys: list) -> dict[str, Insert]:
    """INSERT … ON CONFLICT DO NOTHING, built once per dialect name: a hot path executes it with
    parameters (`statements[conn.dialect.name]`) instead of building it again each time."""
    return {name: dialect_insert(table).on_conflict_do_nothing(index_elements=keys)
            for name, dialect_insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))}


def for_update(conn: Connection, query: Select) -> Select:
    """Lock the selected rows until commit. SQLite has one writer at a time (the unit of work
    queues writers), so there the transaction itself is the lock."""
    return query.with_for_update() if conn.dialect.name == "postgresql" else query
