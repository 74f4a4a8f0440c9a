"""The yardstick for the node's own numbers: the least a FastAPI + pydantic service can do.

`POST /api/v1/crossings` parses the same request body the node gets into a pydantic model and inserts
it into one table, one durable commit per request (SQLite in WAL with synchronous=NORMAL, as
the node; or PostgreSQL); `GET /healthz` answers a constant (and `GET /healthz-async` as an
`async def`). Nothing else: no validation
rules, no audit, no outbox. Run by bench/ingest.py in the same run as the node.

Usage: python bench/baseline_app.py PORT [sqlite:///FILE | postgresql://…]
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict


class Body(BaseModel):
    model_config = ConfigDict(extra="allow")
    direction: str
    gate: str
    vehicle: dict[str, Any]
    goods: list[dict[str, Any]]


def sqlite_store(path: str):  # noqa: ANN201
    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "conn"):
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            local.conn = conn
        return local.conn

    connection().execute("CREATE TABLE IF NOT EXISTS declarations (id INTEGER PRIMARY KEY, body TEXT NOT NULL)")
    lock = threading.Lock()  # one writer at a time, as the node queues its writers

    def insert(body: str) -> int:
        with lock:
            conn = connection()
            conn.execute("BEGIN IMMEDIATE")
            row = conn.execute("INSERT INTO declarations (body) VALUES (?)", (body,)).lastrowid
            conn.execute("COMMIT")
        return row

    return insert


def postgres_store(url: str):  # noqa: ANN201
    import psycopg
    local = threading.local()

    def connection() -> psycopg.Connection:
        if not hasattr(local, "conn"):
            local.conn = psycopg.connect(url, autocommit=True)
        return local.conn

    connection().execute("CREATE TABLE IF NOT EXISTS declarations (id BIGSERIAL PRIMARY KEY, body JSONB NOT NULL)")

    def insert(body: str) -> int:
        return connection().execute("INSERT INTO declarations (body) VALUES (%s) RETURNING id", (body,)).fetchone()[0]

    return insert


def app_for(url: str) -> FastAPI:
    insert = postgres_store(url) if url.startswith("postgresql") else sqlite_store(url.removeprefix("sqlite:///"))
    app = FastAPI()

    @app.get("/healthz")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/healthz-async")  # the same without FastAPI's thread-pool hop, as the node's /healthz is
    async def healthz_async() -> dict:
        return {"status": "ok"}

    @app.post("/api/v1/crossings", status_code=201)
    def declare(body: Body) -> dict:
        return {"id": insert(json.dumps(body.model_dump(mode="json"))), "gate": body.gate}

    return app


if __name__ == "__main__":
    uvicorn.run(app_for(sys.argv[2]), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False)
