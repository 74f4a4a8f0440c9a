"""What the console shows of the devices: each one's last contact, the barriers that did not
confirm an opening, and the pictures a decision was made on."""

from __future__ import annotations

import re

from sqlalchemy import select

from borderflow.devices import evidence, health
from borderflow.devices.barrier import commands
from borderflow.services.context import NodeContext
from borderflow.store import tables as t

SHA256 = re.compile(r"^[0-9a-f]{64}$")


def panel(ctx: NodeContext, uow, gate_code: str) -> dict:  # noqa: ANN001
    """Devices of the gate with their status, and the unconfirmed barrier openings, newest first."""
    now = ctx.clock.now()
    devices = health.overview(ctx, uow.conn, gate_code)
    for d in devices:  # whole minutes, so the live panel changes only when something does
        d["silent_min"] = d["silent_for_s"] // 60
    return {"devices": devices, "unconfirmed": commands.unconfirmed(uow.conn, gate_code, now),
            "silent_after_min": int(health.silent_after(ctx).total_seconds() // 60)}


def for_crossing(uow, crossing_id: str) -> list[dict]:  # noqa: ANN001
    """The crossing's gate events that carry images: what each decision was made on."""
    g = t.gate_events.c
    rows = uow.conn.execute(select(g.id, g.kind, g.lane, g.plate, g.confidence, g.at, g.decision, g.device, g.images)
                            .where(g.crossing_id == crossing_id, g.images.is_not(None)).order_by(g.id))
    return [dict(r._mapping) for r in rows if r.images]


def image(ctx: NodeContext, digest: str) -> tuple[bytes, str] | None:
    """The image's bytes and type, or None when it is not (or no longer) kept."""
    if not SHA256.match(digest):
        return None
    with ctx.engine.connect() as conn:
        row = evidence.row(conn, digest)
    if row is None or row["purged_at"] is not None:
        return None
    data = evidence.store_for(ctx).read(digest)
    return (data, row["content_type"]) if data is not None else None
