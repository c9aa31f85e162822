"""Accounts, roles, API tokens, one-time links and sign-in throttling."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pool.db import Base, UTCDateTime, utcnow
from pool.enums import LinkPurpose, Role, ThrottleKind, check_in
from pool.models.org import Office, Pool

# The codes as tuples, for membership tests ("x in Enum" needs a member on Python 3.11).
ROLES = tuple(Role)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of the user (sign out everywhere, new password, deactivation).
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Notification preferences (pool/notify.py): categories sent as one daily digest instead of
    # single mails, and quiet hours in minutes after local midnight (no non-urgent mail then).
    digest_categories: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    quiet_from: Mapped[int | None]
    quiet_until: Mapped[int | None]
    # Secret address of the iCalendar feed: only its SHA-256 is stored; renewing replaces it.
    calendar_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    calendar_token_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol. The id carries the session version so that bumping it ends sessions.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    def has_role(self, role: str) -> bool:
        return any(r.role == role for r in self.roles)

    @property
    def role_names(self) -> list[str]:
        return sorted({r.role for r in self.roles}, key=lambda role: list(Role).index(Role(role)))

    @property
    def coordinated_pool_ids(self) -> list[int]:
        return sorted(r.pool_id for r in self.roles if r.role == Role.COORDINATOR and r.pool_id)

    @property
    def caseworker_office_ids(self) -> list[int]:
        return sorted(r.office_id for r in self.roles if r.role == Role.CASEWORKER and r.office_id)


class UserRole(Base):
    """One role of a user, scoped to a pool (coordinator, mediator) or an office (caseworker)."""

    __tablename__ = "user_roles"
    __table_args__ = (
        UniqueConstraint("user_id", "role", "pool_id", "office_id"),
        check_in("role", Role),
        CheckConstraint(
            f"(role = '{Role.ADMIN}' AND pool_id IS NULL AND office_id IS NULL)"
            f" OR (role = '{Role.COORDINATOR}' AND pool_id IS NOT NULL AND office_id IS NULL)"
            f" OR (role = '{Role.CASEWORKER}' AND office_id IS NOT NULL AND pool_id IS NULL)"
            f" OR (role = '{Role.MEDIATOR}' AND pool_id IS NOT NULL AND office_id IS NULL)",
            name="scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    pool_id: Mapped[int | None] = mapped_column(
        ForeignKey("pools.id", ondelete="CASCADE"), index=True
    )
    office_id: Mapped[int | None] = mapped_column(
        ForeignKey("offices.id", ondelete="CASCADE"), index=True
    )

    user: Mapped[User] = relationship(back_populates="roles")
    pool: Mapped[Pool | None] = relationship(lazy="joined")
    office: Mapped[Office | None] = relationship(lazy="joined")


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class OneTimeToken(Base):
    """A one-time link for an invitation or a password reset; only its hash is stored."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (check_in("purpose", LinkPurpose),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class LoginFailure(Base):
    """A failed sign-in, counted per account key and per client address within a window.

    The account key is a hash of the e-mail address so that no address typed by anyone is stored.
    """

    __tablename__ = "login_failures"
    __table_args__ = (
        Index("ix_login_failures_account_at", "account_key", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ThrottleEvent(Base):
    """One use of a limited public action (a reset link asked for, an application sent), counted
    per target (a hash of the e-mail address typed) and per client address within a window."""

    __tablename__ = "throttle_events"
    __table_args__ = (
        check_in("kind", ThrottleKind),
        Index("ix_throttle_events_kind_target_at", "kind", "target_key", "at"),
        Index("ix_throttle_events_kind_address_at", "kind", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    target_key: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class UserSession(Base):
    """A signed-in browser. The session cookie carries the secret whose SHA-256 is
    ``token_hash``; deleting the row signs the browser out at once. ``idle_seconds`` (from the
    roles, see pool/auth/sessions.py) and ``expires_at`` (the absolute lifetime) are fixed when
    it starts, so checking a session reads this one row. No client address is kept."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    idle_seconds: Mapped[int]
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device: Mapped[str] = mapped_column(String(120), default="")

    user: Mapped[User] = relationship()
