"""Words for the codes the API uses (status, risk lane, role …), marked for the catalogues.

`N_` only marks a string for extraction; templates translate it when shown, so the
same code reads "held" in English, "Bị giữ lại" in Vietnamese and "已扣留" in Chinese.
"""

from __future__ import annotations


def N_(text: str) -> str:  # noqa: N802 - the conventional name extractors look for
    return text


STATUS = {
    "declared": N_("Declared"), "in_transit": N_("In transit"), "arrived": N_("At the gate"),
    "inspecting": N_("Being inspected"), "held": N_("Held"), "released": N_("Released"),
    "exited": N_("Crossed"), "cancelled": N_("Cancelled"), "refused": N_("Refused"),
}
# The risk lane's colour name and what it means, so colour is never the only carrier.
RISK_LANE = {"green": N_("Green"), "blue": N_("Blue"), "yellow": N_("Yellow"), "red": N_("Red")}
RISK_MEANING = {"green": N_("release"), "blue": N_("release, audit later"), "yellow": N_("document check"),
                "red": N_("physical inspection")}
DIRECTION = {"export": N_("Export"), "import": N_("Import")}
LANE_DIRECTION = {"outbound": N_("outbound"), "inbound": N_("inbound")}
ROLE = {
    "declarant": N_("Declarant"), "customs": N_("Customs"), "border_guard": N_("Border guard"),
    "quarantine": N_("Quarantine"), "gate_operator": N_("Gate operator"), "supervisor": N_("Supervisor"),
}
INSPECTION = {"document": N_("Document check"), "physical": N_("Physical inspection")}
RESULT = {"passed": N_("Passed"), "failed": N_("Failed")}
# The agencies that sign a truck off (domain/signoffs.AGENCIES); "health" has no role of its own.
AGENCY = {"customs": N_("Customs"), "quarantine": N_("Plant quarantine"), "border_guard": N_("Border guard"),
          "health": N_("Health quarantine")}
SIGNOFF = {"pending": N_("Waiting"), "passed": N_("Passed"), "failed": N_("Failed")}
ON_FAILURE = {"hold": N_("a failure holds the truck"), "refuse": N_("a failure refuses the truck")}
WHERE = {  # where a truck waiting for a sign-off is (console_data.where)
    "not_arrived": N_("Not at the yard yet"), "yard": N_("In the yard"), "called": N_("Called forward, on its way"),
    "gate": N_("At the gate"),
}
MATCH = {"none": N_("No declaration matches"), "ambiguous": N_("Several declarations match"),
         "low_confidence": N_("Camera unsure")}
PRIORITY = {"perishable": N_("Perishable"), "trusted": N_("Trusted trader"), "ordinary": N_("Normal")}
GATE_STATUS = {"open": N_("Open"), "closed": N_("Closed"), "delay": N_("Delays")}
DOCUMENT = {"phytosanitary": N_("Phytosanitary certificate"), "form_e": N_("Form E (ACFTA origin)"),
            "invoice": N_("Commercial invoice"), "packing_list": N_("Packing list"),
            "health_certificate": N_("Health certificate"), "other": N_("Other document")}
ACTION = {  # events in a crossing's history
    "declare": N_("Declared"), "amend": N_("Amended"), "depart_partner": N_("Left the partner side"),
    "arrive": N_("Arrived at the gate"), "start_inspection": N_("Inspection started"),
    "pass_inspection": N_("Inspection passed"), "fail_inspection": N_("Inspection failed"), "hold": N_("Held"),
    "release": N_("Released"), "exit": N_("Crossed the barrier"), "cancel": N_("Cancelled"),
    "refuse": N_("Refused"), "yard_check_in": N_("Checked in at the yard"),
    "partner_amendment": N_("Amended by the partner side"), "partner_status": N_("News from the partner side"),
    "partner_clearance": N_("Partner side's clearance result"), "signoff": N_("Sign-off recorded"),
    "called_out_of_turn": N_("Called forward out of turn"),
}
DECISION = {"open": N_("Open"), "hold": N_("Hold")}
FLASH = {  # what the last action did, shown on the next page
    "inspect": N_("Inspection recorded"), "hold": N_("Held"), "release": N_("Released"), "refuse": N_("Refused"),
    "review_resolved": N_("Plate read confirmed"), "review_dismissed": N_("Plate read dismissed"),
    "declare": N_("Declaration accepted"), "amend": N_("Amendment accepted"), "cancel": N_("Crossing cancelled"),
    "call_forward": N_("Trucks called forward"), "book": N_("Slot booked"), "unbook": N_("Booking cancelled"),
    "unavailable": N_("Not available on this node yet"), "call": N_("Truck called forward now"),
}
TABLES = {"status": STATUS, "risk_lane": RISK_LANE, "risk_meaning": RISK_MEANING, "direction": DIRECTION,
          "lane_direction": LANE_DIRECTION, "role": ROLE, "inspection": INSPECTION, "result": RESULT,
          "match": MATCH, "priority": PRIORITY, "gate_status": GATE_STATUS, "document": DOCUMENT,
          "action": ACTION, "decision": DECISION, "flash": FLASH, "agency": AGENCY, "signoff": SIGNOFF,
          "on_failure": ON_FAILURE, "where": WHERE}


def label(table: str, code: str | None) -> str:
    """The English word for `code`, to be translated by the caller; unknown codes pass through."""
    if code is None:
        return ""
    return TABLES[table].get(code, code)

# The declaration form's fields by JSON path, in the form's order, with the words the form shows
# (the same msgids as the template's labels); rows are "<section>[n].<field>".
FIELD = {
    "direction": N_("Direction"), "gate": N_("Gate"), "expected_arrival": N_("Expected arrival (gate local time)"),
    "customs_declaration_no": N_("Customs declaration no."),
    "declarant.tax_id": N_("Tax id"), "declarant.name": N_("Company name"),
    "vehicle.plate": N_("Plate"), "vehicle.country": N_("Country of registration"),
    "vehicle.trailer_plate": N_("Trailer plate"), "vehicle.axles": N_("Axles"),
    "vehicle.gross_weight_kg": N_("Gross weight (kg)"),
    "driver.name": N_("Full name"), "driver.document_no": N_("Passport or border pass no."),
    "driver.nationality": N_("Nationality"), "driver.phone": N_("Phone"),
    "containers.number": N_("Container no."), "containers.seal": N_("Seal no."),
    "containers.size_type": N_("Size/type code"),
    "goods.hs_code": N_("HS code"), "goods.description": N_("Description"), "goods.packages": N_("Packages"),
    "goods.gross_kg": N_("Gross kg"), "goods.net_kg": N_("Net kg"), "goods.value": N_("Value"),
    "goods.currency": N_("Currency"), "goods.origin": N_("Country of origin"),
    "goods.planting_area_code": N_("Planting area code"), "goods.packing_house_code": N_("Packing house code"),
    "goods.perishable": N_("Perishable"), "goods.preferential_origin": N_("Claims preferential origin (Form E)"),
    "documents.type": N_("Document"), "documents.number": N_("Number"),
}
SECTION = {"containers": N_("Containers"), "goods": N_("Goods"), "documents": N_("Documents"),
           "declarant": N_("Declarant"), "vehicle": N_("Vehicle"), "driver": N_("Driver")}
ROW = {"containers": N_("Container %(n)d"), "goods": N_("Goods line %(n)d"), "documents": N_("Document %(n)d")}
_ORDER = {path: i for i, path in enumerate(FIELD)}
_SECTION_START = {"containers": _ORDER["containers.number"], "goods": _ORDER["goods.hs_code"],
                  "documents": _ORDER["documents.type"]}


def field_parts(loc: str) -> tuple[str | None, int | None, str | None]:
    """("goods", 0, "goods.hs_code") for "goods[0].hs_code"; (None, None, "vehicle.plate") for a plain field;
    ("goods", None, None) for the section as a whole."""
    head, _, rest = loc.partition(".")
    if "[" in head and head.endswith("]"):
        section, _, index = head[:-1].partition("[")
        row = int(index) if index.isdigit() else None
        return section, row, f"{section}.{rest}" if rest else None
    if loc in ROW:
        return loc, None, None
    return None, None, loc


def form_position(loc: str) -> tuple[int, int, int]:
    """Where the field sits in the form: section, row, field; unknown paths last, in path order."""
    section, row, leaf = field_parts(loc)
    if section is not None and section in _SECTION_START:
        return _SECTION_START[section], row if row is not None else -1, _ORDER.get(leaf or "", -1)
    return _ORDER.get(loc, len(_ORDER)), -1, -1
