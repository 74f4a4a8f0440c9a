"""Licence plates of the border: parsing by country, and matching camera reads to declarations.

Cameras misread 0/O/D/Q, 1/I, 2/Z, 5/S, 8/B, 6/G (REFERENCE.md §1.3), so a read is
never matched by plain equality: `match_key` folds confusable characters for a fast
indexed lookup, and `ocr_distance` is an edit distance in which a confusable
substitution costs a quarter of an ordinary one.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from borderflow.domain.errors import IdentifierError
from borderflow.domain.messages import say
from borderflow.domain.identifiers.plate_regions import CN_PROVINCES, VN_PROVINCES

SEPARATORS = re.compile(r"[\s\-.·•_]")
VN_SERIES = "ABCDĐEFGHKLMNPSTUVXYZ"
VN_TWO_LETTER_SERIES = frozenset({"LD", "DA", "KT", "NG", "QT", "NN"})
VN_PLATE = re.compile(r"^([0-9]{2})([A-ZĐ]{1,2})([0-9]{4,5})$")
CN_SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"  # never I or O
CN_SPECIAL_SUFFIX = "挂学警港澳"
GENERIC_PLATE = re.compile(r"^[A-Z0-9]{2,10}$")

# Confusion classes: each folds to its first member.
CONFUSABLE = ("0ODQ", "1IL", "2Z", "5S", "8B", "6G")
WEAKER = ("PR", "PB", "CG", "A4", "KX", "38", "68")
FOLD = {ch: cls[0] for cls in CONFUSABLE for ch in cls}
STRONG_COST, WEAK_COST = 0.25, 0.5
_WEAK_PAIRS = {frozenset(pair) for pair in WEAKER}

PlateKind = Literal["vehicle", "trailer", "new_energy", "special"]


@dataclass(frozen=True, slots=True)
class Plate:
    country: str
    display: str
    compact: str
    kind: PlateKind
    region: str | None


def compact(text: str) -> str:
    """Separators out, upper case, and fullwidth forms (as CJK input methods type them) folded to ASCII."""
    return SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()


def parse_plate(text: str, country: str, *, trailer: bool = False) -> Plate:
    raw = compact(text or "")
    if not raw:
        raise IdentifierError("plate.empty", say("plate.empty"))
    if country == "VN":
        return _parse_vn(text, raw, trailer)
    if country == "CN":
        return _parse_cn(text, raw, trailer)
    if not GENERIC_PLATE.match(raw):
        raise IdentifierError("plate.format", say("plate.format", plate=text))
    return Plate(country, raw, raw, "trailer" if trailer else "vehicle", None)


def _parse_vn(text: str, raw: str, trailer: bool) -> Plate:
    m = VN_PLATE.match(raw)
    if not m:
        example = "24R-012.34" if trailer else "24C-123.45"
        raise IdentifierError("plate.format", say("plate.format.vn", plate=text, example=example))
    province, series, serial = m.groups()
    if province not in VN_PROVINCES:
        raise IdentifierError("plate.province", say("plate.province.vn", province=province))
    if len(series) == 2 and series not in VN_TWO_LETTER_SERIES:
        raise IdentifierError("plate.series", say("plate.series.pair", series=series, letters=VN_SERIES,
                                                  pairs=", ".join(sorted(VN_TWO_LETTER_SERIES))))
    if len(series) == 1 and series not in VN_SERIES + "R":
        raise IdentifierError("plate.series", say("plate.series.letter", series=series, letters=VN_SERIES))
    if trailer and series != "R":
        raise IdentifierError("plate.trailer", say("plate.trailer.vn_expected", plate=text))
    if not trailer and series == "R":
        raise IdentifierError("plate.trailer", say("plate.trailer.vn_given", plate=text))
    tail = f"{serial[:3]}.{serial[3:]}" if len(serial) == 5 else serial
    display = f"{province}{series}-{tail}"
    kind: PlateKind = "trailer" if trailer else ("special" if len(series) == 2 else "vehicle")
    return Plate("VN", display, raw, kind, VN_PROVINCES[province])


def _parse_cn(text: str, raw: str, trailer: bool) -> Plate:
    province, rest = raw[:1], raw[1:]
    if province not in CN_PROVINCES:
        raise IdentifierError("plate.province", say("plate.province.cn", plate=text))
    if not rest or not ("A" <= rest[0] <= "Z") or rest[0] in "IO":
        raise IdentifierError("plate.format", say("plate.office.cn", plate=text))
    serial = rest[1:]
    if trailer or serial.endswith("挂"):
        if not (len(serial) == 5 and serial.endswith("挂") and all(ch in CN_SERIAL for ch in serial[:4])):
            raise IdentifierError("plate.trailer", say("plate.trailer.cn_expected", plate=text))
        if not trailer:
            raise IdentifierError("plate.trailer", say("plate.trailer.cn_given", plate=text))
        return Plate("CN", raw, raw, "trailer", CN_PROVINCES[province])
    if len(serial) == 6:
        if re.fullmatch(r"[0-9]{5}[DF]|[DF][A-HJ-NP-Z0-9][0-9]{4}", serial):
            return Plate("CN", raw, raw, "new_energy", CN_PROVINCES[province])
        raise IdentifierError("plate.format", say("plate.new_energy.cn", plate=text))
    if len(serial) == 5 and all(ch in CN_SERIAL for ch in serial[:4]) and \
            (serial[4] in CN_SERIAL or serial[4] in CN_SPECIAL_SUFFIX):
        return Plate("CN", raw, raw, "vehicle" if serial[4] in CN_SERIAL else "special", CN_PROVINCES[province])
    if any(ch in "IO" for ch in serial):
        raise IdentifierError("plate.letters", say("plate.letters.cn", plate=text))
    raise IdentifierError("plate.format", say("plate.format.cn", plate=text))


def match_key(text: str) -> str:
    """A read and its misreads share this key: separators gone, Đ→D, confusables folded."""
    return "".join(FOLD.get(ch, ch) for ch in compact(text).replace("Đ", "D"))


def substitution_cost(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if FOLD.get(a, a) == FOLD.get(b, b):
        return STRONG_COST
    if frozenset((a, b)) in _WEAK_PAIRS:
        return WEAK_COST
    return 1.0


def ocr_distance(read: str, declared: str) -> float:
    """Levenshtein distance where a camera's typical confusion is cheap."""
    a, b = compact(read).replace("Đ", "D"), compact(declared).replace("Đ", "D")
    previous = [float(j) for j in range(len(b) + 1)]
    for i, ca in enumerate(a, 1):
        current = [float(i)]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + substitution_cost(ca, cb)))
        previous = current
    return previous[-1]


@dataclass(frozen=True)
class PlateMatch:
    """`distance` of the matches; for "none" only something beyond the limit."""

    status: Literal["exact", "fuzzy", "ambiguous", "none"]
    matches: tuple[str, ...]
    distance: float


def _bounded_distance(read: str, candidate: str, limit: float) -> float:
    """Same length and a small limit: only substitutions can stay under it (insert+delete costs 2)."""
    if len(read) == len(candidate) and limit < 2:
        total = 0.0
        for x, y in zip(read, candidate, strict=True):
            if x != y:
                total += substitution_cost(x, y)
                if total > limit:
                    return total
        return total
    if abs(len(read) - len(candidate)) > limit:
        return limit + 1
    return ocr_distance(read, candidate)


@functools.lru_cache(maxsize=65_536)
def _normal(text: str) -> str:
    """Declared plates recur on every read at a gate: normalise each once."""
    return compact(text).replace("Đ", "D")


PREFILTER_FROM = 32  # candidates; below this the weighted distance is cheap enough for every one


@functools.lru_cache(maxsize=65_536)
def _key(text: str) -> str:
    return match_key(text)


def _near(read: str, candidates: list[str], max_distance: float) -> list[str]:
    """The candidates that can be within `max_distance`, found by a C-speed Levenshtein scan
    (rapidfuzz) over the folded keys: a confusable costs nothing there, every other edit costs at
    least WEAK_COST in the weighted distance, so no more than max_distance // WEAK_COST edits."""
    edits = int(max_distance // WEAK_COST)
    keys = [_key(c) for c in candidates]
    hits = process.extract(_key(read), keys, scorer=Levenshtein.distance, score_cutoff=edits, limit=None)
    return [candidates[index] for _, _, index in hits]


def key_variants(key: str) -> set[str]:
    """A plate's key and every string one character shorter: kept for each crossing expected at a gate,
    so that the plates a read could match are found by an index (`probe_keys`) instead of by reading
    every truck the gate expects."""
    return {key} | {key[:i] + key[i + 1:] for i in range(len(key))}


# Folded character → the folded characters a weaker confusion (WEAK_COST) turns it into.
_WEAK_PARTNERS: dict[str, set[str]] = {}
for _a, _b in WEAKER:
    _fa, _fb = FOLD.get(_a, _a), FOLD.get(_b, _b)
    _WEAK_PARTNERS.setdefault(_fa, set()).add(_fb)
    _WEAK_PARTNERS.setdefault(_fb, set()).add(_fa)


def probe_keys(read: str, *, max_distance: float = 1.0) -> set[str]:
    """What to look up among the stored `key_variants` to find every plate within `max_distance` of the
    read (a superset: `match_plate` then scores them).

    In the keys, confusables cost nothing (they fold to one character); every other edit costs at
    least WEAK_COST, and anything but a weaker confusion costs 1. So within 1.0 a plate's key is one
    edit from the read's, or two weaker confusions. Two keys one edit apart share a string with one
    character deleted (or are equal, or one is the other less a character): the read's key and its
    deletions find them among the variants. Keys two weaker confusions away are listed outright."""
    if max_distance > 1.0:
        raise ValueError(f"probe_keys covers max_distance up to 1.0, got {max_distance}")
    key = match_key(read)
    probes = key_variants(key)
    if max_distance >= 2 * WEAK_COST:
        for i in range(len(key)):
            for x in _WEAK_PARTNERS.get(key[i], ()):
                for j in range(i + 1, len(key)):
                    for y in _WEAK_PARTNERS.get(key[j], ()):
                        probes.add(key[:i] + x + key[i + 1:j] + y + key[j + 1:])
    return probes


def settled_by_key(match: PlateMatch) -> bool:
    """Whether matching only the candidates that share the read's key (`match_key`) gave the
    answer a match over every candidate would: a candidate with another key is at least one
    non-confusable edit away (WEAK_COST or more), so it cannot tie with or beat a closer one."""
    return match.status != "none" and match.distance < WEAK_COST


def match_plate(read: str, candidates: Iterable[str], *, max_distance: float = 1.0) -> PlateMatch:
    target = _normal(read)
    unique = list(dict.fromkeys(candidates))
    if len(unique) >= PREFILTER_FROM:
        unique = _near(read, unique, max_distance)
    scored: dict[str, float] = {}
    for candidate in unique:
        scored[candidate] = _bounded_distance(target, _normal(candidate), max_distance)
    exact = tuple(c for c, d in scored.items() if d == 0)
    if exact:
        return PlateMatch("exact", exact, 0.0)  # one plate, however it was typed
    best = min(scored.values(), default=max_distance + 1)
    if best > max_distance:
        return PlateMatch("none", (), best)
    winners = tuple(c for c, d in scored.items() if d == best)
    return PlateMatch("fuzzy" if len(winners) == 1 else "ambiguous", winners, best)
