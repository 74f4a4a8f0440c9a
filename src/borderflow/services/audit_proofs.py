"""An inclusion proof for one audit entry against the newest signed checkpoint (RFC 9162 §2.1.3)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from borderflow.domain.messages import say
from borderflow.domain import merkle
from borderflow.domain.errors import Conflict, Forbidden, NotFound
from borderflow.domain.roles import Principal
from borderflow.services.context import NodeContext
from borderflow.store import audit
from borderflow.store import tables as t


def inclusion(ctx: NodeContext, principal: Principal, entry: int) -> dict[str, Any]:
    """Everything an auditor needs to check entry `entry` alone: the entry, its canonical leaf, the audit
    path and the signed checkpoint it leads to."""
    if not principal.may("audit.read"):
        raise Forbidden(f"role {principal.role} may not read the audit log")
    with ctx.engine.connect() as conn:
        row = conn.execute(select(t.audit_log).where(t.audit_log.c.seq == entry)).first()
        if row is None:
            raise NotFound(say("what.audit_entry", id=entry))
        latest = audit.latest_checkpoint(conn)
        if latest is None or latest.tree_size < entry:
            raise Conflict(say("audit.not_yet_checkpointed", id=entry), rule="audit.not_yet_checkpointed")
        size = latest.tree_size
        proof = merkle.inclusion_proof(entry - 1, size, audit.StoredTree(conn).mth)
    leaf = audit.leaf(row)
    return {"entry": entry, "leaf_index": entry - 1, "leaf": leaf.decode(), "leaf_hash": row.leaf_hash,
            "tree_size": size, "root_hash": latest.root_hash, "proof": [h.hex() for h in proof],
            "checkpoint": latest.document, "hashing": "RFC 9162: SHA-256(0x00 || leaf), SHA-256(0x01 || left || right)"}
