"""Gates, their lanes and opening hours: the physical side of a node."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

LaneDirection = Literal["inbound", "outbound"]


@dataclass(frozen=True, slots=True)
class Lane:
    code: str  # "OUT-1", "IN-2"
    direction: LaneDirection
    kind: str = "goods"  # goods | passenger


@dataclass(frozen=True, slots=True)
class Gate:
    code: str  # "KIMTHANH"
    country: str  # ISO 3166 alpha-2
    names: dict[str, str]  # per language: vi, zh, en
    province: str
    unlocode: str | None
    partner_gate: str
    timezone: str
    goods_hours: tuple[time, time]
    lanes: tuple[Lane, ...]
    yard_capacity: int
    daily_capacity: int
    inspection_bays: int = 2
    plate_prefixes: tuple[str, ...] = field(default=())
    # The barrier opens only for trucks the yard called forward; off for gates without a yard.
    enforce_call_forward: bool = True

    @property
    def name(self) -> str:
        return self.names.get("en") or next(iter(self.names.values()))

    def lane(self, code: str) -> Lane | None:
        return next((lane for lane in self.lanes if lane.code == code), None)

    def lanes_for(self, direction: LaneDirection) -> tuple[Lane, ...]:
        return tuple(lane for lane in self.lanes if lane.direction == direction)

    def open_for_goods_at(self, at: datetime) -> bool:
        local = at.astimezone(ZoneInfo(self.timezone)).time()
        start, end = self.goods_hours
        return start <= local < end


@dataclass(frozen=True, slots=True)
class Node:
    """One deployment: which country it speaks for and which gates it operates."""

    id: str  # "VN-LCI"
    country: str
    name: str
    gates: dict[str, Gate]
    partners: dict[str, dict] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # per language; `name` where one is missing

    def gate(self, code: str) -> Gate | None:
        return self.gates.get(code)

    def name_in(self, lang: str) -> str:
        return self.names.get(lang) or self.name
