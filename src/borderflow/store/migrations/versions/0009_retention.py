"""retention: pruning marks and archive bookkeeping

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 00:40:00
"""
from alembic import op
import sqlalchemy as sa

from borderflow.store.tables import UtcDateTime


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_crossings_retention', ['status', 'updated_at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('sent_key_id', sa.String(length=80), nullable=True))
    with op.batch_alter_table('gate_events', schema=None) as batch_op:
        batch_op.create_index('ix_gate_events_at', ['at'], unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_at', ['at'], unique=False)
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_created_at', ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_created_at')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_at')
    with op.batch_alter_table('gate_events', schema=None) as batch_op:
        batch_op.drop_index('ix_gate_events_at')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('sent_key_id')
        batch_op.drop_column('sent_at')
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.drop_index('ix_crossings_retention')
        batch_op.drop_column('anonymised_at')
