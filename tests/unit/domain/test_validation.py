"""Declaration validation: each mistake names its field, and none hides another."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.domain.declaration import ContainerUnit, Declarant, Declaration, Document, Driver, GoodsItem, Vehicle
from borderflow.domain.gates import Gate, Lane, Node
from borderflow.domain.validation import ValidationContext, validate_declaration

HANOI = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=HANOI)
LANES = (Lane("OUT-1", "outbound"), Lane("IN-1", "inbound"))


def gate(code: str, country: str, partner: str, tz: str) -> Gate:
    return Gate(code, country, {"en": code.title()}, "border", None, partner, tz, (time(7), time(19)), LANES,
                yard_capacity=300, daily_capacity=1_000)


VN_NODE = Node("VN-LCI", "VN", "Lao Cai", {"KIMTHANH": gate("KIMTHANH", "VN", "HEKOU", "Asia/Ho_Chi_Minh"),
                                            "HUUNGHI": gate("HUUNGHI", "VN", "YOUYIGUAN", "Asia/Ho_Chi_Minh")})
CN_NODE = Node("CN-YN", "CN", "Yunnan", {"HEKOU": gate("HEKOU", "CN", "KIMTHANH", "Asia/Shanghai")})


def context(node: Node = VN_NODE, now: datetime = NOW) -> ValidationContext:
    return ValidationContext(node=node, now=now, hs_subheadings={"081060", "071410", "030617", "080390"},
                             countries={"VN", "CN", "LA", "TH"}, currencies={"USD", "VND", "CNY"},
                             phone_ok=lambda phone: phone.startswith("+") and phone[1:].isdigit())


DURIAN = GoodsItem("08106000", "Fresh durian", 1200, Decimal(24_000), Decimal(22_000), Decimal(72_000), "USD", "VN",
                   perishable=True, planting_area_code="VNDL0123", packing_house_code="VNPH0045")
SHRIMP = GoodsItem("03061700", "Frozen shrimp", 500, Decimal(10_000), Decimal(9_000), Decimal(90_000), "USD", "VN")
VALID = Declaration(
    direction="export", gate="KIMTHANH", expected_arrival=datetime(2026, 11, 23, 9, 30, tzinfo=HANOI),
    declarant=Declarant("5300123456", "Lao Cai Fruit Export Co."),
    vehicle=Vehicle("24C-123.45", "VN", axles=5, gross_weight_kg=38_000, trailer_plate="24R-012.34"),
    driver=Driver("Nguyen Van An", "C1234567", "VN", "+84912345678"),
    goods=(DURIAN,),
    containers=(ContainerUnit("CSQU3054383", "VN1234567", "45R1"),),
    documents=(Document("phytosanitary", "PC-2026-001234"), Document("form_e", "E26VN0012345"),
               Document("invoice", "INV-0001")),
    customs_declaration_no="305123456789",
)
CN_TRUCK = replace(VALID, direction="import",
                   vehicle=Vehicle("桂F12345", "CN", axles=5, gross_weight_kg=38_000, trailer_plate="桂F1234挂"),
                   driver=Driver("Wang Wei", "E12345678", "CN", "+8613912345678"))


def problems(decl: Declaration, ctx: ValidationContext | None = None) -> set[tuple[str, str]]:
    return {(p.loc, p.code) for p in validate_declaration(decl, ctx or context())}


def with_goods(decl: Declaration, index: int = 0, **changes) -> Declaration:
    goods = list(decl.goods)
    goods[index] = replace(goods[index], **changes)
    return replace(decl, goods=tuple(goods))


def without_document(decl: Declaration, kind: str) -> Declaration:
    return replace(decl, documents=tuple(d for d in decl.documents if d.type != kind))


def test_the_valid_declaration_has_no_problems():
    assert validate_declaration(VALID, context()) == []
    assert validate_declaration(CN_TRUCK, context()) == []


# Each mistake, applied to whatever declaration it is given, and the problems it must cause.
MISTAKES = {
    "net above gross": (lambda d: with_goods(d, net_kg=d.goods[0].gross_kg + 1),
                        {("goods[0].net_kg", "weight.net_above_gross")}),
    "over the legal weight": (lambda d: replace(d, vehicle=replace(d.vehicle, gross_weight_kg=44_001)),
                              {("vehicle.gross_weight_kg", "weight.over_limit")}),
    "fruit without phytosanitary": (lambda d: without_document(d, "phytosanitary"),
                                    {("documents", "document.phytosanitary_missing")}),
    "durian without GACC codes": (lambda d: with_goods(d, planting_area_code=None, packing_house_code=None),
                                  {("goods[0].planting_area_code", "protocol.code_missing"),
                                   ("goods[0].packing_house_code", "protocol.code_missing")}),
    "preference without Form E": (lambda d: without_document(with_goods(d, preferential_origin=True), "form_e"),
                                  {("documents", "document.form_e_missing")}),
    "arrival in the past": (lambda d: replace(d, expected_arrival=NOW - timedelta(hours=2)),
                            {("expected_arrival", "time.past")}),
    "gate of another node": (lambda d: replace(d, gate="HEKOU"), {("gate", "gate.unknown")}),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_each_mistake_is_reported_at_its_field(mistake):
    make, expected = MISTAKES[mistake]
    assert problems(make(VALID)) == expected


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_every_message_says_what_is_expected(mistake):
    make, _ = MISTAKES[mistake]
    (problem, *more) = validate_declaration(make(VALID), context())
    assert "expected" in problem.msg or "needs" in problem.msg
    assert all("expected" in p.msg or "needs" in p.msg for p in more)


def test_three_mistakes_give_three_problems():
    decl = VALID
    for mistake in ("net above gross", "over the legal weight", "fruit without phytosanitary"):
        decl = MISTAKES[mistake][0](decl)
    assert problems(decl) == {("goods[0].net_kg", "weight.net_above_gross"),
                              ("vehicle.gross_weight_kg", "weight.over_limit"),
                              ("documents", "document.phytosanitary_missing")}


@settings(max_examples=100, deadline=None)
@given(st.sets(st.sampled_from(sorted(MISTAKES))))
def test_no_mistake_hides_another(chosen):
    decl, expected = VALID, set()
    for mistake in sorted(chosen):
        make, caused = MISTAKES[mistake]
        decl, expected = make(decl), expected | caused
    assert problems(decl) == expected


# ------------------------------------------------------------------ weights


def test_net_above_gross_names_the_item_and_both_weights():
    (problem,) = validate_declaration(with_goods(replace(VALID, goods=(SHRIMP, DURIAN)), 1, net_kg=Decimal(24_500)),
                                      context())
    assert problem.loc == "goods[1].net_kg"
    assert "net 24500 kg" in problem.msg and "gross 24000 kg" in problem.msg


@pytest.mark.parametrize(("truck", "axles", "limit"), [
    ("VN", 5, 44_000), ("VN", 6, 48_000), ("VN", 7, 48_000), ("VN", 4, 34_000),
    ("CN", 5, 43_000), ("CN", 6, 49_000), ("CN", 9, 49_000), ("CN", 4, 36_000),
])
def test_legal_gross_weight_of_a_tractor_and_semi_trailer(truck, axles, limit):
    base = VALID if truck == "VN" else CN_TRUCK
    at_limit = replace(base, vehicle=replace(base.vehicle, axles=axles, gross_weight_kg=limit))
    over = replace(base, vehicle=replace(base.vehicle, axles=axles, gross_weight_kg=limit + 1))
    assert problems(at_limit) == set()
    assert problems(over) == {("vehicle.gross_weight_kg", "weight.over_limit")}


def test_same_weight_is_legal_in_vietnam_but_not_in_china():
    assert problems(replace(VALID, vehicle=replace(VALID.vehicle, gross_weight_kg=43_500))) == set()
    assert problems(replace(CN_TRUCK, vehicle=replace(CN_TRUCK.vehicle, gross_weight_kg=43_500))) == {
        ("vehicle.gross_weight_kg", "weight.over_limit")}


def test_rigid_truck_without_a_trailer_has_the_lower_limit():
    rigid = replace(VALID, vehicle=replace(VALID.vehicle, trailer_plate=None, axles=4, gross_weight_kg=30_001))
    (problem,) = validate_declaration(rigid, context())
    assert problem.code == "weight.over_limit" and "4-axle rigid truck" in problem.msg


def test_over_limit_message_gives_tonnes_axles_and_the_limit_in_kg():
    heavy = replace(VALID, vehicle=replace(VALID.vehicle, gross_weight_kg=46_200))
    (problem,) = validate_declaration(heavy, context())
    assert problem.msg == ("gross 46.2 t exceeds the legal 44 t for a 5-axle tractor and semi-trailer; "
                           "expected at most 44000 kg")


@pytest.mark.parametrize(("node", "gate_code", "limit"), [(VN_NODE, "KIMTHANH", 44_000), (CN_NODE, "HEKOU", 43_000)])
def test_third_country_truck_gets_the_limits_of_the_node_country(node, gate_code, limit):
    lao = replace(VALID, gate=gate_code, direction="import",
                  vehicle=Vehicle("LA-1234", "LA", axles=5, gross_weight_kg=limit + 1, trailer_plate="LA-5678"))
    assert problems(lao, context(node)) == {("vehicle.gross_weight_kg", "weight.over_limit")}
    assert problems(replace(lao, vehicle=replace(lao.vehicle, gross_weight_kg=limit)), context(node)) == set()


# ------------------------------------------------------------------ documents the goods demand


def test_goods_that_are_not_plant_products_need_no_phytosanitary_certificate():
    shrimp_only = without_document(replace(VALID, goods=(SHRIMP,)), "phytosanitary")
    assert problems(shrimp_only) == set()


def test_missing_phytosanitary_certificate_names_the_item_and_subheading():
    decl = without_document(replace(VALID, goods=(SHRIMP, DURIAN)), "phytosanitary")
    (problem,) = validate_declaration(decl, context())
    assert (problem.loc, problem.code) == ("documents", "document.phytosanitary_missing")
    assert problem.msg.startswith("goods[1] (HS 081060)")


def test_durian_codes_are_only_required_from_vietnam_into_china():
    no_codes = with_goods(VALID, planting_area_code=None, packing_house_code=None)
    cn_import = replace(no_codes, gate="HEKOU", direction="import")
    assert problems(cn_import, context(CN_NODE)) == MISTAKES["durian without GACC codes"][1]
    assert problems(replace(no_codes, direction="import")) == set()  # into Vietnam
    assert problems(replace(cn_import, direction="export"), context(CN_NODE)) == set()  # out of China


def test_malformed_gacc_code_is_reported():
    (problem,) = validate_declaration(with_goods(VALID, packing_house_code="ph 45"), context())
    assert (problem.loc, problem.code) == ("goods[0].packing_house_code", "protocol.code_format")


def test_each_preferential_item_without_form_e_is_reported():
    decl = without_document(replace(VALID, goods=(replace(SHRIMP, preferential_origin=True),
                                                  replace(DURIAN, preferential_origin=True))), "form_e")
    messages = [p.msg for p in validate_declaration(decl, context())]
    assert [m.split(" ")[0] for m in messages] == ["goods[0]", "goods[1]"]
    assert all("form_e" in m for m in messages)


def test_preference_backed_by_a_form_e_is_accepted():
    assert problems(with_goods(VALID, preferential_origin=True)) == set()


# ------------------------------------------------------------------ time and place


def test_arrival_within_the_grace_period_is_not_in_the_past():
    assert problems(replace(VALID, expected_arrival=NOW - timedelta(minutes=29))) == set()
    assert problems(replace(VALID, expected_arrival=NOW - timedelta(minutes=31))) == {("expected_arrival",
                                                                                       "time.past")}


def test_arrival_without_a_utc_offset_is_reported_not_compared():
    naive = replace(VALID, expected_arrival=datetime(2026, 11, 23, 9, 30))
    assert problems(naive) == {("expected_arrival", "time.naive")}


def test_past_arrival_message_gives_the_earliest_acceptable_time():
    (problem,) = validate_declaration(replace(VALID, expected_arrival=NOW - timedelta(days=1)), context())
    assert "is in the past; expected a time after 2026-11-22T09:30+07:00" in problem.msg


def test_gate_of_another_node_lists_this_nodes_gates():
    (problem,) = validate_declaration(replace(VALID, gate="HEKOU"), context())
    assert problem.msg == "gate 'HEKOU' is not operated by node VN-LCI; expected one of HUUNGHI, KIMTHANH"


def test_unknown_gate_does_not_hide_a_past_arrival():
    decl = replace(VALID, gate="NOWHERE", expected_arrival=NOW - timedelta(days=3))
    assert problems(decl) == {("gate", "gate.unknown"), ("expected_arrival", "time.past")}
