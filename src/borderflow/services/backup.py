"""`borderflow backup` and `borderflow restore`: a consistent copy of a live node's database, and back.

SQLite: the online backup API, copying page batches from inside one read transaction, so the copy
is the database as of that transaction's start while the node keeps writing (WAL: the writer is
never blocked, and the copy never restarts). PostgreSQL: `pg_dump --format=custom`, which dumps one
snapshot, and `pg_restore`. Either way the file is written beside PATH and renamed into place when
whole, so a half-written backup never carries the final name.

Restore goes into an empty database only (no rows in any table): `force` replaces what is there.
The backup's schema revision is read before anything is touched; one this code does not know
(made by a newer borderflow) is refused, an older one is upgraded after the restore. The node's
signing keys and secret live in the data directory, not the database: back them up as files.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text, update
from sqlalchemy.engine import URL, make_url

from borderflow.store import migrate
from borderflow.store import tables as t
from borderflow.store.db import make_engine

log = logging.getLogger("borderflow.ops")
Progress = Callable[[int, int], None]  # (done, total) in pages or tables
SQLITE_MAGIC, PGDUMP_MAGIC = b"SQLite format 3\x00", b"PGDMP"
PAGES_PER_STEP = 4096
IGNORED = {"alembic_version"}  # bookkeeping, present in every migrated database


class BackupError(RuntimeError):
    """Said to the operator as it is: what is wrong and what to do."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int
    seconds: float
    backend: str


@dataclass(frozen=True)
class RestoreResult:
    backend: str
    revision: str  # as the backup had it
    upgraded_to: str | None  # the head it was upgraded to, when it was older
    seconds: float


def backup(url: str, path: Path, *, progress: Progress | None = None) -> BackupResult:
    if path.exists():
        raise BackupError(f"{path} exists already; give the backup a new name (e.g. with the date)")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    parsed, started = make_url(url), time.monotonic()
    try:
        if parsed.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_path(parsed), partial, progress)
        else:
            _pg_dump(parsed, partial, progress)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    result = BackupResult(path, path.stat().st_size, time.monotonic() - started, _backend(parsed))
    _event("backup.done", path=str(path.resolve()), bytes=result.bytes, duration_s=round(result.seconds, 3),
           database=result.backend)
    return result


def restore(url: str, path: Path, *, force: bool = False, progress: Progress | None = None) -> RestoreResult:
    parsed, started = make_url(url), time.monotonic()
    kind = file_kind(path)
    if kind != _backend(parsed):
        raise BackupError(f"{path} is a {kind} backup but BORDERFLOW_DB_URL names a {_backend(parsed)} database; "
                          "restore it into the kind of database it came from")
    revision = backup_revision(path, kind)
    known = _revisions()
    if revision not in known:
        raise BackupError(f"{path} has schema revision {revision!r}, which this borderflow does not know (it knows "
                          f"up to {known[-1]}): restore it with the version that made it, or a newer one")
    engine = make_engine(url)
    try:
        holding = _tables_with_rows(engine)
        if holding and not force:
            raise BackupError(f"the database at {engine.url.render_as_string(hide_password=True)} is not empty "
                              f"({', '.join(holding[:5])}{' …' if len(holding) > 5 else ''} hold rows); restore "
                              "into a new, empty database, or add --force to replace everything in it")
        if kind == "sqlite":
            engine.dispose()
            _sqlite_restore(path, _sqlite_path(parsed), progress)
        else:
            _empty_pg(engine)
            _pg_restore(parsed, path, progress)
        upgraded = None
        if revision != known[-1]:
            migrate.upgrade(engine)
            upgraded = known[-1]
        now_at = _current_revision(engine)
        if now_at != known[-1]:
            raise BackupError(f"after the restore the schema is at {now_at!r}, expected {known[-1]}")
        _free_leases(engine)
    finally:
        engine.dispose()
    result = RestoreResult(kind, revision, upgraded, time.monotonic() - started)
    _event("restore.done", path=str(path.resolve()), revision=revision, upgraded_to=upgraded, database=kind,
           duration_s=round(result.seconds, 3))
    return result


def _free_leases(engine: Engine) -> None:
    """The leases in the copy name processes of the backed-up node, which may still be running
    (on this machine or another): none of them works on the restored database."""
    with engine.begin() as conn:
        conn.execute(update(t.worker_leases).values(owner=None, until=None))
        conn.execute(update(t.partner_links).values(lease_owner=None, lease_until=None))


def file_kind(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {path}: {exc.strerror}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite database nor a pg_dump custom-format file")


def backup_revision(path: Path, kind: str) -> str | None:
    """The schema revision inside a backup file, read without restoring it."""
    if kind == "sqlite":
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            try:
                return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            except (sqlite3.Error, TypeError):
                return None
    listing = _run(["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(path)], env=None).stdout
    match = re.search(r"^COPY \S*alembic_version .*?;\n(\S+)\n", listing, re.M)
    return match.group(1) if match else None


# -- SQLite ------------------------------------------------------------------------

def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    return Path(url.database)


def _copy_pages(source: sqlite3.Connection, target: sqlite3.Connection, progress: Progress | None) -> None:
    report = (lambda _status, remaining, total: progress(total - remaining, total)) if progress else None
    source.backup(target, pages=PAGES_PER_STEP, progress=report)


def _sqlite_backup(database: Path, target: Path, progress: Progress | None) -> None:
    if not database.exists():
        raise BackupError(f"no database at {database}")
    source = sqlite3.connect(database, isolation_level=None, timeout=30)
    copy = sqlite3.connect(target)
    try:
        source.execute("BEGIN")  # one snapshot for every step: writers go on, the copy never restarts
        source.execute("SELECT count(*) FROM sqlite_master").fetchone()
        _copy_pages(source, copy, progress)
        source.execute("COMMIT")
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        if copy.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"the copy of {database} failed SQLite's check; the database itself may be damaged")
    finally:
        copy.close()
        source.close()


def _sqlite_restore(backup_file: Path, database: Path, progress: Progress | None) -> None:
    database.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    target = sqlite3.connect(database, timeout=30)
    try:
        _copy_pages(source, target, progress)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
        source.close()


# -- PostgreSQL --------------------------------------------------------------------

def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A conninfo URL for the command-line tools, the password handed over in the environment."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed; install the PostgreSQL client tools (Debian: postgresql-client)")
    return found


def _run(args: list[str], env: dict | None, on_line: Callable[[str], None] | None = None) -> subprocess.CompletedProcess:
    args = [_tool(args[0]), *args[1:]]
    if on_line is None:
        done = subprocess.run(args, env=env, capture_output=True, text=True)
    else:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = []
        for line in proc.stderr:
            lines.append(line)
            on_line(line)
        out = proc.stdout.read()
        done = subprocess.CompletedProcess(args, proc.wait(), out, "".join(lines))
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "error" in line.lower()] or done.stderr.splitlines()
        raise BackupError(f"{Path(args[0]).name} failed: {' / '.join(errors[-3:])}")
    return done


def _table_counter(total: int, marker: str, progress: Progress | None) -> Callable[[str], None]:
    done = 0

    def on_line(line: str) -> None:
        nonlocal done
        if marker in line and progress is not None:
            done = min(total, done + 1)
            progress(done, total)
    return on_line


def _pg_dump(url: URL, target: Path, progress: Progress | None) -> None:
    conninfo, env = _libpq(url)
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        total = len(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    _run(["pg_dump", "--format=custom", "--no-owner", "--verbose", f"--file={target}", conninfo], env,
         _table_counter(total, "dumping contents of table", progress))


def _pg_restore(url: URL, source: Path, progress: Progress | None) -> None:
    conninfo, env = _libpq(url)
    tables = _run(["pg_restore", "--list", str(source)], env).stdout.count(" TABLE DATA ")
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", "--verbose",
          f"--dbname={conninfo}", str(source)], env, _table_counter(tables, "processing data for table", progress))


def _empty_pg(engine: Engine) -> None:
    """Nothing of the old schema may linger beside the restored one (checked empty, or forced)."""
    with engine.begin() as conn:
        for name in inspect(conn).get_table_names():
            conn.execute(text(f'DROP TABLE IF EXISTS "{name}" CASCADE'))


# -- both --------------------------------------------------------------------------

def _backend(url: URL) -> str:
    return "sqlite" if url.get_backend_name() == "sqlite" else "postgresql"


def _revisions() -> list[str]:
    """Every schema revision this code knows, oldest first."""
    script = ScriptDirectory(str(migrate.MIGRATIONS))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _tables_with_rows(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        names = [n for n in inspect(conn).get_table_names() if n not in IGNORED]
        holding = [n for n in names if conn.execute(text(f'SELECT 1 FROM "{n}" LIMIT 1')).first() is not None]
        if holding == ["audit_head"] and conn.execute(text("SELECT seq FROM audit_head")).scalar() == 0:
            return []  # the empty chain's head, which every migrated database has
    return holding


def _current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _event(event: str, **fields: object) -> None:
    log.info("%s %s", event, " ".join(f"{k}={v}" for k, v in fields.items()),
             extra={"fields": {"event": event, **fields}})
