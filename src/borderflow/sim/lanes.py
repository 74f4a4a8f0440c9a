"""Each simulated truck's risk lane and sign-offs, by the node's own selectivity and sign-off rules.

The lane is `domain.selectivity.assess` of the truck's declaration with its declarant's
history and the audit draw of its crossing id, exactly as the node assesses it. What
makes it cheap is a cache that never changes an answer: `assess` reads only a few facts
of a declaration (its direction, gate, the vehicle's country, whether a plate is on a
watchlist, each item's HS code, origin and currency, its value per kg compared with the
rules' thresholds, and the declarant only where a rule names or prints it) and of the
history (compared with the rules' counts), and the random draws only as "below the rate
or not". Trucks alike in all of that get the same
assessment, so it is computed once per kind of truck, with the node's function, from the
first such truck's declaration, and reused. A rules file with a criterion this module
does not know is assessed truck by truck (no cache), and a test holds the cached lanes to
the uncached ones.
"""

from __future__ import annotations

import hashlib
import math
import re
import string
from decimal import Decimal

from borderflow.domain.declaration import Declaration
from borderflow.domain.selectivity import Assessment, DeclarantHistory, RuleSet, assess, audit_draw
from borderflow.domain.selectivity_rules import LANES, RULE_KEYS
from borderflow.domain.signoffs import Requirement, SignoffRules
from borderflow.sim.arrivals import SimTruck, declaration_of

# The criteria whose facts the cache key holds; any other one turns the cache off.
KNOWN_CRITERIA = frozenset({"hs_prefix", "origin", "declarant", "direction", "gate", "vehicle_country",
                            "plate_watchlist", "declarant_watchlist", "value_per_kg_below", "value_per_kg_above",
                            "history_crossings_below", "history_refused_at_least",
                            "history_inspections_failed_at_least", "perishable"})
_SEVERITY = {lane: i for i, lane in enumerate(LANES)}
_NOT_ALNUM = re.compile(r"[\W_]+")  # str.isalnum() is \w without "_": what plate_key keeps


def fast_plate_key(plate: str) -> str:
    """`selectivity_rules.plate_key`, by a regular expression (a test holds them equal)."""
    return _NOT_ALNUM.sub("", plate.upper())


def _hmac_pads(secret: bytes) -> tuple["hashlib._Hash", "hashlib._Hash"]:
    """HMAC-SHA256's inner and outer hashes with the key absorbed (RFC 2104), copied for each draw:
    the same bytes as `hmac.new(secret, msg, "sha256")`, at half the cost of copying an `hmac` object."""
    key = hashlib.sha256(secret).digest() if len(secret) > 64 else secret
    key = key.ljust(64, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)), hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def _below_limit(rate: float) -> bytes:
    """Bytes that a digest sorts below exactly when the audit draw of its first 8 bytes,
    `int.from_bytes(digest[:8], "big") / 2**64`, is below `rate`: the first integer whose draw is
    not, found by bisection on that same expression, as 8 big-endian bytes."""
    low, high = 0, 2**64  # every integer below `low` draws below the rate; the answer is in [low, high]
    if high / 2**64 < rate:
        return b"\xff" * 33  # every 32-byte digest sorts below it
    while low < high:
        middle = (low + high) // 2
        if middle / 2**64 < rate:
            low = middle + 1
        else:
            high = middle
    return low.to_bytes(8, "big")


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class RiskLanes:
    """Risk lanes and sign-off requirements for the trucks of one node (its rules file and secret)."""

    def __init__(self, rules: RuleSet, signoffs: SignoffRules, secret: bytes) -> None:
        self.rules, self.signoffs, self.secret = rules, signoffs, secret
        self._inner, self._outer = _hmac_pads(secret)
        criteria = set().union(*(r.criteria.keys() for r in rules.rules)) if rules.rules else set()
        self.cached = criteria <= KNOWN_CRITERIA and RULE_KEYS - {"id", "lane", "reason", "enabled"} <= KNOWN_CRITERIA
        self._below = tuple(sorted({r.criteria["value_per_kg_below"] for r in rules.rules
                                    if "value_per_kg_below" in r.criteria}))
        self._above = tuple(sorted({r.criteria["value_per_kg_above"] for r in rules.rules
                                    if "value_per_kg_above" in r.criteria}))
        self._crossings = tuple(sorted({r.criteria["history_crossings_below"] for r in rules.rules
                                        if "history_crossings_below" in r.criteria}))
        self._refused = tuple(sorted({r.criteria["history_refused_at_least"] for r in rules.rules
                                      if "history_refused_at_least" in r.criteria}))
        self._failed = tuple(sorted({r.criteria["history_inspections_failed_at_least"] for r in rules.rules
                                     if "history_inspections_failed_at_least" in r.criteria}))
        self._watchlists = tuple(dict.fromkeys(r.criteria["plate_watchlist"] for r in rules.rules
                                               if "plate_watchlist" in r.criteria))
        self._listed = tuple(rules.watchlists[name].plates for name in self._watchlists)
        # A plate can be on a list only if its key ends as a listed key does: a cheap first look.
        self._last = frozenset(key[-1:] for listed in self._listed for key in listed)  # "" for an empty key
        self._key_of_char: dict[str, str] = {}  # a plate's last character → its key ("" if the key drops it)
        self._nobody = (None,) * len(self._listed)
        # A reason that prints the truck's own plate (outside a plate-watchlist rule) or its value per kg
        # makes those facts part of the answer.
        self._plate_text = any("plate" in _fields(r.reason) and "plate_watchlist" not in r.criteria
                               for r in rules.rules)
        # A rule printing the value per kg fires only for its own HS prefixes: for other goods the printed
        # value is no part of the answer.
        self._value_prefixes = tuple(r.criteria.get("hs_prefix", ("",)) for r in rules.rules
                                     if "value_per_kg" in _fields(r.reason))
        self._value_text = bool(self._value_prefixes)
        # Who the declarant is matters only when a rule names it (a `declarant` criterion, a declarant
        # watchlist) or a rule that may fire prints it in its reason; otherwise all declarants are alike.
        self._named = frozenset(tax_id for r in rules.rules for tax_id in r.criteria.get("declarant", ())) | \
            frozenset(tax_id for w in rules.watchlists.values() for tax_id in w.declarants)
        self._declarant_text = tuple(r.criteria for r in rules.rules if "declarant" in _fields(r.reason))
        self._counts: dict[tuple[int, int, int], tuple[tuple, bool]] = {}  # (crossings, refused, failed) → part
        self._hs: dict[str, tuple[str, bool]] = {}  # HS code as declared → (digits, value printed)
        self._needs_value = bool(self._below or self._above or self._value_text)
        self._thresholds = self._below + self._above
        self._random = tuple((lane, rules.random_rates.get(lane, 0.0)) for lane in reversed(LANES)
                             if rules.random_rates.get(lane, 0.0) > 0)
        # kind of truck → (the lane its rules give, {random outcomes → assessment})
        self._kinds: dict[tuple, tuple[str, dict[tuple[bool, ...], Assessment]]] = {}
        # the rules' lane → the random draws that can raise it, most severe first: (purpose, rate)
        self._draws = {lane: tuple((f"|random:{r}".encode(), _below_limit(rate)) for r, rate in self._random
                                   if _SEVERITY[r] > _SEVERITY[lane]) for lane in LANES}
        self._required: dict[tuple[str, str, str], dict[str, Requirement]] = {}
        self.hits = self.misses = 0

    # ---------------------------------------------------------------- the cache key

    def _counted(self, crossings: int, refused: int, failed: int) -> tuple[tuple, bool]:
        """The history's part of the key (its counts compared with the rules' thresholds), and whether a
        rule that prints the declarant may fire for one named nowhere: both functions of the counts,
        worked out once for each."""
        counted = self._counts.get((crossings, refused, failed))
        if counted is None:
            counted = self._counts[(crossings, refused, failed)] = (
                self._counts_part(crossings, refused, failed), self._may_print(crossings, refused, failed))
        return counted

    def _may_print(self, crossings: int, refused: int, failed: int) -> bool:
        for c in self._declarant_text:  # a rule printing the declarant, unless it cannot fire for this one
            if "declarant" in c or "declarant_watchlist" in c:
                continue  # it names its declarants, and this one is named nowhere
            if "history_crossings_below" in c and not crossings < c["history_crossings_below"]:
                continue
            if "history_refused_at_least" in c and not refused >= c["history_refused_at_least"]:
                continue
            if "history_inspections_failed_at_least" in c and \
                    not failed >= c["history_inspections_failed_at_least"]:
                continue
            return True
        return False

    def _per_kg(self, value: int, net: int) -> float:
        """`float(Decimal(value) / Decimal(net))` as the node computes it; the float quotient where it cannot
        differ in any comparison or printed cent (it is within an ulp, and nowhere near a threshold)."""
        quick = value / net
        cents = quick * 100 - math.floor(quick * 100)
        if abs(cents - 0.5) <= 1e-6:
            return float(Decimal(value) / Decimal(net))
        for t in self._thresholds:
            if abs(quick - t) <= 1e-9 * max(1.0, t):
                return float(Decimal(value) / Decimal(net))
        return quick

    def _value_part(self, per_kg: float | None, printed: bool = True) -> tuple:
        if per_kg is None:
            return (None,)
        return (tuple(map(per_kg.__lt__, self._below)), tuple(map(per_kg.__gt__, self._above)),
                f"{per_kg:.2f}" if printed and self._value_text else None)

    def _hs_facts(self, hs_code: str) -> tuple[str, bool]:
        facts = self._hs.get(hs_code)
        if facts is None:
            digits = hs_code.replace(".", "").replace(" ", "")
            facts = self._hs[hs_code] = (digits, any(digits.startswith(p) for p in self._value_prefixes))
        return facts

    def _counts_part(self, crossings: int, refused: int, failed: int) -> tuple:
        return (tuple(map(crossings.__lt__, self._crossings)), tuple(map(refused.__ge__, self._refused)),
                tuple(map(failed.__ge__, self._failed)))

    def _plate_part(self, plate: str, trailer: str | None) -> tuple:
        if self._plate_text:
            return (plate, trailer)
        if not self._listed:
            return ()
        if not self._may_be_listed(plate) and (not trailer or not self._may_be_listed(trailer)):
            return self._nobody
        key, trailer_key = fast_plate_key(plate), fast_plate_key(trailer) if trailer else None
        return tuple([plate if key in listed else trailer if trailer_key in listed else None
                      for listed in self._listed])

    def _may_be_listed(self, plate: str) -> bool:
        """False when the plate is surely on no list: its key ends in a character no listed key ends in.
        The key is made character by character, so the last character's own key, when it keeps one,
        ends the plate's key; only a plate ending in something the key drops needs its whole key."""
        last = plate[-1:]
        kept = self._key_of_char.get(last)
        if kept is None:
            kept = self._key_of_char[last] = fast_plate_key(last)
        if kept:
            return kept[-1] in self._last
        return fast_plate_key(plate)[-1:] in self._last

    def key_of(self, declaration: Declaration, history: DeclarantHistory) -> tuple:
        """Everything of (declaration, history) that `assess` reads, as this rules file reads it."""
        d = declaration
        goods = []
        for item in d.goods:
            hs, printed = self._hs_facts(item.hs_code)
            per_kg = float(item.value / item.net_kg) if item.net_kg > 0 else None
            goods.append((hs, item.origin, item.currency, self._value_part(per_kg, printed)))
        counts, prints = self._counted(history.crossings, history.refused, history.inspections_failed)
        tax_id = d.declarant.tax_id
        who = tax_id if prints or tax_id in self._named else None
        return (d.direction, d.gate, d.vehicle.country, who, d.perishable,
                self._plate_part(d.vehicle.plate, d.vehicle.trailer_plate), tuple(goods), counts)

    def key_for(self, truck: SimTruck, history: DeclarantHistory) -> tuple:
        """`key_of(declaration_of(truck), history)` without building the declaration (a test holds them equal)."""
        return self._key(truck, history.crossings, history.refused, history.inspections_failed)

    def _key(self, truck: SimTruck, crossings: int, refused: int, failed: int) -> tuple:
        net = truck.net_kg
        hs, printed = self._hs_facts(truck.hs_code)
        if net <= 0:
            value: tuple = (None,)
        elif self._needs_value and (self._thresholds or printed):
            value = self._value_part(self._per_kg(truck.value_usd, net), printed)
        else:
            value = ((), (), None)
        counted = self._counts.get((crossings, refused, failed))
        counts, prints = counted if counted is not None else self._counted(crossings, refused, failed)
        tax_id = truck.declarant.tax_id
        if not prints and tax_id not in self._named:
            tax_id = None
        return (truck.direction, truck.gate, truck.country, tax_id, truck.perishable,
                self._plate_part(truck.plate, truck.trailer_plate), ((hs, truck.country, "USD", value),), counts)

    # ---------------------------------------------------------------- answers

    def assess(self, truck: SimTruck, history: DeclarantHistory) -> Assessment:
        """The truck's assessment: `assess(declaration_of(truck), history, rules, audit_draw(secret, id))`."""
        return self._assess(truck, history.crossings, history.refused, history.inspections_failed, history.red_lanes)

    def lane(self, truck: SimTruck, crossings: int, refused: int, inspections_failed: int, red_lanes: int) -> str:
        """The risk lane of `assess` for the truck with this declarant history."""
        return self._assess(truck, crossings, refused, inspections_failed, red_lanes).lane

    def _assess(self, truck: SimTruck, crossings: int, refused: int, failed: int, red: int) -> Assessment:
        if not self.cached:
            self.misses += 1
            return assess(declaration_of(truck), DeclarantHistory(crossings, refused, failed, red), self.rules,
                          audit_draw(self.secret, truck.id))
        key = self._key(truck, crossings, refused, failed)
        kind = self._kinds.get(key)
        if kind is not None:
            outcomes = self._outcomes(kind[0], truck.id)
            answer = kind[1].get(outcomes)
            if answer is not None:
                self.hits += 1
                return answer
        self.misses += 1  # the first truck of its kind, or of its random outcomes: the node's function, in full
        answer = assess(declaration_of(truck), DeclarantHistory(crossings, refused, failed, red), self.rules,
                        audit_draw(self.secret, truck.id))
        if kind is None:
            fired = set(answer.rules)
            rule_lane = max((r.lane for r in self.rules.rules if r.id in fired), key=_SEVERITY.__getitem__,
                            default=self.rules.default_lane)
            kind = self._kinds[key] = (max(rule_lane, self.rules.default_lane, key=_SEVERITY.__getitem__), {})
            outcomes = self._outcomes(kind[0], truck.id)
        kind[1][outcomes] = answer
        return answer

    def _outcomes(self, rule_lane: str, crossing_id: str) -> tuple[bool, ...]:
        """The random minimum rates, read as `assess` reads them: most severe first, above the rules' lane,
        stopping at the first draw below its rate. Only these outcomes can change the answer."""
        draws = self._draws[rule_lane]
        if not draws:
            return ()
        outcomes, inner, outer, prefix = [], self._inner, self._outer, crossing_id.encode()
        for purpose, limit in draws:
            mac = inner.copy()
            mac.update(prefix + purpose)
            out = outer.copy()
            out.update(mac.digest())
            below = out.digest() < limit
            outcomes.append(below)
            if below:
                break
        return tuple(outcomes)

    def required(self, risk_lane: str, direction: str, hs_code: str) -> dict[str, Requirement]:
        """The agencies that must sign the truck off (the rules file's [[signoffs]]), as the node asks them."""
        key = (risk_lane, direction, hs_code)
        found = self._required.get(key)
        if found is None:
            digits = "".join(ch for ch in hs_code if ch.isdigit())
            found = self._required[key] = self.signoffs.required(risk_lane=risk_lane, direction=direction,
                                                                 hs_codes=(digits,))
        return found
