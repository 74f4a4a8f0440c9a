"""The exchange as officers and operators see it: link status, message logs, capacity,
and the reports this side publishes (incidents, hazard alerts, acceptance capacity)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update

from borderflow.domain.messages import say
from borderflow.domain.errors import Forbidden, NotFound, Problem, ValidationFailed
from borderflow.domain.roles import Principal
from borderflow.exchange import messages as m
from borderflow.domain.directions import LANE_DIRECTIONS
from borderflow.services import announce, partner
from borderflow.services.context import NodeContext
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork


def _guard(principal: Principal, permission: str, what: str) -> None:
    if not principal.may(permission):
        raise Forbidden(f"role {principal.role} may not {what}")


def status(ctx: NodeContext, uow: UnitOfWork, principal: Principal) -> list[dict]:
    _guard(principal, "exchange.read", "read the exchange status")
    now, o, i = ctx.clock.now(), t.outbox.c, t.inbox.c
    links = {row.partner: row for row in uow.conn.execute(select(t.partner_links))}
    answer = []
    for partner_id, link in ctx.exchange.partners.items():
        row = links.get(partner_id)
        pending = uow.conn.execute(select(func.count(), func.min(o.created_at)).where(
            o.recipient == partner_id, o.state == "pending")).one()
        by_state = dict(uow.conn.execute(select(o.state, func.count()).where(o.recipient == partner_id)
                                         .group_by(o.state)).all())
        inbox = dict(uow.conn.execute(select(i.state, func.count()).where(i.sender == partner_id)
                                      .group_by(i.state)).all())
        answer.append({
            "partner": partner_id, "url": link.url, "api_key_configured": link.api_key is not None,
            "partner_keys": sorted(link.public_keys),
            "last_contact_at": iso(row.last_contact_at) if row else None,
            "last_error": row.last_error if row else None, "last_error_at": iso(row.last_error_at) if row else None,
            "outbox_depth": pending[0],
            "oldest_undelivered_age_s": round((now - pending[1]).total_seconds(), 3) if pending[1] else None,
            "delivered": by_state.get("delivered", 0), "rejected_by_partner": by_state.get("rejected", 0),
            "received": {"applied": inbox.get("applied", 0), "held": inbox.get("held", 0),
                         "rejected": inbox.get("rejected", 0)},
        })
    return answer


def outbox(uow: UnitOfWork, principal: Principal, *, partner_id: str | None, state: str | None,
           stream: str | None, limit: int, offset: int) -> list[dict]:
    _guard(principal, "exchange.read", "read partner messages")
    o = t.outbox.c
    query = select(t.outbox).order_by(o.id).limit(limit).offset(offset)
    for column, value in ((o.recipient, partner_id), (o.state, state), (o.stream, stream)):
        if value is not None:
            query = query.where(column == value)
    return [{"message_id": r.message_id, "type": r.type, "recipient": r.recipient, "stream": r.stream, "seq": r.seq,
             "state": r.state, "attempts": r.attempts, "created_at": iso(r.created_at),
             "delivered_at": iso(r.delivered_at), "last_error": r.last_error, "payload": r.payload,
             "receipt": r.receipt} for r in uow.conn.execute(query)]


def inbox(uow: UnitOfWork, principal: Principal, *, sender: str | None, state: str | None, stream: str | None,
          limit: int, offset: int) -> list[dict]:
    _guard(principal, "exchange.read", "read partner messages")
    i = t.inbox.c
    query = select(t.inbox).order_by(i.received_at, i.stream, i.seq).limit(limit).offset(offset)
    for column, value in ((i.sender, sender), (i.state, state), (i.stream, stream)):
        if value is not None:
            query = query.where(column == value)
    return [{"message_id": r.message_id, "sender": r.sender, "type": r.type, "stream": r.stream, "seq": r.seq,
             "state": r.state, "reason": r.reason, "received_at": iso(r.received_at), "applied_at": iso(r.applied_at),
             "envelope": r.envelope} for r in uow.conn.execute(query)]


def rejections(uow: UnitOfWork, principal: Principal, *, limit: int, offset: int) -> list[dict]:
    _guard(principal, "exchange.read", "read refused partner messages")
    r = t.exchange_rejections.c
    rows = uow.conn.execute(select(t.exchange_rejections).order_by(r.id.desc()).limit(limit).offset(offset))
    return [{"id": x.id, "message_id": x.message_id, "claimed_sender": x.claimed_sender, "principal": x.principal,
             "reason": x.reason, "at": iso(x.at)} for x in rows]


def capacity(ctx: NodeContext, uow: UnitOfWork, principal: Principal) -> list[dict]:
    """The partner's latest acceptance notice per gate, with its age and whether it still counts
    (a stale notice no longer caps call-forward: the fallback rate does, since `stale_since`)."""
    _guard(principal, "exchange.read", "read the partner's capacity")
    now, max_age = ctx.clock.now(), ctx.yard.partner_notice_max_age
    answer = []
    for r in uow.conn.execute(select(t.partner_capacity).order_by(t.partner_capacity.c.gate)):
        stale = now - r.issued_at > max_age
        answer.append({"partner": r.partner, "gate": r.gate, "facing_gate": r.facing_gate,
                       "issued_at": iso(r.issued_at), "received_at": iso(r.received_at),
                       "age_s": round((now - r.issued_at).total_seconds(), 1), "stale": stale,
                       "stale_since": iso(r.issued_at + max_age) if stale else None,
                       "fallback_per_hour": ctx.yard.partner_fallback_per_hour,
                       **{k: r.notice[k] for k in ("hours", "closures")}})
    return answer


def reports(uow: UnitOfWork, principal: Principal, *, kind: str | None, limit: int, offset: int) -> list[dict]:
    _guard(principal, "exchange.read", "read incident reports and hazard alerts")
    r = t.exchange_reports.c
    query = select(t.exchange_reports).order_by(r.at.desc()).limit(limit).offset(offset)
    if kind is not None:
        query = query.where(r.kind == kind)
    return [{"message_id": x.message_id, "kind": x.kind, "direction": x.direction, "partner": x.partner,
             "gate": x.gate, "at": iso(x.at), **x.payload} for x in uow.conn.execute(query)]


def _our_gate(ctx: NodeContext, code: str) -> tuple[str, str]:
    gate = ctx.node.gate(code.upper())
    if gate is None:
        raise ValidationFailed([Problem("gate", f"gate {code!r} is not operated by node {ctx.node.id}; expected one "
                                                f"of {', '.join(ctx.node.gates)}", "gate.unknown")])
    recipient = ctx.partner_for(gate.code)
    if recipient is None:
        raise ValidationFailed([Problem("gate", f"no partner node is configured for {gate.code}; add one under "
                                                "[partners] in the node file", "partner.none")])
    return gate.code, recipient


def publish_report(ctx: NodeContext, uow: UnitOfWork, principal: Principal, kind: str,
                   body: dict[str, Any]) -> tuple[int, dict]:
    """An incident report or hazard alert for the partner: validated, stored, queued."""
    _guard(principal, "exchange.report", "publish incident reports or hazard alerts")
    gate, recipient = _our_gate(ctx, str(body.get("gate", "")))
    payload = {**body, "gate": gate, "id": body.get("id") or str(uuid.uuid4())}
    try:
        model = m.parse_payload(kind, 1, payload)
    except m.PayloadInvalid as exc:
        raise ValidationFailed([Problem(p.loc.removeprefix("payload."), p.msg, p.code) for p in exc.problems]) from None
    document = model.model_dump(mode="json")
    stream = "incidents" if kind == "incident_report" else "hazards"
    message_id = partner.send(ctx, uow, type_=kind, recipient=recipient, stream=stream, payload=document)
    now = ctx.clock.now()
    uow.conn.execute(insert(t.exchange_reports).values(message_id=message_id, kind=kind, direction="sent",
                                                       partner=recipient, gate=gate, payload=document, at=now))
    uow.log_action(at=now, actor=principal.actor, action=f"exchange.{kind}", subject=message_id,
                   data={"gate": gate, "partner": recipient})
    if kind == "hazard_alert" and model.severity in CLOSING_SEVERITIES:
        _close_for(ctx, uow, principal, model)
    return 201, {"message_id": message_id, "kind": kind, "partner": recipient, **document}


CLOSING_SEVERITIES = frozenset({"warning", "emergency"})


def _close_for(ctx: NodeContext, uow: UnitOfWork, principal: Principal, alert: m.HazardAlert) -> None:
    """A hazard warning closes the gate for goods while it lasts (until a supervisor withdraws the
    closure, when no end is given), and the partner hears the new capacity at once."""
    now, gate = ctx.clock.now(), ctx.node.gate(alert.gate)
    until = alert.valid_until or max(alert.valid_from, now) + timedelta(hours=ctx.yard.announce_hours)
    if until <= alert.valid_from:
        return  # an alert that ends before it starts closes nothing
    reason = f"hazard {alert.severity}: {alert.hazard.replace('_', ' ')} ({alert.summary})"[:500]
    for direction in LANE_DIRECTIONS:
        uow.conn.execute(insert(t.capacity_overrides).values(
            gate=gate.code, direction=direction, starts_at=alert.valid_from, ends_at=until, trucks_per_hour=None,
            reason=reason, created_by=principal.actor, created_at=now))
    announce.announce(ctx, uow, gate, actor=principal.actor)


def publish_capacity(ctx: NodeContext, uow: UnitOfWork, principal: Principal, body: dict[str, Any]) -> tuple[int, dict]:
    """Announce this side's acceptance capacity at one gate now. Nobody types the numbers: they
    come from the capacity calendar, which a supervisor changes with capacity overrides."""
    _guard(principal, "exchange.capacity", "announce acceptance capacity")
    typed = sorted(set(body) - {"gate"})
    if typed:
        raise ValidationFailed([Problem(key, "the acceptance capacity is computed from this node's capacity "
                                             "calendar, not typed; change the calendar with POST /api/v1/gates/"
                                             "{gate}/capacity-overrides and give only `gate` here",
                                        "capacity.computed") for key in typed])
    gate, _ = _our_gate(ctx, str(body.get("gate", "")))
    message_id = announce.announce(ctx, uow, ctx.node.gate(gate), force=True, actor=principal.actor)
    o = t.outbox.c
    payload = uow.conn.execute(select(o.payload, o.recipient).where(o.message_id == message_id)).one()
    return 201, {"message_id": message_id, "partner": payload.recipient, **payload.payload}


def replay(ctx: NodeContext, uow: UnitOfWork, *, partner_id: str, since: datetime) -> int:
    """Queue again everything made since `since`: for a partner that lost data. Its inbox
    drops what it still has (same message ids); the rest is applied in order."""
    if partner_id not in ctx.exchange.partners:
        raise NotFound(say("what.partner", id=partner_id, configured=", ".join(ctx.exchange.partners) or "none"))
    o = t.outbox.c
    count = uow.conn.execute(update(t.outbox).where(o.recipient == partner_id, o.created_at >= since).values(
        state="pending", delivered_at=None, next_attempt_at=None, last_error=None)).rowcount
    uow.log_action(at=ctx.clock.now(), actor="operator:cli", action="exchange.replay", subject=partner_id,
                   data={"since": since.isoformat(), "messages": count})
    return count
