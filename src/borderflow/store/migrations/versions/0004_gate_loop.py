"""the gate loop, enforced: agency sign-offs, the bay pool's lock, out-of-turn calls

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:40:00
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# What the lane alone used to ask, for crossings declared before sign-offs existed.
_LEGACY = {"yellow": ("customs", "document"), "red": ("customs", "physical")}


def upgrade() -> None:
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signoffs', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))
    with op.batch_alter_table('yard', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_reason', sa.Text(), nullable=True))
    op.create_table('bay_pools',
    sa.Column('gate', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('gate', name=op.f('pk_bay_pools'))
    )
    with op.batch_alter_table('bay_assignments', schema=None) as batch_op:
        batch_op.create_index('uq_bay_assignments_held', ['gate', 'bay'], unique=True,
                              sqlite_where=sa.text('released_at IS NULL'),
                              postgresql_where=sa.text('released_at IS NULL'))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, risk_lane, checks_passed FROM crossings WHERE risk_lane IN ('yellow', 'red')"))
    for row in rows.fetchall():
        agency, check = _LEGACY[row.risk_lane]
        passed = json.loads(row.checks_passed) if isinstance(row.checks_passed, str) else row.checks_passed
        done = "physical" if "physical" in passed else ("document" if "document" in passed else None)
        ok = done == "physical" or (done == "document" and check == "document")
        signoff = {"agency": agency, "check": check, "required": True, "status": "passed" if ok else "pending",
                   "on_failure": "hold", "reasons": [], "done": done, "by": None, "at": None, "notes": ""}
        conn.execute(sa.text("UPDATE crossings SET signoffs = :s WHERE id = :id"),
                     {"s": json.dumps([signoff]), "id": row.id})


def downgrade() -> None:
    with op.batch_alter_table('bay_assignments', schema=None) as batch_op:
        batch_op.drop_index('uq_bay_assignments_held', sqlite_where=sa.text('released_at IS NULL'),
                            postgresql_where=sa.text('released_at IS NULL'))
    op.drop_table('bay_pools')
    with op.batch_alter_table('yard', schema=None) as batch_op:
        batch_op.drop_column('call_reason')
    with op.batch_alter_table('crossings', schema=None) as batch_op:
        batch_op.drop_column('signoffs')
