"""The twin's two shortcuts change no answer: the yard hands the policy a subset that holds its first n
trucks, and the risk-lane cache returns what the node's selectivity returns truck by truck."""

from __future__ import annotations

import hmac
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderflow.domain.queueing import BookedFirst, CallUpState, Fifo, PriorityPattern, Waiting
from borderflow.domain.selectivity import DeclarantHistory, assess, audit_draw
from borderflow.domain.selectivity_rules import plate_key
from borderflow.reference.rules_loader import load_rule_files
from borderflow.sim.arrivals import declaration_of, generate_arrivals
from borderflow.sim.lanes import RiskLanes, _below_limit, _hmac_pads, fast_plate_key
from borderflow.sim.scenario import load_scenario
from borderflow.sim.yard import YardQueue

START = datetime(2026, 6, 15, tzinfo=UTC)
CLASSES = ("perishable", "trusted", "ordinary")


@pytest.mark.parametrize("seed", range(6))
def test_the_candidates_hold_every_policys_first_n(seed):
    rng = random.Random(seed)
    for _ in range(60):
        policy = rng.choice([Fifo(), BookedFirst(), PriorityPattern(
            pattern=tuple(rng.choice(CLASSES) for _ in range(rng.randrange(1, 8))),
            max_wait=timedelta(hours=rng.choice([1, 6, 72])))])
        aging = policy.max_wait if isinstance(policy, PriorityPattern) else None
        yard = YardQueue(aging, timedelta(minutes=30), timedelta(minutes=30))
        waiting: dict[str, Waiting] = {}
        for i in range(rng.randrange(5, 400)):
            at = START + timedelta(minutes=rng.random() * 3000)
            if waiting and rng.random() < 0.1:
                at = next(iter(waiting.values())).checked_in_at  # a tie, broken by crossing id
            hour = START + timedelta(hours=rng.randrange(0, 55)) if rng.random() < 0.3 else None
            truck = Waiting(f"c{rng.randrange(10**6)}-{i}", at, rng.choice(CLASSES), hour,
                            hour + timedelta(hours=1) if hour else None)
            waiting[truck.crossing_id] = truck
            yard.add(truck)
        for truck in rng.sample(list(waiting.values()), len(waiting) // 3):  # called
            yard.remove(truck)
            del waiting[truck.crossing_id]
        for truck in rng.sample(list(waiting.values()), len(waiting) // 10):  # put back in line later
            yard.remove(truck)
            again = Waiting(truck.crossing_id, truck.checked_in_at + timedelta(minutes=rng.random() * 600),
                            truck.priority, truck.booked_from, truck.booked_until)
            yard.add(again)
            waiting[truck.crossing_id] = again
        assert len(yard) == len(waiting) and sorted(yard.everyone(), key=id) == sorted(waiting.values(), key=id)
        now = START + timedelta(minutes=rng.random() * 3600)
        n, state = rng.randrange(1, 9), CallUpState(rng.randrange(9))
        everyone = policy.pick(list(waiting.values()), now, n, state)
        subset = yard.candidates(n, now)
        assert set(map(id, subset)) <= set(map(id, waiting.values()))
        assert policy.pick(subset, now, n, state) == everyone


def test_a_truck_that_is_not_waiting_cannot_be_removed():
    yard = YardQueue(None, timedelta(0), timedelta(0))
    truck = Waiting("a", START, "ordinary")
    yard.add(truck)
    with pytest.raises(KeyError):
        yard.remove(Waiting("a", START + timedelta(minutes=1), "ordinary"))
    yard.remove(truck)
    assert len(yard) == 0


RULES_WITH_EVERYTHING = """
default_lane = "green"
[random]
red = 0.05
yellow = 0.1
blue = 0.1
[watchlists.wanted]
plates = ["{plate}"]
[watchlists.suspended]
declarants = ["{declarant}"]
[[rules]]
id = "wanted"
lane = "red"
reason = "plate {{plate}} wanted ({{watchlist}})"
plate_watchlist = "wanted"
[[rules]]
id = "suspended"
lane = "red"
reason = "{{declarant}} suspended"
declarant_watchlist = "suspended"
[[rules]]
id = "cheap"
lane = "yellow"
reason = "{{hs}} at {{value_per_kg}} from {{origin}}"
value_per_kg_below = 1.0
[[rules]]
id = "dear"
lane = "blue"
reason = "{{hs}} above 3"
value_per_kg_above = 3.0
hs_prefix = ["08"]
[[rules]]
id = "new"
lane = "yellow"
reason = "new: {{declarant}}"
history_crossings_below = 5
perishable = true
[[rules]]
id = "failed"
lane = "red"
reason = "failed before"
history_inspections_failed_at_least = 1
gate = ["KIMTHANH", "HEKOU"]
[[rules]]
id = "refused"
lane = "red"
reason = "refused twice"
history_refused_at_least = 2
direction = "export"
vehicle_country = ["CN"]
"""


def _rule_sets(tmp_path, trucks):
    shipped = load_rule_files(None)
    text = RULES_WITH_EVERYTHING.format(plate=trucks[3].plate, declarant=trucks[5].declarant.tax_id)
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return [shipped, load_rule_files(path)]


def test_the_risk_lane_cache_returns_the_nodes_assessment(tmp_path):
    trucks = list(generate_arrivals(load_scenario("durian_peak").replace(days=2), seed=3))
    rng = random.Random(1)
    secret = b"cache-test"
    for shipped, (selectivity, signoffs) in zip((True, False), _rule_sets(tmp_path, trucks), strict=True):
        lanes = RiskLanes(selectivity, signoffs, secret)
        assert lanes.cached
        for truck in trucks:
            history = DeclarantHistory(crossings=rng.choice([0, 2, 4, 6, 30]), refused=rng.choice([0, 0, 1, 2]),
                                       inspections_failed=rng.choice([0, 0, 1]))
            declaration = declaration_of(truck)
            assert lanes.key_for(truck, history) == lanes.key_of(declaration, history)
            expected = assess(declaration, history, selectivity, audit_draw(secret, truck.id))
            assert lanes.assess(truck, history) == expected, truck.id
        assert lanes.hits > (1000 if shipped else 0)  # and it is a cache


_LISTED = ("29C-123.45", "云G1234挂", "24R-012.39")
_PLATE_CHARS = "0123456789CRGX云挂-. c"


@st.composite
def _plates_near_the_list(draw):
    """A listed plate with a few characters changed, dropped or added, or any short string."""
    if draw(st.booleans()):
        return draw(st.text(_PLATE_CHARS, max_size=12))
    plate = list(draw(st.sampled_from(_LISTED)))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(plate)))
        change = draw(st.sampled_from(("put", "drop", "set")))
        if change == "put" or not plate:
            plate.insert(at, draw(st.sampled_from(_PLATE_CHARS)))
        elif change == "drop":
            del plate[min(at, len(plate) - 1)]
        else:
            plate[min(at, len(plate) - 1)] = draw(st.sampled_from(_PLATE_CHARS))
    return "".join(plate)


@pytest.fixture(scope="module")
def watching_lanes(tmp_path_factory):
    text = RULES_WITH_EVERYTHING.replace('plates = ["{plate}"]', "plates = " + repr(list(_LISTED)).replace("'", '"'))
    path = tmp_path_factory.mktemp("rules") / "rules.toml"
    path.write_text(text.format(declarant="0101234567"), encoding="utf-8")
    selectivity, signoffs = load_rule_files(path)
    return RiskLanes(selectivity, signoffs, b"s")


@given(plate=_plates_near_the_list(), trailer=st.none() | _plates_near_the_list())
def test_the_watchlist_part_of_the_key_is_the_domains_plate_match(watching_lanes, plate, trailer):
    lanes = watching_lanes
    expected = tuple(plate if plate_key(plate) in listed else trailer if trailer and plate_key(trailer) in listed
                     else None for listed in lanes._listed)
    assert lanes._plate_part(plate, trailer) == expected


def test_an_unknown_criterion_turns_the_cache_off(monkeypatch):
    from borderflow.domain import selectivity_rules
    rules, signoffs = load_rule_files(None)
    monkeypatch.setattr("borderflow.sim.lanes.RULE_KEYS", selectivity_rules.RULE_KEYS | {"moon_phase"})
    lanes = RiskLanes(rules, signoffs, b"s")
    assert not lanes.cached
    truck = next(iter(generate_arrivals(load_scenario("normal_day"), seed=1)))
    history = DeclarantHistory(crossings=3)
    assert lanes.assess(truck, history) == assess(declaration_of(truck), history, rules, audit_draw(b"s", truck.id))


def test_the_fast_plate_key_equals_the_domains():
    trucks = list(generate_arrivals(load_scenario("normal_day"), seed=2))[:3000]
    for truck in trucks:
        for plate in (truck.plate, truck.trailer_plate, f" {truck.plate.lower()}_x·y "):
            assert fast_plate_key(plate) == plate_key(plate)


@given(st.binary(max_size=200), st.binary(max_size=300))
def test_the_copied_pads_give_the_hmac_of_the_standard_library(secret, message):
    inner, outer = _hmac_pads(secret)
    mac = inner.copy()
    mac.update(message)
    out = outer.copy()
    out.update(mac.digest())
    assert out.digest() == hmac.new(secret, message, "sha256").digest()


@given(st.floats(min_value=-0.5, max_value=1.5, allow_nan=False), st.binary(min_size=24, max_size=24),
       st.integers(-3, 3))
def test_a_digest_sorts_below_the_limit_exactly_when_its_draw_is_below_the_rate(rate, tail, offset):
    limit = _below_limit(rate)
    near = int.from_bytes(limit[:8], "big") + offset if len(limit) == 8 else 2**64 - 1 + offset
    for number in (near, int.from_bytes(tail[:8], "big")):
        digest = (number % 2**64).to_bytes(8, "big") + tail
        assert (digest < limit) == (int.from_bytes(digest[:8], "big") / 2**64 < rate)


def test_sign_offs_are_the_rules_files():
    rules, signoffs = load_rule_files(None)
    lanes = RiskLanes(rules, signoffs, b"s")
    for colour in ("green", "blue", "yellow", "red"):
        for hs in ("08106000", "0810600000", "40012200", "2901.10"):
            for direction in ("export", "import"):
                digits = "".join(ch for ch in hs if ch.isdigit())
                assert lanes.required(colour, direction, hs) == signoffs.required(
                    risk_lane=colour, direction=direction, hs_codes=(digits,))
    assert set(lanes.required("red", "export", "08106000")) == {"customs", "quarantine", "border_guard"}


def test_the_value_per_kg_shortcut_never_changes_a_comparison_or_a_printed_cent():
    from decimal import Decimal
    rules, signoffs = load_rule_files(None)
    lanes = RiskLanes(rules, signoffs, b"s")
    rng = random.Random(3)
    pairs = [(rng.randrange(1, 200_000), rng.randrange(1, 30_000)) for _ in range(20_000)]
    pairs += [(n, n) for n in range(1, 3000)] + [(2 * n + 1, 200 * n) for n in range(1, 3000)]  # at 1.0, at x.xx5
    for value, net in pairs:
        exact = float(Decimal(value) / Decimal(net))
        assert lanes._value_part(lanes._per_kg(value, net)) == lanes._value_part(exact), (value, net)
