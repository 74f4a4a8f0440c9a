"""Legal gross vehicle weights by country, axle count and vehicle shape.

VN: Circular 46/2015/TT-BGTVT; CN: GB 1589-2016 (see REFERENCE.md §4).
A vehicle declared with a trailer plate is a combination (tractor + semi-trailer);
without one it is a rigid truck.
"""

from __future__ import annotations

# country -> shape -> {axles: kg}; the largest axle count applies to anything above it.
LIMITS_KG: dict[str, dict[str, dict[int, int]]] = {
    "VN": {
        "rigid": {2: 16_000, 3: 24_000, 4: 30_000, 5: 34_000},
        "combination": {3: 26_000, 4: 34_000, 5: 44_000, 6: 48_000},
    },
    "CN": {
        "rigid": {2: 18_000, 3: 25_000, 4: 31_000},
        "combination": {3: 27_000, 4: 36_000, 5: 43_000, 6: 49_000},
    },
}


def legal_limit_kg(country: str, axles: int, *, combination: bool, fallback_country: str = "VN") -> int | None:
    """The legal gross weight, or None when the axle count is below any listed vehicle."""
    table = LIMITS_KG.get(country) or LIMITS_KG[fallback_country]
    by_axles = table["combination" if combination else "rigid"]
    eligible = [n for n in by_axles if n <= axles]
    return by_axles[max(eligible)] if eligible else None


def tonnes(kg: float) -> str:
    """Weights as a gate operator reads them: '46.2 t', '44 t'."""
    text = f"{kg / 1000:.1f}".rstrip("0").rstrip(".")
    return f"{text} t"
