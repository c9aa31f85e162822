"""limits on password reset links and applications per target and per client address

Revision ID: 0012_throttle_events
Revises: 0011_data_version
"""

import sqlalchemy as sa
from alembic import op

from pool.db import UTCDateTime

revision = "0012_throttle_events"
down_revision = "0011_data_version"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("target_key", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('reset', 'apply')", name=op.f("ck_throttle_events_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_throttle_events")),
    )
    op.create_index(
        "ix_throttle_events_kind_target_at", "throttle_events", ["kind", "target_key", "at"]
    )
    op.create_index(
        "ix_throttle_events_kind_address_at", "throttle_events", ["kind", "address", "at"]
    )


def downgrade() -> None:
    op.drop_table("throttle_events")
