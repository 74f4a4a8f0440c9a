"""Every rule a declaration must satisfy, checked at once so the declarant sees all errors.

Reference data (HS catalogue, country and currency codes, the node) comes in
through `ValidationContext`, so this module stays free of I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from datetime import datetime, timedelta

from borderflow.domain import commodities
from borderflow.domain.declaration import Declaration
from borderflow.domain.errors import IdentifierError, Problem
from borderflow.domain.gates import Node
from borderflow.domain.identifiers.containers import parse_container, parse_size_type
from borderflow.domain.identifiers.hscodes import parse_hs_code
from borderflow.domain.identifiers.plates import parse_plate
from borderflow.domain.weights import legal_limit_kg, tonnes

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
    phone_ok: Callable[[str], bool]
    max_days_ahead: int = 14
    past_grace: timedelta = timedelta(minutes=30)


class _Problems(list):
    def add(self, loc: str, msg: str, code: str) -> None:
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
    return list(problems)


def _check_route(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    gate = ctx.node.gate(decl.gate)
    if gate is None:
        p.add("gate", f"gate {decl.gate!r} is not operated by node {ctx.node.id}; expected one of "
                      f"{', '.join(sorted(ctx.node.gates))}", "gate.unknown")
    at = decl.expected_arrival
    if at.tzinfo is None:
        p.add("expected_arrival", "time has no UTC offset; expected ISO 8601 with an offset, "
                                  "e.g. 2026-11-23T08:30:00+07:00", "time.naive")
        return
    if at < ctx.now - ctx.past_grace:
        p.add("expected_arrival", f"{at.isoformat()} is in the past; expected a time after "
                                  f"{(ctx.now - ctx.past_grace).isoformat(timespec='minutes')}", "time.past")
    elif at > ctx.now + timedelta(days=ctx.max_days_ahead):
        p.add("expected_arrival", f"{at.isoformat()} is more than {ctx.max_days_ahead} days ahead; "
                                  "declare closer to departure", "time.too_far")
    elif gate is not None and not gate.open_for_goods_at(at):
        start, end = gate.goods_hours
        p.add("expected_arrival", f"{gate.name} takes goods {start:%H:%M}–{end:%H:%M} ({gate.timezone}); "
                                  f"{at.isoformat(timespec='minutes')} is outside those hours", "gate.closed")


def _check_parties(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    if not TAX_ID.match(decl.declarant.tax_id):
        p.add("declarant.tax_id", f"{decl.declarant.tax_id!r} is not a tax id; expected a Vietnamese MST "
                                  "(10 digits, or 13 with a branch suffix) or a Chinese unified social credit code "
                                  "(18 characters)", "tax_id.format")
    if not decl.declarant.name.strip():
        p.add("declarant.name", "name is empty; expected the registered company name", "required")
    driver = decl.driver
    if not driver.name.strip():
        p.add("driver.name", "name is empty; expected the name on the driver's document", "required")
    if not driver.document_no.strip():
        p.add("driver.document_no", "document number is empty; expected passport or border pass number", "required")
    if driver.nationality not in ctx.countries:
        p.add("driver.nationality", f"{driver.nationality!r} is not an ISO 3166 alpha-2 country code; "
                                    "expected e.g. VN or CN", "country.unknown")
    elif decl.vehicle.country == "CN" and driver.nationality != "CN":
        p.add("driver.nationality", "a China-plated truck must be driven by a Chinese national "
                                    f"(got {driver.nationality}); expected CN", "driver.nationality")
    if driver.phone is not None and not ctx.phone_ok(driver.phone):
        p.add("driver.phone", f"{driver.phone!r} is not a valid phone number; expected international "
                              "format, e.g. +84912345678", "phone.invalid")
    if decl.customs_declaration_no is not None and not CUSTOMS_NO.match(decl.customs_declaration_no):
        p.add("customs_declaration_no", f"{decl.customs_declaration_no!r} is not a customs declaration number; "
                                        "expected 12 digits (Vietnam) or 18 digits (China)",
              "customs_declaration_no.format")


def _check_vehicle(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    v = decl.vehicle
    if v.country not in ctx.countries:
        p.add("vehicle.country", f"{v.country!r} is not an ISO 3166 alpha-2 country code; expected e.g. VN or CN",
              "country.unknown")
    else:
        p.identifier("vehicle.plate", lambda: parse_plate(v.plate, v.country))
        if v.trailer_plate is not None:
            p.identifier("vehicle.trailer_plate", lambda: parse_plate(v.trailer_plate, v.country, trailer=True))
    if not 2 <= v.axles <= 9:
        p.add("vehicle.axles", f"{v.axles} axles; expected 2 to 9", "axles.range")
        return
    if v.gross_weight_kg <= 0:
        p.add("vehicle.gross_weight_kg", f"{v.gross_weight_kg} kg; expected a positive weight", "weight.range")
        return
    limit = legal_limit_kg(v.country, v.axles, combination=v.trailer_plate is not None,
                           fallback_country=ctx.node.country)
    if limit is not None and v.gross_weight_kg > limit:
        shape = "tractor and semi-trailer" if v.trailer_plate else "rigid truck"
        p.add("vehicle.gross_weight_kg", f"gross {tonnes(v.gross_weight_kg)} exceeds the legal {tonnes(limit)} "
                                         f"for a {v.axles}-axle {shape}; expected at most {limit} kg",
              "weight.over_limit")
    cargo = decl.total_gross_kg
    if cargo > v.gross_weight_kg:
        p.add("vehicle.gross_weight_kg", f"vehicle gross {v.gross_weight_kg} kg is less than the goods' "
                                         f"{cargo} kg; expected the whole laden vehicle", "weight.below_cargo")


def _check_goods(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    if not decl.goods:
        p.add("goods", "no goods; expected at least one goods item", "required")
    protocol = commodities.protocol_applies(ctx.node.country, decl.direction)
    for i, item in enumerate(decl.goods):
        loc = f"goods[{i}]"
        hs = p.identifier(f"{loc}.hs_code", lambda: parse_hs_code(item.hs_code, ctx.hs_subheadings))
        if not item.description.strip():
            p.add(f"{loc}.description", "description is empty; expected the goods in plain words", "required")
        if item.packages <= 0:
            p.add(f"{loc}.packages", f"{item.packages} packages; expected at least 1", "packages.range")
        if item.gross_kg <= 0:
            p.add(f"{loc}.gross_kg", f"{item.gross_kg} kg; expected a positive weight", "weight.range")
        if item.net_kg < 0 or item.net_kg > item.gross_kg:
            p.add(f"{loc}.net_kg", f"net {item.net_kg} kg; expected between 0 and gross {item.gross_kg} kg",
                  "weight.net_above_gross")
        if item.value < 0:
            p.add(f"{loc}.value", f"{item.value}; expected zero or more", "value.range")
        if item.currency not in ctx.currencies:
            p.add(f"{loc}.currency", f"{item.currency!r} is not an ISO 4217 currency; expected e.g. USD, VND, CNY",
                  "currency.unknown")
        if item.origin not in ctx.countries:
            p.add(f"{loc}.origin", f"{item.origin!r} is not an ISO 3166 alpha-2 country code; expected e.g. VN",
                  "country.unknown")
        if item.preferential_origin and "form_e" not in decl.document_types():
            p.add("documents", f"goods[{i}] claims ACFTA preferential origin; expected a form_e document",
                  "document.form_e_missing")
        if hs is None:
            continue
        if commodities.needs_phytosanitary(hs.code) and "phytosanitary" not in decl.document_types():
            p.add("documents", f"goods[{i}] (HS {hs.subheading}) is a plant product; expected a phytosanitary "
                               "certificate", "document.phytosanitary_missing")
        fruit = commodities.protocol_fruit(hs.code) if protocol else None
        if fruit:
            for field in ("planting_area_code", "packing_house_code"):
                value = getattr(item, field)
                if not value:
                    p.add(f"{loc}.{field}", f"{fruit} under the VN–CN protocol needs a GACC-registered "
                                            f"{field.replace('_', '-').replace('-code', ' code')}; it is missing",
                          "protocol.code_missing")
                elif not REGISTRATION_CODE.match(value):
                    p.add(f"{loc}.{field}", f"{value!r} is not a registration code; expected 4–32 capital letters, "
                                            "digits, '-', '/' or '.'", "protocol.code_format")


def _check_containers(decl: Declaration, p: _Problems) -> None:
    seen: dict[str, int] = {}
    for i, unit in enumerate(decl.containers):
        number = p.identifier(f"containers[{i}].number", lambda: parse_container(unit.number))
        if number is not None:
            if number in seen:
                p.add(f"containers[{i}].number", f"{number} is already listed at containers[{seen[number]}]; "
                                                 "expected each container once", "container.duplicate")
            seen.setdefault(number, i)
        if unit.size_type is not None:
            p.identifier(f"containers[{i}].size_type", lambda: parse_size_type(unit.size_type))


def _check_documents(decl: Declaration, ctx: ValidationContext, p: _Problems) -> None:
    seen = set()
    for i, doc in enumerate(decl.documents):
        if doc.type not in commodities.DOCUMENT_TYPES:
            p.add(f"documents[{i}].type", f"{doc.type!r} is not a document type; expected one of "
                                          f"{', '.join(sorted(commodities.DOCUMENT_TYPES))}", "document.type")
        if not doc.number.strip():
            p.add(f"documents[{i}].number", "number is empty; expected the document's number", "required")
        if (doc.type, doc.number) in seen:
            p.add(f"documents[{i}]", f"{doc.type} {doc.number} is listed twice; expected each document once",
                  "document.duplicate")
        seen.add((doc.type, doc.number))
