"""Gate designations: a restricted group passes only its designated gates, on their days."""

from __future__ import annotations

from datetime import date

import pytest

from borderflow.domain.designations import DesignatedGate, Designation, Designations
from borderflow.reference import commodity_groups, designations
from borderflow.reference.designations import DesignationsError

GROUPS = commodity_groups.load()
FRUIT_IMPORT = Designations((Designation("CN", "import", "fresh_fruit", (
    DesignatedGate("HEKOU"), DesignatedGate("JINSHUIHE", since=date(2026, 9, 1)))),))


def test_a_group_without_designation_passes_every_gate():
    assert FRUIT_IMPORT.check(country="CN", gate="JINSHUIHE", direction="import", groups=["rubber"],
                              day=date(2026, 7, 1)) == []
    assert FRUIT_IMPORT.check(country="CN", gate="JINSHUIHE", direction="export", groups=["fresh_fruit"],
                              day=date(2026, 7, 1)) == []


def test_a_designation_starts_on_its_day():
    (refused,) = FRUIT_IMPORT.check(country="CN", gate="JINSHUIHE", direction="import",
                                    groups=["rubber", "fresh_fruit", "fresh_fruit"], day=date(2026, 8, 31))
    assert (refused.line, refused.code) == (1, "gate.not_designated")
    assert refused.params == {"gate": "JINSHUIHE", "commodity_group": "fresh_fruit", "direction": "import",
                              "designated_gates": ["HEKOU"]}
    assert FRUIT_IMPORT.check(country="CN", gate="JINSHUIHE", direction="import", groups=["fresh_fruit"],
                              day=date(2026, 9, 1)) == []
    assert FRUIT_IMPORT.for_gate("CN", "JINSHUIHE", date(2026, 9, 1)) == {"import": ["fresh_fruit"]}


def test_the_shipped_file_keeps_fruit_out_of_jinshuihe_until_designated():
    shipped = designations.load(None, GROUPS)
    assert shipped.designated("CN", "import", "fresh_fruit", date(2026, 7, 1)) == ("HEKOU", "TIANBAO", "YOUYIGUAN",
                                                                                  "POZHAI")
    assert shipped.designated("VN", "export", "fresh_fruit", date(2026, 7, 1)) is None


@pytest.mark.parametrize(("text", "key", "problem"), [
    ('[[designations]]\ncountry="CN"\ndirection="import"\ngroup="fruit"\ngates=["HEKOU"]',
     "designations[0].group", "unknown commodity group"),
    ('[[designations]]\ncountry="CN"\ndirection="import"\ngroup="rubber"\ngates=["KIMTHANH"]',
     "designations[0].gates[0].gate", "KIMTHANH is in VN, not CN"),
    ('[[designations]]\ncountry="CN"\ndirection="in"\ngroup="rubber"\ngates=[]',
     "designations[0].direction", "expected 'export' or 'import'"),
    ('[[designations]]\ncountry="CN"\ndirection="import"\ngroup="rubber"\ngates=[{gate="HEKOU", from="soon"}]',
     "designations[0].gates[0].from", "expected a day"),
])
def test_a_bad_file_names_the_key(text, key, problem):
    with pytest.raises(DesignationsError) as caught:
        designations.parse("mine.toml", text.encode(), GROUPS)
    assert caught.value.key == key and problem in caught.value.problem
