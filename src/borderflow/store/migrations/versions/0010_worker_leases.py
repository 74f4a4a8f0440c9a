"""named leases for the node's background work (one worker at a time; its heartbeat)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00
"""
from alembic import op
import sqlalchemy as sa

from borderflow.store.tables import UtcDateTime


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('worker_leases',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('owner', sa.String(length=64), nullable=True),
    sa.Column('until', UtcDateTime(timezone=True), nullable=True),
    sa.Column('renewed_at', UtcDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_worker_leases'))
    )


def downgrade() -> None:
    op.drop_table('worker_leases')
