"""Receiving: trust nothing unsigned, apply each stream exactly once and in order, sign a receipt.

A batch is one transaction, so the receipts the partner gets are for messages that are
durably stored. It is first applied whole; when a message's payload is refused there, the
batch is taken again from the start with a savepoint per message, so that only the refused
message's work is undone. A savepoint per message was two round trips each on PostgreSQL,
and almost every delivery has no refused message. Messages that cannot be
trusted (bad signature, unknown sender or key, outside the replay window) are
logged and refused without touching any stream; messages that are trusted but
whose payload does not fit its schema are refused *and* consume their sequence
number, so one bad message cannot block a stream forever.
"""

from __future__ import annotations

import logging
import hashlib
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, insert, select, update

from borderflow.domain import canonical as jcs
from borderflow.domain.errors import Forbidden
from borderflow.domain.roles import Principal
from borderflow.exchange import envelope as env
from borderflow.exchange.messages import LATEST_VERSION, PayloadInvalid, parse_payload
from borderflow.exchange.wording import say
from borderflow.schemas import has_nul
from borderflow.services import inbound, witness
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.sql import for_update, inserts_ignoring_conflicts
from borderflow.store.unit_of_work import UnitOfWork

log = logging.getLogger("borderflow.exchange")

REQUIRED = {"message_id": str, "type": str, "schema_version": int, "sender": str, "recipient": str,
            "created_at": str, "sent_at": str, "stream": str, "seq": int, "payload": dict}


@dataclass(frozen=True)
class Outcome:
    status: str  # applied | duplicate | held | rejected
    reason: str | None = None
    retry: bool = False


_CONCURRENT = Outcome("duplicate", say("exchange.received_concurrently"))


class Untrusted(Exception):
    def __init__(self, reason: str, *, retry: bool = False):
        super().__init__(reason)
        self.reason, self.retry = reason, retry


def receive(ctx: NodeContext, principal: Principal, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not principal.may("exchange.receive"):
        raise Forbidden(f"role {principal.role} may not deliver partner messages")
    key = ctx.exchange.keys.current()
    now = ctx.clock.now()
    try:
        outcomes = _take(ctx, principal, now, messages, each_apart=False)
    except _Refused:  # undone whole: taken again, each message's work on its own
        outcomes = _take(ctx, principal, now, messages, each_apart=True)
    at = now.isoformat()
    return [env.receipt(key, message_id=_text(m, "message_id"), sender=_text(m, "sender"), receiver=ctx.node.id,
                        status=o.status, reason=o.reason, retry=o.retry, digest_of=digest, at=at,
                        accepts=LATEST_VERSION)
            for m, (o, digest) in zip(messages, outcomes, strict=True)]


class _Refused(Exception):
    """A message's payload was refused in a batch applied whole."""


def _take(ctx: NodeContext, principal: Principal, now: datetime, messages: list,
          each_apart: bool) -> list[tuple[Outcome, str | None]]:
    with ctx.uow() as uow:
        batch = _Batch(ctx, uow, principal, now, messages, each_apart)
        outcomes = batch.take(messages)
        counts: dict[str, int] = {}
        for outcome, _ in outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        if not _only_witnessed(messages, outcomes):  # else each side's checkpoint would make the other sign one
            uow.log_action(at=now, actor=principal.actor, action="exchange.receive", subject=principal.name,
                           data={"messages": len(messages), **counts})
        uow.commit()
    for message, reason in batch.refused:  # said once the batch stands, not for a try that was undone
        log.warning("refused a message from %s: %s", principal.name, reason)
    return outcomes


def _only_witnessed(messages: list, outcomes: list[tuple[Outcome, str | None]]) -> bool:
    """A delivery of nothing but the partner's audit checkpoints, all kept: audit_witnessed is their record."""
    return all(isinstance(m, dict) and m.get("type") == "audit_checkpoint" for m in messages) and all(
        o.status in ("applied", "duplicate") for o, _ in outcomes)


def _text(message: Any, name: str) -> str | None:
    value = message.get(name) if isinstance(message, dict) else None
    return value if isinstance(value, str) else None


@dataclass
class _Stream:
    last: int
    held: dict[int, dict]  # seq -> envelope, waiting for the gap before it to fill
    moved: bool = False


class _Batch:
    """One delivery: what the inbox already holds, and each touched stream's position, read once.

    The statements a batch needs for every message alike (opening its streams, settling its
    inbox rows, moving the streams on) run once for the batch, not once a message.
    """

    def __init__(self, ctx: NodeContext, uow: UnitOfWork, principal: Principal, now: datetime, messages: list,
                 each_apart: bool):
        self.ctx, self.uow, self.principal, self.now = ctx, uow, principal, now
        self.each_apart = each_apart  # a savepoint per message (else a refused payload undoes the batch)
        self.refused: list[tuple[Any, str]] = []  # (message, why): untrusted, logged once the batch stands
        ids = list({m["message_id"] for m in messages
                    if isinstance(m, dict) and isinstance(m.get("message_id"), str)})
        i = t.inbox.c
        self.known = {row.message_id: row for row in uow.conn.execute(
            select(i.message_id, i.type, i.stream, i.seq, i.state).where(i.message_id.in_(ids)))} if ids else {}
        self.streams: dict[tuple[str, str], _Stream] = {}
        self.settled: list[dict[str, Any]] = []  # inbox rows' final states, written together

    def take(self, messages: list) -> list[tuple[Outcome, str | None]]:
        """Each message's outcome and digest, in the order given; then the batch's bookkeeping."""
        trusted = [self._trusted(message) for message in messages]
        new = [(m, sender, found) for m, (sender, found) in zip(messages, trusted, strict=True)
               if sender is not None and m["message_id"] not in self.known]
        self._open({(sender, m["stream"]) for m, sender, _ in new})
        self._store(new)
        inbound.prepare(self.uow, [(sender, m["type"], m["payload"]) for m, sender, _ in new])
        outcomes = [self._one(m, sender, found) for m, (sender, found) in zip(messages, trusted, strict=True)]
        self.finish()
        return outcomes

    def _trusted(self, message: Any) -> tuple[str | None, bytes | Untrusted]:  # noqa: ANN401
        try:
            return _trust(self.ctx, self.principal, message, self.now)
        except Untrusted as exc:
            return None, exc

    def _store(self, new: list[tuple[dict, str, bytes]]) -> None:
        """The batch's new messages into the inbox in one statement, each as held until its turn
        (`_claim`); one already there was stored by another delivery after this batch looked."""
        rows = {m["message_id"]: dict(message_id=m["message_id"], sender=m["sender"], type=m["type"],
                                      stream=m["stream"], seq=m["seq"], envelope=m,
                                      digest=hashlib.sha256(found).hexdigest(), state="held", reason=None,
                                      received_at=self.now)
                for m, _, found in reversed(new)}  # reversed: a message given twice is stored as first given
        self.stored: set[str] = set()
        if rows:
            self.stored = set(self.uow.conn.execute(_INSERT[self.uow.conn.dialect.name],
                                                    list(reversed(rows.values()))).scalars())

    def _one(self, message: Any, sender: str | None, found: bytes | Untrusted) -> tuple[Outcome, str | None]:  # noqa: ANN401
        if isinstance(found, Untrusted):
            self._reject(message, found.reason)
            return Outcome("rejected", found.reason, found.retry), _digest(message)
        digest = hashlib.sha256(found).hexdigest()
        known = self.known.get(message["message_id"])
        if known is not None:
            return self._known(message, known), digest
        return self._sequence(sender, message), digest

    def _known(self, message: dict, known: Any) -> Outcome:  # noqa: ANN401 - a row
        if (known.type, known.stream, known.seq) != (message["type"], message["stream"], message["seq"]):
            reason = say("exchange.id_reused")
            self._reject(message, reason)
            return Outcome("rejected", reason)
        return Outcome("duplicate", say("exchange.already_received", state=known.state))

    def _received_concurrently(self, message: dict) -> Outcome | None:
        """The answer for a message another delivery stored after this batch looked (the same batch
        sent twice at once): it is in the inbox now that this batch holds the stream's lock."""
        self._settle()
        i = t.inbox.c
        known = self.uow.conn.execute(select(i.message_id, i.type, i.stream, i.seq, i.state)
                                      .where(i.message_id == message["message_id"])).first()
        return None if known is None else self._known(message, known)

    def _open(self, wanted: set[tuple[str, str]]) -> None:
        """Each stream's position and held messages, its row created if new and, on PostgreSQL,
        locked (in one order, so two batches never wait on each other) for one applier at a time."""
        wanted = sorted(wanted - self.streams.keys())
        if not wanted:
            return
        s, i, conn = t.inbox_streams.c, t.inbox.c, self.uow.conn
        conn.execute(_OPEN_STREAM[conn.dialect.name], [{"sender": a, "stream": b, "last_seq": 0} for a, b in wanted])
        for sender, group in groupby(wanted, key=itemgetter(0)):
            names = [stream for _, stream in group]
            query = select(s.stream, s.last_seq).where(s.sender == sender, s.stream.in_(names)).order_by(s.stream)
            last = dict(conn.execute(for_update(conn, query)).all())
            held: dict[str, dict[int, dict]] = {name: {} for name in names}
            for row in conn.execute(select(i.stream, i.seq, i.envelope).where(
                    i.sender == sender, i.stream.in_(names), i.state == "held")):
                held[row.stream][row.seq] = row.envelope
            for name in names:
                self.streams[sender, name] = _Stream(last[name], held[name])

    def _stream(self, sender: str, stream: str) -> _Stream:
        self._open({(sender, stream)})
        return self.streams[sender, stream]

    def _claim(self, message: dict, state: str = "held", reason: str | None = None) -> bool:
        """The message's inbox row is this batch's, now in `state`; False when another delivery stored it
        (or it was given twice in this batch, and this is the second time)."""
        if message["message_id"] not in self.stored:
            return False
        self.stored.discard(message["message_id"])
        if state != "held" or reason is not None:
            self.settled.append({"id": message["message_id"], "state": state, "reason": reason, "applied_at": None})
        return True

    def _sequence(self, sender: str, message: dict) -> Outcome:
        stream, seq = message["stream"], message["seq"]
        state = self._stream(sender, stream)
        if seq <= state.last:
            reason = say("exchange.seq_used", stream=stream, last=state.last, seq=seq)
            if not self._claim(message, "rejected", reason):
                return self._received_concurrently(message) or Outcome("rejected", reason)
            return Outcome("rejected", reason)
        if seq > state.last + 1:
            held = say("exchange.held", next=state.last + 1, stream=stream)
            if not self._claim(message, "held", held):
                return self._received_concurrently(message) or _CONCURRENT
            state.held[seq] = message
            return Outcome("held", held)
        if not self._claim(message):
            return self._received_concurrently(message) or _CONCURRENT
        outcome = self._apply(sender, message)
        state.last, state.moved = seq, True
        while state.last + 1 in state.held:  # the gap is filled: apply what waited behind it, in order
            self._apply(sender, state.held.pop(state.last + 1))
            state.last += 1
        return outcome

    def _reject(self, message: Any, reason: str) -> None:  # noqa: ANN401
        _reject(self.uow, self.principal, message, reason, self.now)
        self.refused.append((message, reason))

    def _apply(self, sender: str, message: dict) -> Outcome:
        outcome = (_apply(self.ctx, self.uow, sender, message, self.now) if self.each_apart
                   else _apply_whole(self.ctx, self.uow, sender, message, self.now))
        self.settled.append({"id": message["message_id"], "state": outcome.status, "reason": outcome.reason,
                             "applied_at": self.now if outcome.status == "applied" else None})
        return outcome

    def _settle(self) -> None:
        if self.settled:
            self.uow.conn.execute(_SETTLE, self.settled)
            self.settled = []

    def finish(self) -> None:
        self._settle()
        moved = [{"s": sender, "name": stream, "last": state.last}
                 for (sender, stream), state in self.streams.items() if state.moved]
        if moved:
            self.uow.conn.execute(_MOVE_STREAM, moved)


_ESCAPED_NUL = b"\\u0000"


def _trust(ctx: NodeContext, principal: Principal, message: Any, now: datetime) -> tuple[str, bytes]:
    """The sender and the signed bytes, or Untrusted with the reason."""
    if not isinstance(message, dict):
        raise Untrusted(say("exchange.not_object"))
    try:
        signed = env.canonical(message)  # what the signature covers, written once for the check below
    except jcs.CanonicalizationError as exc:
        raise Untrusted(say("exchange.not_canonical", error=str(exc)[:500])) from None
    # The canonical bytes write a NUL in any text or key (the signature's aside) as \u0000: only a
    # message whose bytes hold that (or a stray backslash before "u0000") is searched for one.
    if (_ESCAPED_NUL in signed and has_nul(message)) or has_nul(message.get("signature")):
        raise Untrusted(say("exchange.nul"))
    for name, kind in REQUIRED.items():
        value = message.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise Untrusted(say("exchange.field", name=name, kind=kind.__name__))
    if len(message["message_id"]) > 36 or len(message["stream"]) > 64 or not 1 <= message["seq"] <= 2**31 - 1:
        raise Untrusted(say("exchange.out_of_range"))
    sender = message["sender"]
    partner = ctx.exchange.partners.get(sender)
    if partner is None:
        raise Untrusted(say("exchange.unknown_sender", sender=sender, partners=", ".join(ctx.exchange.partners) or "—"))
    if principal.name != sender:
        raise Untrusted(say("exchange.wrong_sender", principal=principal.name, sender=sender))
    if message["recipient"] != ctx.node.id:
        raise Untrusted(say("exchange.wrong_recipient", recipient=message["recipient"], node=ctx.node.id))
    try:
        env.verify(message, partner.public_keys, signed)
    except env.SignatureRejected as exc:
        raise Untrusted(say("exchange.signature", error=str(exc)), retry=str(exc).startswith("unknown key")) from None
    try:
        sent_at = datetime.fromisoformat(message["sent_at"])
    except ValueError:
        raise Untrusted(say("exchange.sent_at_format")) from None
    if sent_at.tzinfo is None:
        raise Untrusted(say("exchange.sent_at_offset"))
    if sent_at < now - ctx.exchange.replay_window:
        raise Untrusted(say("exchange.too_old", sent_at=sent_at.isoformat(),
                            window=round(ctx.exchange.replay_window.total_seconds())))
    if sent_at > now + ctx.exchange.max_skew:
        raise Untrusted(say("exchange.in_future", sent_at=sent_at.isoformat()))
    return sender, signed


def _storable(message: Any) -> bool:  # noqa: ANN401
    return isinstance(message, dict) and env.not_canonical(message) is None and not has_nul(message)


def _digest(message: Any) -> str | None:  # noqa: ANN401
    return env.digest(message) if _storable(message) else None


def _reject(uow: UnitOfWork, principal: Principal, message: Any, reason: str, now: datetime) -> None:
    uow.conn.execute(insert(t.exchange_rejections).values(
        message_id=(_text(message, "message_id") or "").replace("\x00", "")[:64] or None,
        claimed_sender=(_text(message, "sender") or "").replace("\x00", "")[:64] or None, principal=principal.actor,
        reason=reason, envelope=message if _storable(message) else {"value": repr(message)[:1000]}, at=now))


def _handle(ctx: NodeContext, uow: UnitOfWork, sender: str, message: dict, now: datetime) -> None:
    payload = parse_payload(message["type"], message["schema_version"], message["payload"])
    if message["type"] == "audit_checkpoint":  # the partner's log, witnessed here (services/witness)
        witness.receive(ctx, uow, sender=sender, payload=payload, now=now)
    else:
        inbound.apply(ctx, uow, sender=sender, type_=message["type"], payload=payload,
                      message_id=message["message_id"])


def _apply_whole(ctx: NodeContext, uow: UnitOfWork, sender: str, message: dict, now: datetime) -> Outcome:
    """Applied in the batch's transaction itself; a refused payload undoes the whole batch (`_Refused`)."""
    try:
        _handle(ctx, uow, sender, message, now)
    except PayloadInvalid:
        raise _Refused from None
    return Outcome("applied")


def _apply(ctx: NodeContext, uow: UnitOfWork, sender: str, message: dict, now: datetime) -> Outcome:
    message_id = message["message_id"]
    savepoint = uow.conn.begin_nested()
    recorded, counted = len(uow.crossings.recorded), len(uow.crossings.counts)
    try:
        _handle(ctx, uow, sender, message, now)
        savepoint.commit()
        state, reason = "applied", None
    except PayloadInvalid as exc:
        savepoint.rollback()
        del uow.crossings.recorded[recorded:]  # nothing the refused message did may cause a reaction
        del uow.crossings.counts[counted:]  # nor count in a declarant's history
        uow.crossings.forget()  # nor be remembered as written
        state, reason = "rejected", str(exc)
        log.warning("message %s from %s not applied: %s", message_id, sender, reason)
    return Outcome(state, reason)  # the inbox row is settled with its batch (_Batch._settle)


# Built once: the hot path then only binds values to an already compiled statement.
_SETTLE = (update(t.inbox).where(t.inbox.c.message_id == bindparam("id"))
           .values(state=bindparam("state"), reason=bindparam("reason"), applied_at=bindparam("applied_at")))
_MOVE_STREAM = (update(t.inbox_streams).where(t.inbox_streams.c.sender == bindparam("s"),
                                              t.inbox_streams.c.stream == bindparam("name"))
                .values(last_seq=bindparam("last")))
_OPEN_STREAM = inserts_ignoring_conflicts(t.inbox_streams, [t.inbox_streams.c.sender, t.inbox_streams.c.stream])
_INSERT = {name: statement.returning(t.inbox.c.message_id)  # rowcount is not reliable for ON CONFLICT everywhere
           for name, statement in inserts_ignoring_conflicts(t.inbox, [t.inbox.c.message_id]).items()}

