"""an office's past requests counted from an index

Revision ID: 0010_request_list_index
Revises: 0009_hotline
"""

from alembic import op

revision = "0010_request_list_index"
down_revision = "0009_hotline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_requests_office_ends", "requests", ["office_id", "ends_at"])


def downgrade() -> None:
    op.drop_index("ix_requests_office_ends", table_name="requests")
