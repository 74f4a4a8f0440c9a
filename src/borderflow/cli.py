"""The `borderflow` command: run a node, manage keys, upgrade the database, check the audit trail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from borderflow.domain.roles import ROLES
from borderflow.settings import SettingsError, load_settings

app = typer.Typer(help="borderflow: a smart border gate node. Every command that touches a database "
                       "reads BORDERFLOW_DB_URL (default: a SQLite file in the data directory).",
                  no_args_is_help=True, add_completion=False)
apikey_app = typer.Typer(help="API keys for people and devices.", no_args_is_help=True)
db_app = typer.Typer(help="The node's database.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail: a Merkle log with signed checkpoints.",
                        no_args_is_help=True)
keys_app = typer.Typer(help="The node's signing keys for the partner exchange.", no_args_is_help=True)
exchange_app = typer.Typer(help="The signed exchange with the partner node.", no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(exchange_app, name="exchange")


def _device_commands() -> None:
    from borderflow.devices.cli import app as device_app
    app.add_typer(device_app, name="device")


_device_commands()
rates_app = typer.Typer(help="Exchange rates for trade statistics (values in USD).", no_args_is_help=True)
app.add_typer(rates_app, name="rates")
report_app = typer.Typer(help="Periodic reports.", no_args_is_help=True)
app.add_typer(report_app, name="report")


def _simulate_command() -> None:
    from borderflow.sim.command import simulate
    app.command("simulate", help="Run a scenario of the digital twin and compare queue policies; with "
                                 "--from-node, write a scenario calibrated from the node's own history.")(simulate)


_simulate_command()
err = Console(stderr=True)


def _operations_commands() -> None:
    from borderflow import cli_ops
    cli_ops.register(app)  # backup, restore, prune, archive verify


_operations_commands()

NodeOption = Annotated[str, typer.Option("--node", help="vn, cn (the shipped reference nodes) or a node file path")]


def _settings(**overrides):  # noqa: ANN003, ANN202
    try:
        return load_settings(**overrides)
    except SettingsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None


def _context(node: str | None = None, *, upgrade: bool = True):  # noqa: ANN202
    from borderflow.bootstrap import build_context
    from borderflow.reference.region import NodeFileError
    settings = _settings(node=node)
    try:
        return build_context(settings, upgrade=upgrade)
    except (NodeFileError, SettingsError, FileNotFoundError, ValueError) as exc:
        err.print(f"[red]cannot start: {exc}[/red]")
        raise typer.Exit(2) from None


@app.command()
def serve(node: NodeOption = "vn",
          host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
          port: Annotated[int | None, typer.Option(help="port (default: the node file's, 8001 for vn, 8002 for cn)")] = None,
          workers: Annotated[int, typer.Option(help="HTTP worker processes")] = 1,
          background: Annotated[bool | None, typer.Option(
              "--worker/--no-worker",
              help="also run the background work (exchange, call-forward, announcements) in this process; "
                   "default: yes with one HTTP worker, no with several (run `borderflow worker` beside them)")] = None,
          ) -> None:
    """Run a node: upgrades the database, then serves API v1 and /openapi.json."""
    import uvicorn

    from borderflow.api.app import create_app
    ctx = _context(node)
    node_file, settings = ctx.node_file, ctx.settings
    port = port or node_file.port
    background = (workers == 1) if background is None else background
    background = background and settings.exchange
    err.print(f"node [bold]{ctx.node.id}[/bold] ({', '.join(ctx.node.gates)}) on http://{host}:{port}  "
              f"database: {ctx.engine.url.render_as_string(hide_password=True)}")
    anchor = getattr(ctx.clock, "anchor", None)
    if anchor is not None:
        err.print(f"node time: {ctx.clock.now().isoformat(timespec='seconds')}, "
                  f"{ctx.clock.speed:g}× real time (started at {ctx.clock.start.isoformat()})")
    if workers > 1:
        import os

        from borderflow.worker import Background
        os.environ["BORDERFLOW_NODE"] = node
        if anchor is not None:  # every worker on this process's timeline, not one begun at its own start-up
            os.environ["BORDERFLOW_CLOCK_START"] = ctx.clock.start.isoformat()
            os.environ["BORDERFLOW_CLOCK_ANCHOR"] = anchor.isoformat()
        os.environ["BORDERFLOW_HTTP_ONLY"] = "1" if settings.exchange else "0"
        running = Background(ctx) if background else None  # in this supervising process, once
        if running:
            running.start()
        elif settings.exchange:
            err.print("background work: not in these processes; run [bold]borderflow worker[/bold] beside them")
        try:
            uvicorn.run("borderflow.api.asgi:app", host=host, port=port, workers=workers, log_level="warning",
                        access_log=False)
        finally:
            if running:
                running.stop()
        return
    application = create_app(ctx, max_body_bytes=settings.max_body_bytes or node_file.max_body_bytes,
                             run_exchange=background, run_background=background,
                             worker_elsewhere=settings.exchange and not background)
    uvicorn.run(application, host=host, port=port, log_level="warning", access_log=False)


@app.command()
def worker(node: NodeOption = "vn") -> None:
    """Run the node's background work alone: the partner exchange, capacity announcements, call-forward.

    With `serve --workers N` it runs once beside the HTTP workers; two of them stand in for
    each other (one works, the other waits for its lease). Stops cleanly on Ctrl-C or SIGTERM."""
    import signal
    import threading

    from borderflow.bootstrap import settle_heap
    from borderflow.worker import Background
    ctx = _context(node)
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stopping.set())
    running = Background(ctx)
    running.start()
    settle_heap()
    err.print(f"worker for node [bold]{ctx.node.id}[/bold]: exchange with "
              f"{', '.join(ctx.exchange.partners) if ctx.exchange and ctx.exchange.partners else 'no partner'}, "
              f"call-forward for {', '.join(ctx.node.gates)}")
    try:
        while not stopping.wait(1.0):
            if not running.alive():
                err.print("[red]the background loop stopped[/red]")
                raise typer.Exit(1)
    finally:
        running.stop()


@apikey_app.command("create")
def apikey_create(role: Annotated[str, typer.Option(help=f"one of: {', '.join(ROLES)}")],
                  declarant: Annotated[str | None, typer.Option(help="tax id the declarant key acts for")] = None,
                  name: Annotated[str | None, typer.Option(help="who or what holds the key")] = None,
                  expires_days: Annotated[float | None, typer.Option(
                      "--expires-days", help="the key stops working this many days from now (default: never)")] = None,
                  node: NodeOption = "vn") -> None:
    """Create an API key and print it alone on standard output (it is stored hashed: keep it)."""
    from borderflow.services import apikeys
    ctx = _context(node)
    try:
        key = apikeys.create(ctx.engine, role=role, name=name or role, declarant_tax_id=declarant,
                             at=ctx.clock.now(), expires_days=expires_days)
    except ValueError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    sys.stdout.write(key + "\n")


@apikey_app.command("list")
def apikey_list(node: NodeOption = "vn") -> None:
    """Every key: prefix, role, name, declarant, created, expires, revoked (never the key itself)."""
    from borderflow.services import apikeys
    ctx = _context(node)
    stamp = lambda at: at.isoformat(timespec="seconds") if at else "-"  # noqa: E731
    sys.stdout.write("prefix\trole\tname\tdeclarant\tcreated\texpires\trevoked\n")
    for k in apikeys.list_keys(ctx.engine):
        sys.stdout.write("\t".join([k.prefix, k.role, k.name.replace("\t", " "), k.declarant_tax_id or "-",
                                    stamp(k.created_at), stamp(k.expires_at), stamp(k.revoked_at)]) + "\n")


@apikey_app.command("revoke")
def apikey_revoke(prefix: Annotated[str, typer.Argument(help="the key's prefix, as `apikey list` shows it")],
                  node: NodeOption = "vn") -> None:
    """Revoke a key at once, in every worker, and end the web sessions signed in with it."""
    from borderflow.services import apikeys
    ctx = _context(node)
    try:
        revoked = apikeys.revoke(ctx.engine, prefix, at=ctx.clock.now())
    except (LookupError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    err.print(f"key {revoked.prefix} ({revoked.role}, {revoked.name}) revoked at "
              f"{revoked.revoked_at.isoformat(timespec='seconds')}; its sessions are ended")


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the latest version (safe to run again)."""
    from borderflow.store import migrate
    from borderflow.store.db import make_engine
    settings = _settings()
    engine = make_engine(settings.database_url())
    migrate.upgrade(engine)
    err.print(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@audit_app.command("verify")
def audit_verify(witnessed: Annotated[bool, typer.Option(
                     "--witnessed", help="also report what the partner witnessed of this log, and of its own")] = False,
                 node: NodeOption = "vn") -> None:
    """Check every entry against its leaf hash, the Merkle tree against every signed checkpoint, and that
    each checkpoint extends the one before; exit 1 and name what was altered, removed or rewritten."""
    from borderflow.services import audit_verify as check
    ctx = _context(node)
    report = check.verify(ctx, witnessed=witnessed)
    latest = report.latest
    if report.ok:
        err.print(f"[green]audit trail intact: {report.entries} entries, {report.checkpoints} signed checkpoints[/green]")
    else:
        err.print(f"[red]audit trail broken at {report.first().at}: {report.first().detail}[/red]")
        for finding in report.findings:
            err.print(f"  {finding.code}: {finding.detail}", markup=False, highlight=False)
    if latest:
        err.print(f"newest checkpoint: {latest['tree_size']} entries, root {latest['root_hash']}, "
                  f"{latest['issued_at']}, key {latest['key_id']}", markup=False, highlight=False)
    uncovered = report.entries - (latest["tree_size"] if latest else 0)
    if report.unsequenced or uncovered > 0:
        err.print(f"{report.unsequenced} entries wait to be numbered, {max(uncovered, 0)} numbered ones for a "
                  "signed checkpoint (the sequencer takes them within seconds)")
    for w in report.witnesses:
        ack = w.acknowledged
        err.print(f"{w.partner} acknowledged: " + (f"checkpoint of {ack['tree_size']} entries, root {ack['root_hash']}, "
                                                    f"{ack['issued_at']}" if ack else "no checkpoint yet")
                  + f"; {w.waiting} on the way", markup=False, highlight=False)
        if w.held:
            err.print(f"{w.partner}'s own log, witnessed here: {w.held['tree_size']} entries, root "
                      f"{w.held['root_hash']}, {w.held['issued_at']}", markup=False, highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("sequence")
def audit_sequence(node: NodeOption = "vn") -> None:
    """Number every waiting audit entry and sign a checkpoint now (what the background loop does every few seconds)."""
    from borderflow.services import audit_sequencer
    ctx = _context(node)
    total = 0
    while (numbered := audit_sequencer.sequence_once(ctx)) == audit_sequencer.BATCH:
        total += numbered
    err.print(f"{total + numbered} audit entries numbered")


@keys_app.command("generate")
def keys_generate(node: NodeOption = "vn") -> None:
    """Create a new Ed25519 signing key; it signs from now on. Prints the line for the partner's node file."""
    from borderflow.exchange import keys
    from borderflow.reference.region import NodeFileError, load_node
    settings = _settings(node=node)
    try:
        node_id = load_node(settings.node).node.id
    except NodeFileError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    from datetime import UTC, datetime
    previous = keys.current(settings.data_dir)
    try:
        key = keys.generate(settings.data_dir, node_id, datetime.now(UTC))
    except FileExistsError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if previous is not None:
        import logging

        from borderflow.api import request_log
        request_log.configure()
        logging.getLogger("borderflow.ops").warning("key.rotated", extra={"fields": {
            "event": "key.rotated", "side": "node", "node": node_id, "key_id": key.key_id,
            "previous": previous.key_id}})
    err.print(f"new signing key {key.key_id} in {keys.key_dir(settings.data_dir)}; give the partner this line for "
              f"[partners.\"{node_id}\".public_keys] in its node file:")
    sys.stdout.write(f'"{key.key_id}" = "{key.public_b64()}"\n')


@keys_app.command("show")
def keys_show() -> None:
    """Print every public key of this node, newest last, as node-file lines."""
    from borderflow.exchange import keys
    settings = _settings()
    found = keys.all_keys(settings.data_dir)
    if not found:
        err.print(f"[red]no signing key in {keys.key_dir(settings.data_dir)}; run `borderflow keys generate`[/red]")
        raise typer.Exit(1)
    for key in found:
        sys.stdout.write(f'"{key.key_id}" = "{key.public_b64()}"\n')


@exchange_app.command("replay")
def exchange_replay(since: Annotated[str, typer.Option(help="ISO 8601 time, e.g. 2026-11-20T00:00+07:00")],
                    partner: Annotated[str | None, typer.Option(help="partner node id (default: the only one)")] = None,
                    node: NodeOption = "vn") -> None:
    """Send again every message made since a time, for a partner that lost data (it drops duplicates)."""
    from datetime import datetime

    from borderflow.domain.errors import NotFound
    from borderflow.services import exchange_ops
    try:
        start = datetime.fromisoformat(since)
    except ValueError:
        err.print(f"[red]--since {since!r} is not an ISO 8601 time such as 2026-11-20T00:00+07:00[/red]")
        raise typer.Exit(2) from None
    if start.tzinfo is None:
        err.print("[red]--since needs a UTC offset (e.g. +07:00 or Z)[/red]")
        raise typer.Exit(2)
    ctx = _context(node)
    partner = partner or next(iter(ctx.exchange.partners), None)
    try:
        with ctx.uow() as uow:
            count = exchange_ops.replay(ctx, uow, partner_id=partner or "", since=start)
            uow.commit()
    except NotFound as exc:
        err.print(f"[red]unknown {exc.what}[/red]")
        raise typer.Exit(2) from None
    err.print(f"{count} message(s) for {partner} queued again; a running node sends them within seconds")


@exchange_app.command("status")
def exchange_status(node: NodeOption = "vn") -> None:
    """Per partner: last contact, outbox depth, oldest undelivered message, last error."""
    from rich.table import Table

    from borderflow.domain.roles import Principal
    from borderflow.services import exchange_ops
    ctx = _context(node)
    with ctx.uow(write=False) as uow:
        rows = exchange_ops.status(ctx, uow, Principal("cli", "supervisor", "cli"))
    table = Table("partner", "last contact", "outbox", "oldest (s)", "delivered", "received", "last error")
    for r in rows:
        table.add_row(r["partner"], r["last_contact_at"] or "never", str(r["outbox_depth"]),
                      str(r["oldest_undelivered_age_s"] or "-"), str(r["delivered"]),
                      str(r["received"]["applied"]), r["last_error"] or "")
    Console().print(table)


@rates_app.command("import")
def rates_import(file: Annotated[Path, typer.Argument(help="CSV: date,currency,units_per_usd[,valid_to][,source]")],
                 source: Annotated[str | None, typer.Option(help="where the rates come from (default: the file name)")]
                 = None, node: NodeOption = "vn") -> None:
    """Import reference exchange rates; goods lines of those days are valued again at once."""
    from borderflow.services import rates
    if not file.is_file():
        err.print(f"[red]{file}: no such file[/red]")
        raise typer.Exit(2)
    ctx = _context(node)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        err.print(f"[red]{file}: not UTF-8 text[/red]")
        raise typer.Exit(2) from None
    rows, problems = rates.parse_csv(text, ctx.currencies, default_source=source or file.name)
    if problems:
        for p in problems:
            err.print(f"[red]{file}: {p.loc}: {p.msg} ({p.code})[/red]", markup=True, highlight=False)
        raise typer.Exit(2)
    with ctx.uow() as uow:
        count = rates.store(uow, rows, ctx.clock.now())
        uow.log_action(at=ctx.clock.now(), actor="operator:cli", action="statistics.rates_import",
                       subject=file.name, data={"rates": count})
        uow.commit()
    err.print(f"{count} rate(s) imported from {file.name}")


@report_app.command("jwg")
def report_jwg(period: Annotated[str, typer.Option(help="a quarter (2026-Q3), a month (2026-07) or a year")],
               gate_pair: Annotated[str | None, typer.Option("--gate-pair", help="one of this node's gates, e.g. "
                                                                              "KIMTHANH (its pair)")] = None,
               province: Annotated[str | None, typer.Option(help="every gate of one province")] = None,
               lang: Annotated[str, typer.Option(help="vi, zh or en")] = "en",
               out: Annotated[Path | None, typer.Option(help="file to write: .html or .pdf (default: HTML on "
                                                             "standard output)")] = None,
               node: NodeOption = "vn") -> None:
    """The joint working group's report for a period: totals against last year, top commodities,
    crossing and wait times, incidents and hazard alerts, capacity used."""
    from borderflow.domain.errors import ValidationFailed
    from borderflow.services import jwg_report
    from borderflow.web import jwg_render
    if lang not in ("vi", "zh", "en"):
        err.print(f"[red]--lang {lang!r}: expected vi, zh or en[/red]")
        raise typer.Exit(2)
    if out is not None and out.suffix.lower() not in (".html", ".pdf"):
        err.print(f"[red]--out {out}: expected a .html or .pdf file name[/red]")
        raise typer.Exit(2)
    ctx = _context(node)
    try:
        jwg_report.prepare(ctx)
        with ctx.uow(write=False) as uow:
            report = jwg_report.build(ctx, uow, period, gate_pair=gate_pair, province=province)
    except ValidationFailed as exc:
        for p in exc.problems:
            err.print(f"[red]--{p.loc.replace('_', '-')}: {p.msg}[/red]", highlight=False)
        raise typer.Exit(2) from None
    if out is None:
        sys.stdout.write(jwg_render.html(ctx, report, lang))
        return
    if out.suffix.lower() == ".pdf":
        out.write_bytes(jwg_render.pdf(ctx, report, lang))
    else:
        out.write_text(jwg_render.html(ctx, report, lang), encoding="utf-8")
    err.print(f"report {report['period']} for {report['scope']} written to {out}")


@app.command()
def demo(duration: Annotated[float | None, typer.Option(help="stop after this many real seconds (default: run until "
                                                              "Ctrl-C)")] = None,
         headless: Annotated[bool, typer.Option(help="no URLs, keys or live line; end with the summary line")] = False,
         speed: Annotated[float, typer.Option(help="node seconds per real second (60: an hour a minute)",
                                              min=1)] = 60.0,
         start: Annotated[str | None, typer.Option(help="node time to start at, e.g. 2026-06-15T06:00 (local at the "
                                                        "gates); default: the real local hour there, or the next "
                                                        "opening when the gates are closed")] = None,
         scenario: Annotated[str, typer.Option(help="the simulator's scenario whose trucks to play")] = "durian_peak",
         policy: Annotated[str, typer.Option(help="the scenario's queue policy the nodes run")] = "priority",
         problem_share: Annotated[float | None, typer.Option(help="share of checked trucks where an officer finds a "
                                                                  "problem (default: the scenario's)",
                                                             min=0, max=1)] = None,
         scale: Annotated[float, typer.Option(help="share of the scenario's trucks, and of its lane rates",
                                              min=0.001, max=1)] = 0.2,
         data_dir: Annotated[Path, typer.Option(help="where both nodes keep their data")] = Path("demo-data"),
         port: Annotated[int, typer.Option(help="VN node port; the CN node takes the next one")] = 8001,
         seed: Annotated[int, typer.Option(help="random seed of the simulated trucks and officers")] = 1,
         fresh: Annotated[bool, typer.Option(help="start from empty databases")] = True) -> None:
    """Start the VN and CN nodes on an accelerated clock and play a scenario's trucks through both, over the
    real API: declarants, yard cameras, drivers, officers and supervisors are simulated, the nodes are not."""
    from borderflow.demo import run
    from borderflow.sim import ScenarioError

    def say(text: str, live: bool = False) -> None:
        if not headless:
            err.print(text, end="\r" if live else "\n", markup=False, highlight=False, soft_wrap=True)

    try:
        lines = run(data_dir=data_dir, base_port=port, speed=speed, scale=scale, duration=duration,
                    headless=headless, seed=seed, fresh=fresh, say=say, scenario_name=scenario, start=start,
                    policy=policy, problems=problem_share)
    except KeyboardInterrupt:
        raise typer.Exit(130) from None
    except (RuntimeError, ScenarioError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    sys.stdout.write("\n".join(lines) + "\n")
