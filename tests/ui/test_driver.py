"""The driver's page on a phone: reference and plate, no account; in Vietnamese, Chinese and
English; it refreshes itself, so a hold shows without the driver doing anything."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import pytest
import segno
from playwright.sync_api import expect

from tests.support.declarations import green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, PHONE, UI, plate_read, shoot

pytestmark = UI
GATE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")

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


@pytest.fixture
def closed_until_tomorrow(ui_node):
    """Kim Thanh closed for exports from an hour ago until 10:00 tomorrow at the gate, and a truck
    waiting in its yard; afterwards the closure is withdrawn and the truck's crossing cancelled."""
    now = ui_node.clock.now()
    opens = (now.astimezone(GATE_ZONE) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    with ui_node.client("supervisor") as supervisor, ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        closure = supervisor.post("/api/v1/gates/KIMTHANH/capacity-overrides", json={
            "direction": "outbound", "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": opens.isoformat(), "trucks_per_hour": None, "reason": "UI test: closed until tomorrow"})
        assert closure.status_code == 201, closure.text
        truck = declarant.post("/api/v1/crossings", json=green_cargo()).json()
        assert plate_read(ui_node, truck["plate"], lane="YARD-IN", kind="yard_entry")["decision"] == "open"
        yield truck
        supervisor.delete(f"/api/v1/capacity-overrides/{closure.json()['id']}")
        declarant.post(f"/api/v1/crossings/{truck['id']}/cancel", json={"note": "end of UI test"})


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
def test_an_expected_call_tomorrow_says_tomorrow(ui_node, open_page, closed_until_tomorrow, lang):
    truck = closed_until_tomorrow
    with ui_node.client() as anyone:
        view = anyone.get(f"/api/v1/driver/{truck['reference']}", params={"plate": truck["plate"]}).json()
    eta = datetime.fromisoformat(view["estimated_call_at"]).astimezone(GATE_ZONE)
    assert eta.date() == (ui_node.clock.now().astimezone(GATE_ZONE) + timedelta(days=1)).date()
    clock = f"{eta:%H:%M}"  # a 24-hour clock in every language
    when = {"vi": f"{clock} ngày mai", "zh": f"明天 {clock}", "en": f"{clock} tomorrow"}[lang]
    sentence = {"vi": f"Dự kiến được gọi vào khoảng {when}.", "zh": f"预计约 {when} 叫号。",
                "en": f"Expected call about {when}."}[lang]
    page = open_page(viewport=PHONE)
    page.goto(ui_node.url + f"/driver?reference={truck['reference']}&plate={truck['plate']}&lang={lang}")
    card = page.locator(".driver-card")
    expect(card.locator(".estimated-call")).to_have_text(when)
    expect(card.locator(".call-when")).to_have_text(sentence)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width}px)"


def test_a_dispatcher_gets_the_pages_full_link_and_its_qr_code(ui_node, open_page, queued):
    page = open_page(viewport=PHONE)
    page.goto(ui_node.url + f"/driver?reference={queued['reference']}&plate={queued['plate']}&lang=zh")
    link = f"{ui_node.url}/driver?" + urlencode({"reference": queued["reference"], "plate": queued["plate"]})
    shown = page.locator(".share .link a")
    expect(shown).to_have_text(link)  # the whole address, plate included, for a message
    expect(shown).to_have_attribute("href", link)
    code = page.locator(".share svg.qr")
    expect(code).to_be_visible()
    expect(code.locator("title")).to_have_text("本页网址的二维码")
    # the QR code is segno's for exactly that link (same error correction, scale and quiet zone)
    expected = segno.make(link, error="m", micro=False).svg_inline(scale=5, border=4)
    assert code.locator("path").get_attribute("d") == re.search(r' d="([^"]+)"', expected).group(1)
    box = code.bounding_box()
    assert box["width"] >= 180 and box["x"] + box["width"] <= PHONE["width"]  # big enough to scan from paper
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shoot(page, "driver-share-zh")

    png = httpx.get(page.locator(".share a[download]").evaluate("a => a.href"))
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    made = io.BytesIO()
    segno.make(link, error="m", micro=False).save(made, kind="png", scale=8, border=4)
    assert png.content == made.getvalue()
    wrong = httpx.get(ui_node.url + "/driver/qr.png", params={"reference": queued["reference"], "plate": "29C-000.00"})
    assert wrong.status_code == 404 and not wrong.content.startswith(b"\x89PNG")  # no code for a wrong plate
