"""The declarant's crossings list on a 390 px phone: every crossing a card, every value under its
name, nothing scrolls sideways, the plate a link big enough for a thumb."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.declarations import green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, PHONE, UI, shoot, sign_in

pytestmark = UI
LABELS = {"vi": ("Trạng thái", "Cửa khẩu"), "zh": ("状态", "口岸"), "en": ("Status", "Gate")}


@pytest.fixture(scope="module")
def declared(ui_node):
    with ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        created = [declarant.post("/api/v1/crossings", json=green_cargo()) for _ in range(2)]
    assert all(c.status_code == 201 for c in created), [c.text for c in created]
    return [c.json() for c in created]


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
def test_the_crossings_list_fits_a_phone(ui_node, open_page, declared, lang):
    page = open_page(viewport=PHONE)
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    page.goto(ui_node.url + f"/portal?lang={lang}")
    for truck in declared:
        card = page.locator(f"tr[data-reference='{truck['reference']}']")
        expect(card).to_be_visible()
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
        plate = card.locator("td.plate-cell a")
        expect(plate).to_have_text(truck["plate"])
        assert plate.bounding_box()["height"] >= 44  # a target for a thumb
        status, gate = LABELS[lang]
        # each value is read under its name: the table's header row is not shown on a phone
        assert card.locator("td[data-label]").nth(1).evaluate("td => getComputedStyle(td, '::before').content") \
            == f'"{status}"'
        expect(card.locator(f"td[data-label='{gate}']")).to_be_visible()
        for cell in card.locator("td").all():
            cell_box = cell.bounding_box()
            assert cell_box["x"] + cell_box["width"] <= PHONE["width"], cell.inner_text()
    expect(page.locator("table.crossings-list thead")).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "the list scrolls sideways"
    search = page.locator("form.search input[name=plate]").bounding_box()
    assert search["x"] + search["width"] <= PHONE["width"]
    shoot(page, f"portal-list-phone-{lang}")

    page.locator(f"tr[data-reference='{declared[0]['reference']}'] td.plate-cell a").click()
    expect(page).to_have_url(f"{ui_node.url}/portal/crossings/{declared[0]['id']}")
