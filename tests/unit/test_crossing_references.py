"""A crossing's reference: read off a phone and typed at a counter, so only Crockford's symbols, and
each as likely as the others (a reference is also hard to guess)."""

from __future__ import annotations

import re
from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from borderflow.services.crossings import REFERENCE_ALPHABET, new_reference


@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=12))
def test_a_reference_is_the_gates_prefix_and_seven_crockford_symbols(gate):  # noqa: ANN001
    reference = new_reference(gate)
    assert re.fullmatch(rf"{gate[:3]}-[{REFERENCE_ALPHABET}]{{7}}", reference), reference
    assert not set(reference[4:]) & set("ILOU")


def test_every_symbol_comes_about_as_often():
    seen = Counter(symbol for _ in range(4000) for symbol in new_reference("HUUNGHI")[4:])
    assert set(seen) == set(REFERENCE_ALPHABET)
    expected = 4000 * 7 / 32  # 875 each; a symbol never or twice as often would be far outside
    assert all(0.8 * expected < n < 1.2 * expected for n in seen.values()), seen
