"""The goods simulated trucks carry: HS codes, loads and values per commodity.

HS subheadings (6 digits) are from SPEC §3 and REFERENCE.md §3.2; the national 8-digit
(VN, AHTN) and 10-digit (CN) lines are REFERENCE.md §3.2 where it gives them and
otherwise marked "assumed" (only their 6-digit stem is sourced). Loads and values
are assumptions for a 40/45 ft truck, except durian's, which is SPEC §5's example
declaration (22 t net, US$72,000). A scenario file may add or replace entries under
[commodities.NAME] with the same fields.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Commodity:
    key: str
    description: str
    hs_vn: str | None  # 8-digit line used when a Vietnamese gate sends the truck
    hs_cn: str | None  # 10-digit line used when a Chinese gate sends the truck
    perishable: bool
    net_kg: int  # typical load of one truck
    value_per_kg: float  # USD

    def hs_for(self, country: str) -> str | None:
        return self.hs_vn if country == "VN" else self.hs_cn


CATALOG: dict[str, Commodity] = {c.key: c for c in (
    # Durian: VN 0810.60.00, CN 0810600000 (REFERENCE §3.2); load and value: SPEC §5 example.
    Commodity("durian", "Fresh durian", "08106000", "0810600000", True, 22_000, 3.27),
    # Dragon fruit: VN 0810.90.92, CN 0810908000 (REFERENCE §3.2); value assumed.
    Commodity("dragon_fruit", "Fresh dragon fruit", "08109092", "0810908000", True, 20_000, 0.9),
    # Longan: VN 0810.90.10, CN 0810903000 (REFERENCE §3.2); value assumed.
    Commodity("longan", "Fresh longan", "08109010", "0810903000", True, 18_000, 1.5),
    # Lychee: VN 0810.90.20, CN 0810901000 (REFERENCE §3.2); value assumed.
    Commodity("lychee", "Fresh lychee", "08109020", "0810901000", True, 18_000, 1.8),
    # Jackfruit: VN 0810.90.50 (REFERENCE §3.2); no CN line given.
    Commodity("jackfruit", "Fresh jackfruit", "08109050", None, True, 20_000, 0.8),
    # Bananas: HS6 080390 (REFERENCE §3.2); national lines assumed.
    Commodity("banana", "Fresh bananas", "08039090", "0803900000", True, 20_000, 0.5),
    # Frozen warm-water shrimp: HS6 030617 (REFERENCE §3.2), reefer; national lines assumed.
    Commodity("frozen_shrimp", "Frozen shrimp", "03061719", "0306171900", True, 20_000, 7.0),
    # Dried cassava chips: HS6 071410 (REFERENCE §3.2); the VN line is the one tests/support uses.
    Commodity("cassava", "Dried cassava chips", "07141011", "0714101000", False, 24_000, 0.3),
    # Natural rubber, TSNR: HS6 400122 (REFERENCE §3.2); national lines assumed.
    Commodity("rubber", "Natural rubber (TSNR)", "40012210", "4001220000", False, 24_000, 1.6),
    # Goods that mostly move China → Vietnam; HS6 stems checked against HS 2022, lines assumed.
    Commodity("apples", "Fresh apples", "08081000", "0808100000", True, 20_000, 1.2),
    Commodity("mandarins", "Fresh mandarins", "08052100", "0805210000", True, 20_000, 1.0),
    Commodity("garlic", "Fresh garlic", "07032090", "0703200000", True, 24_000, 1.1),
    Commodity("machinery", "Machine parts", "84798990", "8479899990", False, 12_000, 9.0),
    Commodity("electronics", "Telephone network equipment", "85176290", "8517629900", False, 8_000, 40.0),
    Commodity("fabrics", "Woven synthetic fabrics", "54075200", "5407520000", False, 15_000, 4.0),
    Commodity("fertiliser", "Urea fertiliser", "31021000", "3102100000", False, 28_000, 0.4),
    Commodity("steel", "Zinc-coated flat-rolled steel", "72104912", "7210490000", False, 28_000, 0.8),
    Commodity("auto_parts", "Motor vehicle parts", "87089990", "8708999900", False, 10_000, 12.0),
)}
