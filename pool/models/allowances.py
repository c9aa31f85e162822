"""Allowances for volunteer mediators: the pool's rules (valid from a date) and payouts."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pool.db import Base, UTCDateTime, utcnow
from pool.enums import AllowanceUnit, check_in

# What the rule's amounts are called (columns in euro cents, never floats).
AMOUNT_FIELDS = (
    "per_assignment_cents",
    "per_unit_cents",
    "per_km_cents",
    "flat_travel_cents",
    "short_notice_cancellation_cents",
    "client_no_show_cents",
)


class AllowanceRule(Base):
    """The pool's allowance rates from ``valid_from`` until the next rule's ``valid_from``."""

    __tablename__ = "allowance_rules"
    __table_args__ = (
        UniqueConstraint("pool_id", "valid_from"),
        check_in("unit", AllowanceUnit),
        CheckConstraint(
            " AND ".join(f"{name} >= 0" for name in AMOUNT_FIELDS), name="non_negative"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    per_assignment_cents: Mapped[int] = mapped_column(default=0)
    per_unit_cents: Mapped[int] = mapped_column(default=0)
    unit: Mapped[str | None] = mapped_column(String(10))
    per_km_cents: Mapped[int] = mapped_column(default=0)
    flat_travel_cents: Mapped[int] = mapped_column(default=0)
    short_notice_cancellation_cents: Mapped[int] = mapped_column(default=0)
    client_no_show_cents: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payout(Base):
    """What a pool pays a mediator for a month. Kept for the accounting period even when the
    mediator is erased: ``payee_reference`` stays, ``mediator_id`` may become NULL."""

    __tablename__ = "payouts"
    __table_args__ = (
        CheckConstraint("amount_cents >= 0", name="non_negative"),
        Index("ix_payouts_mediator_paid_on", "mediator_id", "paid_on"),
        Index("ix_payouts_pool_period", "pool_id", "period"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"))
    mediator_id: Mapped[int | None] = mapped_column(ForeignKey("mediators.id", ondelete="SET NULL"))
    payee_reference: Mapped[str] = mapped_column(String(20))
    # The first day of the month the payout is for.
    period: Mapped[date] = mapped_column(Date)
    amount_cents: Mapped[int]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    paid_on: Mapped[date | None] = mapped_column(Date)
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    items: Mapped[list[PayoutItem]] = relationship(
        back_populates="payout", cascade="all, delete-orphan", order_by="PayoutItem.id"
    )


class PayoutItem(Base):
    """One assignment in a payout: an assignment is paid once (the unique constraint)."""

    __tablename__ = "payout_items"
    __table_args__ = (UniqueConstraint("assignment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payout_id: Mapped[int] = mapped_column(ForeignKey("payouts.id", ondelete="CASCADE"), index=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignments.id", ondelete="RESTRICT"))
    amount_cents: Mapped[int]

    payout: Mapped[Payout] = relationship(back_populates="items")
