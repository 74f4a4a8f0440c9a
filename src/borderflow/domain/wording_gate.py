"""English sentences of the gate: barrier decisions, risk reasons, booking refusals, the
history of a crossing and what the driver is told (see `borderflow.domain.wording`)."""

from __future__ import annotations

from borderflow.domain.messages import define_all

DECISIONS = {  # domain/barrier.py; `when` is a gate-local time, with its day when not today
    "barrier.overweight": "weight {weighed_kg:t} exceeds {limit_kg:t} for {axles} axles",
    "barrier.weight_ok": "weight within the legal limit",
    "barrier.not_checked_in": "not called forward: check in at the {yard:name} yard and wait to be called",
    "barrier.not_called": "not called forward yet: wait in the {yard:name} yard",
    "barrier.not_called.position": "not called forward yet: wait in the {yard:name} yard, position {position}",
    "barrier.not_called.call": "not called forward yet: wait in the {yard:name} yard, expected call {when:when}",
    "barrier.not_called.position_call": "not called forward yet: wait in the {yard:name} yard, position {position}, "
                                        "expected call {when:when}",
    "barrier.wrong_lane": "{direction:term.direction} crossing {reference} at {lane_direction:term.lane_direction} "
                          "lane {lane}: use an {expected_direction:term.lane_direction} lane",
    "barrier.crossing_closed": "crossing {reference} is already {status:term.status}",
    "barrier.held": "held: {hold_reason:msg}",
    "barrier.inspecting": "inspection under way",
    "barrier.released": "released; {reference} may pass",
    "barrier.signoff_pending": "waiting for the sign-off of {agencies:term.agency}",
    "barrier.cleared": "{risk_lane:term.risk_lane} lane: released at the gate",
    "barrier.cleared_signed": "{risk_lane:term.risk_lane} lane: every sign-off passed; released at the gate",
    "barrier.checked_in": "{reference} checked in at the yard ({priority:term.priority}); wait to be called",
}

RISK = {  # domain/selectivity.py; one code per shipped rule (reference/rules/default.toml)
    "risk.random": "random selection for {lane:term.risk_lane} ({rate:.0%} minimum rate)",
    "risk.rule": "{text}",
    "risk.durian-protocol": "HS {hs} (durian): protocol fruit, planting-area and packing-house codes checked "
                            "against documents",
    "risk.fresh-fruit-new-declarant": "fresh fruit (HS {hs}) from a new declarant: fewer than 3 previous crossings",
    "risk.durian-undervalued": "durian declared at {value_per_kg} per kg: below 1.00, possible undervaluation",
    "risk.watchlisted-plate": "plate {plate} on watchlist '{watchlist}'",
    "risk.suspended-declarant": "declarant {declarant} on watchlist '{watchlist}'",
    "risk.repeatedly-refused": "declarant {declarant} was refused at least twice before",
    "risk.chemicals": "HS {hs}: chemicals are inspected physically",
    "risk.arms": "HS {hs}: arms and ammunition are inspected physically",
}

SIGNOFFS = {  # why an agency must sign off: one code per shipped [[signoffs]] rule
    "signoff.yellow-documents": "yellow lane: customs checks the documents",
    "signoff.red-physical": "red lane: customs inspects the truck",
    "signoff.plant-quarantine-export": "plant products: plant quarantine checks the phytosanitary certificate",
    "signoff.plant-quarantine-import": "plant products: plant quarantine inspects the goods",
    "signoff.red-border-guard": "red lane: the border guard checks the vehicle and the driver",
}

BOOKINGS = {  # services/bookings.py; each names its rule (problem+json `rule`)
    "booking.not_bookable_status": "crossing {reference} is {status:term.status}; only a crossing that is declared "
                                   "or in transit (not yet at the gate, not ended) can book a slot",
    "booking.reschedule_limit": "the booking of crossing {reference} was already moved {moves} times (the limit is "
                                "{limit}); every reschedule and every cancellation of this crossing's bookings "
                                "counts, so cancelling and booking again would not start over: keep the {slot} "
                                "slot, or, only if the truck really cannot come then, cancel this crossing and "
                                "declare again",
    "booking.moves_limit": "crossing {reference} already moved its booking {moves} times (the limit is {limit}); "
                           "every reschedule and every cancellation counts, so booking again after cancelling does "
                           "not start over, and this crossing can book no more slots: the truck may still queue in "
                           "the yard without a booking, or, only if it really cannot come, cancel this crossing and "
                           "declare again",
    "booking.slot_closed": "no bookable places at {gate:name} {direction:term.lane_direction} {slot}: {why:msg}; "
                           "choose another hour (GET the gate's slots for the free places)",
    "booking.closed.partner": "the partner accepts no trucks then",
    "booking.closed.gate": "the gate is closed for goods then",
    "booking.slot_full": "the {slot} slot at {gate:name} ({direction:term.lane_direction}) is full: {places} of "
                         "{places} places booked; choose another hour (GET the gate's slots for the free places)",
    "booking.one_per_vehicle": "vehicle {plate} already has an active booking; one booking per vehicle: cancel that "
                               "booking first, or book this crossing once that one is used or cancelled",
    "booking.cancellation_limit": "declarant {declarant} cancelled {count} bookings in the last {days} days (the "
                                  "limit is {limit} a week); it may book again from {until}, when the oldest of "
                                  "them is {days} days old; until then its trucks can queue in the yard without a "
                                  "booking (book only trucks that will come: cancelling is never refused, but it "
                                  "counts)",
    "booking.no_show_ban": "vehicle {plate} missed {count} booked slots in the last {days} days (the limit is "
                           "{limit}); it may book again from {until}, {ban_days} days after its last missed slot "
                           "(it can still queue in the yard without a booking)",
    "booking.released_vehicle_changed": "vehicle changed by amendment",
}

CROSSINGS = {  # refusals of the crossing itself (domain/crossing.py) and officers' rules
    "crossing.cannot": "cannot {action} a crossing that is {status:term.status} (allowed now: {allowed})",
    "crossing.release_needs_signoff": "release needs the sign-off of {agencies} first",
    "crossing.cannot_check": "cannot record a {agency} check on a crossing that is {status:term.status}",
    "crossing.cannot_amend_released": "cannot amend a crossing that is {status:term.status}: it was already "
                                      "released at the gate",
    "crossing.cannot_amend": "cannot amend a crossing that is {status:term.status}",
    "crossing.already_called": "{reference} was already called forward ({state})",
}

HISTORY = {  # causes in a crossing's history
    "history.declared": "declaration submitted",
    "history.amended": "declaration amended to version {version}",
    "history.released_by_officer": "released by an officer",
    "history.cancelled_by_declarant": "cancelled by the declarant",
    "history.plate_read": "plate read at lane {lane}",
    "history.barrier_opened": "barrier opened at lane {lane}",
    "history.read_confirmed": "{cause:msg} (read confirmed by {by})",
    "history.check_passed": "{agency:term.agency} {kind:term.check} check passed",
    "history.check_failed": "{agency:term.agency} {kind:term.check} check failed: {notes}",
    "history.inspection_started": "{agency:term.agency} physical inspection started",
    "history.yard_check_in": "checked in at the {gate:name} yard ({priority:term.priority})",
    "history.called_out_of_turn": "called forward out of turn: {reason}",
    "history.pre_arrival": "pre-arrival notice from {sender} ({reference}, {risk_lane:term.risk_lane} lane there)",
    "history.partner_amended_late": "{sender} amended to version {version} after this side's "
                                    "{status:term.status}; not applied",
    "history.partner_status": "{sender}: {status:term.status} ({cause:msg})",
    "history.partner_left": "{sender}: the truck left its side",
    "history.partner_stop": "{sender}: {status:term.status} ({cause:msg}): do not let the truck go on",
    "history.partner_clearance": "{sender} {decision:term.clearance} the truck ({risk_lane:term.risk_lane} lane there)",
    "history.vehicle_changed": "the vehicle changed from {old} to {new}: the {slot} booking stays with the old "
                               "vehicle and was released; book again for the new one",
}

DRIVER = {  # what the driver reads: notifications and the driver page's next step
    "notify.held": "Stopped: {hold_reason:msg}",
    "notify.released": "Cleared: drive through the barrier",
    "notify.called": "Go to {gate:name} lane {lane} now; you have {minutes} minutes",
    "notify.called_bay": "Go to {gate:name} lane {lane}, inspection bay {bay} now; you have {minutes} minutes",
    "notify.requeued": "You did not reach the gate within {minutes} minutes of your call: you are back in line",
    "step.held": "Stopped: {hold_reason:msg}. Wait for an officer.",
    "step.go": "Go to {gate:name} lane {lane} now; be there by {when:when}.",
    "step.go_bay": "Go to {gate:name} lane {lane}, inspection bay {bay} now; be there by {when:when}.",
    "step.drive_to_yard": "Drive to the {gate:name} waiting yard and enter past the yard camera.",
    "step.drive_to_slot": "Drive to the {gate:name} waiting yard for your slot at {when:when} and enter past the "
                          "yard camera.",
    "step.wait_eta": "Wait in the {gate:name} yard: you are number {position} in line; expected call about "
                     "{when:when}.",
    "step.wait_full": "Wait in the {gate:name} yard: you are number {position} in line. The trucks ahead fill "
                      "every place of the next {hours} hours: no call expected before {when:when}.",
    "step.wait_closed": "Wait in the {gate:name} yard: you are number {position} in line. The gate is closed: no "
                        "call expected before {when:when}.",
    "step.wait_no_opening": "Wait in the {gate:name} yard: you are number {position} in line. The gate is closed "
                            "and no opening is planned in the next {days} days: no call expected.",
    "step.arrived": "At the gate: follow the officers' instructions.",
    "step.inspecting": "Inspection under way: stay with your truck.",
    "step.released": "Cleared: drive through the barrier.",
    "step.exited": "Crossing complete.",
    "step.cancelled": "This crossing was cancelled.",
    "step.refused": "Refused: see the officers at the gate.",
}

define_all(DECISIONS)
define_all(RISK)
define_all(SIGNOFFS)
define_all(BOOKINGS)
define_all(CROSSINGS)
define_all(HISTORY)
define_all(DRIVER)
