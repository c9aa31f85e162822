"""The outbox: every message the system sends is first a row here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column

from pool.db import Base, UTCDateTime, utcnow
from pool.enums import NotificationCategory, OutboxStatus, check_in


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        check_in("status", OutboxStatus),
        Index("ix_outbox_messages_status_due", "status", "due_at"),
        Index("ix_outbox_messages_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Idempotency key: the same message for the same cause and moment exists once.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(60))
    recipient: Mapped[str] = mapped_column(String(254))
    # The account it was written for (the in-app list, preferences); None for addresses only.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Kind of message for the recipient's preferences (pool/notify.py CATEGORIES).
    category: Mapped[str] = mapped_column(
        String(20), default=NotificationCategory.OTHER, server_default=NotificationCategory.OTHER
    )
    # Urgent messages ignore quiet hours and are never held for a digest.
    urgent: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # An iCalendar attachment (text/calendar), with its METHOD inside.
    calendar: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str] = mapped_column(String(255))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=OutboxStatus.PENDING)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def message_id(self, domain: str) -> str:
        """Stable Message-ID derived from the row: the same on every retry."""
        return f"<outbox-{self.id}@{domain}>"
