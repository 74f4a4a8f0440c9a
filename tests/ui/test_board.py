"""The public wait board on a wall screen: a row per gate and direction with waiting trucks,
measured waits, lanes open, notices and a 24-hour chart drawn on the server; at 1920x1080 every
gate-direction of the node is on the screen at once; no account needed."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from babel import dates
from playwright.sync_api import expect

from tests.support.declarations import green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, PHONE, UI, WALL, open_gate_now, plate_read, shoot

pytestmark = UI
WAITED_S = 25 * 60
GATE_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LOCALES = {"vi": "vi", "zh": "zh_Hans_CN", "en": "en_GB"}
IMPORT = {"vi": "Nhập khẩu", "zh": "进口", "en": "Import"}
NO_LANE = {"vi": "0 / 3 làn đang mở", "zh": "0 / 3 条通道开放", "en": "0 / 3 lanes open"}


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
    rows = page.locator("tr.gate-row")
    expect(rows).to_have_count(2)
    export = rows.filter(has_text="Xuất khẩu")
    assert int(export.locator(".waiting").inner_text()) >= 1
    expect(export.locator(".last-hour")).to_contain_text("phút")  # the median wait of the trucks called this hour
    chart = export.locator("svg.chart")
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("title").first).to_contain_text("24 giờ")
    expect(chart.locator("rect.bar").first).to_be_visible()
    expect(export.locator(".gate-status .badge")).to_have_text("Mở")  # a word, not a colour alone
    expect(export.locator(".lanes")).to_contain_text("/ 2")  # lanes open of Kim Thanh's two outbound lanes
    expect(page.locator("header .main-nav")).to_have_count(0)  # a public screen: no account menu

    page.goto(ui_node.url + "/board?lang=zh")
    expect(page.locator("tr.gate-row").first).to_be_visible()
    expect(page.locator("h1")).to_contain_text("口岸等候时间")
    for truck in called.json()["called"]:  # through the barrier: the shared node's lanes are free again
        assert plate_read(ui_node, plates[truck["crossing_id"]], lane=truck["lane"])["decision"] == "open"
    page.goto(ui_node.url + "/board?gate=KIMTHANH&lang=en")
    export = page.locator("tr.gate-row").filter(has_text="Export")
    # check-in to barrier exit of the trucks that just crossed, and the wait for one arriving now
    expect(export.locator(".crossed")).to_contain_text("min")
    expect(export.locator(".arriving")).to_have_attribute("data-label", "Wait if you arrive now")
    expect(export.locator(".arriving")).not_to_have_text("")


def within(page, box: dict | None, viewport: dict) -> bool:
    return box is not None and box["x"] >= 0 and box["y"] >= 0 and \
        box["x"] + box["width"] <= viewport["width"] and box["y"] + box["height"] <= viewport["height"]


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
def test_a_wall_screen_shows_every_gate_direction_of_the_node_at_once(ui_node, open_page, close_import, lang):
    close_import(2)  # the widest status, a gate closed until a date, is on the screen whatever the hour of the run
    page = open_page(viewport=WALL)
    page.goto(ui_node.url + f"/board?lang={lang}")
    rows = page.locator("tr.gate-row")
    expect(rows).to_have_count(2 * len(ui_node.ctx.node.gates))  # ten: five gates, both directions
    expect(page.locator(".pager")).to_be_hidden()  # nothing to page through
    expect(page.locator("h1 .sub")).to_have_text(
        {"vi": "Ban quản lý cửa khẩu biên giới Việt Nam", "zh": "越南边境口岸管理部门",
         "en": "Vietnam border-gate authority"}[lang])  # the node's own name, in the board's language
    shoot(page, "board" if lang == "vi" else f"board-{lang}", full_page=False)
    for i in range(rows.count()):
        row = rows.nth(i)
        expect(row).to_be_visible()
        assert within(page, row.bounding_box(), WALL), f"row {i} ({row.inner_text()[:40]!r}) is off the screen"
        assert within(page, row.locator(".badge").bounding_box(), WALL)
    assert page.evaluate("document.documentElement.scrollWidth") <= WALL["width"]
    assert page.evaluate("document.documentElement.scrollHeight") <= WALL["height"], "the board scrolls"


def shown_rows(page, screen: dict) -> list[str]:
    shown = page.locator("tr.gate-row:visible")
    ids = []
    for i in range(shown.count()):
        assert within(page, shown.nth(i).bounding_box(), screen), f"row {i} is off the screen"
        ids.append(shown.nth(i).get_attribute("id"))
    assert ids
    return ids


def test_rows_that_do_not_fit_a_smaller_screen_turn_page_by_page(ui_node, open_page):
    screen = {"width": 1280, "height": 600}
    page = open_page(viewport=screen)
    page.clock.install()
    refreshes = "**/board?*partial=1*"
    page.route(refreshes, lambda route: route.abort())  # the rows stay put while the pages are walked
    page.goto(ui_node.url + "/board?lang=en")
    pager = page.locator(".pager")
    expect(pager).to_be_visible()
    expect(pager).to_have_text(re.compile(r"Page 1 of [2-9]"))
    pages = int(pager.inner_text().rsplit(" ", 1)[1])
    on_page: dict[int, list[str]] = {}
    for number in range(1, pages + 1):
        expect(pager).to_have_text(f"Page {number} of {pages}")
        assert within(page, pager.bounding_box(), screen)
        on_page[number] = shown_rows(page, screen)
        page.clock.run_for(15_000)
    expect(pager).to_have_text(f"Page 1 of {pages}")  # round again
    seen = {row for rows in on_page.values() for row in rows}
    assert len(seen) == 2 * len(ui_node.ctx.node.gates), seen  # every row had its turn

    # new rows arrive every minute: the page on show stays on show
    page.unroute(refreshes)
    holder = page.locator("#board-rows")
    page.clock.run_for(-pages * 15_000 % 60_000 or 60_000)  # to the next minute
    expect(holder).to_have_attribute("data-refreshed", re.compile(r"\d+"))
    number = int(holder.get_attribute("data-page"))
    expect(pager).to_have_text(f"Page {number} of {pages}")
    assert shown_rows(page, screen) == on_page[number]


def test_on_a_phone_the_rows_stack_and_scroll_without_pages(ui_node, open_page):
    page = open_page(viewport=PHONE)
    page.goto(ui_node.url + "/board?lang=vi")
    expect(page.locator(".pager")).to_be_hidden()
    expect(page.locator("tr.gate-row:visible")).to_have_count(2 * len(ui_node.ctx.node.gates))
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    expect(page.locator("tr.gate-row").first.locator(".waiting")).to_have_attribute("data-label", "Xe đang chờ")


@pytest.fixture
def close_import(ui_node):
    """`close_import(days)`: Kim Thanh closed for imports from an hour ago until 10:00 that many
    days from today at the gate; the closures are withdrawn afterwards."""
    made = []

    def close(days: int):
        now = ui_node.clock.now()
        opens = (now.astimezone(GATE_ZONE) + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)
        with ui_node.client("supervisor") as supervisor:
            response = supervisor.post("/api/v1/gates/KIMTHANH/capacity-overrides", json={
                "direction": "inbound", "starts_at": (now - timedelta(hours=1)).isoformat(),
                "ends_at": opens.isoformat(), "trucks_per_hour": None, "reason": "UI test: closed for now"})
        assert response.status_code == 201, response.text
        made.append(response.json()["id"])
        return opens

    yield close
    with ui_node.client("supervisor") as supervisor:
        for override in made:
            supervisor.delete(f"/api/v1/capacity-overrides/{override}")


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
def test_a_closed_gate_says_when_it_opens(ui_node, open_page, close_import, lang):
    page = open_page(viewport=WALL)
    closed = page.locator("tr.gate-row").filter(has_text=IMPORT[lang])
    close_import(1)
    page.goto(ui_node.url + f"/board?gate=KIMTHANH&lang={lang}")
    expect(closed.locator(".gate-status .badge")).to_have_text(
        {"vi": "Đóng cửa, mở lúc 10:00 ngày mai", "zh": "已关闭，明天 10:00 开放", "en": "Closed, opens 10:00 tomorrow"}[lang])
    expect(closed.locator(".lanes")).to_contain_text(NO_LANE[lang])
    expect(closed.locator(".notice-closure")).to_contain_text("UI test: closed for now")  # as written

    opens = close_import(2)  # the day after tomorrow: the date, in the language's own form
    day = dates.format_skeleton("MMMd", opens, tzinfo=GATE_ZONE, locale=LOCALES[lang])
    page.goto(ui_node.url + f"/board?gate=KIMTHANH&lang={lang}")
    expect(closed.locator(".gate-status .badge")).to_have_text(
        {"vi": f"Đóng cửa, mở lúc 10:00 ngày {day}", "zh": f"已关闭，{day} 10:00 开放", "en": f"Closed, opens 10:00 on {day}"}[lang])
