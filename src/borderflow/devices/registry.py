"""Which camera or barrier is which: each has its own API key (role device), a gate and a lane.

A push is authenticated by the device's key alone; the gate and lane come from here, never
from the push (a vendor's payload does not know the node's gate codes). A camera watching
two lanes maps its own lane numbers to the node's (`--camera-lane 2=OUT-2`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from borderflow.devices.vendors import VENDORS
from borderflow.services import apikeys
from borderflow.store import audit
from borderflow.store import tables as t

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Device:
    id: str
    name: str
    vendor: str
    kind: str
    gate: str
    lane: str
    config: dict
    created_at: datetime
    last_contact_at: datetime | None
    last_contact_kind: str | None
    retired_at: datetime | None
    api_key_id: str

    def lane_for(self, camera_lane: str | None) -> str:
        """The node's lane for the camera's own lane number (its registered lane when not mapped)."""
        return self.config.get("lanes", {}).get(str(camera_lane), self.lane) if camera_lane else self.lane


def _device(row) -> Device:  # noqa: ANN001
    return Device(row.id, row.name, row.vendor, row.kind, row.gate, row.lane, row.config or {}, row.created_at,
                  row.last_contact_at, row.last_contact_kind, row.retired_at, row.api_key_id)


def add(ctx, *, vendor: str, gate: str, lane: str, name: str | None = None, url: str | None = None,  # noqa: ANN001
        camera_lanes: dict[str, str] | None = None, confirms: bool = True) -> tuple[Device, str]:
    """Register a device and create its key (returned once, as for any API key). ValueError says what is wrong."""
    gate_obj = ctx.node.gate(gate.upper())
    if vendor not in VENDORS:
        raise ValueError(f"unknown vendor {vendor!r}; expected one of {', '.join(VENDORS)}")
    if gate_obj is None:
        raise ValueError(f"gate {gate!r} is not operated by node {ctx.node.id}; expected one of "
                         f"{', '.join(sorted(ctx.node.gates))}")
    lanes = {lane.upper(), *(v.upper() for v in (camera_lanes or {}).values())}
    known = {lane_obj.code for lane_obj in gate_obj.lanes}
    for code in sorted(lanes - known):
        raise ValueError(f"{gate_obj.name} has no lane {code!r}; expected one of {', '.join(sorted(known))}")
    kind = VENDORS[vendor]
    if vendor == "relay" and not (url and url.startswith(("http://", "https://"))):
        raise ValueError("a relay barrier needs --url http://… (where the node sends `open`)")
    name = name or f"{vendor}-{gate_obj.code}-{lane}".lower()
    if not NAME.match(name):
        raise ValueError(f"device name {name!r}: expected 1 to 64 letters, digits, '.', '_' or '-'")
    config: dict = {"lanes": {str(k): v.upper() for k, v in (camera_lanes or {}).items()}} if camera_lanes else {}
    if kind == "barrier":
        config.update({"url": url} if vendor == "relay" else {"confirms": confirms})
    with ctx.engine.connect() as conn:
        if conn.execute(select(t.devices.c.id).where(t.devices.c.name == name)).first():
            raise ValueError(f"a device named {name!r} is registered already; give another --name")
    now = ctx.clock.now()
    key = apikeys.create(ctx.engine, role="device", name=name, declarant_tax_id=None, at=now)
    principal = apikeys.lookup(ctx.engine, key)
    try:
        device = attach(ctx.engine, api_key_id=principal.id, name=name, vendor=vendor, gate=gate_obj.code,
                        lane=lane.upper(), config=config, at=now)
    except IntegrityError:
        apikeys.revoke(ctx.engine, key[:10], at=now)
        raise ValueError(f"a device named {name!r} is registered already; give another --name") from None
    return device, key


def attach(engine: Engine, *, api_key_id: str, name: str, vendor: str, gate: str, lane: str, config: dict,
           at: datetime) -> Device:
    """Make an existing device key a registered device (the second half of `add`)."""
    device_id = str(uuid.uuid4())
    with engine.connect().execution_options(write=True) as conn, conn.begin():
        conn.execute(insert(t.devices).values(id=device_id, name=name, vendor=vendor, kind=VENDORS[vendor], gate=gate,
                                              lane=lane, api_key_id=api_key_id, config=config, created_at=at))
        audit.append(conn, at=at, actor="cli", action="device.add", subject=device_id,
                     data={"name": name, "vendor": vendor, "gate": gate, "lane": lane, "config": config})
        return _device(conn.execute(select(t.devices).where(t.devices.c.id == device_id)).one())


def for_key(conn: Connection, api_key_id: str) -> Device | None:
    row = conn.execute(select(t.devices).where(t.devices.c.api_key_id == api_key_id,
                                               t.devices.c.retired_at.is_(None))).first()
    return _device(row) if row else None


def get(conn: Connection, device_id: str) -> Device | None:
    row = conn.execute(select(t.devices).where(t.devices.c.id == device_id)).first()
    return _device(row) if row else None


def listed(conn: Connection, gate: str | None = None) -> list[Device]:
    d = t.devices.c
    query = select(t.devices).where(d.retired_at.is_(None)).order_by(d.gate, d.lane, d.kind, d.name)
    if gate:
        query = query.where(d.gate == gate)
    return [_device(r) for r in conn.execute(query)]


def barrier_at(conn: Connection, gate: str, lane: str) -> Device | None:
    d = t.devices.c
    row = conn.execute(select(t.devices).where(d.gate == gate, d.lane == lane, d.kind == "barrier",
                                               d.retired_at.is_(None)).order_by(d.created_at).limit(1)).first()
    return _device(row) if row else None


def touch(conn: Connection, device_id: str, at: datetime, kind: str) -> None:
    """The device was heard from (never moves the time back: pushes may arrive out of order)."""
    d = t.devices.c
    conn.execute(update(t.devices).where(d.id == device_id, (d.last_contact_at.is_(None)) | (d.last_contact_at < at))
                 .values(last_contact_at=at, last_contact_kind=kind))


def retire(ctx, name: str) -> Device:  # noqa: ANN001
    """The device stops: its key is revoked at once (as `apikey revoke` does), its row kept for the history."""
    now = ctx.clock.now()
    with ctx.engine.connect().execution_options(write=True) as conn, conn.begin():
        row = conn.execute(select(t.devices).where(t.devices.c.name == name, t.devices.c.retired_at.is_(None))).first()
        if row is None:
            raise LookupError(f"no registered device named {name!r} (see `borderflow device list`)")
        conn.execute(update(t.devices).where(t.devices.c.id == row.id).values(retired_at=now))
        conn.execute(update(t.api_keys).where(t.api_keys.c.id == row.api_key_id, t.api_keys.c.revoked_at.is_(None))
                     .values(revoked_at=now))
        audit.append(conn, at=now, actor="cli", action="device.retire", subject=row.id, data={"name": name})
    return _device(row)
