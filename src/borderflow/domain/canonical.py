"""RFC 8785 (JCS) canonical JSON, written by the standard library's C encoder where the two agree.

Every signed envelope, receipt and audit leaf is hashed in this form, several times a
message. For a document of texts, safe integers, booleans, nulls, lists and objects
with ASCII keys, JCS and `json` with sorted keys, no whitespace and no ASCII escaping
write the same bytes (the same seven short escapes, `\\u00xx` for the other control
characters, the same key order); the `rfc8785` package, written in Python and several
times slower, is asked only for the rest: numbers with a fraction, non-ASCII keys
(JCS orders them by UTF-16 code units) and the documents it refuses, so the errors are
its own.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

CanonicalizationError = rfc8785.CanonicalizationError

_SAFE_LOW, _SAFE_HIGH = -(2**53) + 1, 2**53 - 1  # integers a JSON reader's double holds exactly
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode


def dumps(document: Any) -> bytes:  # noqa: ANN401 - any JSON value
    """The canonical bytes of `document`; CanonicalizationError when it has none."""
    if _plain(document):
        try:
            return _encode(document).encode()
        except UnicodeEncodeError:  # a lone surrogate: rfc8785 names the problem
            pass
    try:
        return rfc8785.dumps(document)
    except UnicodeEncodeError as exc:  # rfc8785 lets a lone surrogate in a key through as this
        raise CanonicalizationError(f"a key holds a code point UTF-16 cannot encode: {exc.reason}") from None


def _plain(value: Any) -> bool:  # noqa: ANN401
    """Whether the standard encoder writes `value` exactly as JCS does."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return _SAFE_LOW <= value <= _SAFE_HIGH
    if kind is dict:
        try:
            if not "".join(value).isascii():
                return False
        except TypeError:  # a key that is not a text
            return False
        return all(map(_plain, value.values()))
    if kind is list:
        return all(map(_plain, value))
    return False
