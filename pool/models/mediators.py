"""The mediator registry: mediators, their languages, trainings, guidelines and availability."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pool.db import Base, UTCDateTime, utcnow
from pool.enums import Domain as DomainCode
from pool.enums import Gender, Level, MediatorKind, MediatorStatus, Mode, check_in
from pool.models.org import Office, Pool
from pool.models.users import User

# The codes as tuples, for membership tests ("x in Enum" needs a member on Python 3.11).
KINDS = tuple(MediatorKind)
STATUSES = tuple(MediatorStatus)
GERMAN_LEVELS = tuple(Level)
MODES = tuple(Mode)
GENDERS = tuple(Gender)
# Allowed status changes (coordinators only).
STATUS_TRANSITIONS: dict[str, tuple[MediatorStatus, ...]] = {
    MediatorStatus.APPLIED: (MediatorStatus.ACTIVE, MediatorStatus.REJECTED),
    MediatorStatus.ACTIVE: (MediatorStatus.PAUSED, MediatorStatus.LEFT),
    MediatorStatus.PAUSED: (MediatorStatus.ACTIVE, MediatorStatus.LEFT),
    MediatorStatus.LEFT: (),
    MediatorStatus.REJECTED: (),
}
# The levels of a mediator's other languages: A1 is not enough to interpret.
LEVELS = tuple(level for level in Level if level is not Level.A1)
# The names of the domains that exist from the start (docs/api.md); the admin can add more.
BASE_DOMAIN_NAMES = {
    DomainCode.EDUCATION: ("Bildung und Schule", "Education"),
    DomainCode.HEALTH: ("Gesundheit", "Health"),
    DomainCode.YOUTH_WELFARE: ("Kinder- und Jugendhilfe", "Youth welfare"),
    DomainCode.SOCIAL_SERVICES: ("Soziales", "Social services"),
    DomainCode.AUTHORITIES: ("Behörden und Ämter", "Public authorities"),
    DomainCode.OTHER: ("Sonstiges", "Other"),
}
BASE_DOMAINS = tuple(DomainCode)
# Work with children and youth needs the police-certificate record (§ 72a SGB VIII).
POLICE_CERTIFICATE_DOMAINS = (DomainCode.YOUTH_WELFARE, DomainCode.EDUCATION)
POLICE_CERTIFICATE_VALID_YEARS = 5


def level_rank(level: str | None) -> int:
    """A1 < A2 < … < C2 < native; unknown or missing is -1."""
    return GERMAN_LEVELS.index(level) if level in GERMAN_LEVELS else -1


class Domain(Base):
    """A domain of assignments (education, health …); trainings may unlock them."""

    __tablename__ = "domains"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_de: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))


class Mediator(Base):
    __tablename__ = "mediators"
    __table_args__ = (
        check_in("kind", MediatorKind),
        check_in("status", MediatorStatus),
        Index("ix_mediators_pool_status", "pool_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), unique=True
    )
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default=MediatorKind.VOLUNTEER)
    status: Mapped[str] = mapped_column(String(10), default=MediatorStatus.APPLIED)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    gender: Mapped[str | None] = mapped_column(String(10))
    german_level: Mapped[str | None] = mapped_column(String(6))
    birth_year: Mapped[int | None]
    adult_confirmed: Mapped[bool] = mapped_column(default=False)
    # Municipalities served (names) and how far the person travels beyond them.
    municipalities: Mapped[list[str]] = mapped_column(JSON, default=list)
    travel_km: Mapped[int | None]
    mode_in_person: Mapped[bool] = mapped_column(default=True)
    mode_phone: Mapped[bool] = mapped_column(default=False)
    mode_video: Mapped[bool] = mapped_column(default=False)
    monthly_cap: Mapped[int | None]
    notes: Mapped[str | None] = mapped_column(Text)
    data_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Checks recorded by the coordination. The police certificate itself is never
    # stored: only the date it was seen and that it had no relevant entry.
    interview_on: Mapped[date | None] = mapped_column(Date)
    confidentiality_signed_on: Mapped[date | None] = mapped_column(Date)
    obligation_on: Mapped[date | None] = mapped_column(Date)
    police_certificate_seen_on: Mapped[date | None] = mapped_column(Date, index=True)
    police_certificate_no_entry: Mapped[bool] = mapped_column(default=False)

    # Staff members only.
    employing_office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="SET NULL")
    )
    supervisor_release_by: Mapped[str | None] = mapped_column(String(120))
    supervisor_release_until: Mapped[date | None] = mapped_column(Date)
    staff_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Bumped at the start of every booking transaction: on PostgreSQL the row lock serialises
    # bookings of one mediator, on SQLite the write lock does (docs/architecture.md, "Booking
    # safety").
    booking_version: Mapped[int] = mapped_column(default=0, server_default="0")

    # Availability owned by the mediator.
    paused_until: Mapped[date | None] = mapped_column(Date)
    # The hotline (pool/services/hotline.py): "reachable by phone now" since ``reachable_from``
    # until ``reachable_until`` (None: until switched off); both None: switched off. Whether the
    # mediator is reachable at a moment also depends on availability, bookings and the release.
    reachable_from: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    reachable_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # A volunteer's consent that caseworkers see their phone number for the hotline (revocable).
    hotline_phone_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the mediator last looked at their availability (nudged after 90 days).
    availability_reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Stored result of the deployability rule for list filters; recomputed on every change of
    # an input and daily (pool/deployability.py holds the one rule).
    deployable: Mapped[bool] = mapped_column(default=False, index=True)
    deployability_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    deployability_checked_on: Mapped[date | None] = mapped_column(Date)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the personal data of a mediator who left were erased (pool/services/privacy.py).
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    pool: Mapped[Pool] = relationship()
    user: Mapped[User | None] = relationship()
    employing_office: Mapped[Office | None] = relationship()
    languages: Mapped[list[MediatorLanguage]] = relationship(
        back_populates="mediator",
        cascade="all, delete-orphan",
        order_by="MediatorLanguage.id",
    )
    domains: Mapped[list[MediatorDomain]] = relationship(
        cascade="all, delete-orphan", order_by="MediatorDomain.domain_code"
    )
    training_records: Mapped[list[TrainingRecord]] = relationship(
        back_populates="mediator",
        cascade="all, delete-orphan",
        order_by="TrainingRecord.completed_on.desc()",
    )
    acknowledgements: Mapped[list[GuidelineAcknowledgement]] = relationship(
        back_populates="mediator", cascade="all, delete-orphan"
    )
    availability: Mapped[list[AvailabilityWindow]] = relationship(
        cascade="all, delete-orphan",
        order_by="(AvailabilityWindow.weekday, AvailabilityWindow.start)",
    )
    absences: Mapped[list[Absence]] = relationship(
        cascade="all, delete-orphan", order_by="Absence.start_date"
    )
    status_changes: Mapped[list[MediatorStatusChange]] = relationship(
        cascade="all, delete-orphan", order_by="MediatorStatusChange.at"
    )

    @property
    def modes(self) -> list[str]:
        flags = (self.mode_in_person, self.mode_phone, self.mode_video)
        return [mode for mode, on in zip(MODES, flags, strict=True) if on]

    @property
    def domain_codes(self) -> list[str]:
        return [d.domain_code for d in self.domains]


class MediatorLanguage(Base):
    __tablename__ = "mediator_languages"
    __table_args__ = (
        UniqueConstraint("mediator_id", "language_code"),
        check_in("level", LEVELS),
        Index("ix_mediator_languages_language_code", "language_code", "mediator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(ForeignKey("mediators.id", ondelete="CASCADE"))
    language_code: Mapped[str] = mapped_column(String(8))
    level: Mapped[str] = mapped_column(String(6))
    # Dialects or varieties, free text, e.g. ["Levantinisch", "Irakisch"].
    dialects: Mapped[list[str]] = mapped_column(JSON, default=list)

    mediator: Mapped[Mediator] = relationship(back_populates="languages")


class MediatorDomain(Base):
    __tablename__ = "mediator_domains"

    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), primary_key=True
    )
    domain_code: Mapped[str] = mapped_column(
        ForeignKey("domains.code", ondelete="CASCADE"), primary_key=True, index=True
    )


class MediatorStatusChange(Base):
    """Every status change with who, when and why."""

    __tablename__ = "mediator_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), index=True
    )
    from_status: Mapped[str | None] = mapped_column(String(10))
    to_status: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()


class Training(Base):
    __tablename__ = "trainings"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    validity_months: Mapped[int | None]
    mandatory: Mapped[bool] = mapped_column(default=False)
    # Domain codes this training unlocks, e.g. ["health"].
    unlocks_domains: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)


class TrainingRecord(Base):
    __tablename__ = "training_records"
    __table_args__ = (UniqueConstraint("mediator_id", "training_id", "completed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), index=True
    )
    training_id: Mapped[int] = mapped_column(ForeignKey("trainings.id", ondelete="CASCADE"))
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mediator: Mapped[Mediator] = relationship(back_populates="training_records")
    training: Mapped[Training] = relationship(lazy="joined")


class Guideline(Base):
    """One version of a guideline; publishing a new version means a new row."""

    __tablename__ = "guidelines"
    __table_args__ = (UniqueConstraint("code", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)
    mandatory: Mapped[bool] = mapped_column(default=True)
    # An acknowledgement must be renewed after this many months (None: it does not expire).
    valid_months: Mapped[int | None]
    # Only the newest version of a code is current.
    current: Mapped[bool] = mapped_column(default=True, index=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class GuidelineAcknowledgement(Base):
    __tablename__ = "guideline_acknowledgements"
    __table_args__ = (UniqueConstraint("mediator_id", "guideline_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), index=True
    )
    guideline_id: Mapped[int] = mapped_column(ForeignKey("guidelines.id", ondelete="CASCADE"))
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    mediator: Mapped[Mediator] = relationship(back_populates="acknowledgements")
    guideline: Mapped[Guideline] = relationship(lazy="joined")


class AvailabilityWindow(Base):
    """A weekly window: weekday 0 = Monday … 6 = Sunday, local time (Europe/Berlin)."""

    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint('start < "end"', name="start_before_end"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    start: Mapped[time] = mapped_column(Time)
    end: Mapped[time] = mapped_column(Time)


class Absence(Base):
    __tablename__ = "absences"
    __table_args__ = (CheckConstraint("start_date <= end_date", name="start_before_end"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    mediator_id: Mapped[int] = mapped_column(
        ForeignKey("mediators.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(200))
