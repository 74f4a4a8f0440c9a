"""The audit sequencer: numbers new audit entries into the Merkle tree and signs a checkpoint.

One step of the node's background loop, wherever that loop runs. Each step, in one transaction:
take every committed entry that has no number yet (store/audit explains why none is skipped),
number them after the tree's last leaf, store their leaf hashes and the complete subtrees they
close, then sign a checkpoint — tree size, root hash (RFC 9162), time — with the node's Ed25519
key and queue it for the partner to witness (services/witness). A crash anywhere leaves the
entries unnumbered, and the next step takes them.

Two processes may run the step at once: on PostgreSQL the step first takes a transaction-scoped
advisory lock without waiting, so the second finds it held and returns at once; on SQLite a write
transaction already excludes every other writer. `seq` is unique besides, so no number is given twice.
"""

from __future__ import annotations

import logging

from sqlalchemy import text

from borderflow.exchange.config import NoSigningKey
from borderflow.services import witness
from borderflow.services.context import NodeContext
from borderflow.store import audit

log = logging.getLogger("borderflow.audit")
BATCH = 20_000  # entries numbered per step at most; more wait for the next step
LOCK_SPACE = 0xA0D1  # the advisory lock's first key, apart from the outbox's
_CLAIM = text(f"SELECT pg_try_advisory_xact_lock({LOCK_SPACE}, 1)")
_unsigned_warned = False


def sequence_once(ctx: NodeContext, *, batch: int = BATCH) -> int:
    """Number what is waiting and sign a checkpoint over it; how many entries were numbered."""
    if _idle(ctx):
        return 0  # no write transaction, so an idle step never queues for SQLite's writer
    with ctx.uow() as uow:
        conn = uow.conn
        if conn.dialect.name == "postgresql" and not conn.execute(_CLAIM).scalar():
            return 0  # another process is sequencing right now
        size = audit.tree_size(conn)
        rows = audit.unsequenced(conn, batch)
        tree = audit.StoredTree(conn)
        if rows:
            hashes = audit.number(conn, rows, size)
            tree.known.update(((0, size + i), h) for i, h in enumerate(hashes))
            tree.extend(size, size + len(rows))
            size += len(rows)
        _checkpoint(ctx, uow, tree, size)
        witness.harvest(ctx, uow)
        uow.commit()
    return len(rows)


def _idle(ctx: NodeContext) -> bool:
    with ctx.engine.connect() as conn:
        if audit.unsequenced(conn, 1):
            return False
        latest = audit.latest_checkpoint(conn)
        signed = latest.tree_size if latest is not None else 0
        unsigned = signed < audit.tree_size(conn) and _can_sign(ctx)
        return not unsigned and not witness.unharvested(ctx, conn)


def _can_sign(ctx: NodeContext) -> bool:
    try:
        return ctx.exchange is not None and ctx.exchange.keys.current() is not None
    except NoSigningKey:
        return False


def _checkpoint(ctx: NodeContext, uow, tree: audit.StoredTree, size: int) -> None:  # noqa: ANN001
    """Sign the tree as it now stands, unless the newest checkpoint covers it already."""
    global _unsigned_warned
    latest = audit.latest_checkpoint(uow.conn)
    if size == 0 or (latest is not None and latest.tree_size >= size):
        return
    try:
        key = ctx.exchange.keys.current() if ctx.exchange is not None else None
    except NoSigningKey:
        key = None
    if key is None:
        if not _unsigned_warned:
            log.warning("audit entries are numbered but no checkpoint is signed: this node has no signing key "
                        "(`borderflow keys generate`)")
            _unsigned_warned = True
        return
    checkpoint = key.sign({"node": ctx.node.id, "tree_size": size, "root_hash": tree.mth(0, size).hex(),
                           "issued_at": ctx.clock.now().isoformat()})
    audit.add_checkpoint(uow.conn, checkpoint)
    witness.publish(ctx, uow, checkpoint, tree.mth)
