"""The barrier's decision for a matched plate read."""

from __future__ import annotations

from datetime import UTC, datetime

from borderflow.domain.barrier import VehicleFacts, decide
from borderflow.domain.crossing import Crossing
from borderflow.domain.gates import Lane

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
OUT, IN = Lane("OUT-1", "outbound"), Lane("IN-1", "inbound")
TRUCK = VehicleFacts(country="VN", axles=5, combination=True)


def crossing(lane="green", direction="export", status=None) -> Crossing:
    c = Crossing.declare(id="c1", reference="KIM-0000001", direction=direction, gate="KIMTHANH",
                         declarant_tax_id="5300123456", risk_lane=lane, risk_reasons=[], at=T0, actor="test")
    if status:
        c.status = status
    return c


def test_green_lane_opens_and_walks_the_crossing_out():
    decision = decide(crossing(), OUT, TRUCK, None, "VN")
    assert decision.decision == "open"
    assert [action for action, _ in decision.actions] == ["arrive", "release", "exit"]


def test_red_lane_holds_and_records_arrival():
    decision = decide(crossing("red"), OUT, TRUCK, None, "VN")
    assert (decision.decision, decision.reason) == ("hold", "red lane: physical inspection not yet done")
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
