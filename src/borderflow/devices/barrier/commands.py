"""Telling a lane's barrier to open, and knowing whether it did.

`issue` runs inside the decision's transaction: the command row commits with the decision
(it survives `kill -9`), and only after the commit is it handed to the sender, which talks
to the barrier outside any transaction. The barrier's answer, or a later state report,
confirms it. A command not confirmed by `confirm_by` (BORDERFLOW_BARRIER_CONFIRM_SECONDS
after the decision) is flagged to the gate operator until confirmed or acknowledged: a
truck told to go may be standing at a closed barrier.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update

from borderflow.domain.messages import say
from borderflow.devices import registry
from borderflow.devices.barrier.base import BarrierController, BarrierUnreachable, Command
from borderflow.devices.barrier.relay import HttpRelay
from borderflow.devices.barrier.simulated import SimulatedBarrier
from borderflow.domain.errors import Conflict, Forbidden, NotFound
from borderflow.domain.roles import Principal
from borderflow.store import tables as t

log = logging.getLogger("borderflow.devices.barrier")
OPEN_STATES = ("pending", "sent", "failed")
LATE_CONFIRMATION = timedelta(minutes=10)  # a barrier's "open" confirms a command issued this recently


def controller_for(device: registry.Device) -> BarrierController:
    if device.vendor == "relay":
        return HttpRelay(device.config["url"])
    return SimulatedBarrier(confirms=device.config.get("confirms", True))


def confirm_window(ctx) -> timedelta:  # noqa: ANN001
    return timedelta(seconds=ctx.settings.barrier_confirm_seconds if ctx.settings is not None else 5)


def issue(ctx, uow, *, gate: str, lane: str, gate_event_id: int, crossing_id: str | None,  # noqa: ANN001
          now: datetime) -> int | None:
    """Queue `open` for the lane's barrier, if one is registered; sent once the decision commits."""
    device = registry.barrier_at(uow.conn, gate, lane)
    if device is None:
        return None
    command_id = uow.conn.execute(insert(t.barrier_commands).values(
        device_id=device.id, gate=gate, lane=lane, gate_event_id=gate_event_id, crossing_id=crossing_id,
        command="open", state="pending", issued_at=now, confirm_by=now + confirm_window(ctx),
    ).returning(t.barrier_commands.c.id)).scalar_one()
    uow.log_action(at=now, actor="node", action="barrier.command", subject=str(command_id),
                   data={"device": device.name, "gate": gate, "lane": lane, "command": "open",
                         "crossing_id": crossing_id, "gate_event_id": gate_event_id})
    from borderflow.devices.barrier.sender import sender_for
    uow.after_commit(lambda: sender_for(ctx).submit(command_id))
    return command_id


def send(ctx, command_id: int) -> None:  # noqa: ANN001
    """Tell the barrier (no transaction held while it answers) and record what it said."""
    c = t.barrier_commands.c
    with ctx.uow(write=False) as uow:
        row = uow.conn.execute(select(t.barrier_commands).where(c.id == command_id)).first()
        device = registry.get(uow.conn, row.device_id) if row else None
    if row is None or device is None or row.state != "pending":
        return
    report, error = None, None
    try:
        report = controller_for(device).send(Command(row.id, row.gate, row.lane, row.command, row.crossing_id))
    except BarrierUnreachable as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 - a broken controller is a failed command, never a lost one
        log.exception("barrier command %s failed", command_id)
        error = f"{type(exc).__name__}: {exc}"
    now = ctx.clock.now()
    with ctx.uow() as uow:
        if report is None:
            values = {"state": "failed", "sent_at": now, "error": (error or "")[:500]}
        else:
            confirmed = report.state == "open"
            values = {"state": "confirmed" if confirmed else "sent", "sent_at": now, "reported_state": report.state,
                      "confirmed_at": now if confirmed else None}
            registry.touch(uow.conn, device.id, now, "barrier_state")
            if report.state:
                _record_state(uow, device, report.state, now)
        uow.conn.execute(update(t.barrier_commands).where(c.id == command_id, c.state == "pending").values(**values))
        uow.log_action(at=now, actor=f"device:{device.name}", action="barrier.answer", subject=str(command_id),
                       data={"state": values["state"], "reported_state": values.get("reported_state"),
                             "error": values.get("error")})
        uow.commit()


def report(ctx, uow, device: registry.Device, state: str, now: datetime) -> int | None:  # noqa: ANN001
    """The barrier says its state; `open` confirms its latest unconfirmed command. Returns that command's id."""
    _record_state(uow, device, state, now)
    if state != "open":
        return None
    c = t.barrier_commands.c
    command_id = uow.conn.execute(select(c.id).where(c.device_id == device.id, c.state.in_(OPEN_STATES),
                                                     c.issued_at >= now - LATE_CONFIRMATION)
                                  .order_by(c.id.desc()).limit(1)).scalar()
    if command_id is not None:
        uow.conn.execute(update(t.barrier_commands).where(c.id == command_id).values(
            state="confirmed", confirmed_at=now, reported_state=state))
    return command_id


def _record_state(uow, device: registry.Device, state: str, now: datetime) -> None:  # noqa: ANN001
    event_id = uow.gate_events.add(gate=device.gate, lane=device.lane, kind="barrier", barrier=state, at=now,
                                   received_at=now, device=device.name)
    uow.log_action(at=now, actor=f"device:{device.name}", action="gate.barrier", subject=str(event_id),
                   data={"gate": device.gate, "lane": device.lane, "state": state})


def unconfirmed(conn, gate: str | None, now: datetime, limit: int = 50) -> list[dict]:  # noqa: ANN001
    """Openings a barrier has not confirmed in time and nobody has acknowledged yet, newest first."""
    c, x, d = t.barrier_commands.c, t.crossings.c, t.devices.c
    query = (select(c.id, c.gate, c.lane, c.state, c.issued_at, c.confirm_by, c.error, c.crossing_id,
                    x.reference, x.plate, d.name.label("device"))
             .select_from(t.barrier_commands.outerjoin(t.crossings, x.id == c.crossing_id)
                          .join(t.devices, d.id == c.device_id))
             .where(c.state.in_(OPEN_STATES), c.confirm_by <= now, c.acknowledged_at.is_(None))
             .order_by(c.id.desc()).limit(limit))
    if gate:
        query = query.where(c.gate == gate)
    return [dict(r._mapping) for r in conn.execute(query)]


def acknowledge(ctx, uow, principal: Principal, command_id: int, note: str) -> dict:  # noqa: ANN001
    """The gate operator has seen to it (opened by hand, sent the truck back…)."""
    if not principal.may("barrier.acknowledge"):
        raise Forbidden(f"role {principal.role} may not acknowledge barrier alerts")
    c = t.barrier_commands.c
    row = uow.conn.execute(select(t.barrier_commands).where(c.id == command_id)).first()
    if row is None:
        raise NotFound(say("what.barrier_command", id=command_id))
    if row.state not in OPEN_STATES or row.acknowledged_at is not None:
        raise Conflict(say("barrier.no_acknowledgement", id=command_id, state=row.state),
                       current_status=row.state)
    now = ctx.clock.now()
    uow.conn.execute(update(t.barrier_commands).where(c.id == command_id).values(
        acknowledged_by=principal.actor, acknowledged_at=now))
    uow.log_action(at=now, actor=principal.actor, action="barrier.acknowledge", subject=str(command_id),
                   data={"note": note, "state": row.state})
    return {"id": command_id, "acknowledged_by": principal.actor, "acknowledged_at": now.isoformat()}
