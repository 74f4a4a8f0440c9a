"""Drivers' phone numbers, international (+84912345678) or national (0912345678) when the
driver's nationality says which country's plan to read it in; checked with phonenumbers."""

from __future__ import annotations

import phonenumbers

from borderflow.domain.errors import IdentifierError
from borderflow.domain.messages import say


def parse_phone(text: str, country: str | None = None) -> str:
    """The number in E.164 (`+84912345678`); a national number needs the `country` (ISO alpha-2)."""
    region = country if country and country.upper() in phonenumbers.SUPPORTED_REGIONS else None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        message = say("phone.invalid.national", phone=text, country=region) if region else \
            say("phone.invalid", phone=text)
        raise IdentifierError("phone.invalid", message)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
