"""server-side web sessions; optional API key expiry

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa

from borderflow.store.tables import UtcDateTime


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_api_keys_revoked_at', ['revoked_at'], unique=False)
    op.create_table('web_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('api_key_id', sa.String(length=36), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_keys.id'], name=op.f('fk_web_sessions_api_key_id_api_keys')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions'))
    )
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_web_sessions_api_key_id', ['api_key_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_sessions', schema=None) as batch_op:
        batch_op.drop_index('ix_web_sessions_api_key_id')
    op.drop_table('web_sessions')
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_api_keys_revoked_at')
        batch_op.drop_column('expires_at')
