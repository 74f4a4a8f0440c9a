"""The NUL check that guards every stored text finds a NUL wherever it hides, and nothing else."""

from hypothesis import given
from hypothesis import strategies as st

from borderflow.schemas import has_nul

TEXT = st.text(alphabet=st.sampled_from(["a", "\x00", "\\", "0", "é"]), max_size=4)
VALUES = st.recursive(st.none() | st.integers() | st.booleans() | TEXT,
                      lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                      | st.dictionaries(TEXT, inner, max_size=4), max_leaves=20)


def nul_anywhere(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, (list, tuple)):
        return any(nul_anywhere(v) for v in value)
    if isinstance(value, dict):
        return any(nul_anywhere(k) or nul_anywhere(v) for k, v in value.items())
    return False


@given(VALUES)
def test_found_exactly_where_one_is(value):
    assert has_nul(value) == nul_anywhere(value)


def test_in_a_key_a_nested_text_and_a_text_subclass():
    class Name(str):
        pass
    assert has_nul({"a\x00": 1})
    assert has_nul({"a": [{"b": ("c", "d\x00")}]})
    assert has_nul([Name("x\x00")])
    assert not has_nul({"a": ["\\x00", "\\u0000", 0]})


JSON_VALUES = st.recursive(st.none() | st.integers(-2**53 + 1, 2**53 - 1) | st.booleans() | TEXT,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                           max_leaves=20)


@given(st.dictionaries(TEXT, JSON_VALUES, max_size=5))
def test_a_nul_anywhere_shows_in_the_canonical_bytes_the_inbox_searches_first(document):
    """The inbox looks for a NUL only in a message whose canonical bytes hold an escaped one."""
    from borderflow.domain import canonical
    from borderflow.exchange.inbox import _ESCAPED_NUL

    if has_nul(document):
        assert _ESCAPED_NUL in canonical.dumps(document)
