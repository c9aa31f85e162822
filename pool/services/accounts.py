"""Accounts: sign-in with throttling, invitations, password resets, sessions, API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, lazyload

from pool import audit
from pool.auth import sessions
from pool.db import rowcount
from pool.enums import LinkPurpose, NotificationCategory
from pool.models import ApiToken, LoginFailure, OneTimeToken, OutboxMessage, Pool, User
from pool.outbox import enqueue, render_message
from pool.security import (
    hash_password,
    hash_secret,
    needs_rehash,
    new_secret,
    password_problems,
    verify_password,
)
from pool.urls import external_url


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account of an address; its roles are loaded only when asked for, so that finding an
    account costs what finding none costs (sign-in and reset must not tell which it was)."""
    return session.scalars(
        select(User).where(User.email == normalise_email(email)).options(lazyload(User.roles))
    ).first()


def account_key(email: str) -> str:
    return hash_secret("account:" + normalise_email(email))


@dataclass
class SignInResult:
    status: str  # "ok", "invalid", "inactive" or "throttled"
    user: User | None = None
    retry_after: timedelta | None = None


def _failures_since(
    session: Session, column, value: str, since: datetime
) -> tuple[int, datetime | None]:
    count, oldest = session.execute(
        select(func.count(LoginFailure.id), func.min(LoginFailure.at)).where(
            column == value, LoginFailure.at > since
        )
    ).one()
    return count, oldest


def sign_in(
    session: Session,
    email: str,
    password: str,
    *,
    address: str,
    now: datetime,
    trusted_device_user_id: int | None = None,
) -> SignInResult:
    """Check a sign-in attempt against the throttle and the password.

    Failures are counted per account (a hash of the e-mail) and per client address within a
    window. While an account is throttled, attempts are refused without being counted, so the
    lock ends one window after the last counted failure. A browser that signed in to the
    account before (trusted device cookie) is held by neither limit, so an attacker can keep
    neither the owner nor the colleagues behind the same address (a town hall) locked out.
    """
    cfg = current_app.config
    window = timedelta(seconds=cfg["LOGIN_WINDOW_SECONDS"])
    key = account_key(email)
    user = find_user_by_email(session, email)
    trusted = user is not None and trusted_device_user_id == user.id

    account_count, account_oldest = _failures_since(
        session, LoginFailure.account_key, key, now - window
    )
    address_count, address_oldest = _failures_since(
        session, LoginFailure.address, address, now - window
    )
    blocked_until: datetime | None = None
    if account_count >= cfg["LOGIN_MAX_FAILURES_ACCOUNT"] and not trusted:
        assert account_oldest is not None  # counted failures have a time
        blocked_until = account_oldest + window
    if address_count >= cfg["LOGIN_MAX_FAILURES_ADDRESS"] and not trusted:
        assert address_oldest is not None  # counted failures have a time
        blocked_until = max(filter(None, [blocked_until, address_oldest + window]))
    if blocked_until is not None:
        audit.record(session, user.id if user else None, "login.throttled")
        return SignInResult("throttled", retry_after=max(blocked_until - now, timedelta(minutes=1)))

    # Verified against a dummy hash without an account: the answer takes as long either way.
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok:
        session.add(LoginFailure(account_key=key, address=address, at=now))
        audit.record(
            session, user.id if user else None, "login.failed", "user", user.id if user else None
        )
        return SignInResult("invalid")
    if not user.active:
        audit.record(session, user.id, "login.refused_inactive", "user", user.id)
        return SignInResult("inactive")

    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    session.execute(delete(LoginFailure).where(LoginFailure.account_key == key))
    audit.record(session, user.id, "login.success", "user", user.id)
    session.flush()
    return SignInResult("ok", user=user)


def purge_login_failures(session: Session, now: datetime) -> int:
    cutoff = now - timedelta(seconds=current_app.config["LOGIN_WINDOW_SECONDS"]) - timedelta(days=1)
    return rowcount(session.execute(delete(LoginFailure).where(LoginFailure.at < cutoff)))


def end_all_sessions(session: Session, user: User) -> None:
    """Every signed-in browser of the user is signed out: their sessions are deleted."""
    user.session_version += 1
    sessions.end_all(session, user)
    session.flush()


def set_password(session: Session, user: User, password: str, *, now: datetime) -> None:
    user.password_hash = hash_password(password)
    session.execute(delete(LoginFailure).where(LoginFailure.account_key == account_key(user.email)))
    end_all_sessions(session, user)
    audit.record(session, user.id, "password.changed", "user", user.id)


def _issue_one_time_token(
    session: Session, user: User, purpose: str, valid_for: timedelta, now: datetime
) -> str:
    # Earlier links of the same purpose stop working.
    for old in session.scalars(
        select(OneTimeToken).where(
            OneTimeToken.user_id == user.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
    ):
        old.used_at = now
    secret = new_secret()
    session.add(
        OneTimeToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=hash_secret(secret),
            created_at=now,
            expires_at=now + valid_for,
        )
    )
    session.flush()
    return secret


def send_invitation(session: Session, user: User, *, inviter: User | None, now: datetime) -> None:
    valid_hours = current_app.config["INVITATION_VALID_HOURS"]
    secret = _issue_one_time_token(
        session, user, LinkPurpose.INVITE, timedelta(hours=valid_hours), now
    )
    enqueue(
        session,
        key=f"invite:{user.id}:{now.isoformat()}",
        template="invite",
        user=user,
        category=NotificationCategory.ACCOUNT,
        urgent=True,
        recipient=user.email,
        context={
            "user": user,
            "inviter": inviter,
            "link": external_url("auth.set_password", token=secret),
            "valid_days": max(valid_hours // 24, 1),
        },
        locale=user.locale,
        now=now,
    )
    audit.record(session, inviter.id if inviter else None, "user.invited", "user", user.id)


def request_password_reset(session: Session, email: str, *, now: datetime) -> None:
    """Send a reset link if an active account exists; the caller answers the same either way.

    Without an account the same work is done (the same queries, a secret made and hashed, the
    mail rendered), only nothing is stored but the audit event: the time taken does not tell
    whether an address has an account."""
    user = find_user_by_email(session, email)
    valid_minutes = current_app.config["PASSWORD_RESET_VALID_MINUTES"]
    if user is None or not user.active:
        _reset_work_without_account(session, email, valid_minutes, now)
        return
    secret = _issue_one_time_token(
        session, user, LinkPurpose.RESET, timedelta(minutes=valid_minutes), now
    )
    enqueue(
        session,
        key=f"reset:{user.id}:{now.isoformat()}",
        template="password_reset",
        user=user,
        category=NotificationCategory.ACCOUNT,
        urgent=True,
        recipient=user.email,
        context={
            "user": user,
            "link": external_url("auth.set_password", token=secret),
            "valid_minutes": valid_minutes,
        },
        locale=user.locale,
        now=now,
    )
    audit.record(session, user.id, "password.reset_requested", "user", user.id)


def _reset_work_without_account(
    session: Session, email: str, valid_minutes: int, now: datetime
) -> None:
    address = normalise_email(email)
    stand_in = User(email=address, name=address.split("@")[0], locale=None)  # never stored
    session.scalars(
        select(OneTimeToken).where(
            OneTimeToken.user_id == 0,
            OneTimeToken.purpose == LinkPurpose.RESET,
            OneTimeToken.used_at.is_(None),
        )
    ).all()
    secret = new_secret()
    hash_secret(secret)
    session.scalars(select(OutboxMessage).where(OutboxMessage.key == f"reset:0:{now}")).first()
    render_message(
        "password_reset",
        {
            "user": stand_in,
            "link": external_url("auth.set_password", token=secret),
            "valid_minutes": valid_minutes,
        },
        "de",
    )
    audit.record(session, None, "password.reset_requested_unknown")


def find_one_time_token(session: Session, secret: str, now: datetime) -> OneTimeToken | None:
    token = session.scalars(
        select(OneTimeToken).where(OneTimeToken.token_hash == hash_secret(secret))
    ).first()
    if (
        token is None
        or token.used_at is not None
        or token.expires_at <= now
        or not token.user.active
    ):
        return None
    return token


def redeem_one_time_token(
    session: Session, token: OneTimeToken, password: str, *, now: datetime
) -> User:
    token.used_at = now
    set_password(session, token.user, password, now=now)
    return token.user


def create_api_token(session: Session, user: User, name: str, *, now: datetime) -> str:
    """Create a bearer token; the secret is returned once and only its hash is kept."""
    secret = new_secret()
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_secret(secret), created_at=now)
    session.add(token)
    session.flush()
    audit.record(session, user.id, "api_token.created", "api_token", token.id)
    return secret


def revoke_api_token(session: Session, token: ApiToken, *, actor: User, now: datetime) -> None:
    token.revoked_at = now
    audit.record(session, actor.id, "api_token.revoked", "api_token", token.id)
    session.flush()


def user_for_api_token(session: Session, secret: str) -> User | None:
    token = session.scalars(
        select(ApiToken).where(
            ApiToken.token_hash == hash_secret(secret), ApiToken.revoked_at.is_(None)
        )
    ).first()
    if token is None or not token.user.active:
        return None
    return token.user


def new_password_problems(
    session: Session, password: str, *, email: str | None, name: str | None
) -> list:
    """``password_problems`` with the names of this installation's pools as taken words."""
    pool_names = session.scalars(select(Pool.name)).all()
    return password_problems(password, email=email, name=name, taken_names=pool_names)


def verify_user_password(user: User, password: str) -> bool:
    return verify_password(user.password_hash, password)
