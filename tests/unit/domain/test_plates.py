"""Plates by country, and matching camera reads to declared plates despite OCR confusions."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from borderflow.domain.errors import IdentifierError
from borderflow.domain.identifiers import plates
from borderflow.domain.identifiers.plate_regions import CN_BORDER_CITIES, CN_PROVINCES, VN_PROVINCES
from borderflow.domain.identifiers.plates import (
    CONFUSABLE,
    VN_SERIES,
    VN_TWO_LETTER_SERIES,
    Plate,
    match_key,
    match_plate,
    ocr_distance,
    parse_plate,
)

PROPERTY = settings(max_examples=100, deadline=None)
CN_SERIAL = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
CN_OFFICE = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DIGITS = "0123456789"
PLATE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789Đ"


def refused(text: str, country: str, *, trailer: bool = False) -> IdentifierError:
    with pytest.raises(IdentifierError) as info:
        parse_plate(text, country, trailer=trailer)
    return info.value


# ------------------------------------------------------------------ reference tables


def test_border_provinces_have_their_plate_codes():
    assert VN_PROVINCES["11"] == "Cao Bằng"
    assert VN_PROVINCES["12"] == "Lạng Sơn"
    assert VN_PROVINCES["24"] == "Lào Cai"
    assert VN_PROVINCES["25"] == "Lai Châu"
    assert {VN_PROVINCES[c] for c in ("29", "30", "31", "32", "33", "40")} == {"Hà Nội"}


def test_pre_2025_codes_of_merged_provinces_stay_valid():
    assert parse_plate("23C-123.45", "VN").region == "Hà Giang"
    assert parse_plate("21C-123.45", "VN").region == "Yên Bái"


def test_chinese_table_has_the_31_mainland_divisions():
    assert len(CN_PROVINCES) == 31
    assert all(len(ch) == 1 for ch in CN_PROVINCES)
    assert CN_PROVINCES["桂"] == "Guangxi" and CN_PROVINCES["云"] == "Yunnan"


def test_border_city_prefixes_are_valid_plate_prefixes():
    for prefix in CN_BORDER_CITIES:
        assert parse_plate(f"{prefix}12345", "CN").region == CN_PROVINCES[prefix[0]]


# ------------------------------------------------------------------ Vietnam


@pytest.mark.parametrize(("text", "display", "compact", "kind", "region"), [
    ("24C-123.45", "24C-123.45", "24C12345", "vehicle", "Lào Cai"),
    ("24c 123 45", "24C-123.45", "24C12345", "vehicle", "Lào Cai"),
    ("24C12345", "24C-123.45", "24C12345", "vehicle", "Lào Cai"),
    ("12C-1234", "12C-1234", "12C1234", "vehicle", "Lạng Sơn"),  # pre-2010 four-digit serial
    ("29Đ-123.45", "29Đ-123.45", "29Đ12345", "vehicle", "Hà Nội"),
    ("29đ-123.45", "29Đ-123.45", "29Đ12345", "vehicle", "Hà Nội"),
    ("29LD-123.45", "29LD-123.45", "29LD12345", "special", "Hà Nội"),
    ("51NN-123.45", "51NN-123.45", "51NN12345", "special", "TP Hồ Chí Minh"),
])
def test_vietnamese_vehicle_plates(text, display, compact, kind, region):
    assert parse_plate(text, "VN") == Plate("VN", display, compact, kind, region)


def test_vietnamese_trailer_plate_carries_series_r():
    assert parse_plate("24R-012.34", "VN", trailer=True) == Plate("VN", "24R-012.34", "24R01234", "trailer",
                                                                   "Lào Cai")


def test_trailer_plate_where_the_tractor_plate_belongs_is_refused():
    err = refused("24R-012.34", "VN")
    assert err.code == "plate.trailer" and "trailer_plate" in err.msg


def test_tractor_plate_where_the_trailer_plate_belongs_is_refused():
    err = refused("24C-123.45", "VN", trailer=True)
    assert err.code == "plate.trailer" and "series R" in err.msg


def test_two_letter_trailer_series_is_not_issued():
    assert refused("24RM-012.34", "VN", trailer=True).code == "plate.series"


@pytest.mark.parametrize("code", ["00", "10", "13", "42", "80", "96"])
def test_unknown_vietnamese_province_code_is_refused_naming_it(code):
    err = refused(f"{code}C-123.45", "VN")
    assert err.code == "plate.province"
    assert err.msg.startswith(f"{code} is not a Vietnamese province")
    assert "24 (Lào Cai)" in err.msg  # says what is expected


@pytest.mark.parametrize("letter", list("IJOQW"))
def test_series_letters_never_issued_are_refused(letter):
    err = refused(f"24{letter}-123.45", "VN")
    assert err.code == "plate.series" and f"letter {letter}" in err.msg


def test_unknown_two_letter_series_is_refused_listing_the_issued_ones():
    err = refused("24CC-123.45", "VN")
    assert err.code == "plate.series"
    assert all(series in err.msg for series in VN_TWO_LETTER_SERIES)


@pytest.mark.parametrize("text", ["24C-123", "24C-123.456", "2C-123.45", "C24-123.45", "24-123.45", "24C-12A.45"])
def test_malformed_vietnamese_plates_are_refused_with_an_example(text):
    err = refused(text, "VN")
    assert err.code == "plate.format" and "24C-123.45" in err.msg


@pytest.mark.parametrize(("text", "country", "ascii_compact"), [
    ("24C-１２３.４５", "VN", "24C12345"),  # fullwidth digits, as a CJK input method types them
    ("24C-١٢٣.٤٥", "VN", "24C12345"),
    ("粤B１２３４５D", "CN", "粤B12345D"),
])
def test_non_ascii_digits_are_refused_or_normalised(text, country, ascii_compact):
    try:
        plate = parse_plate(text, country)
    except IdentifierError:
        return
    assert plate.compact == ascii_compact


@pytest.mark.parametrize("text", ["", "  ", " - . "])
def test_empty_plate_is_refused(text):
    assert refused(text, "VN").code == "plate.empty"


# ------------------------------------------------------------------ China


@pytest.mark.parametrize(("text", "kind", "region"), [
    ("桂F12345", "vehicle", "Guangxi"),
    ("云G·A1234", "vehicle", "Yunnan"),
    ("云g a1234", "vehicle", "Yunnan"),
    ("粤BD12345", "new_energy", "Guangdong"),
    ("粤BFA1234", "new_energy", "Guangdong"),
    ("粤B12345D", "new_energy", "Guangdong"),
    ("粤B12345F", "new_energy", "Guangdong"),
    ("粤B1234学", "special", "Guangdong"),
    ("粤Z1234港", "special", "Guangdong"),
])
def test_chinese_plates(text, kind, region):
    plate = parse_plate(text, "CN")
    assert (plate.country, plate.kind, plate.region) == ("CN", kind, region)
    assert plate.display == plate.compact == text.replace("·", "").replace(" ", "").upper()


def test_chinese_trailer_ends_in_gua():
    assert parse_plate("桂F1234挂", "CN", trailer=True) == Plate("CN", "桂F1234挂", "桂F1234挂", "trailer", "Guangxi")


def test_chinese_trailer_plate_where_the_tractor_plate_belongs_is_refused():
    assert refused("桂F1234挂", "CN").code == "plate.trailer"


@pytest.mark.parametrize("text", ["桂F12345", "桂F123挂", "桂F12O4挂"])
def test_non_trailer_chinese_plate_as_trailer_is_refused(text):
    assert refused(text, "CN", trailer=True).code == "plate.trailer"


@pytest.mark.parametrize("text", ["港F12345", "AF12345", "24C12345", "台A12345"])
def test_unknown_chinese_province_character_is_refused(text):
    err = refused(text, "CN")
    assert err.code == "plate.province" and "province character" in err.msg and "桂" in err.msg


@pytest.mark.parametrize("text", ["桂I12345", "桂O12345", "桂112345", "桂"])
def test_chinese_issuing_office_must_be_a_letter_other_than_i_or_o(text):
    assert refused(text, "CN").code == "plate.format"


@pytest.mark.parametrize("text", ["桂F1234O", "桂FI2345", "桂F12I45"])
def test_chinese_serial_with_i_or_o_is_refused_suggesting_digits(text):
    err = refused(text, "CN")
    assert err.code == "plate.letters" and "1 and 0" in err.msg


@pytest.mark.parametrize("text", ["桂F123456", "桂FA12345", "桂F1234", "桂F1234567"])
def test_wrong_length_or_non_new_energy_six_char_serial_is_refused(text):
    assert refused(text, "CN").code == "plate.format"


# ------------------------------------------------------------------ other countries


def test_other_countries_get_a_generic_alphanumeric_check():
    assert parse_plate("LA-1234", "LA") == Plate("LA", "LA1234", "LA1234", "vehicle", None)
    assert parse_plate("LA-1234", "LA", trailer=True).kind == "trailer"
    assert refused("X", "LA").code == "plate.format"
    assert refused("AB#12", "LA").code == "plate.format"


# ------------------------------------------------------------------ round trips


@st.composite
def vn_plates(draw) -> tuple[str, str, str]:
    province = draw(st.sampled_from(sorted(VN_PROVINCES)))
    series = draw(st.sampled_from(list(VN_SERIES) + sorted(VN_TWO_LETTER_SERIES)))
    serial = draw(st.text(DIGITS, min_size=4, max_size=5))
    return province, series, serial


@st.composite
def cn_plates(draw) -> str:
    province = draw(st.sampled_from(sorted(CN_PROVINCES)))
    office = draw(st.sampled_from(CN_OFFICE))
    serial = draw(st.text(CN_SERIAL, min_size=5, max_size=5))
    return f"{province}{office}{serial}"


@PROPERTY
@given(vn_plates())
def test_formatted_vietnamese_plate_parses_back_to_itself(parts):
    province, series, serial = parts
    tail = f"{serial[:3]}.{serial[3:]}" if len(serial) == 5 else serial
    text = f"{province}{series}-{tail}"
    plate = parse_plate(text, "VN")
    assert plate.display == text
    assert plate.compact == f"{province}{series}{serial}"
    assert plate.region == VN_PROVINCES[province]
    assert parse_plate(plate.display, "VN") == plate
    assert parse_plate(plate.compact, "VN") == plate
    assert parse_plate(text.lower(), "VN") == plate


@PROPERTY
@given(st.sampled_from(sorted(VN_PROVINCES)), st.text(DIGITS, min_size=5, max_size=5))
def test_vietnamese_trailer_plate_round_trips(province, serial):
    text = f"{province}R-{serial[:3]}.{serial[3:]}"
    plate = parse_plate(text, "VN", trailer=True)
    assert (plate.display, plate.kind) == (text, "trailer")
    assert parse_plate(plate.compact, "VN", trailer=True) == plate


@PROPERTY
@given(cn_plates(), st.sampled_from(["", "·", " ", "-"]))
def test_formatted_chinese_plate_parses_back_to_itself(text, separator):
    plate = parse_plate(f"{text[:2]}{separator}{text[2:]}", "CN")
    assert (plate.display, plate.kind) == (text, "vehicle")
    assert parse_plate(plate.display, "CN") == plate


@PROPERTY
@given(cn_plates())
def test_chinese_trailer_plate_round_trips(text):
    trailer = text[:6] + "挂"
    assert parse_plate(trailer, "CN", trailer=True).display == trailer


@PROPERTY
@given(st.text(max_size=14), st.sampled_from(["VN", "CN", "LA"]), st.booleans())
def test_parsing_arbitrary_text_only_ever_raises_identifier_error(text, country, trailer):
    try:
        plate = parse_plate(text, country, trailer=trailer)
    except IdentifierError as exc:
        assert exc.code.startswith("plate.") and exc.msg
    else:
        assert parse_plate(plate.display, country, trailer=trailer) == plate


# ------------------------------------------------------------------ match_key and ocr_distance


def test_match_key_folds_confusables_to_one_representative():
    assert match_key("24C-123.45") == match_key("24C-I23.4S") == match_key("24c 123 45")
    assert match_key("0ODQ 1IL 2Z 5S 8B 6G") == "000011122558866"
    assert match_key("29Đ-123.45") == match_key("29D12345") == "29012345"


def test_match_key_keeps_different_plates_apart():
    assert match_key("24C-123.45") != match_key("24C-123.46")
    assert match_key("24C-123.45") != match_key("25C-123.45")


SEPARATORS = ["", " ", "-", ".", "·", "•", "_"]


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(PLATE_CHARS), st.booleans(), st.sampled_from(SEPARATORS)),
                min_size=1, max_size=10))
def test_match_key_ignores_spaces_dots_dashes_and_case(spelling):
    text = "".join(ch for ch, _, _ in spelling)
    noisy = "".join((ch.lower() if lower else ch) + sep for ch, lower, sep in spelling)
    assert match_key(noisy) == match_key(text)
    assert ocr_distance(noisy, text) == 0


@PROPERTY
@given(st.lists(st.tuples(st.sampled_from(PLATE_CHARS), st.integers(0, 3)), min_size=1, max_size=10))
def test_strong_confusions_share_a_key_and_cost_a_quarter_each(spelling):
    """Each character may be swapped for another member of its confusion class."""
    text, swapped, changes = "", "", 0
    for ch, pick in spelling:
        cls = next((c for c in CONFUSABLE if ch in c), ch)
        other = cls[pick % len(cls)]
        text, swapped, changes = text + ch, swapped + other, changes + (other != ch)
    assert match_key(swapped) == match_key(text)
    assert ocr_distance(swapped, text) == 0.25 * changes


@PROPERTY
@given(st.text(PLATE_CHARS, max_size=10))
def test_ocr_distance_to_itself_is_zero(text):
    assert ocr_distance(text, text) == 0


@PROPERTY
@given(st.text(PLATE_CHARS, max_size=9), st.text(PLATE_CHARS, max_size=9))
def test_ocr_distance_is_symmetric_and_bounded_by_plain_levenshtein(a, b):
    d = ocr_distance(a, b)
    assert d == ocr_distance(b, a)
    assert 0 <= d <= max(len(a), len(b))
    assert (d == 0) == (a.replace("Đ", "D") == b.replace("Đ", "D"))


@pytest.mark.parametrize(("read", "declared"), [
    ("0", "O"), ("0", "D"), ("0", "Q"), ("O", "D"), ("1", "I"), ("1", "L"), ("2", "Z"), ("5", "S"),
    ("8", "B"), ("6", "G"),
])
def test_strong_confusion_costs_a_quarter(read, declared):
    assert ocr_distance(read, declared) == 0.25


@pytest.mark.parametrize(("read", "declared"), [("P", "R"), ("P", "B"), ("C", "G"), ("A", "4"), ("K", "X"),
                                                ("3", "8"), ("6", "8")])
def test_weaker_confusion_costs_a_half(read, declared):
    assert ocr_distance(read, declared) == 0.5


@pytest.mark.parametrize(("read", "declared", "distance"), [
    ("24C-123.45", "24C-123.46", 1.0),  # an ordinary substitution
    ("24C-123.45", "24C-123.4", 1.0),  # a dropped character
    ("24C-123.45", "24C-1234.5", 0.0),  # only separators differ
    ("24C-I23.4S", "24C-123.45", 0.5),  # two strong confusions
    ("24C-123.45", "42C-123.45", 2.0),  # a transposition is two edits
])
def test_ocr_distance_on_plates(read, declared, distance):
    assert ocr_distance(read, declared) == distance


# ------------------------------------------------------------------ match_plate

DECLARED = ["24C-123.45", "24C-555.55", "12C-678.90", "桂F12345"]


def test_exact_read_matches_however_it_was_typed():
    result = match_plate("24c 12345", DECLARED)
    assert (result.status, result.matches, result.distance) == ("exact", ("24C-123.45",), 0.0)


def test_same_plate_declared_in_two_spellings_is_still_exact():
    result = match_plate("24C12345", ["24C-123.45", "24C12345", "24C-123.45"])
    assert result.status == "exact" and set(result.matches) == {"24C-123.45", "24C12345"}


def test_unique_close_candidate_is_a_fuzzy_match():
    result = match_plate("24C-I23.4S", DECLARED)
    assert (result.status, result.matches, result.distance) == ("fuzzy", ("24C-123.45",), 0.5)


def test_chinese_read_with_o_for_zero_matches():
    assert match_plate("桂F1O345", ["桂F10345", "云G10345"]).matches == ("桂F10345",)


def test_two_equally_close_candidates_are_ambiguous():
    result = match_plate("24C-123.47", ["24C-123.45", "24C-123.46", "12C-678.90"])
    assert result.status == "ambiguous"
    assert set(result.matches) == {"24C-123.45", "24C-123.46"} and result.distance == 1.0


def test_equally_confusable_candidates_are_ambiguous():
    assert match_plate("24C-123.4O", ["24C-123.40", "24C-123.4D"]).status == "ambiguous"


def test_nothing_close_is_no_match():
    result = match_plate("29A-999.99", DECLARED)
    assert (result.status, result.matches) == ("none", ())
    assert result.distance > 1.0


def test_no_candidates_is_no_match():
    assert match_plate("24C-123.45", []).status == "none"


def test_max_distance_bounds_the_match():
    assert match_plate("24C-123.47", ["24C-123.45"]).status == "fuzzy"
    assert match_plate("24C-123.47", ["24C-123.45"], max_distance=0.5).status == "none"
    assert match_plate("24C-123.4", ["24C-123.45"], max_distance=1.0).status == "fuzzy"
    assert match_plate("24C-123", ["24C-123.45"]).status == "none"
    assert match_plate("24C-123", ["24C-123.45"], max_distance=2.0).status == "fuzzy"


def test_wide_limit_counts_insertions_and_deletions_between_same_length_plates():
    """A read shifted by one character is two edits away however many positions differ."""
    result = match_plate("24C12345", ["4C123452", "29C-555.55"], max_distance=2.0)
    assert (result.status, result.matches, result.distance) == ("fuzzy", ("4C123452",), 2.0)


def test_closer_candidate_beats_a_further_one():
    result = match_plate("24C-123.4S", ["24C-123.45", "24C-123.46"])
    assert (result.status, result.matches) == ("fuzzy", ("24C-123.45",))


plate_text = st.text("24C1356ISOD0B8", min_size=5, max_size=8)


@PROPERTY
@given(plate_text, st.lists(plate_text, max_size=6), st.sampled_from([0.25, 0.5, 1.0, 1.5, 2.0]))
def test_match_plate_agrees_with_a_brute_force_ocr_distance_search(read, candidates, limit):
    result = match_plate(read, candidates, max_distance=limit)
    distances = {c: ocr_distance(read, c) for c in candidates}
    best = min(distances.values(), default=None)
    if best is None or best > limit:
        assert (result.status, result.matches) == ("none", ())
        return
    winners = {c for c, d in distances.items() if d == best}
    assert set(result.matches) == winners and result.distance == best
    expected = "exact" if best == 0 else ("fuzzy" if len(winners) == 1 else "ambiguous")
    assert result.status == expected


@PROPERTY
@given(vn_plates(), st.lists(vn_plates(), max_size=5), st.integers(0, 99), st.integers(1, 3))
def test_declared_plate_is_found_from_a_one_confusion_misread(declared_parts, others_parts, where, pick):
    def text(parts):
        province, series, serial = parts
        return f"{province}{series}-{serial}"

    declared, others = text(declared_parts), [text(p) for p in others_parts]
    positions = [i for i, ch in enumerate(declared) if any(ch in cls for cls in CONFUSABLE)]
    assume(positions)
    i = positions[where % len(positions)]
    cls = next(c for c in CONFUSABLE if declared[i] in c)
    misread = declared[:i] + cls[(cls.index(declared[i]) + pick) % len(cls)] + declared[i + 1:]
    assume(misread != declared and all(ocr_distance(misread, o) > 0 for o in others))
    result = match_plate(misread, [*others, declared])
    assert declared in result.matches and result.distance == 0.25
    assert result.status == ("fuzzy" if len(result.matches) == 1 else "ambiguous")


# The prefilter over many candidates (rapidfuzz on folded keys) never changes the answer ------

PLATE_CHARS = "0123456789ABCDEFGHKLMNPSTUVXYZIOQ"
plate_text = st.text(alphabet=PLATE_CHARS, min_size=6, max_size=9)


@settings(max_examples=200, deadline=None)
@given(read=plate_text, declared=st.lists(plate_text, min_size=40, max_size=120),
       near=st.lists(st.tuples(st.integers(0, 8), st.sampled_from(PLATE_CHARS)), max_size=3))
def test_the_prefilter_finds_what_a_full_scan_finds(read, declared, near):
    misread = list(declared[0])
    for position, char in near:  # a few substitutions away from a declared plate
        misread[position % len(misread)] = char
    candidates = [*declared, "".join(misread), read if len(declared) % 2 else declared[-1]]
    filtered = plates.match_plate(read, candidates)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(plates, "PREFILTER_FROM", 10**9)
        full = plates.match_plate(read, candidates)
    assert (filtered.status, sorted(filtered.matches)) == (full.status, sorted(full.matches))
    if full.status == "none":  # how far the nearest is, is only known to be beyond the limit
        assert filtered.distance > 1.0 and full.distance > 1.0
    else:
        assert filtered.distance == full.distance


# ------------------------------------------------------------------ finding a read's plates by an index

READ_CHARS = "".join(sorted(set(PLATE_CHARS + "".join(plates.CONFUSABLE + plates.WEAKER) + "-.桂挂")))


@st.composite
def read_of(draw, plate: str):
    """A read of `plate` as a camera might make it: a few characters swapped for confusable, weaker
    or any other ones, a character lost or added (or, as often, only weaker and confusable swaps,
    the reads that stay within reach with two edits)."""
    chars = list(plate)
    kinds = draw(st.sampled_from([["confusable", "weaker", "other", "lose", "add"], ["confusable", "weaker"]]))
    for _ in range(draw(st.integers(0, 4))):
        how = draw(st.sampled_from(kinds))
        i = draw(st.integers(0, max(0, len(chars) - 1)))
        if how == "confusable" and chars:
            cls = next((c for c in plates.CONFUSABLE if chars[i] in c), None)
            if cls:
                chars[i] = draw(st.sampled_from(cls))
        elif how == "weaker" and chars:
            pair = next((p for p in plates.WEAKER if chars[i] in p), None)
            if pair:
                chars[i] = draw(st.sampled_from(pair))
        elif how == "other" and chars:
            chars[i] = draw(st.sampled_from(READ_CHARS))
        elif how == "lose" and len(chars) > 1:
            del chars[i]
        elif how == "add":
            chars.insert(i, draw(st.sampled_from(READ_CHARS)))
    return "".join(chars)


@st.composite
def plate_and_read(draw):
    vn = vn_plates().map(lambda p: f"{p[0]}{p[1]}-{p[2][:3]}.{p[2][3:]}" if len(p[2]) == 5 else "".join(p))
    weak = "".join(sorted(set("".join(plates.WEAKER))))
    plate = draw(st.one_of(vn, cn_plates(), st.text(READ_CHARS, min_size=4, max_size=10),
                           st.text(weak, min_size=4, max_size=10)))
    return plate, draw(read_of(plate))


@settings(max_examples=600, deadline=None)
@given(plate_and_read())
def test_every_plate_within_reach_of_a_read_is_found_by_its_probe_keys(case):
    plate, read = case
    assume(plates.match_key(read))
    reachable = plates.ocr_distance(read, plate) <= 1.0
    found = bool(plates.key_variants(plates.match_key(plate)) & plates.probe_keys(read))
    assert found or not reachable, (plate, read, plates.ocr_distance(read, plate))


def test_probe_keys_refuse_a_reach_they_do_not_cover():
    with pytest.raises(ValueError, match="1.0"):
        plates.probe_keys("24C-123.45", max_distance=1.5)
