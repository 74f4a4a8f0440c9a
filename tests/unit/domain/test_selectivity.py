"""Risk lanes from the rules file: criteria, reasons, severity, and the auditable random draw."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderflow.domain.declaration import Declarant, Declaration, Document, Driver, GoodsItem, Vehicle
from borderflow.domain.selectivity import (
    LANES,
    Assessment,
    DeclarantHistory,
    RuleSet,
    RulesError,
    assess,
    audit_draw,
    rederive,
)
from borderflow.reference.rules_loader import load_rules

PROPERTY = settings(max_examples=200, deadline=None)
HANOI = timezone(timedelta(hours=7))
SECRET = b"node-secret-VN-LCI"
NEW, KNOWN = DeclarantHistory(crossings=0), DeclarantHistory(crossings=50)


def never(purpose: str) -> float:
    return 0.999999


def always(purpose: str) -> float:
    return 0.0


def goods(hs="08106000", *, origin="VN", perishable=True, value=72_000, net=22_000, gross=24_000) -> GoodsItem:
    return GoodsItem(hs, "goods", 100, Decimal(gross), Decimal(net), Decimal(value), "USD", origin, perishable)


DURIAN = goods()
CASSAVA = goods("07141011", perishable=False, value=6_000, net=19_800, gross=20_000)
BASE = Declaration(
    direction="export", gate="KIMTHANH", expected_arrival=datetime(2026, 11, 23, 9, 30, tzinfo=HANOI),
    declarant=Declarant("5300123456", "Lao Cai Fruit Export Co."),
    vehicle=Vehicle("24C-123.45", "VN", 5, 38_000, "24R-012.34"),
    driver=Driver("Nguyen Van An", "C1234567", "VN", "+84912345678"),
    goods=(DURIAN,), documents=(Document("phytosanitary", "PC-2026-001234"),),
)


def decl(*, tax_id=None, plate=None, trailer_plate=None, vehicle_country=None, **fields) -> Declaration:
    vehicle = BASE.vehicle
    if plate is not None:
        vehicle = replace(vehicle, plate=plate)
    if trailer_plate is not None:
        vehicle = replace(vehicle, trailer_plate=trailer_plate)
    if vehicle_country is not None:
        vehicle = replace(vehicle, country=vehicle_country)
    declarant = replace(BASE.declarant, tax_id=tax_id) if tax_id else BASE.declarant
    return replace(BASE, vehicle=vehicle, declarant=declarant, **fields)


def rules(*rule_tables: dict, **top) -> RuleSet:
    return RuleSet.from_dict({**top, "rules": [{"lane": "yellow", **r} for r in rule_tables]})


WATCHLISTS = {
    "wanted": {"description": "wanted vehicles", "plates": ["24C-999.99"]},
    "suspended": {"description": "suspended declarants", "declarants": ["0100109106"]},
}

# criterion, reason template, (declaration, history) that fires, one that does not, the reason it leaves
CRITERIA = [
    ({"hs_prefix": ["0810.60"]}, "HS {hs}", (BASE, KNOWN), (decl(goods=(CASSAVA,)), KNOWN), "HS 0810.60"),
    ({"origin": ["TH"]}, "origin {origin} HS {hs}", (decl(goods=(CASSAVA, goods(origin="TH"))), KNOWN),
     (BASE, KNOWN), "origin TH HS 0810.60"),
    ({"direction": "import"}, "import", (decl(direction="import"), KNOWN), (BASE, KNOWN), "import"),
    ({"gate": ["HUUNGHI", "TANTHANH"]}, "gate", (decl(gate="HUUNGHI"), KNOWN), (BASE, KNOWN), "gate"),
    ({"declarant": ["0100109106"]}, "declarant {declarant}", (decl(tax_id="0100109106"), KNOWN), (BASE, KNOWN),
     "declarant 0100109106"),
    ({"vehicle_country": ["CN"]}, "CN truck {plate}", (decl(vehicle_country="CN", plate="桂F12345"), KNOWN),
     (BASE, KNOWN), "CN truck 桂F12345"),
    ({"perishable": True}, "perishable", (BASE, KNOWN), (decl(goods=(CASSAVA,)), KNOWN), "perishable"),
    ({"perishable": False}, "dry", (decl(goods=(CASSAVA,)), KNOWN), (BASE, KNOWN), "dry"),
    ({"plate_watchlist": "wanted"}, "plate {plate} on '{watchlist}'", (decl(plate="24c 999 99"), KNOWN),
     (BASE, KNOWN), "plate 24c 999 99 on 'wanted vehicles'"),
    ({"declarant_watchlist": "suspended"}, "{declarant} on '{watchlist}'", (decl(tax_id="0100109106"), KNOWN),
     (BASE, KNOWN), "0100109106 on 'suspended declarants'"),
    ({"value_per_kg_below": 1.0}, "{value_per_kg}/kg", (decl(goods=(goods(value=11_000),)), KNOWN),
     (BASE, KNOWN), "0.50 USD/kg"),
    ({"value_per_kg_above": 10}, "{value_per_kg}/kg", (decl(goods=(goods(value=330_000),)), KNOWN),
     (BASE, KNOWN), "15.00 USD/kg"),
    ({"history_crossings_below": 3}, "new", (BASE, DeclarantHistory(crossings=2)),
     (BASE, DeclarantHistory(crossings=3)), "new"),
    ({"history_refused_at_least": 2}, "refused", (BASE, DeclarantHistory(crossings=9, refused=2)),
     (BASE, DeclarantHistory(crossings=9, refused=1)), "refused"),
    ({"history_inspections_failed_at_least": 1}, "failed", (BASE, DeclarantHistory(inspections_failed=1)),
     (BASE, KNOWN), "failed"),
]


@pytest.mark.parametrize(("criterion", "template", "hit", "miss", "reason"), CRITERIA,
                         ids=[next(iter(c[0])) + ("=" + str(c[0]["perishable"]) if "perishable" in c[0] else "")
                              for c in CRITERIA])
def test_each_criterion_fires_with_its_reason(criterion, template, hit, miss, reason):
    ruleset = rules({"id": "r", "reason": template, **criterion}, watchlists=WATCHLISTS)
    assert assess(*hit, ruleset, never) == Assessment("yellow", (reason,), ("r",))
    assert assess(*miss, ruleset, never) == Assessment("green", (), ())


def test_every_criterion_the_rules_accept_is_covered_above():
    from borderflow.domain.selectivity_rules import RULE_KEYS
    covered = {key for case in CRITERIA for key in case[0]}
    assert covered == RULE_KEYS - {"id", "lane", "reason", "enabled"}


def test_watchlisted_trailer_plate_fires_naming_the_trailer():
    ruleset = rules({"id": "w", "reason": "plate {plate}", "plate_watchlist": "wanted"}, watchlists=WATCHLISTS)
    assert assess(decl(trailer_plate="24C-999.99"), KNOWN, ruleset, never).reasons == ("plate 24C-999.99",)


def test_all_criteria_of_a_rule_must_hold():
    ruleset = rules({"id": "r", "reason": "x", "hs_prefix": ["0810"], "perishable": True,
                     "history_crossings_below": 3})
    assert assess(BASE, NEW, ruleset, never).lane == "yellow"
    assert assess(BASE, KNOWN, ruleset, never).lane == "green"
    assert assess(decl(goods=(goods(perishable=False),)), NEW, ruleset, never).lane == "green"


def test_goods_criteria_must_hold_on_the_same_item():
    ruleset = rules({"id": "r", "reason": "HS {hs} from {origin}", "hs_prefix": ["0810"], "origin": ["TH"]})
    split = decl(goods=(DURIAN, replace(CASSAVA, origin="TH")))
    assert assess(split, KNOWN, ruleset, never).lane == "green"
    together = decl(goods=(replace(CASSAVA, origin="TH"), goods(origin="TH")))
    assert assess(together, KNOWN, ruleset, never).reasons == ("HS 0810.60 from TH",)


def test_value_per_kg_never_fires_on_zero_net_weight():
    ruleset = rules({"id": "r", "reason": "cheap", "value_per_kg_below": 1.0})
    assert assess(decl(goods=(goods(value=0, net=0),)), KNOWN, ruleset, never).lane == "green"


def test_highest_lane_wins_and_every_fired_rule_leaves_its_reason():
    ruleset = RuleSet.from_dict({"rules": [
        {"id": "a", "lane": "blue", "reason": "audit", "hs_prefix": ["08"]},
        {"id": "b", "lane": "red", "reason": "inspect", "perishable": True},
        {"id": "c", "lane": "yellow", "reason": "documents", "origin": ["VN"]},
        {"id": "d", "lane": "red", "reason": "never", "origin": ["TH"]},
    ]})
    assert assess(BASE, KNOWN, ruleset, never) == Assessment("red", ("audit", "inspect", "documents"),
                                                             ("a", "b", "c"))


@pytest.mark.parametrize("lanes", [("blue", "yellow"), ("yellow", "blue"), ("green", "blue"), ("red", "green")])
def test_lane_is_the_most_severe_regardless_of_rule_order(lanes):
    ruleset = RuleSet.from_dict({"rules": [{"id": f"r{i}", "lane": lane, "reason": lane, "perishable": True}
                                           for i, lane in enumerate(lanes)]})
    assert assess(BASE, KNOWN, ruleset, never).lane == max(lanes, key=LANES.index)


def test_default_lane_applies_when_nothing_fires():
    ruleset = RuleSet.from_dict({"default_lane": "blue", "rules": [
        {"id": "g", "lane": "green", "reason": "never", "origin": ["TH"]}]})
    assert assess(BASE, KNOWN, ruleset, never) == Assessment("blue", (), ())


def test_disabled_rule_does_not_fire():
    ruleset = rules({"id": "off", "reason": "x", "perishable": True, "enabled": False})
    assert ruleset.rules == () and assess(BASE, KNOWN, ruleset, never).lane == "green"


def test_unknown_placeholder_stays_visible_in_the_reason():
    ruleset = rules({"id": "r", "reason": "HS {hs} by {nobody}", "hs_prefix": ["0810"]})
    assert assess(BASE, KNOWN, ruleset, never).reasons == ("HS 0810.60 by {nobody}",)


# ------------------------------------------------------------------ random minimum rates


def test_random_selection_takes_the_most_severe_lane_drawn_and_says_so():
    ruleset = RuleSet.from_dict({"random": {"red": 0.01, "yellow": 0.03}})
    result = assess(BASE, KNOWN, ruleset, always)
    assert result == Assessment("red", ("random selection for red (1% minimum rate)",), ("random:red",))


def test_each_lane_draws_for_its_own_purpose():
    purposes = []

    def draw(purpose: str) -> float:
        purposes.append(purpose)
        return 0.0 if purpose == "random:yellow" else 0.99

    ruleset = RuleSet.from_dict({"random": {"red": 0.5, "yellow": 0.5, "blue": 0.5}})
    assert assess(BASE, KNOWN, ruleset, draw).lane == "yellow"
    assert purposes == ["random:red", "random:yellow"]


def test_random_never_lowers_a_lane_a_rule_chose():
    ruleset = rules({"id": "r", "lane": "red", "reason": "inspect", "perishable": True},
                    random={"yellow": 1.0, "blue": 1.0})
    assert assess(BASE, KNOWN, ruleset, always) == Assessment("red", ("inspect",), ("r",))


def test_zero_rate_never_selects():
    assert assess(BASE, KNOWN, RuleSet.from_dict({"random": {"red": 0.0}}), always).lane == "green"


def test_audit_draw_is_the_documented_hmac():
    mac = hmac.new(SECRET, b"c-42|random:red", hashlib.sha256).digest()
    assert audit_draw(SECRET, "c-42")("random:red") == int.from_bytes(mac[:8], "big") / 2**64


@PROPERTY
@given(st.text(min_size=1, max_size=40), st.binary(min_size=1, max_size=32), st.binary(min_size=1, max_size=32))
def test_draw_is_reproducible_from_id_and_secret_and_differs_across_secrets(crossing_id, secret, other):
    first = audit_draw(secret, crossing_id)("random:red")
    assert 0 <= first < 1
    assert audit_draw(secret, crossing_id)("random:red") == first
    if other != secret:
        assert audit_draw(other, crossing_id)("random:red") != first


def test_different_secrets_select_different_crossings():
    ruleset = RuleSet.from_dict({"random": {"red": 0.5}})
    ids = [f"crossing-{i}" for i in range(2_000)]
    picked = [{i for i in ids if assess(BASE, KNOWN, ruleset, audit_draw(s, i)).lane == "red"}
              for s in (b"secret-one", b"secret-two")]
    assert picked[0] != picked[1]
    assert 0.4 < len(picked[0] & picked[1]) / len(picked[0]) < 0.6  # independent halves overlap by about half


@pytest.mark.parametrize("rate", [0.05, 0.25])
def test_random_rate_is_met_over_many_crossings(rate):
    ruleset = RuleSet.from_dict({"random": {"red": rate}})
    n = 10_000
    hits = sum(assess(BASE, KNOWN, ruleset, audit_draw(SECRET, f"crossing-{i}")).lane == "red" for i in range(n))
    assert abs(hits / n - rate) < 0.02


def test_shipped_random_rates_are_met_over_many_crossings():
    """Lanes are drawn most severe first, so a lower lane is only drawn when no higher one was."""
    ruleset = load_rules()
    n, counts = 10_000, dict.fromkeys(LANES, 0)
    for i in range(n):
        counts[assess(decl(goods=(CASSAVA,)), KNOWN, ruleset, audit_draw(SECRET, f"c{i}")).lane] += 1
    for lane, rate in ruleset.random_rates.items():
        assert counts[lane] > 0 and abs(counts[lane] / n - rate) < 0.01


@PROPERTY
@given(st.uuids().map(str), st.sampled_from([NEW, KNOWN, DeclarantHistory(crossings=9, refused=2)]),
       st.sampled_from([BASE, decl(goods=(CASSAVA,)), decl(plate="24C-999.99")]))
def test_rederive_reproduces_the_assessment(crossing_id, history, declaration):
    ruleset = RuleSet.from_dict({"random": {"red": 0.2, "yellow": 0.3, "blue": 0.3},
                                 "watchlists": {"wanted": {"plates": ["24C-999.99"]}},
                                 "rules": [{"id": "w", "lane": "red", "reason": "{plate}", "plate_watchlist": "wanted"},
                                           {"id": "d", "lane": "yellow", "reason": "{hs}", "hs_prefix": ["0810"]},
                                           {"id": "n", "lane": "blue", "reason": "new", "history_crossings_below": 3}]})
    original = assess(declaration, history, ruleset, audit_draw(SECRET, crossing_id))
    assert rederive(declaration, history, ruleset, SECRET, crossing_id) == original


# ------------------------------------------------------------------ the shipped rules


def test_shipped_rules_load():
    ruleset = load_rules()
    assert {"durian-protocol", "watchlisted-plate", "chemicals", "arms"} <= {r.id for r in ruleset.rules}
    assert ruleset.default_lane == "green"
    assert all(0 < rate < 0.1 for rate in ruleset.random_rates.values())


def test_shipped_rules_send_durian_from_a_new_declarant_to_documents():
    result = assess(BASE, NEW, load_rules(), never)
    assert result.lane == "yellow" and result.rules == ("durian-protocol", "fresh-fruit-new-declarant")
    assert result.reasons[0].startswith("HS 0810.60 (durian)")


def test_shipped_rules_inspect_a_watchlisted_plate():
    result = assess(decl(goods=(CASSAVA,), plate="24C-999.99"), KNOWN, load_rules(), never)
    assert result == Assessment("red", ("plate 24C-999.99 on watchlist 'stolen or wanted vehicles'",),
                                ("watchlisted-plate",))


def test_shipped_rules_inspect_chemicals_and_clear_ordinary_cargo():
    chemicals = decl(goods=(goods("28070000", perishable=False),))
    assert assess(chemicals, KNOWN, load_rules(), never).rules == ("chemicals",)
    assert assess(decl(goods=(CASSAVA,)), KNOWN, load_rules(), never) == Assessment("green", (), ())


# ------------------------------------------------------------------ malformed rules


def ok_rule(**changes) -> dict:
    return {"id": "durian", "lane": "yellow", "reason": "durian", "hs_prefix": ["081060"], **changes}


@pytest.mark.parametrize(("data", "message"), [
    ({"rules": [ok_rule(lane="amber")]}, "rules[0] (durian).lane: 'amber' is not a lane"),
    ({"rules": [ok_rule(lane=None)]}, "rules[0] (durian).lane: None is not a lane"),
    ({"rules": [ok_rule(colour="red")]}, "rules[0] (durian).colour: unknown criterion"),
    ({"rules": [ok_rule(hs_prefix=810)]}, "rules[0] (durian).hs_prefix: expected a non-empty list of strings"),
    ({"rules": [ok_rule(hs_prefix=[])]}, "rules[0] (durian).hs_prefix: expected a non-empty list of strings"),
    ({"rules": [ok_rule(hs_prefix=["durian"])]}, "rules[0] (durian).hs_prefix: expected digit prefixes"),
    ({"rules": [ok_rule(origin=["VN", 7])]}, "rules[0] (durian).origin: expected a non-empty list of strings"),
    ({"rules": [ok_rule(perishable="yes")]}, "rules[0] (durian).perishable: expected true or false"),
    ({"rules": [ok_rule(enabled="no")]}, "rules[0] (durian).enabled: expected true or false"),
    ({"rules": [ok_rule(value_per_kg_below="1.0")]}, "rules[0] (durian).value_per_kg_below: expected a number"),
    ({"rules": [ok_rule(value_per_kg_above=-1)]}, "rules[0] (durian).value_per_kg_above: expected a number"),
    ({"rules": [ok_rule(value_per_kg_above=True)]}, "rules[0] (durian).value_per_kg_above: expected a number"),
    ({"rules": [ok_rule(history_crossings_below=1.5)]},
     "rules[0] (durian).history_crossings_below: expected a whole number"),
    ({"rules": [ok_rule(history_refused_at_least=True)]},
     "rules[0] (durian).history_refused_at_least: expected a whole number"),
    ({"rules": [ok_rule(history_inspections_failed_at_least=-1)]},
     "rules[0] (durian).history_inspections_failed_at_least: expected a whole number"),
    ({"rules": [ok_rule(plate_watchlist="nope")]}, "rules[0] (durian).plate_watchlist: no watchlist 'nope'"),
    ({"rules": [ok_rule(reason="  ")]}, "rules[0] (durian).reason: missing"),
    ({"rules": [{"lane": "red", "reason": "x", "perishable": True}]}, "rules[0].id: missing"),
    ({"rules": [ok_rule(), ok_rule()]}, "rules[1].id: 'durian' is used twice"),
    ({"rules": [{"id": "all", "lane": "red", "reason": "x"}]}, "rules[0] (all): no criterion"),
    ({"rules": [ok_rule(), "durian"]}, "rules[1]: expected a table"),
    ({"rules": {"durian": ok_rule()}}, "rules: expected an array of tables"),
    ({"default_lane": "amber"}, "default_lane: 'amber' is not a lane"),
    ({"random": {"red": 1.5}}, "random.red: 1.5 is not a rate"),
    ({"random": {"red": "1%"}}, "random.red: '1%' is not a rate"),
    ({"random": {"purple": 0.1}}, "random.purple: 'purple' is not a lane"),
    ({"watchlists": {"w": {"plates": ["24C-999.99"], "owner": "x"}}}, "watchlists.w.owner: unknown key"),
    ({"watchlists": {"w": {"plates": "24C-999.99 24C-999.98".split() + [1]}}}, "watchlists.w.plates: expected"),
    ({"lanes": {}}, "lanes: unknown top-level key"),
])
def test_malformed_rules_name_where_and_what_is_expected(data, message):
    with pytest.raises(RulesError) as info:
        RuleSet.from_dict(data)
    assert str(info.value).startswith(message)


def test_disabled_rule_is_still_checked():
    with pytest.raises(RulesError, match=r"rules\[0\] \(durian\)\.lane"):
        RuleSet.from_dict({"rules": [ok_rule(lane="amber", enabled=False)]})


def test_reason_template_with_a_stray_brace_is_refused_at_load_or_kept():
    try:
        ruleset = RuleSet.from_dict({"rules": [ok_rule(reason="HS {hs (durian)")]})
    except RulesError as exc:
        assert str(exc).startswith("rules[0] (durian).reason")
        return
    assert assess(BASE, KNOWN, ruleset, never).rules == ("durian",)


def test_misspelt_direction_is_refused():
    with pytest.raises(RulesError, match=r"rules\[0\] \(durian\)\.direction"):
        RuleSet.from_dict({"rules": [ok_rule(direction=["exprot"])]})


def test_loader_prefixes_errors_with_the_file(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nid = "x"\nlane = "amber"\nreason = "r"\nperishable = true\n', encoding="utf-8")
    with pytest.raises(RulesError) as info:
        load_rules(path)
    assert str(info.value) == f"{path}: rules[0] (x).lane: 'amber' is not a lane; expected one of " \
                              "green, blue, yellow, red"


def test_loader_reports_bad_toml_and_missing_files(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[[rules]\n", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid TOML"):
        load_rules(path)
    with pytest.raises(RulesError, match="cannot read the rules file"):
        load_rules(tmp_path / "missing.toml")
