"""audit log

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 00:40:00
"""
from alembic import op
import sqlalchemy as sa

from borderflow.store.tables import UtcDateTime


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
