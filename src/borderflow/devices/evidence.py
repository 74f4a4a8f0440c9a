"""Plate and scene images kept as evidence: content-addressed files, a row each, a retention.

A file is named by the SHA-256 of its bytes (`<data dir>/evidence/ab/cd/abcd….jpg`), so the
hash in a gate event and its audit entry proves which picture a decision was made on, and
the same picture sent twice is kept once. A file is written whole (temporary file, fsync,
rename, fsync of the directory) before the transaction that names it commits: an
acknowledged push survives `kill -9` with its images. A push whose transaction fails takes
back the files it alone wrote. After `keep_until` (the retention period from the latest
event that showed it) `purge` removes the file; the row, with the hash, stays.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, select, update

from borderflow.devices.base import Image
from borderflow.store import tables as t
from borderflow.store.sql import insert_ignore

HASH_LENGTH = 64


@dataclass(frozen=True, slots=True)
class Stored:
    sha256: str
    role: str
    size: int
    content_type: str
    created: bool  # this push wrote the file (it did not exist)

    def ref(self) -> dict:
        return {"sha256": self.sha256, "role": self.role}


class EvidenceStore:
    def __init__(self, root: Path):
        self.root = root

    def path(self, sha256: str) -> Path:
        if len(sha256) != HASH_LENGTH or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 in hex")
        return self.root / sha256[:2] / sha256[2:4] / f"{sha256}.jpg"

    def put(self, image: Image) -> Stored:
        sha = hashlib.sha256(image.data).hexdigest()
        target = self.path(sha)
        created = not target.exists()
        if created:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(image.data)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, target)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
            _fsync_dir(target.parent)
        return Stored(sha, image.role, len(image.data), image.content_type, created)

    def read(self, sha256: str) -> bytes | None:
        try:
            return self.path(sha256).read_bytes()
        except (FileNotFoundError, ValueError):
            return None

    def discard(self, conn: Connection, stored: list[Stored]) -> None:
        """Take back files this push wrote, when its transaction did not commit (none names them)."""
        for s in stored:
            if s.created and conn.execute(select(t.evidence_images.c.sha256)
                                          .where(t.evidence_images.c.sha256 == s.sha256)).first() is None:
                self.path(s.sha256).unlink(missing_ok=True)


def store_for(ctx) -> EvidenceStore:  # noqa: ANN001
    data_dir = ctx.settings.data_dir if ctx.settings is not None else Path(tempfile.gettempdir()) / "borderflow"
    return EvidenceStore(Path(data_dir) / "evidence")


def retention(ctx) -> timedelta:  # noqa: ANN001
    return timedelta(days=ctx.settings.evidence_retention_days if ctx.settings is not None else 90)


def record(conn: Connection, stored: list[Stored], *, at: datetime, keep_until: datetime) -> None:
    """A row per image in the push's transaction; an image seen again is kept until the later date."""
    e = t.evidence_images.c
    for s in stored:
        insert_ignore(conn, t.evidence_images, {"sha256": s.sha256, "content_type": s.content_type, "size": s.size,
                                                "stored_at": at, "keep_until": keep_until}, [e.sha256])
        conn.execute(update(t.evidence_images).where(e.sha256 == s.sha256, e.keep_until < keep_until)
                     .values(keep_until=keep_until))
        conn.execute(update(t.evidence_images).where(e.sha256 == s.sha256, e.purged_at.is_not(None))
                     .values(purged_at=None, stored_at=at))


def row(conn: Connection, sha256: str) -> dict | None:
    found = conn.execute(select(t.evidence_images).where(t.evidence_images.c.sha256 == sha256)).first()
    return dict(found._mapping) if found else None


def purge(ctx, now: datetime) -> int:  # noqa: ANN001
    """Remove every image past its retention; the rows (and the hashes in events and audit) stay."""
    e, store = t.evidence_images.c, store_for(ctx)
    with ctx.uow() as uow:
        due = uow.conn.execute(select(e.sha256).where(e.keep_until < now, e.purged_at.is_(None))).scalars().all()
        if due:
            uow.conn.execute(update(t.evidence_images).where(e.sha256.in_(due)).values(purged_at=now))
            uow.log_action(at=now, actor="node", action="evidence.purge", subject=str(len(due)),
                           data={"images": len(due)})
        uow.commit()
    for sha in due:  # after the commit: a failed commit must not leave rows pointing at removed files
        store.path(sha).unlink(missing_ok=True)
    return len(due)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
