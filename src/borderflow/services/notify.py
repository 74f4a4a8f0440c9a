"""Telling drivers: every message is stored with the crossing (the driver page shows it), then
handed after commit to the node's notifier (the log by default, a webhook when configured) in
the driver's language, with the message's code and params for a gateway that renders its own."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import httpx
import phonenumbers
from sqlalchemy import insert, select

from borderflow.domain.messages import to_json
from borderflow.i18n import catalogue

from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

log = logging.getLogger("borderflow.notify")
Notifier = Callable[[dict[str, Any]], None]
LANGUAGE_OF = {"VN": "vi", "CN": "zh"}  # a driver's country -> the language messages are sent in


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
    """Store the message (in English, with its code and params in `data`) and send it to the driver
    in the driver's language: `message` rendered, `code` and `params` beside it."""
    now = ctx.clock.now()
    said = catalogue.message_of(message)
    if said is not None:
        data = {**data, "message_code": said.code, "message_params": to_json(said.params)}
    uow.conn.execute(insert(t.notifications).values(crossing_id=crossing_id, kind=kind, message=str(message),
                                                    data=to_json(data), at=now))
    lang = driver_language(uow, crossing_id)
    event = {"crossing_id": crossing_id, "kind": kind, "message": catalogue.render(said or str(message), lang),
             "lang": lang, "code": said.code if said else None, "params": to_json(said.params) if said else {},
             "data": to_json(data), "at": iso(now)}
    send = ctx.notifier or log_notifier
    uow.after_commit(lambda: send(event))


def driver_language(uow: UnitOfWork, crossing_id: str) -> str:
    """The driver reads the language of the country the declaration names for them: the phone's
    country first (the phone is what reads the message), else the nationality; English otherwise."""
    document = uow.conn.execute(select(t.crossings.c.declaration).where(t.crossings.c.id == crossing_id)).scalar()
    driver = (document or {}).get("driver") or {}
    country = None
    if driver.get("phone"):
        try:
            country = phonenumbers.region_code_for_number(phonenumbers.parse(driver["phone"],
                                                                            driver.get("nationality")))
        except phonenumbers.NumberParseException:
            country = None
    return LANGUAGE_OF.get(country or driver.get("nationality") or "", catalogue.DEFAULT)


def recent(uow: UnitOfWork, crossing_id: str, limit: int = 5) -> list[dict]:
    n = t.notifications.c
    rows = uow.conn.execute(select(n.kind, n.message, n.at).where(n.crossing_id == crossing_id)
                            .order_by(n.id.desc()).limit(limit))
    return [{"kind": r.kind, "message": r.message, "at": iso(r.at)} for r in rows]
