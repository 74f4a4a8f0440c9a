"""HS codes: shape by country and existence of the 6-digit stem in HS 2022."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.domain.errors import IdentifierError
from borderflow.domain.identifiers.hscodes import HsCode, parse_hs_code
from borderflow.reference.hscodes import describe, hs2022_subheadings

PROPERTY = settings(max_examples=200, deadline=None)
KNOWN = frozenset({"081060", "081090", "080390", "071410", "030617", "400122"})


def refused(text: str, known=KNOWN) -> IdentifierError:
    with pytest.raises(IdentifierError) as info:
        parse_hs_code(text, known)
    return info.value


@pytest.mark.parametrize(("text", "code", "display"), [
    ("081060", "081060", "0810.60"),  # international
    ("0810.60", "081060", "0810.60"),
    ("0810.60.00", "08106000", "0810.60.00"),  # Vietnam, AHTN
    ("0810 90 92", "08109092", "0810.90.92"),
    ("0810600000", "0810600000", "0810.60.0000"),  # China, 10 digits
    ("0810-60-0000-101", "0810600000101", "0810.60.0000101"),  # China with CIQ digits
])
def test_codes_with_a_known_stem_are_accepted(text, code, display):
    hs = parse_hs_code(text, KNOWN)
    assert hs.code == code and hs.display == display
    assert (hs.subheading, hs.heading, hs.chapter) == (code[:6], code[:4], code[:2])


def test_stem_comes_from_the_injected_catalogue():
    assert parse_hs_code("08106000", ["081060"]) == HsCode("08106000", "081060", "0810", "08")
    assert refused("08106000", known=["081090"]).code == "hs.unknown"


@pytest.mark.parametrize("text", ["08109900", "0810990000", "999999", "000000"])
def test_national_code_with_an_unknown_stem_is_refused_naming_the_stem(text):
    err = refused(text)
    assert err.code == "hs.unknown"
    assert f"subheading {text[:6]} is not in HS 2022" in err.msg and "081060" in err.msg


@pytest.mark.parametrize("text", ["", "0810", "08106", "0810600", "081060000", "08106000000", "081060000000",
                                  "08106000001010", "0810.6O", "durian", "0810,60", "0810/60", "+081060", "-81060",
                                  "081060.00a"])
def test_malformed_codes_are_refused_saying_what_is_expected(text):
    err = refused(text)
    assert err.code == "hs.format"
    assert "expected 6 digits" in err.msg and "0810.60.00" in err.msg


def test_missing_code_is_refused_not_crashed():
    assert refused(None).code == "hs.format"  # type: ignore[arg-type]


@PROPERTY
@given(st.text(max_size=16))
def test_arbitrary_text_only_ever_raises_the_documented_error(text):
    try:
        hs = parse_hs_code(text, KNOWN)
    except IdentifierError as exc:
        assert exc.code in {"hs.format", "hs.unknown"} and exc.msg
    else:
        assert hs.subheading in KNOWN and len(hs.code) in (6, 8, 10, 13)


@PROPERTY
@given(st.sampled_from(sorted(KNOWN)), st.sampled_from(["", "00", "0000", "0000000"]),
       st.sampled_from(["", ".", " ", "-"]))
def test_display_form_parses_back_to_the_same_code(stem, national, separator):
    text = separator.join([stem[:4], stem[4:], national]) if national else separator.join([stem[:4], stem[4:]])
    hs = parse_hs_code(text, KNOWN)
    assert hs.code == stem + national
    assert parse_hs_code(hs.display, KNOWN) == hs


# ------------------------------------------------------------------ the shipped HS 2022 catalogue


@pytest.mark.parametrize(("code", "words"), [
    ("0810.60.00", "durians"),
    ("0810.90.92", "fruits n.e.c."),  # dragon fruit, longan, lychee
    ("0803.90", "bananas"),
    ("0714.10", "cassava"),
    ("4001.22", "natural rubber"),
    ("0306.17", "shrimps"),
    ("8806.10", "Unmanned aircraft"),  # new in HS 2022
    ("2404.11", "inhalation without combustion"),  # new in HS 2022
])
def test_border_goods_exist_in_the_shipped_catalogue(code, words):
    hs = parse_hs_code(code, hs2022_subheadings())
    assert words in describe(hs.code)


def test_shipped_catalogue_holds_only_six_digit_codes():
    subheadings = hs2022_subheadings()
    assert len(subheadings) > 5_000
    assert all(len(code) == 6 and code.isdigit() for code in subheadings)
    assert "0810" not in subheadings


def test_unknown_stem_is_refused_against_the_shipped_catalogue():
    assert refused("0810.99.00", known=hs2022_subheadings()).code == "hs.unknown"
    assert describe("081099") is None


def test_comtrade_total_row_is_not_an_hs2022_subheading():
    assert "999999" not in hs2022_subheadings()
