"""A valid declaration like SPEC §5's, with a fresh plate so tests never collide at the gate."""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta, timezone

from stdnum import iso6346

HANOI = timezone(timedelta(hours=7))


def tomorrow_at(hour: int = 9, minute: int = 30) -> str:
    day = datetime.now(HANOI) + timedelta(days=1)
    return day.replace(hour=hour, minute=minute, second=0, microsecond=0).isoformat()


_DRAWN: set[str] = set()


def fresh_plate(rng: random.Random = random.Random()) -> str:
    """A plate no other truck of this test process was given. Drawn at random alone, two of the
    hundreds of trucks a session's shared node expects at one gate now and then shared a plate,
    and a read of it was rightly ambiguous: a test expecting its truck let through failed for a
    reason of its own making."""
    while True:
        plate = f"24C-{rng.randrange(1000):03d}.{rng.randrange(100):02d}"
        if plate not in _DRAWN:
            _DRAWN.add(plate)
            return plate


def fresh_container(rng: random.Random = random.Random()) -> str:
    """A valid ISO 6346 number of its own: the SPEC's CSQU3054383 is on every other test truck."""
    code = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(3)) + "U" + f"{rng.randrange(10**6):06d}"
    return code + iso6346.calc_check_digit(code)


def declaration(**overrides) -> dict:
    body = {
        "direction": "export", "gate": "KIMTHANH", "expected_arrival": tomorrow_at(),
        "declarant": {"tax_id": "5300123456", "name": "Lao Cai Fruit Export Co."},
        "customs_declaration_no": "305123456789",
        "vehicle": {"plate": fresh_plate(), "country": "VN", "trailer_plate": "24R-012.34", "axles": 5,
                    "gross_weight_kg": 38000},
        "driver": {"name": "Nguyen Van An", "document_no": "C1234567", "nationality": "VN",
                   "phone": "+84912345678"},
        "containers": [{"number": "CSQU3054383", "seal": "VN1234567", "size_type": "45R1"}],
        "goods": [{"hs_code": "08106000", "description": "Fresh durian", "packages": 1200, "gross_kg": 24000,
                   "net_kg": 22000, "value": 72000, "currency": "USD", "origin": "VN", "perishable": True,
                   "planting_area_code": "VNDL0123", "packing_house_code": "VNPH0045"}],
        "documents": [{"type": "phytosanitary", "number": "PC-2026-001234"},
                      {"type": "form_e", "number": "E26VN0012345"},
                      {"type": "invoice", "number": "INV-0001"}],
    }
    body = copy.deepcopy(body)
    for path, value in overrides.items():
        target = body
        *parents, leaf = path.split("__")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is DELETE:
            del target[leaf]
        else:
            target[leaf] = value
    return body


def green_cargo(**overrides) -> dict:
    """A cargo no default rule selects (cassava chips, known declarant): lane green unless random picks it."""
    return declaration(goods=[{"hs_code": "07141011", "description": "Dried cassava chips", "packages": 800,
                               "gross_kg": 20000, "net_kg": 19800, "value": 6000, "currency": "USD",
                               "origin": "VN"}], **overrides)


DELETE = object()
