"""The driver's page on a phone: reference and plate, no account; in Vietnamese, Chinese and
English; it refreshes itself, so a hold shows without the driver doing anything."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.declarations import green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, PHONE, UI, plate_read, shoot

pytestmark = UI

WORDS = {  # status "declared", the instruction while queueing, the label of the queue position
    "vi": ("Đã khai báo", "Hãy chờ tại bãi", "Vị trí trong hàng chờ"),
    "zh": ("已申报", "停车场等候叫号", "排队位置"),
    "en": ("Declared", "Wait in the yard", "Position in queue"),
}


@pytest.fixture(scope="module")
def queued(ui_node):
    with ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        truck = declarant.post("/api/v1/crossings", json=green_cargo()).json()
    assert plate_read(ui_node, truck["plate"], lane="YARD-IN", kind="yard_entry")["decision"] == "open"
    return truck


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
def test_the_driver_reads_the_status_in_each_language(ui_node, open_page, queued, lang):
    page = open_page(viewport=PHONE)
    page.goto(ui_node.url + f"/driver?lang={lang}")
    page.locator("#reference").fill(queued["reference"])
    page.locator("#plate").fill(queued["plate"])
    page.locator("form button[type=submit]").click()
    status, instruction, position = WORDS[lang]
    card = page.locator(".driver-card")
    expect(card.locator(".state .status")).to_have_text(status)
    expect(card.locator(".next")).to_contain_text(instruction)
    expect(card).to_contain_text(position)
    expect(card.locator(".plate")).to_have_text(queued["plate"])  # plates and codes are never translated
    expect(card).to_contain_text(queued["reference"])
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"
    shoot(page, f"driver-{lang}")


def test_the_browser_language_is_used_when_none_is_chosen(ui_node, open_page, queued):
    page = open_page(viewport=PHONE, lang="zh-CN")
    page.goto(ui_node.url + f"/driver?reference={queued['reference']}&plate={queued['plate']}")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.locator(".driver-card .state .status")).to_have_text("已申报")


def test_the_page_refreshes_itself_and_shows_a_hold(ui_node, open_page, queued):
    page = open_page(viewport=PHONE)
    page.clock.install()
    page.goto(ui_node.url + f"/driver?reference={queued['reference']}&plate={queued['plate']}&lang=vi")
    expect(page.locator(".driver-card .hold-reason")).to_have_count(0)
    with ui_node.client("border_guard") as guard:
        held = guard.post(f"/api/v1/crossings/{queued['id']}/hold", json={"reason": "papers of the driver expired"})
    assert held.status_code == 200, held.text
    page.clock.run_for(25_000)
    expect(page.locator(".driver-card .state .status")).to_have_text("Bị giữ lại")
    expect(page.locator(".driver-card .hold-reason")).to_contain_text("papers of the driver expired")
    expect(page.locator(".driver-card .next")).to_contain_text("xe của bạn đang bị giữ lại")


def test_a_wrong_plate_shows_nothing_of_the_crossing(ui_node, open_page, queued):
    page = open_page(viewport=PHONE)
    response = page.goto(ui_node.url + f"/driver?reference={queued['reference']}&plate=29C-000.00")
    assert response.status == 404
    expect(page.locator("#driver-error")).to_be_visible()
    expect(page.locator(".driver-card")).to_have_count(0)
