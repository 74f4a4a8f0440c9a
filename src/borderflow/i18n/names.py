"""Names of gates (and nodes) in each language, from the reference data and the node's own file.

A message carries a gate's names as a table (`{"vi": …, "zh": …, "en": …}`); text stored
before that carries the English name, which is looked up here.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

_BY_NAME: dict[str, dict[str, str]] = {}  # a code, or a name in any language -> the name table


@cache
def _reference() -> None:
    try:
        from borderflow.reference.region import load_gates
        remember({code: gate.names for code, gate in load_gates().items()})
    except Exception:  # noqa: BLE001,S110 - an operator's region may ship no reference file; names pass through
        pass
    try:
        from borderflow.reference import commodity_groups
        remember({code: group.names for code, group in commodity_groups.load().groups.items()})
    except Exception:  # noqa: BLE001,S110 - commodity groups are optional
        pass


def remember(tables: Mapping[str, Mapping[str, str]]) -> None:
    """Learn name tables by code (a node's own gates, commodity groups)."""
    for code, table in tables.items():
        _BY_NAME.setdefault(code, dict(table))
        for name in table.values():
            _BY_NAME.setdefault(name, dict(table))


def in_language(value: Any, lang: str) -> str:  # noqa: ANN401
    if isinstance(value, Mapping):
        return value.get(lang) or value.get("en") or next(iter(value.values()), "")
    if isinstance(value, (list, tuple)):
        return (", " if lang != "zh" else "、").join(in_language(v, lang) for v in value)
    _reference()
    table = _BY_NAME.get(str(value))
    return (table.get(lang) or str(value)) if table else str(value)
