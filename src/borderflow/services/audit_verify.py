"""Checking the audit log end to end, as an auditor would, from the rows up.

Every numbered entry is hashed again and compared with its stored leaf hash; the tree is rebuilt
from those hashes; each checkpoint must carry this node's signature, match the rebuilt root at its
size and extend the checkpoint before it (an RFC 9162 consistency proof); the stored subtrees that
proofs are served from must match too. With `witnessed`, the checkpoints the partner acknowledged
(by signed receipt) must match our tree, and what the partner sent us must have been accepted.
Each finding has a stable code, the entry or tree size it concerns, and a sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from borderflow.domain import merkle
from borderflow.exchange import envelope as env
from borderflow.services import witness
from borderflow.services.context import NodeContext
from borderflow.store import audit
from borderflow.store import tables as t

SIGNED_FIELDS = ("node", "tree_size", "root_hash", "issued_at")


@dataclass(frozen=True)
class Finding:
    code: str
    at: int | None  # the entry number or tree size concerned
    detail: str


@dataclass
class Witness:
    partner: str
    acknowledged: dict[str, Any] | None = None  # our newest checkpoint the partner's signed receipt confirms
    waiting: int = 0  # checkpoints sent, no receipt yet
    held: dict[str, Any] | None = None  # the partner's newest checkpoint witnessed here


@dataclass
class Report:
    entries: int = 0
    unsequenced: int = 0
    checkpoints: int = 0
    latest: dict[str, Any] | None = None
    findings: list[Finding] = field(default_factory=list)
    witnesses: list[Witness] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


def verify(ctx: NodeContext, *, witnessed: bool = False) -> Report:
    report = Report()
    with ctx.engine.connect() as conn:
        tree = _entries(conn, report)
        _checkpoints(ctx, conn, tree, report)
        _nodes(conn, tree, report)
        report.unsequenced = conn.execute(select(func.count()).select_from(t.audit_log)
                                          .where(t.audit_log.c.seq.is_(None))).scalar()
        if witnessed:
            for partner in (ctx.exchange.partners if ctx.exchange else {}):
                report.witnesses.append(_witness(ctx, conn, partner, tree, report))
    return report


def _entries(conn: Connection, report: Report) -> merkle.MemoryTree:
    tree = merkle.MemoryTree()
    for row in audit.entries(conn):
        expected = len(tree.leaves) + 1
        if row.seq != expected:
            report.findings.append(Finding("audit.entry_missing", expected,
                                           f"entry {expected} is missing (the next is {row.seq})"))
        digest = merkle.leaf_hash(audit.leaf(row))
        if row.leaf_hash != digest.hex():
            report.findings.append(Finding("audit.entry_altered", row.seq,
                                           f"entry {row.seq} was altered after it was numbered"))
        tree.append(digest)
    report.entries = len(tree.leaves)
    return tree


def _checkpoints(ctx: NodeContext, conn: Connection, tree: merkle.MemoryTree, report: Report) -> None:
    public = ctx.exchange.keys.public_keys() if ctx.exchange else {}
    previous = None
    for row in conn.execute(select(t.audit_checkpoints).order_by(t.audit_checkpoints.c.tree_size)):
        report.checkpoints += 1
        doc, size = row.document, row.tree_size
        problem = _signature_problem(doc, public, ctx.node.id)
        if problem is None and (doc["tree_size"], doc["root_hash"]) != (size, row.root_hash):
            problem = "its row differs from what was signed"
        if problem:
            report.findings.append(Finding("audit.checkpoint_signature", size, f"checkpoint {size}: {problem}"))
            continue
        root = bytes.fromhex(doc["root_hash"])
        if size > len(tree.leaves):
            report.findings.append(Finding("audit.entries_removed", len(tree.leaves) + 1,
                                           f"checkpoint {size} covers {size} entries but the log holds "
                                           f"{len(tree.leaves)}: entries were removed from the end"))
        elif tree.root(size) != root:
            report.findings.append(Finding("audit.root_mismatch", size,
                                           f"the entries no longer hash to checkpoint {size}'s root"))
        elif previous is not None and not merkle.verify_consistency(
                previous[0], size, previous[1], root, merkle.consistency_proof(previous[0], size, tree.mth)):
            report.findings.append(Finding("audit.inconsistent", size,
                                           f"checkpoint {size} does not extend checkpoint {previous[0]}"))
        previous = (size, root)
        report.latest = doc


def _signature_problem(doc: Any, public: dict[str, str], node_id: str) -> str | None:  # noqa: ANN401
    if not isinstance(doc, dict) or any(k not in doc for k in SIGNED_FIELDS):
        return "not a signed checkpoint"
    try:
        env.verify(doc, public)
    except env.SignatureRejected as exc:
        return f"signature rejected ({exc})"
    return None if doc["node"] == node_id else f"signed for node {doc['node']!r}"


def _nodes(conn: Connection, tree: merkle.MemoryTree, report: Report) -> None:
    n = t.audit_nodes.c
    for level, index, digest in conn.execute(select(n.level, n.idx, n.hash).order_by(n.level, n.idx)):
        if ((index + 1) << level) > len(tree.leaves) or tree.complete(level, index).hex() != digest:
            report.findings.append(Finding("audit.subtree_altered", index << level,
                                           f"the stored subtree of {1 << level} entries from entry "
                                           f"{(index << level) + 1} does not match them"))


def _witness(ctx: NodeContext, conn: Connection, partner: str, tree: merkle.MemoryTree, report: Report) -> Witness:
    found = Witness(partner)
    keys = ctx.exchange.partners[partner].public_keys
    kept = witness.acknowledged(conn, partner)
    if kept is not None and _receipt_ok(kept["receipt"], keys, kept["message_id"]):
        found.acknowledged = kept["checkpoint"]
    o = t.outbox.c
    for row in conn.execute(select(o.message_id, o.state, o.payload, o.receipt).where(
            o.recipient == partner, o.type == "audit_checkpoint", o.state != "delivered").order_by(o.seq)):
        size = row.payload["checkpoint"]["tree_size"]
        receipt = row.receipt if isinstance(row.receipt, dict) else None
        if receipt is not None and _receipt_ok(receipt, keys, row.message_id) and receipt["status"] == "rejected":
            report.findings.append(Finding("audit.witness_refused", size,
                                           f"{partner} refused checkpoint {size}: {receipt.get('reason')}"))
        elif row.state == "pending":
            found.waiting += 1
    ack = found.acknowledged
    if ack is not None:
        size = ack["tree_size"]
        if size > len(tree.leaves) or tree.root(size).hex() != ack["root_hash"]:
            report.findings.append(Finding("audit.witness_mismatch", size,
                                           f"{partner} witnessed checkpoint {size} with another root: "
                                           "this log was rewritten since"))
    w, i = t.audit_witnessed.c, t.inbox.c
    held = conn.execute(select(w.document).where(w.partner == partner).order_by(w.tree_size.desc()).limit(1)).scalar()
    found.held = held
    for message_id, reason in conn.execute(select(i.message_id, i.reason).where(
            i.sender == partner, i.type == "audit_checkpoint", i.state == "rejected")):
        report.findings.append(Finding("audit.partner_refused", None,
                                       f"{partner} sent a checkpoint this node refused ({message_id}): {reason}"))
    return found


def _receipt_ok(receipt: dict, keys: dict[str, str], message_id: str) -> bool:
    try:
        env.verify(receipt, keys)
    except env.SignatureRejected:
        return False
    return receipt.get("receipt_for") == message_id
