"""The driver's personal data in a declaration: what the partner is told, and what anonymising removes.

Decided field by field (docs/data-protection.md):

- `name`, `document_no`: personal. The partner's border guard admits the driver in person and
  checks these against the passport or border pass at its gate and against its own watchlists,
  so the pre-arrival notice carries them. Removed on anonymisation.
- `nationality`: sent (the partner's rules need it, e.g. who may drive a China-plated truck) and
  kept on anonymisation: alone it names nobody, and trade statistics count by it.
- `phone`: personal, and only the declaring side calls its drivers (call-forward, holds);
  never sent to the partner. Removed on anonymisation.

Pure functions over the declaration as stored (a JSON object); nothing here touches a store.
"""

from __future__ import annotations

from typing import Any

PERSONAL = ("name", "document_no", "phone")  # of `driver`
NOT_FOR_PARTNER = ("phone",)


def for_partner(declaration: dict[str, Any]) -> dict[str, Any]:
    """The declaration as the partner's pre-arrival notice carries it."""
    driver = declaration.get("driver")
    if not isinstance(driver, dict):
        return declaration
    return {**declaration, "driver": {k: v for k, v in driver.items() if k not in NOT_FOR_PARTNER}}


def anonymised(declaration: dict[str, Any]) -> dict[str, Any]:
    """The declaration without the driver's personal data: each personal field that was there is null."""
    driver = declaration.get("driver")
    if not isinstance(driver, dict):
        return declaration
    return {**declaration, "driver": {k: (None if k in PERSONAL else v) for k, v in driver.items()}}


def personal_paths(declaration: dict[str, Any], prefix: str = "declaration") -> list[str]:
    """Where `declaration` holds personal data (a value that anonymising would remove)."""
    driver = declaration.get("driver")
    if not isinstance(driver, dict):
        return []
    return [f"{prefix}.driver.{k}" for k in PERSONAL if driver.get(k) is not None]


def is_anonymised(declaration: dict[str, Any]) -> bool:
    return not personal_paths(declaration)
