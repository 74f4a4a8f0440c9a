"""Gate designations: which commodity groups a gate may take in each direction.

Border trade in some goods is confined to gates the authorities designated for them (fresh
fruit into China only through the ports GACC listed for it, for instance). A designation
names, for one country, direction and commodity group, the gates that may take it, each
perhaps from or until a day; a group with no designation for that country and direction
passes every gate. Pure: the reference data and the day come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from borderflow.domain.declaration import Declaration
from borderflow.domain.errors import Problem
from borderflow.domain.gates import Gate
from borderflow.domain.statistics import CommodityGroups


@dataclass(frozen=True, slots=True)
class DesignatedGate:
    gate: str
    since: date | None = None  # inclusive
    until: date | None = None  # inclusive

    def in_force(self, day: date) -> bool:
        return (self.since is None or self.since <= day) and (self.until is None or day <= self.until)


@dataclass(frozen=True, slots=True)
class Designation:
    country: str
    direction: str  # export | import, seen from `country`
    group: str
    gates: tuple[DesignatedGate, ...]
    note: str = ""


@dataclass(frozen=True, slots=True)
class NotDesignated:
    """One goods line a gate may not take: what the declarant is told, as a code and its params."""

    line: int
    gate: str
    group: str
    direction: str
    designated: tuple[str, ...]  # the gates that may take it on that day, in file order

    code = "gate.not_designated"

    @property
    def params(self) -> dict:
        return {"gate": self.gate, "commodity_group": self.group, "direction": self.direction,
                "designated_gates": list(self.designated)}


@dataclass(frozen=True)
class Designations:
    entries: tuple[Designation, ...] = ()
    _index: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for entry in self.entries:
            self._index[(entry.country, entry.direction, entry.group)] = entry

    def designated(self, country: str, direction: str, group: str, day: date) -> tuple[str, ...] | None:
        """The gates designated on `day`, or None when the group is not restricted."""
        entry = self._index.get((country, direction, group))
        if entry is None:
            return None
        return tuple(g.gate for g in entry.gates if g.in_force(day))

    def check(self, *, country: str, gate: str, direction: str, groups: Sequence[str],
              day: date) -> list[NotDesignated]:
        """Every goods line (by its commodity group) that `gate` may not take on `day`; one per group."""
        refused, seen = [], set()
        for line, group in enumerate(groups):
            allowed = self.designated(country, direction, group, day)
            if allowed is None or gate in allowed or group in seen:
                continue
            seen.add(group)
            refused.append(NotDesignated(line, gate, group, direction, allowed))
        return refused

    def for_gate(self, country: str, gate: str, day: date) -> dict[str, list[str]]:
        """direction -> the restricted groups this gate is designated for on `day` (what it is used for)."""
        answer: dict[str, list[str]] = {}
        for entry in self.entries:
            if entry.country == country and any(g.gate == gate and g.in_force(day) for g in entry.gates):
                answer.setdefault(entry.direction, []).append(entry.group)
        return answer


def declaration_problems(decl: Declaration, gate: Gate, designations: Designations,
                         groups: CommodityGroups, gate_names: dict[str, str]) -> list[Problem]:
    """What the validation of a declaration says about designations, in English (code + params for others)."""
    day = decl.expected_arrival.astimezone(ZoneInfo(gate.timezone)).date()
    refused = designations.check(country=gate.country, gate=gate.code, direction=decl.direction,
                                 groups=[groups.group_of(item.hs_code) for item in decl.goods], day=day)
    problems: list[Problem] = []
    for r in refused:
        flow = "exports" if r.direction == "export" else "imports"
        names = ", ".join(gate_names.get(code, code) for code in r.designated) or "none at present"
        problems.append(Problem(
            f"goods[{r.line}].hs_code",
            f"{gate.name} is not designated for {groups.name(r.group).lower()} {flow}; designated gates: {names}",
            r.code, params=r.params))
    return problems
