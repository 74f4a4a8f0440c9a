"""ISO 6346 container numbers and size/type codes."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.domain.errors import IdentifierError
from borderflow.domain.identifiers.containers import parse_container, parse_size_type

PROPERTY = settings(max_examples=200, deadline=None)


def check_digit(first_ten: str) -> int:
    """ISO 6346 as REFERENCE.md §2 states it, written independently of python-stdnum."""
    values, n = {}, 10
    for letter in string.ascii_uppercase:
        if n % 11 == 0:
            n += 1
        values[letter] = n
        n += 1
    total = sum((values[ch] if ch.isalpha() else int(ch)) * 2**i for i, ch in enumerate(first_ten))
    return total % 11 % 10


def refused(number: str) -> IdentifierError:
    with pytest.raises(IdentifierError) as info:
        parse_container(number)
    return info.value


def test_letter_values_skip_multiples_of_eleven():
    assert check_digit("CSQU305438") == 3  # the worked example: sum 6185, mod 11 = 3
    assert check_digit("ABCU123456") == 0  # remainder 10 folds to 0


@pytest.mark.parametrize("number", ["CSQU3054383", "ABCU1234560", "MSKU9070323"])
def test_known_good_numbers_are_accepted(number):
    assert parse_container(number) == number


@pytest.mark.parametrize("written", ["csqu3054383", "CSQU 305438 3", " CSQU 3054383 ", "Csqu 305 438 3"])
def test_lowercase_and_spaces_are_normalised(written):
    assert parse_container(written) == "CSQU3054383"


owners = st.text(string.ascii_uppercase, min_size=3, max_size=3)
categories = st.sampled_from("UJZ")
serials = st.text(string.digits, min_size=6, max_size=6)


@PROPERTY
@given(owners, categories, serials)
def test_owner_category_serial_and_computed_check_digit_is_valid(owner, category, serial):
    stem = f"{owner}{category}{serial}"
    number = f"{stem}{check_digit(stem)}"
    assert parse_container(number) == number
    assert parse_container(f"{stem.lower()} {check_digit(stem)}") == number


@PROPERTY
@given(owners, categories, serials, st.integers(1, 9))
def test_wrong_check_digit_is_refused_naming_the_expected_one(owner, category, serial, shift):
    stem = f"{owner}{category}{serial}"
    right = check_digit(stem)
    wrong = (right + shift) % 10
    err = refused(f"{stem}{wrong}")
    assert err.code == "container.check_digit"
    assert f"check digit is {wrong}; expected {right}" in err.msg
    assert f"{stem}{right}" in err.msg


def test_check_digit_message_on_the_worked_example():
    assert refused("CSQU3054384").msg == "check digit is 4; expected 3 (CSQU3054383)"


@pytest.mark.parametrize("category", ["R", "A", "X"])
def test_categories_other_than_u_j_z_are_refused(category):
    """python-stdnum also accepts R; ISO 6346 freight equipment here is U, J or Z only."""
    err = refused(f"CSQ{category}3054383")
    assert err.code == "container.category" and f"letter {category}" in err.msg


@pytest.mark.parametrize("number", ["", "CSQU305438", "CSQU30543833", "CS1U3054383", "CSQU30543A3",
                                    "CSQU-305438-3", "1234567890A"])
def test_malformed_numbers_are_refused_with_an_example(number):
    err = refused(number)
    assert err.code == "container.format" and "CSQU3054383" in err.msg


def test_missing_number_is_refused_not_crashed():
    assert refused(None).code == "container.format"  # type: ignore[arg-type]


def test_fullwidth_digits_are_normalised():
    assert parse_container("CSQU３０５４３８３") == "CSQU3054383"


@pytest.mark.parametrize("number", ["CSQU٣٠٥٤٣٨٣", "CSQU۳۰۵۴۳۸۳"])
def test_non_ascii_digits_are_an_identifier_error_not_a_crash(number):
    with pytest.raises(IdentifierError):
        parse_container(number)


# Non-ASCII digits are left out here: test_non_ascii_digits_are_an_identifier_error_not_a_crash.
any_text = st.text(st.characters(exclude_categories=("Nd", "Cs")) | st.sampled_from(string.digits + "UJZ"),
                   max_size=16)


@PROPERTY
@given(any_text)
def test_arbitrary_text_only_ever_raises_identifier_error(text):
    try:
        number = parse_container(text)
    except IdentifierError as exc:
        assert exc.code.startswith("container.")
    else:
        assert int(number[10]) == check_digit(number[:10])


@pytest.mark.parametrize(("code", "expected"), [("22G1", "22G1"), ("42G1", "42G1"), ("45G1", "45G1"),
                                                 ("45R1", "45R1"), ("l5g1", "L5G1"), (" 22g1 ", "22G1"),
                                                 ("22GA", "22GA")])
def test_size_type_codes(code, expected):
    assert parse_size_type(code) == expected


@pytest.mark.parametrize("code", ["", "22G", "22G11", "02G1", "2QG1", "22-1", None])
def test_bad_size_type_codes_are_refused(code):
    with pytest.raises(IdentifierError) as info:
        parse_size_type(code)
    assert info.value.code == "container.size_type" and "45R1" in info.value.msg
