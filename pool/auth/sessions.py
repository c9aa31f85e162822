"""Server-side sessions: each signed-in browser is a row in ``user_sessions``.

The signed session cookie carries the session's secret under Flask-Login's ``_user_id`` key (and,
as before, the CSRF secret and one-time messages, which grant nothing); only the secret's SHA-256
is stored. Signing out deletes the row, so a copied cookie is worthless at once; "überall
abmelden", a new password, a new e-mail address and deactivation delete all rows of the user.

A session ends after ``idle_seconds`` without a request (shorter for coordinators and admins, who
see the data of many people) and at ``expires_at`` whatever happens. Checking a session is one
statement on the unique index of ``token_hash`` (with the user and roles joined, or with the data
version for a kept page); ``last_seen_at`` is written at most once per ``SESSION_TOUCH_SECONDS``,
after the request's own transaction has ended.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask, current_app, g, request
from flask import session as cookie
from flask_login import login_user
from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, contains_eager

from pool.db import get_db, rowcount, utcnow
from pool.enums import Role
from pool.models import DataVersion, User, UserSession
from pool.security import hash_secret, new_secret

log = logging.getLogger(__name__)

COOKIE_KEY = "_user_id"  # where Flask-Login keeps the user's id in the cookie
STAFF_ROLES = frozenset({Role.ADMIN, Role.COORDINATOR})
_TOUCH = "pool_session_touch"


def idle_limit(user: User) -> timedelta:
    cfg = current_app.config
    staff = any(r.role in STAFF_ROLES for r in user.roles)
    minutes = cfg["SESSION_IDLE_MINUTES_STAFF"] if staff else cfg["SESSION_IDLE_MINUTES"]
    return timedelta(minutes=minutes)


_BROWSERS = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Safari/", "Safari"))  # fmt: skip
_SYSTEMS = (("Android", "Android"), ("iPhone", "iOS"), ("iPad", "iPadOS"), ("Windows", "Windows"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))  # fmt: skip


def describe_device(user_agent: str) -> str:
    """ "Firefox, Windows" and the like: enough to recognise one's devices, nothing more."""
    browser = next((name for mark, name in _BROWSERS if mark in user_agent), "")
    system = next((name for mark, name in _SYSTEMS if mark in user_agent), "")
    return ", ".join(part for part in (browser, system) if part)[:120]


def start(db: Session, user: User, *, device: str, now: datetime) -> str:
    """A new session of ``user``; returns its secret (for the cookie; only the hash is kept)."""
    secret = new_secret()
    db.add(
        UserSession(
            token_hash=hash_secret(secret),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            idle_seconds=int(idle_limit(user).total_seconds()),
            expires_at=now + timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]),
            device=describe_device(device),
        )
    )
    db.flush()
    return secret


def sign_in_browser(db: Session, user: User, *, now: datetime) -> None:
    """Sign this browser in as ``user`` with a new session (the caller commits)."""
    secret = start(db, user, device=request.headers.get("User-Agent", ""), now=now)
    cookie.clear()
    login_user(user)
    cookie[COOKIE_KEY] = secret


def alive(row, now: datetime) -> bool:
    """Whether a session (a row, or the same columns read alone) has not ended by ``now``."""
    return now < row.expires_at and now - row.last_seen_at <= timedelta(seconds=row.idle_seconds)


def _note_seen(row_id: int, last_seen_at: datetime, now: datetime) -> None:
    if now - last_seen_at >= timedelta(seconds=current_app.config["SESSION_TOUCH_SECONDS"]):
        g.setdefault(_TOUCH, row_id)


def load_user(secret: str) -> User | None:
    """The user of a live session, in one statement (session, user, roles); None when it ended."""
    if not secret or len(secret) > 100:
        return None
    from pool.db import db_session

    row = (
        db_session()
        .scalars(
            select(UserSession)
            .join(UserSession.user)
            .options(contains_eager(UserSession.user).joinedload(User.roles))
            .where(UserSession.token_hash == hash_secret(secret))
        )
        .unique()
        .first()
    )
    now = utcnow()
    if row is None or not row.user.active or not alive(row, now):
        return None
    g.pool_session_id = row.id
    _note_seen(row.id, row.last_seen_at, now)
    return row.user


def check_with_version(db: Session, secret: str) -> int | None:
    """For a kept page: the data version if the session is alive, else None; one statement."""
    version = select(DataVersion.value).where(DataVersion.id == 1).scalar_subquery()
    row = db.execute(
        select(
            UserSession.id,
            UserSession.last_seen_at,
            UserSession.idle_seconds,
            UserSession.expires_at,
            version.label("version"),
        ).where(UserSession.token_hash == hash_secret(secret))
    ).first()
    now = utcnow()
    if row is None or not alive(row, now):
        return None
    _note_seen(row.id, row.last_seen_at, now)
    return row.version


def end_current(db: Session) -> None:
    """Delete this browser's session."""
    secret = cookie.get(COOKIE_KEY)
    if secret:
        db.execute(delete(UserSession).where(UserSession.token_hash == hash_secret(secret)))


def end_all(db: Session, user: User) -> None:
    db.execute(delete(UserSession).where(UserSession.user_id == user.id))


def end_one(db: Session, user: User, session_id: int) -> bool:
    """Delete one of ``user``'s sessions; False when it is not theirs or gone."""
    return bool(
        rowcount(
            db.execute(
                delete(UserSession).where(
                    UserSession.id == session_id, UserSession.user_id == user.id
                )
            )
        )
    )


def of_user(db: Session, user: User) -> list[UserSession]:
    """The user's live sessions, the most recently used first."""
    now = utcnow()
    rows = db.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id)
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    )
    return [row for row in rows if alive(row, now)]


def refresh_idle_limits(db: Session, user: User) -> None:
    """After a change of roles: the user's sessions get the idle limit of the new roles."""
    db.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id)
        .values(idle_seconds=int(idle_limit(user).total_seconds()))
    )


def purge(db: Session, now: datetime) -> int:
    """Delete ended sessions: past their lifetime, or idle longer than any idle limit."""
    cfg = current_app.config
    longest_idle = timedelta(
        minutes=max(cfg["SESSION_IDLE_MINUTES"], cfg["SESSION_IDLE_MINUTES_STAFF"])
    )
    return rowcount(
        db.execute(
            delete(UserSession).where(
                (UserSession.expires_at <= now) | (UserSession.last_seen_at < now - longest_idle)
            )
        )
    )


def init_app(app: Flask) -> None:
    def _touch(_exc: BaseException | None) -> None:
        row_id = g.pop(_TOUCH, None)
        if row_id is None:
            return
        try:
            with get_db().engine.begin() as conn:
                conn.execute(
                    update(UserSession)
                    .where(UserSession.id == row_id)
                    .values(last_seen_at=utcnow())
                )
        except SQLAlchemyError:
            log.warning("could not note the session as seen", exc_info=True)

    # Teardown functions run in reverse order of registration: as the first registered, this
    # one runs after the request's database session was released (on SQLite the request may
    # hold the write lock until then).
    app.teardown_appcontext_funcs.insert(0, _touch)
