"""The shipped reference region loads and is coherent; bad node files say where and why."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path

import pytest

from borderflow.reference.region import NodeFile, NodeFileError, load_gates, load_node

VN_GATES = {"KIMTHANH", "MALUTHANG", "THANHTHUY", "HUUNGHI", "TANTHANH"}
CN_GATES = {"HEKOU", "JINSHUIHE", "TIANBAO", "YOUYIGUAN", "POZHAI"}
HANOI = timezone(timedelta(hours=7))

GOOD_NODE = """
[node]
id = "VN-TEST"
name = "Test node"
country = "VN"
gates = ["KIMTHANH", "HUUNGHI"]

[settings]
port = 9001

[partners."CN-TEST"]
url = "http://127.0.0.1:9002"
public_keys = {}
"""

INLINE_GATE = """
[gates.NEWGATE]
country = "VN"
names = { vi = "Cửa khẩu Mới", en = "New Gate" }
province = "Cao Bằng"
partner_gate = "NEWCN"
timezone = "Asia/Ho_Chi_Minh"
goods_hours = ["07:00", "17:00"]
lanes = [{ code = "OUT-1", direction = "outbound" }, { code = "IN-1", direction = "inbound" }]
yard_capacity = 40
daily_capacity = 80

[gates.NEWCN]
country = "CN"
names = { zh = "新口岸", en = "New CN Port" }
province = "Guangxi"
partner_gate = "NEWGATE"
timezone = "Asia/Shanghai"
goods_hours = ["08:00", "18:00"]
lanes = [{ code = "IN-1", direction = "inbound" }, { code = "OUT-1", direction = "outbound" }]
yard_capacity = 40
daily_capacity = 80
"""


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "node.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(("spec", "node_id", "country", "gates", "port"), [
    ("vn", "VN-BORDER", "VN", VN_GATES, 8001),
    ("cn", "CN-BORDER", "CN", CN_GATES, 8002),
])
def test_shipped_node_files_load(spec, node_id, country, gates, port):
    loaded = load_node(spec)
    assert isinstance(loaded, NodeFile)
    assert (loaded.node.id, loaded.node.country, set(loaded.node.gates)) == (node_id, country, gates)
    assert (loaded.port, loaded.rules, loaded.max_body_bytes) == (port, "default", 262144)
    assert loaded.source == f"{spec}.toml"
    (partner_id, partner), = loaded.node.partners.items()
    assert partner_id != node_id and partner["public_keys"] == {}
    assert partner["url"].startswith("http://127.0.0.1:")


def test_the_two_shipped_nodes_point_at_each_other():
    vn, cn = load_node("vn"), load_node("cn")
    assert vn.node.partners[cn.node.id]["url"].endswith(f":{cn.port}")
    assert cn.node.partners[vn.node.id]["url"].endswith(f":{vn.port}")


def test_region_has_all_ten_gates():
    assert set(load_gates()) == VN_GATES | CN_GATES


@pytest.mark.parametrize("code", sorted(VN_GATES | CN_GATES))
def test_every_gate_is_complete_and_paired(code):
    gates = load_gates()
    gate = gates[code]
    assert {"vi", "zh", "en"} <= set(gate.names) and all(gate.names.values())
    assert gate.lanes_for("inbound") and gate.lanes_for("outbound")
    partner = gates[gate.partner_gate]
    assert partner.partner_gate == code and partner.country != gate.country
    if code in VN_GATES:
        assert partner.code in CN_GATES and gate.timezone == "Asia/Ho_Chi_Minh"
    else:
        assert gate.timezone == "Asia/Shanghai"


def test_vn_gates_face_cn_gates_with_mirrored_lanes():
    gates = load_gates()
    for code in VN_GATES:
        gate, partner = gates[code], gates[gates[code].partner_gate]
        assert partner.code in CN_GATES
        assert len(gate.lanes_for("outbound")) == len(partner.lanes_for("inbound"))


def test_unlocodes_follow_the_reference_and_never_vntth():
    gates = load_gates()
    assert {c: g.unlocode for c, g in gates.items() if g.unlocode} == {
        "KIMTHANH": "VNLCA", "HEKOU": "CNHKM", "JINSHUIHE": "CNJSH", "THANHTHUY": "VNTQG",
        "TIANBAO": "CNTBO", "HUUNGHI": "VNLGS", "YOUYIGUAN": "CNYYG",
    }


def test_kim_thanh_facts():
    kim = load_gates()["KIMTHANH"]
    assert [lane.code for lane in kim.lanes_for("outbound")] == ["OUT-1", "OUT-2"]
    assert [lane.code for lane in kim.lanes_for("inbound")] == ["IN-1", "IN-2", "IN-3"]
    assert kim.goods_hours == (time(7, 0), time(19, 0))
    assert kim.daily_capacity == 1000 and kim.partner_gate == "HEKOU"
    assert kim.names["vi"] == "Cửa khẩu Kim Thành" and load_gates()["HEKOU"].names["zh"] == "河口口岸"
    assert kim.names["zh"] == "金城口岸"


def test_a_node_has_its_name_in_each_language_and_one_name_stands_for_all():
    vn = load_node("vn").node
    assert {lang for lang, name in vn.names.items() if name} == {"vi", "zh", "en"}
    assert vn.name_in("vi").startswith("Ban quản lý") and vn.name_in("en") == vn.name == vn.names["en"]
    assert load_node("cn").node.name_in("zh") == "中国边境口岸管理部门"


def test_a_node_file_without_names_uses_its_name_everywhere(tmp_path):
    node = load_node(write(tmp_path, GOOD_NODE)).node
    assert node.names == {} and node.name_in("zh") == "Test node"


def test_kim_thanh_goods_hours_in_local_time():
    kim = load_gates()["KIMTHANH"]
    assert kim.open_for_goods_at(datetime(2026, 5, 4, 8, 30, tzinfo=HANOI))
    assert not kim.open_for_goods_at(datetime(2026, 5, 4, 20, 0, tzinfo=HANOI))
    assert not kim.open_for_goods_at(datetime(2026, 5, 4, 12, 30, tzinfo=timezone.utc))  # 19:30 in Hanoi


def test_load_gates_returns_a_fresh_dict():
    load_gates().clear()
    assert len(load_gates()) == 10


def test_operator_file_loads_and_resolves_rules_next_to_it(tmp_path):
    loaded = load_node(write(tmp_path, GOOD_NODE.replace("port = 9001", 'port = 9001\nrules = "my-rules.toml"')))
    assert set(loaded.node.gates) == {"KIMTHANH", "HUUNGHI"} and loaded.port == 9001
    assert loaded.rules == str(tmp_path / "my-rules.toml")
    assert loaded.source == str(tmp_path / "node.toml")


def test_operator_file_with_inline_gates_loads(tmp_path):
    text = GOOD_NODE.replace('gates = ["KIMTHANH", "HUUNGHI"]', 'gates = ["NEWGATE", "KIMTHANH"]') + INLINE_GATE
    loaded = load_node(write(tmp_path, text))
    new = loaded.node.gate("NEWGATE")
    assert new is not None and new.partner_gate == "NEWCN" and new.inspection_bays == 2
    assert new.goods_hours == (time(7), time(17)) and new.name == "New Gate"
    assert "NEWCN" not in loaded.node.gates  # known as a partner, not operated


def test_inline_table_overrides_only_the_keys_it_names(tmp_path):
    text = GOOD_NODE + '\n[gates.KIMTHANH]\ngoods_hours = ["06:00", "22:00"]\nyard_capacity = 999\n'
    kim = load_node(write(tmp_path, text)).node.gates["KIMTHANH"]
    assert kim.goods_hours == (time(6), time(22)) and kim.yard_capacity == 999
    assert kim.daily_capacity == 1000 and len(kim.lanes) == 5
    assert load_gates()["KIMTHANH"].yard_capacity != 999  # the shipped gate is untouched


BAD_CASES = [
    pytest.param(GOOD_NODE.replace('"HUUNGHI"]', '"HUUNGHI", "KIMTAHN"]'), "node.gates[2]",
                 "unknown gate 'KIMTAHN'; expected one of HEKOU, HUUNGHI", id="unknown-gate"),
    pytest.param(GOOD_NODE.replace('"HUUNGHI"]', '"HEKOU"]'), "node.gates[1]", "is in CN", id="wrong-country"),
    pytest.param(GOOD_NODE.replace('"HUUNGHI"]', '"KIMTHANH"]'), "node.gates[1]", "listed twice", id="dup-gate"),
    pytest.param(GOOD_NODE.replace('id = "VN-TEST"\n', ""), "node.id", "missing", id="missing-id"),
    pytest.param(GOOD_NODE.replace('country = "VN"', 'country = "XX"'), "node.country", "ISO 3166",
                 id="bad-country"),
    pytest.param(GOOD_NODE.replace("port = 9001", "port = 70000"), "settings.port", "from 1 to 65535",
                 id="bad-port"),
    pytest.param(GOOD_NODE.replace("port = 9001", "prot = 9001"), "settings.prot", "unknown key", id="typo"),
    pytest.param(GOOD_NODE.replace("http://127.0.0.1:9002", "ftp://x"), 'partners.CN-TEST.url', "http(s) URL",
                 id="bad-url"),
    pytest.param(GOOD_NODE.replace('"CN-TEST"', '"VN-TEST"'), "partners.VN-TEST", "own partner", id="self"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace('"Asia/Ho_Chi_Minh"', '"Asia/Hanoi_City"'),
                 "gates.NEWGATE.timezone", "unknown time zone 'Asia/Hanoi_City'", id="bad-timezone"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace('"07:00", "17:00"', '"7:00", "17:00"'),
                 "gates.NEWGATE.goods_hours[0]", '"HH:MM"', id="bad-hhmm"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace('"07:00", "17:00"', '"07:00", "24:00"'),
                 "gates.NEWGATE.goods_hours[1]", '"HH:MM"', id="hour-24"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace('"07:00", "17:00"', '"19:00", "07:00"'),
                 "gates.NEWGATE.goods_hours", "not before closing", id="overnight"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace('"07:00", "17:00"', '"07:00"'),
                 "gates.NEWGATE.goods_hours", "got 1 entries", id="one-hour"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace('code = "IN-1", direction = "inbound" }]\nyard_capacity = 40\n'
                                                 'daily_capacity = 80\n\n[gates.NEWCN]',
                                                 'code = "OUT-1", direction = "inbound" }]\nyard_capacity = 40\n'
                                                 'daily_capacity = 80\n\n[gates.NEWCN]'),
                 "gates.NEWGATE.lanes[1].code", "duplicate lane code 'OUT-1' (also gates.NEWGATE.lanes[0])",
                 id="dup-lane"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace('direction = "outbound" }, { code = "IN-1"',
                                                 'direction = "out" }, { code = "IN-1"', 1),
                 "gates.NEWGATE.lanes[0].direction", "expected 'inbound' or 'outbound', got 'out'",
                 id="bad-direction"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace('partner_gate = "NEWCN"', 'partner_gate = "NOWHERE"'),
                 "gates.NEWGATE.partner_gate", "unknown gate 'NOWHERE'", id="unknown-partner"),
    pytest.param(GOOD_NODE.replace('"HUUNGHI"]', '"HUUNGHI", "NEWGATE"]')
                 + INLINE_GATE.replace('partner_gate = "NEWCN"', 'partner_gate = "HEKOU"'),
                 "gates.NEWGATE.partner_gate", "'HEKOU' is paired with 'KIMTHANH'", id="one-sided-partner"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace("yard_capacity = 40\n", "yard_capacity = -1\n", 1),
                 "gates.NEWGATE.yard_capacity", "whole number", id="negative-yard"),
    pytest.param(GOOD_NODE + INLINE_GATE.replace("daily_capacity = 80\n", "", 1),
                 "gates.NEWGATE.daily_capacity", "missing", id="missing-capacity"),
    pytest.param(GOOD_NODE + '\n[gates.KIMTHANH]\nunlocode = "CNHKM"\n', "gates.KIMTHANH.unlocode",
                 "is a CN code", id="unlocode-country"),
    pytest.param(GOOD_NODE + "\n[gates.KIMTHANH]\nlanes = []\n", "gates.KIMTHANH.lanes", "at least one",
                 id="no-lanes"),
    pytest.param(GOOD_NODE.replace('name = "Test node"\n', 'name = "Test node"\nnames = { vi = 3 }\n'),
                 "node.names.vi", "expected a non-empty string", id="node-name-not-text"),
]


@pytest.mark.parametrize(("text", "key", "problem"), BAD_CASES)
def test_malformed_node_file_names_file_key_and_expectation(tmp_path, text, key, problem):
    path = write(tmp_path, text)
    with pytest.raises(NodeFileError) as caught:
        load_node(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: {key}: "), message
    assert problem in message, message
    assert caught.value.key == key and caught.value.source == path


def test_not_toml_is_a_node_file_error(tmp_path):
    path = write(tmp_path, "[node\nid = 1")
    with pytest.raises(NodeFileError, match="not valid TOML"):
        load_node(path)


def test_missing_file_is_a_node_file_error(tmp_path):
    with pytest.raises(NodeFileError, match="expected 'vn', 'cn' or the path"):
        load_node(str(tmp_path / "nope.toml"))
    assert issubclass(NodeFileError, ValueError)
