"""Receiving: trust nothing unsigned, apply each stream exactly once and in order, sign a receipt.

A batch is one transaction with a savepoint per message, so the receipts the
partner gets are for messages that are durably stored. Messages that cannot be
trusted (bad signature, unknown sender or key, outside the replay window) are
logged and refused without touching any stream; messages that are trusted but
whose payload does not fit its schema are refused *and* consume their sequence
number, so one bad message cannot block a stream forever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from borderflow.domain.errors import Forbidden
from borderflow.domain.roles import Principal
from borderflow.exchange import envelope as env
from borderflow.exchange.messages import PayloadInvalid, parse_payload
from borderflow.services import inbound
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

log = logging.getLogger("borderflow.exchange")

REQUIRED = {"message_id": str, "type": str, "schema_version": int, "sender": str, "recipient": str,
            "created_at": str, "sent_at": str, "stream": str, "seq": int, "payload": dict}


@dataclass(frozen=True)
class Outcome:
    status: str  # applied | duplicate | held | rejected
    reason: str | None = None
    retry: bool = False


class Untrusted(Exception):
    def __init__(self, reason: str, *, retry: bool = False):
        super().__init__(reason)
        self.reason, self.retry = reason, retry


def receive(ctx: NodeContext, principal: Principal, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not principal.may("exchange.receive"):
        raise Forbidden(f"role {principal.role} may not deliver partner messages")
    key = ctx.exchange.keys.current()
    now = ctx.clock.now()
    outcomes: list[Outcome] = []
    with ctx.uow() as uow:
        counts: dict[str, int] = {}
        for message in messages:
            outcome = _one(ctx, uow, principal, message, now)
            outcomes.append(outcome)
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        uow.log_action(at=now, actor=principal.actor, action="exchange.receive", subject=principal.name,
                       data={"messages": len(messages), **counts})
        uow.commit()
    at = now.isoformat()
    return [env.receipt(key, message_id=_text(m, "message_id"), sender=_text(m, "sender"), receiver=ctx.node.id,
                        status=o.status, reason=o.reason, retry=o.retry,
                        digest_of=env.digest(m) if isinstance(m, dict) else None, at=at)
            for m, o in zip(messages, outcomes, strict=True)]


def _text(message: Any, name: str) -> str | None:
    value = message.get(name) if isinstance(message, dict) else None
    return value if isinstance(value, str) else None


def _one(ctx: NodeContext, uow: UnitOfWork, principal: Principal, message: Any, now: datetime) -> Outcome:
    try:
        sender, sent_at = _trust(ctx, principal, message, now)
    except Untrusted as exc:
        _reject(uow, principal, message, exc.reason, now)
        return Outcome("rejected", exc.reason, exc.retry)
    digest = env.content_digest(message)
    known = uow.conn.execute(select(t.inbox.c.digest, t.inbox.c.state)
                             .where(t.inbox.c.message_id == message["message_id"])).first()
    if known is not None:
        if known.digest != digest:
            reason = "message id already used for a different message"
            _reject(uow, principal, message, reason, now)
            return Outcome("rejected", reason)
        return Outcome("duplicate", f"already received ({known.state})")
    savepoint = uow.conn.begin_nested()
    try:
        outcome = _sequence(ctx, uow, sender, message, digest, now)
        savepoint.commit()
        return outcome
    except IntegrityError:  # the same message, delivered twice at once: the other one won
        savepoint.rollback()
        return Outcome("duplicate", "received concurrently")


def _trust(ctx: NodeContext, principal: Principal, message: Any, now: datetime) -> tuple[str, datetime]:
    if not isinstance(message, dict):
        raise Untrusted("a message must be a JSON object (a signed envelope)")
    for name, kind in REQUIRED.items():
        value = message.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise Untrusted(f"envelope field {name!r} is missing or not a {kind.__name__}")
    if len(message["message_id"]) > 36 or len(message["stream"]) > 64 or not 1 <= message["seq"] <= 2**31 - 1:
        raise Untrusted("message_id (≤ 36), stream (≤ 64) or seq (1…2³¹-1) out of range")
    sender = message["sender"]
    partner = ctx.exchange.partners.get(sender)
    if partner is None:
        raise Untrusted(f"unknown sender {sender!r}; this node's partners: {', '.join(ctx.exchange.partners) or 'none'}")
    if principal.name != sender:
        raise Untrusted(f"the API key belongs to {principal.name!r}, but the message claims sender {sender!r}")
    if message["recipient"] != ctx.node.id:
        raise Untrusted(f"addressed to {message['recipient']!r}; this node is {ctx.node.id!r}")
    try:
        env.verify(message, partner.public_keys)
    except env.SignatureRejected as exc:
        raise Untrusted(f"signature rejected: {exc}", retry=str(exc).startswith("unknown key")) from None
    try:
        sent_at = datetime.fromisoformat(message["sent_at"])
    except ValueError:
        raise Untrusted("sent_at is not an ISO 8601 time") from None
    if sent_at.tzinfo is None:
        raise Untrusted("sent_at has no UTC offset")
    if sent_at < now - ctx.exchange.replay_window:
        raise Untrusted(f"sent at {sent_at.isoformat()}, older than the replay window "
                        f"({ctx.exchange.replay_window}); ask the sender to replay it afresh")
    if sent_at > now + ctx.exchange.max_skew:
        raise Untrusted(f"sent at {sent_at.isoformat()}, in the future; check the sender's clock")
    return sender, sent_at


def _reject(uow: UnitOfWork, principal: Principal, message: Any, reason: str, now: datetime) -> None:
    log.warning("refused a message from %s: %s", principal.name, reason)
    uow.conn.execute(insert(t.exchange_rejections).values(
        message_id=(_text(message, "message_id") or "")[:64] or None,
        claimed_sender=(_text(message, "sender") or "")[:64] or None, principal=principal.actor,
        reason=reason, envelope=message if isinstance(message, dict) else {"value": repr(message)[:1000]}, at=now))


def _sequence(ctx: NodeContext, uow: UnitOfWork, sender: str, message: dict, digest: str,
              now: datetime) -> Outcome:
    stream, seq = message["stream"], message["seq"]
    last = _last_seq(uow, sender, stream)
    row = dict(message_id=message["message_id"], sender=sender, type=message["type"], stream=stream, seq=seq,
               envelope=message, digest=digest, received_at=now)
    if seq <= last:
        reason = f"stream {stream!r} is already at {last}; sequence number {seq} was used by another message"
        uow.conn.execute(insert(t.inbox).values(**row, state="rejected", reason=reason))
        return Outcome("rejected", reason)
    if seq > last + 1:
        uow.conn.execute(insert(t.inbox).values(**row, state="held",
                                                reason=f"waiting for {stream} #{last + 1}"))
        return Outcome("held", f"waiting for sequence number {last + 1} of stream {stream!r}")
    uow.conn.execute(insert(t.inbox).values(**row, state="held"))
    outcome = _apply(ctx, uow, sender, message, now)
    last = seq
    while True:  # the gap is filled: apply what was waiting behind it, in order
        waiting = uow.conn.execute(select(t.inbox.c.envelope).where(
            t.inbox.c.sender == sender, t.inbox.c.stream == stream, t.inbox.c.seq == last + 1,
            t.inbox.c.state == "held")).first()
        if waiting is None:
            break
        _apply(ctx, uow, sender, waiting.envelope, now)
        last += 1
    uow.conn.execute(update(t.inbox_streams).where(t.inbox_streams.c.sender == sender,
                                                   t.inbox_streams.c.stream == stream).values(last_seq=last))
    return outcome


def _last_seq(uow: UnitOfWork, sender: str, stream: str) -> int:
    s = t.inbox_streams
    dialect_insert = pg_insert if uow.conn.dialect.name == "postgresql" else sqlite_insert
    uow.conn.execute(dialect_insert(s).values(sender=sender, stream=stream, last_seq=0)
                     .on_conflict_do_nothing(index_elements=[s.c.sender, s.c.stream]))
    query = select(s.c.last_seq).where(s.c.sender == sender, s.c.stream == stream)
    if uow.conn.dialect.name == "postgresql":
        query = query.with_for_update()  # one applier per stream at a time
    return uow.conn.execute(query).scalar_one()


def _apply(ctx: NodeContext, uow: UnitOfWork, sender: str, message: dict, now: datetime) -> Outcome:
    message_id = message["message_id"]
    savepoint = uow.conn.begin_nested()
    try:
        payload = parse_payload(message["type"], message["schema_version"], message["payload"])
        inbound.apply(ctx, uow, sender=sender, type_=message["type"], payload=payload, message_id=message_id)
        savepoint.commit()
        state, reason = "applied", None
    except PayloadInvalid as exc:
        savepoint.rollback()
        state, reason = "rejected", str(exc)
        log.warning("message %s from %s not applied: %s", message_id, sender, reason)
    uow.conn.execute(update(t.inbox).where(t.inbox.c.message_id == message_id)
                     .values(state=state, reason=reason, applied_at=now if state == "applied" else None))
    return Outcome(state, reason)

