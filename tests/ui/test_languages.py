"""What the node says, on the screens, in Vietnamese and Chinese: a validation error on the
portal, a booking refusal, a hold reason on the console, the driver page's next step. None
of them may show a sentence of the English catalogue."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from borderflow.domain import messages
from borderflow.exchange.dispatcher import Dispatcher
from borderflow.i18n.registry import all_codes
from tests.support.declarations import declaration, fresh_plate, green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, PHONE, UI, fill_declaration, open_gate_now, shoot, sign_in

pytestmark = UI

WORDS = {
    "vi": {"plate_label": "Biển số", "plate_problem": "không phải biển số Việt Nam", "link": "cho CN-BORDER",
           "refusal": "đã có một lịch đặt đang hiệu lực", "hold": "vượt mức 44 tấn",
           "step": "Dừng lại: trọng lượng 46,2 tấn vượt mức 44 tấn cho xe 5 trục. Chờ cán bộ hướng dẫn."},
    "zh": {"plate_label": "车牌", "plate_problem": "不是越南车牌", "refusal": "已有有效预约", "link": "CN-BORDER 的",
           "hold": "超过 5 轴车辆限值 44吨", "step": "停车：重量 46.2吨 超过 5 轴车辆限值 44吨。请等候关员处理。"},
}


def english_sentences(text: str) -> list[str]:
    """Codes whose English wording (a literal stretch of 20 characters or more) shows in `text`."""
    found = []
    for code, template in all_codes().items():
        pieces = [lit for lit, *_ in messages._FORMAT.parse(template)]
        longest = max(pieces, key=len, default="").strip()
        if len(longest) >= 20 and longest in text:
            found.append(code)
    return found


def declared(node, body: dict) -> dict:
    with node.client("declarant", DECLARANT_TAX_ID) as declarant:
        response = declarant.post("/api/v1/crossings", json=body)
    assert response.status_code == 201, response.text
    return response.json()


@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_a_validation_error_on_the_portal_is_in_the_declarants_language(ui_node, open_page, lang):
    page = open_page(lang=lang)
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    page.goto(ui_node.url + "/portal/declare")
    fill_declaration(page, declaration(vehicle__plate="24C-12"))
    page.locator("form button[type=submit].primary").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("li")).to_have_count(1)
    entry = summary.locator("li").first
    expect(entry).to_contain_text(WORDS[lang]["plate_label"])  # the field by its label, not "vehicle.plate"
    expect(entry).to_contain_text(WORDS[lang]["plate_problem"])
    expect(page.locator("#f-vehicle-plate-err")).to_contain_text(WORDS[lang]["plate_problem"])
    assert "vehicle.plate" not in entry.inner_text()
    assert english_sentences(page.locator("main").inner_text()) == []
    shoot(page, f"portal-declare-error-{lang}")


@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_a_booking_refusal_is_in_the_declarants_language(ui_node, open_page, lang):
    open_gate_now(ui_node)
    plate = fresh_plate()
    first, second = declared(ui_node, green_cargo(vehicle__plate=plate)), \
        declared(ui_node, green_cargo(vehicle__plate=plate))
    hour = (ui_node.clock.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    with ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        booked = declarant.put(f"/api/v1/crossings/{first['id']}/booking", json={"slot_start": hour.isoformat()})
    assert booked.status_code in (200, 201), booked.text
    page = open_page(lang=lang)
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    page.goto(ui_node.url + f"/portal/crossings/{second['id']}")
    slots = page.locator("section[aria-labelledby=h-slot]")
    slots.locator("input[name=slot_start]:not([disabled])").first.check()
    slots.locator("button[type=submit]").first.click()
    error = page.locator(".flash-error")
    expect(error).to_contain_text(WORDS[lang]["refusal"])
    expect(error).to_contain_text(plate)
    assert english_sentences(page.locator("main").inner_text() + error.inner_text()) == []
    shoot(page, f"portal-booking-refused-{lang}")


def _overweight_truck(node) -> dict:
    truck = declared(node, green_cargo(vehicle__plate=fresh_plate()))
    with node.client("device") as device:
        weighed = device.post("/api/v1/gate-events", json={"gate": "KIMTHANH", "lane": "OUT-1", "kind": "weighbridge",
                                                           "plate": truck["plate"], "gross_kg": 46_200})
    assert weighed.status_code == 201, weighed.text
    return truck


@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_a_hold_reason_on_the_console_is_in_the_officers_language(ui_node, open_page, lang):
    truck = _overweight_truck(ui_node)
    page = open_page(lang=lang)
    sign_in(page, ui_node, "customs")
    page.goto(ui_node.url + f"/console/crossings/{truck['id']}")
    expect(page.locator(".hold-reason").first).to_contain_text(WORDS[lang]["hold"])
    expect(page.locator(".timeline")).to_contain_text(WORDS[lang]["hold"])
    page.goto(ui_node.url + "/console")
    hold = page.locator(f"#panel-holds li[data-reference='{truck['reference']}']")
    expect(hold).to_contain_text(WORDS[lang]["hold"])
    assert english_sentences(page.locator("main").inner_text()) == []
    shoot(page, f"console-hold-{lang}")


@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_why_the_partner_link_failed_is_in_the_supervisors_language(ui_node, open_page, lang):
    declared(ui_node, green_cargo(vehicle__plate=fresh_plate()))  # a notice for the partner in the outbox
    partner = ui_node.ctx.exchange.partners["CN-BORDER"]
    assert Dispatcher(ui_node.ctx, partner).deliver_once() == -1  # the node's own round, which cannot send
    page = open_page(lang=lang)
    sign_in(page, ui_node, "supervisor")
    page.goto(ui_node.url + "/console")
    link = page.locator("#panel-partner .cause")
    expect(link).to_contain_text(WORDS[lang]["link"])
    assert english_sentences(page.locator("#panel-partner").inner_text()) == []


@pytest.mark.parametrize("lang", ["vi", "zh"])
def test_the_driver_pages_next_step_is_in_the_drivers_language(ui_node, open_page, lang):
    truck = _overweight_truck(ui_node)
    page = open_page(viewport=PHONE, lang=lang)
    page.goto(ui_node.url + f"/driver?reference={truck['reference']}&plate={truck['plate']}")
    card = page.locator(".driver-card")
    expect(card.locator(".next-step")).to_have_text(WORDS[lang]["step"])
    expect(card.locator(".hold-reason")).to_contain_text(WORDS[lang]["hold"])
    assert not re.search(r"\bStopped\b|\bexceeds\b", card.inner_text())
    assert english_sentences(card.inner_text()) == []
    shoot(page, f"driver-held-{lang}", full_page=False)
