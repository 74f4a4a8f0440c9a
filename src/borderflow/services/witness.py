"""Cross-witnessing: each node hands its signed audit checkpoints to the partner, which keeps them.

Whoever can write one node's database (and even read its key) can rewrite that node's history and
sign it again, but cannot reach into the partner's database: there the old checkpoints stay. Every
checkpoint goes out on one exchange stream, `audit`, with a consistency proof from the checkpoint
sent before it. The exchange applies a stream exactly once and in order, so that earlier checkpoint
is the newest one the partner holds: the partner checks the signature and the proof against it and
refuses (the receipt says why, the inbox keeps the message) anything that does not extend it. The
receipt of an applied checkpoint is the sender's proof that the partner has it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from borderflow.domain import merkle
from borderflow.domain.errors import Problem
from borderflow.exchange import envelope as env
from borderflow.exchange.messages import AuditCheckpoint, PayloadInvalid
from borderflow.services import partner as partner_messages
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.sql import insert_ignore
from borderflow.store.unit_of_work import UnitOfWork

log = logging.getLogger("borderflow.audit")
STREAM = "audit"


def _sent_key(partner: str) -> str:
    return f"audit_checkpoint_sent:{partner}"


def publish(ctx: NodeContext, uow: UnitOfWork, checkpoint: dict[str, Any], mth: merkle.MTH) -> None:
    """Queue `checkpoint` for every partner, proved consistent with the last one each was sent."""
    if ctx.exchange is None:
        return
    s = t.node_state.c
    for partner in ctx.exchange.partners:
        insert_ignore(uow.conn, t.node_state, {"key": _sent_key(partner), "value": "{}"}, [s.key])
        sent = json.loads(uow.conn.execute(select(s.value).where(s.key == _sent_key(partner))).scalar_one())
        previous = sent.get("tree_size")
        proof = merkle.consistency_proof(previous, checkpoint["tree_size"], mth) if previous else []
        partner_messages.send(ctx, uow, type_="audit_checkpoint", recipient=partner, stream=STREAM, payload={
            "checkpoint": checkpoint, "previous_size": previous, "consistency": [h.hex() for h in proof]})
        uow.conn.execute(t.node_state.update().where(s.key == _sent_key(partner))
                         .values(value=json.dumps({"tree_size": checkpoint["tree_size"]})))


def _acked_key(partner: str) -> str:
    return f"audit_checkpoint_acknowledged:{partner}"


def harvest(ctx: NodeContext, uow: UnitOfWork) -> None:
    """Keep the newest checkpoint each partner acknowledged, with its signed receipt: delivered outbox
    rows are archived after a while (services/prune), the acknowledgement must outlive them."""
    if ctx.exchange is None:
        return
    s = t.node_state.c
    for partner, row in unharvested(ctx, uow.conn):
        insert_ignore(uow.conn, t.node_state, {"key": _acked_key(partner), "value": "{}"}, [s.key])
        uow.conn.execute(t.node_state.update().where(s.key == _acked_key(partner)).values(value=json.dumps(
            {"message_id": row.message_id, "checkpoint": row.payload["checkpoint"], "receipt": row.receipt})))


def unharvested(ctx: NodeContext, conn) -> list[tuple[str, Any]]:  # noqa: ANN001
    """Per partner, its newest applied receipt for a checkpoint, where `harvest` has not kept it yet."""
    o, found = t.outbox.c, []
    for partner in ctx.exchange.partners if ctx.exchange else ():
        row = conn.execute(select(o.message_id, o.payload, o.receipt).where(
            o.recipient == partner, o.type == "audit_checkpoint", o.state == "delivered")
            .order_by(o.seq.desc()).limit(1)).first()
        if row is None or not isinstance(row.receipt, dict) or row.receipt.get("status") != "applied":
            continue
        if (acknowledged(conn, partner) or {}).get("message_id") != row.message_id:
            found.append((partner, row))
    return found


def acknowledged(conn, partner: str) -> dict[str, Any] | None:  # noqa: ANN001
    """The newest acknowledgement `harvest` kept: message_id, checkpoint and the partner's receipt."""
    s = t.node_state.c
    value = conn.execute(select(s.value).where(s.key == _acked_key(partner))).scalar()
    return json.loads(value) if value else None


def _refuse(field: str, message: str, code: str) -> PayloadInvalid:
    log.error("refused a partner's audit checkpoint: %s", message)
    return PayloadInvalid([Problem(f"payload.{field}", message, code)])


def receive(ctx: NodeContext, uow: UnitOfWork, *, sender: str, payload: AuditCheckpoint, now: datetime) -> None:
    """Keep the partner's checkpoint if it is signed by the partner and extends the newest one we hold."""
    document = payload.checkpoint.model_dump()
    try:
        env.verify(document, ctx.exchange.partners[sender].public_keys)
    except env.SignatureRejected as exc:
        raise _refuse("checkpoint.signature", f"checkpoint signature rejected: {exc}", "audit.signature") from None
    if document["node"] != sender:
        raise _refuse("checkpoint.node", f"a checkpoint of {document['node']!r}, sent by {sender!r}", "audit.node")
    size, root = document["tree_size"], bytes.fromhex(document["root_hash"])
    w = t.audit_witnessed.c
    held = uow.conn.execute(select(w.tree_size, w.root_hash).where(w.partner == sender)
                            .order_by(w.tree_size.desc()).limit(1)).first()
    if held is not None:
        if size < held.tree_size:
            raise _refuse("checkpoint.tree_size", f"tree size {size} is smaller than the {held.tree_size} already "
                                                  "witnessed: a log only grows", "audit.shrunk")
        if size == held.tree_size:
            if held.root_hash != document["root_hash"]:
                raise _refuse("checkpoint.root_hash", f"a second, different root for tree size {size}: "
                                                      "the log was rewritten", "audit.forked")
            return
        if payload.previous_size != held.tree_size:
            raise _refuse("previous_size", f"the proof starts at tree size {payload.previous_size}, but the newest "
                                           f"checkpoint witnessed here has {held.tree_size}: the log was rewritten "
                                           "or lost its checkpoints", "audit.proof_base")
        proof = [bytes.fromhex(h) for h in payload.consistency]
        if not merkle.verify_consistency(held.tree_size, size, bytes.fromhex(held.root_hash), root, proof):
            raise _refuse("consistency", f"tree size {size} does not extend the checkpoint of size {held.tree_size} "
                                         "witnessed here: the log was rewritten", "audit.inconsistent")
    uow.conn.execute(insert(t.audit_witnessed).values(
        partner=sender, tree_size=size, root_hash=document["root_hash"],
        issued_at=datetime.fromisoformat(document["issued_at"]), document=document, received_at=now))
