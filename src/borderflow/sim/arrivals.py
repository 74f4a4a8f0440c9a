"""Simulated trucks: who arrives when, carrying what, for whom.

This is the one piece the live demo reuses: `generate_arrivals` yields the same
trucks for the same (scenario, seed, replication) whether the simulator consumes
them or the demo turns each into an API declaration (`declaration_body`). The
simulator builds the domain `Declaration` directly (`declaration_of`) because
parsing a full pydantic body per truck would cost more than the whole simulation
step; both carry the same facts, so selectivity assigns the same lane (a test
holds them together).

Randomness: every (seed, replication, flow, purpose) gets its own stream, so
adding a flow, or a policy that calls trucks in another order, never changes the
other trucks (common random numbers across the compared policies).
"""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import heapq
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from stdnum import iso6346

from borderflow.domain import commodities as rules_of_goods
from borderflow.domain.declaration import Declarant, Declaration, Document, Driver, GoodsItem, Vehicle
from borderflow.sim.scenario import FlowSpec, Scenario, local_hour_profile

TARE_KG = 15_000  # assumption: tractor + 45 ft reefer/box trailer, empty
AXLES = 6  # 6 axles keep ≤ 43 t legal on both sides (SPEC §3: VN ≤ 48 t, CN ≤ 49 t for 6+)
_CN_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def stream(seed: int, replication: int, *purpose: str) -> random.Random:
    """An independent, reproducible random stream for one purpose of one replication."""
    digest = hashlib.sha256("|".join((str(seed), str(replication), *purpose)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True, slots=True)
class SimDeclarant:
    """A company that declares trucks, with its record before the scenario starts (as the node counts it)."""

    tax_id: str
    name: str
    prior_crossings: int
    prior_refused: int = 0
    prior_inspections_failed: int = 0


@dataclass(slots=True)  # not frozen: a frozen class's __init__ sets each of its 21 fields the slow way
class SimTruck:
    """One simulated truck as it turns up at the sending gate's yard (not changed once made).

    `direction` is seen from the sending node ("export": leaving its country);
    `minute` is minutes since the scenario start, `arrival` the same as a time.
    """

    id: str  # the crossing id: unique per (seed, replication); the audit draw is derived from it
    index: int  # order of arrival within the flow
    flow: str  # "KIMTHANH>HEKOU"
    gate: str
    partner_gate: str
    country: str  # of the sending gate, the vehicle and the driver
    direction: str
    arrival: datetime
    minute: float
    commodity: str
    hs_code: str
    description: str
    perishable: bool
    # perishable | trusted | ordinary by the node's rule (`YardRules.priority_of`) over the declarant's
    # record and the declarations before this one; the model re-derives it at check-in with the
    # problems its sign-offs found meanwhile.
    priority: str
    declarant: SimDeclarant
    plate: str
    trailer_plate: str
    net_kg: int
    value_usd: int
    booked_from: datetime | None = None
    booked_until: datetime | None = None

    @property
    def gross_weight_kg(self) -> int:
        return TARE_KG + round(self.net_kg * 1.06)

    @property
    def gross_kg(self) -> int:
        return round(self.net_kg * 1.06)


def declarant_pool(flow: FlowSpec, rng: random.Random) -> list[SimDeclarant]:
    """The companies that send trucks through one flow, with their records: a share are new (fewer
    than 3 earlier crossings), the others have 20–400; each earlier crossing found a problem with
    `problem_share`, so whether one counts as trusted is the node's rule applied to that record."""
    pool = []
    for i in range(flow.declarants):
        if flow.gate.country == "VN":
            tax_id = f"{rng.randrange(10**9, 10**10)}"
            name = f"{flow.gate.province.split(' (')[0]} Trading Co. {i + 1:03d}"
        else:
            tax_id = "91" + f"{rng.randrange(10**6):06d}" + "".join(rng.choice(_CN_CODE_CHARS) for _ in range(10))
            name = f"{flow.gate.province} Trade Co. {i + 1:03d}"
        new = rng.random() < flow.new_declarant_share
        crossings = rng.randrange(3) if new else rng.randrange(20, 400)
        failed = _count(rng, crossings, flow.problem_share)
        pool.append(SimDeclarant(tax_id, name, prior_crossings=crossings, prior_inspections_failed=failed))
    return pool


def _count(rng: random.Random, trials: int, p: float) -> int:
    """A binomial draw (trials, p): how many of `trials` events happened, by geometric gaps between them."""
    if p <= 0 or trials <= 0:
        return 0
    if p >= 1:
        return trials
    log_q, count, at = math.log1p(-p), 0, 0
    while True:
        at += int(math.log(1.0 - rng.random()) / log_q) + 1  # trials up to and including the next event
        if at > trials:
            return count
        count += 1


def _plates(prefixes: tuple[str, ...], country: str) -> Callable[[random.Random], tuple[str, str]]:
    """Plate and trailer plate in the sending country's format, from one random number each."""
    if country == "VN":
        numeric = [p for p in prefixes if p.isdigit()] or ["24"]

        def vn(rng: random.Random) -> tuple[str, str]:
            a, b = int(rng.random() * 1e5 * len(numeric)), int(rng.random() * 1e5 * len(numeric))
            pa, pb = numeric[a // 100_000], numeric[b // 100_000]
            a, b = a % 100_000, b % 100_000
            return f"{pa}C-{a // 100:03d}.{a % 100:02d}", f"{pb}R-{b // 100:03d}.{b % 100:02d}"
        return vn
    cn = [p for p in prefixes if not p.isdigit()] or ["云G"]

    def china(rng: random.Random) -> tuple[str, str]:
        a, b = int(rng.random() * 1e5 * len(cn)), int(rng.random() * 1e4 * len(cn))
        return f"{cn[a // 100_000]}{a % 100_000:05d}", f"{cn[b // 10_000]}{b % 10_000:04d}挂"
    return china


def flow_arrivals(scenario: Scenario, flow: FlowSpec, seed: int, replication: int = 0) -> Iterator[SimTruck]:
    """The trucks of one flow in arrival order: a Poisson process whose rate is constant within each hour.

    Rate in hour h = trucks_per_day × demand_scale × day factor × profile weight of the
    sending gate's local hour; exponential gaps restart at each hour boundary (memoryless).
    """
    rng = stream(seed, replication, flow.key, "arrivals")
    pool = declarant_pool(flow, stream(seed, replication, flow.key, "declarants"))
    hours = scenario.days * 24
    weights = local_hour_profile(flow, scenario.start, hours)
    cumulative, total = [], 0.0
    for _, share in flow.mix:
        total += share
        cumulative.append(total)
    country = flow.gate.country
    direction = "export"
    index = 0
    priority_of = flow.yard.priority_of
    plates = _plates(flow.gate.plate_prefixes, country)
    prefix = f"sim-{seed}-{replication}-{flow.gate.code}-"
    key, gate, partner = flow.key, flow.gate.code, flow.partner.code
    declared: dict[str, int] = {}  # declarations so far in the scenario, by declarant
    # What each commodity of the mix puts on a truck, looked up once: (key, HS code, description,
    # perishable, net kg, value per kg).
    goods = [(c.key, c.hs_for(country) or "", c.description, c.perishable, c.net_kg, c.value_per_kg)
             for c, _ in flow.mix]
    last = len(goods) - 1
    # rng.expovariate and rng.uniform(0.85, 1.05) written out: the same arithmetic on the same draws
    draw, log, span = rng.random, math.log, 1.05 - 0.85
    start, pool_size = scenario.start, len(pool)
    for h in range(hours):
        rate = flow.trucks_per_day * scenario.demand_scale * scenario.day_factor(h // 24) * weights[h]  # per hour
        if rate <= 0:
            continue
        t = h * 60.0
        end = t + 60.0
        per_minute = rate / 60.0
        while True:
            t += -log(1.0 - draw()) / per_minute
            if t >= end:
                break
            commodity, hs, description, perishable, net_kg, value_per_kg = \
                goods[min(bisect.bisect_left(cumulative, draw() * total), last)]
            declarant = pool[int(draw() * pool_size)]
            count = declared[declarant.tax_id] = declared.get(declarant.tax_id, declarant.prior_crossings) + 1
            priority = priority_of(perishable=perishable, crossings=count, refused=declarant.prior_refused,
                                   inspections_failed=declarant.prior_inspections_failed)
            arrival = start + timedelta(minutes=t)
            booked_from = booked_until = None
            if draw() < flow.booked_share:
                planned = max(0.0, t + rng.gauss(0.0, 20.0))  # drivers book the hour they expect to arrive in
                booked_from = start + timedelta(hours=int(planned // 60))
                booked_until = booked_from + timedelta(hours=1)
            net = round(net_kg * (0.85 + span * draw()))
            plate, trailer_plate = plates(rng)
            yield SimTruck(  # positional, in the field order: the generator's hottest line
                f"{prefix}{index}", index, key, gate, partner, country, direction, arrival, t, commodity, hs,
                description, perishable, priority, declarant, plate, trailer_plate, net, round(net * value_per_kg),
                booked_from, booked_until)
            index += 1


def generate_arrivals(scenario: Scenario, seed: int = 1, replication: int = 0) -> Iterator[SimTruck]:
    """Every truck of every flow of the scenario, merged in arrival order (what the live demo replays)."""
    streams = [flow_arrivals(scenario, flow, seed, replication) for flow in scenario.flows]
    return heapq.merge(*streams, key=lambda truck: (truck.minute, truck.flow))


# ------------------------------------------------------------------ declarations


def _goods(truck: SimTruck) -> GoodsItem:
    hs = truck.hs_code
    protocol = rules_of_goods.protocol_fruit(hs) is not None
    return GoodsItem(hs_code=hs, description=truck.description, packages=max(1, truck.net_kg // 20),
                     gross_kg=Decimal(truck.gross_kg), net_kg=Decimal(truck.net_kg), value=Decimal(truck.value_usd),
                     currency="USD", origin=truck.country, perishable=truck.perishable,
                     planting_area_code=f"{truck.country}PA{truck.index % 9000 + 1000}" if protocol else None,
                     packing_house_code=f"{truck.country}PH{truck.index % 900 + 100}" if protocol else None)


def _documents(truck: SimTruck) -> tuple[Document, ...]:
    docs = [Document("invoice", f"INV-{truck.index:06d}")]
    if rules_of_goods.needs_phytosanitary(truck.hs_code):
        docs.append(Document("phytosanitary", f"PC-{truck.arrival.year}-{truck.index:06d}"))
    docs.append(Document("form_e", f"E{truck.arrival.year % 100:02d}{truck.country}{truck.index:07d}"))
    return tuple(docs)


_VN_DRIVERS = ("Nguyen Van An", "Tran Van Binh", "Le Van Cuong", "Pham Minh Duc")
_CN_DRIVERS = ("Li Wei", "Wang Fang", "Zhang Lei", "Liu Yang")


def _driver(truck: SimTruck) -> Driver:
    # Derived from the index, not drawn: the driver never changes a lane, and a draw here would cost time.
    n = (truck.index * 7919 + 104_729) % 10**7
    if truck.country == "VN":
        return Driver(_VN_DRIVERS[truck.index % 4], f"C{n:07d}", "VN", f"+8491{n:07d}")
    return Driver(_CN_DRIVERS[truck.index % 4], f"E{n:08d}", "CN", f"+86139{n:08d}")


def declaration_of(truck: SimTruck) -> Declaration:
    """The domain declaration for this truck, built directly (what the simulator assesses)."""
    return Declaration(
        direction=truck.direction, gate=truck.gate, expected_arrival=truck.arrival,  # type: ignore[arg-type]
        declarant=Declarant(truck.declarant.tax_id, truck.declarant.name),
        vehicle=Vehicle(truck.plate, truck.country, AXLES, truck.gross_weight_kg, truck.trailer_plate),
        driver=_driver(truck), goods=(_goods(truck),), documents=_documents(truck),
    )


def container_number(truck: SimTruck) -> str:
    owner = ("CSQU", "TGHU", "MSKU", "SEGU", "TCLU")[truck.index % 5]
    serial = f"{int(hashlib.sha256(truck.id.encode()).hexdigest()[:8], 16) % 1_000_000:06d}"
    return owner + serial + iso6346.calc_check_digit(owner + serial)


def declaration_body(truck: SimTruck, expected: datetime | None = None, *, side: str = "sender") -> dict:
    """The API v1 body (SPEC §5) declaring this truck: what the live demo POSTs to /api/v1/crossings.

    `side="sender"` declares the export at the sending gate's node; `side="receiver"` the
    import at the partner gate's node (same truck, cargo and documents). `expected`
    replaces the arrival time as `expected_arrival` (the demo runs on its own clock).
    """
    if side not in ("sender", "receiver"):
        raise ValueError(f"side must be 'sender' or 'receiver', got {side!r}")
    decl = declaration_of(truck)
    if side == "receiver":
        decl = dataclasses.replace(decl, direction="import", gate=truck.partner_gate)
    item = decl.goods[0]
    goods = {"hs_code": item.hs_code, "description": item.description, "packages": item.packages,
             "gross_kg": int(item.gross_kg), "net_kg": int(item.net_kg), "value": int(item.value),
             "currency": item.currency, "origin": item.origin, "perishable": item.perishable}
    if item.planting_area_code:
        goods["planting_area_code"] = item.planting_area_code
        goods["packing_house_code"] = item.packing_house_code
    rng = random.Random(truck.id + "|customs")
    customs_no = f"{rng.randrange(10**11, 10**12)}" if truck.country == "VN" else f"{rng.randrange(10**17, 10**18)}"
    return {
        "direction": decl.direction, "gate": decl.gate,
        "expected_arrival": (expected or truck.arrival).isoformat(),
        "declarant": {"tax_id": decl.declarant.tax_id, "name": decl.declarant.name},
        "customs_declaration_no": customs_no,
        "vehicle": {"plate": decl.vehicle.plate, "country": decl.vehicle.country,
                    "trailer_plate": decl.vehicle.trailer_plate, "axles": decl.vehicle.axles,
                    "gross_weight_kg": decl.vehicle.gross_weight_kg},
        "driver": {"name": decl.driver.name, "document_no": decl.driver.document_no,
                   "nationality": decl.driver.nationality, "phone": decl.driver.phone},
        "containers": [{"number": container_number(truck), "size_type": "45R1" if truck.perishable else "45G1"}],
        "goods": [goods],
        "documents": [{"type": d.type, "number": d.number} for d in decl.documents],
    }
