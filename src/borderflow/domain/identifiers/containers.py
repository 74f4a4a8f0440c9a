"""ISO 6346 container numbers and size/type codes, checked with python-stdnum."""

from __future__ import annotations

import re
import unicodedata

from stdnum import iso6346
from stdnum.exceptions import InvalidChecksum, ValidationError

from borderflow.domain.errors import IdentifierError

SHAPE = re.compile(r"^[A-Z]{3}[A-Z][0-9]{7}$")
CATEGORIES = "UJZ"  # freight container, detachable equipment, trailer/chassis
SIZE_TYPE = re.compile(r"^[1-9ABCDEFGHKLMNP][0-9ABCDEFLMNP][A-Z][0-9A-Z]$")
EXAMPLE = "e.g. CSQU3054383"


def parse_container(number: str) -> str:
    code = iso6346.compact(unicodedata.normalize("NFKC", number or ""))
    if not SHAPE.match(code):
        raise IdentifierError("container.format", f"{number!r} is not an ISO 6346 container number; expected a "
                                                  f"3-letter owner code, category U/J/Z, 6 digits and a check "
                                                  f"digit, {EXAMPLE}")
    if code[3] not in CATEGORIES:
        raise IdentifierError("container.category", f"category letter {code[3]} in {code}; expected U (freight "
                                                    "container), J (detachable equipment) or Z (trailer/chassis)")
    try:
        return iso6346.validate(code)
    except InvalidChecksum:
        expected = iso6346.calc_check_digit(code[:10])
        raise IdentifierError("container.check_digit", f"check digit is {code[10]}; expected {expected} "
                                                       f"({code[:10]}{expected})") from None
    except ValidationError as exc:  # pragma: no cover - shape is checked above
        raise IdentifierError("container.format", f"{number!r}: {exc}; {EXAMPLE}") from None


def parse_size_type(code: str) -> str:
    value = (code or "").strip().upper()
    if not SIZE_TYPE.match(value):
        raise IdentifierError("container.size_type", f"{code!r} is not an ISO 6346 size/type code; expected 4 "
                                                     "characters: length, height, type group and detail, e.g. "
                                                     "22G1, 42G1, 45G1, 45R1")
    return value
