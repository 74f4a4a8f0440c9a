"""Every code the node can say has its Vietnamese, Chinese and English text, and each
translation uses only the params its code is said with."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from babel.messages.pofile import read_po

import borderflow
from borderflow.domain import messages
from borderflow.i18n import catalogue, sync
from borderflow.i18n.registry import all_codes


def _import_everything() -> None:
    """Codes are defined where they are said: import every module so none is missed."""
    for info in pkgutil.walk_packages(borderflow.__path__, "borderflow."):
        if info.name.endswith(("__main__", ".sync")) or ".migrations" in info.name:
            continue
        try:
            importlib.import_module(info.name)
        except Exception:  # noqa: BLE001,S112 - an optional extra that is not installed here
            continue


_import_everything()
CODES = all_codes()
ENTRIES = {lang: {m.context: m for m in read_po(sync.po_path(lang).open("rb")) if m.id and m.context}
           for lang in catalogue.LANGS}


def test_the_registry_is_not_empty_and_every_template_is_well_formed():
    assert len(CODES) > 200
    for code, text in CODES.items():
        messages.fields(text)  # raises on a broken template
        assert code == code.strip() and " " not in code


@pytest.mark.parametrize("lang", sorted(catalogue.LANGS))
def test_every_code_is_in_the_catalogue_for_the_current_english(lang):
    entries = ENTRIES[lang]
    missing = sorted(set(CODES) - set(entries))
    assert not missing, f"{lang}: no entry for {missing}: run python -m borderflow.i18n.sync"
    stale = sorted(code for code, text in CODES.items() if entries[code].id != text)
    assert not stale, f"{lang}: the English of {stale} changed since it was translated"


@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_every_code_is_translated_and_keeps_its_params(lang):
    untranslated, fuzzy, foreign = [], [], []
    for code, text in CODES.items():
        entry = ENTRIES[lang][code]
        if not entry.string:
            untranslated.append(code)
            continue
        if entry.fuzzy:
            fuzzy.append(code)
        extra = set(messages.fields(entry.string)) - set(messages.fields(text))
        if extra:
            foreign.append((code, sorted(extra)))
    assert not untranslated, f"{lang}: not translated: {untranslated}"
    assert not fuzzy, f"{lang}: fuzzy (English changed): {fuzzy}"
    assert not foreign, f"{lang}: params the code is never said with: {foreign}"


@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_a_translation_is_not_the_english_sentence(lang):
    same = [code for code, text in CODES.items()
            if ENTRIES[lang][code].string == text and any(ch.isalpha() for ch in text.replace("{", " ").split("}")[-1])
            and _words(text) >= 3]
    assert not same, f"{lang}: still in English: {same}"


def _words(text: str) -> int:
    literal = "".join(part for part, *_ in messages._FORMAT.parse(text))
    return len([w for w in literal.split() if w.isalpha() and w.isascii()])


def test_the_compiled_catalogues_say_what_the_po_files_say():
    for lang in ("vi", "zh"):
        catalogue.catalogue.cache_clear()
        for code in ("barrier.overweight", "booking.slot_full", "problem.validation"):
            assert catalogue.template_in(code, lang) == ENTRIES[lang][code].string


def test_the_sync_check_agrees():
    assert sync.main(["--check"]) == 0
