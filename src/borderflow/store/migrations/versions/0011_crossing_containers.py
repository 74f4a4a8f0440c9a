"""containers by crossing: a second active declaration of one container is found by an index

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 02:00:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# As they stand at this revision (domain/lifecycle.TERMINAL, domain/validation.compact_container):
# a migration must build the same rows however the code moves on. Ended crossings are left out:
# only an active declaration is ever looked up here.
_TERMINAL = ('exited', 'cancelled', 'refused')
_BATCH = 1000


def _compact(number: str) -> str:
    return "".join(ch for ch in number.upper() if ch.isalnum())[:40]


def _numbers(declaration) -> list[str]:
    if isinstance(declaration, str):
        declaration = json.loads(declaration)
    units = declaration.get('containers') if isinstance(declaration, dict) else None
    found = (_compact(u['number']) for u in units or () if isinstance(u, dict) and isinstance(u.get('number'), str))
    return list(dict.fromkeys(n for n in found if n))


def upgrade() -> None:
    op.create_table('crossing_containers',
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('crossing_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['crossing_id'], ['crossings.id'], name=op.f('fk_crossing_containers_crossing_id_crossings')),
    sa.PrimaryKeyConstraint('number', 'crossing_id', name=op.f('pk_crossing_containers'))
    )
    with op.batch_alter_table('crossing_containers', schema=None) as batch_op:
        batch_op.create_index('ix_crossing_containers_crossing', ['crossing_id'], unique=False)

    conn = op.get_bind()
    crossings = conn.execute(sa.text("SELECT id, declaration FROM crossings WHERE status NOT IN :ended")
                             .bindparams(sa.bindparam('ended', expanding=True)), {'ended': list(_TERMINAL)}).all()
    rows = [{'number': number, 'crossing_id': c.id} for c in crossings for number in _numbers(c.declaration)]
    insert = sa.text("INSERT INTO crossing_containers (number, crossing_id) VALUES (:number, :crossing_id)")
    for start in range(0, len(rows), _BATCH):
        conn.execute(insert, rows[start:start + _BATCH])


def downgrade() -> None:
    with op.batch_alter_table('crossing_containers', schema=None) as batch_op:
        batch_op.drop_index('ix_crossing_containers_crossing')

    op.drop_table('crossing_containers')
