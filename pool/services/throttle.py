"""Limits on public actions that cost someone else something: a reset link asked for sends an
urgent mail, an application lands in the coordinators' list.

Each use is counted per target (a hash of the e-mail address typed, so no typed address is
stored) and per client address within a window, in the database, so that every process and host
sees the same counts. A refused attempt is not counted: the limit ends one window after the last
counted use.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from pool.db import rowcount
from pool.enums import ThrottleKind
from pool.models import ThrottleEvent
from pool.security import hash_secret

# kind -> the settings of its window and its two limits
SETTINGS = {
    ThrottleKind.RESET: ("RESET_WINDOW_SECONDS", "RESET_MAX_PER_TARGET", "RESET_MAX_PER_ADDRESS"),
    ThrottleKind.APPLY: ("APPLY_WINDOW_SECONDS", "APPLY_MAX_PER_TARGET", "APPLY_MAX_PER_ADDRESS"),
}


def target_key(kind: ThrottleKind, email: str) -> str:
    return hash_secret(f"{kind}:{email.strip().lower()}")


def _window(kind: ThrottleKind) -> timedelta:
    return timedelta(seconds=current_app.config[SETTINGS[kind][0]])


def _count(session: Session, kind: ThrottleKind, column, value: str, since: datetime):
    return session.execute(
        select(func.count(ThrottleEvent.id), func.min(ThrottleEvent.at)).where(
            ThrottleEvent.kind == kind.value, column == value, ThrottleEvent.at > since
        )
    ).one()


def take(
    session: Session, kind: ThrottleKind, email: str, *, address: str, now: datetime
) -> timedelta | None:
    """Count one use and return None, or return how long to wait when a limit is reached."""
    cfg = current_app.config
    _window_name, max_target, max_address = SETTINGS[kind]
    window = _window(kind)
    key = target_key(kind, email)
    blocked_until = None
    for column, value, limit in (
        (ThrottleEvent.target_key, key, cfg[max_target]),
        (ThrottleEvent.address, address, cfg[max_address]),
    ):
        count, oldest = _count(session, kind, column, value, now - window)
        if count >= limit:
            until = oldest + window
            blocked_until = until if blocked_until is None else max(blocked_until, until)
    if blocked_until is not None:
        return max(blocked_until - now, timedelta(minutes=1))
    session.add(ThrottleEvent(kind=kind.value, target_key=key, address=address, at=now))
    session.flush()
    return None


def minutes_of(wait: timedelta) -> int:
    """A wait in whole minutes for the message, at least one."""
    return max(1, round(wait.total_seconds() / 60))


def purge(session: Session, now: datetime) -> int:
    """Delete the uses older than their window (and a day)."""
    purged = 0
    for kind in ThrottleKind:
        cutoff = now - _window(kind) - timedelta(days=1)
        purged += rowcount(
            session.execute(
                delete(ThrottleEvent).where(
                    ThrottleEvent.kind == kind.value, ThrottleEvent.at < cutoff
                )
            )
        )
    return purged
