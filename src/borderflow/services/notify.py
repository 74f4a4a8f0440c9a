"""Telling drivers: every message is stored with the crossing (the driver page shows it), then
handed after commit to the node's notifier: the log by default, a webhook when configured."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import insert, select

from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

log = logging.getLogger("borderflow.notify")
Notifier = Callable[[dict[str, Any]], None]


def log_notifier(event: dict[str, Any]) -> None:
    log.info("notify %s %s: %s", event["kind"], event["crossing_id"], event["message"])


def webhook_notifier(url: str, *, timeout: float = 5.0) -> Notifier:
    """POST each event as JSON from a background thread; a dead receiver never slows the node."""

    def send(event: dict[str, Any]) -> None:
        def post() -> None:
            try:
                httpx.post(url, json=event, timeout=timeout)
            except httpx.HTTPError as exc:
                log.warning("webhook %s failed for %s: %s", url, event["crossing_id"], exc)
        threading.Thread(target=post, daemon=True).start()
    return send


def notifier_for(webhook: str | None) -> Notifier:
    return webhook_notifier(webhook) if webhook else log_notifier


def tell(ctx: NodeContext, uow: UnitOfWork, crossing_id: str, kind: str, message: str, data: dict) -> None:
    now = ctx.clock.now()
    uow.conn.execute(insert(t.notifications).values(crossing_id=crossing_id, kind=kind, message=message, data=data,
                                                    at=now))
    event = {"crossing_id": crossing_id, "kind": kind, "message": message, "data": data, "at": iso(now)}
    send = ctx.notifier or log_notifier
    uow.after_commit(lambda: send(event))


def recent(uow: UnitOfWork, crossing_id: str, limit: int = 5) -> list[dict]:
    n = t.notifications.c
    rows = uow.conn.execute(select(n.kind, n.message, n.at).where(n.crossing_id == crossing_id)
                            .order_by(n.id.desc()).limit(limit))
    return [{"kind": r.kind, "message": r.message, "at": iso(r.at)} for r in rows]
