"""the data version that committed changes bump (pages kept in memory know when they are stale)

Revision ID: 0011_data_version
Revises: 0010_request_list_index
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_data_version"
down_revision = "0010_request_list_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table("data_version")
