"""ISO 6346 container numbers and size/type codes, checked with python-stdnum."""

from __future__ import annotations

import re
import unicodedata

from stdnum import iso6346
from stdnum.exceptions import InvalidChecksum, ValidationError

from borderflow.domain.errors import IdentifierError
from borderflow.domain.messages import say

SHAPE = re.compile(r"^[A-Z]{3}[A-Z][0-9]{7}$")
CATEGORIES = "UJZ"  # freight container, detachable equipment, trailer/chassis
SIZE_TYPE = re.compile(r"^[1-9ABCDEFGHKLMNP][0-9ABCDEFLMNP][A-Z][0-9A-Z]$")


def parse_container(number: str) -> str:
    code = iso6346.compact(unicodedata.normalize("NFKC", number or ""))
    if not SHAPE.match(code):
        raise IdentifierError("container.format", say("container.format", number=number))
    if code[3] not in CATEGORIES:
        raise IdentifierError("container.category", say("container.category", letter=code[3], number=code))
    try:
        return iso6346.validate(code)
    except InvalidChecksum:
        expected = iso6346.calc_check_digit(code[:10])
        raise IdentifierError("container.check_digit", say("container.check_digit", given=code[10], expected=expected,
                                                           corrected=f"{code[:10]}{expected}")) from None
    except ValidationError as exc:  # pragma: no cover - shape is checked above
        raise IdentifierError("container.format", say("container.format", number=number)) from exc


def parse_size_type(code: str) -> str:
    value = (code or "").strip().upper()
    if not SIZE_TYPE.match(value):
        raise IdentifierError("container.size_type", say("container.size_type", code=code))
    return value
