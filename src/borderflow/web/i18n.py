"""Languages of the screens: which one a request gets, its catalogue, and locale-aware formats.

The UI chrome is translated; plates, codes, references and people's names never are.
What the node says (validation errors, hold reasons, risk reasons, history, the driver's next
step) is rendered from the node's message catalogues (`borderflow.i18n`) in the page's language.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale, dates, numbers, units
from babel.support import NullTranslations, Translations
from fastapi import Request
from markupsafe import Markup, escape

from borderflow.i18n import catalogue as node_catalogue
from borderflow.web import labels

TRANSLATIONS = Path(__file__).with_name("translations")
# ?lang= code -> Babel locale of the formats: English as in en-GB, day before month and a 24-hour clock
LANGS: dict[str, str] = {"vi": "vi", "zh": "zh_Hans_CN", "en": "en_GB"}
CLOCK = "HH:mm"  # officers read a 24-hour clock in every language, whatever a locale's habit
LANG_NAMES = {"vi": "Tiếng Việt", "zh": "中文", "en": "English"}  # each in its own language: never translated
DEFAULT = "en"
COOKIE = "bf_lang"
current: ContextVar[str] = ContextVar("borderflow_web_language", default=DEFAULT)
"""The language of the screen being answered: set by `choose`, read where a message is put into words."""


def choose(request: Request) -> str:
    """?lang= wins (and is remembered in a cookie), then the cookie, then Accept-Language."""
    asked = request.query_params.get("lang", "")
    remembered = request.cookies.get(COOKIE, "")
    lang = asked if asked in LANGS else remembered if remembered in LANGS else \
        from_header(request.headers.get("accept-language", ""))
    current.set(lang)
    return lang


def from_header(header: str) -> str:
    return node_catalogue.from_header(header)


def say(text: Any, lang: str | None = None) -> Any:  # noqa: ANN401
    """What the node said, in `lang` (the screen's language by default); a person's own words as written."""
    return node_catalogue.render(text, lang or current.get())


def field_label(loc: str, lang: str | None = None) -> str:
    """A form field by its label, as the form shows it: "Goods line 1 — HS code"."""
    catalogue = translations(lang or current.get())
    group, row, leaf = labels.field_parts(loc)
    words = [catalogue.gettext(labels.FIELD[leaf]) if leaf in labels.FIELD else leaf] if leaf else []
    if group is not None:
        title = catalogue.gettext(labels.ROW[group]) % {"n": row + 1} if row is not None else \
            catalogue.gettext(labels.SECTION[group])
        words.insert(0, title)
    return " — ".join(words) or loc


@cache
def translations(lang: str) -> NullTranslations:
    if lang == DEFAULT:
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [lang], domain="messages")


@cache
def locale(lang: str) -> Locale:
    return Locale.parse(LANGS[lang])


class Formats:
    """Dates, numbers and durations in one language, shown in one time zone (the gate's)."""

    def __init__(self, lang: str, tz):  # noqa: ANN001
        self.lang, self.locale, self.tz = lang, locale(lang), tz

    def when(self, value: datetime | str | None, style: str = "short") -> str:
        """The date in the language's order and style, the time on a 24-hour clock."""
        at = parse_time(value)
        if at is None:
            return "—"
        local = at.astimezone(self.tz)
        pattern = str(self.locale.datetime_formats[style]).replace("'", "")
        return pattern.replace("{1}", dates.format_date(local, style, locale=self.locale)) \
            .replace("{0}", dates.format_time(local, CLOCK, locale=self.locale))

    def day(self, value: datetime | str | None) -> str:
        at = parse_time(value)
        return dates.format_date(at.astimezone(self.tz), "full", locale=self.locale) if at else "—"

    def clock(self, value: datetime | str | None) -> str:
        at = parse_time(value)
        return dates.format_time(at, CLOCK, tzinfo=self.tz, locale=self.locale) if at else "—"

    def ago(self, value: datetime | str | None, now: datetime) -> str:
        at = parse_time(value)
        if at is None:
            return "—"
        return dates.format_timedelta(at - now, add_direction=True, locale=self.locale, threshold=1.1)

    def number(self, value: float | int | Decimal | str | None, digits: int = 0) -> str:
        if value is None or value == "":
            return "—"
        return numbers.format_decimal(Decimal(str(value)), format=f"#,##0{'.' + '0' * digits if digits else ''}",
                                      locale=self.locale)

    def weight(self, kg: float | int | Decimal | str | None) -> str:
        """A mass in kilograms as the language writes it: "24,000 kg", "24.000 kg"."""
        if kg is None or kg == "":
            return "—"
        return units.format_unit(Decimal(str(kg)), "mass-kilogram", length="short", format="#,##0.###",
                                 locale=self.locale)

    def money(self, value: float | int | Decimal | str | None, currency: str) -> str:
        """An amount with its currency, placed and separated as the language does: "US$72,000.00",
        "72.000,00 US$"; the currency's own decimals (none for VND)."""
        if value is None or value == "":
            return "—"
        return numbers.format_currency(Decimal(str(value)), currency, locale=self.locale)

    def minutes(self, value: float | int | None) -> str:
        if value is None:
            return "—"
        return units.format_unit(round(value), "duration-minute", length="short", locale=self.locale)

    def hours(self, value: float | int) -> str:
        return units.format_unit(value, "duration-hour", length="short", locale=self.locale)

    def say(self, text: Any) -> Any:  # noqa: ANN401
        return say(text, self.lang)

    def message(self, said: Any, text: Any) -> Any:  # noqa: ANN401
        """A message the partner sent as code and params (JSON), in this language; its text when we
        do not know the code."""
        from borderflow.domain import messages
        return self.say(messages.revive(said, text))

    def said(self, code: str, params: dict[str, Any] | None, links: dict[str, str] | None = None) -> Markup:
        """A message kept as code and params (a flash outlives the language it was made in), with
        the params named in `links` as links: `{"reference": "/portal/crossings/…"}`."""
        marks = {name: f"\x00{i}\x00" for i, name in enumerate(links or {})}
        text = escape(node_catalogue.render_code(code, {**(params or {}), **marks}, self.lang))
        for name, mark in marks.items():
            shown = Markup('<span class="code" translate="no">{}</span>').format((params or {}).get(name, ""))
            text = Markup(text.replace(mark, Markup('<a href="{}">{}</a>').format(links[name], shown)))
        return text

    def field(self, loc: str) -> str:
        return field_label(loc, self.lang)

    def in_form_order(self, errors: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
        """The error summary's entries in the order of the form's fields, not of the checks."""
        return sorted(errors.items(), key=lambda item: labels.form_position(item[0]))


def parse_time(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
