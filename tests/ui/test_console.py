"""The officer console in a browser: a truck moves through it as the yard camera and the lane
cameras report, pushed by server-sent events; officers inspect, resolve reads and release holds."""

from __future__ import annotations

import re
import httpx
import pytest
from playwright.sync_api import expect

from tests.support.declarations import declaration, green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, UI, open_gate_now, plate_read, shoot, sign_in

pytestmark = UI
LIVE = 8000  # ms: a pushed update arrives within about a second


def declare(node, body: dict) -> dict:
    with node.client("declarant", DECLARANT_TAX_ID) as declarant:
        response = declarant.post("/api/v1/crossings", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_a_truck_moves_through_the_console_as_plate_reads_arrive(ui_node, open_page):
    truck = declare(ui_node, declaration())  # durian: yellow lane, documents checked at the gate
    ref = truck["reference"]
    page = open_page()
    sign_in(page, ui_node, "supervisor")
    expect(page.locator("#live-state")).to_have_attribute("data-live", "1", timeout=LIVE)
    crossings = page.locator("#panel-crossings")
    expect(crossings.locator(f"li[data-reference='{ref}'][data-status=declared]")).to_be_visible()
    expect(crossings.locator(f"li[data-reference='{ref}']")).to_contain_text("HS 0810.60 (durian)")

    entry = plate_read(ui_node, truck["plate"], lane="YARD-IN", kind="yard_entry")
    assert entry["decision"] == "open", entry
    yard = page.locator("#panel-yard")
    expect(yard.locator(f"tr[data-reference='{ref}']")).to_be_visible(timeout=LIVE)

    open_gate_now(ui_node)
    yard.get_by_role("button", name="Call forward now").click()
    expect(page.locator(".flash-ok")).to_contain_text("Trucks called forward")
    called = page.locator("#panel-yard table").first.locator(f"tr[data-reference='{ref}']")
    expect(called).to_be_visible()
    lane = called.locator("td").nth(2).inner_text().strip()
    assert re.fullmatch(r"OUT-\d", lane), lane
    shoot(page, "console-yard")

    misread = truck["plate"].replace("1", "I", 1) if "1" in truck["plate"] else truck["plate"]
    first = plate_read(ui_node, misread, lane=lane)
    assert first["decision"] == "hold" and first["crossing_id"] == truck["id"], first
    expect(crossings.locator(f"li[data-reference='{ref}'][data-status=arrived]")).to_be_visible(timeout=LIVE)
    expect(page.locator("#panel-lanes")).to_contain_text("waiting for the sign-off of customs", timeout=LIVE)
    shoot(page, "console")

    crossings.locator(f"li[data-reference='{ref}'] a").click()
    page.get_by_label("Kind of check").select_option("document")
    page.get_by_label("Notes").fill("phytosanitary certificate and Form E verified")
    page.get_by_role("button", name="Save the result").click()
    expect(page.locator(".flash-ok")).to_contain_text("Inspection recorded")
    assert plate_read(ui_node, truck["plate"], lane=lane)["decision"] == "open"
    page.reload()
    expect(page.locator(".crossing-head .status")).to_have_text("Crossed")
    expect(page.locator("table.signoffs tr[data-agency=customs]")).to_contain_text("Passed")
    expect(page.locator(".timeline")).to_contain_text("Crossed the barrier")
    shoot(page, "console-crossing")


def test_an_unmatched_plate_read_is_resolved_from_the_console(ui_node, open_page):
    page = open_page()
    sign_in(page, ui_node, "gate_operator")
    expect(page.locator("section.panel").first).to_have_attribute("aria-labelledby", "h-yard")
    expect(page.locator("#live-state")).to_have_attribute("data-live", "1", timeout=LIVE)
    unknown = plate_read(ui_node, "24C-I7X.9Z")  # nothing declared under anything like it
    assert unknown["decision"] == "hold" and unknown["crossing_id"] is None
    review = page.locator(f"#panel-reviews li[data-event='{unknown['id']}']")
    expect(review).to_be_visible(timeout=LIVE)
    expect(review).to_contain_text("No declaration matches")

    truck = declare(ui_node, green_cargo())  # the driver shows papers for this crossing
    review.get_by_label(re.compile("Reference of the crossing")).fill(truck["reference"])
    review.get_by_role("button", name="Confirm and decide").click()
    expect(page.locator(".flash-ok")).to_contain_text("Plate read confirmed")
    expect(page.locator(".flash-ok")).to_contain_text("Crossed")
    expect(page.locator(f"#panel-reviews li[data-event='{unknown['id']}']")).to_have_count(0)


def test_a_held_truck_is_released_from_the_holds_panel(ui_node, open_page):
    truck = declare(ui_node, green_cargo())
    page = open_page()
    sign_in(page, ui_node, "supervisor")
    page.goto(ui_node.url + f"/console/crossings/{truck['id']}")
    page.get_by_label("Hold reason").fill("seal number differs from the declaration")
    page.get_by_role("button", name="Hold", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("Held")
    expect(page.locator(".hold-reason").first).to_contain_text("seal number differs")

    page.goto(ui_node.url + "/console")
    hold = page.locator(f"#panel-holds li[data-reference='{truck['reference']}']")
    expect(hold).to_contain_text("seal number differs")
    hold.get_by_label("Note").fill("seal re-checked: number typed wrong")
    hold.get_by_role("button", name="Release").click()
    expect(page.locator(".flash-ok")).to_contain_text("Released")
    expect(page.locator(f"#panel-holds li[data-reference='{truck['reference']}']")).to_have_count(0)


@pytest.mark.parametrize("role, has_reviews", [("quarantine", False), ("customs", True)])
def test_each_role_sees_the_panels_it_needs(ui_node, role, has_reviews):
    with httpx.Client(base_url=ui_node.url, follow_redirects=True) as browser_less:
        form = browser_less.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
        console = browser_less.post("/login", data={"csrf": csrf, "key": ui_node.key(role)})
    assert console.url.path == "/console"
    assert ('id="panel-reviews"' in console.text) is has_reviews
    assert 'id="panel-holds"' in console.text
