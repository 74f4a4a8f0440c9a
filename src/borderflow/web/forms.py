"""HTML forms as the API's JSON: field names are the API's JSON paths (`goods[0].hs_code`),
so every problem the API reports (`Problem.loc`) lands next to the field it names, in the
language of the screen; the error summary names each field by its label (`web/labels.FIELD`).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from fastapi import Request

from borderflow.domain.errors import Problem
from borderflow.web import i18n

TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
INDEX = re.compile(r"^(\w+)\[(\d+)\]")
BOOLEANS = frozenset({"perishable", "preferential_origin"})
LISTS = ("containers", "goods", "documents")
MAX_ROWS = 100


async def read(request: Request) -> dict[str, str]:
    """An urlencoded form body (the only kind the screens send); unknown types read as empty.

    Reading it also notes the language the sender reads, for the problems said about it."""
    i18n.choose(request)
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    return dict(parse_qsl((await request.body()).decode("utf-8", "replace"), keep_blank_values=True))


def nest(form: dict[str, str], *, blanks_as_null: bool = False) -> tuple[dict[str, Any], dict[str, int]]:
    """The form as a declaration document, and where each kept list row sat in the form.

    Empty fields are left out (the API then says what is missing), or sent as null in an
    amendment so that clearing a field clears it. Empty list rows are dropped.
    """
    doc: dict[str, Any] = {}
    for name, raw in form.items():
        parts = [m.group(1) if m.group(1) is not None else int(m.group(2)) for m in TOKEN.finditer(name)]
        if not parts or parts[0] not in _FIELDS:
            continue
        value: Any = raw.strip()
        if parts[-1] in BOOLEANS:
            value = value in ("on", "true", "1")
        elif value == "":
            if not blanks_as_null or any(isinstance(p, int) for p in parts):
                continue
            value = None
        _put(doc, parts, value)
    moved: dict[str, int] = {}
    for key in LISTS:
        if key in doc or any(n.startswith(key + "[") for n in form):
            rows = doc.get(key, {})
            rows = {i: row for i, row in rows.items() if isinstance(i, int) and isinstance(row, dict)} \
                if isinstance(rows, dict) else {}
            kept = [i for i in sorted(rows) if any(v not in (None, False) for v in rows[i].values())]
            doc[key] = [rows[i] for i in kept]
            moved.update({f"{key}[{new}]": old for new, old in enumerate(kept)})
    return doc, moved


_FIELDS = frozenset({"direction", "gate", "expected_arrival", "declarant", "customs_declaration_no", "vehicle",
                     "driver", *LISTS})


def _put(doc: dict, parts: list, value: Any) -> None:
    target = doc
    for part in parts[:-1]:
        if isinstance(part, int) and part >= MAX_ROWS:
            return
        target = target.setdefault(part, {})
        if not isinstance(target, dict):
            return
    target[parts[-1]] = value


def rows_in(values: dict[str, str], key: str) -> int:
    """How many rows of list `key` (goods, containers, documents) the form values fill."""
    indexes = [int(m.group(2)) for name in values if (m := INDEX.match(name)) and m.group(1) == key]
    return max(indexes, default=-1) + 1


def errors_by_field(problems: list[Problem], moved: dict[str, int],
                    lang: str | None = None) -> dict[str, list[str]]:
    """Messages in the screen's language keyed by form field name (rows renumbered back to the
    form's own), in the order of the form's fields."""
    out: dict[str, list[str]] = {}
    for p in problems:
        loc = form_loc(p.loc, moved)
        out.setdefault(loc, []).append(str(i18n.say(p.message or p.msg, lang)))
    return dict(sorted(out.items(), key=lambda item: i18n.labels.form_position(item[0])))


def form_loc(loc: str, moved: dict[str, int]) -> str:
    """A problem's JSON path with its row numbered as the form numbers it (empty rows are dropped)."""
    match = INDEX.match(loc)
    if match and match.group(0) in moved:
        return f"{match.group(1)}[{moved[match.group(0)]}]" + loc[match.end():]
    return loc


def flatten(doc: Any, prefix: str = "") -> dict[str, str]:
    """A declaration document as form values (the inverse of `nest`)."""
    if isinstance(doc, dict):
        out: dict[str, str] = {}
        for key, value in doc.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else key))
        return out
    if isinstance(doc, list):
        out = {}
        for i, value in enumerate(doc):
            out.update(flatten(value, f"{prefix}[{i}]"))
        return out
    if isinstance(doc, bool):
        return {prefix: "on"} if doc else {}
    return {prefix: "" if doc is None else str(doc)}


def local_input(value: str | None, tz: ZoneInfo) -> str:
    """An ISO time as a `datetime-local` input value in the gate's time zone."""
    if not value:
        return ""
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value
    if at.tzinfo is None:
        return at.strftime("%Y-%m-%dT%H:%M")
    return at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def with_zone(value: str | None, tz: ZoneInfo) -> str | None:
    """A `datetime-local` value (no offset) read as the gate's local time; anything else as given."""
    if not value:
        return value
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return value  # the API's own message will say what is expected
    return (at.replace(tzinfo=tz) if at.tzinfo is None else at).isoformat()
