"""Every rule a declaration must satisfy, checked at once so the declarant sees all errors.

Reference data (HS catalogue, country and currency codes, the node) comes in
through `ValidationContext`, so this module stays free of I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from borderflow.domain import commodities, designations
from borderflow.domain.declaration import Declaration
from borderflow.domain.errors import IdentifierError, Problem
from borderflow.domain.gates import Node
from borderflow.domain.identifiers.containers import parse_container, parse_size_type
from borderflow.domain.identifiers.hscodes import parse_hs_code
from borderflow.domain.identifiers.phones import parse_phone
from borderflow.domain.identifiers.plates import match_key, parse_plate
from borderflow.domain.messages import Message, say
from borderflow.domain.weights import legal_limit_kg

TAX_ID = re.compile(r"^\d{10}(-?\d{3})?$|^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
CUSTOMS_NO = re.compile(r"^\d{12}$|^\d{18}$")
REGISTRATION_CODE = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]{3,31}$")


@dataclass(frozen=True)
class ValidationContext:
    node: Node
    now: datetime
    hs_subheadings: Container[str]
    countries: Container[str]
    currencies: Container[str]
    phone_ok: Callable[[str], bool]  # kept for callers; numbers are read by identifiers.phones
    max_days_ahead: int = 14
    past_grace: timedelta = timedelta(minutes=30)
    designations: designations.Designations | None = None  # None: every gate takes every group
    commodity_groups: designations.CommodityGroups | None = None


class _Problems(list):
    def add(self, loc: str, msg: Message, code: str) -> None:
        self.append(Problem(loc, msg, code))

    def identifier(self, loc: str, parse: Callable[[], object]) -> object | None:
        try:
            return parse()
        except IdentifierError as exc:
            self.add(loc, exc.msg, exc.code)
            return None


def validate_declaration(decl: Declaration, ctx: ValidationContext) -> list[Problem]:
    problems = _Problems()
    _check_route(decl, ctx, problems)
    _check_parties(decl, ctx, problems)
    _check_vehicle(decl, ctx, problems)
    _check_goods(decl, ctx, problems)
    _check_containers(decl, problems)
    _check_documents(decl, ctx, problems)
    _check_designations(decl, ctx, problems)
    return list(problems)


def _check_designations(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    gate = ctx.node.gate(decl.gate)
    if None in (ctx.designations, ctx.commodity_groups, gate) or decl.expected_arrival.tzinfo is None:
        return
    names = {code: g.name for code, g in ctx.node.gates.items()}
    p.extend(designations.declaration_problems(decl, gate, ctx.designations, ctx.commodity_groups, names))


def _check_route(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    gate = ctx.node.gate(decl.gate)
    if gate is None:
        p.add("gate", say("gate.unknown", gate=decl.gate, node=ctx.node.id, gates=", ".join(sorted(ctx.node.gates))),
              "gate.unknown")
    at = decl.expected_arrival
    if at.tzinfo is None:
        p.add("expected_arrival", say("time.naive"), "time.naive")
        return
    if at < ctx.now - ctx.past_grace:
        after = (ctx.now - ctx.past_grace).isoformat(timespec="minutes")
        p.add("expected_arrival", say("time.past", at=at.isoformat(), after=after), "time.past")
    elif at > ctx.now + timedelta(days=ctx.max_days_ahead):
        p.add("expected_arrival", say("time.too_far", at=at.isoformat(), days=ctx.max_days_ahead), "time.too_far")
    elif gate is not None and not gate.open_for_goods_at(at):
        start, end = gate.goods_hours
        p.add("expected_arrival", say("gate.closed", gate=dict(gate.names), start=f"{start:%H:%M}", end=f"{end:%H:%M}",
                                      timezone=gate.timezone, at=at.isoformat(timespec="minutes")), "gate.closed")


def _check_parties(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    if not TAX_ID.match(decl.declarant.tax_id):
        p.add("declarant.tax_id", say("tax_id.format", tax_id=decl.declarant.tax_id), "tax_id.format")
    if not decl.declarant.name.strip():
        p.add("declarant.name", say("required.declarant_name"), "required")
    driver = decl.driver
    if not driver.name.strip():
        p.add("driver.name", say("required.driver_name"), "required")
    if not driver.document_no.strip():
        p.add("driver.document_no", say("required.driver_document"), "required")
    if driver.nationality not in ctx.countries:
        p.add("driver.nationality", say("country.unknown", country=driver.nationality), "country.unknown")
    elif decl.vehicle.country == "CN" and driver.nationality != "CN":
        p.add("driver.nationality", say("driver.nationality", nationality=driver.nationality), "driver.nationality")
    if driver.phone is not None:
        p.identifier("driver.phone", lambda: parse_phone(driver.phone, driver.nationality))
    if decl.customs_declaration_no is not None and not CUSTOMS_NO.match(decl.customs_declaration_no):
        p.add("customs_declaration_no", say("customs_declaration_no.format", number=decl.customs_declaration_no),
              "customs_declaration_no.format")


def _check_vehicle(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    v = decl.vehicle
    if v.country not in ctx.countries:
        p.add("vehicle.country", say("country.unknown", country=v.country), "country.unknown")
    else:
        p.identifier("vehicle.plate", lambda: parse_plate(v.plate, v.country))
        if v.trailer_plate is not None:
            p.identifier("vehicle.trailer_plate", lambda: parse_plate(v.trailer_plate, v.country, trailer=True))
    if not 2 <= v.axles <= 9:
        p.add("vehicle.axles", say("axles.range", axles=v.axles), "axles.range")
        return
    if v.gross_weight_kg <= 0:
        p.add("vehicle.gross_weight_kg", say("weight.range", kg=v.gross_weight_kg), "weight.range")
        return
    limit = legal_limit_kg(v.country, v.axles, combination=v.trailer_plate is not None,
                           fallback_country=ctx.node.country)
    if limit is not None and v.gross_weight_kg > limit:
        shape = "combination" if v.trailer_plate else "rigid"
        p.add("vehicle.gross_weight_kg", say("weight.over_limit", gross=v.gross_weight_kg, limit=limit, axles=v.axles,
                                             shape=shape), "weight.over_limit")
    cargo = decl.total_gross_kg
    if cargo > v.gross_weight_kg:
        p.add("vehicle.gross_weight_kg", say("weight.below_cargo", gross=v.gross_weight_kg, cargo=_number(cargo)),
              "weight.below_cargo")


def _check_goods(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    if not decl.goods:
        p.add("goods", say("required.goods"), "required")
    protocol = commodities.protocol_applies(ctx.node.country, decl.direction)
    for i, item in enumerate(decl.goods):
        loc = f"goods[{i}]"
        hs = p.identifier(f"{loc}.hs_code", lambda: parse_hs_code(item.hs_code, ctx.hs_subheadings))
        if not item.description.strip():
            p.add(f"{loc}.description", say("required.description"), "required")
        if item.packages <= 0:
            p.add(f"{loc}.packages", say("packages.range", packages=item.packages), "packages.range")
        if item.gross_kg <= 0:
            p.add(f"{loc}.gross_kg", say("weight.range", kg=_number(item.gross_kg)), "weight.range")
        if item.net_kg < 0 or item.net_kg > item.gross_kg:
            p.add(f"{loc}.net_kg", say("weight.net_above_gross", net=_number(item.net_kg), gross=_number(item.gross_kg)),
                  "weight.net_above_gross")
        if item.value < 0:
            p.add(f"{loc}.value", say("value.range", value=_number(item.value)), "value.range")
        if item.currency not in ctx.currencies:
            p.add(f"{loc}.currency", say("currency.unknown", currency=item.currency), "currency.unknown")
        if item.origin not in ctx.countries:
            p.add(f"{loc}.origin", say("country.unknown.origin", country=item.origin), "country.unknown")
        if item.preferential_origin and "form_e" not in decl.document_types():
            p.add("documents", say("document.form_e_missing", item=i), "document.form_e_missing")
        if hs is None:
            continue
        if commodities.needs_phytosanitary(hs.code) and "phytosanitary" not in decl.document_types():
            p.add("documents", say("document.phytosanitary_missing", item=i, hs=hs.subheading),
                  "document.phytosanitary_missing")
        fruit = hs.subheading if protocol and commodities.protocol_fruit(hs.code) else None
        if fruit:
            for field in ("planting_area_code", "packing_house_code"):
                value = getattr(item, field)
                if not value:
                    p.add(f"{loc}.{field}", say("protocol.code_missing", fruit=fruit, field=field),
                          "protocol.code_missing")
                elif not REGISTRATION_CODE.match(value):
                    p.add(f"{loc}.{field}", say("protocol.code_format", value=value), "protocol.code_format")


def _number(value: object) -> int | float:
    """A Decimal as a JSON number: whole kilograms stay whole."""
    number = float(value)  # type: ignore[arg-type]
    return int(number) if number.is_integer() else number


def _check_containers(decl: Declaration, p: _Problems) -> None:
    seen: dict[str, int] = {}
    for i, unit in enumerate(decl.containers):
        number = p.identifier(f"containers[{i}].number", lambda: parse_container(unit.number))
        if number is not None:
            if number in seen:
                p.add(f"containers[{i}].number", say("container.duplicate", number=number, first=seen[number]), "container.duplicate")
            seen.setdefault(number, i)
        if unit.size_type is not None:
            p.identifier(f"containers[{i}].size_type", lambda: parse_size_type(unit.size_type))


def _check_documents(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    seen = set()
    for i, doc in enumerate(decl.documents):
        if doc.type not in commodities.DOCUMENT_TYPES:
            p.add(f"documents[{i}].type", say("document.type", type=doc.type,
                                              types=", ".join(sorted(commodities.DOCUMENT_TYPES))), "document.type")
        if not doc.number.strip():
            p.add(f"documents[{i}].number", say("required.document_number"), "required")
        if (doc.type, doc.number) in seen:
            p.add(f"documents[{i}]", say("document.duplicate", type=doc.type, number=doc.number), "document.duplicate")
        seen.add((doc.type, doc.number))


@dataclass(frozen=True, slots=True)
class ActiveDeclaration:
    """Another crossing not yet ended, as far as a second declaration of the same truck must know."""

    reference: str
    status: str
    plate: str
    containers: tuple[str, ...] = ()


def duplicate_warnings(decl: Declaration, active: Iterable[ActiveDeclaration]) -> list[Problem]:
    """A second active declaration of one plate or one container is said, never refused: a truck
    may really come twice, but a declaration typed twice should be caught by the declarant."""
    plate = match_key(decl.vehicle.plate)
    numbers = {compact_container(c.number): i for i, c in enumerate(decl.containers)}
    warnings: list[Problem] = []
    for other in active:
        if match_key(other.plate) == plate:
            warnings.append(Problem("vehicle.plate", say("duplicate.plate", plate=decl.vehicle.plate,
                                                         reference=other.reference, status=other.status),
                                    "duplicate.plate"))
        for number in other.containers:
            if compact_container(number) in numbers:
                warnings.append(Problem(f"containers[{numbers[compact_container(number)]}].number",
                                        say("duplicate.container", number=number, reference=other.reference,
                                            status=other.status), "duplicate.container"))
    return warnings


def compact_container(number: str) -> str:
    return "".join(ch for ch in number.upper() if ch.isalnum())
