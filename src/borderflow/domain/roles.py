"""Who may do what. One table, enforced by every entry point (API, console, CLI)."""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("declarant", "driver", "customs", "border_guard", "quarantine", "gate_operator", "supervisor",
         "partner", "device", "public", "metrics", "statistics")
OFFICERS = frozenset({"customs", "border_guard", "quarantine", "gate_operator", "supervisor"})

PERMISSIONS: dict[str, frozenset[str]] = {
    "crossing.declare": frozenset({"declarant", "customs", "supervisor"}),
    "crossing.read": frozenset({"declarant"}) | OFFICERS,
    "crossing.amend": frozenset({"declarant", "customs", "supervisor"}),
    "crossing.cancel": frozenset({"declarant", "supervisor"}),
    "crossing.inspect": frozenset({"customs", "quarantine", "border_guard", "supervisor"}),
    "crossing.release": frozenset({"customs", "supervisor"}),
    "crossing.hold": OFFICERS,
    "crossing.refuse": frozenset({"customs", "border_guard", "quarantine", "supervisor"}),
    "gate.event": frozenset({"device", "gate_operator"}),
    "gate.review": frozenset({"gate_operator", "customs", "border_guard", "supervisor"}),
    "audit.read": frozenset({"supervisor", "customs"}),  # the audit log: its check, proofs and checkpoints
    "exchange.receive": frozenset({"partner"}),
    "exchange.read": OFFICERS,
    "exchange.report": frozenset({"border_guard", "supervisor"}),  # incidents and hazard alerts
    "exchange.capacity": frozenset({"gate_operator", "supervisor"}),
    "slots.read": frozenset({"declarant"}) | OFFICERS,
    "booking.manage": frozenset({"declarant", "supervisor"}),
    "capacity.manage": frozenset({"supervisor"}),
    "yard.read": OFFICERS,
    "yard.call": frozenset({"gate_operator", "supervisor"}),
    "yard.call_one": frozenset({"supervisor"}),  # one named truck, out of turn
    "metrics.read": frozenset({"metrics", "supervisor"}),  # GET /metrics: a monitoring system's key
    "device.push": frozenset({"device"}),  # a registered camera's or barrier's own pushes and heartbeats
    "device.read": OFFICERS,  # the devices at the gates and their last contact
    "evidence.read": OFFICERS,  # plate and scene images: never drivers, declarants, devices or the public
    "barrier.acknowledge": frozenset({"gate_operator", "supervisor"}),  # an unconfirmed barrier opening seen to
    # trade statistics: a statistics office reads them too; a declarant reads its own crossings only
    "statistics.read": frozenset({"statistics", "customs", "supervisor", "declarant"}),
    "statistics.report": frozenset({"supervisor"}),  # send the periodic report to the partner now
}


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    role: str
    name: str
    declarant_tax_id: str | None = None

    @property
    def actor(self) -> str:
        """How the principal appears in histories and the audit trail."""
        return f"{self.role}:{self.name}"

    def may(self, permission: str) -> bool:
        return self.role in PERMISSIONS[permission]

    def owns(self, declarant_tax_id: str) -> bool:
        """A declarant sees only its own crossings; officers see all."""
        return self.role != "declarant" or self.declarant_tax_id == declarant_tax_id


def roles_with(permission: str) -> list[str]:
    return sorted(PERMISSIONS[permission])
