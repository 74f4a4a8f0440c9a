"""The API speaks the caller's language (Accept-Language: vi, zh, en; default en), and says
beside every text the code and params it was rendered from."""

from __future__ import annotations

import pytest

from tests.api.test_bookings import book, declare, open_slot
from tests.support.declarations import declaration, green_cargo

LANGS = {"vi": "vi-VN,vi;q=0.9", "zh": "zh-CN,zh;q=0.9,en;q=0.5", "en": "en-GB"}


def test_a_422_is_in_the_callers_language_with_codes_and_params(declarant):
    body = declaration(vehicle__axles=5, vehicle__gross_weight_kg=46_200, goods__0__hs_code="9999.99")
    answers = {lang: declarant.post("/api/v1/crossings", json=body, headers={"Accept-Language": header})
               for lang, header in LANGS.items()}
    errors = {lang: {e["loc"]: e for e in r.json()["errors"]} for lang, r in answers.items()}
    for lang, response in answers.items():
        assert response.status_code == 422 and response.headers["content-language"] == lang
    weight = {lang: e["vehicle.gross_weight_kg"] for lang, e in errors.items()}
    assert weight["en"]["msg"] == ("gross 46.2 t exceeds the legal 44 t for a 5-axle tractor and semi-trailer; "
                                   "expected at most 44000 kg")
    assert "vượt mức cho phép 44 tấn" in weight["vi"]["msg"] and "đầu kéo và sơ mi rơ moóc" in weight["vi"]["msg"]
    assert "超过" in weight["zh"]["msg"] and "44吨" in weight["zh"]["msg"]
    for e in weight.values():  # the rule, the sentence and its params are the same in every language
        assert e["code"] == "weight.over_limit" and e["msg_code"] == "weight.over_limit"
        assert e["params"] == {"gross": 46200, "limit": 44000, "axles": 5, "shape": "combination"}
    hs = {lang: e["goods[0].hs_code"]["msg"] for lang, e in errors.items()}
    assert hs["vi"].startswith("phân nhóm 999999 không có trong HS 2022") and "HS 2022" in hs["zh"]
    assert answers["vi"].json()["title"] == "Dữ liệu không hợp lệ" and answers["zh"].json()["title"] == "校验未通过"
    assert answers["en"].json()["title"] == "Validation failed"
    assert answers["zh"].json()["code"] == "problem.validation"


def test_a_shape_error_is_translated_too(declarant):
    body = declaration()
    del body["driver"]
    vi = declarant.post("/api/v1/crossings", json=body, headers={"Accept-Language": "vi"}).json()
    missing = next(e for e in vi["errors"] if e["loc"] == "driver")
    assert missing["code"] == "missing" and missing["msg"] == "Chưa nhập trường bắt buộc"


def test_a_barrier_decision_is_in_the_devices_language(declarant, device):
    for lang, header, words in (("vi", LANGS["vi"], "tấn"), ("zh", LANGS["zh"], "吨"), ("en", LANGS["en"], " t ")):
        created = declarant.post("/api/v1/crossings", json=green_cargo()).json()
        device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "weighbridge",
                                                 "plate": created["plate"], "gross_kg": 46200})
        response = device.post("/api/v1/gate-events", headers={"Accept-Language": header}, json={
            "gate": "KIMTHANH", "lane": "OUT-1", "kind": "plate_read", "plate": created["plate"], "confidence": 0.95})
        decision = response.json()
        assert decision["decision"] == "hold" and decision["reason_code"] == "overweight"
        assert words in decision["reason"], (lang, decision["reason"])
        assert decision["reason_msg_code"] == "barrier.overweight"
        assert decision["reason_msg_params"] == {"weighed_kg": 46200.0, "limit_kg": 44000, "axles": 5}
        if lang == "en":
            assert decision["reason"] == "weight 46.2 t exceeds 44 t for 5 axles"
        # the history says it in the reader's language too
        history = declarant.get(f"/api/v1/crossings/{created['id']}", headers={"Accept-Language": header}).json()
        held = next(e for e in history["events"] if e["action"] == "hold")
        assert words in held["cause"] and held["cause_code"] == "barrier.overweight"
        assert words in history["hold_reason"]


def test_a_booking_refusal_is_in_the_callers_language(declarant, supervisor):
    start = open_slot(supervisor, trucks_per_hour=1)
    first = declare(declarant)
    assert book(declarant, first["id"], start).status_code in (200, 201, 409)
    refusals = {}
    for lang, header in LANGS.items():
        crossing = declare(declarant)
        response = declarant.put(f"/api/v1/crossings/{crossing['id']}/booking", headers={"Accept-Language": header},
                                 json={"slot_start": start.isoformat()})
        assert response.status_code == 409, response.text
        refusals[lang] = response.json()
    for body in refusals.values():
        assert body["rule"] in ("slot_full", "slot_closed") and body["code"] in ("booking.slot_full",
                                                                                "booking.slot_closed")
    assert "Kim Thành" in refusals["vi"]["detail"] and ("đã kín" in refusals["vi"]["detail"]
                                                         or "không còn chỗ" in refusals["vi"]["detail"])
    assert "金城口岸" in refusals["zh"]["detail"] and ("约满" in refusals["zh"]["detail"]
                                                    or "没有可预约名额" in refusals["zh"]["detail"])
    assert "choose another hour" in refusals["en"]["detail"]
    assert refusals["vi"]["params"] == refusals["zh"]["params"] == refusals["en"]["params"]


def test_risk_reasons_come_with_their_codes(declarant):
    body = declaration()  # durian from a declarant with history: the durian protocol rule fires
    for header in ("vi", "zh", None):
        headers = {"Accept-Language": header} if header else {}
        crossing = declarant.post("/api/v1/crossings", json=body, headers=headers).json()
        assert len(crossing["risk_reason_codes"]) == len(crossing["risk_reasons"])
        shipped = [c for c in crossing["risk_reason_codes"] if c["code"] != "risk.rule"]
        for code in crossing["risk_reason_codes"]:
            assert code["code"].startswith("risk.") and isinstance(code["params"], dict)
        if header is None:
            assert all(r.isascii() or "–" in r for r in crossing["risk_reasons"])
        elif shipped:
            assert not any(r.isascii() for r in crossing["risk_reasons"][:len(shipped)])


@pytest.mark.parametrize("header, lang", [("fr-FR, de;q=0.8", "en"), ("zh-Hant-TW", "zh"), ("vi;q=0.1, en;q=0.9", "en"),
                                          ("", "en")])
def test_the_language_falls_back_to_english(declarant, header, lang):
    response = declarant.get("/api/v1/crossings/00000000-0000-0000-0000-000000000000",
                             headers={"Accept-Language": header})
    assert response.status_code == 404 and response.headers["content-language"] == lang


def test_a_refusal_about_the_audit_log_is_in_the_callers_language(supervisor):
    """A text the node says only now and then (an audit entry not there yet) is a message too."""
    answers = {lang: supervisor.get("/api/v1/audit/proof", params={"entry": 999_999_999},
                                    headers={"Accept-Language": header}) for lang, header in LANGS.items()}
    for response in answers.values():
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "problem.not_found"
    assert "审计记录 999999999" in answers["zh"].json()["detail"]
    assert "mục nhật ký kiểm tra 999999999" in answers["vi"].json()["detail"]
    assert "audit entry 999999999" in answers["en"].json()["detail"]


def test_a_write_route_renders_its_answer_as_the_middleware_renders_a_read(declarant):
    """The write routes localize their own answer before encoding it (routes.answer); the same
    crossing read back, rendered by the middleware, says the same words with the same codes."""
    for lang, header in LANGS.items():
        created = declarant.post("/api/v1/crossings", json=declaration(), headers={"Accept-Language": header})
        assert created.status_code == 201, created.text
        assert created.headers["content-language"] == lang and created.headers["vary"] == "Accept-Language"
        assert created.headers["content-type"] == "application/json"
        read = declarant.get(f"/api/v1/crossings/{created.json()['id']}", headers={"Accept-Language": header})
        for field in ("risk_reasons", "risk_reason_codes", "risk_lane", "reference"):
            assert created.json()[field] == read.json()[field], (lang, field)
        assert created.json()["risk_reason_codes"]
