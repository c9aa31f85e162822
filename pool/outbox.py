"""Writing messages to the outbox, and delivering what is due.

``enqueue`` is called by services inside the transaction that causes the message and only flushes.
``deliver_due`` is the sender: it claims one row at a time with a conditional update, commits the
claim, sends, and records the result, so two senders never send the same row. ``retry_failed``
is the admin's way to put failed messages back in the queue.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pool import audit
from pool.db import rowcount
from pool.enums import NotificationCategory, OutboxStatus
from pool.mail import Mailer, MailError
from pool.models import OutboxMessage, User
from pool.notify import DIGESTIBLE, after_quiet_hours

log = logging.getLogger(__name__)

# A row claimed longer ago than this belongs to a sender that died; it is sent again.
STALE_CLAIM = timedelta(minutes=10)


def render_message(template: str, context: dict, locale: str) -> tuple[str, str, str]:
    """Subject, plain text and HTML of ``templates/emails/<template>.*`` in ``locale``."""
    with force_locale(locale):
        subject = render_template(f"emails/{template}.subject.txt", **context).strip()
        text = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
    return subject, text, html


def enqueue(
    session: Session,
    *,
    key: str,
    template: str,
    recipient: str,
    context: dict,
    locale: str | None,
    now: datetime,
    due_at: datetime | None = None,
    user: User | None = None,
    category: str = NotificationCategory.OTHER,
    urgent: bool = False,
    calendar: str | None = None,
) -> OutboxMessage:
    """Write a message; a second call with the same ``key`` returns the existing row.

    With ``user``, the message appears in their list and follows their preferences: a category
    they chose for the daily digest is held for it, and a message that is not ``urgent`` waits
    for the end of their quiet hours. ``calendar`` is an iCalendar attachment."""
    existing = session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).first()
    if existing is not None:
        return existing
    subject, text, html = render_message(template, context, locale or "de")
    due = due_at or now
    status = OutboxStatus.PENDING
    if user is not None and not urgent:
        if category in DIGESTIBLE and category in (user.digest_categories or ()):
            status = OutboxStatus.HELD
        due = after_quiet_hours(due, user.quiet_from, user.quiet_until)
    message = OutboxMessage(
        key=key,
        kind=template,
        recipient=recipient,
        user_id=user.id if user is not None else None,
        category=category,
        urgent=urgent,
        calendar=calendar,
        subject=subject,
        body_text=text,
        body_html=html,
        status=status,
        due_at=due,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(message)
    except IntegrityError:
        # Another transaction enqueued the same key first.
        return session.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()
    return message


def retry_delay(attempts: int) -> timedelta:
    """Growing delay after a failed attempt: 1, 2, 4, … minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def deliver_due(
    session: Session, mailer: Mailer, now: datetime, *, limit: int | None = None
) -> dict:
    """Send due messages (at most ``limit``); commits after each step. Returns counts.

    Each row is claimed (``pending`` → ``sending``, attempts + 1) and the claim committed before
    the mail leaves, so a second sender skips it. A row still ``sending`` after ``STALE_CLAIM``
    belongs to a sender that died mid-send: it is sent again with the same Message-ID (at least
    once). Messages ``held`` for a digest are never sent here."""
    cfg = current_app.config
    limit = limit or cfg["OUTBOX_BATCH_SIZE"]
    max_attempts = cfg["OUTBOX_MAX_ATTEMPTS"]
    counts = {"sent": 0, "retry": 0, "failed": 0}

    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.status == OutboxStatus.SENDING,
            OutboxMessage.claimed_at < now - STALE_CLAIM,
        )
        .values(status=OutboxStatus.PENDING)
        .execution_options(synchronize_session=False)
    )
    session.commit()

    due_ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    session.commit()
    for message_id in due_ids:
        claimed = rowcount(
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
                .values(
                    status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1
                )
                .execution_options(synchronize_session=False)
            )
        )
        if claimed != 1:
            session.rollback()
            continue  # another sender took it
        message = session.get(OutboxMessage, message_id, populate_existing=True)
        assert message is not None
        # No transaction (and on SQLite no write lock) stays open while the mail is on its way.
        session.commit()
        try:
            mailer.send(message)
        except Exception as exc:  # MailError, or a message that cannot be built
            message.last_error = (
                str(exc) if isinstance(exc, MailError) else f"{type(exc).__name__}: {exc}"
            )[:500]
            if message.attempts >= max_attempts:
                message.status = OutboxStatus.FAILED
                counts["failed"] += 1
            else:
                message.status = OutboxStatus.PENDING
                message.due_at = now + retry_delay(message.attempts)
                counts["retry"] += 1
            log.warning("outbox message %s not sent (attempt %s)", message.id, message.attempts)
        else:
            message.status = OutboxStatus.SENT
            message.sent_at = now
            message.last_error = None
            counts["sent"] += 1
        session.commit()
    return counts


def retry_failed(
    session: Session, *, actor: User, now: datetime, message_id: int | None = None
) -> int:
    """Put failed messages back in the queue: due now, attempts counted from zero. One message
    (``message_id``) or all. Writes an audit event; returns how many were put back (0: the
    message was not failed any more)."""
    query = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if message_id is not None:
        query = query.where(OutboxMessage.id == message_id)
    count = rowcount(
        session.execute(
            query.values(
                status=OutboxStatus.PENDING, due_at=now, attempts=0, claimed_at=None
            ).execution_options(synchronize_session=False)
        )
    )
    if count:
        if message_id is not None:
            audit.record(session, actor.id, "outbox.retried", "outbox_message", message_id)
        else:
            audit.record(session, actor.id, "outbox.retried_all", details={"count": count})
    session.flush()
    return count
