"""Risk lanes: a pure function of (declaration, declarant history, rules, random source).

green: release; blue: release, audit later; yellow: document check; red: physical
inspection. The lane is the highest any fired rule asks for, and every fired rule
leaves a reason. The random minimum rates draw from HMAC(node secret, crossing id),
so an auditor holding the secret re-derives every lane, and the simulator reuses
the same code with its own seeded source.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from borderflow.domain import messages
from borderflow.domain.declaration import Declaration, GoodsItem
from borderflow.domain.messages import Message, say
from borderflow.domain.selectivity_rules import LANES, Rule, RuleSet, RulesError, plate_key

__all__ = ["LANES", "Assessment", "DeclarantHistory", "RuleSet", "RulesError", "assess", "audit_draw", "rederive"]

Draw = Callable[[str], float]


@dataclass(frozen=True, slots=True)
class DeclarantHistory:
    crossings: int = 0
    refused: int = 0
    inspections_failed: int = 0
    red_lanes: int = 0


@dataclass(frozen=True, slots=True)
class Assessment:
    lane: str
    reasons: tuple[Message, ...]  # str: the English text, with the code and params it was said with
    rules: tuple[str, ...]


def _severity(lane: str) -> int:
    return LANES.index(lane)


def _hs(item: GoodsItem) -> str:
    return item.hs_code.replace(".", "").replace(" ", "")


def _value_per_kg(item: GoodsItem) -> float | None:
    return float(item.value / item.net_kg) if item.net_kg > 0 else None


def _fire(rule: Rule, d: Declaration, history: DeclarantHistory, rules: RuleSet) -> dict | None:
    """The placeholders for the reason when every criterion holds, else None."""
    c, facts = rule.criteria, {"declarant": d.declarant.tax_id, "plate": d.vehicle.plate}
    if "direction" in c and d.direction not in c["direction"]:
        return None
    if "gate" in c and d.gate not in c["gate"]:
        return None
    if "vehicle_country" in c and d.vehicle.country not in c["vehicle_country"]:
        return None
    if "declarant" in c and d.declarant.tax_id not in c["declarant"]:
        return None
    if "perishable" in c and d.perishable != c["perishable"]:
        return None
    if "history_crossings_below" in c and not history.crossings < c["history_crossings_below"]:
        return None
    if "history_refused_at_least" in c and not history.refused >= c["history_refused_at_least"]:
        return None
    if "history_inspections_failed_at_least" in c and \
            not history.inspections_failed >= c["history_inspections_failed_at_least"]:
        return None
    if "plate_watchlist" in c:
        listed = rules.watchlists[c["plate_watchlist"]]
        hit = next((p for p in (d.vehicle.plate, d.vehicle.trailer_plate) if p and plate_key(p) in listed.plates), None)
        if hit is None:
            return None
        facts.update(plate=hit, watchlist=listed.description)
    if "declarant_watchlist" in c:
        listed = rules.watchlists[c["declarant_watchlist"]]
        if d.declarant.tax_id not in listed.declarants:
            return None
        facts["watchlist"] = listed.description
    item_criteria = {"hs_prefix", "origin", "value_per_kg_below", "value_per_kg_above"} & c.keys()
    if item_criteria:
        item = next((g for g in d.goods if _item_fires(c, g)), None)
        if item is None:
            return None
        per_kg = _value_per_kg(item)
        hs = _hs(item)
        facts.update(hs=f"{hs[:4]}.{hs[4:6]}", origin=item.origin,
                     value_per_kg=f"{per_kg:.2f} {item.currency}" if per_kg is not None else "n/a")
    return facts


def _item_fires(c: dict, item: GoodsItem) -> bool:
    if "hs_prefix" in c and not _hs(item).startswith(c["hs_prefix"]):
        return False
    if "origin" in c and item.origin not in c["origin"]:
        return False
    per_kg = _value_per_kg(item)
    if "value_per_kg_below" in c and (per_kg is None or not per_kg < c["value_per_kg_below"]):
        return False
    if "value_per_kg_above" in c and (per_kg is None or not per_kg > c["value_per_kg_above"]):
        return False
    return True


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _reason(rule: Rule, facts: dict) -> Message:
    """A shipped rule's reason is its own code (`risk.<rule id>`), so every catalogue says it; an
    operator's own rule says its sentence as written (`risk.rule` with the text)."""
    code = f"risk.{rule.id}"
    if messages.known(code) and messages.template(code) == rule.reason:
        return say(code, **{k: v for k, v in facts.items() if k in messages.fields(rule.reason)})
    return say("risk.rule", text=rule.reason.format_map(_Blank(facts)), rule=rule.id)


def assess(declaration: Declaration, history: DeclarantHistory, rules: RuleSet, draw: Draw) -> Assessment:
    lane, reasons, fired = rules.default_lane, [], []
    for rule in rules.rules:
        facts = _fire(rule, declaration, history, rules)
        if facts is None:
            continue
        fired.append(rule.id)
        reasons.append(_reason(rule, facts))
        if _severity(rule.lane) > _severity(lane):
            lane = rule.lane
    for candidate in reversed(LANES):  # most severe first; random never lowers a lane
        rate = rules.random_rates.get(candidate, 0.0)
        if rate <= 0 or _severity(candidate) <= _severity(lane):
            continue
        if draw(f"random:{candidate}") < rate:
            lane = candidate
            reasons.append(say("risk.random", lane=candidate, rate=rate))
            fired.append(f"random:{candidate}")
            break
    return Assessment(lane, tuple(reasons), tuple(fired))


def audit_draw(secret: bytes, crossing_id: str) -> Draw:
    """Reproducible draws in [0, 1): HMAC-SHA256(secret, "<crossing id>|<purpose>"), first 8 bytes / 2**64."""
    def draw(purpose: str) -> float:
        mac = hmac.new(secret, f"{crossing_id}|{purpose}".encode(), hashlib.sha256).digest()
        return int.from_bytes(mac[:8], "big") / 2**64
    return draw


def rederive(declaration: Declaration, history: DeclarantHistory, rules: RuleSet, secret: bytes,
             crossing_id: str) -> Assessment:
    """The auditor's check: same inputs, same secret, same lane and reasons."""
    return assess(declaration, history, rules, audit_draw(secret, crossing_id))


