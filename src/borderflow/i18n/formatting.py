"""Params as each language writes them: tonnes, numbers, lists, times, names and the words
of the catalogue (an agency, a risk lane), per the `{name:kind}` of a template."""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from babel import Locale, dates, numbers

from borderflow.domain import messages
from borderflow.domain.messages import EnglishFormatter, Message
from borderflow.i18n import names
from borderflow.i18n.catalogue import LANGS, render, render_code

TONNE = {"vi": "{} tấn", "zh": "{}吨", "en": "{} t"}
LIST_SEPARATOR = {"vi": ", ", "zh": "、", "en": ", "}
DAY = {"vi": "{time} ngày {day}/{month}", "zh": "{month}月{day}日 {time}", "en": "{time} on {day} {mon}"}


class LocaleFormatter(string.Formatter):
    def __init__(self, lang: str):
        super().__init__()
        self.lang, self.locale = lang, Locale.parse(LANGS[lang])

    def format_field(self, value: Any, spec: str) -> str:  # noqa: ANN401, PLR0911
        if spec == "t":
            number = _number(value)
            return TONNE[self.lang].format(self.decimal(round(number / 1000, 1)) if number is not None else value)
        if spec == "row":  # a list index shown as the form numbers its rows: goods[0] is line 1
            number = _number(value)
            return str(int(number) + 1) if number is not None else str(value)
        if spec == "n":
            number = _number(value)
            return self.decimal(number) if number is not None else str(value)
        if spec == "list":
            items = value if isinstance(value, (list, tuple)) else [value]
            return LIST_SEPARATOR[self.lang].join(str(render(v, self.lang)) for v in items)
        if spec.startswith("term."):
            return self.term(spec[5:], value)
        if spec == "name":
            return names.in_language(value, self.lang)
        if spec == "when":
            return self.when(value)
        if spec == "time":
            return self.time(value)
        if spec in ("msg", ""):
            return str(render(value, self.lang)) if isinstance(value, str) else str(value)
        return super().format_field(value, spec)

    def decimal(self, number: float | Decimal) -> str:
        return numbers.format_decimal(number, locale=self.locale)

    def term(self, table: str, value: Any) -> str:  # noqa: ANN401
        if isinstance(value, (list, tuple)):
            return LIST_SEPARATOR[self.lang].join(self.term(table, v) for v in value)
        code = f"term.{table}.{value}"
        return render_code(code, {}, self.lang) if messages.known(code) else str(value)

    def when(self, value: Any) -> str:  # noqa: ANN401
        if not isinstance(value, Mapping):
            return self.time(value)
        if not value.get("day"):
            return str(value["time"])
        return DAY[self.lang].format(time=value["time"], day=value["day"], month=value["month"],
                                     mon=messages.MONTHS[value["month"] - 1])

    def time(self, value: Any) -> str:  # noqa: ANN401
        try:
            at = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        except ValueError:
            return str(value)
        if at.tzinfo is None:
            return dates.format_datetime(at, "short", locale=self.locale)
        return dates.format_datetime(at, "short", tzinfo=at.tzinfo, locale=self.locale)


class CatalogueEnglish(EnglishFormatter):
    """English as the domain writes it, with nested messages and words from the English catalogue."""

    def format_field(self, value: Any, spec: str) -> str:  # noqa: ANN401
        if spec.startswith("term."):
            return messages.term(spec[5:], value, lambda code, params: render_code(code, params, "en"))
        if spec == "name" and not isinstance(value, Mapping):
            return str(value)
        if spec in ("msg", "") and isinstance(value, Message):
            return render_code(value.code, value.params, "en")
        return super().format_field(value, spec)


@cache
def formatter(lang: str) -> string.Formatter:
    return CatalogueEnglish() if lang == "en" else LocaleFormatter(lang)


def _number(value: Any) -> float | Decimal | None:  # noqa: ANN401
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float, Decimal)):
        return value
    try:
        return Decimal(str(value).replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
