"""What the public feed says about a gate beyond its numbers: closures and capacity changes an
officer made, hazard alerts on either side of the border, a partner that takes no trucks.

Each notice is a `kind` with its facts; `text` is an officer's own words (an override's reason,
an alert's summary), published as written. Incident reports are not public and never appear.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select

from borderflow.domain.gates import Node
from borderflow.services.views import iso
from borderflow.store import tables as t
from borderflow.store.unit_of_work import UnitOfWork

RECENT_ALERTS = 100  # newest hazard alerts looked at: an index range, whatever the table's age
OPEN_ENDED = timedelta(hours=24)  # an alert with no end is shown this long after it starts


def overrides(uow: UnitOfWork, hour: datetime) -> dict[tuple[str, str], dict]:
    """Per (gate, direction): the override that sets the hour starting at `hour`, as a notice
    (the latest-starting one, as the capacity calendar picks it)."""
    o = t.capacity_overrides.c
    rows = uow.conn.execute(select(o.id, o.gate, o.direction, o.starts_at, o.ends_at, o.trucks_per_hour, o.reason)
                            .where(o.withdrawn_at.is_(None), o.starts_at <= hour, o.ends_at > hour)
                            .order_by(o.starts_at, o.id)).all()
    answer = {}
    for r in rows:  # in start order: the last one written per key wins
        answer[(r.gate, r.direction)] = {
            "kind": "closure" if not r.trucks_per_hour else "capacity_change", "trucks_per_hour": r.trucks_per_hour,
            "starts_at": iso(r.starts_at), "ends_at": iso(r.ends_at), "text": r.reason}
    return answer


def hazards(uow: UnitOfWork, node: Node, now: datetime) -> dict[str, list[dict]]:
    """Per gate of ours: the hazard alerts in force now, sent by us or received for the gate facing it."""
    r = t.exchange_reports.c
    rows = uow.conn.execute(select(r.direction, r.gate, r.payload).where(r.kind == "hazard_alert")
                            .order_by(r.at.desc()).limit(RECENT_ALERTS)).all()
    facing = {g.partner_gate: g.code for g in node.gates.values()}
    answer: dict[str, list[dict]] = {}
    for row in rows:
        gate = row.gate if row.direction == "sent" else facing.get(row.gate)
        notice = _hazard(row.payload, "own" if row.direction == "sent" else "partner", now)
        if gate in node.gates and notice is not None:
            answer.setdefault(gate, []).append(notice)
    return answer


def _hazard(alert: dict, side: str, now: datetime) -> dict | None:
    starts = datetime.fromisoformat(alert["valid_from"])
    ends = datetime.fromisoformat(alert["valid_until"]) if alert.get("valid_until") else None
    if starts > now or now >= (ends or starts + OPEN_ENDED):
        return None
    return {"kind": "hazard", "hazard": alert["hazard"], "severity": alert["severity"], "side": side,
            "starts_at": iso(starts), "ends_at": iso(ends), "text": alert["summary"]}


def partner_closed(direction: str, hour: dict) -> Iterable[dict]:
    """An outbound hour the partner takes no truck in, though our own lanes could."""
    if direction == "outbound" and hour["partner_cap"] == 0 and hour["own"] > 0:
        yield {"kind": "partner_not_accepting", "basis": hour["partner_basis"], "starts_at": iso(hour["start"]),
               "ends_at": iso(hour["end"]), "text": None}
