"""slots yard and call-forward

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 16:50:05.201118
"""
from alembic import op
import sqlalchemy as sa
import borderflow.store.tables


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_state',
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('last_run_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('gate', 'direction', name=op.f('pk_call_state'))
    )
    op.create_table('capacity_overrides',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('starts_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('trucks_per_hour', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=160), nullable=False),
    sa.Column('created_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_capacity_overrides'))
    )
    with op.batch_alter_table('capacity_overrides', schema=None) as batch_op:
        batch_op.create_index('ix_capacity_overrides_gate', ['gate', 'direction', 'starts_at'], unique=False)

    op.create_table('slot_counts',
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('slot_start', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('gate', 'direction', 'slot_start', name=op.f('pk_slot_counts'))
    )
    op.create_table('bay_assignments',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('bay', sa.Integer(), nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.Column('assigned_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('released_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_bay_assignments_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bay_assignments'))
    )
    with op.batch_alter_table('bay_assignments', schema=None) as batch_op:
        batch_op.create_index('ix_bay_assignments_open', ['gate', 'released_at', 'bay'], unique=False)

    op.create_table('bookings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('slot_start', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('plate_key', sa.String(length=32), nullable=False),
    sa.Column('declarant_tax_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('reschedules', sa.Integer(), nullable=False),
    sa.Column('created_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_bookings_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_plate_status', ['plate_key', 'status', 'updated_at'], unique=False)
        batch_op.create_index('ix_bookings_slot', ['gate', 'direction', 'slot_start', 'status'], unique=False)
        batch_op.create_index('uq_bookings_active_crossing', ['crossing_id'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.create_index('uq_bookings_active_plate', ['plate_key'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('notifications',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_notifications_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_crossing', ['crossing_id', 'id'], unique=False)

    op.create_table('yard',
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('priority', sa.String(length=12), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('checked_in_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('queued_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('booked_from', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('booked_until', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('called_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('call_deadline', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('lane', sa.String(length=16), nullable=True),
    sa.Column('bay', sa.Integer(), nullable=True),
    sa.Column('missed_calls', sa.Integer(), nullable=False),
    sa.Column('served_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_yard_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('crossing_id', name=op.f('pk_yard'))
    )
    with op.batch_alter_table('yard', schema=None) as batch_op:
        batch_op.create_index('ix_yard_called', ['gate', 'direction', 'called_at'], unique=False)
        batch_op.create_index('ix_yard_gate_state', ['gate', 'direction', 'state', 'queued_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('yard', schema=None) as batch_op:
        batch_op.drop_index('ix_yard_gate_state')
        batch_op.drop_index('ix_yard_called')

    op.drop_table('yard')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_crossing')

    op.drop_table('notifications')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_active_plate', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index('uq_bookings_active_crossing', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index('ix_bookings_slot')
        batch_op.drop_index('ix_bookings_plate_status')

    op.drop_table('bookings')
    with op.batch_alter_table('bay_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_bay_assignments_open')

    op.drop_table('bay_assignments')
    op.drop_table('slot_counts')
    with op.batch_alter_table('capacity_overrides', schema=None) as batch_op:
        batch_op.drop_index('ix_capacity_overrides_gate')

    op.drop_table('capacity_overrides')
    op.drop_table('call_state')
