"""Waiting-yard queue policies: which trucks the yard calls forward next.

The live node and the simulator call the same functions, so a policy is a
deterministic function of (waiting trucks, now, call-up state): no clock, no
randomness, no hidden memory. What a policy must remember between calls (where
it stands in the call-up pattern) travels in an explicit `CallUpState` that the
caller stores and hands back.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from itertools import islice
from operator import attrgetter
from typing import Final, Protocol

PERISHABLE, TRUSTED, ORDINARY = "perishable", "trusted", "ordinary"
PRIORITIES: Final = (PERISHABLE, TRUSTED, ORDINARY)
DEFAULT_PATTERN: Final = (PERISHABLE, TRUSTED) + (ORDINARY,) * 5


def _aware(value: datetime, what: str) -> None:
    zone = value.tzinfo
    if type(zone) is timezone:  # a fixed offset, UTC among them: aware, and asked at every check-in
        return
    if zone is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {value!r}")


@dataclass(frozen=True, slots=True)
class Waiting:
    """A truck in the yard as the policies see it: nothing else may influence the order."""

    crossing_id: str
    checked_in_at: datetime
    priority: str
    booked_from: datetime | None = None
    booked_until: datetime | None = None

    def __post_init__(self) -> None:
        _aware(self.checked_in_at, "checked_in_at")
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority must be one of {', '.join(PRIORITIES)}, got {self.priority!r}")
        if (self.booked_from is None) != (self.booked_until is None):
            raise ValueError("booked_from and booked_until go together: give both or neither")
        if self.booked_from is not None and self.booked_until is not None:
            _aware(self.booked_from, "booked_from")
            _aware(self.booked_until, "booked_until")
            if self.booked_until <= self.booked_from:
                raise ValueError("booked_until must be after booked_from")

    @property
    def booked(self) -> bool:
        return self.booked_from is not None


@dataclass(frozen=True, slots=True)
class CallUpState:
    """Where the call-up pattern stands; kept by the caller so a restart or a replay resumes exactly."""

    position: int = 0

    def __post_init__(self) -> None:
        if self.position < 0:
            raise ValueError(f"position must be 0 or more, got {self.position}")


class QueuePolicy(Protocol):
    name: str

    def pick(self, waiting: Sequence[Waiting], now: datetime, n: int,
             state: CallUpState) -> tuple[list[Waiting], CallUpState]:
        """Up to n trucks to call forward, in call order, and the state after calling them."""
        ...

    def order(self, waiting: Sequence[Waiting], now: datetime, state: CallUpState) -> list[Waiting]:
        """The whole queue as it stands; pick(n) is always its first n, so positions and ETAs agree."""
        ...


# (check-in time, crossing id): the crossing id breaks ties so that two nodes (or two replications)
# agree. attrgetter, not a function: every policy sorts by it at every call-forward step.
check_in_order: Callable[[Waiting], tuple[datetime, str]] = attrgetter("checked_in_at", "crossing_id")
# Booked first's order among the trucks on time for their booking: by booking, then by check-in.
booking_order: Callable[[Waiting], tuple] = attrgetter("booked_from", "booked_until", "checked_in_at", "crossing_id")


def _take(calls: Iterator[tuple[Waiting, int]], n: int, state: CallUpState) -> tuple[list[Waiting], CallUpState]:
    if n < 0:
        raise ValueError(f"n must be 0 or more, got {n}")
    picked: list[Waiting] = []
    position = state.position
    for truck, position in islice(calls, n):  # noqa: B007 - the last call's position is the state after
        picked.append(truck)
    return picked, state if position == state.position else CallUpState(position)


class _CallSequence:
    """pick and order from one call sequence, so that pick(n) == order()[:n] by construction."""

    __slots__ = ()

    def _calls(self, waiting: Sequence[Waiting], now: datetime,
               state: CallUpState) -> Iterator[tuple[Waiting, int]]:
        """The trucks in call order, each with the call-up pattern's position after calling it."""
        raise NotImplementedError

    def pick(self, waiting: Sequence[Waiting], now: datetime, n: int,
             state: CallUpState) -> tuple[list[Waiting], CallUpState]:
        return _take(self._calls(waiting, now, state), n, state)

    def order(self, waiting: Sequence[Waiting], now: datetime, state: CallUpState) -> list[Waiting]:
        return [truck for truck, _ in self._calls(waiting, now, state)]


@dataclass(frozen=True, slots=True)
class Fifo(_CallSequence):
    """First come, first served: the baseline every other policy is measured against."""

    name: str = field(default="fifo", init=False)

    def _calls(self, waiting: Sequence[Waiting], now: datetime,
               state: CallUpState) -> Iterator[tuple[Waiting, int]]:
        position = state.position
        for truck in sorted(waiting, key=check_in_order):
            yield truck, position


@dataclass(frozen=True, slots=True)
class BookedFirst(_CallSequence):
    """Trucks on time for their booking go first, so booking is worth doing (GoSwift).

    The tolerances absorb normal lateness on mountain roads; a truck far outside its
    window has lost its booking and queues like everyone else, which keeps
    "just in case" bookings from jumping the queue.
    """

    early: timedelta = timedelta(minutes=30)
    late: timedelta = timedelta(minutes=30)
    name: str = field(default="booked_first", init=False)

    def __post_init__(self) -> None:
        if self.early < timedelta(0) or self.late < timedelta(0):
            raise ValueError("early and late tolerances must not be negative")

    def in_window(self, truck: Waiting, now: datetime) -> bool:
        """Whether the truck's booking, widened by the tolerances, is current (half-open)."""
        if truck.booked_from is None or truck.booked_until is None:
            return False
        return truck.booked_from - self.early <= now < truck.booked_until + self.late

    def _calls(self, waiting: Sequence[Waiting], now: datetime,
               state: CallUpState) -> Iterator[tuple[Waiting, CallUpState]]:
        _aware(now, "now")
        booked = [t for t in waiting if self.in_window(t, now)]
        rest = [t for t in waiting if not self.in_window(t, now)]
        booked.sort(key=booking_order)
        rest.sort(key=check_in_order)
        position = state.position
        for truck in booked + rest:
            yield truck, position


@dataclass(frozen=True, slots=True)
class PriorityPattern(_CallSequence):
    """Priority classes called in a fixed ratio, with aging so that nobody starves.

    A strict priority would let a durian peak hold ordinary trucks for days; a
    call-up pattern gives every class a guaranteed share instead, and aging caps
    everyone's wait at about max_wait. Aged calls do not use up a pattern slot,
    so the pattern resumes where it stood. Inside a class, trucks within their
    booking window (widened by the early and late tolerances) go first.
    """

    pattern: tuple[str, ...] = DEFAULT_PATTERN
    max_wait: timedelta = timedelta(hours=6)
    early: timedelta = timedelta(minutes=30)
    late: timedelta = timedelta(minutes=30)
    name: str = field(default="priority", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", tuple(self.pattern))  # a list from a scenario file
        if not self.pattern:
            raise ValueError("the call-up pattern needs at least one class")
        unknown = [c for c in self.pattern if c not in PRIORITIES]
        if unknown:
            raise ValueError(f"unknown priority class {unknown[0]!r} in the call-up pattern; "
                             f"expected {', '.join(PRIORITIES)}")
        if self.max_wait <= timedelta(0):
            raise ValueError("max_wait must be positive")
        if self.early < timedelta(0) or self.late < timedelta(0):
            raise ValueError("early and late tolerances must not be negative")

    def _calls(self, waiting: Sequence[Waiting], now: datetime,
               state: CallUpState) -> Iterator[tuple[Waiting, int]]:
        _aware(now, "now")
        trucks = sorted(waiting, key=check_in_order)
        position = state.position % len(self.pattern)
        young = now - self.max_wait  # checked in after this: not aged
        aged = 0  # in check-in order, the aged trucks come first
        for truck in trucks:
            if truck.checked_in_at > young:
                break
            aged += 1
            yield truck, state.position
        if aged == len(trucks):
            return
        trucks = trucks[aged:]
        # Within a class, a truck on time for its booking goes before the unbooked (GoSwift):
        # booking is worth doing, and a booking far outside its window is worth nothing.
        # Both parts keep the check-in order. Each class's queue is held reversed: pop() gives its next truck.
        queues: dict[str, list[Waiting]] = {PERISHABLE: [], TRUSTED: [], ORDINARY: []}
        early, late, on_time = self.early, self.late, []
        for truck in reversed(trucks):
            booked = truck.booked_from
            if booked is not None and booked - early <= now < truck.booked_until + late:  # type: ignore[operator]
                on_time.append(truck)
            else:
                queues[truck.priority].append(truck)
        for truck in on_time:
            queues[truck.priority].append(truck)
        pattern, size = self.pattern, len(self.pattern)
        for _ in range(len(trucks)):
            for step in range(size):
                queue = queues[pattern[(position + step) % size]]
                if queue:
                    truck = queue.pop()
                    position = (position + step + 1) % size
                    break
            else:
                # Only classes the pattern never names are left: serve them in arrival
                # order rather than leave the gate idle. The pattern does not move.
                cls = min((c for c in PRIORITIES if queues[c]), key=lambda c: check_in_order(queues[c][-1]))
                truck = queues[cls].pop()
            yield truck, position


POLICIES: Final[dict[str, type[Fifo] | type[BookedFirst] | type[PriorityPattern]]] = {
    "fifo": Fifo,
    "booked_first": BookedFirst,
    "priority": PriorityPattern,
}


def policy_from_name(name: str, **options: object) -> QueuePolicy:
    """Build a policy from configuration (node file, scenario file), refusing unknown names and options."""
    cls = POLICIES.get(name)
    if cls is None:
        raise ValueError(f"unknown queue policy {name!r}; expected one of {', '.join(POLICIES)}")
    allowed = [f.name for f in dataclasses.fields(cls) if f.init]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        expected = ", ".join(allowed) if allowed else "none"
        raise ValueError(f"unknown option(s) {', '.join(unknown)} for queue policy {name!r}; expected {expected}")
    return cls(**options)  # type: ignore[arg-type]
