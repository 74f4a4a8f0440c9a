"""trade statistics

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


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
