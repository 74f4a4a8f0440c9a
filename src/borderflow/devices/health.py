"""Which devices are talking: every push, heartbeat or barrier answer is a contact; a device
silent for BORDERFLOW_DEVICE_SILENT_SECONDS (or never heard from that long after it was
registered) is an alert, on the console and in /metrics. Nothing runs in the background:
silence is read from the last contact at the moment someone looks.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from borderflow.devices import registry
from borderflow.devices.barrier import commands


def silent_after(ctx) -> timedelta:  # noqa: ANN001
    return timedelta(seconds=ctx.settings.device_silent_seconds if ctx.settings is not None else 300)


def status(device: registry.Device, now: datetime, limit: timedelta) -> str:
    """ok | silent | waiting (registered recently, not heard from yet)."""
    if device.last_contact_at is None:
        return "silent" if now - device.created_at > limit else "waiting"
    return "silent" if now - device.last_contact_at > limit else "ok"


def overview(ctx, conn, gate: str | None = None) -> list[dict]:  # noqa: ANN001
    now, limit = ctx.clock.now(), silent_after(ctx)
    out = []
    for d in registry.listed(conn, gate):
        since = d.last_contact_at or d.created_at
        out.append({"id": d.id, "name": d.name, "vendor": d.vendor, "kind": d.kind, "gate": d.gate, "lane": d.lane,
                    "last_contact_at": d.last_contact_at.isoformat() if d.last_contact_at else None,
                    "last_contact_kind": d.last_contact_kind, "status": status(d, now, limit),
                    "silent_for_s": max(0, int((now - since).total_seconds()))})
    return out


def metric_families(ctx):  # noqa: ANN001, ANN201
    """Gauges for /metrics: each device's seconds since contact and whether it is silent, and the
    barrier openings not confirmed in time."""
    from prometheus_client.core import GaugeMetricFamily
    age = GaugeMetricFamily("borderflow_device_last_contact_age_seconds",
                            "Seconds since the device was last heard from (since registration: never)",
                            labels=["device", "vendor", "gate", "lane"])
    silent = GaugeMetricFamily("borderflow_device_silent", "1 when the device has been silent too long",
                               labels=["device", "vendor", "gate", "lane"])
    flagged = GaugeMetricFamily("borderflow_barrier_unconfirmed",
                                "Barrier openings not confirmed in time and not yet acknowledged",
                                labels=["gate", "lane"])
    with ctx.engine.connect() as conn:
        devices = overview(ctx, conn)
        open_alerts = commands.unconfirmed(conn, None, ctx.clock.now(), limit=10_000)
    for d in devices:
        labels = [d["name"], d["vendor"], d["gate"], d["lane"]]
        age.add_metric(labels, d["silent_for_s"])
        silent.add_metric(labels, 1 if d["status"] == "silent" else 0)
    counts: dict[tuple[str, str], int] = {}
    for a in open_alerts:
        counts[(a["gate"], a["lane"])] = counts.get((a["gate"], a["lane"]), 0) + 1
    for (gate, lane), n in sorted(counts.items()):
        flagged.add_metric([gate, lane], n)
    return [age, silent, flagged]
