"""The public wait board on a wall screen: per gate and direction, waiting trucks, measured
waits and a 24-hour chart drawn on the server; no account needed."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import dates
from playwright.sync_api import expect

from tests.support.declarations import green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, UI, WALL, open_gate_now, plate_read, shoot

pytestmark = UI
WAITED_S = 25 * 60
GATE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LOCALES = {"vi": "vi", "zh": "zh_Hans_CN", "en": "en"}
IMPORT = {"vi": "Nhập khẩu", "zh": "进口", "en": "Import"}
NO_LANE = {"vi": "0 làn đang mở", "zh": "0 条通道开放", "en": "0 lanes open"}


def check_in(node) -> dict:
    with node.client("declarant", DECLARANT_TAX_ID) as declarant:
        truck = declarant.post("/api/v1/crossings", json=green_cargo()).json()
    assert plate_read(node, truck["plate"], lane="YARD-IN", kind="yard_entry")["decision"] == "open"
    return truck


def test_the_wait_board_shows_measured_waits_with_their_chart(ui_node, open_page):
    open_gate_now(ui_node)
    plates = {truck["id"]: truck["plate"] for truck in (check_in(ui_node) for _ in range(3))}
    ui_node.clock.offset += WAITED_S  # the node's clock only moves forward: later tests see a later time
    with ui_node.client("gate_operator") as operator:
        called = operator.post("/api/v1/yard/call-forward", params={"gate": "KIMTHANH", "direction": "outbound"})
    assert called.status_code == 200 and called.json()["called"], called.text
    check_in(ui_node)  # one more truck, still waiting

    page = open_page(viewport=WALL)
    page.goto(ui_node.url + "/board?gate=KIMTHANH&lang=vi")
    cards = page.locator("article.gate-card")
    expect(cards).to_have_count(2)
    export = cards.filter(has_text="Xuất khẩu")
    numbers = export.locator(".numbers dd")
    assert int(numbers.nth(0).inner_text()) >= 1
    expect(numbers.nth(2)).to_contain_text("phút")  # the median wait of the trucks called this hour
    chart = export.locator("svg.chart")
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("title").first).to_contain_text("24 giờ")
    expect(chart.locator("rect.bar").first).to_be_visible()
    expect(export.locator(".gate-status .badge")).to_have_text("Mở")  # a word, not a colour alone
    expect(page.locator("header .main-nav")).to_have_count(0)  # a public screen: no account menu
    shoot(page, "board", full_page=False)

    page.goto(ui_node.url + "/board?lang=zh")
    expect(page.locator("article.gate-card").first).to_be_visible()
    expect(page.locator("h1")).to_contain_text("口岸等候时间")
    for truck in called.json()["called"]:  # through the barrier: the shared node's lanes are free again
        assert plate_read(ui_node, plates[truck["crossing_id"]], lane=truck["lane"])["decision"] == "open"
    page.goto(ui_node.url + "/board?gate=KIMTHANH&lang=en")
    export = page.locator("article.gate-card").filter(has_text="Export")
    # check-in to barrier exit of the trucks that just crossed, and the wait for one arriving now
    expect(export.locator(".numbers .crossed dd")).to_contain_text("min")
    expect(export.locator(".numbers .arriving dt")).to_have_text("Wait if you arrive now")
    expect(export.locator(".numbers .arriving dd")).not_to_have_text("")


@pytest.fixture
def import_closed_until_tomorrow(ui_node):
    """Kim Thanh closed for imports from an hour ago until 10:00 tomorrow at the gate."""
    now = ui_node.clock.now()
    opens = (now.astimezone(GATE_ZONE) + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)
    with ui_node.client("supervisor") as supervisor:
        response = supervisor.post("/api/v1/gates/KIMTHANH/capacity-overrides", json={
            "direction": "inbound", "starts_at": (now - timedelta(hours=1)).isoformat(),
            "ends_at": opens.isoformat(), "trucks_per_hour": None, "reason": "UI test: closed until tomorrow"})
        assert response.status_code == 201, response.text
        yield opens
        supervisor.delete(f"/api/v1/capacity-overrides/{response.json()['id']}")


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
def test_a_closed_gate_says_when_it_opens(ui_node, open_page, import_closed_until_tomorrow, lang):
    opens = import_closed_until_tomorrow
    day = dates.format_skeleton("MMMd", opens, tzinfo=GATE_ZONE, locale=LOCALES[lang])
    words = {"vi": f"Đóng cửa, mở lúc 10:00 ngày {day}", "zh": f"已关闭，{day} 10:00 开放",
             "en": f"Closed, opens 10:00 on {day}"}[lang]
    page = open_page(viewport=WALL)
    page.goto(ui_node.url + f"/board?gate=KIMTHANH&lang={lang}")
    closed = page.locator("article.gate-card").filter(has_text=IMPORT[lang])
    expect(closed.locator(".gate-status .badge")).to_have_text(words)
    expect(closed.locator(".gate-status")).to_contain_text(NO_LANE[lang])
