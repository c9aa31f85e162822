"""Requests for an interpreter, offers to mediators, and confirmed assignments."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pool.db import Base, UTCDateTime, utcnow
from pool.enums import (
    AssignmentStatus,
    Mode,
    OfferStatus,
    Outcome,
    RequestStatus,
    Setting,
    check_in,
)
from pool.models.mediators import Mediator
from pool.models.org import Office, Pool
from pool.models.users import User

# The codes as tuples, for membership tests ("x in Enum" needs a member on Python 3.11).
OUTCOMES = tuple(Outcome)
SETTINGS = tuple(Setting)
# The longest request (ck_requests_duration): bounds index ranges on starts_at.
LONGEST_DURATION = timedelta(minutes=600)


class PoolClosure(Base):
    """A period in which the pool's coordination is closed (counts as non-working days)."""

    __tablename__ = "pool_closures"
    __table_args__ = (CheckConstraint("start_date <= end_date", name="start_before_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))


class RequestSeries(Base):
    """Recurring appointments: requests that can be changed one at a time or all together."""

    __tablename__ = "request_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    interval_days: Mapped[int] = mapped_column(default=7)
    count: Mapped[int]


class InterpretingRequest(Base):
    """An office asks for an interpreter (the Python name must not clash with flask.request)."""

    __tablename__ = "requests"
    __table_args__ = (
        check_in("status", RequestStatus),
        check_in("mode", Mode),
        CheckConstraint("duration_minutes BETWEEN 5 AND 600", name="duration"),
        Index("ix_requests_pool_status_starts", "pool_id", "status", "starts_at"),
        Index("ix_requests_office_starts", "office_id", "starts_at"),
        # Counts an office's past requests from the index alone (the request list's pages).
        Index("ix_requests_office_ends", "office_id", "ends_at"),
        Index("ix_requests_status_starts", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="RESTRICT"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("request_series.id", ondelete="SET NULL"), index=True
    )
    language_code: Mapped[str] = mapped_column(String(8))
    dialect: Mapped[str | None] = mapped_column(String(80))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_minutes: Mapped[int]
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    mode: Mapped[str] = mapped_column(String(10))
    municipality: Mapped[str | None] = mapped_column(String(120))
    address: Mapped[str | None] = mapped_column(String(300))
    domain_code: Mapped[str] = mapped_column(ForeignKey("domains.code", ondelete="RESTRICT"))
    setting: Mapped[str] = mapped_column(String(30))
    gender_preference: Mapped[str | None] = mapped_column(String(10))
    gender_required: Mapped[bool] = mapped_column(default=False)
    urgent: Mapped[bool] = mapped_column(default=False)
    urgent_reason: Mapped[str | None] = mapped_column(String(500))
    professional_present: Mapped[bool] = mapped_column(default=True)
    # Pseudonymous: for continuity and conflicts of interest, never a name.
    case_ref: Mapped[str | None] = mapped_column(String(60))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default=RequestStatus.OPEN)
    candidates_at_intake: Mapped[int | None]
    unfillable_reason: Mapped[str | None] = mapped_column(String(500))
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    cancelled_by: Mapped[str | None] = mapped_column(String(12))  # office, coordination
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    short_notice_cancellation: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Recorded from the hotline ("Jetzt telefonisch dolmetschen"): no lead time, phone, now.
    via_hotline: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # When the coordinators were told it is still unassigned close to its start.
    unassigned_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pool: Mapped[Pool] = relationship()
    office: Mapped[Office] = relationship()
    created_by: Mapped[User | None] = relationship()
    offers: Mapped[list[Offer]] = relationship(back_populates="request", order_by="Offer.id")
    assignments: Mapped[list[Assignment]] = relationship(
        back_populates="request", order_by="Assignment.id"
    )

    @property
    def active_assignment(self) -> Assignment | None:
        return next((a for a in self.assignments if a.status != AssignmentStatus.CANCELLED), None)


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (
        check_in("status", OfferStatus),
        UniqueConstraint("request_id", "mediator_id", "created_at"),
        Index("ix_offers_mediator_status", "mediator_id", "status"),
        Index("ix_offers_status_expires", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(10), default=OfferStatus.PENDING)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decline_reason: Mapped[str | None] = mapped_column(String(500))

    request: Mapped[InterpretingRequest] = relationship(back_populates="offers")
    mediator: Mapped[Mediator] = relationship()


class Assignment(Base):
    """A confirmed mediator for a request. At most one not-cancelled assignment per request,
    enforced by a partial unique index; overlaps per mediator are prevented by serialising
    bookings on the mediator row (see pool/services/booking.py)."""

    __tablename__ = "assignments"
    __table_args__ = (
        check_in("status", AssignmentStatus),
        Index(
            "uq_assignments_active_request",
            "request_id",
            unique=True,
            sqlite_where=text(f"status <> '{AssignmentStatus.CANCELLED}'"),
            postgresql_where=text(f"status <> '{AssignmentStatus.CANCELLED}'"),
        ),
        Index("ix_assignments_mediator_starts", "mediator_id", "starts_at"),
        Index("ix_assignments_status_starts", "status", "starts_at"),
        # The partial unique index above does not serve plain lookups by request.
        Index("ix_assignments_request_id", "request_id"),
        Index("ix_assignments_status_ends", "status", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="RESTRICT"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(10), default=AssignmentStatus.CONFIRMED)
    # Copied from the request (with the mode) so overlap checks need no join.
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    in_person: Mapped[bool] = mapped_column(default=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assign_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(12))  # mediator, office, coordination
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    conflict_of_interest: Mapped[bool] = mapped_column(default=False)
    short_notice: Mapped[bool] = mapped_column(default=False)
    # Each side reports the outcome; differences are shown to the coordinator.
    office_outcome: Mapped[str | None] = mapped_column(String(20))
    office_duration_minutes: Mapped[int | None]
    feedback_rating: Mapped[int | None]
    feedback_text: Mapped[str | None] = mapped_column(String(2000))
    mediator_outcome: Mapped[str | None] = mapped_column(String(20))
    mediator_duration_minutes: Mapped[int | None]
    travel_km: Mapped[int | None]
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # iCalendar SEQUENCE of the invitation: raised on every change the mediator is told of.
    ics_sequence: Mapped[int] = mapped_column(default=0, server_default="0")
    # The mediator pressed "Ich komme" on the page a reminder links to.
    attendance_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Smallest reminder lead (hours) already handled: a later tick skips larger leads.
    reminded_hours: Mapped[int | None]
    unconfirmed_alerted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When both sides were asked to report the outcome after the appointment.
    report_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[InterpretingRequest] = relationship(back_populates="assignments")
    mediator: Mapped[Mediator] = relationship()


class CaseExclusion(Base):
    """A mediator must not interpret for this case reference of this office again."""

    __tablename__ = "case_exclusions"
    __table_args__ = (UniqueConstraint("mediator_id", "office_id", "case_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="CASCADE"))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    case_ref: Mapped[str] = mapped_column(String(60))
    reason: Mapped[str] = mapped_column(String(30))  # conflict_of_interest, client_refused
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DebriefRequest(Base):
    """A mediator asks to talk about a hard assignment. The note is for the pool's coordinators
    only and is removed by the retention job; the count stays for the figures."""

    __tablename__ = "debrief_requests"
    __table_args__ = (Index("ix_debrief_requests_pool_done", "pool_id", "done_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), index=True
    )
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="CASCADE"))
    # The booking pool (the request's): its coordinators look after it.
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"))
    note: Mapped[str | None] = mapped_column(Text)
    urgent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    assignment: Mapped[Assignment] = relationship()
    mediator: Mapped[Mediator] = relationship()
