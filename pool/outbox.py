"""Writing messages to the outbox, and delivering what is due.

``enqueue`` is called by services inside the transaction that causes the message and only flushes.
``deliver_due`` is the sender: it claims one row at a time with a conditional update, commits the
claim, sends, and records the result, so two senders never send the same row.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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
    category: str = "other",
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
    status = "pending"
    if user is not None and not urgent:
        if category in DIGESTIBLE and category in (user.digest_categories or ()):
            status = "held"
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
    """Send every due message (at most ``limit``); commits after each step. Returns counts."""
    cfg = current_app.config
    limit = limit or cfg["OUTBOX_BATCH_SIZE"]
    max_attempts = cfg["OUTBOX_MAX_ATTEMPTS"]
    counts = {"sent": 0, "retry": 0, "failed": 0}

    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_CLAIM)
        .values(status="pending")
    )
    session.commit()

    due_ids = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == "pending", OutboxMessage.due_at <= now)
        .order_by(OutboxMessage.due_at, OutboxMessage.id)
        .limit(limit)
    ).all()
    for message_id in due_ids:
        claimed = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == "pending")
            .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        ).rowcount
        session.commit()
        if claimed != 1:
            continue  # another sender took it
        message = session.get(OutboxMessage, message_id)
        assert message is not None
        try:
            mailer.send(message)
        except MailError as exc:
            message.last_error = str(exc)[:500]
            if message.attempts >= max_attempts:
                message.status = "failed"
                counts["failed"] += 1
            else:
                message.status = "pending"
                message.due_at = now + retry_delay(message.attempts)
                counts["retry"] += 1
            log.warning("outbox message %s not sent (attempt %s)", message.id, message.attempts)
        else:
            message.status = "sent"
            message.sent_at = now
            message.last_error = None
            counts["sent"] += 1
        session.commit()
    return counts
