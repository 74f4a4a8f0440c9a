"""The fast canonical JSON writes exactly what the reference RFC 8785 implementation writes, or fails as it does."""

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.domain import canonical

# Every code point, lone surrogates included; keys ASCII or not, so both paths are taken.
TEXT = st.text(alphabet=st.characters(blacklist_categories=()), max_size=12)
SCALARS = (st.none() | st.booleans() | st.integers(min_value=-(2**60), max_value=2**60)
           | st.floats(allow_nan=True, allow_infinity=True) | TEXT)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                    | st.dictionaries(TEXT | st.text(max_size=6), inner, max_size=5), max_leaves=30)


def reference(document):
    try:
        return rfc8785.dumps(document)
    except rfc8785.CanonicalizationError:
        return "refused"
    except UnicodeEncodeError:  # a lone surrogate in a key: refused here as a CanonicalizationError
        return "refused"


def ours(document):
    try:
        return canonical.dumps(document)
    except canonical.CanonicalizationError:
        return "refused"


@settings(max_examples=600)
@given(JSON)
def test_the_same_bytes_or_the_same_refusal(document):
    assert ours(document) == reference(document)


def test_what_the_standard_encoder_would_write_differently_goes_to_the_reference():
    # Python writes 1.0, 1e+21 and the key order of code points; JCS writes 1, 1e+21, and UTF-16 order.
    assert canonical.dumps({"a": 1.0, "b": 1e21}) == b'{"a":1,"b":1e+21}'
    assert canonical.dumps({"\U0001f600": 1, "\ufb01": 2}) == rfc8785.dumps({"\U0001f600": 1, "\ufb01": 2})
    assert canonical.dumps({"n": 2**53 - 1}) == b'{"n":9007199254740991}'


def test_what_has_no_canonical_form_is_refused():
    for bad in ({"n": 2**53}, {"x": float("nan")}, {"s": "\ud800"}, {"\udfff": 1}, [float("inf")]):
        assert ours(bad) == "refused", bad
