"""Which documents the goods themselves demand, by HS code and route.

Sources in REFERENCE.md §4: plant products need a phytosanitary certificate;
fruit under a VN–CN protocol (durian first) needs GACC-registered planting-area
and packing-house codes; an ACFTA preferential claim needs a Form E.
"""

from __future__ import annotations

# HS prefixes of plant products that cross only with a phytosanitary certificate.
PHYTO_PREFIXES = tuple(f"07{n:02d}" for n in range(1, 10)) + ("0714",) + tuple(f"08{n:02d}" for n in range(1, 11))

# Fresh fruit with a VN→CN protocol: orchard and packing house must be registered with GACC.
PROTOCOL_FRUIT = {
    "081060": "durian",
    "081090": "dragon fruit, longan, lychee, rambutan or passion fruit",
    "080390": "bananas",
    "080450": "mangoes or mangosteens",
    "080711": "watermelons",
}

DOCUMENT_TYPES = frozenset({
    "phytosanitary", "form_e", "invoice", "packing_list", "health", "fumigation",
    "transport_permit", "lab_test", "other",
})


def needs_phytosanitary(hs_digits: str) -> bool:
    return hs_digits.startswith(PHYTO_PREFIXES)


def protocol_fruit(hs_digits: str) -> str | None:
    return PROTOCOL_FRUIT.get(hs_digits[:6])


def protocol_applies(node_country: str, direction: str) -> bool:
    """The protocol governs fruit moving from Vietnam into China, seen from either side."""
    return (node_country, direction) in {("VN", "export"), ("CN", "import")}
