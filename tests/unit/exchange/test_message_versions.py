"""Message schema versions: version 2 adds the codes of what the node said; a partner still on
version 1 gets version 1, which it reads, and either version is read here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from borderflow.exchange import messages as m

STATUS = {"crossing_id": "c1", "counterpart_id": None, "reference": "HUU-1", "status": "held", "risk_lane": "yellow",
          "cause": "weight within the legal limit", "at": datetime(2026, 6, 15, 3, tzinfo=UTC).isoformat()}
SAID = {"code": "barrier.weight_ok", "params": {}}


def test_a_partner_on_version_1_gets_the_payload_without_the_codes():
    version, payload = m.as_version("crossing_status", 1, {**STATUS, "cause_said": SAID})
    assert version == 1 and payload == STATUS
    assert m.parse_payload("crossing_status", version, payload).cause == STATUS["cause"]


def test_a_partner_on_version_2_gets_everything():
    version, payload = m.as_version("crossing_status", 2, {**STATUS, "cause_said": SAID})
    assert version == 2 and payload["cause_said"] == SAID
    parsed = m.parse_payload("crossing_status", 2, payload)
    assert m.said(parsed.cause, parsed.cause_said).code == "barrier.weight_ok"


def test_types_with_one_version_are_sent_as_they_are():
    payload = {"anything": 1}
    assert m.as_version("incident_report", 2, payload) == (1, payload)


def test_version_1_refuses_the_fields_it_does_not_know_and_version_3_does_not_exist():
    with pytest.raises(m.PayloadInvalid) as refused:
        m.parse_payload("crossing_status", 1, {**STATUS, "cause_said": SAID})
    assert any(p.loc == "payload.cause_said" for p in refused.value.problems)
    with pytest.raises(m.PayloadInvalid) as unknown:
        m.parse_payload("crossing_status", 3, STATUS)
    assert unknown.value.problems[0].code == "version.unknown"


@pytest.mark.parametrize("said", [{"code": "no.such.code", "params": {}}, {"code": "barrier.overweight", "params": {}}])
def test_a_code_we_do_not_know_or_cannot_fill_falls_back_to_the_words_as_sent(said):
    parsed = m.parse_payload("crossing_status", 2, {**STATUS, "cause_said": said})
    assert m.said(parsed.cause, parsed.cause_said) == STATUS["cause"]


def test_a_risk_rules_own_id_is_a_code_the_partner_accepts():
    notice = {"crossing_id": "c1", "reference": "KIM-1", "gate": "KIMTHANH", "risk_lane": "yellow",
              "risk_reasons": ["fresh fruit (HS 0810.90) from a new declarant: fewer than 3 previous crossings"],
              "risk_reason_codes": [{"code": "risk.fresh-fruit-new-declarant", "params": {"hs": "0810.90"}}],
              "version": 1, "reason": "declared", "declaration": {}}
    parsed = m.parse_payload("pre_arrival_notice", 2, notice)
    assert parsed.risk_reason_codes[0].code == "risk.fresh-fruit-new-declarant"
