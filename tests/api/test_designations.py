"""A declaration for goods its gate is not designated for is refused with the designated gates named."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS, DECLARANT_TAX_ID
from tests.support.declarations import declaration, green_cargo
from tests.support.nodes import running_on

OPERATOR_FILE = """
[[designations]]
country = "VN"
direction = "export"
group = "fresh_fruit"
gates = ["KIMTHANH", { gate = "HUUNGHI", from = 2026-01-01 }]
"""


@pytest.fixture(scope="module", params=BACKENDS)
def designated(request, tmp_path_factory):
    folder = tmp_path_factory.mktemp(f"designations-{request.param}")
    (folder / "designations.toml").write_text(OPERATOR_FILE)
    with running_on(request.param, folder, designations=str(folder / "designations.toml")) as node, \
            node.client("declarant", DECLARANT_TAX_ID) as client:
        yield client


def test_fruit_at_a_gate_not_designated_for_it_is_a_precise_422(designated):
    response = designated.post("/api/v1/crossings", json=declaration(gate="MALUTHANG"))
    assert response.status_code == 422, response.text
    (error,) = [e for e in response.json()["errors"] if e["code"] == "gate.not_designated"]
    assert error["loc"] == "goods[0].hs_code"
    assert error["params"] == {"gate": "MALUTHANG", "commodity_group": "fresh_fruit", "direction": "export",
                               "designated_gates": ["KIMTHANH", "HUUNGHI"]}
    assert "not designated for fresh fruit exports" in error["msg"] and "Kim Th" in error["msg"]


def test_the_designated_gate_and_other_goods_pass(designated):
    assert designated.post("/api/v1/crossings", json=declaration(gate="KIMTHANH")).status_code == 201
    assert designated.post("/api/v1/crossings", json=green_cargo(gate="MALUTHANG")).status_code == 201
