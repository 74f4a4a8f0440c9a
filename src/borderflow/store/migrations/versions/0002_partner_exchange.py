"""partner exchange

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 16:27:29.758568
"""
from alembic import op
import sqlalchemy as sa
import borderflow.store.tables


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('exchange_rejections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.String(length=64), nullable=True),
    sa.Column('claimed_sender', sa.String(length=64), nullable=True),
    sa.Column('principal', sa.String(length=160), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('envelope', sa.JSON(), nullable=True),
    sa.Column('at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rejections'))
    )
    op.create_table('exchange_reports',
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_exchange_reports'))
    )
    with op.batch_alter_table('exchange_reports', schema=None) as batch_op:
        batch_op.create_index('ix_exchange_reports_kind', ['kind', 'at'], unique=False)

    op.create_table('inbox',
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('envelope', sa.JSON(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('received_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_inbox'))
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_received', ['received_at'], unique=False)
        batch_op.create_index('ix_inbox_stream', ['sender', 'stream', 'seq'], unique=False)

    op.create_table('inbox_streams',
    sa.Column('sender', sa.String(length=64), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('sender', 'stream', name=op.f('pk_inbox_streams'))
    )
    op.create_table('partner_capacity',
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('facing_gate', sa.String(length=16), nullable=False),
    sa.Column('issued_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('notice', sa.JSON(), nullable=False),
    sa.Column('received_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('partner', 'gate', name=op.f('pk_partner_capacity'))
    )
    op.create_table('partner_links',
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('last_contact_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('last_error_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_until', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('partner', name=op.f('pk_partner_links'))
    )
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('origin_node', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('partner_crossing_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('partner_reference', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('partner_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('partner_status_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('partner_outcome', sa.JSON(), nullable=True))
        batch_op.create_index('ix_crossings_partner', ['origin_node', 'partner_crossing_id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=12), server_default='pending', nullable=False))
        batch_op.add_column(sa.Column('receipt', sa.JSON(), nullable=True))
        batch_op.create_index('ix_outbox_recipient_state', ['recipient', 'state', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_recipient_state')
        batch_op.drop_column('receipt')
        batch_op.drop_column('state')

    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.drop_index('ix_crossings_partner')
        batch_op.drop_column('partner_outcome')
        batch_op.drop_column('partner_status_at')
        batch_op.drop_column('partner_status')
        batch_op.drop_column('partner_reference')
        batch_op.drop_column('partner_crossing_id')
        batch_op.drop_column('origin_node')

    op.drop_table('partner_links')
    op.drop_table('partner_capacity')
    op.drop_table('inbox_streams')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_stream')
        batch_op.drop_index('ix_inbox_received')

    op.drop_table('inbox')
    with op.batch_alter_table('exchange_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_exchange_reports_kind')

    op.drop_table('exchange_reports')
    op.drop_table('exchange_rejections')
