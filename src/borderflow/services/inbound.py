"""What a trusted message from the partner changes here, one handler per message type.

Called by the exchange inside the receiving transaction, in stream order. A handler
that cannot apply its payload raises PayloadInvalid, which the partner sees in its
receipt; nothing it half-did survives.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update

from borderflow import schemas
from borderflow.domain import lifecycle
from borderflow.domain.messages import say
from borderflow.domain.errors import Conflict, Problem, ValidationFailed
from borderflow.domain.gates import Gate
from borderflow.exchange import messages as m
from borderflow.services import crossings, partner, statistics_exchange
from borderflow.services.context import NodeContext
from borderflow.store import tables as t
from borderflow.store.repositories import CrossingRecord
from borderflow.store.unit_of_work import UnitOfWork


def apply(ctx: NodeContext, uow: UnitOfWork, *, sender: str, type_: str, payload: m.Payload,
          message_id: str) -> None:
    HANDLERS[type_](ctx, uow, sender, payload, message_id)


def prepare(uow: UnitOfWork, messages: list[tuple[str, str, Any]]) -> None:
    """What a delivery's handlers will look up, read once for the whole delivery before any is applied:
    which announced crossings are new here, and the crossings the partner's news is about.
    `messages`: (sender, type, payload as sent, unchecked)."""
    announced: dict[str, set[str]] = {}
    counterparts: set[str] = set()  # our crossings the partner's news is about, locked as `_counterpart` would
    for sender, type_, payload in messages:
        if not isinstance(payload, dict):
            continue
        if type_ == "pre_arrival_notice" and isinstance(payload.get("crossing_id"), str):
            announced.setdefault(sender, set()).add(payload["crossing_id"])
        elif type_ in ("crossing_status", "clearance_result") and isinstance(payload.get("counterpart_id"), str):
            counterparts.add(payload["counterpart_id"])
    for sender, crossing_ids in announced.items():
        uow.crossings.note_partner_crossings(sender, crossing_ids)
    uow.crossings.load(counterparts, for_update=True)


def _invalid(field: str, message: str, code: str) -> m.PayloadInvalid:
    return m.PayloadInvalid([Problem(f"payload.{field}", message, code)])


def facing_gate(ctx: NodeContext, partner_gate: str) -> Gate:
    gate = next((g for g in ctx.node.gates.values() if g.partner_gate == partner_gate), None)
    if gate is None:
        raise _invalid("gate", f"{partner_gate!r} does not face any gate of node {ctx.node.id} "
                               f"({', '.join(ctx.node.gates)})", "gate.not_facing")
    return gate


def pre_arrival_notice(ctx: NodeContext, uow: UnitOfWork, sender: str, p: m.PreArrivalNotice, message_id: str) -> None:
    """The partner's export crossing becomes our import crossing, assessed by our own rules."""
    gate = facing_gate(ctx, p.gate)
    document = {**p.declaration, "gate": gate.code, "direction": "import"}
    try:
        model = schemas.parse_declaration(document)
    except ValidationFailed as exc:
        raise m.PayloadInvalid([Problem(f"payload.declaration.{x.loc}", x.msg, x.code) for x in exc.problems]) from None
    declaration, document = model.to_domain(), schemas.declaration_json(model)
    actor = f"partner:{sender}"
    now = ctx.clock.now()
    existing = uow.crossings.by_partner(sender, p.crossing_id, for_update=True)
    if existing is None:
        crossings.create(ctx, uow, declaration, document, actor=actor,
                         cause=say("history.pre_arrival", sender=sender, reference=p.reference, risk_lane=p.risk_lane),
                         origin_node=sender, crossing_id=p.crossing_id, reference=p.reference,
                         status="declared", status_at=now)
        return
    if existing.crossing.status in lifecycle.AMENDABLE:
        crossings.reassess(ctx, uow, existing, declaration, document, actor=actor, fields=["partner amendment"])
        return
    existing.crossing.note("partner_amendment", at=now, actor=actor,
                           cause=say("history.partner_amended_late", sender=sender, version=p.version,
                                     status=existing.crossing.status), version=p.version)
    uow.crossings.save(existing, at=now)


def _counterpart(uow: UnitOfWork, ctx: NodeContext, sender: str, crossing_id: str,
                 counterpart_id: str | None) -> CrossingRecord:
    record = None
    if counterpart_id:
        record = uow.crossings.get(counterpart_id, for_update=True)
        if record is not None and partner.recipient_for(ctx, record) != sender:
            record = None  # not a crossing this partner has any say about
    if record is None:
        record = uow.crossings.by_partner(sender, crossing_id, for_update=True)
    if record is None:
        raise _invalid("crossing_id", f"no crossing here corresponds to {sender}'s crossing {crossing_id}",
                       "crossing.unknown")
    return record


def crossing_status(ctx: NodeContext, uow: UnitOfWork, sender: str, p: m.CrossingStatus, message_id: str) -> None:
    record = _counterpart(uow, ctx, sender, p.crossing_id, p.counterpart_id)
    crossing, now, actor = record.crossing, ctx.clock.now(), f"partner:{sender}"
    partner_cause = m.said(p.cause, getattr(p, "cause_said", None))  # version 2 says it as a code too
    cause = say("history.partner_status", sender=sender, status=p.status, cause=partner_cause)
    try:
        if crossing.direction == "import" and p.status == "exited":
            crossing.apply("depart_partner", at=now, actor=actor, cause=say("history.partner_left", sender=sender))
        elif p.status in ("cancelled", "refused") and crossing.status in (lifecycle.DECLARED, lifecycle.IN_TRANSIT):
            # The other side will not take (or send) this truck: both sides end up cancelled.
            crossing.apply("cancel", at=now, actor=actor, cause=cause)
        elif p.status in ("cancelled", "refused") and crossing.status in (lifecycle.ARRIVED, lifecycle.INSPECTING,
                                                                          lifecycle.RELEASED):
            crossing.apply("hold", at=now, actor=actor, cause=say("history.partner_stop", sender=sender,
                                                                   status=p.status, cause=partner_cause))
        else:
            crossing.note("partner_status", at=now, actor=actor, cause=cause, partner_status=p.status)
    except Conflict:  # our side has moved on already (the truck is here): keep the news only
        crossing.note("partner_status", at=now, actor=actor, cause=cause, partner_status=p.status)
    uow.crossings.save(record, at=now, partner=dict(crossing_id=p.crossing_id, reference=p.reference,
                                                    status=p.status, status_at=p.at))


def clearance_result(ctx: NodeContext, uow: UnitOfWork, sender: str, p: m.ClearanceResult, message_id: str) -> None:
    record = _counterpart(uow, ctx, sender, p.crossing_id, p.counterpart_id)
    now = ctx.clock.now()
    record.crossing.note("partner_clearance", at=now, actor=f"partner:{sender}",
                         cause=say("history.partner_clearance", sender=sender, decision=p.decision,
                                   risk_lane=p.risk_lane), decision=p.decision)
    uow.crossings.save(record, at=now, partner=dict(outcome=p.model_dump(mode="json")))


def capacity_notice(ctx: NodeContext, uow: UnitOfWork, sender: str, p: m.CapacityNotice, message_id: str) -> None:
    facing = facing_gate(ctx, p.gate)
    c = t.partner_capacity.c
    current = uow.conn.execute(select(c.issued_at).where(c.partner == sender, c.gate == p.gate)).scalar()
    values: dict[str, Any] = dict(facing_gate=facing.code, issued_at=p.issued_at,
                                  notice=p.model_dump(mode="json"), received_at=ctx.clock.now())
    if current is None:
        uow.conn.execute(insert(t.partner_capacity).values(partner=sender, gate=p.gate, **values))
    elif p.issued_at > current:  # an older notice arriving late never overrides a newer one
        uow.conn.execute(update(t.partner_capacity).where(c.partner == sender, c.gate == p.gate).values(**values))


def report(ctx: NodeContext, uow: UnitOfWork, sender: str, p: m.IncidentReport | m.HazardAlert,
           message_id: str) -> None:
    facing_gate(ctx, p.gate)
    kind = "incident_report" if isinstance(p, m.IncidentReport) else "hazard_alert"
    uow.conn.execute(insert(t.exchange_reports), dict(
        message_id=message_id, kind=kind, direction="received", partner=sender, gate=p.gate,
        payload=p.model_dump(mode="json"), at=ctx.clock.now()))


HANDLERS = {
    "pre_arrival_notice": pre_arrival_notice,
    "crossing_status": crossing_status,
    "clearance_result": clearance_result,
    "capacity_notice": capacity_notice,
    "incident_report": report,
    "hazard_alert": report,
    "statistics_report": statistics_exchange.receive,  # kept for the mirror reconciliation
}
