"""This node's acceptance capacity, announced to the partner by itself.

The partner caps its call-forward with what we announce (SPEC §6: the 2021 jams came
from one side sending far more trucks than the other could take), so nobody types it:
it is our own inbound capacity calendar (lanes, opening hours, closures, a supervisor's
overrides) for the next 48 hours, sent as a signed capacity_notice in the same
transaction as any change to that calendar, and again at least every 15 minutes.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

from sqlalchemy import select, update

from borderflow.domain.gates import Gate
from borderflow.services import capacity, partner
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.sql import insert_ignore
from borderflow.store.unit_of_work import UnitOfWork

ACCEPTING = "inbound"  # what we accept from the partner comes in through our inbound lanes


def _key(gate: str) -> str:
    return f"capacity_notice:{gate}"


def notice(ctx: NodeContext, uow: UnitOfWork, gate: Gate, now: datetime) -> dict:
    """The capacity_notice payload for one gate, from the calendar as it stands."""
    hours = capacity.hours(ctx, uow, gate, ACCEPTING, now, ctx.yard.announce_hours)
    first, end = hours[0]["start"], hours[-1]["end"]
    o = t.capacity_overrides.c
    closed = uow.conn.execute(select(o.starts_at, o.ends_at, o.reason).where(
        o.gate == gate.code, o.direction == ACCEPTING, o.withdrawn_at.is_(None), o.trucks_per_hour.is_(None),
        o.starts_at < end, o.ends_at > first).order_by(o.starts_at, o.id))
    return {"gate": gate.code, "direction": ACCEPTING, "issued_at": now.isoformat(),
            "hours": [{"start": h["start"].isoformat(), "trucks": h["capacity"]} for h in hours],
            "closures": [{"start": c.starts_at.isoformat(), "end": c.ends_at.isoformat(), "reason": c.reason[:500]}
                         for c in closed]}


def _digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps({k: payload[k] for k in ("hours", "closures")}, sort_keys=True)
                          .encode()).hexdigest()


def announce(ctx: NodeContext, uow: UnitOfWork, gate: Gate, *, force: bool = False, actor: str = "node") -> str | None:
    """Queue a notice for the partner when the calendar changed since the last one, when the last
    one is getting old, or when asked (`force`). Returns the message id, or None if nothing was due."""
    recipient = ctx.partner_for(gate.code)
    if recipient is None:
        return None
    now = ctx.clock.now()
    payload = notice(ctx, uow, gate, now)
    digest = _digest(payload)
    s = t.node_state.c
    insert_ignore(uow.conn, t.node_state, dict(key=_key(gate.code), value="{}"), [s.key])
    last = json.loads(uow.conn.execute(select(s.value).where(s.key == _key(gate.code))).scalar_one() or "{}")
    fresh = last.get("at") and now - datetime.fromisoformat(last["at"]) < ctx.yard.announce_every
    if not force and last.get("digest") == digest and fresh:
        return None
    message_id = partner.send(ctx, uow, type_="capacity_notice", recipient=recipient,
                              stream=f"capacity:{gate.code}", payload=payload)
    uow.conn.execute(update(t.node_state).where(s.key == _key(gate.code)).values(
        value=json.dumps({"digest": digest, "at": now.isoformat(), "message_id": message_id})))
    uow.log_action(at=now, actor=actor, action="exchange.capacity_notice", subject=message_id,
                   data={"gate": gate.code, "partner": recipient, "hours": len(payload["hours"]),
                         "closures": len(payload["closures"])})
    return message_id


def announce_all(ctx: NodeContext) -> int:
    """One round for every gate, each in its own transaction: what the background loop runs."""
    sent = 0
    for gate in ctx.node.gates.values():
        with ctx.uow() as uow:
            sent += announce(ctx, uow, gate) is not None
            uow.commit()
    return sent
