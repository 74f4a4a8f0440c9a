"""a declarant's counts in shards: concurrent declarations of one declarant no longer queue on one row

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 16:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_COUNTS = ('crossings', 'refused', 'inspections_failed', 'red_lanes')


def upgrade() -> None:
    # The counts so far stay whole in shard 0; new declarations spread over the shards.
    with op.batch_alter_table('declarant_stats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shard', sa.SmallInteger(), server_default=sa.text('0'), nullable=False))
        batch_op.drop_constraint('pk_declarant_stats', type_='primary')
        batch_op.create_primary_key('pk_declarant_stats', ['tax_id', 'shard'])


def downgrade() -> None:
    conn = op.get_bind()
    sums = ', '.join(f'SUM({name}) AS {name}' for name in _COUNTS)
    totals = conn.execute(sa.text(f'SELECT tax_id, {sums} FROM declarant_stats GROUP BY tax_id')).all()
    conn.execute(sa.text('DELETE FROM declarant_stats'))
    with op.batch_alter_table('declarant_stats', schema=None) as batch_op:
        batch_op.drop_constraint('pk_declarant_stats', type_='primary')
        batch_op.drop_column('shard')
        batch_op.create_primary_key('pk_declarant_stats', ['tax_id'])
    if totals:
        conn.execute(sa.text(f'INSERT INTO declarant_stats (tax_id, {", ".join(_COUNTS)}) '
                             f'VALUES (:tax_id, {", ".join(":" + n for n in _COUNTS)})'),
                     [dict(row._mapping) for row in totals])
