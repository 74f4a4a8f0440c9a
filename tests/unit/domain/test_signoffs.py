"""Which agencies sign a crossing off, read from rules data, and how their results move it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderflow.domain import lifecycle
from borderflow.domain.crossing import Crossing
from borderflow.domain.errors import Conflict
from borderflow.domain.signoffs import AGENCIES, Signoff, SignoffRules, SignoffRulesError
from borderflow.reference.rules_loader import load_rule_files

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
SHIPPED = load_rule_files(None)[1]


def required(rules: SignoffRules, lane: str, direction: str = "export", *hs: str) -> dict[str, str]:
    return {a: r.check for a, r in rules.required(risk_lane=lane, direction=direction, hs_codes=hs).items()}


def test_shipped_rules_ask_customs_by_lane_quarantine_for_plant_products_and_the_guard_for_red():
    assert required(SHIPPED, "green", "export", "40012200") == {}  # natural rubber, green: nobody
    assert required(SHIPPED, "yellow", "export", "40012200") == {"customs": "document"}
    assert required(SHIPPED, "green", "export", "08106000") == {"quarantine": "document"}  # the certificate
    assert required(SHIPPED, "green", "import", "08106000") == {"quarantine": "physical"}  # the goods
    assert required(SHIPPED, "red", "import", "07141011") == {
        "customs": "physical", "quarantine": "physical", "border_guard": "document"}


def test_the_strongest_check_and_refusal_win_when_rules_agree_on_an_agency():
    rules = SignoffRules.from_list([
        {"id": "a", "agency": "quarantine", "check": "document", "hs_prefix": "08"},
        {"id": "b", "agency": "quarantine", "check": "physical", "hs_prefix": ["0810"], "on_failure": "refuse"}])
    [asked] = rules.required(risk_lane="green", direction="export", hs_codes=("08106000",)).values()
    assert (asked.check, asked.on_failure) == ("physical", "refuse")
    [only] = rules.required(risk_lane="green", direction="export", hs_codes=("08039010",)).values()
    assert (only.check, only.on_failure) == ("document", "hold")


@pytest.mark.parametrize(("entry", "message"), [
    ({"agency": "customs"}, "id is required"),
    ({"id": "x", "agency": "army"}, "agency 'army' is unknown; expected one of customs"),
    ({"id": "x", "agency": "customs", "check": "sniff"}, "check 'sniff' is unknown"),
    ({"id": "x", "agency": "customs", "risk_lane": ["purple"]}, "risk_lane 'purple' is unknown"),
    ({"id": "x", "agency": "customs", "hs_prefix": ["08.10"]}, "hs_prefix values are digits"),
    ({"id": "x", "agency": "customs", "when": "always"}, "unknown key 'when'"),
    ({"id": "x", "agency": "customs", "on_failure": "shrug"}, "on_failure 'shrug' is unknown"),
])
def test_a_bad_rule_is_refused_naming_the_rule_and_the_key(entry, message):
    with pytest.raises(SignoffRulesError, match=message):
        SignoffRules.from_list([entry])


def test_a_rules_file_without_signoffs_keeps_the_shipped_agencies(tmp_path):
    own = tmp_path / "rules.toml"
    own.write_text('default_lane = "green"\n')
    assert load_rule_files(own)[1] == SHIPPED


def crossing(rules: SignoffRules, lane: str = "green", hs: str = "08039010") -> Crossing:
    return Crossing.declare(id="c1", reference="KIM-0000001", direction="export", gate="KIMTHANH",
                            declarant_tax_id="5300123456", risk_lane=lane, risk_reasons=[], at=T0, actor="test",
                            signoffs=rules.required(risk_lane=lane, direction="export", hs_codes=(hs,)))


RULES = SignoffRules.from_list([
    {"id": "q", "agency": "quarantine", "hs_prefix": "0803"},
    {"id": "g", "agency": "border_guard", "hs_prefix": "0803", "on_failure": "refuse"},
    {"id": "c", "agency": "customs", "check": "physical", "risk_lane": "red"}])


def test_release_needs_every_required_signoff_and_an_offered_one_counts_for_nothing():
    c = crossing(RULES)
    assert c.pending_signoffs() == ["quarantine", "border_guard"]
    c.record_signoff(agency="customs", kind="document", passed=True, at=T0, actor="customs:a", notes="")
    assert c.signoffs["customs"].required is False and c.pending_signoffs() == ["quarantine", "border_guard"]
    c.record_signoff(agency="quarantine", kind="document", passed=True, at=T0, actor="quarantine:b", notes="ok")
    with pytest.raises(Conflict, match="sign-off of border_guard"):
        c.release(at=T0, actor="customs:a", cause="go")
    c.record_signoff(agency="border_guard", kind="document", passed=True, at=T0, actor="border_guard:c", notes="")
    c.release(at=T0, actor="customs:a", cause="go")
    assert c.status == lifecycle.RELEASED


def test_a_document_check_does_not_satisfy_a_physical_inspection():
    c = crossing(RULES, lane="red", hs="40012200")
    c.record_signoff(agency="customs", kind="document", passed=True, at=T0, actor="customs:a", notes="")
    assert c.pending_signoffs() == ["customs"]
    c.record_signoff(agency="customs", kind="physical", passed=True, at=T0, actor="customs:a", notes="")
    assert c.pending_signoffs() == [] and c.status == lifecycle.ARRIVED


def test_a_failure_holds_or_refuses_as_the_rule_says_and_is_recorded():
    held = crossing(RULES)
    held.record_signoff(agency="quarantine", kind="document", passed=False, at=T0, actor="q", notes="no certificate")
    assert held.status == lifecycle.HELD and "no certificate" in held.hold_reason
    assert held.signoffs["quarantine"].status == "failed"
    refused = crossing(RULES)
    refused.record_signoff(agency="border_guard", kind="document", passed=False, at=T0, actor="g", notes="wanted")
    assert refused.status == lifecycle.REFUSED


def test_no_signoff_on_a_crossing_that_is_done():
    c = crossing(RULES)
    c.apply("cancel", at=T0, actor="declarant", cause="withdrawn")
    with pytest.raises(Conflict, match="cancelled"):
        c.record_signoff(agency="quarantine", kind="document", passed=True, at=T0, actor="q", notes="")


@given(st.builds(Signoff, agency=st.sampled_from(AGENCIES), check=st.sampled_from(("document", "physical")),
                 required=st.booleans(), status=st.sampled_from(("pending", "passed", "failed")),
                 on_failure=st.sampled_from(("hold", "refuse")), reasons=st.lists(st.text(max_size=20), max_size=3),
                 done=st.none() | st.sampled_from(("document", "physical")), by=st.none() | st.text(max_size=20),
                 at=st.none() | st.datetimes(timezones=st.just(UTC)), notes=st.text(max_size=40)))
def test_a_signoff_survives_its_json_form(signoff):
    assert Signoff.from_json(signoff.to_json()) == signoff
