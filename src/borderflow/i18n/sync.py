"""Bring the node's catalogues up to date with the message registry, and compile them.

    python -m borderflow.i18n.sync          # update translations/*/LC_MESSAGES/node.po and .mo
    python -m borderflow.i18n.sync --check  # exit 1 when a code lacks a translation

Each code is one entry: msgctxt = the code, msgid = its English template. An entry whose
English changed keeps its old translation marked fuzzy (a translator must look again); a
code no longer defined is dropped. English needs no msgstr: the msgid is the English.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from borderflow.i18n.catalogue import DOMAIN, LANGS, TRANSLATIONS
from borderflow.i18n.registry import all_codes

HEADER = {"vi": "Vietnamese", "zh": "Chinese (simplified)", "en": "English"}


def po_path(lang: str) -> Path:
    return TRANSLATIONS / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def load(lang: str) -> Catalog:
    path = po_path(lang)
    if not path.exists():
        return Catalog(locale=LANGS[lang], domain=DOMAIN, project="borderflow", version="0.1")
    with path.open("rb") as f:
        return read_po(f, locale=LANGS[lang], domain=DOMAIN)


def updated(lang: str) -> Catalog:
    old = load(lang)
    new = Catalog(locale=LANGS[lang], domain=DOMAIN, project="borderflow", version="0.1",
                  header_comment=f"# {HEADER[lang]} texts of what a borderflow node says (msgctxt = code).\n"
                                 "# Maintained by `python -m borderflow.i18n.sync`.")
    previous = {m.context: m for m in old if m.id and m.context}
    for code, english in sorted(all_codes().items()):
        before = previous.get(code)
        string, fuzzy = "", False
        if before is not None and before.string:
            string, fuzzy = before.string, before.id != english or before.fuzzy
        flags = {"python-brace-format"} | ({"fuzzy"} if fuzzy else set())
        new.add(english, string, context=code, flags=flags)
    return new


def write(lang: str, catalog: Catalog) -> None:
    path = po_path(lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
    with path.with_suffix(".mo").open("wb") as f:
        write_mo(f, catalog, use_fuzzy=False)


def missing(lang: str) -> list[str]:
    """Codes `lang` does not say (yet): no translation, or one made for an older English text."""
    if lang == "en":
        return []
    catalog = load(lang)
    done = {m.context for m in catalog if m.id and m.context and m.string and not m.fuzzy}
    return sorted(set(all_codes()) - done)


def main(argv: list[str]) -> int:
    if "--check" in argv:
        gaps = {lang: missing(lang) for lang in LANGS}
        for lang, codes in gaps.items():
            for code in codes:
                print(f"{lang}: {code}")
        return 1 if any(gaps.values()) else 0
    for lang in LANGS:
        write(lang, updated(lang))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
