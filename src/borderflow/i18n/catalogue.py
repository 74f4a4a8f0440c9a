"""Which language a reader gets, and a message rendered from that language's catalogue."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.support import NullTranslations, Translations

from borderflow.domain import messages
from borderflow.domain.messages import Message

TRANSLATIONS = Path(__file__).with_name("translations")
DOMAIN = "node"
LANGS: dict[str, str] = {"vi": "vi", "zh": "zh_Hans_CN", "en": "en"}  # language code -> Babel locale
DEFAULT = "en"


def from_header(header: str | None) -> str:
    """The best of vi, zh, en an Accept-Language header asks for; English when it asks for none."""
    weighted = []
    for position, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if quality > 0:
            weighted.append((-quality, position, tag.strip().lower()))
    for _, _, tag in sorted(weighted):
        primary = tag.split("-")[0]
        if primary in LANGS:
            return primary
    return DEFAULT


@cache
def catalogue(lang: str) -> NullTranslations:
    try:
        return Translations.load(str(TRANSLATIONS), [lang], domain=DOMAIN)
    except OSError:  # pragma: no cover - a broken install; English still works
        return NullTranslations()


@cache
def registered() -> int:
    """Every code known, the adapters' own tables included (once per process)."""
    from borderflow.i18n.registry import all_codes
    return len(all_codes())


def template_in(code: str, lang: str) -> str:
    english = messages.template(code)
    translated = catalogue(lang).pgettext(code, english)
    return translated or english


def render_code(code: str, params: Mapping[str, Any] | None, lang: str) -> str:
    """`code` with `params` in `lang`; an unknown code or a broken translation falls back to English."""
    from borderflow.i18n.formatting import formatter
    params = dict(params or {})
    registered()
    if not messages.known(code):
        return str(params.get("text", code))
    try:
        return formatter(lang).vformat(template_in(code, lang), (), _Params(params))
    except (KeyError, ValueError, IndexError, TypeError, AttributeError):
        return messages.english(code, params)


def render(text: Any, lang: str) -> Any:  # noqa: ANN401
    """A message (or English text rendered from one) in `lang`; other text (a person's own words) as it is."""
    if not isinstance(text, str):
        return text
    return _render(text, getattr(text, "code", None), lang)


@lru_cache(maxsize=16384)
def _render(text: str, code: str | None, lang: str) -> str:
    """Answers repeat their reasons and causes: each sentence is put into words once per language."""
    registered()
    message = text if isinstance(text, Message) and messages.known(code) else messages.recognise(str(text))
    if message is None:
        return text
    if lang == DEFAULT and not catalogue(lang).pgettext(message.code, ""):
        return str(message)  # the English catalogue says it as the domain does
    return render_code(message.code, message.params, lang)


def message_of(text: Any) -> Message | None:  # noqa: ANN401
    if isinstance(text, Message):
        return text
    return messages.recognise(text) if isinstance(text, str) else None


class _Params(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
