"""A node's history written the way the node writes it: declarations, bookings, yard check-ins,
call-forward, officers' sign-offs and barrier reads, each through the service layer at a
moment the test chooses (a FixedClock moved step by step).

A day is declared first (`declare`, with bookings), then its trucks are played one after
the other (`play`): each is through the barrier before the next arrives, so the yard's
call-forward always picks the one truck waiting and every time a test seeds is the
time the node records.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from borderflow import schemas
from borderflow.bootstrap import build_context
from borderflow.domain.clock import FixedClock
from borderflow.domain.roles import Principal
from borderflow.exchange import messages as m
from borderflow.services import bookings, crossings, gate, inbound, officers, yard
from borderflow.services.context import NodeContext
from borderflow.settings import load_settings
from tests.support.declarations import declaration, green_cargo
from tests.support.nodes import GENEROUS_FALLBACK, TEST_RULES, TEST_VN_NODE

WATCHLISTED = ("24C-666.66", "24C-666.67")  # tests/support/rules.toml: red lane
DECLARANT = "5300123456"
OTHER = "0100109106"

GOODS = {
    "cassava": {"hs_code": "07141011", "description": "Dried cassava chips", "packages": 800, "gross_kg": 20000,
                "net_kg": 19800, "value": 5940, "currency": "USD", "origin": "VN"},
    "shrimp": {"hs_code": "03061719", "description": "Frozen shrimp", "packages": 900, "gross_kg": 21000,
               "net_kg": 20000, "value": 140000, "currency": "USD", "origin": "VN", "perishable": True},
    "pepper": {"hs_code": "09041120", "description": "Black pepper, dried", "packages": 1000, "gross_kg": 21000,
               "net_kg": 20000, "value": 80000, "currency": "USD", "origin": "VN"},
    "machinery": {"hs_code": "84798990", "description": "Machine parts", "packages": 10, "gross_kg": 12000,
                  "net_kg": 11000, "value": 99000, "currency": "USD", "origin": "CN"},
}


def principal(role: str, declarant: str | None = None) -> Principal:
    return Principal(id=f"test-{role}", role=role, name=f"history {role}", declarant_tax_id=declarant)


@dataclass
class Truck:
    """One truck's story, in minutes after its arrival unless said otherwise."""

    gate: str
    arrival: datetime  # the yard check-in, or (no yard) the declared expected arrival
    goods: str = "cassava"  # durian (yellow: customs checks the documents), shrimp (blue), cassava, pepper …
    direction: str = "export"
    red: bool = False  # a watchlisted plate: red, customs inspects the truck
    wait: float = 10  # check-in → called (no yard: expected arrival → at the lane)
    drive: float = 6  # called → first plate read at the lane
    signoff: float = 12  # first read → customs' document check (durian)
    inspection: float = 40  # first read → customs' physical inspection (red)
    exit_after: float = 2  # the check → the read that opens the barrier
    yard: bool = True
    slot: datetime | None = None  # a booked hour
    tax_id: str = DECLARANT
    missed_call: bool = False  # called, does not come within 20 minutes, called again
    problem: bool = False  # the document check fails first; a second check passes; an officer releases
    hold: float = 30  # the failed check → the release
    crossing: dict | None = None

    @property
    def lane(self) -> str:
        return "IN-1" if self.direction == "import" else "OUT-1"

    @property
    def yard_direction(self) -> str:
        return "inbound" if self.direction == "import" else "outbound"


@dataclass
class History:
    """A node (its context and its clock) to write a known history into."""

    ctx: NodeContext
    clock: FixedClock
    plates: int = 0

    @classmethod
    def open(cls, data_dir, db_url: str, start: datetime, node: str = str(TEST_VN_NODE)) -> History:  # noqa: ANN001
        settings = load_settings(data_dir=data_dir, db_url=db_url, node=node, env="test", rules=str(TEST_RULES),
                                 partner_fallback_per_hour=GENEROUS_FALLBACK, secret="history-secret")
        clock = FixedClock(start)
        return cls(build_context(settings, clock=clock), clock)

    def at(self, when: datetime) -> None:
        if when < self.clock.now():
            raise ValueError(f"the history goes forward: {when.isoformat()} is before {self.clock.now().isoformat()}")
        self.clock.set(when)

    def _plate(self, truck: Truck) -> str:
        self.plates += 1
        if truck.red:
            return WATCHLISTED[self.plates % 2]
        if truck.direction == "import":
            return f"桂A{10000 + self.plates:05d}"
        return f"24C-{100 + self.plates // 100:03d}.{self.plates % 100:02d}"

    def _body(self, truck: Truck, plate: str) -> dict:
        extra = {"gate": truck.gate, "expected_arrival": truck.arrival.isoformat(), "vehicle__plate": plate,
                 "declarant__tax_id": truck.tax_id, "direction": truck.direction}
        if truck.goods == "durian":
            return declaration(**extra)
        body = green_cargo(**extra)
        body["goods"] = [GOODS[truck.goods]]
        if truck.direction == "import":
            body["vehicle"].update(country="CN", trailer_plate=None, gross_weight_kg=27000)
            body["driver"]["nationality"] = "CN"
            body["documents"] = [{"type": "invoice", "number": f"INV-{self.plates}"}]
        return body

    def declare(self, truck: Truck) -> dict:
        """The declaration (and booking) of one truck, now."""
        body = self._body(truck, self._plate(truck))
        who = principal("customs") if truck.direction == "import" else principal("declarant", truck.tax_id)
        with self.ctx.uow() as uow:
            _, view = crossings.declare(self.ctx, uow, who, schemas.parse_declaration(body))
            uow.commit()
        if truck.slot is not None:
            with self.ctx.uow() as uow:
                bookings.book(self.ctx, uow, principal("declarant", truck.tax_id), view["id"], truck.slot)
                uow.commit()
        truck.crossing = view
        return view

    def read(self, gate_code: str, lane: str, plate: str, kind: str = "plate_read") -> dict:
        event = schemas.GateEventIn(gate=gate_code, lane=lane, kind=kind, plate=plate, confidence=0.95)
        with self.ctx.uow() as uow:
            _, answer = gate.record(self.ctx, uow, principal("device"), event)
            uow.commit()
        return answer

    def call_forward(self, gate_code: str, direction: str = "outbound") -> list[dict]:
        with self.ctx.uow() as uow:
            called = yard.call_forward(self.ctx, uow, gate_code, direction)
            uow.commit()
        return called

    def inspect(self, crossing: dict, kind: str, passed: bool = True, agency: str = "customs") -> None:
        with self.ctx.uow() as uow:
            officers.inspect(self.ctx, uow, principal(agency), crossing["id"], kind=kind,
                             result="passed" if passed else "failed", notes="history", agency=agency)
            uow.commit()

    def release(self, crossing: dict) -> None:
        with self.ctx.uow() as uow:
            officers.release(self.ctx, uow, principal("customs"), crossing["id"], "checked again: in order")
            uow.commit()

    def play(self, truck: Truck) -> dict:
        """The truck from the yard (or the lane) to the barrier."""
        crossing = truck.crossing or self.declare(truck)
        plate, minutes = crossing["plate"], timedelta(minutes=1)
        if truck.yard:
            self.at(truck.arrival)
            answer = self.read(truck.gate, "YARD-IN", plate, "yard_entry")
            assert answer["decision"] == "open", answer
            self.at(truck.arrival + truck.wait * minutes)
            called = self.call_forward(truck.gate, truck.yard_direction)
            assert [c["crossing_id"] for c in called] == [crossing["id"]], called
            if truck.missed_call:  # the 20 minutes pass; the next step sends it back and calls it again
                self.at(self.clock.now() + 21 * minutes)
                called = self.call_forward(truck.gate, truck.yard_direction)
                assert [c["crossing_id"] for c in called] == [crossing["id"]], called
        else:
            self.at(truck.arrival + truck.wait * minutes)
        at_lane = self.clock.now() + truck.drive * minutes
        self.at(at_lane)
        answer = self.read(truck.gate, truck.lane, plate)
        if truck.red or truck.goods == "durian":
            assert answer["reason_code"] == "signoff_pending", answer
            done = at_lane + (truck.inspection if truck.red else truck.signoff) * minutes
            self.at(done)
            if truck.problem:
                self.inspect(crossing, "document", passed=False)
                done += truck.hold * minutes
                self.at(done)
                self.inspect(crossing, "document")
                self.release(crossing)
            else:
                self.inspect(crossing, "physical" if truck.red else "document")
            self.at(done + truck.exit_after * minutes)
            answer = self.read(truck.gate, truck.lane, plate)
        assert answer["decision"] == "open" and answer["status"] == "exited", answer
        return crossing

    def sweep(self, gate_code: str, when: datetime) -> None:
        """A call-forward step with nobody waiting: what marks missed bookings as no-shows."""
        self.at(when)
        assert self.call_forward(gate_code) == []

    def partner_notice(self, partner_gate: str, trucks_per_hour: dict[int, int], *,
                       closures: list[tuple[datetime, datetime]] = ()) -> None:
        """The partner's capacity notice as the exchange hands it over: trucks per hour for the next
        hours (keys: hours from the next whole hour)."""
        now = self.clock.now()
        first = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        notice = m.CapacityNotice(gate=partner_gate, issued_at=now, hours=[
            {"start": (first + timedelta(hours=h)).isoformat(), "trucks": n} for h, n in sorted(trucks_per_hour.items())],
            closures=[{"start": s.isoformat(), "end": e.isoformat(), "reason": "partner closure"} for s, e in closures])
        with self.ctx.uow() as uow:
            inbound.capacity_notice(self.ctx, uow, "CN-BORDER", notice, str(uuid.uuid4()))
            uow.commit()

    def close(self) -> None:
        self.ctx.engine.dispose()
