"""Daily duties, run by the tick when the database says they are due.

Each duty is claimed with a conditional update of its ``duty_runs`` row, so only one process runs
it per day, and a scheduler that was down catches up on its next tick. A duty with
``not_before_hour`` waits until that local hour (Europe/Berlin); a tick later that day still
runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pool.db import rowcount
from pool.i18n import BERLIN
from pool.models import DutyRun
from pool.notify import DIGEST_HOUR
from pool.services import mediators as registry
from pool.services import notices, privacy


@dataclass(frozen=True)
class Duty:
    run: Callable[[Session, datetime], int]
    not_before_hour: int | None = None


def _daily_duties() -> dict[str, Duty]:
    # In this order: notices written before the digest go out with today's digest.
    return {
        "refresh_deployability": Duty(registry.refresh_all),
        "purge_rejected_applicants": Duty(registry.purge_rejected),
        "expiry_notices": Duty(notices.send_expiry_notices, DIGEST_HOUR),
        "availability_nudges": Duty(notices.send_availability_nudges, DIGEST_HOUR),
        "digest": Duty(notices.send_digests, DIGEST_HOUR),
        "retention": Duty(privacy.apply_retention),
    }


def _claim(session: Session, name: str, now: datetime) -> bool:
    today = registry.today_in_berlin(now)
    if session.get(DutyRun, name) is None:
        try:
            with session.begin_nested():
                session.add(DutyRun(name=name))
        except IntegrityError:
            pass  # another process created it first
    claimed = rowcount(
        session.execute(
            update(DutyRun)
            .where(
                DutyRun.name == name,
                or_(DutyRun.last_done_on.is_(None), DutyRun.last_done_on < today),
            )
            .values(last_done_on=today, last_run_at=now)
        )
    )
    return claimed == 1


def run_due_duties(session: Session, now: datetime) -> dict[str, int]:
    """Run every daily duty not yet done today (Europe/Berlin); commits after each."""
    done = {}
    hour = now.astimezone(BERLIN).hour
    for name, duty in _daily_duties().items():
        if duty.not_before_hour is not None and hour < duty.not_before_hour:
            continue
        if not _claim(session, name, now):
            session.rollback()
            continue
        try:
            done[name] = duty.run(session, now)
            session.commit()
        except Exception:
            session.rollback()
            # Not done: clear the claim so the next tick tries again.
            session.execute(update(DutyRun).where(DutyRun.name == name).values(last_done_on=None))
            session.commit()
            raise
    return done
