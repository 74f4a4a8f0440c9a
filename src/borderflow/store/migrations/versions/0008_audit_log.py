"""audit log: unsequenced entries, Merkle checkpoints, partner witnesses

The hash chain and its head row give way to an insert-only log that a sequencer numbers into a
Merkle tree. Entries already in the chain keep their order: they become the first entries the
sequencer numbers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:40:00
"""
import hashlib
import json
from datetime import UTC

from alembic import op
import sqlalchemy as sa

from borderflow.store.tables import UtcDateTime


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ENTRY = ('at', 'actor', 'action', 'subject', 'data')


def _entry_columns():
    return [sa.Column('at', UtcDateTime(timezone=True), nullable=False),
            sa.Column('actor', sa.String(length=160), nullable=False),
            sa.Column('action', sa.String(length=48), nullable=False),
            sa.Column('subject', sa.String(length=64), nullable=False),
            sa.Column('data', sa.JSON(), nullable=False)]


def _entries(*keys: str) -> sa.TableClause:
    return sa.table('audit_log', *(sa.column(k) for k in keys), sa.column('at', UtcDateTime()), sa.column('actor'),
                    sa.column('action'), sa.column('subject'), sa.column('data', sa.JSON()))


def upgrade() -> None:
    conn = op.get_bind()
    old = _entries('seq')
    kept = [dict(row._mapping) for row in conn.execute(
        sa.select(*(old.c[c] for c in ENTRY)).order_by(old.c.seq))]
    op.drop_table('audit_log')
    op.drop_table('audit_head')
    new = op.create_table(
        'audit_log',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
        *_entry_columns(),
        sa.Column('seq', sa.BigInteger(), nullable=True),
        sa.Column('leaf_hash', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log')),
        sa.UniqueConstraint('seq', name=op.f('uq_audit_log_seq')))
    op.create_index('ix_audit_log_unsequenced', 'audit_log', ['id'], unique=False,
                    sqlite_where=sa.text('seq IS NULL'), postgresql_where=sa.text('seq IS NULL'))
    if kept:
        op.bulk_insert(new, kept)
    op.create_table(
        'audit_nodes',
        sa.Column('level', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('level', 'idx', name=op.f('pk_audit_nodes')))
    op.create_table(
        'audit_checkpoints',
        sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('root_hash', sa.String(length=64), nullable=False),
        sa.Column('issued_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_audit_checkpoints')))
    op.create_table(
        'audit_witnessed',
        sa.Column('partner', sa.String(length=64), nullable=False),
        sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('root_hash', sa.String(length=64), nullable=False),
        sa.Column('issued_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('received_at', UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('partner', 'tree_size', name=op.f('pk_audit_witnessed')))


def downgrade() -> None:
    """Back to the hash chain, its entries in the order the Merkle log numbered them."""
    conn = op.get_bind()
    log = _entries('id', 'seq')
    rows = [dict(row._mapping) for row in conn.execute(
        sa.select(*(log.c[c] for c in ENTRY)).order_by(log.c.seq.is_(None), log.c.seq, log.c.id))]
    op.drop_table('audit_witnessed')
    op.drop_table('audit_checkpoints')
    op.drop_table('audit_nodes')
    op.drop_table('audit_log')
    head = op.create_table(
        'audit_head',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head')))
    chain = op.create_table(
        'audit_log',
        sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
        *_entry_columns(),
        sa.Column('prev_hash', sa.String(length=64), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log')))
    prev, linked = '0' * 64, []
    for seq, row in enumerate(rows, start=1):
        at = row['at'].astimezone(UTC)
        body = json.dumps([seq, at.isoformat(), row['actor'], row['action'], row['subject'], row['data']],
                          sort_keys=True, separators=(',', ':'), ensure_ascii=False, default=str)
        digest = hashlib.sha256((prev + body).encode()).hexdigest()
        linked.append({**row, 'seq': seq, 'prev_hash': prev, 'hash': digest})
        prev = digest
    if linked:
        op.bulk_insert(chain, linked)
    op.bulk_insert(head, [{'id': 1, 'seq': len(linked), 'hash': prev}])
