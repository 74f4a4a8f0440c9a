"""Languages of the screens: which one a request gets, its catalogue, and locale-aware formats.

The UI chrome is translated; plates, codes, references and people's names never are.
Domain messages (validation errors, hold reasons) stay as the API gives them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import cache
from pathlib import Path

from babel import Locale, dates, numbers, units
from babel.support import NullTranslations, Translations
from fastapi import Request

TRANSLATIONS = Path(__file__).with_name("translations")
LANGS: dict[str, str] = {"vi": "vi", "zh": "zh_Hans_CN", "en": "en"}  # ?lang= code -> Babel locale
LANG_NAMES = {"vi": "Tiếng Việt", "zh": "中文", "en": "English"}  # each in its own language: never translated
DEFAULT = "en"
COOKIE = "bf_lang"


def choose(request: Request) -> str:
    """?lang= wins (and is remembered in a cookie), then the cookie, then Accept-Language."""
    asked = request.query_params.get("lang", "")
    if asked in LANGS:
        return asked
    remembered = request.cookies.get(COOKIE, "")
    if remembered in LANGS:
        return remembered
    return from_header(request.headers.get("accept-language", ""))


def from_header(header: str) -> str:
    weighted = []
    for position, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        weighted.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(weighted):
        primary = tag.split("-")[0]
        if primary in LANGS:
            return primary
    return DEFAULT


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
        at = parse_time(value)
        return dates.format_datetime(at, style, tzinfo=self.tz, locale=self.locale) if at else "—"

    def day(self, value: datetime | str | None) -> str:
        at = parse_time(value)
        return dates.format_date(at.astimezone(self.tz), "full", locale=self.locale) if at else "—"

    def clock(self, value: datetime | str | None) -> str:
        at = parse_time(value)
        return dates.format_time(at, "short", tzinfo=self.tz, locale=self.locale) if at else "—"

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

    def minutes(self, value: float | int | None) -> str:
        if value is None:
            return "—"
        return units.format_unit(round(value), "duration-minute", length="short", locale=self.locale)

    def hours(self, value: float | int) -> str:
        return units.format_unit(value, "duration-hour", length="short", locale=self.locale)


def parse_time(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
