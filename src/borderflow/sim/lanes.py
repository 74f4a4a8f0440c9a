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

import hmac
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


def audit_value(secret: bytes | hmac.HMAC, crossing_id: str, purpose: str) -> float:
    """`audit_draw(secret, crossing_id)(purpose)`, from an HMAC keyed once (same bytes, same value; tested)."""
    mac = (hmac.new(secret, digestmod="sha256") if isinstance(secret, bytes) else secret).copy()
    mac.update(f"{crossing_id}|{purpose}".encode())
    return int.from_bytes(mac.digest()[:8], "big") / 2**64


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class RiskLanes:
    """Risk lanes and sign-off requirements for the trucks of one node (its rules file and secret)."""

    def __init__(self, rules: RuleSet, signoffs: SignoffRules, secret: bytes) -> None:
        self.rules, self.signoffs, self.secret = rules, signoffs, secret
        self._keyed = hmac.new(secret, digestmod="sha256")  # the node secret's HMAC, copied for each draw
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
        # A plate can be on a list only if its last character ends a listed key: a cheap first look.
        self._endings = frozenset(key[-1] for listed in self._listed for key in listed if key)
        # A reason that prints the truck's own plate (outside a plate-watchlist rule) or its value per kg
        # makes those facts part of the answer.
        self._plate_text = any("plate" in _fields(r.reason) and "plate_watchlist" not in r.criteria
                               for r in rules.rules)
        self._value_text = any("value_per_kg" in _fields(r.reason) for r in rules.rules)
        # Who the declarant is matters only when a rule names it (a `declarant` criterion, a declarant
        # watchlist) or a rule that may fire prints it in its reason; otherwise all declarants are alike.
        self._named = frozenset(tax_id for r in rules.rules for tax_id in r.criteria.get("declarant", ())) | \
            frozenset(tax_id for w in rules.watchlists.values() for tax_id in w.declarants)
        self._declarant_text = tuple(r.criteria for r in rules.rules if "declarant" in _fields(r.reason))
        self._prints: dict[tuple, bool] = {}
        self._hs: dict[str, str] = {}
        self._needs_value = bool(self._below or self._above or self._value_text)
        self._thresholds = self._below + self._above
        self._random = tuple((lane, rules.random_rates.get(lane, 0.0)) for lane in reversed(LANES)
                             if rules.random_rates.get(lane, 0.0) > 0)
        self._rule_lane: dict[tuple, str] = {}
        self._answers: dict[tuple, Assessment] = {}
        self._required: dict[tuple[str, str, str], dict[str, Requirement]] = {}
        self.hits = self.misses = 0

    # ---------------------------------------------------------------- the cache key

    def _who(self, tax_id: str, crossings: int, refused: int, failed: int) -> str | None:
        if tax_id in self._named:
            return tax_id
        return tax_id if self._prints_declarant(crossings, refused, failed) else None

    def _prints_declarant(self, crossings: int, refused: int, failed: int) -> bool:
        """Whether a rule that prints the declarant may fire for one named nowhere: a function of the counts
        compared with the rules' thresholds, so worked out once per `_counts_part`."""
        part = self._counts_part(crossings, refused, failed)
        known = self._prints.get(part)
        if known is None:
            known = self._prints[part] = self._may_print(crossings, refused, failed)
        return known

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

    def _value_part(self, per_kg: float | None) -> tuple:
        if per_kg is None:
            return (None,)
        return (tuple(map(per_kg.__lt__, self._below)), tuple(map(per_kg.__gt__, self._above)),
                f"{per_kg:.2f}" if self._value_text else None)

    def _history_part(self, h: DeclarantHistory) -> tuple:
        return self._counts_part(h.crossings, h.refused, h.inspections_failed)

    def _counts_part(self, crossings: int, refused: int, failed: int) -> tuple:
        return (tuple(map(crossings.__lt__, self._crossings)), tuple(map(refused.__ge__, self._refused)),
                tuple(map(failed.__ge__, self._failed)))

    def _plate_part(self, plate: str, trailer: str | None) -> tuple:
        if self._plate_text:
            return (plate, trailer)
        if not self._listed:
            return ()
        if self._unlisted(plate) and (not trailer or self._unlisted(trailer)):
            return (None,) * len(self._listed)
        key, trailer_key = fast_plate_key(plate), fast_plate_key(trailer) if trailer else None
        return tuple([plate if key in listed else trailer if trailer_key in listed else None
                      for listed in self._listed])

    def _unlisted(self, plate: str) -> bool:
        """Surely on no list: it ends in an ASCII letter or digit that ends no listed key."""
        last = plate[-1:]
        return last.isascii() and last.isalnum() and last.upper() not in self._endings

    def key_of(self, declaration: Declaration, history: DeclarantHistory) -> tuple:
        """Everything of (declaration, history) that `assess` reads, as this rules file reads it."""
        d = declaration
        goods = tuple((item.hs_code.replace(".", "").replace(" ", ""), item.origin, item.currency,
                       self._value_part(float(item.value / item.net_kg) if item.net_kg > 0 else None))
                      for item in d.goods)
        who = self._who(d.declarant.tax_id, history.crossings, history.refused, history.inspections_failed)
        return (d.direction, d.gate, d.vehicle.country, who, d.perishable,
                self._plate_part(d.vehicle.plate, d.vehicle.trailer_plate), goods, self._history_part(history))

    def key_for(self, truck: SimTruck, history: DeclarantHistory) -> tuple:
        """`key_of(declaration_of(truck), history)` without building the declaration (a test holds them equal)."""
        return self._key(truck, history.crossings, history.refused, history.inspections_failed)

    def _key(self, truck: SimTruck, crossings: int, refused: int, failed: int) -> tuple:
        net = truck.net_kg
        per_kg = (self._per_kg(truck.value_usd, net) if self._needs_value else 0.0) if net > 0 else None
        hs = self._hs.get(truck.hs_code)
        if hs is None:
            hs = self._hs[truck.hs_code] = truck.hs_code.replace(".", "").replace(" ", "")
        counts = (tuple(map(crossings.__lt__, self._crossings)), tuple(map(refused.__ge__, self._refused)),
                  tuple(map(failed.__ge__, self._failed)))
        tax_id = truck.declarant.tax_id
        if tax_id not in self._named:
            prints = self._prints.get(counts)
            if prints is None:
                prints = self._prints[counts] = self._may_print(crossings, refused, failed)
            if not prints:
                tax_id = None
        return (truck.direction, truck.gate, truck.country, tax_id, truck.perishable,
                self._plate_part(truck.plate, truck.trailer_plate), ((hs, truck.country, "USD",
                                                                     self._value_part(per_kg)),), counts)

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
        rule_lane = self._rule_lane.get(key)
        if rule_lane is None:  # the first truck of its kind: the node's function, in full
            self.misses += 1
            answer = assess(declaration_of(truck), DeclarantHistory(crossings, refused, failed, red), self.rules,
                            audit_draw(self.secret, truck.id))
            fired = set(answer.rules)
            rule_lane = max((r.lane for r in self.rules.rules if r.id in fired), key=_SEVERITY.__getitem__,
                            default=self.rules.default_lane)
            rule_lane = max(rule_lane, self.rules.default_lane, key=_SEVERITY.__getitem__)
            self._rule_lane[key] = rule_lane
            self._answers[(key, self._outcomes(rule_lane, truck.id))] = answer
            return answer
        full = (key, self._outcomes(rule_lane, truck.id))
        answer = self._answers.get(full)
        if answer is None:
            self.misses += 1
            answer = self._answers[full] = assess(declaration_of(truck), DeclarantHistory(crossings, refused, failed,
                                                                                          red),
                                                  self.rules, audit_draw(self.secret, truck.id))
        else:
            self.hits += 1
        return answer

    def _outcomes(self, rule_lane: str, crossing_id: str) -> tuple[bool, ...]:
        """The random minimum rates, read as `assess` reads them: most severe first, above the rules' lane,
        stopping at the first draw below its rate. Only these outcomes can change the answer."""
        severity, outcomes, secret = _SEVERITY[rule_lane], [], self._keyed
        for lane, rate in self._random:
            if _SEVERITY[lane] > severity:
                below = audit_value(secret, crossing_id, f"random:{lane}") < rate
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
