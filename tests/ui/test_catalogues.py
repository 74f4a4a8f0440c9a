"""The message catalogues: every string of the screens is translated into Vietnamese and
Chinese, placeholders survive, and the shipped .mo files match their .po sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import borderflow.web as web

WEB = Path(web.__file__).parent
LANGS = ("vi", "zh")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalogue(lang: str, kind: str = "po"):
    path = WEB / "translations" / lang / "LC_MESSAGES" / f"messages.{kind}"
    with path.open("rb") as f:
        return read_po(f) if kind == "po" else read_mo(f)


def key(message_id) -> str:
    return message_id[0] if isinstance(message_id, (tuple, list)) else message_id


def strings(message) -> tuple[str, ...]:  # noqa: ANN001
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def extracted() -> set[str]:
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    options = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    return {key(m[2]) for m in extract_from_dir(str(WEB), method_map, options, keywords={
        "_": None, "gettext": None, "ngettext": (1, 2), "N_": None})}


@pytest.mark.parametrize("lang", LANGS)
def test_every_string_on_the_screens_is_translated(lang):
    po = catalogue(lang)
    have = {key(m.id) for m in po if m.id}
    missing = extracted() - have
    assert not missing, f"not in the {lang} catalogue (run pybabel update, see docs/ui.md): {sorted(missing)}"
    untranslated = [key(m.id) for m in po if m.id and not all(strings(m))]
    assert not untranslated, f"{lang}: {untranslated}"
    fuzzy = [key(m.id) for m in po if m.id and m.fuzzy]
    assert not fuzzy, f"{lang}: fuzzy translations need a look: {fuzzy}"


@pytest.mark.parametrize("lang", LANGS)
def test_every_translated_string_is_marked_where_it_is_written(lang):
    """`pybabel update` keeps only what extraction finds: an unmarked string loses its translation."""
    unmarked = {key(m.id) for m in catalogue(lang) if m.id} - extracted()
    assert not unmarked, f"{lang}: mark these with N_() where they are written, or drop them: {sorted(unmarked)}"


@pytest.mark.parametrize("lang", LANGS)
def test_placeholders_survive_translation(lang):
    for m in catalogue(lang):
        if not m.id:
            continue
        for string in strings(m):
            assert set(PLACEHOLDER.findall(key(m.id))) == set(PLACEHOLDER.findall(string)), key(m.id)


@pytest.mark.parametrize("lang", LANGS)
def test_the_compiled_catalogue_matches_its_source(lang):
    po, mo = catalogue(lang), catalogue(lang, "mo")
    source = {key(m.id): strings(m) for m in po if m.id}
    compiled = {key(m.id): strings(m) for m in mo if m.id}
    assert compiled == source, f"run: pybabel compile -d src/borderflow/web/translations ({lang})"
