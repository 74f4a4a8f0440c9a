"""whole past months of trade statistics summed once; an index of the lines waiting for a rate

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 05:00:00
"""
from alembic import op
import sqlalchemy as sa

from borderflow.store.tables import UtcDateTime


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

DIMENSIONS = ('gate', 'gate_pair', 'province', 'direction', 'risk_lane', 'hs_chapter', 'hs_heading',
              'hs_subheading', 'commodity_group', 'origin', 'currency')


def upgrade() -> None:
    op.create_table('trade_months',
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('built_at', UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('month', name=op.f('pk_trade_months'))
    )
    op.create_table('trade_month_sums',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('quarter', sa.String(length=7), nullable=False),
    sa.Column('year', sa.String(length=7), nullable=False),
    *(sa.Column(name, sa.String(length=64), nullable=False) for name in DIMENSIONS),
    sa.Column('firsts', sa.BigInteger(), nullable=False),
    sa.Column('lines', sa.Integer(), nullable=False),
    sa.Column('containers', sa.BigInteger(), nullable=False),
    sa.Column('gross_kg', sa.Float(), nullable=False),
    sa.Column('net_kg', sa.Float(), nullable=False),
    sa.Column('value_usd', sa.Float(), nullable=True),
    sa.Column('unpriced_lines', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trade_month_sums'))
    )
    with op.batch_alter_table('trade_month_sums', schema=None) as batch_op:
        batch_op.create_index('ix_trade_month_sums_month', ['month'], unique=False)
    with op.batch_alter_table('trade_lines', schema=None) as batch_op:
        batch_op.create_index('ix_trade_lines_unpriced', ['currency', 'day'], unique=False,
                              sqlite_where=sa.text('value_usd IS NULL'), postgresql_where=sa.text('value_usd IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('trade_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_trade_lines_unpriced')
    with op.batch_alter_table('trade_month_sums', schema=None) as batch_op:
        batch_op.drop_index('ix_trade_month_sums_month')
    op.drop_table('trade_month_sums')
    op.drop_table('trade_months')
