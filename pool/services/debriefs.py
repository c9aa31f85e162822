"""Debrief requests: after a hard assignment a mediator asks to talk about it.

Decided here:
- a request is possible for the mediator's own assignment once the appointment has started and
  while it is not cancelled (confirmed or completed); one open request per assignment;
- the coordinators of the booking pool (the request's pool) get a message at once (category
  "coordination", urgent when the mediator asked for it soon). The message names the mediator
  and the appointment but never the note: "Bitte sehen Sie in der Liste nach";
- the note is for the coordinators of that pool only: not the office, not other pools and not
  admins who do not coordinate the pool. Audit events say what happened, never the note;
- the retention job clears the note ``NOTE_KEEP_DAYS`` days after a coordinator marked the
  request done, and any note older than ``NOTE_MAX_DAYS`` (a request nobody closed); the row
  stays, as the figures count it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from pool import audit
from pool.db import rowcount
from pool.enums import AssignmentStatus, NotificationCategory
from pool.i18n import gettext as _
from pool.models import Assignment, DebriefRequest, Mediator, User
from pool.services import ServiceError
from pool.services.booking import _tell_user
from pool.services.users import active_coordinators
from pool.urls import external_url

MAX_NOTE = 1000
NOTE_KEEP_DAYS = 90
NOTE_MAX_DAYS = 365


class DebriefError(ServiceError):
    pass


class AlreadyRequested(DebriefError):
    """The assignment has an open debrief request already (a second tap)."""


def refusal(assignment: Assignment, now: datetime) -> str | None:
    """Why no debrief can be asked for this assignment now, in words; None when it can."""
    if assignment.status == AssignmentStatus.CANCELLED:
        return _("Dieser Einsatz wurde abgesagt. Ein Gespräch können Sie nur nach einem Einsatz "
                 "wünschen. Rufen Sie bei Bedarf die Koordination an.")  # fmt: skip
    if assignment.starts_at > now:
        return _("Der Termin hat noch nicht begonnen. Sie können ein Gespräch wünschen, sobald "
                 "der Termin begonnen hat.")  # fmt: skip
    return None


def open_request(session: Session, assignment: Assignment) -> DebriefRequest | None:
    return session.scalars(
        select(DebriefRequest).where(
            DebriefRequest.assignment_id == assignment.id, DebriefRequest.done_at.is_(None)
        )
    ).first()


def request_debrief(
    session: Session, *, actor: User, mediator: Mediator, assignment: Assignment,
    note: str | None, urgent: bool, now: datetime,
) -> DebriefRequest:  # fmt: skip
    """The mediator asks to talk about ``assignment``; the pool's coordinators are told."""
    if assignment.mediator_id != mediator.id:
        raise DebriefError(_("Das ist nicht Ihr Einsatz."))
    reason = refusal(assignment, now)
    if reason:
        raise DebriefError(reason)
    if open_request(session, assignment) is not None:
        raise AlreadyRequested(
            _(
                "Ihr Gesprächswunsch zu diesem Einsatz ist schon bei der Koordination. "
                "Sie meldet sich bei Ihnen."
            )  # fmt: skip
        )
    note = (note or "").strip() or None
    if note is not None and len(note) > MAX_NOTE:
        raise DebriefError(_("Höchstens 1000 Zeichen."), "note")
    request = assignment.request
    debrief = DebriefRequest(
        assignment_id=assignment.id,
        mediator_id=mediator.id,
        pool_id=request.pool_id,
        note=note,
        urgent=urgent,
        created_at=now,
    )
    session.add(debrief)
    session.flush()
    audit.record(
        session, actor.id, "debrief.requested", "debrief_request", debrief.id,
        {"assignment_id": assignment.id, "urgent": urgent, "with_note": note is not None},
    )  # fmt: skip
    link = external_url("requests.debriefs")
    for coordinator in active_coordinators(session, request.pool_id):
        _tell_user(
            session, coordinator, f"debrief:{debrief.id}:u{coordinator.id}", "debrief_requested",
            request, now, category=NotificationCategory.COORDINATION, urgent=urgent,
            mediator_name=mediator.name, urgent_request=urgent, link=link,
        )  # fmt: skip
    return debrief


def mark_done(session: Session, *, actor: User, debrief: DebriefRequest, now: datetime) -> bool:
    """A coordinator has talked with the mediator. False when it was done already."""
    if debrief.done_at is not None:
        return False
    debrief.done_at = now
    debrief.done_by_id = actor.id
    session.flush()
    audit.record(session, actor.id, "debrief.done", "debrief_request", debrief.id,
                 {"assignment_id": debrief.assignment_id})  # fmt: skip
    return True


def for_pools(session: Session, pool_ids: list[int]) -> list[DebriefRequest]:
    """The requests of ``pool_ids``: open ones first (urgent, then oldest), then done ones."""
    return list(
        session.scalars(
            select(DebriefRequest)
            .where(DebriefRequest.pool_id.in_(pool_ids or [-1]))
            .order_by(
                DebriefRequest.done_at.is_not(None),
                DebriefRequest.urgent.desc(),
                DebriefRequest.done_at.desc(),
                DebriefRequest.created_at,
                DebriefRequest.id,
            )
        )
    )


def export_rows(session: Session, mediator: Mediator) -> list[dict]:
    """The mediator's own requests for their data export (the note is theirs)."""
    rows = session.scalars(
        select(DebriefRequest)
        .where(DebriefRequest.mediator_id == mediator.id)
        .order_by(DebriefRequest.id)
    )
    return [
        {
            "assignment_id": d.assignment_id,
            "created_at": d.created_at.isoformat(),
            "urgent": d.urgent,
            "done": d.done_at is not None,
            "done_at": d.done_at.isoformat() if d.done_at else None,
            "note": d.note,
        }
        for d in rows
    ]


def clear_notes(session: Session, now: datetime) -> int:
    """Retention: notes of requests done ``NOTE_KEEP_DAYS`` ago, and any older than
    ``NOTE_MAX_DAYS``."""
    return rowcount(
        session.execute(
            update(DebriefRequest)
            .where(
                DebriefRequest.note.is_not(None),
                or_(
                    DebriefRequest.done_at < now - timedelta(days=NOTE_KEEP_DAYS),
                    DebriefRequest.created_at < now - timedelta(days=NOTE_MAX_DAYS),
                ),
            )
            .values(note=None)
            .execution_options(synchronize_session=False)
        )
    )


def clear_mediator_notes(session: Session, mediator_id: int) -> None:
    """Erasure of a mediator: their notes go, the rows stay for the figures."""
    session.execute(
        update(DebriefRequest)
        .where(DebriefRequest.mediator_id == mediator_id)
        .values(note=None)
        .execution_options(synchronize_session=False)
    )
