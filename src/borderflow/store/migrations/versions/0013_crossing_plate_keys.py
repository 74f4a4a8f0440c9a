"""plate key variants by crossing: a read its key does not settle finds its plates by an index

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 08:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# As they stand at this revision (domain/lifecycle.TERMINAL, domain/identifiers/plates.key_variants): a
# migration must build the same rows however the code moves on. Ended crossings are not read at a gate.
_TERMINAL = ('exited', 'cancelled', 'refused')
_BATCH = 1000


def _variants(key: str) -> set[str]:
    return {key} | {key[:i] + key[i + 1:] for i in range(len(key))}


def upgrade() -> None:
    op.create_table('crossing_plate_keys',
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.Column('variant', sa.String(length=32), nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_crossing_plate_keys_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('gate', 'variant', 'crossing_id', name=op.f('pk_crossing_plate_keys'))
    )
    with op.batch_alter_table('crossing_plate_keys', schema=None) as batch_op:
        batch_op.create_index('ix_crossing_plate_keys_crossing', ['crossing_id'], unique=False)

    conn = op.get_bind()
    crossings = conn.execute(sa.text("SELECT id, gate, plate_key FROM crossings WHERE status NOT IN :ended")
                             .bindparams(sa.bindparam('ended', expanding=True)), {'ended': list(_TERMINAL)}).all()
    rows = [{'gate': c.gate, 'variant': v, 'crossing_id': c.id}
            for c in crossings for v in sorted(_variants(c.plate_key))]
    insert = sa.text("INSERT INTO crossing_plate_keys (gate, variant, crossing_id) "
                     "VALUES (:gate, :variant, :crossing_id)")
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert, rows[start:start + _BATCH])


def downgrade() -> None:
    with op.batch_alter_table('crossing_plate_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_crossing_plate_keys_crossing')

    op.drop_table('crossing_plate_keys')
