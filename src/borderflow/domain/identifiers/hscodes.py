"""HS codes: 6 digits internationally, 8 in Vietnam (AHTN), 10 in China (13 with CIQ digits).

A national code is accepted when its 6-digit stem is an HS 2022 subheading; the
catalogue is injected so this module stays free of I/O.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass

from borderflow.domain.errors import IdentifierError
from borderflow.domain.messages import say

SEPARATORS = re.compile(r"[\s.\-]")
LENGTHS = (6, 8, 10, 13)


@dataclass(frozen=True, slots=True)
class HsCode:
    code: str
    subheading: str
    heading: str
    chapter: str

    @property
    def display(self) -> str:
        return f"{self.code[:4]}.{self.code[4:6]}" + (f".{self.code[6:]}" if len(self.code) > 6 else "")


def parse_hs_code(text: str, known_subheadings: Container[str]) -> HsCode:
    digits = SEPARATORS.sub("", text or "")
    if not digits.isdigit() or len(digits) not in LENGTHS:
        raise IdentifierError("hs.format", say("hs.format", text=text))
    stem = digits[:6]
    if stem not in known_subheadings:
        raise IdentifierError("hs.unknown", say("hs.unknown", stem=stem))
    return HsCode(digits, stem, digits[:4], digits[:2])
