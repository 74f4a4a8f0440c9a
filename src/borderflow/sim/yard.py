"""The trucks waiting in one simulated yard, kept so the queue policy sees only the ones that can matter.

The node hands its policy every waiting truck at every step; with thousands in a durian
peak that sort is most of a simulation's time. A policy's first n trucks are always among
a few: the n longest waiting of each priority class (aging calls the longest waiting
first, and inside a class the order is by check-in), the next n of each class whose
booking window is not open, and of the trucks whose booking window is open the first n
by booking (booked first) or the first n of each class that have not aged (the priority
pattern). The yard is made for its policy (aging for the priority pattern, bookings that
do not matter for first come, first served), and `candidates(n, now)` returns those (a
superset, never a guess); the policy itself, the node's object, orders them:
`pick(candidates, now, n, state)` equals `pick(everyone, now, n, state)` (a test holds
the two together for every policy).
"""

from __future__ import annotations

import bisect
from datetime import datetime, timedelta
from borderflow.domain.queueing import PRIORITIES, Waiting, booking_order, check_in_order

_LAST = chr(0x10FFFF)  # sorts after any crossing id
HOUR = timedelta(hours=1)


class _Class:
    """One priority class: waiting trucks in the policies' FIFO order (check-in time, crossing id)."""

    __slots__ = ("trucks", "keys", "head", "live")

    def __init__(self) -> None:
        self.trucks: list[Waiting] = []
        self.keys: list[tuple[datetime, str]] = []
        self.head = 0  # trucks before it are gone
        self.live: dict[str, Waiting] = {}  # crossing id → its entry now (a truck put back in line has a new one)

    def add(self, truck: Waiting) -> None:
        key = (truck.checked_in_at, truck.crossing_id)
        if not self.keys or key >= self.keys[-1]:
            self.keys.append(key)
            self.trucks.append(truck)
        else:  # a tie broken by crossing id, or a check-in earlier than the last one: keep the order exact
            at = bisect.bisect_left(self.keys, key, self.head)
            self.keys.insert(at, key)
            self.trucks.insert(at, truck)
        self.live[truck.crossing_id] = truck

    def remove(self, crossing_id: str) -> None:
        del self.live[crossing_id]
        trucks, live, head = self.trucks, self.live, self.head
        while head < len(trucks) and live.get(trucks[head].crossing_id) is not trucks[head]:
            head += 1
        self.head = head
        if head > 256 and head * 2 > len(trucks):  # drop what is gone, now and then
            self.trucks, self.keys, self.head = trucks[head:], self.keys[head:], 0

    def first(self, n: int, start: int, skip: frozenset[str] | set[str] = frozenset()) -> list[Waiting]:
        """Up to n live trucks from index `start` on, not counting those in `skip` (still returned)."""
        trucks, live, out = self.trucks, self.live, []
        counted = 0
        for i in range(max(start, self.head), len(trucks)):
            truck = trucks[i]
            if live.get(truck.crossing_id) is not truck:
                continue
            out.append(truck)
            if truck.crossing_id not in skip:
                counted += 1
                if counted >= n:
                    break
        return out


class YardQueue:
    """The yard's waiting trucks: add, remove, and the policy's candidates for n calls."""

    def __init__(self, max_wait: timedelta | None, early: timedelta, late: timedelta, *,
                 bookings_matter: bool = True) -> None:
        self.classes = {c: _Class() for c in PRIORITIES}
        self.max_wait = max_wait  # aging (the priority pattern's); None: no aging
        self.bookings_matter = bookings_matter  # False for first come, first served: only check-in times count
        self.early, self.late = early, late
        self.booked: dict[datetime, dict[str, Waiting]] = {}  # booked hour → the trucks booked for it
        self.hours: list[datetime] = []  # the keys of `booked`, sorted
        self.longest = HOUR  # the longest booking seen (booked_until − booked_from)
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def add(self, truck: Waiting) -> None:
        self.classes[truck.priority].add(truck)
        start = truck.booked_from
        if start is not None:
            trucks = self.booked.get(start)
            if trucks is None:
                trucks = self.booked[start] = {}
                bisect.insort(self.hours, start)
            trucks[truck.crossing_id] = truck
            if truck.booked_until - start > self.longest:
                self.longest = truck.booked_until - start
        self.size += 1

    def remove(self, truck: Waiting) -> None:
        if self.classes[truck.priority].live.get(truck.crossing_id) is not truck:
            raise KeyError(f"{truck.crossing_id} is not waiting in this yard")
        self.classes[truck.priority].remove(truck.crossing_id)
        start = truck.booked_from
        if start is not None:
            trucks = self.booked.get(start)
            if trucks is not None:
                trucks.pop(truck.crossing_id, None)
                if not trucks:
                    del self.booked[start]
                    del self.hours[bisect.bisect_left(self.hours, start)]
        self.size -= 1

    def everyone(self) -> list[Waiting]:
        return [t for c in self.classes.values() for t in c.live.values()]

    def in_window(self, now: datetime) -> list[Waiting]:
        """Every truck on time for its booking now (booked_from − early ≤ now < booked_until + late)."""
        hours, early, late = self.hours, self.early, self.late
        low = bisect.bisect_right(hours, now - late - self.longest)
        high = bisect.bisect_right(hours, now + early)
        return [t for hour in hours[low:high] for t in self.booked[hour].values()
                if t.booked_from - early <= now < t.booked_until + late]

    def candidates(self, n: int, now: datetime) -> list[Waiting]:
        """Waiting trucks among which the yard's policy finds its first n (see the module)."""
        if self.size <= 4 * n + 8:
            return self.everyone()
        if not self.bookings_matter:  # first come, first served: the n longest waiting of each class
            return [t for cls in self.classes.values() if cls.live for t in cls.first(n, cls.head)]
        window = self.in_window(now)
        seen: dict[str, Waiting] = {}
        if window and self.max_wait is None:  # booked first: the first n on time, by booking
            window.sort(key=booking_order)
            for truck in window[:n]:
                seen[truck.crossing_id] = truck
        elif window:  # the priority pattern: in each class, the first n on time that have not aged
            aged_before = now - self.max_wait
            per_class = dict.fromkeys(PRIORITIES, 0)
            window.sort(key=check_in_order)
            for truck in window:
                if truck.checked_in_at <= aged_before:
                    continue  # aged: among the longest waiting below
                if per_class[truck.priority] < n:
                    per_class[truck.priority] += 1
                    seen[truck.crossing_id] = truck
        skip = {t.crossing_id for t in window}
        aged_key = (now - self.max_wait, _LAST) if self.max_wait is not None else None
        for cls in self.classes.values():
            if not cls.live:
                continue
            start = cls.head
            if aged_key is not None:  # the first truck that has not aged
                start = bisect.bisect_right(cls.keys, aged_key, cls.head)
            if start > cls.head:  # the longest waiting (and so every aged truck, if fewer than n)
                for truck in cls.first(n, cls.head):
                    seen[truck.crossing_id] = truck
            # n not aged and not on time for a booking (from the head, this holds the n longest waiting too)
            for truck in cls.first(n, start, skip):
                seen[truck.crossing_id] = truck
        return list(seen.values())
