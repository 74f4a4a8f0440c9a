"""Time enters the domain only through a Clock, so tests, the simulator and the demo control it.

A clock answers `now()` in *node time*: the time on which opening hours, slots, the
20-minute rule, capacity notices and wait times are judged. It also says how fast node
time runs against real time (`speed`), because the node's background loops wait in real
time (a thread's `Event.wait`) for intervals that are meant in node time: they divide
by the speed (`real_seconds`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to."""

    speed = 1.0

    def __init__(self, at: datetime):
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def advance(self, delta: timedelta) -> None:
        self._at += delta

    def set(self, at: datetime) -> None:
        self._at = at


class AcceleratedClock:
    """Node time that starts at `start` and runs `speed` times faster than real time.

    now() = start + (real seconds elapsed since the clock began) × speed. `real` is the
    source of real seconds (time.monotonic by default: it never jumps back when the
    system clock is set); `elapsed` is how many real seconds had already passed on this
    timeline when the clock was made, so a second process (the partner node, the demo's
    drivers, a restarted node) joins a timeline that began before it: see `anchored`.
    """

    def __init__(self, start: datetime, speed: float, real: Callable[[], float] = time.monotonic, *,
                 elapsed: float = 0.0):
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError(f"the clock's start must be timezone-aware, got {start!r}")
        if not (isinstance(speed, int | float) and math.isfinite(speed) and speed >= 1):
            raise ValueError(f"the clock's speed must be a finite number of 1 or more, got {speed!r}")
        if not math.isfinite(elapsed):
            raise ValueError(f"elapsed must be a finite number of seconds, got {elapsed!r}")
        self.start, self.speed, self._real = start, float(speed), real
        self._origin = real() - elapsed

    @classmethod
    def anchored(cls, start: datetime, speed: float, anchor: datetime, *,
                 wall: Callable[[], float] = time.time,
                 real: Callable[[], float] = time.monotonic) -> AcceleratedClock:
        """The timeline on which node time was `start` at the real (wall-clock) moment `anchor`.

        Every process made with the same (start, speed, anchor) shows the same time, however
        far apart they were started; the wall clock is read once, then `real` runs it on.
        """
        if anchor.tzinfo is None or anchor.utcoffset() is None:
            raise ValueError(f"the clock's anchor must be timezone-aware, got {anchor!r}")
        clock = cls(start, speed, real, elapsed=wall() - anchor.timestamp())
        clock.anchor = anchor
        return clock

    anchor: datetime | None = None  # set by `anchored`: the real moment the clock showed `start`

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(self._real() - self._origin) * self.speed)

    def real_seconds(self, node_seconds: float) -> float:
        return node_seconds / self.speed

    def __repr__(self) -> str:
        return f"AcceleratedClock(start={self.start.isoformat()}, speed={self.speed:g})"


def speed_of(clock: Clock) -> float:
    """How many node seconds pass in one real second on this clock (1 for the system clock)."""
    return float(getattr(clock, "speed", 1.0))


def real_seconds(clock: Clock, node_seconds: float) -> float:
    """How long to wait in real time for `node_seconds` to pass on this clock."""
    return node_seconds / speed_of(clock)
