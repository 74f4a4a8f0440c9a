"""The barrier's decision for a matched plate read."""

from __future__ import annotations

from datetime import UTC, datetime

from datetime import timedelta

from borderflow.domain.barrier import VehicleFacts, YardStanding, decide, local_when
from borderflow.domain.crossing import Crossing
from borderflow.domain.gates import Lane
from borderflow.domain.signoffs import SignoffRules

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
OUT, IN = Lane("OUT-1", "outbound"), Lane("IN-1", "inbound")
TRUCK = VehicleFacts(country="VN", axles=5, combination=True)


def crossing(lane="green", direction="export", status=None) -> Crossing:
    c = Crossing.declare(id="c1", reference="KIM-0000001", direction=direction, gate="KIMTHANH",
                         declarant_tax_id="5300123456", risk_lane=lane, risk_reasons=[], at=T0, actor="test",
                         signoffs=SignoffRules().required(risk_lane=lane, direction=direction, hs_codes=()))
    if status:
        c.status = status
    return c


def test_green_lane_opens_and_walks_the_crossing_out():
    decision = decide(crossing(), OUT, TRUCK, None, "VN")
    assert decision.decision == "open"
    assert [action for action, _ in decision.actions] == ["arrive", "release", "exit"]


def test_red_lane_holds_and_records_arrival():
    decision = decide(crossing("red"), OUT, TRUCK, None, "VN")
    assert (decision.decision, decision.reason) == ("hold", "waiting for the sign-off of customs")
    assert (decision.code, decision.params) == ("signoff_pending", {"agencies": ["customs"]})
    assert [action for action, _ in decision.actions] == ["arrive"]


def test_overweight_holds_with_tonnes_and_axles():
    decision = decide(crossing(), OUT, TRUCK, 46_200, "VN")
    assert decision.reason == "weight 46.2 t exceeds 44 t for 5 axles"
    assert [action for action, _ in decision.actions] == ["arrive", "hold"]


def test_chinese_limits_apply_to_a_chinese_truck():
    cn_truck = VehicleFacts(country="CN", axles=5, combination=True)
    assert decide(crossing(), OUT, cn_truck, 43_500, "VN").reason == "weight 43.5 t exceeds 43 t for 5 axles"
    assert decide(crossing(), OUT, TRUCK, 43_500, "VN").decision == "open"


def test_import_crossing_at_an_outbound_lane_holds():
    decision = decide(crossing(direction="import"), OUT, TRUCK, None, "VN")
    assert decision.decision == "hold" and "inbound" in decision.reason


def test_released_crossing_opens_and_exits():
    decision = decide(crossing("red", status="released"), OUT, TRUCK, None, "VN")
    assert decision.decision == "open" and decision.actions[0][0] == "exit"


def test_terminal_crossing_never_opens():
    for status in ("exited", "cancelled", "refused"):
        assert decide(crossing(status=status), OUT, TRUCK, None, "VN").decision == "hold"


YARD = "Kim Thành Border Gate (road gate II)"


def waiting(position=12, at=T0 + timedelta(hours=1, minutes=40)) -> YardStanding:
    return YardStanding(enforced=True, called=False, in_yard=True, position=position, expected_call=at,
                        yard_name=YARD, timezone="Asia/Ho_Chi_Minh", now=T0)


def test_hold_when_not_called_forward_says_where_to_wait_and_when():
    decision = decide(crossing(), OUT, TRUCK, None, "VN", waiting())
    assert decision.decision == "hold" and decision.code == "not_called"
    assert decision.reason == f"not called forward yet: wait in the {YARD} yard, position 12, expected call 10:40"
    assert decision.actions == ()  # the truck did not enter the control zone
    assert decision.params["position"] == 12


def test_expected_call_on_another_day_names_the_date():
    later = waiting(at=datetime(2026, 12, 2, 3, 40, tzinfo=UTC))
    assert decide(crossing(), OUT, TRUCK, None, "VN", later).reason.endswith("expected call 10:40 on 2 Dec")
    assert local_when(datetime(2026, 12, 2, 3, 40, tzinfo=UTC), "Asia/Ho_Chi_Minh",
                      datetime(2026, 12, 2, 1, 0, tzinfo=UTC)) == "10:40"


def test_a_truck_that_skipped_the_yard_is_sent_to_check_in():
    skipped = YardStanding(enforced=True, called=False, yard_name=YARD)
    decision = decide(crossing(), OUT, TRUCK, None, "VN", skipped)
    assert (decision.decision, decision.code) == ("hold", "not_checked_in")
    assert "check in at the" in decision.reason


def test_a_released_truck_that_was_never_called_is_still_held():
    decision = decide(crossing("red", status="released"), OUT, TRUCK, None, "VN", waiting())
    assert decision.code == "not_called" and decision.actions == ()


def test_called_trucks_pass_and_gates_without_enforcement_keep_no_order():
    called = YardStanding(enforced=True, called=True, yard_name=YARD)
    assert decide(crossing(), OUT, TRUCK, None, "VN", called).decision == "open"
    free = YardStanding(enforced=False, called=False, yard_name=YARD)
    assert decide(crossing(), OUT, TRUCK, None, "VN", free).code == "cleared"


def test_every_decision_has_a_stable_code():
    cases = [decide(crossing(), OUT, TRUCK, None, "VN"), decide(crossing(), OUT, TRUCK, 46_200, "VN"),
             decide(crossing(direction="import"), OUT, TRUCK, None, "VN"),
             decide(crossing(status="held"), OUT, TRUCK, None, "VN"),
             decide(crossing(status="exited"), OUT, TRUCK, None, "VN")]
    assert [d.code for d in cases] == ["cleared", "overweight", "wrong_lane", "held", "crossing_closed"]


def test_an_overweight_truck_already_held_for_another_reason_stays_held_as_it_is():
    held = crossing(status="held")
    held.hold_reason = "officer: seal to be checked"
    decision = decide(held, OUT, TRUCK, 46_200, "VN")
    assert (decision.decision, decision.code, decision.actions) == ("hold", "overweight", ())
