"""Gate designations read from TOML (designations.toml, or the operator's own file).

Every gate and group a file names must exist, so a typo stops the node at start-up with
the file, key and expectation instead of letting goods through a gate nobody meant.
"""

from __future__ import annotations

import functools
import tomllib
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

from borderflow.domain.designations import DesignatedGate, Designation, Designations
from borderflow.domain.statistics import CommodityGroups
from borderflow.reference.region import load_gates
from borderflow.reference.toml_reader import FileError, TomlReader, child

SHIPPED = "designations.toml"


class DesignationsError(FileError):
    """A designation file is unusable."""


class _Reader(TomlReader):
    error = DesignationsError

    def day(self, value: Any, key: str) -> date:
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(self.text(value, key))
        except ValueError:
            self.fail(key, f"expected a day YYYY-MM-DD, got {value!r}")


def load(path: str | None, groups: CommodityGroups) -> Designations:
    if path is None:
        return _shipped(groups)
    file = Path(path).expanduser()
    if not file.is_file():
        raise DesignationsError(path, "", "no such file; expected a gate-designation TOML file")
    return parse(str(file), file.read_bytes(), groups)


@functools.lru_cache(maxsize=4)
def _shipped(groups: CommodityGroups) -> Designations:
    return parse(SHIPPED, files("borderflow.reference").joinpath(SHIPPED).read_bytes(), groups)


def parse(source: str, raw: bytes, groups: CommodityGroups) -> Designations:
    r = _Reader(source)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        r.fail("", f"not valid UTF-8 TOML: {exc}")
    r.keys(data, "", (), ("designations",))
    gates = load_gates()
    entries, seen = [], {}
    for i, raw_entry in enumerate(r.array(data.get("designations", []), "designations", non_empty=False)):
        key = f"designations[{i}]"
        t = r.table(raw_entry, key)
        r.keys(t, key, ("country", "direction", "group", "gates"), ("note",))
        country = r.text(t["country"], f"{key}.country")
        direction = r.text(t["direction"], f"{key}.direction")
        if direction not in ("export", "import"):
            r.fail(f"{key}.direction", f"expected 'export' or 'import', got {direction!r}")
        group = r.text(t["group"], f"{key}.group")
        if group not in groups.groups:
            r.fail(f"{key}.group", f"unknown commodity group {group!r}; expected one of {', '.join(groups.groups)}")
        if (country, direction, group) in seen:
            r.fail(key, f"{country} {direction} of {group} is already designated at {seen[country, direction, group]}")
        seen[country, direction, group] = key
        designated = []
        for j, item in enumerate(r.array(t["gates"], f"{key}.gates", non_empty=False)):
            at = f"{key}.gates[{j}]"
            if isinstance(item, str):
                item = {"gate": item}
            g = r.table(item, at)
            r.keys(g, at, ("gate",), ("from", "until"))
            code = r.text(g["gate"], f"{at}.gate")
            if code not in gates:
                r.fail(f"{at}.gate", f"unknown gate {code!r}; expected one of {', '.join(sorted(gates))}")
            if gates[code].country != country:
                r.fail(f"{at}.gate", f"{code} is in {gates[code].country}, not {country}")
            since = r.day(g["from"], f"{at}.from") if "from" in g else None
            until = r.day(g["until"], f"{at}.until") if "until" in g else None
            if since and until and until < since:
                r.fail(f"{at}.until", f"{until} is before from = {since}")
            designated.append(DesignatedGate(code, since, until))
        note = r.text(t["note"], child(key, "note")) if "note" in t else ""
        entries.append(Designation(country, direction, group, tuple(designated), note))
    return Designations(tuple(entries))
