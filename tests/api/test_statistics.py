"""Trade statistics from what really crossed, checked against totals this test computes itself.

The history is written through the node's own use cases at chosen moments (tests/support/
history.py), then a real node on the same database answers over HTTP.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import closing
import re
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from borderflow import schemas
from borderflow.services import crossings, rates
from borderflow.web.sessions import CSRF_FIELD
from tests.conftest import BACKENDS
from tests.support.declarations import green_cargo
from tests.support.history import DECLARANT, OTHER, History, Truck, principal
from tests.support.nodes import TEST_VN_NODE, start_node

HANOI = timezone(timedelta(hours=7))
VND_PER_USD = 25_000.0
CASSAVA = {"hs_code": "07141011", "description": "Dried cassava chips", "packages": 800, "gross_kg": 20000,
           "net_kg": 19800, "value": 6000, "currency": "USD", "origin": "VN"}
PEPPER_VND = {"hs_code": "09041120", "description": "Black pepper", "packages": 100, "gross_kg": 5000,
              "net_kg": 4900, "value": 250_000_000, "currency": "VND", "origin": "VN"}  # = 10,000 USD
RUBBER_CNY = {"hs_code": "40012200", "description": "TSNR rubber", "packages": 50, "gross_kg": 15000,
              "net_kg": 14800, "value": 90_000, "currency": "CNY", "origin": "VN"}  # no CNY rate: counted apart
DURIAN = {"hs_code": "08106000", "description": "Fresh durian", "packages": 1200, "gross_kg": 24000,
          "net_kg": 22000, "value": 72000, "currency": "USD", "origin": "VN", "perishable": True,
          "planting_area_code": "VNDL0123", "packing_house_code": "VNPH0045"}


def declare(history: History, truck: Truck, goods: list[dict], *, containers: int = 1, tax_id: str = DECLARANT) -> dict:
    history.plates += 1
    body = green_cargo(gate=truck.gate, expected_arrival=truck.arrival.isoformat(), declarant__tax_id=tax_id,
                       vehicle__plate=f"24C-{700 + history.plates // 100:03d}.{history.plates % 100:02d}")
    body["goods"] = goods
    body["containers"] = [{"number": n} for n in ("CSQU3054383", "MSKU1234565", "TGHU8765430")[:containers]]
    with history.ctx.uow() as uow:
        _, view = crossings.declare(history.ctx, uow, principal("declarant", tax_id), schemas.parse_declaration(body))
        uow.commit()
    truck.crossing = view
    return view


@pytest.fixture(scope="module", params=BACKENDS)
def seeded(request, tmp_path_factory):
    """Six trucks through the Kim Thanh barrier around the end of June 2026 (Hanoi time), one cancelled."""
    from tests.support.databases import fresh_pg_database
    folder = tmp_path_factory.mktemp(f"statistics-{request.param}")
    if request.param == "sqlite":
        yield from _seed(folder, f"sqlite:///{folder / 'node.sqlite'}")
    else:
        with fresh_pg_database() as url:
            yield from _seed(folder, url)


def _seed(folder, url):
    start = datetime(2026, 6, 29, 6, 0, tzinfo=HANOI)
    history = History.open(folder, url, start)
    rows, problems = rates.parse_csv("date,currency,units_per_usd,valid_to\n2026-06-29,VND,25000,2026-06-30\n",
                                     history.ctx.currencies, default_source="test rates")
    assert problems == []
    with history.ctx.uow() as uow:
        rates.store(uow, rows, history.clock.now())
        uow.commit()

    def truck(day: int, hour: int, minute: int = 0, wait: float = 10) -> Truck:
        return Truck(gate="KIMTHANH", arrival=datetime(2026, 6, day, hour, minute, tzinfo=HANOI), yard=False,
                     wait=wait, drive=0)

    one = truck(29, 8)  # cassava + pepper in VND: two chapters, one truck, two containers
    declare(history, one, [CASSAVA, PEPPER_VND], containers=2)
    cancelled = truck(29, 9)
    declare(history, cancelled, [CASSAVA])
    with history.ctx.uow() as uow:
        crossings.cancel(history.ctx, uow, principal("declarant", DECLARANT), cancelled.crossing["id"], "not going")
        uow.commit()
    amended = truck(29, 10)  # declared 20 t of cassava, amended to 18 t before the gate
    declare(history, amended, [CASSAVA])
    with history.ctx.uow() as uow:
        crossings.amend(history.ctx, uow, principal("declarant", DECLARANT), amended.crossing["id"],
                        {"goods": [{**CASSAVA, "gross_kg": 18000, "net_kg": 17900}]})
        uow.commit()
    rubber = truck(29, 11)  # another declarant, in CNY with no rate
    declare(history, rubber, [RUBBER_CNY], tax_id=OTHER)
    late_june = truck(30, 18, wait=330)  # through at 23:30 Hanoi on 30 June: June's
    declare(history, late_june, [CASSAVA])
    early_july = truck(30, 18, 30, wait=360)  # through at 00:30 Hanoi on 1 July (17:30 UTC on 30 June): July's
    declare(history, early_july, [CASSAVA, {**CASSAVA, "hs_code": "07141091", "gross_kg": 10000, "net_kg": 9900, "value": 1000}])
    for t in (one, amended, rubber, late_june, early_july):
        history.play(t)
    history.close()
    node = start_node(folder, url)  # a real node on the same database answers over HTTP
    try:
        yield node
    finally:
        node.stop()


def get(node, role, path, declarant=None, **params):
    with node.client(role, declarant) as client:
        return client.get(path, params=params)


def test_monthly_totals_are_what_crossed(seeded):
    response = get(seeded, "statistics", "/api/v1/statistics/trade", period="month", **{"from": "2026-06-01",
                                                                                      "to": "2026-07-31"})
    assert response.status_code == 200, response.text
    body = response.json()
    june = next(r for r in body["period_totals"] if r["period"] == "2026-06")
    july = next(r for r in body["period_totals"] if r["period"] == "2026-07")
    # June: one (2 lines), amended, rubber, late_june — the cancelled truck never crossed
    assert june["trucks"] == 4 and june["lines"] == 5 and june["containers"] == 2 + 1 + 1 + 1
    assert june["gross_kg"] == 20000 + 5000 + 18000 + 15000 + 20000
    assert june["net_kg"] == 19800 + 4900 + 17900 + 14800 + 19800
    assert june["value_usd"] == 6000 + 250_000_000 / VND_PER_USD + 6000 + 6000
    assert june["unpriced_lines"] == 1
    assert july["trucks"] == 1 and july["lines"] == 2 and july["value_usd"] == 7000
    assert body["totals"]["trucks"] == 5
    assert body["unpriced"] == [{"currency": "CNY", "lines": 1, "value": 90000.0, "first_day": "2026-06-29",
                                 "last_day": "2026-06-29"}]
    assert body["rates"] == [{"currency": "VND", "date": "2026-06-29", "units_per_usd": VND_PER_USD,
                              "source": "test rates"}]


def test_a_truck_counts_once_per_chapter_and_once_in_the_total(seeded):
    body = get(seeded, "customs", "/api/v1/statistics/trade", period="month", by="hs_chapter",
               **{"from": "2026-06-01", "to": "2026-06-30"}).json()
    by_chapter = {r["hs_chapter"]: r for r in body["rows"]}
    assert by_chapter["07"]["trucks"] == 3 and by_chapter["09"]["trucks"] == 1 and by_chapter["40"]["trucks"] == 1
    assert by_chapter["09"]["value_usd"] == 10000 and by_chapter["40"]["value_usd"] == 0
    assert by_chapter["40"]["unpriced_lines"] == 1
    assert sum(r["trucks"] for r in body["rows"]) == 5 and body["totals"]["trucks"] == 4
    groups = get(seeded, "customs", "/api/v1/statistics/trade", period="year", by="commodity_group,direction").json()
    cassava = next(r for r in groups["rows"] if r["commodity_group"] == "cassava")
    assert cassava["trucks"] == 4 and cassava["direction"] == "export" and cassava["lines"] == 5


def test_days_follow_the_gate_calendar(seeded):
    body = get(seeded, "supervisor", "/api/v1/statistics/trade", period="day", by="gate",
               **{"from": "2026-06-30", "to": "2026-07-01"}).json()
    assert [(r["period"], r["trucks"]) for r in body["rows"]] == [("2026-06-30", 1), ("2026-07-01", 1)]


def test_a_declarant_sees_only_its_own(seeded):
    mine = get(seeded, "declarant", "/api/v1/statistics/trade", DECLARANT, period="year").json()
    theirs = get(seeded, "declarant", "/api/v1/statistics/trade", OTHER, period="year").json()
    assert mine["totals"]["trucks"] == 4 and theirs["totals"]["trucks"] == 1
    assert theirs["unpriced"][0]["currency"] == "CNY" and mine["unpriced"] == []


@pytest.mark.parametrize("role", ["driver", "gate_operator", "partner", "public", "device", "border_guard"])
def test_other_roles_may_not_read_statistics(seeded, role):
    response = get(seeded, role, "/api/v1/statistics/trade")
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


def test_bad_queries_name_each_parameter(seeded):
    response = get(seeded, "statistics", "/api/v1/statistics/trade", period="decade", by="gate,colour",
                   **{"from": "2026-13-01", "to": "2026-01-01"})
    assert response.status_code == 422
    codes = {(e["loc"], e["code"]) for e in response.json()["errors"]}
    assert codes == {("query.period", "statistics.period_unknown"), ("query.by", "statistics.by_unknown"),
                     ("query.from", "statistics.date")}


def test_csv_and_xlsx_carry_the_same_totals(seeded):
    params = {"period": "month", "by": "gate,hs_chapter,direction", "from": "2026-06-01", "to": "2026-07-31"}
    body = get(seeded, "statistics", "/api/v1/statistics/trade", **params).json()
    csv_text = get(seeded, "statistics", "/api/v1/statistics/trade.csv", **params).text
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("period,gate,hs_chapter,direction,trucks")
    assert len(lines) == len(body["rows"]) + 2 and lines[-1].startswith("total,")
    xlsx = get(seeded, "statistics", "/api/v1/statistics/trade.xlsx", **params)
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["gate+hs_chapter+direction", "gate", "hs_chapter", "direction", "rates", "unpriced"]
    for name in ("gate+hs_chapter+direction", "gate", "hs_chapter", "direction"):
        sheet = book[name]
        header = [c.value for c in sheet[1]]
        total = dict(zip(header, [c.value for c in sheet[sheet.max_row]], strict=True))
        assert total[header[0]] == "total"
        assert total["trucks"] == body["totals"]["trucks"] == 5
        assert total["value_usd"] == body["totals"]["value_usd"]
        column = header.index("lines")
        assert sum(row[column].value for row in sheet.iter_rows(min_row=2, max_row=sheet.max_row - 1)) == 7
    assert [c.value for c in book["unpriced"][2]][:3] == ["CNY", 1, 90000]


def signed_in(node, role: str) -> httpx.Client:
    client = httpx.Client(base_url=node.url, timeout=20, follow_redirects=True)
    form = client.get("/login").text
    token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', form)[1]
    answer = client.post("/login", data={CSRF_FIELD: token, "key": node.key(role), "next": ""})
    assert answer.status_code == 200, answer.text[:300]
    return client


@pytest.mark.parametrize("lang", ["vi", "zh", "en"])
def test_the_statistics_page_shows_each_chart_with_its_table(seeded, lang):
    with closing(signed_in(seeded, "supervisor")) as client:
        page = client.get("/statistics", params={"from": "2026-06-01", "to": "2026-07-31", "lang": lang})
        assert page.status_code == 200
        html = page.text
        assert html.count("<figure><img src=\"/statistics/charts/") == 5
        assert "2026-06" in html and "2026-07" in html
        if lang != "en":
            assert "Trucks per month by gate and direction" not in html  # the catalogue's, not English
        for name in ("trucks", "value", "top", "perishable", "crossing_times"):
            svg = client.get(f"/statistics/charts/{name}.svg", params={"from": "2026-06-01", "to": "2026-07-31",
                                                                        "lang": lang})
            assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
            assert svg.text.lstrip().startswith("<?xml") and "<svg" in svg.text
        png = client.get("/statistics/charts/trucks.png", params={"lang": lang})
        assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_statistics_page_needs_the_permission(seeded):
    with closing(signed_in(seeded, "gate_operator")) as client:
        assert client.get("/statistics").status_code == 403


def test_a_statistics_office_signs_in_to_the_statistics_and_nothing_else(seeded):
    with closing(signed_in(seeded, "statistics")) as client:
        home = client.get("/")
        assert str(home.url).endswith("/statistics") and home.status_code == 200
        assert 'href="/console"' not in home.text and 'href="/portal"' not in home.text
        page = client.get("/statistics", params={"from": "2026-06-01", "to": "2026-07-31", "lang": "vi"})
        assert page.status_code == 200 and "<table" in page.text
        assert client.get("/console").status_code == 403
        assert client.get("/portal").status_code == 403


def report(seeded, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BORDERFLOW_DB_URL": str(seeded.ctx.engine.url.render_as_string(hide_password=False)),
           "BORDERFLOW_DATA_DIR": str(seeded.ctx.settings.data_dir), "BORDERFLOW_ENV": "test"}
    return subprocess.run([sys.executable, "-m", "borderflow", "report", "jwg", "--node", str(TEST_VN_NODE), *args],
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.parametrize(("lang", "title"), [("vi", "Báo cáo Nhóm công tác chung"), ("zh", "联合工作组报告"),
                                             ("en", "Joint working group report")])
def test_the_working_groups_report_prints_as_pdf_in_its_language(seeded, tmp_path, lang, title):
    out = tmp_path / f"jwg-{lang}.pdf"
    done = report(seeded, "--period", "2026-Q2", "--gate-pair", "KIMTHANH", "--lang", lang, "--out", str(out))
    assert done.returncode == 0, done.stderr
    pdf = PdfReader(out)
    # text set in the CJK (CFF) font extracts with a NUL before each character: drop them to compare
    words = "".join(page.extract_text() for page in pdf.pages).replace("\x00", "")
    assert len(pdf.pages) >= 1
    assert title in words and "KIMTHANH-HEKOU" in words and "2026-04-01" in words
    if lang == "zh":
        assert "木薯及木薯淀粉" in words  # cassava's group, in Chinese: the CJK font is embedded
    if lang == "vi":
        assert "Sắn và tinh bột sắn" in words


@pytest.mark.slow
def test_the_working_groups_report_as_html_has_the_figures(seeded):
    done = report(seeded, "--period", "2026-Q2", "--lang", "en")
    assert done.returncode == 0, done.stderr
    html = done.stdout
    assert html.startswith("<!doctype html>") and "Joint working group report" in html
    assert "<td>Export</td><td>4</td><td>0</td>" in html  # four trucks out in Q2, none a year before
    bad = report(seeded, "--period", "2026-Q5")
    assert bad.returncode == 2 and "expected a quarter" in bad.stderr


def test_last_months_report_goes_to_the_partner_once(seeded):
    from sqlalchemy import select

    from borderflow.services import statistics_exchange
    from borderflow.store import tables as t
    offset = seeded.clock.offset
    seeded.clock.offset = (datetime(2026, 7, 15, 3, tzinfo=UTC) - datetime.now(UTC)).total_seconds()
    try:
        statistics_exchange.send_due(seeded.ctx)
        statistics_exchange.send_due(seeded.ctx)  # the next round: already sent
    finally:
        seeded.clock.offset = offset
    with seeded.ctx.engine.connect() as conn:
        sent = conn.execute(select(t.outbox.c.payload).where(t.outbox.c.type == "statistics_report")
                            .order_by(t.outbox.c.seq)).scalars().all()
    kimthanh = [p for p in sent if p["gate"] == "KIMTHANH" and p["period"] == "2026-06"]
    assert [p["part"] for p in kimthanh] == [1] and kimthanh[0]["parts"] == 1
    assert len(kimthanh[0]["crossings"]) == 4  # June's four trucks; July's is July's
    assert sum(f["trucks"] for f in kimthanh[0]["totals"] if f["commodity_group"] == "cassava") == 3
    assert {p["gate"] for p in sent} == {"KIMTHANH"}  # nothing crossed the other gates: nothing sent for them


def test_the_report_button_and_the_reconciliation_page(seeded):
    with closing(signed_in(seeded, "supervisor")) as client:
        page = client.get("/statistics/report", params={"period": "2026-Q2", "format": "html", "lang": "vi"})
        assert page.status_code == 200 and "Báo cáo Nhóm công tác chung" in page.text
        pdf = client.get("/statistics/report", params={"period": "2026-06", "format": "pdf", "lang": "zh"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert client.get("/statistics/report", params={"period": "2026-Q9"}).status_code == 422
        mirror = client.get("/statistics/reconciliation", params={"period": "2026-06", "lang": "zh"})
        assert mirror.status_code == 200 and "双边数据对账" in mirror.text and "尚未收到对方本月的统计报告" in mirror.text
    body = get(seeded, "statistics", "/api/v1/statistics/reconciliation", period="2026-06", partner="CN-BORDER").json()
    assert body["reports_received"] == [] and body["counts"]["crossed_here_only"] == 4
    assert get(seeded, "declarant", "/api/v1/statistics/reconciliation", DECLARANT, period="2026-06").status_code == 403
    bad = get(seeded, "statistics", "/api/v1/statistics/reconciliation", period="June", partner="XX")
    assert {e["code"] for e in bad.json()["errors"]} == {"partner.unknown", "statistics.period_month"}
