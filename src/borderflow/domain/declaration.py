"""What a declarant submits for a crossing, as plain values.

The API parses JSON into these; validation lives in `validation.py` so that the
shape and the rules can change separately.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

Direction = Literal["export", "import"]


@dataclass(frozen=True, slots=True)
class Declarant:
    tax_id: str
    name: str


@dataclass(frozen=True, slots=True)
class Vehicle:
    plate: str
    country: str
    axles: int
    gross_weight_kg: int
    trailer_plate: str | None = None


@dataclass(frozen=True, slots=True)
class Driver:
    name: str
    document_no: str
    nationality: str
    phone: str | None = None


@dataclass(frozen=True, slots=True)
class ContainerUnit:
    number: str
    seal: str | None = None
    size_type: str | None = None


@dataclass(frozen=True, slots=True)
class GoodsItem:
    hs_code: str
    description: str
    packages: int
    gross_kg: Decimal
    net_kg: Decimal
    value: Decimal
    currency: str
    origin: str
    perishable: bool = False
    planting_area_code: str | None = None
    packing_house_code: str | None = None
    preferential_origin: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    type: str  # phytosanitary | form_e | invoice | packing_list | health | other
    number: str


@dataclass(frozen=True, slots=True)
class Declaration:
    direction: Direction
    gate: str
    expected_arrival: datetime
    declarant: Declarant
    vehicle: Vehicle
    driver: Driver
    goods: tuple[GoodsItem, ...]
    containers: tuple[ContainerUnit, ...] = ()
    documents: tuple[Document, ...] = ()
    customs_declaration_no: str | None = None
    extra: dict = field(default_factory=dict)

    @property
    def perishable(self) -> bool:
        return any(item.perishable for item in self.goods)

    @property
    def hs_codes(self) -> tuple[str, ...]:
        return tuple(item.hs_code for item in self.goods)

    @property
    def total_value(self) -> Decimal:
        return sum((item.value for item in self.goods), Decimal(0))

    @property
    def total_gross_kg(self) -> Decimal:
        return sum((item.gross_kg for item in self.goods), Decimal(0))

    def document_types(self) -> set[str]:
        return {doc.type for doc in self.documents}
