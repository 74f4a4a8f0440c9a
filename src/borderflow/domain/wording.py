"""The node's own sentences in English, by code: the source every catalogue translates.

A code never changes meaning; a new sentence gets a new code. Fields are described in
`borderflow.domain.messages`. The Vietnamese, Chinese and English catalogues
(`borderflow/i18n/translations`) must cover every code here and any other module defines.
"""

from __future__ import annotations

from borderflow.domain.messages import define_all

TERMS = {
    "term.agency.customs": "customs", "term.agency.quarantine": "quarantine",
    "term.agency.border_guard": "border guard", "term.agency.health": "health",
    "term.risk_lane.green": "green", "term.risk_lane.blue": "blue", "term.risk_lane.yellow": "yellow",
    "term.risk_lane.red": "red",
    "term.direction.export": "export", "term.direction.import": "import",
    "term.lane_direction.outbound": "outbound", "term.lane_direction.inbound": "inbound",
    "term.status.declared": "declared", "term.status.in_transit": "in transit", "term.status.arrived": "arrived",
    "term.status.inspecting": "inspecting", "term.status.held": "held", "term.status.released": "released",
    "term.status.exited": "exited", "term.status.cancelled": "cancelled", "term.status.refused": "refused",
    "term.status.active": "active", "term.status.used": "used", "term.status.no_show": "no_show",
    "term.vehicle_shape.combination": "tractor and semi-trailer", "term.vehicle_shape.rigid": "rigid truck",
    "term.registration.planting_area_code": "planting-area code",
    "term.registration.packing_house_code": "packing-house code",
    "term.fruit.081060": "durian", "term.fruit.081090": "dragon fruit, longan, lychee, rambutan or passion fruit",
    "term.fruit.080390": "bananas", "term.fruit.080450": "mangoes or mangosteens", "term.fruit.080711": "watermelons",
    "term.check.document": "document", "term.check.physical": "physical",
    "term.clearance.released": "released", "term.clearance.refused": "refused",
    "term.priority.perishable": "perishable", "term.priority.trusted": "trusted", "term.priority.ordinary": "ordinary",
    "term.role.declarant": "declarant", "term.role.driver": "driver", "term.role.customs": "customs",
    "term.role.border_guard": "border_guard", "term.role.quarantine": "quarantine",
    "term.role.gate_operator": "gate_operator", "term.role.supervisor": "supervisor", "term.role.partner": "partner",
    "term.role.device": "device", "term.role.public": "public",
    "term.may.read_slots": "read slots", "term.may.book_slots": "book slots",
    "term.may.read_bookings": "read bookings", "term.may.cancel_bookings": "cancel bookings",
    "term.may.declare_crossings": "declare crossings", "term.may.amend_crossings": "amend crossings",
    "term.may.cancel_crossings": "cancel crossings", "term.may.read_crossings": "read crossings",
    "term.may.read_declarations": "read declarations", "term.may.post_gate_events": "post gate events",
    "term.may.review_plate_reads": "review plate reads", "term.may.read_the_yard": "read the yard",
    "term.may.read_gate_capacity": "read gate capacity", "term.may.change_gate_capacity": "change gate capacity",
    "term.may.call_trucks_forward": "call trucks forward", "term.may.call_out_of_turn": "call a truck out of turn",
    "term.may.read_the_audit_trail": "read the audit trail",
    "term.may.read_work_queues": "read the agencies' work queues",
    "term.may.deliver_partner_messages": "deliver partner messages",
    "term.may.hold_crossings": "hold crossings", "term.may.release_crossings": "release crossings",
    "term.may.refuse_crossings": "refuse crossings", "term.may.inspect_crossings": "inspect crossings",
}

PROBLEMS = {  # validation: domain/validation.py, domain/identifiers/, the API's own shape checks
    "gate.unknown": "gate {gate!r} is not operated by node {node}; expected one of {gates}",
    "time.naive": "time has no UTC offset; expected ISO 8601 with an offset, e.g. 2026-11-23T08:30:00+07:00",
    "time.past": "{at} is in the past; expected a time after {after}",
    "time.too_far": "{at} is more than {days} days ahead; declare closer to departure",
    "gate.closed": "{gate:name} takes goods {start}–{end} ({timezone}); {at} is outside those hours",
    "tax_id.format": "{tax_id!r} is not a tax id; expected a Vietnamese MST (10 digits, or 13 with a branch suffix) "
                     "or a Chinese unified social credit code (18 characters)",
    "required.declarant_name": "name is empty; expected the registered company name",
    "required.driver_name": "name is empty; expected the name on the driver's document",
    "required.driver_document": "document number is empty; expected passport or border pass number",
    "required.goods": "no goods; expected at least one goods item",
    "required.description": "description is empty; expected the goods in plain words",
    "required.document_number": "number is empty; expected the document's number",
    "country.unknown": "{country!r} is not an ISO 3166 alpha-2 country code; expected e.g. VN or CN",
    "country.unknown.origin": "{country!r} is not an ISO 3166 alpha-2 country code; expected e.g. VN",
    "driver.nationality": "a China-plated truck must be driven by a Chinese national (got {nationality}); expected CN",
    "phone.invalid": "{phone!r} is not a valid phone number; expected international format, e.g. +84912345678",
    "phone.invalid.national": "{phone!r} is not a valid phone number in {country}; expected international format, "
                              "e.g. +84912345678, or a national number such as 0912345678",
    "customs_declaration_no.format": "{number!r} is not a customs declaration number; expected 12 digits (Vietnam) "
                                     "or 18 digits (China)",
    "axles.range": "{axles} axles; expected 2 to 9",
    "weight.range": "{kg} kg; expected a positive weight",
    "weight.over_limit": "gross {gross:t} exceeds the legal {limit:t} for a {axles}-axle "
                         "{shape:term.vehicle_shape}; expected at most {limit} kg",
    "weight.below_cargo": "vehicle gross {gross} kg is less than the goods' {cargo} kg; expected the whole laden "
                          "vehicle",
    "packages.range": "{packages} packages; expected at least 1",
    "weight.net_above_gross": "net {net} kg; expected between 0 and gross {gross} kg",
    "value.range": "{value}; expected zero or more",
    "currency.unknown": "{currency!r} is not an ISO 4217 currency; expected e.g. USD, VND, CNY",
    "document.form_e_missing": "goods[{item}] claims ACFTA preferential origin; expected a form_e document",
    "document.phytosanitary_missing": "goods[{item}] (HS {hs}) is a plant product; expected a phytosanitary "
                                      "certificate",
    "protocol.code_missing": "{fruit:term.fruit} under the VN–CN protocol needs a GACC-registered "
                             "{field:term.registration}; it is missing",
    "protocol.code_format": "{value!r} is not a registration code; expected 4–32 capital letters, digits, '-', '/' "
                            "or '.'",
    "container.duplicate": "{number} is already listed at containers[{first}]; expected each container once",
    "document.type": "{type!r} is not a document type; expected one of {types}",
    "document.duplicate": "{type} {number} is listed twice; expected each document once",
    "plate.empty": "plate is empty; expected the registration as on the plate",
    "plate.format": "{plate!r} is not a plate; expected 2 to 10 letters and digits",
    "plate.format.vn": "{plate!r} is not a Vietnamese plate; expected 2-digit province, series letter and 5 "
                       "digits, e.g. {example}",
    "plate.province.vn": "{province} is not a Vietnamese province plate code; expected e.g. 24 (Lào Cai), 12 "
                         "(Lạng Sơn), 25 (Lai Châu)",
    "plate.series.pair": "series {series} is not issued; expected one letter of {letters} or one of {pairs}",
    "plate.series.letter": "series letter {series} is never issued (no I, J, O, Q, W); expected one of {letters}",
    "plate.trailer.vn_expected": "{plate!r} is not a trailer plate; trailers and semi-trailers carry series R, "
                                 "e.g. 24R-012.34",
    "plate.trailer.vn_given": "{plate!r} is a trailer plate (series R); expected the tractor's plate here and the "
                              "trailer's in trailer_plate",
    "plate.province.cn": "{plate!r} does not start with a Chinese province character; expected e.g. 桂 (Guangxi) "
                         "or 云 (Yunnan), as in 桂F12345",
    "plate.office.cn": "{plate!r}: the second character must be a letter other than I or O (the issuing office), "
                       "as in 桂F12345",
    "plate.trailer.cn_expected": "{plate!r} is not a trailer plate; expected 4 letters or digits (no I or O) then 挂, "
                                 "e.g. 桂F1234挂",
    "plate.trailer.cn_given": "{plate!r} is a trailer plate; expected the tractor's plate here and the trailer's in "
                              "trailer_plate",
    "plate.new_energy.cn": "{plate!r} has 6 characters, which only new-energy plates have; expected D or F first "
                           "(粤BD12345) or last (粤B12345D)",
    "plate.letters.cn": "{plate!r} contains I or O, which Chinese plates never use; expected digits 1 and 0 instead",
    "plate.format.cn": "{plate!r} is not a Chinese plate; expected province character, letter and 5 letters or "
                       "digits, e.g. 桂F12345",
    "container.format": "{number!r} is not an ISO 6346 container number; expected a 3-letter owner code, category "
                        "U/J/Z, 6 digits and a check digit, e.g. CSQU3054383",
    "container.category": "category letter {letter} in {number}; expected U (freight container), J (detachable "
                          "equipment) or Z (trailer/chassis)",
    "container.check_digit": "check digit is {given}; expected {expected} ({corrected})",
    "container.size_type": "{code!r} is not an ISO 6346 size/type code; expected 4 characters: length, height, type "
                           "group and detail, e.g. 22G1, 42G1, 45G1, 45R1",
    "hs.format": "{text!r} is not an HS code; expected 6 digits (international), 8 (Vietnam), 10 or 13 (China), "
                 "dots allowed, e.g. 0810.60.00",
    "hs.unknown": "subheading {stem} is not in HS 2022; expected an existing 6-digit subheading such as 081060 "
                  "(durians)",
    "declarant.not_yours": "this key declares for {own}, not {given}; expected {own}",
    "direction.unknown": "{direction!r}: expected inbound or outbound",
    "lane.unknown": "{gate:name} has no lane {lane!r}; expected one of {lanes}",
    "time.future": "{at} is in the future; check the device clock",
    "gate.not_designated": "{gate:name} is not designated for {commodity_group:name} ({direction:term.direction}); "
                           "designated gates: {designated_gates:name}",
    "slot.not_hour": "{slot} is not the start of an hour; slots run from hh:00 to hh:00",
    "slot.past": "{slot} has started or passed; book from the next hour on",
    "slot.too_far": "{slot} is more than {days} days ahead",
    "slot.missing": "choose one of the slots shown",
    "slot.naive": "expected a time with its UTC offset",
    "input.missing": "Field required",
    "input.extra_forbidden": "Extra inputs are not permitted",
    "input.string_too_short": "String should have at least {min_length} characters",
    "input.string_too_long": "String should have at most {max_length} characters",
    "input.too_short": "List should have at least {min_length} items after validation, not {actual_length}",
    "input.too_long": "List should have at most {max_length} items after validation, not {actual_length}",
    "input.greater_than_equal": "Input should be greater than or equal to {ge}",
    "input.less_than_equal": "Input should be less than or equal to {le}",
    "input.greater_than": "Input should be greater than {gt}",
    "input.less_than": "Input should be less than {lt}",
    "input.literal_error": "Input should be {expected}",
    "input.int_parsing": "Input should be a valid integer, unable to parse string as an integer",
    "input.int_type": "Input should be a valid integer",
    "input.int_from_float": "Input should be a valid integer, got a number with a fractional part",
    "input.float_parsing": "Input should be a valid number, unable to parse string as a number",
    "input.decimal_parsing": "Input should be a valid decimal",
    "input.decimal_max_digits": "Decimal input should have no more than {max_digits} digits in total",
    "input.decimal_max_places": "Decimal input should have no more than {decimal_places} decimal places",
    "input.bool_parsing": "Input should be a valid boolean, unable to interpret input",
    "input.string_type": "Input should be a valid string",
    "input.dict_type": "Input should be a valid dictionary",
    "input.model_type": "Input should be a valid dictionary or instance of {class_name}",
    "input.list_type": "Input should be a valid list",
    "input.datetime_parsing": "Input should be a valid datetime, {error}",
    "input.datetime_from_date_parsing": "Input should be a valid datetime or date, {error}",
    "input.timezone_aware": "Input should have timezone info",
    "input.string_pattern_mismatch": "String should match pattern '{pattern}'",
    "input.value_error": "Value error, {error}",
    "input.invalid": "{detail}",
    "input.json_invalid": "invalid JSON: {detail}",
    "input.nul": "must not contain a NUL character (\\x00)",
}

WARNINGS = {  # said, but nothing refused
    "duplicate.plate": "vehicle {plate} already has an active declaration, {reference} ({status:term.status}); "
                       "check that this is not the same truck declared twice",
    "duplicate.container": "container {number} is already on active declaration {reference} "
                           "({status:term.status}); check that this is not the same load declared twice",
}

PROBLEM_BODIES = {  # problem+json `detail` and `title`
    "problem.validation": "{count} problem(s) in the request; each is listed in errors",
    "problem.request": "{count} problem(s) in the request",
    "problem.not_json": "the body is not valid JSON",
    "problem.not_found": "{what:msg} does not exist (or is not visible to you)",
    "problem.unexpected": "the node failed to handle this request; it has been logged",
    "problem.database": "the node cannot reach its database just now; try again shortly",
    "what.crossing": "crossing {id}",
    "what.crossing_plate": "crossing {reference} with plate {plate}",
    "what.booking": "booking for crossing {id}",
    "what.active_booking": "active booking for crossing {id}",
    "what.gate_event": "gate event {id}",
    "what.override": "active capacity override {id}",
    "what.barrier_command": "barrier command {id}",
    "reconciliation.crossed_here_only": "{reference} crossed here; the partner's report has no crossing for it",
    "reconciliation.crossed_there_only": "{reference} crossed on the partner's side; no crossing here was counted "
                                         "for it",
    "reconciliation.other_period": "{reference} is counted in {ours} here and {theirs} there",
    "reconciliation.gross_weight": "{reference}: gross {ours:n} kg here, {theirs:n} kg there",
    "reconciliation.hs_subheading": "{reference}: HS {ours:list} here, {theirs:list} there",
    "reconciliation.value_usd": "{reference}: USD {ours:n} here, {theirs:n} there",
    "what.audit_entry": "audit entry {id}",
    "what.partner": "partner {id}; configured: {configured}",
    "barrier.no_acknowledgement": "barrier command {id} needs no acknowledgement (it is {state})",
    "gate.review_not_pending": "gate event {id} is not waiting for review (it is {review})",
    "audit.not_yet_checkpointed": "audit entry {id} is numbered but no signed checkpoint covers it yet; the "
                                  "sequencer signs one every few seconds",
    "idempotency.key_length": "Idempotency-Key must be 1 to {max} characters",
    "forbidden.role": "role {role:term.role} may not {action:term.may}",
    "title.400": "Malformed request", "title.401": "Not authenticated", "title.403": "Forbidden",
    "title.404": "Not found", "title.405": "Method not allowed", "title.408": "Request timeout",
    "title.409": "Conflict", "title.413": "Request body too large", "title.415": "Unsupported media type",
    "title.422": "Validation failed", "title.429": "Too many requests", "title.500": "Internal error",
    "title.503": "Service unavailable",
}

define_all(TERMS)
define_all(PROBLEMS)
define_all(WARNINGS)
define_all(PROBLEM_BODIES)

from borderflow.domain import wording_gate  # noqa: E402,F401 - decisions, refusals, history, the driver
