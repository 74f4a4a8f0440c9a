"""What the plate reader makes of the model's lines: normalised, joined top to bottom, put back in shape."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from borderflow.devices.ocr.text import ALPHABET, conform, country_of, join_lines, normalise
from borderflow.domain.identifiers.plate_regions import CN_PROVINCES, VN_PROVINCES
from borderflow.domain.identifiers.plates import CN_SERIAL, compact, match_plate

digits = st.text("0123456789", min_size=1, max_size=1)
vn_plates = st.builds(lambda p, s, d: f"{p}{s}{d}", st.sampled_from(sorted(VN_PROVINCES)),
                      st.sampled_from("CDEFGHKLMNPSTUVXYZR"), st.text("0123456789", min_size=5, max_size=5))
cn_offices = st.sampled_from([ch for ch in CN_SERIAL if ch.isalpha()])
cn_plates = st.one_of(
    st.builds(lambda p, o, s: p + o + s, st.sampled_from(sorted(CN_PROVINCES)), cn_offices,
              st.text(CN_SERIAL, min_size=5, max_size=5)),
    st.builds(lambda p, o, s: p + o + s + "挂", st.sampled_from(sorted(CN_PROVINCES)), cn_offices,
              st.text("0123456789", min_size=4, max_size=4)),
    st.builds(lambda p, o, s, e: p + o + s + e, st.sampled_from(sorted(CN_PROVINCES)), cn_offices,
              st.text("0123456789", min_size=5, max_size=5), st.sampled_from("DF")),
)
# What a recogniser puts around and between the characters.
noise = st.text(" -.·•_", max_size=2)


def as_printed(plate: str, cut: int, marks: list[str]) -> list[str]:
    """The plate split into two lines at `cut`, with separators scattered in each."""
    top, bottom = plate[:cut], plate[cut:]
    return [marks[0] + top + marks[1], marks[2] + bottom[:3] + marks[3] + bottom[3:]]


@given(st.text())
def test_normalised_text_has_only_plate_characters_and_is_stable(raw):
    text = normalise(raw)
    assert set(text) <= ALPHABET
    assert normalise(text) == text


@given(st.lists(st.text(), max_size=4))
def test_lines_are_joined_top_to_bottom(lines):
    assert join_lines(lines) == "".join(normalise(line) for line in lines)


@given(st.one_of(vn_plates, cn_plates), st.integers(1, 4), st.lists(noise, min_size=4, max_size=4))
def test_a_two_line_plate_joins_to_the_declared_plate(plate, cut, marks):
    joined = join_lines(as_printed(plate, cut, marks))
    assert joined == compact(plate)
    assert conform(joined) == joined  # a well-read plate is left exactly as it is
    assert match_plate(joined, [plate]).status == "exact"


@given(vn_plates)
def test_a_vietnamese_plate_is_recognised_as_one(plate):
    assert country_of(plate) == "VN"


@given(cn_plates)
def test_a_chinese_plate_is_recognised_as_one(plate):
    assert country_of(plate) == "CN"


@given(vn_plates, st.data())
def test_letters_misread_in_digit_positions_are_put_back(plate, data):
    misread = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"}
    positions = [i for i, ch in enumerate(plate) if ch in misread and i != 2]
    chosen = data.draw(st.sets(st.sampled_from(positions))) if positions else set()
    read = "".join(misread[ch] if i in chosen else ch for i, ch in enumerate(plate))
    assert conform(normalise(read)) == plate


@given(cn_plates)
def test_chinese_serials_lose_i_and_o(plate):
    read = plate[:2] + plate[2:].replace("0", "O").replace("1", "I")
    assert conform(read) == plate


def test_a_vietnamese_two_line_truck_plate():
    assert join_lines(["29C", "123.45"]) == "29C12345"
    assert join_lines(["24R", "012.34"]) == "24R01234"
    assert country_of("24R01234") == "VN"


def test_a_chinese_trailer_and_a_new_energy_plate():
    assert join_lines(["桂F·1234挂"]) == "桂F1234挂"
    assert join_lines(["桂F", "12345D"]) == "桂F12345D"
    assert country_of("桂F1234挂") == country_of("粤BD12345") == "CN"


def test_what_no_plate_could_be_is_not_called_one():
    assert country_of("12345") is None
    assert country_of("桂FI2345") is None
    assert country_of("") is None
