"""The capacity calendar: how many trucks an hour a gate can take in one direction.

Call-forward must never send more trucks than either side can take (SPEC §6: the
2021 fruit jams came from the partner accepting far fewer than were sent), so the
number for an hour is the lesser of our own lanes, as adjusted by the operator,
and the partner's announced acceptance.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from borderflow.domain.gates import Gate

DIRECTIONS = ("inbound", "outbound")
HOUR = timedelta(hours=1)


def _aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")


@dataclass(frozen=True, slots=True)
class Override:
    """An operator's exception to the regular hours: a closure, extra hours, a reduced lane count.

    Aware and half-open, so back-to-back overrides never both claim the boundary hour.
    """

    start: datetime
    end: datetime
    trucks_per_hour: int | None  # None: closed
    reason: str

    def __post_init__(self) -> None:
        _aware(self.start, "start")
        _aware(self.end, "end")
        if self.end <= self.start:
            raise ValueError("an override must end after it starts")
        if self.trucks_per_hour is not None and self.trucks_per_hour < 0:
            raise ValueError(f"trucks_per_hour must be 0 or more, got {self.trucks_per_hour}")

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end

    @property
    def capacity(self) -> int:
        return self.trucks_per_hour or 0


def _open_at(goods_hours: tuple[time, time], local: time) -> bool:
    opening, closing = goods_hours
    if opening <= closing:
        return opening <= local < closing
    return local >= opening or local < closing  # hours that run past midnight


def base_capacity(gate: Gate, direction: str, *, per_lane_per_hour: int = 12) -> int:
    """Trucks an hour when the gate is open: goods lanes only, passenger lanes take no trucks."""
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if per_lane_per_hour < 0:
        raise ValueError(f"per_lane_per_hour must be 0 or more, got {per_lane_per_hour}")
    lanes = sum(1 for lane in gate.lanes if lane.direction == direction and lane.kind == "goods")
    return lanes * per_lane_per_hour


def hourly_capacity(gate: Gate, direction: str, hour_start: datetime, *, per_lane_per_hour: int = 12,
                    overrides: Sequence[Override] = (), partner_cap: int | None = None) -> int:
    """Trucks the gate can take in the hour starting at `hour_start`.

    Goods hours are the gate's local time, so the hour is judged there, whatever zone
    the caller used. `partner_cap` is the partner's announced acceptance and only
    means something outbound; the caller decides when to pass it.
    """
    _aware(hour_start, "hour_start")
    if partner_cap is not None and partner_cap < 0:
        raise ValueError(f"partner_cap must be 0 or more, got {partner_cap}")
    base = base_capacity(gate, direction, per_lane_per_hour=per_lane_per_hour)
    local = hour_start.astimezone(ZoneInfo(gate.timezone)).time()
    result = base if _open_at(gate.goods_hours, local) else 0
    winner: Override | None = None
    for override in overrides:
        # The latest-starting override is the most specific; on a tie the later entry wins.
        if override.covers(hour_start) and (winner is None or override.start >= winner.start):
            winner = override
    if winner is not None:
        result = winner.capacity
    if partner_cap is not None:
        result = min(result, partner_cap)
    return result


def floor_hour(at: datetime, timezone: str) -> datetime:
    """The start of the gate-local hour containing `at` (local, because half-hour zones exist)."""
    _aware(at, "at")
    return at.astimezone(ZoneInfo(timezone)).replace(minute=0, second=0, microsecond=0)


def calendar(gate: Gate, direction: str, start: datetime, hours: int, *, per_lane_per_hour: int = 12,
             overrides: Sequence[Override] = (), partner_cap: int | None = None) -> list[tuple[datetime, int]]:
    """(hour start, trucks) for `hours` consecutive hours from the hour containing `start`.

    Hours are stepped in absolute time, so a daylight-saving change never repeats or drops one;
    hour starts come back in the gate's local zone for display.
    """
    if hours < 0:
        raise ValueError(f"hours must be 0 or more, got {hours}")
    tz = ZoneInfo(gate.timezone)
    first = floor_hour(start, gate.timezone).astimezone(UTC)
    result = []
    for i in range(hours):
        hour_start = (first + i * HOUR).astimezone(tz)
        result.append((hour_start, hourly_capacity(gate, direction, hour_start, per_lane_per_hour=per_lane_per_hour,
                                                   overrides=overrides, partner_cap=partner_cap)))
    return result


def partner_cap_for(hours: Sequence[tuple[datetime, int]], closures: Sequence[tuple[datetime, datetime | None]],
                    hour_start: datetime) -> int | None:
    """The partner's acceptance for one hour, from its capacity notice.

    A closure beats any announced number (the notice may list hours before the closure
    was decided). None means the notice is silent on that hour, which the caller must
    not read as "unlimited" or as "closed" without its own rule.
    """
    _aware(hour_start, "hour_start")
    for closed_from, closed_until in closures:
        if closed_from <= hour_start and (closed_until is None or hour_start < closed_until):
            return 0
    announced = None
    for listed, trucks in hours:
        if listed <= hour_start < listed + HOUR:
            announced = max(0, trucks)  # the later entry wins, as in a corrected notice
    return announced


def partner_acceptance(hours: Sequence[tuple[datetime, int]], closures: Sequence[tuple[datetime, datetime | None]],
                       hour_start: datetime, *, fresh: bool, fallback: int) -> tuple[int, str]:
    """(trucks, basis) the partner accepts in one hour: what its notice announced when the notice
    is current and speaks of that hour ("announced"); otherwise the conservative `fallback`, and
    never more than was announced ("fallback"). Silence is never read as "unlimited"."""
    announced = partner_cap_for(hours, closures, hour_start)
    if fresh and announced is not None:
        return announced, "announced"
    return (fallback if announced is None else min(announced, fallback)), "fallback"


def expected_call(position: int, hours: Sequence[tuple[datetime, int]], now: datetime,
                  used_this_hour: int = 0) -> datetime | None:
    """When the truck at `position` (1 = next) is called if the yard calls as fast as the capacity
    calendar allows: hour by hour, closed hours skipped, calls spread evenly over each hour
    (the current one from `now`, less the calls it already made). None beyond the calendar."""
    if position < 1:
        raise ValueError(f"position must be 1 or more, got {position}")
    _aware(now, "now")
    left = position
    for i, (start, trucks) in enumerate(hours):
        room = trucks - (used_this_hour if i == 0 else 0)
        if room <= 0:
            continue
        begin = max(start, now)
        if begin >= start + HOUR:
            continue
        if left <= room:
            return begin + (start + HOUR - begin) * ((left - 1) / room)
        left -= room
    return None


def next_open(hours: Sequence[tuple[datetime, int]]) -> datetime | None:
    """The start of the first hour of the calendar with capacity for trucks (more than 0): when a
    closed gate opens again. None when the calendar has no such hour."""
    return next((start for start, trucks in hours if trucks > 0), None)


def lanes_open(trucks: int, goods_lanes: int, *, per_lane_per_hour: int, override_trucks: int | None = None) -> int:
    """Goods lanes actually open in an hour of the calendar that takes `trucks`.

    0 when the hour takes no truck (closed hours, closures, a partner accepting none); when an
    operator's override sets the hour's trucks (`override_trucks`), as many lanes as that rate
    needs at `per_lane_per_hour` each, never more than the gate has; otherwise every goods lane.
    """
    for value, what in ((trucks, "trucks"), (goods_lanes, "goods_lanes"), (per_lane_per_hour, "per_lane_per_hour")):
        if value < 0:
            raise ValueError(f"{what} must be 0 or more, got {value}")
    if override_trucks is not None and override_trucks < 0:
        raise ValueError(f"override_trucks must be 0 or more, got {override_trucks}")
    if trucks == 0:
        return 0
    if override_trucks is None or per_lane_per_hour == 0:
        return goods_lanes
    return min(goods_lanes, math.ceil(override_trucks / per_lane_per_hour))
