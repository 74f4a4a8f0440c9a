"""Mirror reconciliation between two real nodes: each side's statistics report reaches the other,
and the reconciliation finds exactly the discrepancies this test plants, truck by truck."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.e2e.test_exchange import crossing, eventually, import_crossing, pair, through_the_gate  # noqa: F401
from tests.support.declarations import green_cargo

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("exchange")]
DECLARANT = "5300123456"
HANOI, BEIJING = timezone(timedelta(hours=7)), timezone(timedelta(hours=8))


def reconcile(side, partner: str, period: str) -> dict:
    with side.client("statistics") as client:
        response = client.get("/api/v1/statistics/reconciliation", params={"partner": partner, "period": period})
    assert response.status_code == 200, response.text
    return response.json()


def found(result: dict) -> set[tuple[str, str]]:
    return {(d["kind"], d["params"]["reference"]) for d in result["discrepancies"]}


def test_the_reconciliation_finds_the_planted_discrepancies(pair):  # noqa: F811
    vn, cn = pair
    period = datetime.now(HANOI).strftime("%Y-%m")
    if datetime.now(BEIJING).strftime("%Y-%m") != period:
        pytest.skip("the two sides' months differ for this hour around midnight")
    trucks = {}
    with vn.client("declarant", DECLARANT) as client:
        for name in ("clean", "vn_only", "lighter", "other_hs"):
            trucks[name] = client.post("/api/v1/crossings", json=green_cargo(gate="HUUNGHI")).json()
    there = {name: eventually(lambda c=c: import_crossing(cn, c["id"]), what=f"{name} on CN")
             for name, c in trucks.items()}
    for name, c in trucks.items():
        eventually(lambda c=c, n=name: crossing(vn, c["id"])["partner"].get("crossing_id") == there[n]["id"],
                   what="CN's acknowledgement on VN")
    cassava = green_cargo()["goods"][0]
    with cn.client("customs") as customs:  # CN's own corrections of the import declarations
        for name, goods in (("lighter", {**cassava, "gross_kg": 17000, "net_kg": 16900}),
                            ("other_hs", {**cassava, "hs_code": "11081400", "description": "Cassava starch"})):
            amended = customs.post(f"/api/v1/crossings/{there[name]['id']}/amendments", json={"goods": [goods]})
            assert amended.status_code == 201, amended.text
    for c in trucks.values():
        assert through_the_gate(vn, "HUUNGHI", c["plate"], c["id"])["status"] == "exited"
    for name in ("clean", "lighter", "other_hs"):  # vn_only never reaches CN's barrier
        eventually(lambda n=name: crossing(cn, there[n]["id"])["status"] == "in_transit", what="in transit on CN")
        assert through_the_gate(cn, "YOUYIGUAN", there[name]["plate"], there[name]["id"])["status"] == "exited"

    with vn.client("supervisor") as client:
        sent = client.post("/api/v1/statistics/reports", json={"period": period, "gate": "HUUNGHI"})
    assert sent.status_code == 201, sent.text
    assert sent.json()["crossings"] == 4 and sent.json()["parts"] == 1
    with cn.client("supervisor") as client:
        assert client.post("/api/v1/statistics/reports", json={"period": period, "gate": "YOUYIGUAN"}).status_code == 201

    on_vn = eventually(lambda: (r := reconcile(vn, "CN-BORDER", period))["reports_received"] and r,
                       what="CN's report on VN")
    refs = {name: c["reference"] for name, c in trucks.items()}
    assert found(on_vn) == {("crossed_here_only", refs["vn_only"]), ("gross_weight", refs["lighter"]),
                            ("hs_subheading", refs["other_hs"])}
    assert on_vn["matched"] == 1
    weight = next(d for d in on_vn["discrepancies"] if d["kind"] == "gross_weight")
    assert (weight["params"]["ours"], weight["params"]["theirs"]) == (20000, 17000)
    hs = next(d for d in on_vn["discrepancies"] if d["kind"] == "hs_subheading")
    assert (hs["params"]["ours"], hs["params"]["theirs"]) == (["071410"], ["110814"])
    export = next(f for f in on_vn["flows"] if f["direction"] == "export")
    assert export["ours"]["trucks"] == 4 and export["theirs"]["trucks"] == 3
    assert export["difference"]["gross_kg"] == 20000 + 3000

    on_cn = eventually(lambda: (r := reconcile(cn, "VN-BORDER", period))["reports_received"] and r,
                       what="VN's report on CN")
    cn_refs = {name: c["reference"] for name, c in there.items()}
    assert found(on_cn) == {("crossed_there_only", refs["vn_only"]), ("gross_weight", cn_refs["lighter"]),
                            ("hs_subheading", cn_refs["other_hs"])}
