"""data protection and retention

Revision ID: 0008_data_protection
Revises: 0007_allowances
"""
from alembic import op
import sqlalchemy as sa
import pool.db


revision = '0008_data_protection'
down_revision = '0007_allowances'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pools', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retention_months', sa.Integer(), server_default='24', nullable=False))

    with op.batch_alter_table('mediators', schema=None) as batch_op:
        batch_op.add_column(sa.Column('erased_at', pool.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('mediators', schema=None) as batch_op:
        batch_op.drop_column('erased_at')

    with op.batch_alter_table('pools', schema=None) as batch_op:
        batch_op.drop_column('retention_months')
