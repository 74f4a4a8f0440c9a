"""devices at the gate

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


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
