"""Notification preferences, and the messages the system sends on its own once a day.

- ``set_preferences``: a user's choice of digest categories and quiet hours.
- ``send_expiry_notices``: to mediators whose training, police-certificate record or guideline
  acknowledgement expires in ``WARN_DAYS`` days, and again when it has expired.
- ``send_availability_nudges``: to volunteers who have not looked at their availability for
  ``NUDGE_AFTER_DAYS`` days, at most once every ``NUDGE_EVERY_DAYS`` days.
- ``send_digests``: each user's held messages as one mail (the daily digest).

The daily duties (``pool/duties.py``) call the ``send_*`` functions with ``now``; each reads only
rows bounded by dates or by status, and every message has a key that names its cause and moment,
so a duty that runs again (or catches up after downtime) sends nothing twice.

A held message stays held when its user switches the category back to "sofort": it goes out
with the next digest anyway (the choice applies to messages written after it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased, joinedload

from pool import audit
from pool.deployability import (
    acknowledgement_valid_until,
    add_months,
    add_years,
    police_certificate_valid_until,
)
from pool.enums import MediatorKind, MediatorStatus, NotificationCategory, OutboxStatus
from pool.i18n import BERLIN
from pool.i18n import gettext as _
from pool.models import (
    Guideline,
    GuidelineAcknowledgement,
    Mediator,
    OutboxMessage,
    Training,
    TrainingRecord,
    User,
)
from pool.models.mediators import POLICE_CERTIFICATE_VALID_YEARS
from pool.notify import CATEGORIES, DIGESTIBLE
from pool.outbox import enqueue
from pool.services import ServiceError
from pool.urls import external_url

# Expiry warnings: this many days before, and on expiry (not for things that expired longer
# than LATE_DAYS ago: a scheduler that was down for days does not announce old news).
WARN_DAYS = 30
LATE_DAYS = 7
# Registry notices go to mediators in these states.
NOTICE_STATUSES = (MediatorStatus.ACTIVE, MediatorStatus.PAUSED)
NUDGE_AFTER_DAYS = 90
NUDGE_EVERY_DAYS = 30
# Rows per query where a duty walks through many mediators.
BATCH = 500
MINUTES_PER_DAY = 24 * 60


# --- preferences ----------------------------------------------------------------------------------


def set_preferences(
    session: Session,
    *,
    actor: User,
    digest_categories: Iterable[str],
    quiet_from: int | None,
    quiet_until: int | None,
) -> list[str]:
    """Store the actor's own preferences; returns the names of the fields that changed."""
    chosen = set(digest_categories)
    if chosen - set(DIGESTIBLE):
        raise ServiceError(_("Diese Nachrichten kommen immer sofort."))
    if (quiet_from is None) != (quiet_until is None):
        field = "quiet_until" if quiet_until is None else "quiet_from"
        raise ServiceError(
            _(
                "Bitte geben Sie Beginn und Ende der Ruhezeit an – oder lassen Sie beide Felder leer."
            ),
            field,
        )
    for name, value in (("quiet_from", quiet_from), ("quiet_until", quiet_until)):
        if value is not None and not 0 <= value < MINUTES_PER_DAY:
            raise ServiceError(_("Bitte geben Sie eine Uhrzeit wie 21:00 ein."), name)
    if quiet_from is not None and quiet_from == quiet_until:
        raise ServiceError(
            _("Beginn und Ende der Ruhezeit dürfen nicht gleich sein."), "quiet_until"
        )
    values = {
        "digest_categories": [code for code in CATEGORIES if code in chosen],
        "quiet_from": quiet_from,
        "quiet_until": quiet_until,
    }
    changed = [name for name, value in values.items() if getattr(actor, name) != value]
    for name in changed:
        setattr(actor, name, values[name])
    if changed:
        audit.record(session, actor.id, "user.notifications_changed", "user", actor.id,
                     {"fields": changed})  # fmt: skip
    session.flush()
    return changed


# --- expiry notices -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    """Something of a mediator's that is valid up to and including ``valid_until``."""

    mediator: Mediator
    kind: str  # "training", "police_certificate" or "guideline"
    ref: int  # the record's id (the mediator's for the police certificate)
    title: str
    valid_until: date


def _in_window(valid_until: date, today: date) -> bool:
    return today - timedelta(days=LATE_DAYS) <= valid_until <= today + timedelta(days=WARN_DAYS)


def _training_expiries(session: Session, today: date) -> list[Expiry]:
    """Trainings whose newest record expires in the window (a renewed one has a newer record)."""
    newer = aliased(TrainingRecord)
    records = session.scalars(
        select(TrainingRecord)
        .join(Mediator, Mediator.id == TrainingRecord.mediator_id)
        .join(Training, Training.id == TrainingRecord.training_id)
        .where(
            TrainingRecord.expires_on.between(
                today - timedelta(days=LATE_DAYS), today + timedelta(days=WARN_DAYS)
            ),
            Mediator.status.in_(NOTICE_STATUSES),
            Training.active.is_(True),
            ~exists().where(
                newer.mediator_id == TrainingRecord.mediator_id,
                newer.training_id == TrainingRecord.training_id,
                newer.completed_on > TrainingRecord.completed_on,
            ),
        )
        .options(joinedload(TrainingRecord.mediator).joinedload(Mediator.user))
        .order_by(TrainingRecord.id)
    ).all()
    return [
        Expiry(r.mediator, "training", r.id, r.training.name, r.expires_on)
        for r in records
        if r.expires_on is not None
    ]


def _police_certificate_expiries(session: Session, today: date) -> list[Expiry]:
    # A day of margin on each side for 29 February; the exact test follows in Python.
    earliest = add_years(today - timedelta(days=LATE_DAYS + 1), -POLICE_CERTIFICATE_VALID_YEARS)
    latest = add_years(today + timedelta(days=WARN_DAYS + 1), -POLICE_CERTIFICATE_VALID_YEARS)
    mediators = session.scalars(
        select(Mediator)
        .where(
            Mediator.police_certificate_seen_on.between(earliest, latest),
            Mediator.status.in_(NOTICE_STATUSES),
        )
        .options(joinedload(Mediator.user))
        .order_by(Mediator.id)
    ).all()
    expiries = []
    for mediator in mediators:
        assert mediator.police_certificate_seen_on is not None  # the query selects seen dates
        until = police_certificate_valid_until(mediator.police_certificate_seen_on)
        expiries.append(Expiry(mediator, "police_certificate", mediator.id, "", until))
    return expiries


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=BERLIN)


def _guideline_expiries(session: Session, today: date) -> list[Expiry]:
    """Acknowledgements of current mandatory guidelines that must be renewed."""
    guidelines = session.scalars(
        select(Guideline).where(
            Guideline.current.is_(True),
            Guideline.mandatory.is_(True),
            Guideline.valid_months.is_not(None),
        )
    ).all()
    expiries = []
    for guideline in guidelines:
        months = guideline.valid_months
        assert months is not None  # the query selects guidelines with a validity
        # Months differ in length: a few days of margin, then the exact test.
        earliest = add_months(today - timedelta(days=LATE_DAYS + 4), -months)
        latest = add_months(today + timedelta(days=WARN_DAYS + 4), -months)
        acknowledgements = session.scalars(
            select(GuidelineAcknowledgement)
            .join(Mediator, Mediator.id == GuidelineAcknowledgement.mediator_id)
            .where(
                GuidelineAcknowledgement.guideline_id == guideline.id,
                GuidelineAcknowledgement.acknowledged_at >= _local_midnight(earliest),
                GuidelineAcknowledgement.acknowledged_at < _local_midnight(latest),
                Mediator.status.in_(NOTICE_STATUSES),
            )
            .options(joinedload(GuidelineAcknowledgement.mediator).joinedload(Mediator.user))
            .order_by(GuidelineAcknowledgement.id)
        ).all()
        for ack in acknowledgements:
            until = acknowledgement_valid_until(ack, guideline)
            if until is not None:  # a validity of 0 months: the acknowledgement does not expire
                expiries.append(Expiry(ack.mediator, "guideline", ack.id, guideline.title, until))
    return expiries


EXPIRY_LINKS = {
    "training": "me.profile",
    "police_certificate": "me.profile",
    "guideline": "me.guidelines",
}


def _announce(session: Session, expiry: Expiry, today: date, now: datetime) -> bool:
    """Enqueue the warning (before expiry) or the notice (after); True if one is due."""
    if not _in_window(expiry.valid_until, today):
        return False
    stage = "soon" if today <= expiry.valid_until else "passed"
    mediator = expiry.mediator
    user = mediator.user
    pool = mediator.pool
    enqueue(
        session,
        key=f"expiry:{expiry.kind}:{expiry.ref}:{expiry.valid_until.isoformat()}:{stage}",
        template=f"expiry_{stage}",
        recipient=mediator.email,
        context={
            "name": mediator.name,
            "kind": expiry.kind,
            "title": expiry.title,
            "valid_until": expiry.valid_until,
            "link": external_url(EXPIRY_LINKS[expiry.kind]),
            "contact": pool.contact_phone or pool.contact_email or pool.name,
        },
        locale=user.locale if user is not None else None,
        now=now,
        user=user,
        category=NotificationCategory.REGISTRY,
    )
    return True


def send_expiry_notices(session: Session, now: datetime) -> int:
    """Warn mediators ``WARN_DAYS`` days before something of theirs expires, and on expiry."""
    today = now.astimezone(BERLIN).date()
    expiries = [
        *_training_expiries(session, today),
        *_police_certificate_expiries(session, today),
        *_guideline_expiries(session, today),
    ]
    count = sum(_announce(session, expiry, today, now) for expiry in expiries)
    session.flush()
    return count


# --- availability nudges --------------------------------------------------------------------------


def _nudge_key(mediator_id: int, anchor: date, period: int) -> str:
    return f"availability:{mediator_id}:{anchor.isoformat()}:{period}"


def send_availability_nudges(session: Session, now: datetime) -> int:
    """Ask active volunteers who have not looked at their availability for NUDGE_AFTER_DAYS
    days to do so; again every NUDGE_EVERY_DAYS days, never sooner."""
    today = now.astimezone(BERLIN).date()
    reviewed = func.coalesce(Mediator.availability_reviewed_at, Mediator.created_at)
    count, last_id = 0, 0
    while True:
        mediators = session.scalars(
            select(Mediator)
            .where(
                Mediator.id > last_id,
                Mediator.kind == MediatorKind.VOLUNTEER,
                Mediator.status == MediatorStatus.ACTIVE,
                reviewed < now - timedelta(days=NUDGE_AFTER_DAYS),
            )
            .options(joinedload(Mediator.user))
            .order_by(Mediator.id)
            .limit(BATCH)
        ).all()
        if not mediators:
            session.flush()
            return count
        last_id = mediators[-1].id
        # Each nudge's key names the day the availability was last looked at and the period
        # of NUDGE_EVERY_DAYS days since then; the previous period's nudge must be old enough.
        keys = {}
        for mediator in mediators:
            since = mediator.availability_reviewed_at or mediator.created_at
            anchor = since.astimezone(BERLIN).date()
            period = (today - anchor).days // NUDGE_EVERY_DAYS
            keys[mediator.id] = (
                _nudge_key(mediator.id, anchor, period),
                _nudge_key(mediator.id, anchor, period - 1),
            )
        wanted = [key for pair in keys.values() for key in pair]
        sent = dict(
            session.execute(
                select(OutboxMessage.key, OutboxMessage.created_at).where(
                    OutboxMessage.key.in_(wanted)
                )
            ).all()
        )
        for mediator in mediators:
            key, previous = keys[mediator.id]
            if key in sent:
                continue
            if previous in sent and sent[previous] > now - timedelta(days=NUDGE_EVERY_DAYS):
                continue
            user = mediator.user
            enqueue(
                session,
                key=key,
                template="availability_nudge",
                recipient=mediator.email,
                context={"name": mediator.name, "link": external_url("me.availability")},
                locale=user.locale if user is not None else None,
                now=now,
                user=user,
                category=NotificationCategory.REGISTRY,
            )
            count += 1


# --- the daily digest -----------------------------------------------------------------------------


def send_digests(session: Session, now: datetime) -> int:
    """Collect each user's held messages that are due into one digest mail, and mark them
    ``digested`` (``sent_at`` is the moment of the digest). Returns the number of digests."""
    today = now.astimezone(BERLIN).date()
    held = session.scalars(
        select(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.HELD,
            OutboxMessage.due_at <= now,
            OutboxMessage.user_id.is_not(None),
        )
        .order_by(OutboxMessage.user_id, OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    user_ids = sorted({m.user_id for m in held if m.user_id is not None})
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))}
    count = 0
    for user_id, rows in groupby(held, key=lambda m: m.user_id):
        messages = list(rows)
        user = users[user_id]
        enqueue(
            session,
            key=f"digest:{user.id}:{today.isoformat()}",
            template="digest",
            recipient=user.email,
            context={
                "name": user.name,
                "day": today,
                "items": [
                    {
                        "message": m,
                        # An attachment cannot go along: the message's page offers it.
                        "calendar_link": m.calendar
                        and external_url("notifications.calendar", message_id=m.id),
                    }
                    for m in messages
                ],
                "link": external_url("notifications.preferences"),
            },
            locale=user.locale,
            now=now,
            user=user,
            category=NotificationCategory.DIGEST,
        )
        for message in messages:
            message.status = OutboxStatus.DIGESTED
            message.sent_at = now
        count += 1
    session.flush()
    return count
