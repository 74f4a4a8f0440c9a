"""Yard queue policies: who is called forward next, and that nobody is left behind."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.domain.queueing import (
    DEFAULT_PATTERN,
    PRIORITIES,
    BookedFirst,
    CallUpState,
    Fifo,
    PriorityPattern,
    Waiting,
    policy_from_name,
)

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
START = CallUpState()
MIN = timedelta(minutes=1)


def truck(cid: str, minutes: float, priority: str = "ordinary", booked: tuple[float, float] | None = None) -> Waiting:
    """A truck checked in `minutes` after T0, booked for (from, until) minutes after T0."""
    if booked is None:
        return Waiting(cid, T0 + minutes * MIN, priority)
    return Waiting(cid, T0 + minutes * MIN, priority, T0 + booked[0] * MIN, T0 + booked[1] * MIN)


def ids(trucks) -> list[str]:
    return [t.crossing_id for t in trucks]


# ------------------------------------------------------------------ examples


def test_waiting_refuses_naive_times_unknown_classes_and_half_bookings():
    with pytest.raises(ValueError, match="aware"):
        Waiting("c1", datetime(2026, 11, 24, 8, 0), "ordinary")
    with pytest.raises(ValueError, match="perishable, trusted, ordinary"):
        Waiting("c1", T0, "vip")
    with pytest.raises(ValueError, match="both or neither"):
        Waiting("c1", T0, "ordinary", booked_from=T0)
    with pytest.raises(ValueError, match="after"):
        Waiting("c1", T0, "ordinary", booked_from=T0, booked_until=T0)


def test_fifo_calls_by_check_in_and_breaks_ties_by_crossing_id():
    waiting = [truck("c3", 5), truck("b2", 0), truck("a1", 5), truck("d4", -10, "perishable")]
    picked, state = Fifo().pick(waiting, T0, 3, START)
    assert ids(picked) == ["d4", "b2", "a1"]
    assert state == START
    assert ids(Fifo().order(waiting, T0, START)) == ["d4", "b2", "a1", "c3"]


def test_pick_zero_and_empty_yard_and_negative_n():
    assert Fifo().pick([truck("a", 0)], T0, 0, START) == ([], START)
    assert PriorityPattern().pick([], T0, 5, CallUpState(3)) == ([], CallUpState(3))
    with pytest.raises(ValueError, match="n must be"):
        Fifo().pick([], T0, -1, START)


def test_booked_first_calls_current_bookings_first_earliest_window_first():
    now = T0 + 60 * MIN
    waiting = [
        truck("walk-in", 0),
        truck("later-slot", 30, booked=(60, 120)),
        truck("earlier-slot", 50, booked=(30, 90)),
        truck("tomorrow", -30, booked=(24 * 60, 25 * 60)),  # far outside: queues as unbooked
    ]
    order = BookedFirst(early=30 * MIN, late=30 * MIN).order(waiting, now, START)
    assert ids(order) == ["earlier-slot", "later-slot", "tomorrow", "walk-in"]


@pytest.mark.parametrize(("now_minutes", "current"), [
    (29, False),   # before the window widened by early=30
    (30, True),    # exactly booked_from - early
    (179, True),   # booked_until + late is 180; half-open
    (180, False),
])
def test_booked_first_tolerance_edges(now_minutes, current):
    policy = BookedFirst(early=30 * MIN, late=60 * MIN)
    waiting = [truck("walk-in", 0), truck("booked", 10, booked=(60, 120))]
    first = policy.order(waiting, T0 + now_minutes * MIN, START)[0]
    assert (first.crossing_id == "booked") is current
    assert policy.in_window(waiting[1], T0 + now_minutes * MIN) is current


def test_priority_pattern_follows_the_default_pattern_with_all_classes_waiting():
    waiting = [truck(f"{p[0]}{i:02}", i, p) for p in PRIORITIES for i in range(10)]
    picked, state = PriorityPattern().pick(waiting, T0 + 60 * MIN, 9, START)
    assert [t.priority for t in picked] == list(DEFAULT_PATTERN) + ["perishable", "trusted"]
    assert ids(picked)[:3] == ["p00", "t00", "o00"]  # oldest of each class
    assert state == CallUpState(2)


def test_priority_pattern_skips_a_class_nobody_is_waiting_in():
    waiting = [truck("t1", 0, "trusted"), truck("o1", 1), truck("o2", 2), truck("t2", 3, "trusted")]
    # Position 0 is perishable: nobody, so the trusted slot is used; then ordinary.
    order = PriorityPattern().order(waiting, T0 + 10 * MIN, START)
    assert ids(order) == ["t1", "o1", "o2", "t2"]
    picked, state = PriorityPattern().pick(waiting, T0 + 10 * MIN, 1, START)
    assert ids(picked) == ["t1"] and state == CallUpState(2)


def test_priority_pattern_resumes_from_the_state_it_is_given():
    waiting = [truck("p1", 0, "perishable"), truck("o1", 1), truck("t1", 2, "trusted")]
    state = CallUpState(2)  # in the ordinary stretch
    picked, after = PriorityPattern().pick(waiting, T0 + 10 * MIN, 2, state)
    assert ids(picked) == ["o1", "p1"]
    assert after == CallUpState(1) and state == CallUpState(2)  # a new state; the old one is untouched


def test_aged_trucks_go_before_the_pattern_oldest_first_without_using_a_slot():
    policy = PriorityPattern(max_wait=timedelta(hours=6))
    now = T0 + timedelta(hours=10)
    waiting = [truck("p-new", 590, "perishable"), truck("o-aged-2", 200), truck("o-aged-1", 100),
               truck("o-fresh", 500), truck("t-aged", 240, "trusted"), truck("o-just", 240)]
    picked, state = policy.pick(waiting, now, 4, START)
    # waited exactly max_wait (o-just, t-aged at 240 min = 6 h before now) counts as aged
    assert ids(picked) == ["o-aged-1", "o-aged-2", "o-just", "t-aged"]
    assert state == START
    assert ids(policy.order(waiting, now, START))[4:] == ["p-new", "o-fresh"]


def test_a_class_the_pattern_never_names_is_still_served_when_nothing_else_waits():
    policy = PriorityPattern(pattern=("perishable",))
    waiting = [truck("o1", 5), truck("p1", 9, "perishable"), truck("t1", 1, "trusted")]
    assert ids(policy.order(waiting, T0 + 10 * MIN, START)) == ["p1", "t1", "o1"]


def test_policy_from_name_builds_each_policy_and_lists_the_valid_names():
    assert policy_from_name("fifo") == Fifo()
    assert policy_from_name("booked_first", early=10 * MIN, late=5 * MIN) == BookedFirst(10 * MIN, 5 * MIN)
    built = policy_from_name("priority", pattern=["perishable", "ordinary"], max_wait=timedelta(hours=2))
    assert built == PriorityPattern(("perishable", "ordinary"), timedelta(hours=2))
    assert {policy_from_name(n).name for n in ("fifo", "booked_first", "priority")} == {
        "fifo", "booked_first", "priority"}
    with pytest.raises(ValueError, match="fifo, booked_first, priority"):
        policy_from_name("lifo")
    with pytest.raises(ValueError, match="pattern"):
        policy_from_name("priority", patern=("ordinary",))
    with pytest.raises(ValueError, match="unknown priority class"):
        PriorityPattern(pattern=("perishable", "vip"))


# ------------------------------------------------------------------ properties

BOOKINGS = st.one_of(st.none(), st.tuples(st.integers(-600, 600), st.integers(1, 240)))


@st.composite
def yards(draw, max_size=25):
    rows = draw(st.lists(st.tuples(st.integers(-900, 120), st.sampled_from(PRIORITIES), BOOKINGS), max_size=max_size))
    return [truck(f"c{i:03}", minutes, priority, None if b is None else (b[0], b[0] + b[1]))
            for i, (minutes, priority, b) in enumerate(rows)]


POLICY_CHOICES = st.one_of(
    st.just(Fifo()),
    st.builds(BookedFirst, st.integers(0, 120).map(lambda m: m * MIN), st.integers(0, 120).map(lambda m: m * MIN)),
    st.builds(PriorityPattern,
              st.lists(st.sampled_from(PRIORITIES), min_size=1, max_size=8).map(tuple),
              st.integers(30, 600).map(lambda m: m * MIN)),
)
NOWS = st.integers(0, 600).map(lambda m: T0 + m * MIN)
STATES = st.integers(0, 20).map(CallUpState)


@settings(max_examples=150, deadline=None)
@given(POLICY_CHOICES, yards(), NOWS, st.integers(0, 30), STATES)
def test_pick_is_the_head_of_order_and_calls_each_waiting_truck_once(policy, waiting, now, n, state):
    picked, after = policy.pick(waiting, now, n, state)
    order = policy.order(waiting, now, state)
    assert picked == order[:n]
    assert len(picked) == min(n, len(waiting))
    assert len({t.crossing_id for t in picked}) == len(picked)
    assert all(t in waiting for t in picked)
    assert sorted(ids(order)) == sorted(ids(waiting))  # the order is a permutation of the yard
    assert isinstance(after, CallUpState)
    # Picking in two steps gives the same calls as picking at once: the state carries everything.
    k = n // 2
    first, mid = policy.pick(waiting, now, k, state)
    rest = [t for t in waiting if t not in first]
    second, end = policy.pick(rest, now, n - k, mid)
    assert first + second == picked and end == after


def _pattern_as_written(policy: PriorityPattern, waiting: list[Waiting], now: datetime,
                        state: CallUpState) -> tuple[list[Waiting], int]:
    """The call-up pattern in its plainest words (aged first; then the pattern over the classes,
    on-time bookings first in each): the oracle the policy's quicker code is held to."""
    trucks = sorted(waiting, key=lambda t: (t.checked_in_at, t.crossing_id))
    order = [t for t in trucks if t.checked_in_at <= now - policy.max_wait]
    young = [t for t in trucks if t not in order]
    window = BookedFirst(policy.early, policy.late)
    young.sort(key=lambda t: not window.in_window(t, now))
    queues = {c: [t for t in young if t.priority == c] for c in PRIORITIES}
    size = len(policy.pattern)
    position = state.position % size
    while any(queues.values()):
        for step in range(size):
            queue = queues[policy.pattern[(position + step) % size]]
            if queue:
                order.append(queue.pop(0))
                position = (position + step + 1) % size
                break
        else:
            first = min((q[0] for q in queues.values() if q), key=lambda t: (t.checked_in_at, t.crossing_id))
            queues[first.priority].remove(first)
            order.append(first)
    return order, position if young else state.position  # aged calls alone leave the state as it was


@settings(max_examples=200, deadline=None)
@given(st.builds(PriorityPattern, st.lists(st.sampled_from(PRIORITIES), min_size=1, max_size=8).map(tuple),
                 st.integers(30, 600).map(lambda m: m * MIN), st.integers(0, 90).map(lambda m: m * MIN),
                 st.integers(0, 90).map(lambda m: m * MIN)),
       yards(), NOWS, STATES)
def test_priority_pattern_calls_as_the_rule_is_written(policy, waiting, now, state):
    order, position = _pattern_as_written(policy, waiting, now, state)
    assert policy.order(waiting, now, state) == order
    picked, after = policy.pick(waiting, now, len(waiting), state)
    assert picked == order
    assert after.position == position


@settings(max_examples=60, deadline=None)
@given(yards(), NOWS)
def test_fifo_is_sorted_by_check_in(waiting, now):
    order = Fifo().order(waiting, now, START)
    assert [(t.checked_in_at, t.crossing_id) for t in order] == sorted((t.checked_in_at, t.crossing_id) for t in order)


@settings(max_examples=80, deadline=None)
@given(yards(), NOWS, st.integers(0, 120), st.integers(0, 120))
def test_booked_first_puts_exactly_the_current_bookings_first(waiting, now, early_min, late_min):
    early, late = early_min * MIN, late_min * MIN
    current = {t.crossing_id for t in waiting
               if t.booked_from is not None and t.booked_from - early <= now < t.booked_until + late}
    order = BookedFirst(early, late).order(waiting, now, START)
    head, tail = order[:len(current)], order[len(current):]
    assert set(ids(head)) == current
    assert [t.booked_from for t in head] == sorted(t.booked_from for t in head)
    # Everyone else, including bookings outside their window, is first come, first served.
    assert [(t.checked_in_at, t.crossing_id) for t in tail] == sorted((t.checked_in_at, t.crossing_id) for t in tail)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 6), st.lists(st.integers(1, 9), min_size=1, max_size=25), st.integers(2, 12))
def test_priority_pattern_keeps_the_1_1_5_ratio_over_whole_cycles(start, batches, cycles):
    """Every class always has trucks waiting; calls in batches of any size; whole cycles counted.
    (Aging is out of reach here: it is tested on its own below.)"""
    policy, state = PriorityPattern(max_wait=timedelta(days=3650)), CallUpState(start)
    size, total = len(DEFAULT_PATTERN), cycles * len(DEFAULT_PATTERN)
    waiting: list[Waiting] = []
    serial, called = 0, []
    batches = iter(batches * total)
    now = T0
    while len(called) < total:
        for priority in PRIORITIES:  # keep at least 9 of each class waiting, none of them aged
            while sum(t.priority == priority for t in waiting) < 9:
                waiting.append(Waiting(f"c{serial:05}", now, priority))
                serial += 1
        n = min(next(batches), total - len(called))
        picked, state = policy.pick(waiting, now, n, state)
        called += [t.priority for t in picked]
        waiting = [t for t in waiting if t not in picked]
        now += 10 * MIN
    assert Counter(called) == {"perishable": cycles, "trusted": cycles, "ordinary": 5 * cycles}
    for i in range(0, total, size):  # and within each cycle, not just overall
        assert Counter(called[i:i + size]) == {"perishable": 1, "trusted": 1, "ordinary": 5}
    assert called[:size] == [DEFAULT_PATTERN[(start + i) % size] for i in range(size)]


def _simulate_stream(policy: PriorityPattern, high_classes: list[str], ordinary_ticks: set[int],
                     ticks: int, every: timedelta) -> dict[str, timedelta]:
    """One call every `every`; one perishable or trusted truck arrives before every call,
    so the pattern always has a higher class to call; ordinary trucks arrive at the given ticks.
    Returns how long each ordinary truck waited (absent = never called)."""
    waiting: list[Waiting] = []
    state = START
    waited: dict[str, timedelta] = {}
    for tick in range(ticks):
        call_at = T0 + tick * every
        arrive_at = call_at - every / 2
        waiting.append(Waiting(f"h{tick:04}", arrive_at, high_classes[tick % len(high_classes)]))
        if tick in ordinary_ticks:
            waiting.append(Waiting(f"o{tick:04}", arrive_at, "ordinary"))
        picked, state = policy.pick(waiting, call_at, 1, state)
        for t in picked:
            if t.priority == "ordinary":
                waited[t.crossing_id] = call_at - t.checked_in_at
        waiting = [t for t in waiting if t not in picked]
    return waited


@pytest.mark.parametrize("pattern", [DEFAULT_PATTERN, ("perishable", "trusted"), ("perishable",) * 6 + ("ordinary",)])
@settings(max_examples=25, deadline=None)
@given(high=st.lists(st.sampled_from(["perishable", "trusted"]), min_size=1, max_size=40),
       ordinary=st.sets(st.integers(0, 100), max_size=8))
def test_no_ordinary_truck_starves_under_a_stream_of_priority_arrivals(pattern, high, ordinary):
    every, max_wait = 10 * MIN, timedelta(hours=6)
    policy = PriorityPattern(pattern=pattern, max_wait=max_wait)
    ticks = 100 + (max_wait + len(pattern) * every) // every + 2
    waited = _simulate_stream(policy, high, ordinary, ticks, every)
    bound = max_wait + len(pattern) * every
    assert set(waited) == {f"o{t:04}" for t in ordinary}  # everyone was called …
    assert all(w <= bound for w in waited.values()), waited  # … within max_wait + one cycle


def test_without_aging_the_starving_pattern_really_starves():
    """The scenario above is a real test: with aging out of reach, ordinary trucks never go."""
    policy = PriorityPattern(pattern=("perishable", "trusted"), max_wait=timedelta(days=30))
    waited = _simulate_stream(policy, ["perishable", "trusted"], {0, 5}, 200, 10 * MIN)
    assert waited == {}
