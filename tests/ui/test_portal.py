"""The declarant portal in a browser: a mistake shows next to its field, is fixed, and the
crossing is declared, booked (where the node books slots) and amended."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.declarations import declaration
from tests.ui.browser import DECLARANT_TAX_ID, UI, fill_declaration, shoot, sign_in

pytestmark = UI


def test_declare_with_a_mistake_fix_it_book_and_amend(ui_node, open_page):
    page = open_page()
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    page.get_by_role("link", name="New declaration").first.click()
    body = declaration(vehicle__plate="24C-12")  # too short: not a Vietnamese plate
    fill_declaration(page, body)

    # Inline: the API's own check, shown next to the field as soon as it changes.
    plate_error = page.locator("#f-vehicle-plate-err")
    expect(plate_error).to_be_visible()
    expect(plate_error).to_contain_text("24C-12")
    expect(page.locator('[name="vehicle.plate"]')).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#f-vehicle-trailer_plate-err")).to_be_hidden()

    # On send: the same problem, listed and next to the field; nothing else is wrong.
    page.get_by_role("button", name="Send the declaration").click()
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("li")).to_have_count(1)
    expect(summary).to_contain_text("Plate")  # the field by its label, in form order
    expect(plate_error).to_be_visible()
    expect(page.locator('[name="goods[0].hs_code"]')).to_have_value("08106000")  # what was typed is kept
    shoot(page, "portal-declare-error")

    page.locator('[name="vehicle.plate"]').fill("24C-246.80")
    page.locator('[name="vehicle.plate"]').dispatch_event("change")
    expect(plate_error).to_be_hidden()
    page.get_by_role("button", name="Send the declaration").click()
    page.wait_for_url(re.compile(r"/portal/crossings/"))
    expect(page.locator(".flash-ok")).to_contain_text("Declaration accepted")
    expect(page.locator(".crossing-head")).to_contain_text("24C-246.80")
    expect(page.locator(".crossing-head .lane")).to_contain_text("Yellow")  # durian: documents checked
    expect(page.locator(".reasons-box")).to_contain_text("durian")

    slots = page.locator("section[aria-labelledby=h-slot]")
    open_hours = slots.locator("input[name=slot_start]:not([disabled])")
    open_hours.first.check()
    slots.get_by_role("button", name="Book this slot").click()
    expect(page.locator(".flash-ok")).to_contain_text("Slot booked")
    expect(slots.locator(".booking")).to_be_visible()
    open_hours.nth(1).check()
    slots.get_by_role("button", name="Reschedule").click()
    expect(page.locator(".flash-ok")).to_contain_text("Slot booked")
    expect(slots.locator(".booking")).to_contain_text("rescheduled 1×")
    shoot(page, "portal-crossing")

    page.get_by_role("link", name="Amend the declaration").click()
    page.locator('[name="vehicle.gross_weight_kg"]').fill("39000")
    page.get_by_role("button", name="Send the amendment").click()
    expect(page.locator(".flash-ok")).to_contain_text("Amendment accepted")
    expect(page.locator(".versions li")).to_have_count(2)

    page.get_by_role("link", name="My crossings").first.click()
    expect(page.locator("table.list")).to_contain_text("24C-246.80")
    shoot(page, "portal-list")


def test_a_declarant_cancels_the_booking_then_the_crossing(ui_node, open_page):
    with ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        truck = declarant.post("/api/v1/crossings", json=declaration()).json()
    page = open_page()
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    page.goto(ui_node.url + f"/portal/crossings/{truck['id']}?lang=zh")
    slots = page.locator("section[aria-labelledby=h-slot]")
    slots.locator("input[name=slot_start]:not([disabled])").first.check()
    slots.get_by_role("button", name="预约该时段").click()
    expect(page.locator(".flash-ok")).to_contain_text("时段已预约")
    slots.get_by_role("button", name="取消预约").click()
    expect(page.locator(".flash-ok")).to_contain_text("预约已取消")
    expect(slots.locator(".booking")).to_have_count(0)
    page.get_by_label("原因（选填）").fill("truck broke down")
    page.get_by_role("button", name="取消本次过境").click()
    expect(page.locator(".flash-ok")).to_contain_text("过境已取消")
    expect(page.locator(".crossing-head .status")).to_have_text("已取消")
    expect(page.get_by_role("link", name="修改申报")).to_have_count(0)


@pytest.mark.parametrize("lang, word", [("vi", "Gửi tờ khai"), ("zh", "提交申报")])
def test_the_declaration_form_speaks_the_declarants_language(ui_node, open_page, lang, word):
    page = open_page()
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    page.goto(ui_node.url + f"/portal/declare?lang={lang}")
    expect(page.get_by_role("button", name=word)).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "vi" if lang == "vi" else "zh-Hans")
