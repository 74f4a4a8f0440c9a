"""Messages rendered per language, and English text read back into its message."""

from __future__ import annotations

import json

from hypothesis import given, strategies as st

from borderflow.domain.messages import Message, recognise, say
from borderflow.i18n import render, render_code
from borderflow.i18n.localize import localize, localized_json

KIM = {"vi": "Cửa khẩu Kim Thành", "zh": "金城口岸", "en": "Kim Thành Border Gate (road gate II)"}


def test_a_message_is_its_english_text_and_carries_its_code():
    said = say("barrier.overweight", weighed_kg=46_200, limit_kg=44_000, axles=5)
    assert said == "weight 46.2 t exceeds 44 t for 5 axles" and isinstance(said, str)
    assert said.code == "barrier.overweight" and said.params["axles"] == 5


def test_numbers_weights_and_words_per_language():
    said = say("weight.over_limit", gross=46_200, limit=44_000, axles=5, shape="combination")
    assert render(said, "vi").endswith("tối đa 44.000 kg") and "46,2 tấn" in render(said, "vi")
    assert "44,000 千克" in render(said, "zh") and "牵引车加半挂车" in render(said, "zh")
    assert render(said, "en") == str(said)


def test_gate_names_are_in_each_language_even_from_stored_english():
    stored = "not called forward yet: wait in the Kim Thành Border Gate (road gate II) yard, position 3"
    assert "bãi chờ Cửa khẩu Kim Thành" in render(stored, "vi")
    assert "金城口岸" in render(stored, "zh")
    full = say("booking.slot_full", slot="2026-11-23T09:00:00+07:00", gate=KIM, direction="outbound", places=4)
    assert "Cửa khẩu Kim Thành" in render(full, "vi") and "金城口岸" in render(full, "zh")


def test_stored_english_is_recognised_with_nested_messages():
    text = "Stopped: held: weight 46.2 t exceeds 44 t for 5 axles. Wait for an officer."
    found = recognise(text)
    assert found.code == "step.held" and isinstance(found.params["hold_reason"], Message)
    assert found.params["hold_reason"].params["hold_reason"].code == "barrier.overweight"
    assert render(text, "vi") == "Dừng lại: tạm giữ: trọng lượng 46,2 tấn vượt mức 44 tấn cho xe 5 trục. " \
                                 "Chờ cán bộ hướng dẫn."


def test_an_officers_own_words_stay_as_written():
    assert recognise("truck smells of smoke, call the fire brigade") is None
    assert render("truck smells of smoke", "zh") == "truck smells of smoke"
    assert render("Stopped: seal broken", "zh") == "停车：seal broken"


def test_agencies_and_lanes_are_words_of_the_catalogue():
    said = say("barrier.signoff_pending", agencies=["customs", "border_guard"])
    assert said == "waiting for the sign-off of customs, border guard"
    assert render(said, "vi") == "đang chờ hải quan, biên phòng xác nhận"
    assert render(recognise(str(said)), "zh") == "等待海关、边防检查签核"


def test_an_unknown_code_falls_back_to_its_text():
    assert render_code("no.such.code", {"text": "as written"}, "vi") == "as written"


def test_an_api_document_gets_codes_beside_its_texts():
    doc = {"risk_reasons": ["fresh fruit (HS 0810.60) from a new declarant: fewer than 3 previous crossings",
                            "an operator's own rule"],
           "events": [{"cause": "declaration submitted"}], "reason": "inspection under way", "reason_code": "inspecting"}
    out = localize(doc, "zh")
    assert out["risk_reasons"][0] == "新申报企业的鲜果（HS 0810.60）：此前通关不足 3 次"
    assert out["risk_reason_codes"][0] == {"code": "risk.fresh-fruit-new-declarant", "params": {"hs": "0810.60"}}
    assert out["risk_reason_codes"][1] == {"code": "risk.rule", "params": {"text": "an operator's own rule"}}
    assert out["events"][0] == {"cause": "已提交报关单", "cause_code": "history.declared", "cause_params": {}}
    assert out["reason"] == "正在查验" and out["reason_code"] == "inspecting"
    assert out["reason_msg_code"] == "barrier.inspecting"


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20)
                           | st.sampled_from(["declaration submitted", "inspection under way",
                                             Message("risk.rule", {"text": "an operator's rule", "rule": "own"})]),
                           lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                           | st.dictionaries(st.sampled_from(["cause", "reason", "risk_reasons", "events", "note"]),
                                             inner, max_size=4), max_leaves=12)


@given(json_values, st.sampled_from(["vi", "zh", "en"]))
def test_a_document_localized_before_encoding_reads_as_one_localized_after(value, lang):
    """What a route renders itself (routes.answer) is what the middleware writes from the encoded answer."""
    from_bytes = localize(json.loads(json.dumps(value)), lang)
    assert json.loads(localized_json(value, lang)) == from_bytes
    assert localized_json(value, lang) == json.dumps(from_bytes, ensure_ascii=False, separators=(",", ":")).encode()


@given(st.text(max_size=200))
def test_recognising_never_fails_on_any_text(text):
    found = recognise(text)
    assert found is None or found == text


@given(st.integers(0, 10**6), st.integers(2, 9))
def test_every_weight_round_trips_through_its_english(weighed, axles):
    said = say("barrier.overweight", weighed_kg=weighed * 100, limit_kg=44_000, axles=axles)
    again = recognise(str(said))
    assert again is not None and again.code == said.code and again == said


def test_a_share_written_as_a_percentage_is_recognised_from_stored_english():
    stored = str(say("risk.random", lane="yellow", rate=0.05))
    found = recognise(stored)
    assert found is not None and found.code == "risk.random" and found.params == {"lane": "yellow", "rate": 0.05}
    assert "5" in render(stored, "vi") and "random selection" not in render(stored, "vi")
