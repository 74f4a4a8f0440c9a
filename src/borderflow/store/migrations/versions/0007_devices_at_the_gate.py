"""devices at the gate: cameras, barriers, evidence images, heartbeats

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 00:40:00
"""
from alembic import op
import sqlalchemy as sa

from borderflow.store.tables import UtcDateTime


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table('gate_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('images', sa.JSON(), nullable=True))
    op.create_table('devices',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('vendor', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('lane', sa.String(length=16), nullable=False),
    sa.Column('api_key_id', sa.String(length=36), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('last_contact_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_contact_kind', sa.String(length=16), nullable=True),
    sa.Column('retired_at', UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_devices_api_key_id_api_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('api_key_id', name=op.f('uq_devices_api_key_id')),
    sa.UniqueConstraint('name', name=op.f('uq_devices_name'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index('ix_devices_gate_lane', ['gate', 'lane', 'kind'], unique=False)
    op.create_table('evidence_images',
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=32), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('stored_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('keep_until', UtcDateTime(timezone=True), nullable=False),
    sa.Column('purged_at', UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('sha256', name=op.f('pk_evidence_images'))
    )
    with op.batch_alter_table('evidence_images', schema=None) as batch_op:
        batch_op.create_index('ix_evidence_images_keep_until', ['keep_until'], unique=False)
    op.create_table('barrier_commands',
    sa.Column('id', AUTO_ID, autoincrement=True, nullable=False),
    sa.Column('device_id', sa.String(length=36), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('lane', sa.String(length=16), nullable=False),
    sa.Column('gate_event_id', sa.BigInteger(), nullable=True),
    sa.Column('crossing_id', sa.String(length=36), nullable=True),
    sa.Column('command', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('issued_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('confirm_by', UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('reported_state', sa.String(length=16), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('acknowledged_by', sa.String(length=160), nullable=True),
    sa.Column('acknowledged_at', UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_barrier_commands_crossing_id_crossings')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_barrier_commands_device_id_devices')),
    sa.ForeignKeyConstraint(['gate_event_id'], ['gate_events.id'],
                            name=op.f('fk_barrier_commands_gate_event_id_gate_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_barrier_commands'))
    )
    with op.batch_alter_table('barrier_commands', schema=None) as batch_op:
        batch_op.create_index('ix_barrier_commands_device', ['device_id', 'id'], unique=False)
        batch_op.create_index('ix_barrier_commands_gate_state', ['gate', 'state', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('barrier_commands', schema=None) as batch_op:
        batch_op.drop_index('ix_barrier_commands_gate_state')
        batch_op.drop_index('ix_barrier_commands_device')
    op.drop_table('barrier_commands')
    with op.batch_alter_table('evidence_images', schema=None) as batch_op:
        batch_op.drop_index('ix_evidence_images_keep_until')
    op.drop_table('evidence_images')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index('ix_devices_gate_lane')
    op.drop_table('devices')
    with op.batch_alter_table('gate_events', schema=None) as batch_op:
        batch_op.drop_column('images')
