"""Drivers' phones in national format, and a second active declaration of one truck said but not refused."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, strategies as st

from borderflow.domain.declaration import ContainerUnit
from borderflow.domain.errors import IdentifierError
from borderflow.domain.identifiers.phones import parse_phone
from borderflow.domain.validation import ActiveDeclaration, duplicate_warnings
from borderflow.i18n import render
from tests.unit.domain.test_validation import VALID


@pytest.mark.parametrize("text, country, e164", [
    ("0912345678", "VN", "+84912345678"), ("+84912345678", "CN", "+84912345678"),
    ("091 234 5678", "VN", "+84912345678"), ("13812345678", "CN", "+8613812345678"),
    ("+86 138 1234 5678", None, "+8613812345678"),
])
def test_a_phone_is_read_in_the_drivers_country(text, country, e164):
    assert parse_phone(text, country) == e164


def test_a_national_number_needs_the_country_and_says_so():
    with pytest.raises(IdentifierError) as err:
        parse_phone("0912345678", None)
    assert err.value.code == "phone.invalid" and "+84912345678" in err.value.msg
    with pytest.raises(IdentifierError) as err:
        parse_phone("12345", "VN")
    assert err.value.msg.code == "phone.invalid.national" and "0912345678" in err.value.msg


@given(st.text(max_size=40), st.sampled_from(["VN", "CN", "LA", None, "QQ"]))
def test_parsing_a_phone_either_answers_e164_or_refuses_with_a_code(text, country):
    try:
        number = parse_phone(text, country)
    except IdentifierError as exc:
        assert exc.code == "phone.invalid"
    else:
        assert number.startswith("+") and number[1:].isdigit()


def test_a_second_active_declaration_of_the_plate_is_a_warning_naming_the_first():
    first = ActiveDeclaration("KIM-7Q2M9XA", "declared", "24C 123.45")
    other = ActiveDeclaration("KIM-0000000", "declared", "29C-999.99")
    warnings = duplicate_warnings(VALID, [first, other])
    assert [w.code for w in warnings] == ["duplicate.plate"]
    assert warnings[0].loc == "vehicle.plate" and "KIM-7Q2M9XA" in warnings[0].msg
    assert "KIM-7Q2M9XA" in render(warnings[0].message, "vi") and "đã có tờ khai" in render(warnings[0].message, "vi")


def test_a_container_on_another_active_declaration_is_a_warning():
    decl = replace(VALID, containers=(ContainerUnit("CSQU3054383"),), vehicle=replace(VALID.vehicle, plate="24C-555.55"))
    warnings = duplicate_warnings(decl, [ActiveDeclaration("KIM-1111111", "in_transit", "29C-000.01",
                                                           ("csqu 305438 3",))])
    assert [(w.code, w.loc) for w in warnings] == [("duplicate.container", "containers[0].number")]
    assert "集装箱" in render(warnings[0].message, "zh")
