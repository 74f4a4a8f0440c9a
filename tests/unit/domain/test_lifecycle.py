"""The crossing state machine: legal moves succeed, illegal ones are refused naming the state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from borderflow.domain import lifecycle
from borderflow.domain.crossing import Crossing
from borderflow.domain.errors import Conflict
from borderflow.domain.signoffs import SignoffRules

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def crossing(lane: str = "green", direction: str = "export") -> Crossing:
    required = SignoffRules().required(risk_lane=lane, direction=direction, hs_codes=("07141011",))
    return Crossing.declare(id="c1", reference="KIM-0000001", direction=direction, gate="KIMTHANH",
                            declarant_tax_id="5300123456", risk_lane=lane, risk_reasons=[], at=T0, actor="test",
                            signoffs=required)


def test_terminal_states_allow_nothing():
    for status in lifecycle.TERMINAL:
        assert lifecycle.allowed_actions(status) == ()


def test_every_state_is_reachable_from_declared():
    reached, frontier = {lifecycle.DECLARED}, [lifecycle.DECLARED]
    while frontier:
        status = frontier.pop()
        for action in lifecycle.allowed_actions(status):
            target = lifecycle.next_status(status, action)
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(lifecycle.STATUSES)


@given(st.lists(st.sampled_from(lifecycle.ACTIONS), max_size=12))
def test_any_sequence_of_actions_keeps_a_consistent_history(actions):
    c = crossing(direction="import")
    for action in actions:
        before = c.status
        try:
            event = c.apply(action, at=T0, actor="officer", cause="property")
        except Conflict as exc:
            assert exc.current_status == before
            assert lifecycle.next_status(before, action) is None
            assert c.status == before
        else:
            assert event.from_status == before and event.to_status == c.status
    # The history replays to the current state.
    replayed = lifecycle.DECLARED
    for event in c.new_events[1:]:
        assert event.from_status == replayed
        replayed = event.to_status
    assert replayed == c.status


def test_illegal_move_names_the_current_state_and_what_is_allowed():
    c = crossing()
    c.apply("cancel", at=T0, actor="declarant", cause="not going")
    with pytest.raises(Conflict) as refused:
        c.apply("arrive", at=T0, actor="device", cause="plate read")
    assert refused.value.current_status == "cancelled"
    assert "cancelled" in refused.value.detail


def test_only_import_crossings_hear_that_the_partner_let_them_go():
    with pytest.raises(Conflict):
        crossing(direction="export").apply("depart_partner", at=T0, actor="partner", cause="left CN")
    c = crossing(direction="import")
    c.apply("depart_partner", at=T0, actor="partner", cause="left CN")
    assert c.status == lifecycle.IN_TRANSIT


def test_hold_when_red_lane_not_inspected():
    c = crossing("red")
    with pytest.raises(Conflict, match="release needs the sign-off of customs first"):
        c.release(at=T0, actor="customs", cause="ok")


def test_yellow_lane_releases_after_a_document_check():
    c = crossing("yellow")
    c.record_signoff(agency="customs", kind="document", passed=True, at=T0, actor="customs", notes="ok")
    c.release(at=T0, actor="customs", cause="documents fine")
    assert c.status == lifecycle.RELEASED


def test_failed_physical_inspection_holds_with_the_notes():
    c = crossing("red")
    c.apply("arrive", at=T0, actor="device", cause="read")
    c.record_signoff(agency="quarantine", kind="physical", passed=False, at=T0, actor="quarantine",
                      notes="fruit fly larvae")
    assert c.status == lifecycle.HELD
    assert "fruit fly larvae" in c.hold_reason


def test_amendment_forgets_a_document_check_but_not_a_physical_one():
    c = crossing("red")
    c.apply("arrive", at=T0, actor="device", cause="read")
    c.record_signoff(agency="customs", kind="physical", passed=True, at=T0, actor="customs", notes="")
    c.record_signoff(agency="quarantine", kind="document", passed=True, at=T0, actor="quarantine", notes="")
    c.reassess(risk_lane="red", risk_reasons=["x"], version=2, at=T0, actor="declarant",
               signoffs=SignoffRules().required(risk_lane="red", direction="export", hs_codes=()))
    assert c.checks_passed == {"physical"}
    assert c.signoffs["customs"].status == "passed" and c.pending_signoffs() == []
    assert c.signoffs["quarantine"].required is False  # kept on record, no longer asked


def test_no_amendment_after_release():
    c = crossing()
    c.apply("release", at=T0, actor="customs", cause="ok")
    with pytest.raises(Conflict, match="already released"):
        c.reassess(risk_lane="green", risk_reasons=[], version=2, at=T0, actor="declarant")
