"""The wire shapes of API v1 (pydantic), shared by the HTTP routes and the use cases.

Fields are deliberately permissive strings where the domain has a richer check
(plates, HS codes, countries): the domain then reports every problem at once
with a message that says what is expected.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, PlainSerializer, ValidationError,
                      field_validator)

from borderflow.domain import declaration as d
from borderflow.domain import messages
from borderflow.domain.errors import Problem, ValidationFailed

Text = Field(max_length=200)


def json_number(value: Decimal) -> int | float:
    """A quantity or an amount as a JSON number (pydantic writes a Decimal as a string): whole
    ones as integers. Declared values have at most 15 significant digits, which a float keeps."""
    return int(value) if value == value.to_integral_value() else float(value)


Quantity = Annotated[Decimal, PlainSerializer(json_number, return_type=int | float, when_used="json")]
Code = Field(min_length=1, max_length=40)
PLATE_MAX = 32  # the plate columns' width (store/tables.py)

NUL_MESSAGE = "must not contain a NUL character (\\x00)"
PLAUSIBLE_YEARS = 10
_PLAUSIBLE = timedelta(days=365 * PLAUSIBLE_YEARS + 3)


def has_nul(value: Any) -> bool:
    """A NUL character anywhere in a text, list or JSON object (PostgreSQL text cannot hold one)."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(has_nul(v) for v in value)
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    return False


def without_nul(value: Any) -> Any:
    if has_nul(value):
        raise ValueError(NUL_MESSAGE)
    return value


# For path and query parameters: `Annotated[str, Query(...), NoNul]`.
NoNul = AfterValidator(without_nul)


def plausible_time(value: datetime) -> datetime:
    """A time this node can store and reason about: within PLAUSIBLE_YEARS years of now."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        utc = None
    now = datetime.now(UTC)
    if utc is None or not now - _PLAUSIBLE <= utc <= now + _PLAUSIBLE:
        raise ValueError(f"{value.isoformat()} is not a plausible time: it must be within {PLAUSIBLE_YEARS} years "
                         "of now")
    return value


# An ISO 8601 time with its UTC offset, within the plausibility window.
PlausibleTime = Annotated[AwareDatetime, AfterValidator(plausible_time)]


class NulFree(BaseModel):
    """No text field (nested lists and JSON objects included) may hold a NUL character."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:  # noqa: ANN401
        return without_nul(value)


class Strict(NulFree):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DeclarantIn(Strict):
    tax_id: str = Code
    name: str = Text


class VehicleIn(Strict):
    plate: str = Field(min_length=1, max_length=PLATE_MAX)
    country: str = Field(min_length=2, max_length=2)
    trailer_plate: str | None = Field(default=None, min_length=1, max_length=PLATE_MAX)
    axles: int = Field(ge=0, le=99)
    gross_weight_kg: int = Field(ge=0, le=1_000_000)


class DriverIn(Strict):
    name: str = Text
    document_no: str = Code
    nationality: str = Field(min_length=2, max_length=2)
    phone: str | None = Field(default=None, max_length=32)


class ContainerIn(Strict):
    number: str = Code
    seal: str | None = Field(default=None, max_length=40)
    size_type: str | None = Field(default=None, max_length=8)


class GoodsIn(Strict):
    hs_code: str = Code
    description: str = Field(max_length=500)
    packages: int = Field(ge=0, le=10_000_000)
    gross_kg: Quantity = Field(ge=0, le=1_000_000, max_digits=12, decimal_places=3)
    net_kg: Quantity = Field(ge=0, le=1_000_000, max_digits=12, decimal_places=3)
    value: Quantity = Field(ge=0, le=10**12, max_digits=16, decimal_places=2)
    currency: str = Field(min_length=3, max_length=3)
    origin: str = Field(min_length=2, max_length=2)
    perishable: bool = False
    planting_area_code: str | None = Field(default=None, max_length=40)
    packing_house_code: str | None = Field(default=None, max_length=40)
    preferential_origin: bool = False


class DocumentIn(Strict):
    type: str = Code
    number: str = Code


class DeclarationIn(Strict):
    direction: Literal["export", "import"]
    gate: str = Code
    expected_arrival: datetime
    declarant: DeclarantIn
    customs_declaration_no: str | None = Field(default=None, max_length=40)
    vehicle: VehicleIn
    driver: DriverIn
    containers: list[ContainerIn] = Field(default_factory=list, max_length=10)
    goods: list[GoodsIn] = Field(min_length=1, max_length=100)
    documents: list[DocumentIn] = Field(default_factory=list, max_length=50)

    def to_domain(self) -> d.Declaration:
        return d.Declaration(
            direction=self.direction, gate=self.gate.upper(), expected_arrival=self.expected_arrival,
            declarant=d.Declarant(**self.declarant.model_dump()),
            vehicle=d.Vehicle(**{**self.vehicle.model_dump(), "country": self.vehicle.country.upper()}),
            driver=d.Driver(**{**self.driver.model_dump(), "nationality": self.driver.nationality.upper()}),
            goods=tuple(d.GoodsItem(**{**g.model_dump(), "currency": g.currency.upper(), "origin": g.origin.upper()})
                        for g in self.goods),
            containers=tuple(d.ContainerUnit(**c.model_dump()) for c in self.containers),
            documents=tuple(d.Document(**x.model_dump()) for x in self.documents),
            customs_declaration_no=self.customs_declaration_no,
        )


def problems_from(exc: ValidationError, prefix: tuple = ()) -> list[Problem]:
    """pydantic's errors as problems with a dotted JSON path (`goods[0].hs_code`)."""
    return [pydantic_problem(err, _dotted(prefix + tuple(err["loc"])) or "body")
            for err in exc.errors(include_url=False)]


def pydantic_problem(err: dict, loc: str) -> Problem:
    """One pydantic error as a problem: its English message as pydantic says it, and the message
    `input.<type>` (with pydantic's context as params) for the other languages."""
    kind, given = err["type"], err.get("input")
    shown = kind not in ("missing", "extra_forbidden") and not isinstance(given, (dict, list))
    msg = err["msg"] + (f" (got {given!r})" if shown else "")
    params: dict[str, Any] = {k: v if isinstance(v, (int, float, str, bool)) or v is None else str(v)
                              for k, v in (err.get("ctx") or {}).items()}
    if shown:
        params["got"] = given if isinstance(given, (int, float, str, bool)) or given is None else repr(given)
    code = f"input.{kind}"
    if NUL_MESSAGE in msg:
        code = "input.nul"
    elif not messages.known(code):
        code, params = "input.invalid", {**params, "detail": msg}
    return Problem(loc, msg, kind, params, code)


def _dotted(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse_declaration(body: Any) -> DeclarationIn:
    try:
        return DeclarationIn.model_validate(body)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc)) from None


def merge(base: dict, patch: dict) -> dict:
    """An amendment: objects merge key by key, lists and values replace."""
    out = dict(base)
    for key, value in patch.items():
        out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def declaration_json(model: DeclarationIn) -> dict:
    return model.model_dump(mode="json", exclude_none=True)


class GateEventIn(Strict):
    gate: str = Code
    lane: str = Code
    kind: Literal["plate_read", "weighbridge", "barrier", "yard_entry"]  # yard_entry: the yard gate's camera
    plate: str | None = Field(default=None, min_length=1, max_length=PLATE_MAX)
    confidence: float | None = Field(default=None, ge=0, le=1)
    gross_kg: float | None = Field(default=None, gt=0, le=200_000)
    state: Literal["open", "closed", "fault"] | None = None
    at: PlausibleTime | None = None
    device: str | None = Field(default=None, max_length=64)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=500)


class NoteIn(Strict):
    note: str = Field(default="", max_length=500)


class InspectionIn(Strict):
    kind: Literal["document", "physical"]
    result: Literal["passed", "failed"]
    notes: str = Field(default="", max_length=2000)
    agency: Literal["customs", "quarantine", "border_guard", "health"] | None = Field(
        default=None, description="whose sign-off this is; an officer's own agency (the caller's role) when omitted")


class ResolutionIn(Strict):
    crossing_id: str | None = Field(default=None, max_length=36)
    dismiss: bool = False
    note: str = Field(default="", max_length=500)


# ------------------------------------------------------------------ what comes back (documented shapes)
# Open models: the fields listed are always there; others may be added, and integrators keep them.


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Crossing(Open):
    """A crossing as the API answers it; the full view (one crossing) adds the declaration as
    submitted, the history events and the inspections."""

    id: str
    reference: str
    status: str
    direction: str
    gate: str
    plate: str
    risk_lane: str
    risk_reasons: list[Any]
    version: int
    hold_reason: str | None = None
    checks_passed: list[Any] = Field(default_factory=list)
    signoffs: list[dict[str, Any]] = Field(default_factory=list)
    pending_signoffs: list[Any] = Field(default_factory=list)
    declarant_tax_id: str
    expected_arrival: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    partner: dict[str, Any] = Field(default_factory=dict)
    declaration: dict[str, Any] | None = Field(default=None, description="full view only")
    events: list[dict[str, Any]] | None = Field(default=None, description="full view only")
    inspections: list[dict[str, Any]] | None = Field(default=None, description="full view only")
    warnings: list[dict[str, Any]] | None = Field(default=None, description=(
        "declare answer only: what the declarant should check, nothing refused (the crossing is created). "
        "Another active declaration of the same plate (`duplicate.plate`, loc `vehicle.plate`) or container "
        "(`duplicate.container`, loc `containers[i].number`), named by its reference; a declarant hears only "
        "of its own crossings. Each `{loc, code, params, msg, crossing_id}`, `msg` in the language of "
        "Accept-Language; at most three crossings per kind"))


class GateDecision(Open):
    """The answer to a gate event: a plate read's decision (`open` or `hold`, with the reason and a
    stable `reason_code`), or a barrier state's acknowledgement (`accepted`)."""

    id: int
    kind: str | None = None
    decision: Literal["open", "hold"] | None = None
    crossing_id: str | None = None
    reason: str | None = None
    reason_code: str | None = None
    reason_params: dict[str, Any] | None = None
    accepted: bool | None = None
    review: str | None = None


class Booking(Open):
    id: str
    crossing_id: str
    gate: str
    direction: str
    slot_start: str
    slot_end: str
    status: str
    reschedules: int
