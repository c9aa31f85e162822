"""public language overview

Revision ID: 0006_public_overview
Revises: 0005_notifications
"""
from alembic import op
import sqlalchemy as sa
import pool.db


revision = '0006_public_overview'
down_revision = '0005_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pools', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('public_overview', sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table('pools', schema=None) as batch_op:
        batch_op.drop_column('public_overview')
