"""CTC decoding of the recogniser's output into plate characters, each with its probability.

Decoding keeps to the characters plates carry (digits, Latin capitals, the province
characters and 挂): the general model would otherwise happily read `0` as `〇` or a
screw as `。`. Where a Chinese plate can only have a province character (first) or a
suffix (last: 挂, 学, 警, 港, 澳), the character there is chosen among those alone:
川 read as `I`, a 云 left out, 挂 read as 桂.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from borderflow.devices.ocr.text import ALPHABET, HAN, LETTERS, PROVINCES
from borderflow.domain.identifiers.plates import CN_SPECIAL_SUFFIX, compact

MARKS = "-.·"  # read, so that they are not forced into a character, then dropped
WANTED_FLOOR = 0.05
SUFFIXES = frozenset(CN_SPECIAL_SUFFIX)


@dataclass(frozen=True, slots=True)
class Char:
    char: str
    probability: float
    second: str | None
    second_probability: float


@dataclass(frozen=True, slots=True)
class Row:
    chars: list[Char]
    spans: list[tuple[int, int]]  # the frames each character was read from
    frames: np.ndarray  # frames × labels: each plate character's probability
    labels: tuple[str, ...]


@cache
def labels_of(characters: tuple[str, ...]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Plate characters (blank first, then marks), the dictionary entries that are each of them, and how.

    The model's dictionary has `C`, `c` and `Ｃ`, `0` and `０`: each is the same
    character on a plate, so their probabilities add up (folded as `compact` folds a
    typed plate). Everything else (`〇`, `。`, most of the Han characters) is left out.
    """
    labels = ("", *MARKS, *sorted(ALPHABET))
    index = {label: i for i, label in enumerate(labels)}
    entries, targets = [0], [0]
    for i, ch in enumerate(characters[1:], 1):
        folded = ch if ch in MARKS else compact(ch)
        if folded and folded in index:
            entries.append(i)
            targets.append(index[folded])
    fold = np.zeros((len(entries), len(labels)), dtype=np.float32)
    fold[np.arange(len(entries)), targets] = 1.0
    return labels, np.array(entries), fold


def decode(probabilities: np.ndarray, characters: tuple[str, ...]) -> Row:
    """CTC decoding restricted to plate characters, with each character's probability and runner-up."""
    labels, entries, fold = labels_of(characters)
    frames = probabilities[:, entries] @ fold
    best = frames.argmax(axis=1)
    chars: list[Char] = []
    spans: list[tuple[int, int]] = []
    previous = 0
    for frame, index in enumerate(best):
        if index != 0 and index != previous:
            chars.append(char_at(frames[frame], index, labels))
            spans.append((frame, frame + 1))
        elif index != 0:
            spans[-1] = (spans[-1][0], frame + 1)
            if frames[frame, index] > chars[-1].probability:
                chars[-1] = char_at(frames[frame], index, labels)
        previous = index
    return Row(chars, spans, frames, labels)


def char_at(frame: np.ndarray, index: int, labels: tuple[str, ...]) -> Char:
    ranked = np.argsort(frame)[::-1]
    second = next((i for i in ranked if i not in (0, index)), None)
    return Char(labels[index], float(frame[index]), None if second is None else labels[second],
                 0.0 if second is None else float(frame[second]))


def best_of(row: Row, frames: slice, wanted: frozenset[str]) -> Char | None:
    """The likeliest character of `wanted` over some frames, where only those can stand.

    Its confidence is its share of what the model gave to `wanted` there (at least
    WANTED_FLOOR of it: a model that saw hardly any such character is not trusted to
    have chosen well among them).
    """
    columns = [j for j, label in enumerate(row.labels) if label in wanted]
    window = row.frames[frames][:, columns]
    if window.size == 0:
        return None
    frame, column = np.unravel_index(window.argmax(), window.shape)
    share = float(window[frame, column]) / max(float(window[frame].sum()), WANTED_FLOOR)
    return Char(row.labels[columns[column]], share, None, 0.0)


def province_first(row: Row) -> Row:
    """A Chinese plate starts with its province: 川 read as `I`, or 云 left out, is read again as one.

    Applies only to what is surely a Chinese plate read without its province (a letter
    first, or a Han character in it).
    """
    chars = [c for c in row.chars if c.char in ALPHABET]
    spans = [s for c, s in zip(row.chars, row.spans, strict=True) if c.char in ALPHABET]
    if not chars or chars[0].char.isdigit():
        return row
    if chars[0].char in PROVINCES:
        province = best_of(row, slice(*spans[0]), PROVINCES)
        chars, spans = chars[1:], spans[1:]
    elif len(chars) in (7, 8) and chars[0].char in LETTERS and chars[1].char in LETTERS:
        province = best_of(row, slice(*spans[0]), PROVINCES)
        chars, spans = chars[1:], spans[1:]
    elif len(chars) in (6, 7) and (any(c.char in HAN for c in chars) or chars[0].char in LETTERS):
        province = best_of(row, slice(0, spans[0][0]), PROVINCES)
    else:
        return row
    if province is None:
        return row
    return Row([province, *chars], [(0, 0), *spans], row.frames, row.labels)


def suffix_last(row: Row) -> Row:
    """Only 挂 (or 学警港澳) ends a Chinese plate: a 桂 read there is read again as one of them."""
    last = max((i for i, c in enumerate(row.chars) if c.char in ALPHABET), default=None)
    if last is None or row.chars[last].char not in HAN or row.chars[last].char in SUFFIXES:
        return row
    suffix = best_of(row, slice(*row.spans[last]), SUFFIXES)
    if suffix is None:
        return row
    return Row([*row.chars[:last], suffix, *row.chars[last + 1:]], row.spans, row.frames, row.labels)


def shaped(rows: list[Row]) -> list[Row]:
    """Rows with plate characters in them, a Chinese plate's province and suffix chosen as such."""
    rows = [row for row in rows if any(c.char in ALPHABET for c in row.chars)]
    if rows:
        rows[0] = province_first(rows[0])
        if rows[0].chars[0].char in PROVINCES:
            rows[-1] = suffix_last(rows[-1])
    return rows
