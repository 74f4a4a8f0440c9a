"""From what the model read, line by line, to a plate as the node writes it.

Pure text: the reader hands over its lines top to bottom (a Vietnamese two-line plate is
`29C` over `123.45`, a Chinese rear plate `桂F` over `12345`) and gets back the joined,
normalised plate. Characters are folded the way `domain/identifiers/plates.compact`
folds a typed plate, anything no plate carries is dropped, and a character in a
position where the country's plates have only digits (or only letters) is put back
within its confusion class (O→0 in a serial, 8→B in a series letter), so that a
well-read plate comes out exactly as declared and the node's tolerant matcher does
the rest.
"""

from __future__ import annotations

from collections.abc import Sequence

from borderflow.domain.errors import IdentifierError
from borderflow.domain.identifiers.plate_regions import CN_PROVINCES
from borderflow.domain.identifiers.plates import CN_SPECIAL_SUFFIX, compact, parse_plate

DIGITS = "0123456789"
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PROVINCES = frozenset(CN_PROVINCES)
HAN = "".join(CN_PROVINCES) + CN_SPECIAL_SUFFIX
ALPHABET = frozenset(DIGITS + LETTERS + "Đ" + HAN)
# Within a confusion class of plates.CONFUSABLE: what a letter becomes where only digits
# stand, and a digit where only letters stand.
# Only these classes: a mapping outside them could turn a misread into a neighbour's plate.
AS_DIGIT = {"O": "0", "D": "0", "Q": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
AS_LETTER = {"0": "D", "1": "L", "2": "Z", "5": "S", "8": "B", "6": "G"}
CN_AS_SERIAL = {"O": "0", "I": "1"}  # Chinese plates never use I or O


def normalise(raw: str) -> str:
    """Plate characters only: separators, dots, stray marks and lower-case noise gone."""
    return "".join(ch for ch in compact(raw) if ch in ALPHABET)


def join_lines(lines: Sequence[str]) -> str:
    """Lines top to bottom, each normalised, as one plate."""
    return "".join(normalise(line) for line in lines)


def _vn(text: str) -> str:
    head, rest = text[:2], text[2:]
    series_len = 2 if len(rest) == 7 and not rest[1].isdigit() else 1
    series, serial = rest[:series_len], rest[series_len:]
    return ("".join(AS_DIGIT.get(ch, ch) for ch in head) + "".join(AS_LETTER.get(ch, ch) for ch in series)
            + "".join(AS_DIGIT.get(ch, ch) for ch in serial))


def _cn(text: str) -> str:
    office, serial = text[1:2], text[2:]
    return text[0] + AS_LETTER.get(office, office) + "".join(CN_AS_SERIAL.get(ch, ch) for ch in serial)


def conform(text: str) -> str:
    """Each position put back to the kind of character the country's plates carry there."""
    if text[:1] in CN_PROVINCES:
        return _cn(text)
    if len(text) in (8, 9) and not text[2:3].isdigit():
        return _vn(text)
    return text


def country_of(text: str) -> str | None:
    """VN or CN if `text` is a well-formed plate of that country (vehicle, trailer or new-energy)."""
    country = "CN" if text[:1] in CN_PROVINCES else "VN"
    trailer = text.endswith("挂") if country == "CN" else text[2:3] == "R"
    try:
        parse_plate(text, country, trailer=trailer)
    except IdentifierError:
        return None
    return country
