"""The commodity groups of trade statistics and gate designations, read from TOML.

The shipped mapping (commodity_groups.toml) stands unless the operator names a file of
their own (BORDERFLOW_COMMODITY_GROUPS); a bad file stops the node at start-up with the
file, key and expectation, like a node file.
"""

from __future__ import annotations

import functools
import re
import tomllib
from importlib.resources import files
from pathlib import Path

from borderflow.domain.statistics import OTHER_GROUP, CommodityGroup, CommodityGroups
from borderflow.reference.toml_reader import FileError, TomlReader, child

SHIPPED = "commodity_groups.toml"
_CODE = re.compile(r"[a-z][a-z0-9_]{1,31}")
_RANGE = re.compile(r"(\d{2,6})(?:-(\d{2,6}))?")


class CommodityGroupsError(FileError):
    """A commodity-group file is unusable."""


class _Reader(TomlReader):
    error = CommodityGroupsError


def load(path: str | None = None) -> CommodityGroups:
    """The operator's file at `path`, or the shipped mapping."""
    if path is None:
        return _shipped()
    file = Path(path).expanduser()
    if not file.is_file():
        raise CommodityGroupsError(path, "", "no such file; expected a commodity-group TOML file")
    return parse(str(file), file.read_bytes())


@functools.cache
def _shipped() -> CommodityGroups:
    return parse(SHIPPED, files("borderflow.reference").joinpath(SHIPPED).read_bytes())


def parse(source: str, raw: bytes) -> CommodityGroups:
    r = _Reader(source)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        r.fail("", f"not valid UTF-8 TOML: {exc}")
    r.keys(data, "", ("groups",))
    groups: dict[str, CommodityGroup] = {}
    claimed: dict[tuple[str, str], str] = {}
    for code, raw_group in r.table(data["groups"], "groups").items():
        key = child("groups", code)
        r.text(code, key, _CODE, "a group code of small letters, digits and _ (e.g. fresh_fruit)")
        if code == OTHER_GROUP:
            r.fail(key, f"{OTHER_GROUP!r} is what no range covers; choose another code")
        t = r.table(raw_group, key)
        r.keys(t, key, ("names", "hs"), ("perishable",))
        names = {lang: r.text(name, child(f"{key}.names", lang)) for lang, name in r.table(t["names"], f"{key}.names").items()}
        ranges = []
        for i, text in enumerate(r.array(t["hs"], f"{key}.hs")):
            at = f"{key}.hs[{i}]"
            match = _RANGE.fullmatch(r.text(text, at))
            if match is None:
                r.fail(at, f"expected an HS code (2 to 6 digits) or a range such as 0803-0810, got {text!r}")
            low, high = match[1], match[2] or match[1]
            if len(low) != len(high) or low > high:
                r.fail(at, f"{text!r}: expected LOW-HIGH of the same length, LOW first")
            for other_range, other in claimed.items():
                if len(other_range[0]) == len(low) and not (high < other_range[0] or low > other_range[1]):
                    r.fail(at, f"{text!r} overlaps {'-'.join(other_range)} of group {other!r}")
            claimed[(low, high)] = code
            ranges.append((low, high))
        groups[code] = CommodityGroup(code, names, tuple(ranges),
                                      r.boolean(t.get("perishable", False), f"{key}.perishable"))
    return CommodityGroups(groups)
