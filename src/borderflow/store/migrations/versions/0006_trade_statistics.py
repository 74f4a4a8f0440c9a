"""trade statistics: exited goods lines, exchange rates, partner statistics reports

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:40:00
"""
from alembic import op
import sqlalchemy as sa

from borderflow.store.tables import UtcDateTime


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('trade_lines',
    sa.Column('id', AUTO_ID, autoincrement=True, nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('exited_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('year', sa.String(length=4), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('gate_pair', sa.String(length=40), nullable=False),
    sa.Column('province', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('risk_lane', sa.String(length=8), nullable=False),
    sa.Column('declarant_tax_id', sa.String(length=32), nullable=False),
    sa.Column('hs_code', sa.String(length=16), nullable=False),
    sa.Column('hs_chapter', sa.String(length=2), nullable=False),
    sa.Column('hs_heading', sa.String(length=4), nullable=False),
    sa.Column('hs_subheading', sa.String(length=6), nullable=False),
    sa.Column('commodity_group', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=2), nullable=False),
    sa.Column('containers', sa.Integer(), nullable=False),
    sa.Column('gross_kg', sa.Float(), nullable=False),
    sa.Column('net_kg', sa.Float(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('value_usd', sa.Float(), nullable=True),
    sa.Column('firsts', sa.BigInteger(), nullable=False),
    sa.Column('crossing_minutes', sa.Float(), nullable=True),
    sa.Column('yard_minutes', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_trade_lines_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trade_lines')),
    sa.UniqueConstraint('crossing_id', 'line_no', name='uq_trade_lines_crossing_line')
    )
    with op.batch_alter_table('trade_lines', schema=None) as batch_op:
        batch_op.create_index('ix_trade_lines_day', ['day'], unique=False)
        batch_op.create_index('ix_trade_lines_declarant', ['declarant_tax_id', 'day'], unique=False)
        batch_op.create_index('ix_trade_lines_currency', ['currency', 'day'], unique=False)
    op.create_table('exchange_rates',
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('units_per_usd', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.Column('imported_at', UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('currency', 'day', name=op.f('pk_exchange_rates'))
    )
    op.create_table('statistics_reports',
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('part', sa.Integer(), nullable=False),
    sa.Column('parts', sa.Integer(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('at', UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_statistics_reports'))
    )
    with op.batch_alter_table('statistics_reports', schema=None) as batch_op:
        batch_op.create_index('ix_statistics_reports_period', ['partner', 'period', 'direction'], unique=False)
    op.create_table('partner_trade_crossings',
    sa.Column('partner', sa.String(length=64), nullable=False),
    sa.Column('crossing_id', sa.String(length=64), nullable=False),
    sa.Column('counterpart_id', sa.String(length=64), nullable=True),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('period', sa.String(length=8), nullable=False),
    sa.Column('exited_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('gross_kg', sa.Float(), nullable=False),
    sa.Column('value_usd', sa.Float(), nullable=True),
    sa.Column('hs_subheadings', sa.String(length=200), nullable=False),
    sa.Column('report_id', sa.String(length=36), nullable=False),
    sa.Column('received_at', UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('partner', 'crossing_id', name=op.f('pk_partner_trade_crossings'))
    )
    with op.batch_alter_table('partner_trade_crossings', schema=None) as batch_op:
        batch_op.create_index('ix_partner_trade_crossings_counterpart', ['partner', 'counterpart_id'], unique=False)
        batch_op.create_index('ix_partner_trade_crossings_period', ['partner', 'period'], unique=False)


def downgrade() -> None:
    op.drop_table('partner_trade_crossings')
    op.drop_table('statistics_reports')
    op.drop_table('exchange_rates')
    op.drop_table('trade_lines')
