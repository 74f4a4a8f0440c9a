"""Use cases of the declarant: declare once, amend without starting over, cancel."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from borderflow import schemas
from borderflow.domain.crossing import Crossing
from borderflow.domain.declaration import Declaration
from borderflow.domain.errors import Forbidden, Problem, ValidationFailed
from borderflow.domain.identifiers.plates import match_key
from borderflow.domain.messages import to_json
from borderflow.domain.roles import Principal
from borderflow.domain.selectivity import DeclarantHistory, assess, audit_draw
from borderflow.domain.signoffs import Requirement
from borderflow.domain.validation import duplicate_warnings, validate_declaration
from borderflow.services import bookings
from borderflow.services.access import load_visible
from borderflow.services.context import NodeContext
from borderflow.services.views import crossing_full, crossing_summary
from borderflow.store.repositories import CrossingRecord, container_numbers
from borderflow.store.unit_of_work import UnitOfWork

REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: nothing to misread on a phone
assert len(REFERENCE_ALPHABET) == 32  # new_reference picks a symbol by five random bits


def new_reference(gate: str) -> str:
    """The gate's prefix and seven symbols: each the low five bits of a random byte, so all 32 are as likely,
    from one read of the system's randomness (seven `secrets.choice` were seven reads)."""
    return f"{gate[:3]}-" + "".join(REFERENCE_ALPHABET[byte & 31] for byte in secrets.token_bytes(7))


def _checked(ctx: NodeContext, principal: Principal, model: schemas.DeclarationIn) -> tuple[dict, Declaration]:
    declaration = model.to_domain()
    problems = validate_declaration(declaration, ctx.validation())
    if principal.role == "declarant" and declaration.declarant.tax_id != principal.declarant_tax_id:
        problems.insert(0, Problem("declarant.tax_id", f"this key declares for {principal.declarant_tax_id}, "
                                                       f"not {declaration.declarant.tax_id}; expected your own tax id",
                                   "declarant.not_yours"))
    if problems:
        raise ValidationFailed(problems)
    return schemas.declaration_json(model), declaration


def _assess(ctx: NodeContext, uow: UnitOfWork, crossing_id: str, declaration: Declaration):  # noqa: ANN202
    history = DeclarantHistory(**uow.crossings.history(declaration.declarant.tax_id))
    return assess(declaration, history, ctx.rules, audit_draw(ctx.secret, crossing_id))


def _signoffs(ctx: NodeContext, declaration: Declaration, risk_lane: str) -> dict[str, Requirement]:
    """The agencies this crossing needs, by the rules file's [[signoffs]]."""
    hs_codes = tuple("".join(ch for ch in g.hs_code if ch.isdigit()) for g in declaration.goods)
    return ctx.signoff_rules.required(risk_lane=risk_lane, direction=declaration.direction, hs_codes=hs_codes)


def declare(ctx: NodeContext, uow: UnitOfWork, principal: Principal,
            body: schemas.DeclarationIn) -> tuple[int, dict]:
    if not principal.may("crossing.declare"):
        raise Forbidden(f"role {principal.role} may not declare crossings")
    document, declaration = _checked(ctx, principal, body)
    record = create(ctx, uow, declaration, document, actor=principal.actor, cause="declaration submitted")
    view = crossing_full(record, uow.crossings.events(record.crossing.id))
    view["warnings"] = _warnings(uow, principal, record, declaration)
    return 201, view


def _warnings(uow: UnitOfWork, principal: Principal, record: CrossingRecord, declaration: Declaration) -> list[dict]:
    """What the declarant should look at before the truck comes: another active declaration of
    the same plate or container, said and never refused. A declarant hears only of its own
    crossings (the one it may have typed twice, and the only ones it may learn exist: a reference
    with the plate opens the driver's page); an officer declaring hears of every one.

    Part of the answer, so an idempotent replay says the same even after the other one ended."""
    own = principal.declarant_tax_id if principal.role == "declarant" else None
    active = uow.crossings.active_alike(plate_key=match_key(declaration.vehicle.plate),
                                        containers=container_numbers(record.declaration),  # as the rows hold them
                                        exclude=record.crossing.id, declarant=own)
    ids = {other.reference: other_id for other_id, other in active}
    return [{"loc": w.loc, "code": w.code, "params": to_json(w.params), "msg": str(w.msg),
             "crossing_id": ids.get(w.params.get("reference"))}
            for w in duplicate_warnings(declaration, [other for _, other in active])]


def create(ctx: NodeContext, uow: UnitOfWork, declaration: Declaration, document: dict, *, actor: str, cause: str,
           **partner_fields: Any) -> CrossingRecord:
    """A new crossing, assessed: from a declarant here, or from the partner's pre-arrival notice."""
    now = ctx.clock.now()
    crossing_id = str(uuid.uuid4())
    assessment = _assess(ctx, uow, crossing_id, declaration)
    crossing = Crossing.declare(id=crossing_id, reference=new_reference(declaration.gate),
                                direction=declaration.direction, gate=declaration.gate,
                                declarant_tax_id=declaration.declarant.tax_id, risk_lane=assessment.lane,
                                risk_reasons=list(assessment.reasons), at=now, actor=actor, cause=cause,
                                signoffs=_signoffs(ctx, declaration, assessment.lane))
    record = uow.crossings.add(crossing, document, plate=declaration.vehicle.plate,
                               plate_key=match_key(declaration.vehicle.plate),
                               trailer_plate=declaration.vehicle.trailer_plate,
                               expected_arrival=declaration.expected_arrival, at=now, actor=actor, **partner_fields)
    uow.crossings.count_history(declaration.declarant.tax_id, crossings=1,
                                red_lanes=int(assessment.lane == "red"))
    uow.log_action(at=now, actor=actor, action="crossing.declare", subject=crossing_id,
                   data={"reference": crossing.reference, "risk_lane": assessment.lane, "rules": list(assessment.rules)})
    return record


def amend(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str, patch: Any) -> tuple[int, dict]:
    if not principal.may("crossing.amend"):
        raise Forbidden(f"role {principal.role} may not amend crossings")
    record = load_visible(uow, principal, crossing_id, for_update=True)
    if not isinstance(patch, dict):
        raise ValidationFailed([Problem("body", "expected a JSON object with the fields to change",
                                                "type.object")])
    merged = schemas.merge(record.declaration, patch)
    for fixed in ("direction", "gate"):
        if merged.get(fixed) != record.declaration.get(fixed):
            raise ValidationFailed([Problem(fixed, f"{fixed} cannot change by amendment; cancel this "
                                                           "crossing and declare a new one", "amend.fixed")])
    document, declaration = _checked(ctx, principal, schemas.parse_declaration(merged))
    record = reassess(ctx, uow, record, declaration, document, actor=principal.actor, fields=sorted(patch))
    return 201, crossing_full(record, uow.crossings.events(crossing_id))


def reassess(ctx: NodeContext, uow: UnitOfWork, record: CrossingRecord, declaration: Declaration, document: dict,
             *, actor: str, fields: list[str]) -> CrossingRecord:
    """A new version of the declaration, assessed again; the history keeps every version.

    A slot booking belongs to the vehicle: if the plate changes, the booking is released (the
    new vehicle may book afresh), never handed to the new plate."""
    now = ctx.clock.now()
    crossing = record.crossing
    assessment = _assess(ctx, uow, crossing.id, declaration)
    crossing.reassess(risk_lane=assessment.lane, risk_reasons=list(assessment.reasons),
                      version=crossing.version + 1, at=now, actor=actor,
                      signoffs=_signoffs(ctx, declaration, assessment.lane))
    plate_key = match_key(declaration.vehicle.plate)  # record.plate is still the old vehicle's
    released = bookings.release_for_new_vehicle(uow, crossing.id, now, actor=actor) \
        if plate_key != match_key(record.plate) else None
    if released is not None:
        crossing.note("booking_released", at=now, actor=actor,
                      cause=f"the vehicle changed from {record.plate} to {declaration.vehicle.plate}: the "
                            f"{released['slot_start']} booking stays with the old vehicle and was released; "
                            "book again for the new one",
                      slot_start=released["slot_start"], booking_id=released["id"])
    uow.crossings.save(record, at=now, declaration=document, plate=declaration.vehicle.plate,
                       plate_key=plate_key, trailer_plate=declaration.vehicle.trailer_plate,
                       expected_arrival=declaration.expected_arrival, actor=actor)
    data = {"version": crossing.version, "risk_lane": assessment.lane, "fields": fields}
    if released is not None:
        data["booking_released"] = {"id": released["id"], "slot_start": released["slot_start"],
                                    "reason": "vehicle changed"}
    uow.log_action(at=now, actor=actor, action="crossing.amend", subject=crossing.id, data=data)
    return uow.crossings.get(crossing.id)


def cancel(ctx: NodeContext, uow: UnitOfWork, principal: Principal, crossing_id: str, reason: str) -> tuple[int, dict]:
    if not principal.may("crossing.cancel"):
        raise Forbidden(f"role {principal.role} may not cancel crossings")
    record = load_visible(uow, principal, crossing_id, for_update=True)
    now = ctx.clock.now()
    record.crossing.apply("cancel", at=now, actor=principal.actor, cause=reason or "cancelled by the declarant")
    uow.crossings.save(record, at=now)
    uow.log_action(at=now, actor=principal.actor, action="crossing.cancel", subject=crossing_id,
                   data={"reason": reason})
    return 200, crossing_summary(record)


def read(uow: UnitOfWork, principal: Principal, crossing_id: str) -> dict:
    if not principal.may("crossing.read"):
        raise Forbidden(f"role {principal.role} may not read crossings")
    record = load_visible(uow, principal, crossing_id)
    return crossing_full(record, uow.crossings.events(crossing_id), uow.inspections(crossing_id))


def versions(uow: UnitOfWork, principal: Principal, crossing_id: str) -> list[dict]:
    if not principal.may("crossing.read"):
        raise Forbidden(f"role {principal.role} may not read declarations")
    load_visible(uow, principal, crossing_id)
    return [{**v, "created_at": v["created_at"].isoformat()} for v in uow.crossings.versions(crossing_id)]


def search(uow: UnitOfWork, principal: Principal, *, status: str | None, gate: str | None, plate: str | None,
           risk_lane: str | None, limit: int, offset: int) -> list[dict]:
    if not principal.may("crossing.read"):
        raise Forbidden(f"role {principal.role} may not read crossings")
    declarant = principal.declarant_tax_id if principal.role == "declarant" else None
    records = uow.crossings.list(status=status, gate=gate, plate_key=match_key(plate) if plate else None,
                                 declarant=declarant, risk_lane=risk_lane, limit=limit, offset=offset)
    return [crossing_summary(r) for r in records]
