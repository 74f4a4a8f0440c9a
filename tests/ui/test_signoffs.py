"""Each agency's sign-off queue in the officer console, the sign-offs on a crossing's page, the
partner's announced capacity (and what the console says when it is stale), and a supervisor
calling one waiting truck forward at once. The test rules (tests/support/rules.toml) make
bananas (HS 0803) need the plant quarantine and border guard sign-offs, chillies (HS 070960) a
quarantine inspection that refuses on failure, and a yellow lane customs' document check."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import delete, insert, update

from borderflow.store import tables as t
from borderflow.web.i18n import Formats
from tests.support.declarations import declaration, green_cargo
from tests.ui.browser import DECLARANT_TAX_ID, UI, plate_read, shoot, sign_in

pytestmark = UI
LIVE = 8000  # ms: a pushed update arrives within about a second
BANANAS = {"hs_code": "08039000", "description": "Fresh Cavendish bananas", "packages": 1400, "gross_kg": 19600,
           "net_kg": 18200, "value": 9100, "currency": "USD", "origin": "VN", "perishable": True,
           "planting_area_code": "VNLC0088", "packing_house_code": "VNPH0112"}
CHILLIES = {"hs_code": "07096010", "description": "Fresh red chillies", "packages": 600, "gross_kg": 9000,
            "net_kg": 8400, "value": 12600, "currency": "USD", "origin": "VN", "perishable": True}
DURIAN = declaration()["goods"][0]
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")  # Kim Thanh's time zone: the console shows its times in it


def declare(node, *goods: dict) -> dict:
    with node.client("declarant", DECLARANT_TAX_ID) as declarant:
        response = declarant.post("/api/v1/crossings", json=declaration(goods=list(goods)))
    assert response.status_code == 201, response.text
    return response.json()


def read(node, crossing_id: str) -> dict:
    with node.client("supervisor") as supervisor:
        response = supervisor.get(f"/api/v1/crossings/{crossing_id}")
    assert response.status_code == 200, response.text
    return response.json()


def signoff(view: dict, agency: str) -> dict:
    return next(s for s in view["signoffs"] if s["agency"] == agency)


def queue_row(page, truck: dict):
    return page.locator(f"#panel-signoffs tr[data-reference='{truck['reference']}']")


def test_a_quarantine_officer_passes_a_banana_truck_from_the_queue(ui_node, open_page):
    page = open_page()
    sign_in(page, ui_node, "quarantine")
    expect(page.locator("section.panel").first).to_have_attribute("aria-labelledby", "h-signoffs")
    expect(page.locator("#h-signoffs")).to_have_text("Waiting for my sign-off")
    expect(page.locator("#live-state")).to_have_attribute("data-live", "1", timeout=LIVE)

    truck = declare(ui_node, BANANAS)
    assert truck["risk_lane"] == "green" and truck["pending_signoffs"] == ["quarantine", "border_guard"], truck
    row = queue_row(page, truck)
    expect(row).to_be_visible(timeout=LIVE)  # pushed to the open console
    expect(row).to_contain_text("Document check")
    expect(row).to_contain_text("bananas: plant quarantine checks the certificate")
    expect(row).to_contain_text("Not at the yard yet")
    plate_read(ui_node, truck["plate"], lane="YARD-IN", kind="yard_entry")
    expect(row).to_have_attribute("data-where", "yard", timeout=LIVE)
    expect(row).to_contain_text("In the yard")

    chillies = declare(ui_node, CHILLIES)  # a physical inspection, refused on failure
    chilli_row = queue_row(page, chillies)
    expect(chilli_row).to_contain_text("Physical inspection", timeout=LIVE)
    expect(chilli_row).to_contain_text("a failure refuses the truck")
    rows = page.locator("#panel-signoffs tr.queue-row")
    references = [rows.nth(i).get_attribute("data-reference") for i in range(rows.count())]
    assert references.index(truck["reference"]) < references.index(chillies["reference"]), \
        "a truck in the yard comes before one not arrived yet"
    shoot(page, "console-signoffs")

    row.get_by_role("button", name="Pass", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("Inspection recorded")
    expect(queue_row(page, truck)).to_have_count(0)
    view = read(ui_node, truck["id"])
    assert signoff(view, "quarantine")["status"] == "passed" and signoff(view, "quarantine")["done"] == "document"
    assert view["pending_signoffs"] == ["border_guard"]

    page.goto(ui_node.url + f"/console/crossings/{truck['id']}")
    signoffs = page.locator("table.signoffs")
    expect(signoffs.locator("tr[data-agency=quarantine]")).to_contain_text("Passed")
    expect(signoffs.locator("tr[data-agency=quarantine]")).to_contain_text("quarantine:test-quarantine")
    expect(signoffs.locator("tr[data-agency=border_guard]")).to_contain_text("Waiting")
    expect(page.locator("#h-signoffs + p")).to_contain_text("Border guard")


def test_customs_sees_a_banana_truck_only_when_its_lane_asks_for_customs(ui_node, open_page):
    green = declare(ui_node, BANANAS)
    half = {"packages": 600, "gross_kg": 12000, "net_kg": 11000}
    yellow = declare(ui_node, {**DURIAN, **half}, {**BANANAS, **half})  # durian: yellow lane, customs checks
    assert (green["risk_lane"], yellow["risk_lane"]) == ("green", "yellow")
    assert yellow["pending_signoffs"] == ["customs", "quarantine", "border_guard"], yellow
    page = open_page()
    sign_in(page, ui_node, "customs")
    expect(queue_row(page, yellow)).to_contain_text("yellow lane: customs checks the documents")
    expect(queue_row(page, green)).to_have_count(0)
    at_lane = plate_read(ui_node, yellow["plate"], lane="OUT-2")  # the barrier waits for the sign-offs
    assert at_lane["decision"] == "hold" and "sign-off" in at_lane["reason"], at_lane
    expect(queue_row(page, yellow)).to_have_attribute("data-where", "gate", timeout=LIVE)
    expect(queue_row(page, yellow)).to_contain_text("At the gate")
    places = page.locator("#panel-signoffs tr.queue-row").evaluate_all("rows => rows.map(r => r.dataset.where)")
    assert places == sorted(places, key=lambda where: where == "not_arrived"), "trucks here come first"

    supervisor = open_page()
    sign_in(supervisor, ui_node, "supervisor")
    expect(supervisor.locator("#h-signoffs")).to_have_text("Waiting for the sign-off of Customs")
    expect(queue_row(supervisor, green)).to_have_count(0)
    supervisor.get_by_label("Agency").select_option("quarantine")
    supervisor.locator(".panel-signoffs").get_by_role("button", name="Show").click()
    expect(supervisor.locator("#h-signoffs")).to_have_text("Waiting for the sign-off of Plant quarantine")
    row = queue_row(supervisor, green)
    expect(row).to_be_visible()
    row.get_by_role("button", name="Pass", exact=True).click()  # on behalf of plant quarantine
    expect(supervisor.locator(".flash-ok")).to_contain_text("Inspection recorded")
    assert "agency=quarantine" in supervisor.url  # back on the queue it picked
    expect(queue_row(supervisor, green)).to_have_count(0)
    passed = signoff(read(ui_node, green["id"]), "quarantine")
    assert passed["status"] == "passed" and passed["by"] == "supervisor:test-supervisor", passed


def test_failing_a_sign_off_asks_for_a_note_and_holds_the_truck(ui_node, open_page):
    truck = declare(ui_node, BANANAS)
    page = open_page()
    sign_in(page, ui_node, "border_guard")
    row = queue_row(page, truck)
    expect(row).to_contain_text("bananas: the border guard checks vehicle and driver")
    row.get_by_role("button", name="Fail", exact=True).click()  # no note yet: the browser asks for one
    note = row.get_by_label("What failed")
    assert note.evaluate("el => el.validity.valueMissing")
    assert read(ui_node, truck["id"])["status"] == "declared"

    note.fill("driver's passport does not match the declared driver")
    row.get_by_role("button", name="Fail", exact=True).click()
    expect(page.locator(".flash-ok")).to_contain_text("Held")
    view = read(ui_node, truck["id"])
    assert view["status"] == "held", view["status"]
    failed = signoff(view, "border_guard")
    assert failed["status"] == "failed" and failed["notes"] == "driver's passport does not match the declared driver"
    row = queue_row(page, truck)  # still waiting for this agency: it may check again
    expect(row.locator(".signoff-failed")).to_have_text("Failed")
    expect(row.locator(".status")).to_have_text("Held")
    expect(row).to_have_attribute("data-where", "not_arrived")  # held before it came to the gate
    expect(page.locator(f"#panel-holds li[data-reference='{truck['reference']}']")).to_contain_text(
        "driver's passport does not match")


def test_failing_without_a_note_is_refused_by_the_node_too(ui_node, open_page):
    """The same form sent without the browser's check (an old browser, a script) changes nothing."""
    truck = declare(ui_node, BANANAS)
    page = open_page()
    sign_in(page, ui_node, "quarantine")
    form = queue_row(page, truck).locator("form").filter(has=page.get_by_label("What failed"))
    fields = {name: form.locator(f"input[name={name}]").get_attribute("value")
              for name in ("csrf", "token", "next", "agency", "kind", "result")}
    assert fields["result"] == "failed" and fields["kind"] == "document" and fields["agency"] == "quarantine"
    answer = page.request.post(ui_node.url + f"/console/crossings/{truck['id']}/inspect",
                               form={**fields, "notes": " "}, max_redirects=0)
    assert answer.status == 303
    page.goto(ui_node.url + answer.headers["location"])
    expect(page.locator(".flash-error")).to_contain_text("say in a few words what failed")
    assert read(ui_node, truck["id"])["status"] == "declared"
    expect(queue_row(page, truck)).to_be_visible()


def _notice(now, *, issued, trucks: list[int]) -> dict:
    first = now.replace(minute=0, second=0, microsecond=0)
    return dict(partner="CN-BORDER", gate="HEKOU", facing_gate="KIMTHANH", issued_at=issued, received_at=issued,
                notice={"gate": "HEKOU", "direction": "inbound", "issued_at": issued.isoformat(),
                        "hours": [{"start": (first + timedelta(hours=i)).isoformat(), "trucks": n}
                                  for i, n in enumerate(trucks)],
                        "closures": [{"start": (first + timedelta(hours=30)).isoformat(), "end": None,
                                      "reason": "Hekou: road works on the bridge approach"}]})


@pytest.fixture
def partner_notice(ui_node):
    """Write the partner's capacity notice as the inbox would; gone again afterwards, so the other
    tests keep the generous fallback rate."""
    c = t.partner_capacity.c

    def put(**values) -> None:
        with ui_node.ctx.engine.begin() as conn:
            conn.execute(delete(t.partner_capacity).where(c.partner == "CN-BORDER", c.gate == "HEKOU"))
            conn.execute(insert(t.partner_capacity).values(**_notice(ui_node.clock.now(), **values)))

    yield put
    with ui_node.ctx.engine.begin() as conn:
        conn.execute(delete(t.partner_capacity).where(c.partner == "CN-BORDER", c.gate == "HEKOU"))


def test_the_partner_capacity_panel_warns_when_the_notice_is_stale(ui_node, open_page, partner_notice):
    now = ui_node.clock.now()
    issued = now - timedelta(hours=1)
    partner_notice(issued=issued, trucks=[40, 40, 36, 30])
    page = open_page()
    sign_in(page, ui_node, "supervisor")
    notice = page.locator("#panel-capacity .partner-notice[data-partner-gate=HEKOU]")
    since = Formats("en", HANOI).clock(issued + ui_node.ctx.yard.partner_notice_max_age)
    expect(notice.locator(".warning")).to_have_text(
        f"Partner capacity unknown since {since} — calling forward at most 10,000 trucks/h")
    expect(notice).to_contain_text(re.compile(r"Announced 6\d mins? ago"))
    expect(notice).to_contain_text("out of date, not counted")
    expect(notice).to_contain_text("Hekou: road works on the bridge approach")
    expect(notice).to_contain_text("until further notice")
    expect(page.locator("#panel-capacity table.hours tbody tr").first.locator("td").nth(2)).to_have_text("40 *")
    expect(page.locator("#panel-capacity .hint")).to_contain_text("fallback rate")

    page.goto(ui_node.url + "/console?lang=zh")
    zh_since = Formats("zh", HANOI).clock(issued + ui_node.ctx.yard.partner_notice_max_age)
    expect(notice.locator(".warning")).to_have_text(f"自{zh_since}起对方接收能力未知——每小时最多叫号10,000辆")
    expect(notice).to_contain_text("对方公布的关闭安排")
    page.goto(ui_node.url + "/console?lang=vi")
    expect(notice.locator(".warning")).to_contain_text("Không rõ năng lực tiếp nhận của phía bạn")
    expect(notice.locator(".warning")).to_contain_text("tối đa 10.000 xe/giờ")

    page.goto(ui_node.url + "/console?lang=en")
    expect(page.locator("#live-state")).to_have_attribute("data-live", "1", timeout=LIVE)
    with ui_node.ctx.engine.begin() as conn:  # a fresh notice arrives: pushed to the open console
        fresh = _notice(ui_node.clock.now(), issued=ui_node.clock.now() - timedelta(minutes=4), trucks=[28, 32, 36, 36])
        conn.execute(update(t.partner_capacity).where(t.partner_capacity.c.gate == "HEKOU").values(
            issued_at=fresh["issued_at"], received_at=fresh["received_at"], notice=fresh["notice"]))
    expect(notice.locator(".warning")).to_have_count(0, timeout=LIVE)
    expect(notice).to_contain_text(re.compile(r"Announced 4 mins? ago"))
    expect(notice.locator("table.partner-hours tbody td")).to_have_text(["28", "32", "36", "36"])
    expect(page.locator("#panel-capacity table.hours tbody tr").first.locator("td").nth(2)).to_have_text("28")


def test_a_supervisor_calls_one_waiting_truck_forward_now(ui_node, open_page):
    truck = declare(ui_node, green_cargo()["goods"][0])
    assert plate_read(ui_node, truck["plate"], lane="YARD-IN", kind="yard_entry")["decision"] == "open"
    page = open_page()
    sign_in(page, ui_node, "supervisor")
    waiting = page.locator("#panel-yard table.yard-waiting").locator(f"tr[data-reference='{truck['reference']}']")
    expect(waiting).to_be_visible()
    waiting.get_by_role("button", name="Call now").click()  # no reason: the browser asks for one
    assert waiting.get_by_label("Reason").evaluate("el => el.validity.valueMissing")

    waiting.get_by_label("Reason").fill("refrigeration unit failing on a perishable load")
    waiting.get_by_role("button", name="Call now").click()
    flash = page.locator(".flash-ok")
    expect(flash).to_contain_text("Truck called forward now")
    expect(flash).to_contain_text(truck["reference"])
    called = page.locator("#panel-yard table.yard-called").locator(f"tr[data-reference='{truck['reference']}']")
    expect(called).to_be_visible()
    assert re.fullmatch(r"OUT-\d", called.locator("td").nth(2).inner_text().strip())
    expect(page.locator("#panel-yard table.yard-waiting").locator(f"tr[data-reference='{truck['reference']}']")) \
        .to_have_count(0)
    events = read(ui_node, truck["id"])["events"]
    assert any(e["action"] == "called_out_of_turn" and "refrigeration unit failing" in e["cause"] for e in events)
    page.goto(ui_node.url + f"/console/crossings/{truck['id']}")
    expect(page.locator(".timeline")).to_contain_text("Called forward out of turn")


def test_only_a_supervisor_is_offered_call_now(ui_node, open_page):
    truck = declare(ui_node, green_cargo()["goods"][0])
    plate_read(ui_node, truck["plate"], lane="YARD-IN", kind="yard_entry")
    page = open_page()
    sign_in(page, ui_node, "gate_operator")
    row = page.locator(f"#panel-yard tr[data-reference='{truck['reference']}']")
    expect(row).to_be_visible()
    expect(row.get_by_role("button", name="Call now")).to_have_count(0)
    expect(page.locator("#panel-signoffs")).to_have_count(0)  # a gate operator signs nothing off


@pytest.mark.parametrize("lang, heading, words, agency", [
    ("vi", "Xe chờ tôi xác nhận", ["Yêu cầu kiểm tra", "Vị trí", "Chờ từ", "Lý do không đạt", "Đạt", "Không đạt",
                                   "không đạt thì xe bị giữ lại"], "Kiểm dịch thực vật"),
    ("zh", "待我查验", ["查验要求", "位置", "等候起始", "不合格原因", "合格", "不合格", "不合格则扣留车辆"], "植物检疫"),
])
def test_the_queue_and_the_sign_offs_read_in_vietnamese_and_chinese(ui_node, open_page, lang, heading, words,
                                                                   agency):
    truck = declare(ui_node, BANANAS)
    page = open_page()
    sign_in(page, ui_node, "quarantine")
    page.goto(ui_node.url + f"/console?lang={lang}")
    expect(page.locator("#h-signoffs")).to_have_text(heading)
    panel = page.locator("#panel-signoffs")
    expect(panel.locator(".stat")).to_contain_text(agency)
    expect(queue_row(page, truck)).to_be_visible()
    for word in words:
        expect(panel).to_contain_text(word)
    text = panel.inner_text()
    for english in ("Check asked", "Where", "Waiting since", "What failed", "a failure holds", "Not at the yard",
                    "Sign-off", "Document check", "waiting"):
        assert english not in text, f"{lang}: {english!r} is not translated"

    page.goto(ui_node.url + f"/console/crossings/{truck['id']}?lang={lang}")
    expected = {"vi": ("Xác nhận của các cơ quan", "Barie còn chờ", "Biên phòng", "Bắt buộc", "Đang chờ"),
                "zh": ("各部门查验结论", "道闸仍待以下部门查验", "边检", "必需", "等候中")}[lang]
    expect(page.locator("#h-signoffs")).to_have_text(expected[0])
    for word in expected[1:]:
        expect(page.locator("#h-signoffs").locator("xpath=..")).to_contain_text(word)
