"""`borderflow device …`: register cameras and barriers, list them with their last contact,
retire them, purge evidence past its retention."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from borderflow.devices.vendors import VENDORS

app = typer.Typer(help="Cameras and barriers at the gates, each with its own key.", no_args_is_help=True)
err = Console(stderr=True)
NodeOption = Annotated[str, typer.Option("--node", help="vn, cn (the shipped reference nodes) or a node file path")]


def _context(node: str):  # noqa: ANN202
    from borderflow.cli import _context as node_context
    return node_context(node)


def _camera_lanes(values: list[str]) -> dict[str, str]:
    lanes = {}
    for value in values:
        number, sep, lane = value.partition("=")
        if not sep or not number.strip() or not lane.strip():
            err.print(f"[red]--camera-lane {value!r}: expected NUMBER=LANE, e.g. 2=OUT-2[/red]")
            raise typer.Exit(2)
        lanes[number.strip()] = lane.strip().upper()
    return lanes


@app.command("add")
def add(vendor: Annotated[str, typer.Option(help=f"one of: {', '.join(VENDORS)}")],
        gate: Annotated[str, typer.Option(help="the gate's code, e.g. KIMTHANH")],
        lane: Annotated[str, typer.Option(help="the lane it watches or closes, e.g. OUT-1")],
        name: Annotated[str | None, typer.Option(help="a name for it (default: vendor-gate-lane)")] = None,
        url: Annotated[str | None, typer.Option(help="relay barriers: where the node POSTs `open`")] = None,
        camera_lane: Annotated[list[str] | None, typer.Option(
            "--camera-lane", help="a camera watching several lanes: its lane number = the node's lane (2=OUT-2)")]
        = None,
        confirms: Annotated[bool, typer.Option(help="simulated barriers: whether it answers")] = True,
        node: NodeOption = "vn") -> None:
    """Register a device; print its key alone on standard output (stored hashed: keep it), and on
    standard error where to point it."""
    from borderflow.devices import registry
    from borderflow.devices.ingest import PATHS
    ctx = _context(node)
    try:
        device, key = registry.add(ctx, vendor=vendor, gate=gate, lane=lane, name=name, url=url,
                                   camera_lanes=_camera_lanes(camera_lane or []), confirms=confirms)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    path = PATHS[vendor]
    err.print(f"device {device.name} ({device.vendor} {device.kind}) at {device.gate} {device.lane}; point it at\n"
              f"  http://<node>{path.replace('/api/v1/devices/', f'/api/v1/devices/k/{key}/')}\n"
              f"or at http://<node>{path} with HTTP Basic (any user name, the key as password); see docs/devices.md",
              markup=False, highlight=False, soft_wrap=True)
    if vendor == "snapshot":
        from borderflow.devices import plate_reader
        missing = plate_reader.available()
        if missing:
            err.print(f"[yellow]warning: this node cannot read plates from images yet ({missing})[/yellow]")
    sys.stdout.write(key + "\n")


@app.command("list")
def list_devices(node: NodeOption = "vn") -> None:
    """Every device: name, vendor, kind, gate, lane, last contact, status (ok, silent, waiting)."""
    from borderflow.devices import health
    ctx = _context(node)
    with ctx.engine.connect() as conn:
        rows = health.overview(ctx, conn)
    sys.stdout.write("name\tvendor\tkind\tgate\tlane\tlast_contact\tstatus\n")
    for d in rows:
        sys.stdout.write("\t".join([d["name"], d["vendor"], d["kind"], d["gate"], d["lane"],
                                    d["last_contact_at"] or "never", d["status"]]) + "\n")


@app.command("retire")
def retire(name: Annotated[str, typer.Argument(help="the device's name, as `device list` shows it")],
           node: NodeOption = "vn") -> None:
    """Stop a device: its key is revoked at once; its history stays."""
    from borderflow.devices import registry
    ctx = _context(node)
    try:
        device = registry.retire(ctx, name)
    except LookupError as exc:
        err.print(f"[red]{exc.args[0]}[/red]")
        raise typer.Exit(2) from None
    err.print(f"device {device.name} retired; its key no longer works")


@app.command("purge-evidence")
def purge_evidence(node: NodeOption = "vn") -> None:
    """Remove plate and scene images past their retention (BORDERFLOW_EVIDENCE_RETENTION_DAYS)."""
    from borderflow.devices import evidence
    ctx = _context(node)
    removed = evidence.purge(ctx, ctx.clock.now())
    err.print(f"{removed} image(s) past their retention removed; their hashes stay in the events and the audit")
