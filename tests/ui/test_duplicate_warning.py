"""The portal tells a declarant, in its own language, that the truck it just declared already has
an active declaration, names that one's reference and links it; the new crossing is created."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.support.declarations import declaration, fresh_container, fresh_plate
from tests.ui.browser import DECLARANT_TAX_ID, UI, fill_declaration, shoot, sign_in
from tests.ui.test_languages import english_sentences

pytestmark = UI


def test_declaring_the_same_plate_again_warns_in_vietnamese_with_the_first_reference(ui_node, open_page):
    plate = fresh_plate()
    with ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        response = declarant.post("/api/v1/crossings", json=declaration(
            vehicle__plate=plate, containers=[{"number": fresh_container(), "size_type": "45R1"}]))
    assert response.status_code == 201, response.text
    first = response.json()

    page = open_page(lang="vi")
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    page.goto(ui_node.url + "/portal/declare")
    fill_declaration(page, declaration(vehicle__plate=plate,
                                       containers=[{"number": fresh_container(), "size_type": "45R1"}]))
    page.locator("form button[type=submit].primary").click()
    page.wait_for_url(re.compile(r"/portal/crossings/"))
    assert first["id"] not in page.url  # a crossing of its own was created

    expect(page.locator(".flash-ok")).to_be_visible()
    warning = page.locator(".flash-warning").filter(has_text=first["reference"])
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("đã có tờ khai đang hiệu lực")
    expect(warning).to_contain_text(plate)
    assert english_sentences(warning.inner_text()) == []
    assert "active declaration" not in warning.inner_text()
    link = warning.get_by_role("link", name=first["reference"])
    expect(link).to_have_attribute("href", f"/portal/crossings/{first['id']}")
    shoot(page, "portal-duplicate-warning-vi")

    link.click()
    page.wait_for_url(re.compile(re.escape(f"/portal/crossings/{first['id']}")))
    expect(page.locator(".crossing-head")).to_contain_text(first["reference"])
    expect(page.locator(".flash-warning")).to_have_count(0)  # said once, on the page it was for
