"""The outbox archive: delivered messages with the partner's signed receipts, one JSON object a line,
verifiable offline with nothing but the file and the partner's public keys (its node-file entry).

A file is a header line, one line per message, and a trailer with the line count and the SHA-256
of everything before it, so a cut or edited file is told from a whole one. Each message line holds
the envelope as it was signed (`sent_at` and `key_id` of the send the receipt answers) and the
receipt; `verify` checks that the receipt is the partner's (Ed25519 over RFC 8785 JSON), that it
answers this message, sender and receiver, and that its `digest` is the envelope's.

The driver's personal data never reaches the archive, which is kept longer than the law lets us
keep it: those values are null and listed in `redacted`. Such a line's receipt still verifies, but
its content can be bound to the digest only by putting the original values back (a driver or a
court who holds them can do that with the same canonical-JSON digest). The file's SHA-256 is also
in the node's audit trail (`prune.archive`), which vouches for the file as a whole.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from borderflow.domain import personal_data
from borderflow.exchange import envelope as env
from borderflow.exchange.messages import SCHEMAS, outbox_envelope

FORMAT = "borderflow.outbox-archive"
VERSION = 1
DELIVERED = frozenset({"applied", "duplicate", "held"})


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode() + b"\n"


def message_line(row: Any, sender: str) -> dict[str, Any]:  # noqa: ANN401 - an outbox row
    """One archived outbox row; rebuilds the envelope exactly as the dispatcher signed it (in the
    schema version it was sent in: the one whose digest the partner's receipt names)."""
    envelope, redacted = _as_sent(row, sender), []
    payload = envelope["payload"]
    declaration = payload.get("declaration") if isinstance(payload, dict) else None
    if isinstance(declaration, dict):
        driver = declaration.get("driver") if isinstance(declaration.get("driver"), dict) else {}
        redacted = [f"payload.declaration.driver.{k}" for k in personal_data.PERSONAL if k in driver]
        envelope["payload"] = {**payload, "declaration": personal_data.anonymised(declaration)}
    return {"envelope": envelope, "receipt": row.receipt, "redacted": redacted,
            "delivered_at": row.delivered_at.isoformat() if row.delivered_at else None}


def _as_sent(row: Any, sender: str) -> dict[str, Any]:  # noqa: ANN401
    """The envelope in each schema version the type has, newest first; the one the receipt's digest
    names (an anonymised payload matches none: then the newest)."""
    digest = (row.receipt or {}).get("digest") if isinstance(row.receipt, dict) else None
    candidates = [{**outbox_envelope(row, sender=sender, recipient=row.recipient, sent_at=row.sent_at,
                                     accepted=accepted), "key_id": row.sent_key_id}
                  for accepted in sorted(SCHEMAS.get(row.type, {1: None}), reverse=True)]
    if digest and row.sent_at and row.sent_key_id:
        for envelope in candidates:
            if env.digest(envelope) == digest:
                return envelope
    return candidates[0]


class ArchiveWriter:
    """Appends lines and makes each batch durable (fsync) before the rows it holds are deleted."""

    def __init__(self, path: Path, *, node: str, at: datetime, before: datetime):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._file: IO[bytes] = path.open("xb")
        self._hash = hashlib.sha256()
        self.lines = 0
        self._write(_dump({"format": FORMAT, "version": VERSION, "node": node, "created_at": at.isoformat(),
                           "delivered_before": before.isoformat()}))

    def _write(self, data: bytes) -> None:
        self._file.write(data)
        self._hash.update(data)

    def add(self, lines: Iterable[dict[str, Any]]) -> None:
        for line in lines:
            self._write(_dump(line))
            self.lines += 1
        self._sync()

    def close(self) -> str:
        digest = self._hash.hexdigest()
        self._file.write(_dump({"end": {"messages": self.lines, "sha256": digest}}))
        self._sync()
        self._file.close()
        return digest

    def _sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())


@dataclass
class Verdict:
    messages: int = 0
    content_verified: int = 0  # receipt and envelope digest both check out
    receipt_only: int = 0  # receipt checks out; content carries redacted personal data
    problems: list[str] = field(default_factory=list)
    complete: bool = False

    @property
    def ok(self) -> bool:
        return self.complete and not self.problems


def verify(path: Path, partner_keys: dict[str, dict[str, str]], *, node: str | None = None) -> Verdict:
    """Check every line of an archive file against the partners' public keys ({partner id: {key id: key}})."""
    verdict, running = Verdict(), hashlib.sha256()
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = json.loads(raw)
            except ValueError:
                verdict.problems.append(f"line {number}: not JSON")
                running.update(raw)
                continue
            if number == 1:
                _header(line, node, verdict)
            elif isinstance(line, dict) and "end" in line:
                _trailer(line["end"], running.hexdigest(), verdict, number)
                if handle.read(1):
                    verdict.problems.append(f"line {number}: text after the trailer")
                return verdict
            else:
                verdict.messages += 1
                _message(line, number, partner_keys, verdict)
            running.update(raw)
    verdict.problems.append("no trailer: the file was cut short, or the run that wrote it stopped early")
    return verdict


def _header(line: Any, node: str | None, verdict: Verdict) -> None:  # noqa: ANN401
    if not isinstance(line, dict) or line.get("format") != FORMAT:
        verdict.problems.append(f"line 1: not a {FORMAT} file")
    elif node is not None and line.get("node") != node:
        verdict.problems.append(f"line 1: written by node {line.get('node')!r}, not {node!r}")


def _trailer(end: Any, digest: str, verdict: Verdict, number: int) -> None:  # noqa: ANN401
    if not isinstance(end, dict) or end.get("messages") != verdict.messages:
        verdict.problems.append(f"line {number}: the trailer counts {end.get('messages') if isinstance(end, dict) else '?'}"
                                f" messages, the file holds {verdict.messages}")
    elif end.get("sha256") != digest:
        verdict.problems.append(f"line {number}: the file's SHA-256 is not the trailer's: lines were changed")
    else:
        verdict.complete = True


def _message(line: Any, number: int, partner_keys: dict[str, dict[str, str]], verdict: Verdict) -> None:  # noqa: ANN401
    envelope, receipt = (line.get("envelope"), line.get("receipt")) if isinstance(line, dict) else (None, None)
    if not isinstance(envelope, dict) or not isinstance(receipt, dict):
        verdict.problems.append(f"line {number}: expected an envelope and a receipt")
        return
    message_id, recipient = envelope.get("message_id"), envelope.get("recipient")
    keys = partner_keys.get(recipient)
    if keys is None:
        verdict.problems.append(f"line {number} ({message_id}): no public keys for partner {recipient!r}")
        return
    try:
        env.verify(receipt, keys)
    except env.SignatureRejected as exc:
        verdict.problems.append(f"line {number} ({message_id}): receipt signature: {exc}")
        return
    if (receipt.get("receipt_for"), receipt.get("receiver"), receipt.get("sender")) != \
            (message_id, recipient, envelope.get("sender")):
        verdict.problems.append(f"line {number} ({message_id}): the receipt answers another message")
        return
    if receipt.get("status") not in DELIVERED:
        verdict.problems.append(f"line {number} ({message_id}): the receipt says {receipt.get('status')!r}, "
                                "not delivered")
        return
    if envelope.get("sent_at") and envelope.get("key_id") and env.digest(envelope) == receipt.get("digest"):
        verdict.content_verified += 1
    elif _redacted_nulls(envelope, line.get("redacted")) or not envelope.get("sent_at"):
        verdict.receipt_only += 1  # personal data removed, or sent before sends were recorded
    else:
        verdict.problems.append(f"line {number} ({message_id}): the envelope is not what the receipt's digest "
                                "says was received")


def _redacted_nulls(envelope: dict[str, Any], paths: Any) -> bool:  # noqa: ANN401
    """Whether the line names redacted fields, each of them present and null."""
    if not isinstance(paths, list) or not paths:
        return False
    for path in paths:
        node: Any = envelope
        *parents, leaf = str(path).split(".")
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or leaf not in node or node[leaf] is not None:
            return False
    return True


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    """The message lines of an archive (for tools and tests)."""
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            line = json.loads(raw)
            if number > 1 and "end" not in line:
                yield line
