"""ISO 3166 countries, ISO 4217 currencies and phone numbers, from well-kept packages."""

from __future__ import annotations

import functools

import phonenumbers
import pycountry


@functools.cache
def countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@functools.cache
def currencies() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


def phone_ok(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(text, None))
    except phonenumbers.NumberParseException:
        return False
