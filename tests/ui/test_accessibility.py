"""Accessibility basics on every screen: a language, labelled controls, images with text
alternatives, and WCAG contrast (≥ 4.5:1) of the text and of every risk-lane badge."""

from __future__ import annotations

import re

import pytest

from tests.support.declarations import declaration
from tests.ui.browser import DECLARANT_TAX_ID, PHONE, UI, WALL, shoot, sign_in

pytestmark = UI
AA = 4.5

UNLABELLED = """() => Array.from(document.querySelectorAll('input, select, textarea'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length))
  .filter(el => !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""
NO_ALT = """() => [...Array.from(document.querySelectorAll('img:not([alt])')).map(el => el.src),
  ...Array.from(document.querySelectorAll('svg[role=img]'))
     .filter(el => !el.querySelector('title') && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
     .map(el => 'svg')]"""
COLOURS = """(selectors) => selectors.flatMap(sel => Array.from(document.querySelectorAll(sel)).slice(0, 3).map(el => {
  let bg = null;
  for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
    const c = getComputedStyle(node).backgroundColor;
    if (c && c !== 'transparent' && !/rgba\\(.*, 0\\)$/.test(c)) { bg = c; break; }
  }
  return {sel: sel, fg: getComputedStyle(el).color, bg: bg || 'rgb(255, 255, 255)'};
}))"""
TEXT = ["h1", "main p", "label", "th", "td", ".muted", ".hint", ".error:not([hidden])", ".flash", "a",
        "button", ".badge", ".status", ".lane-green", ".lane-blue", ".lane-yellow", ".lane-red", ".numbers dd",
        ".numbers dt", ".chart .tick", "figcaption", ".hold-reason", ".cause", ".board-table .big",
        ".board-table .sub", ".board-table .notice", ".pager"]


def luminance(css: str) -> float:
    r, g, b = (int(x) for x in re.findall(r"\d+", css)[:3])

    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(fg: str, bg: str) -> float:
    a, b = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def check(page, name: str) -> set[str]:
    assert page.locator("html").get_attribute("lang") in ("vi", "zh-Hans", "en"), name
    assert page.locator("main h1").count() == 1, f"{name}: one h1"
    assert page.evaluate(UNLABELLED) == [], f"{name}: controls without a label"
    assert page.evaluate(NO_ALT) == [], f"{name}: images without a text alternative"
    seen = set()
    for pair in page.evaluate(COLOURS, TEXT):
        if pair["sel"] == ".chart .tick":  # SVG text: its colour is the fill
            pair["fg"] = page.evaluate("() => getComputedStyle(document.querySelector('.chart .tick')).fill")
        ratio = contrast(pair["fg"], pair["bg"])
        assert ratio >= AA, f"{name}: {pair['sel']} {pair['fg']} on {pair['bg']} is {ratio:.2f}:1"
        seen.add(pair["sel"])
    return seen


@pytest.fixture(scope="module")
def crossing(ui_node):
    with ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        return declarant.post("/api/v1/crossings", json=declaration()).json()


def test_public_screens(ui_node, open_page, crossing):
    page = open_page(viewport=PHONE)
    for path in ("/login", "/driver", f"/driver?reference={crossing['reference']}&plate={crossing['plate']}"):
        page.goto(ui_node.url + path)
        check(page, path)
        if path == "/login":
            shoot(page, "login")
    wall = open_page(viewport=WALL)
    wall.goto(ui_node.url + "/board?gate=KIMTHANH")
    assert ".board-table .big" in check(wall, "/board")


def test_declarant_screens(ui_node, open_page, crossing):
    page = open_page()
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    for path in ("/portal", "/portal/declare", f"/portal/crossings/{crossing['id']}",
                 f"/portal/crossings/{crossing['id']}/amend"):
        page.goto(ui_node.url + path)
        check(page, path)
    page.goto(ui_node.url + "/portal/declare")
    page.get_by_role("button", name="Send the declaration").click()  # every required field missing
    assert ".error:not([hidden])" in check(page, "declaration with errors")


def test_officer_screens_and_every_lane_badge(ui_node, open_page, crossing):
    page = open_page()
    sign_in(page, ui_node, "supervisor")
    seen = check(page, "/console")
    assert {".lane-green", ".lane-blue", ".lane-yellow", ".lane-red"} <= seen  # the matrix heads name all four
    for lane in ("green", "blue", "yellow", "red"):
        assert page.locator(f".lane-{lane}").first.inner_text().strip(), f"the {lane} badge has words"
    page.goto(ui_node.url + f"/console/crossings/{crossing['id']}")
    check(page, "/console/crossings")
    page.goto(ui_node.url + f"/console/search?q={crossing['reference']}")
    check(page, "/console/search")
