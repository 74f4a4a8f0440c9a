"""The operator's commands for keeping a node for years: backup, restore, prune, archive verify.

Each reads BORDERFLOW_DB_URL like every other command, logs its outcome as one JSON line on
standard error (`backup.done`, `restore.done`, `prune.done`) and shows a Rich progress bar there
while it works; what a script reads comes on standard output.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

log = logging.getLogger("borderflow.ops")
archive_app = typer.Typer(help="The outbox archive files `prune` writes.", no_args_is_help=True)


@contextmanager
def _bar(what: str) -> Iterator:
    from borderflow.cli import err
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  TimeElapsedColumn(), console=err, transient=True) as progress:
        task = progress.add_task(what, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def _json_logs() -> None:
    from borderflow.api import request_log
    request_log.configure()


def backup(path: Annotated[Path, typer.Argument(help="the file to write (must not exist)")]) -> None:
    """Copy the live database to PATH, consistent as of one moment, while the node keeps running."""
    from borderflow.cli import _settings, err
    from borderflow.services.backup import BackupError, backup as run
    _json_logs()
    try:
        with _bar("backing up") as progress:
            result = run(_settings().database_url(), path, progress=progress)
    except BackupError as exc:
        _say(err, f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    _say(err, f"[green]backup of the {result.backend} database written to {result.path}: {result.bytes:,} bytes "
              f"in {result.seconds:.1f} s[/green]; keep the data directory's keys/ and node-secret with it")


def restore(path: Annotated[Path, typer.Argument(help="a file `borderflow backup` wrote")],
            force: Annotated[bool, typer.Option("--force", help="replace what the database holds")] = False) -> None:
    """Restore a backup into the (empty) database BORDERFLOW_DB_URL names; stop the node first."""
    from borderflow.cli import _settings, err
    from borderflow.services.backup import BackupError, restore as run
    _json_logs()
    try:
        with _bar("restoring") as progress:
            result = run(_settings().database_url(), path, force=force, progress=progress)
    except BackupError as exc:
        _say(err, f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    upgraded = f", upgraded to {result.upgraded_to}" if result.upgraded_to else ""
    _say(err, f"[green]restored {path} (schema revision {result.revision}{upgraded}) in {result.seconds:.1f} s"
              "[/green]; check it with `borderflow audit verify`")


def prune(now: Annotated[str | None, typer.Option(
              help="judge ages from this ISO 8601 time instead of the node's clock (to rehearse)")] = None,
          archive_dir: Annotated[Path | None, typer.Option(
              help="where archive files go (default: <data dir>/archive)")] = None,
          node: Annotated[str, typer.Option("--node", help="vn, cn or a node file path")] = "vn") -> None:
    """Anonymise drivers of crossings long ended, archive delivered messages, trim old keys and events.

    Ages come from the BORDERFLOW_RETAIN_* settings; safe to run again, and beside a running node.
    Prints what it did as one JSON object."""
    from borderflow.cli import _context, err
    from borderflow.services.prune import Retention, prune as run
    _json_logs()
    at = _aware(now, "--now") if now else None
    ctx = _context(node)
    at = at or ctx.clock.now()
    retention = Retention.from_settings(ctx.settings)
    with _bar("pruning") as progress:
        totals: dict[str, int] = {}

        def tick(step: str, rows: int) -> None:
            totals[step] = totals.get(step, 0) + rows
            progress(sum(totals.values()), None)
        report = run(ctx, now=at, archive_dir=archive_dir or ctx.settings.data_dir / "archive", retention=retention,
                     progress=tick)
    summary = {"now": at.isoformat(), **report.as_dict()}
    log.info("prune.done", extra={"fields": {"event": "prune.done", **summary}})
    sys.stdout.write(json.dumps(summary) + "\n")
    if report.archive:
        _say(err, f"archive: {report.archive} (check it with `borderflow archive verify {report.archive}`)")


@archive_app.command("verify")
def archive_verify(file: Annotated[Path, typer.Argument(help="an archive file `prune` wrote")],
                   node: Annotated[str, typer.Option("--node", help="the node file with the partners' public keys "
                                                                    "(vn, cn or a path)")] = "vn") -> None:
    """Check every receipt in an archive file with the partners' public keys; offline, no database."""
    from borderflow.cli import _settings, err
    from borderflow.reference.region import NodeFileError, load_node
    from borderflow.services.archive import verify
    try:
        node_file = load_node(_settings(node=node).node)
    except NodeFileError as exc:
        _say(err, f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    keys = {pid: dict(link.get("public_keys", {})) for pid, link in node_file.node.partners.items()}
    try:
        verdict = verify(file, keys, node=node_file.node.id)
    except OSError as exc:
        _say(err, f"[red]cannot read {file}: {exc.strerror}[/red]")
        raise typer.Exit(2) from None
    for problem in verdict.problems[:20]:
        _say(err, f"[red]{problem}[/red]")
    summary = (f"{verdict.messages} messages: {verdict.content_verified} receipt and content verified, "
               f"{verdict.receipt_only} receipt verified (personal data redacted)")
    if not verdict.ok:
        _say(err, f"[red]archive NOT verified ({len(verdict.problems)} problems); {summary}[/red]")
        raise typer.Exit(1)
    _say(err, f"[green]archive verified: {summary}[/green]")


def _aware(text: str, option: str) -> datetime:
    from borderflow.cli import err
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        _say(err, f"[red]{option} {text!r} is not an ISO 8601 time such as 2027-06-01T00:00+07:00[/red]")
        raise typer.Exit(2) from None
    if at.tzinfo is None:
        _say(err, f"[red]{option} needs a UTC offset (e.g. +07:00 or Z)[/red]")
        raise typer.Exit(2)
    return at


def _say(console, text: str) -> None:  # noqa: ANN001
    console.print(text, soft_wrap=True, highlight=False)  # one line per message, for grep and for scripts


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("prune")(prune)
    app.add_typer(archive_app, name="archive")
