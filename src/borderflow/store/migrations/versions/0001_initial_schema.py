"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-24 03:44:01.046860
"""
from alembic import op
import sqlalchemy as sa
import borderflow.store.tables


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('declarant_tax_id', sa.String(length=32), nullable=True),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('created_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_keys')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_keys_key_hash'))
    )
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('audit_log',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=160), nullable=False),
    sa.Column('action', sa.String(length=48), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log'))
    )
    op.create_table('crossings',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('risk_lane', sa.String(length=8), nullable=False),
    sa.Column('risk_reasons', sa.JSON(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('hold_reason', sa.Text(), nullable=True),
    sa.Column('checks_passed', sa.JSON(), nullable=False),
    sa.Column('declarant_tax_id', sa.String(length=32), nullable=False),
    sa.Column('plate', sa.String(length=32), nullable=False),
    sa.Column('plate_key', sa.String(length=32), nullable=False),
    sa.Column('trailer_plate', sa.String(length=32), nullable=True),
    sa.Column('expected_arrival', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('customs_declaration_no', sa.String(length=32), nullable=True),
    sa.Column('declaration', sa.JSON(), nullable=False),
    sa.Column('created_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crossings')),
    sa.UniqueConstraint('reference', name=op.f('uq_crossings_reference'))
    )
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.create_index('ix_crossings_declarant', ['declarant_tax_id', 'created_at'], unique=False)
        batch_op.create_index('ix_crossings_gate_status', ['gate', 'status'], unique=False)
        batch_op.create_index('ix_crossings_plate_key', ['plate_key'], unique=False)

    op.create_table('declarant_stats',
    sa.Column('tax_id', sa.String(length=32), nullable=False),
    sa.Column('crossings', sa.Integer(), nullable=False),
    sa.Column('refused', sa.Integer(), nullable=False),
    sa.Column('inspections_failed', sa.Integer(), nullable=False),
    sa.Column('red_lanes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('tax_id', name=op.f('pk_declarant_stats'))
    )
    op.create_table('idempotency_keys',
    sa.Column('principal', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_idempotency_keys'))
    )
    op.create_table('node_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_node_state'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('recipient', sa.String(length=32), nullable=False),
    sa.Column('stream', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('claimed_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_message_id')),
    sa.UniqueConstraint('recipient', 'stream', 'seq', name='uq_outbox_stream_seq')
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['delivered_at', 'id'], unique=False)

    op.create_table('crossing_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=160), nullable=False),
    sa.Column('cause', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_crossing_events_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crossing_events'))
    )
    with op.batch_alter_table('crossing_events', schema=None) as batch_op:
        batch_op.create_index('ix_crossing_events_crossing', ['crossing_id', 'id'], unique=False)

    op.create_table('declaration_versions',
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('declaration', sa.JSON(), nullable=False),
    sa.Column('risk_lane', sa.String(length=8), nullable=False),
    sa.Column('risk_reasons', sa.JSON(), nullable=False),
    sa.Column('actor', sa.String(length=160), nullable=False),
    sa.Column('created_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_declaration_versions_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('crossing_id', 'version', name=op.f('pk_declaration_versions'))
    )
    op.create_table('gate_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('lane', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('plate', sa.String(length=32), nullable=True),
    sa.Column('confidence', sa.Float(), nullable=True),
    sa.Column('gross_kg', sa.Float(), nullable=True),
    sa.Column('barrier', sa.String(length=16), nullable=True),
    sa.Column('at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('received_at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.Column('device', sa.String(length=160), nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=True),
    sa.Column('decision', sa.String(length=8), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('match', sa.String(length=16), nullable=True),
    sa.Column('candidates', sa.JSON(), nullable=False),
    sa.Column('review', sa.String(length=12), nullable=False),
    sa.Column('resolved_by', sa.String(length=160), nullable=True),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_gate_events_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_events'))
    )
    with op.batch_alter_table('gate_events', schema=None) as batch_op:
        batch_op.create_index('ix_gate_events_crossing', ['crossing_id', 'kind', 'id'], unique=False)
        batch_op.create_index('ix_gate_events_review', ['review', 'id'], unique=False)

    op.create_table('inspections',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('officer', sa.String(length=160), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('at', borderflow.store.tables.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_inspections_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspections'))
    )


def downgrade() -> None:
    op.drop_table('inspections')
    with op.batch_alter_table('gate_events', schema=None) as batch_op:
        batch_op.drop_index('ix_gate_events_review')
        batch_op.drop_index('ix_gate_events_crossing')

    op.drop_table('gate_events')
    op.drop_table('declaration_versions')
    with op.batch_alter_table('crossing_events', schema=None) as batch_op:
        batch_op.drop_index('ix_crossing_events_crossing')

    op.drop_table('crossing_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox')
    op.drop_table('node_state')
    op.drop_table('idempotency_keys')
    op.drop_table('declarant_stats')
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.drop_index('ix_crossings_plate_key')
        batch_op.drop_index('ix_crossings_gate_status')
        batch_op.drop_index('ix_crossings_declarant')

    op.drop_table('crossings')
    op.drop_table('audit_log')
    op.drop_table('audit_head')
    op.drop_table('api_keys')
