"""A Hikvision camera's push, with its plate and scene pictures, moves a truck through the lane's
barrier, and the officer sees the pictures: on the crossing's page and in the review queue."""

from __future__ import annotations

import hashlib
import time

from playwright.sync_api import expect
from sqlalchemy import select

from borderflow.store import tables as t
from tests.devices.support import camera, fixture, hikvision_multipart, hikvision_xml, image, register
from tests.support.declarations import green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, UI, shoot, sign_in

pytestmark = UI
LIVE = 8000


def test_a_hikvision_push_moves_the_truck_through_the_barrier_and_its_pictures_show(ui_node, open_page):
    register(ui_node, "simulated", lane="OUT-2")
    key = register(ui_node, "hikvision", lane="OUT-2")
    with ui_node.client("declarant", DECLARANT_TAX_ID) as declarant:
        truck = declarant.post("/api/v1/crossings", json=green_cargo()).json()
    head, tail = truck["plate"].split("-")
    content_type, body = hikvision_multipart(hikvision_xml(plate=f"{head}\n{tail}"))
    with camera(ui_node, key) as cam:
        answer = cam.post("/api/v1/devices/hikvision/events", content=body,
                          headers={"Content-Type": content_type}).json()
    assert answer["decision"] == "open" and answer["crossing_id"] == truck["id"], answer
    deadline = time.monotonic() + 5
    while True:
        with ui_node.ctx.engine.connect() as conn:
            state = conn.execute(select(t.barrier_commands.c.state).where(
                t.barrier_commands.c.gate_event_id == answer["id"])).scalar()
        if state == "confirmed" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert state == "confirmed"

    page = open_page()
    sign_in(page, ui_node, "gate_operator")
    devices = page.locator("#panel-devices")
    expect(devices.locator("tr[data-status=ok]").first).to_be_visible(timeout=LIVE)
    page.goto(f"{ui_node.url}/console/crossings/{truck['id']}")
    expect(page.locator(".status-exited, [data-status=exited]").first).to_be_visible()
    plate_sha = hashlib.sha256(image("plate_vn_two_line.jpg")).hexdigest()
    picture = page.locator(f"figure[data-sha256='{plate_sha}'] img")
    expect(picture).to_be_visible()
    assert picture.evaluate("img => img.complete && img.naturalWidth > 0")
    expect(page.locator("#h-evidence")).to_have_text("Camera images")
    shoot(page, "console-evidence")

    unread_type, unread = hikvision_multipart(fixture("hikvision/anpr_no_plate.xml"),
                                              {"detectionPicture.jpg": image("plate_cn_trailer.jpg")})
    with camera(ui_node, key) as cam:
        held = cam.post("/api/v1/devices/hikvision/events", content=unread,
                        headers={"Content-Type": unread_type}).json()
    assert held["decision"] == "hold"
    page.goto(f"{ui_node.url}/console?gate=KIMTHANH&direction=export")
    review = page.locator(f"#panel-reviews li[data-event='{held['id']}']")
    expect(review.locator("figure img")).to_be_visible(timeout=LIVE)
    assert review.locator("figure img").evaluate("img => img.complete && img.naturalWidth > 0")
    shoot(page, "console-review-evidence")


def test_the_pictures_are_not_served_to_a_declarant(ui_node, open_page):
    sha = hashlib.sha256(image("scene.jpg")).hexdigest()
    page = open_page()
    sign_in(page, ui_node, "declarant", DECLARANT_TAX_ID)
    response = page.goto(f"{ui_node.url}/console/evidence/{sha}")
    assert response.status == 403
