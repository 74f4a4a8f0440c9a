"""The agreed message types and their payload schemas, one version each so far.

A payload that does not fit its schema is refused with the field path, like any
API input; the two governments change a schema by adding a version, never by
changing one in place.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationError, field_validator

from borderflow.domain.errors import Problem
from borderflow.schemas import NulFree, PlausibleTime, problems_from

ENVELOPE_FIELDS = ("message_id", "type", "schema_version", "sender", "recipient", "created_at", "sent_at",
                   "stream", "seq", "payload", "key_id", "signature")
STATUSES = ("declared", "in_transit", "arrived", "inspecting", "held", "released", "exited", "cancelled", "refused")


class Payload(NulFree):
    model_config = ConfigDict(extra="forbid")


class Said(Payload):
    """A message as code and params beside its English text, so that the receiving side renders it
    in its own language from the code (an unknown code falls back to the text)."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_-]*(\.[A-Za-z0-9_-]+)+$")  # risk.<rule id>
    params: dict[str, Any] = Field(default_factory=dict, max_length=20)


class PreArrivalNotice(Payload):
    """Everything the partner needs to know the truck before it arrives (no retyping)."""

    crossing_id: str = Field(min_length=1, max_length=64)
    reference: str = Field(min_length=1, max_length=32)
    gate: str = Field(min_length=1, max_length=16)  # the sender's gate
    risk_lane: Literal["green", "blue", "yellow", "red"]
    risk_reasons: list[str] = Field(max_length=50)
    version: int = Field(ge=1)
    reason: Literal["declared", "amended"]
    declaration: dict[str, Any]


class CrossingStatus(Payload):
    crossing_id: str = Field(min_length=1, max_length=64)  # the sender's crossing
    counterpart_id: str | None = Field(default=None, max_length=64)  # the recipient's, when known
    reference: str = Field(min_length=1, max_length=32)
    status: Literal[STATUSES]  # type: ignore[valid-type]
    risk_lane: Literal["green", "blue", "yellow", "red"]
    cause: str = Field(max_length=500)
    at: PlausibleTime


class ClearanceResult(Payload):
    crossing_id: str = Field(min_length=1, max_length=64)
    counterpart_id: str | None = Field(default=None, max_length=64)
    decision: Literal["released", "refused"]
    risk_lane: Literal["green", "blue", "yellow", "red"]
    reasons: list[str] = Field(max_length=50)
    inspections: list[dict[str, Any]] = Field(default_factory=list, max_length=20)
    at: PlausibleTime


class CapacityHour(Payload):
    start: PlausibleTime
    trucks: int = Field(ge=0, le=10_000)


class Closure(Payload):
    start: PlausibleTime
    end: PlausibleTime | None = None  # expected end; None = until further notice
    reason: str = Field(min_length=1, max_length=500)


class CapacityNotice(Payload):
    """How many trucks per hour the sender accepts from the recipient at one gate."""

    gate: str = Field(min_length=1, max_length=16)  # the sender's gate
    direction: Literal["inbound"] = "inbound"
    issued_at: PlausibleTime
    hours: list[CapacityHour] = Field(max_length=24 * 14)
    closures: list[Closure] = Field(default_factory=list, max_length=50)


class IncidentReport(Payload):
    id: str = Field(min_length=1, max_length=64)
    gate: str = Field(min_length=1, max_length=16)
    occurred_at: PlausibleTime
    category: Literal["accident", "security", "smuggling", "disease", "infrastructure", "other"]
    severity: Literal["info", "minor", "major", "critical"]
    summary: str = Field(min_length=1, max_length=500)
    details: str = Field(default="", max_length=5000)


class HazardAlert(Payload):
    id: str = Field(min_length=1, max_length=64)
    gate: str = Field(min_length=1, max_length=16)
    hazard: Literal["flood", "landslide", "typhoon", "heavy_rain", "earthquake", "fire", "epidemic", "other"]
    severity: Literal["advisory", "watch", "warning", "emergency"]
    valid_from: PlausibleTime
    valid_until: PlausibleTime | None = None
    summary: str = Field(min_length=1, max_length=500)


class Checkpoint(Payload):
    """A node's signed audit checkpoint (services/audit_sequencer), byte for byte as it was signed."""

    node: str = Field(min_length=1, max_length=64)
    tree_size: int = Field(ge=1, le=2**53)
    root_hash: str = Field(pattern="^[0-9a-f]{64}$")
    issued_at: str = Field(max_length=40)
    key_id: str = Field(min_length=1, max_length=128)
    signature: str = Field(min_length=1, max_length=200)

    @field_validator("issued_at")
    @classmethod
    def _aware_time(cls, value: str) -> str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("expected an ISO 8601 time with its UTC offset") from None
        if parsed.tzinfo is None:
            raise ValueError("expected an ISO 8601 time with its UTC offset")
        return value


class AuditCheckpoint(Payload):
    """The sender's checkpoint, and the proof that it extends the checkpoint it sent before."""

    checkpoint: Checkpoint
    previous_size: int | None = Field(default=None, ge=1, le=2**53)
    consistency: list[Annotated[str, Field(pattern="^[0-9a-f]{64}$")]] = Field(default_factory=list, max_length=128)


class StatisticsFigures(Payload):
    """One row of a statistics report: what crossed in one direction, of one commodity group."""

    direction: Literal["export", "import"]  # as the sender sees it
    commodity_group: str = Field(min_length=1, max_length=32)
    trucks: int = Field(ge=0)
    containers: int = Field(ge=0)
    lines: int = Field(ge=0)
    gross_kg: float = Field(ge=0)
    net_kg: float = Field(ge=0)
    value_usd: float = Field(ge=0)
    unpriced_lines: int = Field(ge=0)


class CrossingFigures(Payload):
    """One crossing as the sender counted it: what the partner reconciles truck by truck."""

    crossing_id: str = Field(min_length=1, max_length=64)  # the sender's
    counterpart_id: str | None = Field(default=None, max_length=64)  # the recipient's, when known
    reference: str = Field(min_length=1, max_length=32)
    direction: Literal["export", "import"]
    exited_at: PlausibleTime
    gross_kg: float = Field(ge=0)
    value_usd: float | None = Field(default=None, ge=0)  # None: a value had no exchange rate
    hs_subheadings: list[Annotated[str, Field(pattern="^[0-9]{6}$")]] = Field(max_length=20)


class StatisticsReport(Payload):
    """One part of a month's statistics for one gate pair: part 1 carries the totals and the rates
    used, every part up to STATISTICS_CROSSINGS_PER_PART crossings (so a part is no bigger than a
    pre-arrival notice and any batch of messages fits the partner's request limit)."""

    report_id: str = Field(min_length=1, max_length=64)
    period: str = Field(pattern=r"^\d{4}-\d{2}$")  # the sender's month, on its gate's calendar
    gate: str = Field(min_length=1, max_length=16)  # the sender's gate
    part: int = Field(ge=1, le=1_000_000)
    parts: int = Field(ge=1, le=1_000_000)
    generated_at: PlausibleTime
    totals: list[StatisticsFigures] = Field(default_factory=list, max_length=200)
    rates: list[dict[str, Any]] = Field(default_factory=list, max_length=400)
    crossings: list[CrossingFigures] = Field(default_factory=list, max_length=50)


STATISTICS_CROSSINGS_PER_PART = 8


# type -> {schema version -> payload model}
# Version 2 adds, beside each text the node said, its message as code and params, so that the
# receiving side renders it in its own language. A node still on version 1 refuses fields it does
# not know: the sender sends it version 1 (the partner's `message_version` in the node file).
class PreArrivalNoticeV2(PreArrivalNotice):
    risk_reason_codes: list[Said | None] = Field(default_factory=list, max_length=50)  # beside each reason


class CrossingStatusV2(CrossingStatus):
    cause_said: Said | None = None  # the cause as a message, when the node said it (not an officer's words)


class ClearanceResultV2(ClearanceResult):
    reason_codes: list[Said | None] = Field(default_factory=list, max_length=50)  # beside each reason


LATEST_VERSION = 2
SCHEMAS: dict[str, dict[int, type[Payload]]] = {
    "pre_arrival_notice": {1: PreArrivalNotice, 2: PreArrivalNoticeV2},
    "crossing_status": {1: CrossingStatus, 2: CrossingStatusV2},
    "clearance_result": {1: ClearanceResult, 2: ClearanceResultV2},
    "capacity_notice": {1: CapacityNotice},
    "incident_report": {1: IncidentReport},
    "hazard_alert": {1: HazardAlert},
    "audit_checkpoint": {1: AuditCheckpoint},
    "statistics_report": {1: StatisticsReport},
}
REPORT_KINDS = ("incident_report", "hazard_alert")


class PayloadInvalid(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(f"{p.loc}: {p.msg}" for p in problems))


def parse_payload(type_: str, version: int, payload: Any) -> Payload:
    versions = SCHEMAS.get(type_)
    if versions is None:
        raise PayloadInvalid([Problem("type", f"unknown message type {type_!r}; expected one of "
                                              f"{', '.join(SCHEMAS)}", "type.unknown")])
    model = versions.get(version)
    if model is None:
        raise PayloadInvalid([Problem("schema_version", f"{type_} version {version} is not supported; expected "
                                                        f"{', '.join(map(str, versions))}", "version.unknown")])
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        raise PayloadInvalid(problems_from(exc, ("payload",))) from None


def as_version(type_: str, accepted: int, payload: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """The newest version of `type_` the partner accepts, and the payload as that version has it
    (the newer versions' fields left out)."""
    versions = SCHEMAS.get(type_) or {1: None}
    version = max((v for v in versions if v <= accepted), default=min(versions))
    model = versions[version]
    if model is None or version == max(versions):
        return version, payload
    return version, {k: v for k, v in payload.items() if k in model.model_fields}


def outbox_envelope(row: Any, *, sender: str, recipient: str, sent_at: str | None, accepted: int) -> dict[str, Any]:  # noqa: ANN401
    """An outbox row as the envelope sent to a partner that accepts up to version `accepted`
    (unsigned): the dispatcher signs it, the archive rebuilds it to check the receipt's digest."""
    version, payload = as_version(row.type, accepted, row.payload)
    return {"message_id": row.message_id, "type": row.type, "schema_version": version, "sender": sender,
            "recipient": recipient, "created_at": row.created_at.isoformat(), "sent_at": sent_at,
            "stream": row.stream, "seq": row.seq, "payload": payload}


def iso(at: datetime) -> str:
    return at.isoformat()


def said(text: str, message: Said | None) -> str:
    """The partner's text as our own message when it sent one we know, else its text as sent."""
    from borderflow.domain import messages
    return messages.revive(message.model_dump() if message is not None else None, text)
