"""What the node says, as codes with parameters: the English text is one rendering of it.

A message is a stable `code` (catalogue id) and `params` (JSON values). The registry maps
each code to its English template, written with `str.format` fields: `{name}`, `{name!r}`
(the value as typed, quoted) and `{name:kind}` where `kind` says how a language shows the
value (`t`: kilograms as tonnes, `n`: a number, `row`: a list index shown from 1, `time`: an
ISO time, `when`: a gate-local time, `list`, `msg`: a nested message, `term.<table>`: a
word of the catalogue such as an agency's name, `name`: a per-language name table). The
English rendering keeps digits and ISO times plain; the other languages may use any kind.

`say(code, **params)` gives a `Message`: a `str` holding the English text, so code that
stores or compares text keeps working, which also carries `code` and `params` for the
adapters (`borderflow.i18n`) to render in Vietnamese or Chinese. `recognise(text)` turns
English text that was rendered from a template (and stored as text) back into its message.
"""

from __future__ import annotations

import ast
import functools
import re
import string
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from borderflow.domain.weights import tonnes

_TEMPLATES: dict[str, str] = {}
_FORMAT = string.Formatter()


class Message(str):
    """English text with the code and params it was rendered from."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, params: Mapping[str, Any] | None = None) -> Message:
        params = dict(params or {})
        self = super().__new__(cls, english(code, params))
        self.code, self.params = code, params
        return self

    def __reduce__(self):  # noqa: ANN204 - pickles (multiprocessing, caches) keep the code
        return Message, (self.code, self.params)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": to_json(self.params)}


def define(code: str, english_template: str) -> str:
    """Register `code`; the same code twice must mean the same English sentence."""
    known = _TEMPLATES.get(code)
    if known is not None and known != english_template:
        raise ValueError(f"message {code!r} is already defined as {known!r}")
    fields(english_template)  # a broken template fails at import, not when first said
    _TEMPLATES[code] = english_template
    _index.cache_clear()
    recognise.cache_clear()
    return code


def define_all(templates: Mapping[str, str]) -> None:
    for code, text in templates.items():
        define(code, text)


def say(code: str, /, **params: Any) -> Message:
    if code not in _TEMPLATES:
        codes()
    if code not in _TEMPLATES:
        raise KeyError(f"message {code!r} is not defined; define it in borderflow.domain.wording")
    return Message(code, params)


def template(code: str) -> str:
    if code not in _TEMPLATES:
        codes()
    return _TEMPLATES[code]


def codes() -> dict[str, str]:
    """Every code with its English template (the catalogues must cover each)."""
    from borderflow.domain import wording  # noqa: F401 - the node's own codes
    return dict(_TEMPLATES)


def known(code: str) -> bool:
    if code not in _TEMPLATES:
        codes()
    return code in _TEMPLATES


def fields(text: str) -> dict[str, str]:
    """The template's fields and their format kinds: `{"weighed_kg": "t"}`."""
    return {name: spec or "" for _, name, spec, _ in _FORMAT.parse(text) if name is not None}


def to_json(value: Any) -> Any:
    if value is None or type(value) in (int, float, bool):
        return value
    if isinstance(value, Message):
        return value.as_json()
    if isinstance(value, Mapping):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def from_json(value: Any) -> Any:
    """A message's JSON (`{"code": …, "params": …}`, as the partner sends it) back as a Message."""
    if isinstance(value, Mapping) and set(value) == {"code", "params"} and known(value["code"]):
        return Message(value["code"], {k: from_json(v) for k, v in (value["params"] or {}).items()})
    return value


def revive(said: Any, text: str) -> str:  # noqa: ANN401
    """The message the partner sent as JSON beside `text`, when we know its code and its params fit
    our sentence; else `text` as sent (its words are still right)."""
    try:
        revived = from_json(said)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError):
        return text
    return revived if isinstance(revived, Message) else text


class EnglishFormatter(string.Formatter):
    """The English rendering: plain digits and ISO times, as the API always answered."""

    def format_field(self, value: Any, spec: str) -> str:  # noqa: ANN401
        if spec == "t":
            return tonnes(value)
        if spec == "list":
            return ", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)
        if spec.startswith("term."):
            return term(spec[5:], value, english)
        if spec == "name":
            return pick_name(value, "en")
        if spec == "when":
            if not isinstance(value, Mapping):
                return str(value)
            day = f" on {value['day']} {MONTHS[value['month'] - 1]}" if value.get("day") else ""
            return f"{value['time']}{day}"
        if spec == "row":
            return str(int(value) + 1)
        if spec in ("msg", "", "n", "time"):
            return str(value)
        return super().format_field(value, spec)


def term(table: str, value: Any, render) -> str:  # noqa: ANN001
    """A word of the catalogue (`term.agency.customs`); a list of them joined; unknown values as given."""
    if isinstance(value, (list, tuple)):
        return ", ".join(term(table, v, render) for v in value)
    code = f"term.{table}.{value}"
    return render(code, {}) if code in _TEMPLATES else str(value).replace("_", " ")


def pick_name(value: Any, lang: str) -> str:  # noqa: ANN401
    """A name in `lang` from a per-language table (`{"vi": …, "zh": …, "en": …}`)."""
    if not isinstance(value, Mapping):
        return str(value)
    return value.get(lang) or value.get("en") or next(iter(value.values()), "")


_ENGLISH = EnglishFormatter()


def english(code: str, params: Mapping[str, Any]) -> str:
    return _ENGLISH.vformat(template(code), (), _Params(params))


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# ------------------------------------------------------------------ text stored before codes
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_WHEN = re.compile(r"(\d{2}:\d{2})(?: on (\d{1,2}) (\w{3}))?")


def when(at: datetime, timezone: str, now: datetime | None) -> dict[str, Any]:
    """A gate-local time for a message: `{"time": "10:40"}`, with `day` and `month` when not today."""
    tz = ZoneInfo(timezone)
    local = at.astimezone(tz)
    if now is not None and now.astimezone(tz).date() == local.date():
        return {"time": f"{local:%H:%M}"}
    return {"time": f"{local:%H:%M}", "day": local.day, "month": local.month}


def _when_inverse(text: str) -> dict[str, Any]:
    match = _WHEN.fullmatch(text)
    if match is None:
        raise ValueError(text)
    if match.group(2) is None:
        return {"time": match.group(1)}
    return {"time": match.group(1), "day": int(match.group(2)), "month": MONTHS.index(match.group(3)) + 1}


_KINDS_INVERSE = {"when": _when_inverse, "t": lambda text: float(text.removesuffix(" t")) * 1000,
                  "list": lambda text: text.split(", ")}


def _pattern(text: str) -> tuple[re.Pattern, list[tuple[str, str, str]], int]:
    parts, seen, fields_, literal = [], {}, [], 0
    for lit, name, spec, conversion in _FORMAT.parse(text):
        parts.append(re.escape(lit.replace("{{", "{").replace("}}", "}")))
        literal += len(lit)
        if name is None:
            continue
        if name in seen:
            parts.append(f"(?P={seen[name]})")
            continue
        group = f"f{len(seen)}"
        seen[name] = group
        fields_.append((group, name, spec or ("r" if conversion == "r" else "")))
        parts.append(f"(?P<{group}>'[^']*'|\"[^\"]*\")" if conversion == "r" else f"(?P<{group}>.+?)")
    return re.compile("".join(parts), re.DOTALL), fields_, literal


@functools.cache
def _index() -> tuple[tuple[str, re.Pattern, list, int], ...]:
    codes()
    compiled = [(code, *_pattern(text)) for code, text in _TEMPLATES.items() if not code.startswith("term.")]
    # The most literal text first: "held: {x}" must not win over a sentence that says more.
    return tuple(sorted((c for c in compiled if c[3] >= 4), key=lambda c: -c[3]))


@functools.lru_cache(maxsize=8192)
def recognise(text: str) -> Message | None:
    """The message this English text was rendered from, or None (an officer's own words)."""
    if not text:
        return None
    for code, pattern, fields_, _ in _index():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        params = {}
        try:
            for group, name, spec in fields_:
                params[name] = _inverse(match.group(group), spec)
        except (ValueError, SyntaxError):
            continue
        for candidate in ({k: _number(v) for k, v in params.items()}, params):
            try:
                message = Message(code, candidate)
            except (ValueError, TypeError, KeyError, IndexError):  # e.g. "{share:.0%}" read back as text
                continue
            if message == text:  # the rendering round-trips: this is the sentence
                return message
    return None


_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?")


def _number(value: Any) -> Any:  # noqa: ANN401
    """Digits read back from text as the number they were (JSON params keep numbers numbers)."""
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        return float(value) if "." in value else int(value)
    return value


def _inverse(raw: str, spec: str) -> Any:  # noqa: ANN401
    if spec == "r":
        return ast.literal_eval(raw)
    if spec == "msg":
        return recognise(raw) or raw
    if spec.startswith("term."):
        return _term_code(spec[5:], raw)
    if spec in _KINDS_INVERSE:
        return _KINDS_INVERSE[spec](raw)
    if spec.endswith("%"):  # "{rate:.0%}" wrote 0.05 as "5%"
        return float(raw.removesuffix("%")) / 100
    return raw


def _term_code(table: str, text: str) -> Any:  # noqa: ANN401
    prefix = f"term.{table}."
    words = {t: c[len(prefix):] for c, t in _TEMPLATES.items() if c.startswith(prefix)}
    if text in words:
        return words[text]
    if ", " in text:
        return [words.get(part, part.replace(" ", "_")) for part in text.split(", ")]
    return text.replace(" ", "_")


def recognise_all(texts: Iterable[str]) -> list[Message | None]:
    return [text if isinstance(text, Message) else recognise(text) for text in texts]
