"""Which agencies must sign a crossing off before release, and what a sign-off is.

At a real gate customs, plant quarantine and the border guard each look at a truck
for their own reasons (Lang Son's eight-step flow); the release waits for every one
of them. Which agencies a crossing needs comes from rules data (the `[[signoffs]]`
tables of the rules file): by risk lane, direction and commodity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

AGENCIES = ("customs", "quarantine", "border_guard", "health")
CHECKS = ("document", "physical")  # a physical inspection also covers the documents
ON_FAILURE = ("hold", "refuse")
PENDING, PASSED, FAILED = "pending", "passed", "failed"
_RULE_KEYS = {"id", "agency", "check", "on_failure", "reason", "risk_lane", "direction", "hs_prefix"}


class SignoffRulesError(ValueError):
    pass


def covers(done: str, asked: str) -> bool:
    """Whether a check of kind `done` satisfies a requirement for `asked`."""
    return done == asked or (done == "physical" and asked == "document")


@dataclass(frozen=True, slots=True)
class SignoffRule:
    id: str
    agency: str
    check: str = "document"
    on_failure: str = "hold"
    reason: str = ""
    risk_lane: frozenset[str] | None = None
    direction: frozenset[str] | None = None
    hs_prefix: tuple[str, ...] | None = None

    def applies(self, *, risk_lane: str, direction: str, hs_codes: tuple[str, ...]) -> bool:
        if self.risk_lane is not None and risk_lane not in self.risk_lane:
            return False
        if self.direction is not None and direction not in self.direction:
            return False
        if self.hs_prefix is not None and not any(code.startswith(self.hs_prefix) for code in hs_codes):
            return False
        return True


@dataclass(frozen=True, slots=True)
class Requirement:
    agency: str
    check: str
    on_failure: str
    reasons: tuple[str, ...]


def _strings(rule_id: str, key: str, value: Any, allowed: tuple[str, ...] | None = None) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not values or not all(isinstance(v, str) and v for v in values):
        raise SignoffRulesError(f"signoffs rule {rule_id!r}: {key} must be a string or a non-empty list of strings")
    if allowed is not None:
        for v in values:
            if v not in allowed:
                raise SignoffRulesError(f"signoffs rule {rule_id!r}: {key} {v!r} is unknown; "
                                        f"expected one of {', '.join(allowed)}")
    return tuple(values)


@dataclass(frozen=True)
class SignoffRules:
    rules: tuple[SignoffRule, ...] = (
        SignoffRule("yellow-documents", "customs", "document", reason="yellow lane: customs checks the documents",
                    risk_lane=frozenset({"yellow"})),
        SignoffRule("red-physical", "customs", "physical", reason="red lane: customs inspects the truck",
                    risk_lane=frozenset({"red"})),
    )

    @classmethod
    def from_list(cls, raw: Any) -> SignoffRules:
        if not isinstance(raw, list):
            raise SignoffRulesError("signoffs must be an array of tables ([[signoffs]])")
        rules, seen = [], set()
        for i, entry in enumerate(raw):
            if not isinstance(entry, dict):
                raise SignoffRulesError(f"signoffs[{i}] must be a table")
            rule_id = entry.get("id")
            if not isinstance(rule_id, str) or not rule_id:
                raise SignoffRulesError(f"signoffs[{i}]: id is required (a short name for the rule)")
            if rule_id in seen:
                raise SignoffRulesError(f"signoffs rule {rule_id!r} is defined twice")
            seen.add(rule_id)
            unknown = sorted(set(entry) - _RULE_KEYS)
            if unknown:
                raise SignoffRulesError(f"signoffs rule {rule_id!r}: unknown key {unknown[0]!r}; expected "
                                        f"{', '.join(sorted(_RULE_KEYS))}")
            agency = _strings(rule_id, "agency", entry.get("agency", ""), AGENCIES)
            check = _strings(rule_id, "check", entry.get("check", "document"), CHECKS)
            on_failure = _strings(rule_id, "on_failure", entry.get("on_failure", "hold"), ON_FAILURE)
            if len(agency) + len(check) + len(on_failure) != 3:
                raise SignoffRulesError(f"signoffs rule {rule_id!r}: agency, check and on_failure take one value")
            reason = entry.get("reason", "")
            if not isinstance(reason, str):
                raise SignoffRulesError(f"signoffs rule {rule_id!r}: reason must be a string")
            lanes = entry.get("risk_lane")
            directions = entry.get("direction")
            prefixes = entry.get("hs_prefix")
            if prefixes is not None:
                prefixes = _strings(rule_id, "hs_prefix", prefixes)
                if not all(p.isdigit() and p.isascii() for p in prefixes):
                    raise SignoffRulesError(f"signoffs rule {rule_id!r}: hs_prefix values are digits, e.g. \"08\"")
            rules.append(SignoffRule(
                rule_id, agency[0], check[0], on_failure[0], reason,
                frozenset(_strings(rule_id, "risk_lane", lanes, ("green", "blue", "yellow", "red")))
                if lanes is not None else None,
                frozenset(_strings(rule_id, "direction", directions, ("export", "import")))
                if directions is not None else None,
                prefixes))
        return cls(tuple(rules))

    def required(self, *, risk_lane: str, direction: str, hs_codes: tuple[str, ...]) -> dict[str, Requirement]:
        """One requirement per agency: the strongest check any firing rule asks, refusal over hold."""
        out: dict[str, Requirement] = {}
        for rule in self.rules:
            if not rule.applies(risk_lane=risk_lane, direction=direction, hs_codes=hs_codes):
                continue
            known = out.get(rule.agency)
            if known is None:
                out[rule.agency] = Requirement(rule.agency, rule.check, rule.on_failure,
                                               (rule.reason,) if rule.reason else ())
                continue
            out[rule.agency] = Requirement(
                rule.agency, "physical" if "physical" in (known.check, rule.check) else "document",
                "refuse" if "refuse" in (known.on_failure, rule.on_failure) else "hold",
                known.reasons + ((rule.reason,) if rule.reason else ()))
        return dict(sorted(out.items(), key=lambda kv: AGENCIES.index(kv[0])))


@dataclass(slots=True)
class Signoff:
    """One agency's say on one crossing: required or offered, and where it stands."""

    agency: str
    check: str
    required: bool = True
    status: str = PENDING
    on_failure: str = "hold"
    reasons: list[str] = field(default_factory=list)
    done: str | None = None  # the check last recorded: document | physical
    by: str | None = None
    at: datetime | None = None
    notes: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"agency": self.agency, "check": self.check, "required": self.required, "status": self.status,
                "on_failure": self.on_failure, "reasons": list(self.reasons), "done": self.done, "by": self.by,
                "at": self.at.isoformat() if self.at else None, "notes": self.notes}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Signoff:
        at = data.get("at")
        return cls(agency=data["agency"], check=data["check"], required=data["required"], status=data["status"],
                   on_failure=data.get("on_failure", "hold"), reasons=list(data.get("reasons", [])),
                   done=data.get("done"), by=data.get("by"), at=datetime.fromisoformat(at) if at else None, notes=data.get("notes", ""))

    @classmethod
    def asked(cls, requirement: Requirement) -> Signoff:
        return cls(requirement.agency, requirement.check, True, PENDING, requirement.on_failure,
                   list(requirement.reasons))
