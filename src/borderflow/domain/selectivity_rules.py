"""The selectivity rules file, parsed into plain objects with precise errors.

An operator edits this file; a mistake must name the rule and the field and say
what is expected, because a silently ignored rule is a hole in the border.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

LANES = ("green", "blue", "yellow", "red")
CHOICES = {"direction": {"export", "import"}}
LIST_CRITERIA = {"hs_prefix", "origin", "declarant", "direction", "gate", "vehicle_country"}
NAME_CRITERIA = {"plate_watchlist", "declarant_watchlist"}
NUMBER_CRITERIA = {"value_per_kg_below", "value_per_kg_above"}
COUNT_CRITERIA = {"history_crossings_below", "history_refused_at_least", "history_inspections_failed_at_least"}
RULE_KEYS = {"id", "lane", "reason", "enabled", "perishable"} | LIST_CRITERIA | NAME_CRITERIA | NUMBER_CRITERIA \
    | COUNT_CRITERIA


class RulesError(ValueError):
    """A rules file that cannot be trusted; the message names where and what is expected."""


@dataclass(frozen=True)
class Watchlist:
    name: str
    description: str
    plates: frozenset[str]
    declarants: frozenset[str]


@dataclass(frozen=True)
class Rule:
    id: str
    lane: str
    reason: str
    criteria: dict[str, Any]


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    watchlists: dict[str, Watchlist] = field(default_factory=dict)
    random_rates: dict[str, float] = field(default_factory=dict)
    default_lane: str = "green"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleSet:
        if not isinstance(data, dict):
            raise RulesError("rules file: expected a table at the top level")
        unknown = set(data) - {"default_lane", "random", "watchlists", "rules", "signoffs"}  # signoffs: domain/signoffs
        if unknown:
            raise RulesError(f"{sorted(unknown)[0]}: unknown top-level key; expected default_lane, random, "
                             "watchlists, rules or signoffs")
        default = data.get("default_lane", "green")
        _lane("default_lane", default)
        watchlists = {name: _watchlist(name, body) for name, body in _table("watchlists", data.get("watchlists", {})).items()}
        rates = {}
        for lane, rate in _table("random", data.get("random", {})).items():
            _lane(f"random.{lane}", lane)
            if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
                raise RulesError(f"random.{lane}: {rate!r} is not a rate; expected a fraction from 0 to 1, e.g. 0.02")
            rates[lane] = float(rate)
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise RulesError("rules: expected an array of tables ([[rules]])")
        rules, seen = [], set()
        for index, raw in enumerate(raw_rules):
            rule = _rule(index, raw, watchlists)
            if rule.id in seen:
                raise RulesError(f"rules[{index}].id: {rule.id!r} is used twice; expected unique ids")
            seen.add(rule.id)
            if raw.get("enabled", True):
                rules.append(rule)
        return cls(tuple(rules), watchlists, rates, default)


def _table(where: str, value: Any) -> dict:
    if not isinstance(value, dict):
        raise RulesError(f"{where}: expected a table")
    return value


def _lane(where: str, lane: Any) -> None:
    if lane not in LANES:
        raise RulesError(f"{where}: {lane!r} is not a lane; expected one of {', '.join(LANES)}")


def _strings(where: str, value: Any, *, allow_empty: bool = False) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not (value or allow_empty) or not all(isinstance(v, str) and v for v in value):
        raise RulesError(f"{where}: expected a {'' if allow_empty else 'non-empty '}list of strings")
    return value


def _watchlist(name: str, body: Any) -> Watchlist:
    body = _table(f"watchlists.{name}", body)
    unknown = set(body) - {"description", "plates", "declarants"}
    if unknown:
        raise RulesError(f"watchlists.{name}.{sorted(unknown)[0]}: unknown key; expected description, plates "
                         "or declarants")
    # A watchlist may be empty: the rule stays in place for the day someone is listed.
    plates = _strings(f"watchlists.{name}.plates", body.get("plates", []), allow_empty=True)
    declarants = _strings(f"watchlists.{name}.declarants", body.get("declarants", []), allow_empty=True)
    return Watchlist(name, str(body.get("description", name)), frozenset(plate_key(p) for p in plates),
                     frozenset(declarants))


def plate_key(plate: str) -> str:
    return "".join(ch for ch in plate.upper() if ch.isalnum())


def _rule(index: int, raw: Any, watchlists: dict[str, Watchlist]) -> Rule:
    where = f"rules[{index}]"
    raw = _table(where, raw)
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not rule_id:
        raise RulesError(f"{where}.id: missing; expected a short unique name")
    where = f"rules[{index}] ({rule_id})"
    for key in raw:
        if key not in RULE_KEYS:
            raise RulesError(f"{where}.{key}: unknown criterion; expected one of {', '.join(sorted(RULE_KEYS))}")
    _lane(f"{where}.lane", raw.get("lane"))
    reason = raw.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise RulesError(f"{where}.reason: missing; expected the sentence an officer reads")
    try:
        reason.format_map(defaultdict(str))
    except (ValueError, IndexError) as exc:
        raise RulesError(f"{where}.reason: {exc}; write {{name}} for a fact and {{{{ or }}}} for a brace") from None
    criteria: dict[str, Any] = {}
    for key in LIST_CRITERIA & raw.keys():
        values = _strings(f"{where}.{key}", raw[key])
        if key == "hs_prefix" and not all(v.replace(".", "").isdigit() for v in values):
            raise RulesError(f"{where}.hs_prefix: expected digit prefixes such as \"0810\" or \"081060\"")
        if key in CHOICES and not set(values) <= CHOICES[key]:
            raise RulesError(f"{where}.{key}: {sorted(set(values) - CHOICES[key])} unknown; expected "
                             f"{' or '.join(sorted(CHOICES[key]))}")
        if key in ("origin", "vehicle_country") and not all(len(v) == 2 and v.isupper() for v in values):
            raise RulesError(f"{where}.{key}: expected ISO 3166 alpha-2 codes in capitals, such as VN or CN")
        criteria[key] = tuple(v.replace(".", "") if key == "hs_prefix" else v for v in values)
    for key in NAME_CRITERIA & raw.keys():
        if raw[key] not in watchlists:
            raise RulesError(f"{where}.{key}: no watchlist {raw[key]!r}; expected one of "
                             f"{', '.join(sorted(watchlists)) or '(none defined)'}")
        criteria[key] = raw[key]
    for key in NUMBER_CRITERIA & raw.keys():
        if isinstance(raw[key], bool) or not isinstance(raw[key], (int, float)) or not 0 <= raw[key] < math.inf:
            raise RulesError(f"{where}.{key}: expected a number of currency units per kg, e.g. 1.5")
        criteria[key] = float(raw[key])
    for key in COUNT_CRITERIA & raw.keys():
        if isinstance(raw[key], bool) or not isinstance(raw[key], int) or raw[key] < 0:
            raise RulesError(f"{where}.{key}: expected a whole number of crossings, e.g. 3")
        criteria[key] = raw[key]
    if "perishable" in raw:
        if not isinstance(raw["perishable"], bool):
            raise RulesError(f"{where}.perishable: expected true or false")
        criteria["perishable"] = raw["perishable"]
    if "enabled" in raw and not isinstance(raw["enabled"], bool):
        raise RulesError(f"{where}.enabled: expected true or false")
    if not criteria:
        raise RulesError(f"{where}: no criterion; a rule that always fires belongs in default_lane")
    return Rule(rule_id, raw["lane"], reason, criteria)
