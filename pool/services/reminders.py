"""Time-driven messages of the frequent tick: reminders before assignments, the coordinator's
escalations, and the request to report after an appointment (docs/architecture.md, "Outbox and
scheduler").

``run_reminders(session, now)`` flushes and returns counts; the tick commits. Each query selects
only what is due (by indexed time columns and "already handled" markers), so a tick costs what
is due, not the size of the history:

- reminders: confirmed assignments starting within the largest lead of any pool, whose
  ``reminded_hours`` marker is still above a lead that may be due;
- escalations: confirmed assignments (requests) starting within the alert lead whose marker
  (``unconfirmed_alerted_at``, ``unassigned_alerted_at``) is empty;
- report requests: assignments that ended in the last ``REPORT_WINDOW`` without a marker.

Leads are local wall-clock hours (Europe/Berlin): the 48 h reminder of an appointment at 09:00
on the Monday after a change of daylight saving time goes out at 09:00 on the Saturday before
(47 or 49 hours of elapsed time). SQL bounds the windows with an hour to spare (``SLACK``);
Python decides exactly.

A late tick sends only what is still useful: of the leads that are due (``starts_at - h <= now
< starts_at``) only the smallest one not handled yet, nothing after the start, and no report
request for an appointment that ended more than ``REPORT_WINDOW`` ago.

When a person has just committed (an assignment booked, a request made after the moment of its
alert), the alert is not needed: the marker is set without a message.

The outbox keys carry the start, so a moved appointment gets new messages once its markers are
reset: pool/services/requests.py ``_update_assignment`` clears ``reminded_hours``,
``unconfirmed_alerted_at`` and ``attendance_confirmed_at`` when an assignment's start changes.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, contains_eager, joinedload

from pool import audit
from pool.db import rowcount
from pool.enums import AssignmentStatus
from pool.i18n import BERLIN
from pool.models import Assignment, InterpretingRequest, Mediator, Pool, User
from pool.services.booking import (
    OPEN_STATUSES,
    _link,
    _office_contacts,
    _tell_mediator,
    _tell_user,
)
from pool.services.users import active_coordinators
from pool.urls import external_url

# A wall-clock lead differs from elapsed time by at most the one hour of a DST change.
SLACK = timedelta(hours=1)
# A message this close to the start ignores the recipient's quiet hours.
URGENT_WITHIN = timedelta(hours=6)
# After a longer break of the scheduler, older appointments get no report request any more.
REPORT_WINDOW = timedelta(days=14)
# The "Ich komme" link is signed with this salt; it is valid until the start (and at most this).
ATTENDANCE_SALT = "attendance"
ATTENDANCE_MAX_AGE = timedelta(days=60)


def lead_moment(starts_at: datetime, hours: int) -> datetime:
    """``hours`` before ``starts_at`` on the local wall clock (Europe/Berlin), in UTC."""
    local = starts_at.astimezone(BERLIN) - timedelta(hours=hours)
    return local.astimezone(UTC)


def reminder_leads(reminder_hours: list | None) -> list[int]:
    """A pool's ``reminder_hours`` as leads in hours, largest first (invalid entries ignored)."""
    leads = set()
    for value in reminder_hours or ():
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            leads.add(value)
    return sorted(leads, reverse=True)


def run_reminders(session: Session, now: datetime) -> dict[str, int]:
    """Enqueue every time-driven message due at ``now``. Returns counts by kind."""
    people = _People(session)
    counts = {
        "reminders": _send_reminders(session, now, people),
        "unconfirmed_alerts": _alert_unconfirmed(session, now, people),
        "unassigned_alerts": _alert_unassigned(session, now, people),
        "report_requests": _request_reports(session, now, people),
    }
    session.flush()
    return counts


# --- reminders ------------------------------------------------------------------------------------


def _send_reminders(session: Session, now: datetime, people: _People) -> int:
    leads = sorted(
        {
            h
            for hours in session.scalars(select(Pool.reminder_hours))
            for h in reminder_leads(hours)
        },
        reverse=True,
    )
    if not leads:
        return 0
    # A lead h may be due when the start is within h hours and no lead <= h was handled yet.
    maybe_due = or_(
        *(
            and_(
                Assignment.starts_at <= now + timedelta(hours=h) + SLACK,
                or_(Assignment.reminded_hours.is_(None), Assignment.reminded_hours > h),
            )
            for h in leads
        )
    )
    candidates = session.scalars(
        _with_people(
            select(Assignment).where(
                Assignment.status == AssignmentStatus.CONFIRMED,
                Assignment.starts_at > now,
                Assignment.starts_at <= now + timedelta(hours=leads[0]) + SLACK,
                maybe_due,
            )
        ).order_by(Assignment.starts_at, Assignment.id)
    ).all()
    sent = 0
    for assignment in candidates:
        due = [
            h
            for h in reminder_leads(assignment.request.pool.reminder_hours)
            if lead_moment(assignment.starts_at, h) <= now
            and (assignment.reminded_hours is None or h < assignment.reminded_hours)
        ]
        if not due:
            continue
        hours = min(due)
        _remind(session, assignment, hours, now, people)
        assignment.reminded_hours = hours
        sent += 1
    return sent


def _remind(
    session: Session, assignment: Assignment, hours: int, now: datetime, people: _People
) -> None:
    request = assignment.request
    start = assignment.starts_at.isoformat()
    urgent = assignment.starts_at - now <= URGENT_WITHIN
    confirm_link = None if assignment.attendance_confirmed_at else attendance_link(assignment)
    _tell_mediator(session, assignment.mediator,
                   f"reminder:{assignment.id}:{hours}:{start}:mediator", "reminder_mediator",
                   request, now, urgent=urgent, confirm_link=confirm_link,
                   link=_link("assignment", assignment.id))  # fmt: skip
    for user in people.office(request):
        _tell_user(session, user, f"reminder:{assignment.id}:{hours}:{start}:u{user.id}",
                   "reminder_office", request, now, urgent=urgent,
                   mediator_name=assignment.mediator.name,
                   link=_link("request", request.id))  # fmt: skip


# --- escalations ----------------------------------------------------------------------------------


def _within_alert_lead(column, starts_at, now: datetime, session: Session):
    """SQL: the start is within the pool's ``column`` hours (plus SLACK), per distinct value."""
    values = sorted(
        {h for h in session.scalars(select(column).distinct()) if h and h > 0}, reverse=True
    )
    if not values:
        return None, None
    condition = or_(
        *(and_(column == h, starts_at <= now + timedelta(hours=h) + SLACK) for h in values)
    )
    return condition, now + timedelta(hours=values[0]) + SLACK


def _alert_unconfirmed(session: Session, now: datetime, people: _People) -> int:
    within, bound = _within_alert_lead(
        Pool.unconfirmed_alert_hours, Assignment.starts_at, now, session
    )
    if within is None:
        return 0
    candidates = session.scalars(
        _with_people(
            select(Assignment)
            .join(InterpretingRequest, InterpretingRequest.id == Assignment.request_id)
            .join(Pool, Pool.id == InterpretingRequest.pool_id)
            .where(
                Assignment.status == AssignmentStatus.CONFIRMED,
                Assignment.starts_at > now,
                Assignment.starts_at <= bound,
                Assignment.attendance_confirmed_at.is_(None),
                Assignment.unconfirmed_alerted_at.is_(None),
                within,
            ),
            joined=True,
        ).order_by(Assignment.starts_at, Assignment.id)
    ).all()
    alerted = 0
    for assignment in candidates:
        request = assignment.request
        moment = lead_moment(assignment.starts_at, request.pool.unconfirmed_alert_hours)
        if moment > now:
            continue
        assignment.unconfirmed_alerted_at = now
        if assignment.created_at > moment:
            continue  # booked after the moment: the mediator has just said yes
        mediator = assignment.mediator
        for user in people.coordinators(request):
            _tell_user(session, user,
                       f"unconfirmed:{assignment.id}:{assignment.starts_at.isoformat()}:u{user.id}",
                       "alert_unconfirmed", request, now, urgent=True,
                       mediator_name=mediator.name, mediator_phone=mediator.phone,
                       link=_link("request", request.id))  # fmt: skip
        alerted += 1
    return alerted


def _alert_unassigned(session: Session, now: datetime, people: _People) -> int:
    within, bound = _within_alert_lead(
        Pool.unassigned_alert_hours, InterpretingRequest.starts_at, now, session
    )
    if within is None:
        return 0
    candidates = session.scalars(
        select(InterpretingRequest)
        .join(Pool, Pool.id == InterpretingRequest.pool_id)
        .options(
            joinedload(InterpretingRequest.pool),
            joinedload(InterpretingRequest.office),
        )
        .where(
            InterpretingRequest.status.in_(OPEN_STATUSES),
            InterpretingRequest.starts_at > now,
            InterpretingRequest.starts_at <= bound,
            InterpretingRequest.unassigned_alerted_at.is_(None),
            within,
        )
        .order_by(InterpretingRequest.starts_at, InterpretingRequest.id)
    ).all()
    alerted = 0
    for request in candidates:
        moment = lead_moment(request.starts_at, request.pool.unassigned_alert_hours)
        if moment > now:
            continue
        request.unassigned_alerted_at = now
        if request.created_at > moment:
            continue  # made at short notice: the coordinators were told at intake
        for user in people.coordinators(request):
            _tell_user(session, user,
                       f"unassigned:{request.id}:{request.starts_at.isoformat()}:u{user.id}",
                       "alert_unassigned", request, now, urgent=True,
                       link=_link("request", request.id))  # fmt: skip
        alerted += 1
    return alerted


# --- after the appointment ------------------------------------------------------------------------


def _request_reports(session: Session, now: datetime, people: _People) -> int:
    candidates = session.scalars(
        _with_people(
            select(Assignment).where(
                Assignment.status.in_((AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED)),
                Assignment.ends_at <= now,
                Assignment.ends_at > now - REPORT_WINDOW,
                Assignment.report_requested_at.is_(None),
            )
        ).order_by(Assignment.ends_at, Assignment.id)
    ).all()
    asked = 0
    for assignment in candidates:
        request = assignment.request
        assignment.report_requested_at = now
        if assignment.office_outcome is None:
            for user in people.office(request):
                _tell_user(session, user, f"report:{assignment.id}:office:u{user.id}",
                           "report_request_office", request, now,
                           mediator_name=assignment.mediator.name,
                           link=_link("request", request.id))  # fmt: skip
        if assignment.mediator_outcome is None:
            _tell_mediator(session, assignment.mediator, f"report:{assignment.id}:mediator",
                           "report_request_mediator", request, now,
                           link=_link("assignment", assignment.id))  # fmt: skip
        asked += 1
    return asked


# --- "Ich komme" ----------------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=ATTENDANCE_SALT)


def attendance_token(assignment: Assignment) -> str:
    """A signed token for the "Ich komme" page: the assignment and the start it was sent for."""
    return _serializer().dumps({"a": assignment.id, "s": assignment.starts_at.isoformat()})


def attendance_link(assignment: Assignment) -> str:
    return external_url("requests.attendance", token=attendance_token(assignment))


def assignment_for_token(session: Session, token: str) -> tuple[Assignment | None, bool]:
    """The assignment a token names, and whether the token still names its current start.
    (None, False) for a token that is forged, damaged, too old or names no assignment."""
    try:
        data = _serializer().loads(token, max_age=int(ATTENDANCE_MAX_AGE.total_seconds()))
        assignment_id, start = int(data["a"]), str(data["s"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None, False
    assignment = session.get(Assignment, assignment_id) if 0 < assignment_id < 2**31 else None
    if assignment is None:
        return None, False
    return assignment, assignment.starts_at.isoformat() == start


def attendance_closed(assignment: Assignment, now: datetime) -> str | None:
    """Why "Ich komme" can no longer be pressed: "cancelled", "started", or None."""
    if assignment.status != AssignmentStatus.CONFIRMED:
        return "cancelled" if assignment.status == AssignmentStatus.CANCELLED else "started"
    if assignment.starts_at <= now:
        return "started"
    return None


def confirm_attendance(
    session: Session, *, assignment: Assignment, actor_id: int | None, now: datetime, via: str
) -> bool:
    """The mediator says "Ich komme". True when this press confirmed it, False when it was
    confirmed before (or can no longer be: check ``attendance_closed`` first)."""
    changed = rowcount(
        session.execute(
            update(Assignment)
            .where(
                Assignment.id == assignment.id,
                Assignment.status == AssignmentStatus.CONFIRMED,
                Assignment.starts_at > now,
                Assignment.attendance_confirmed_at.is_(None),
            )
            .values(attendance_confirmed_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.expire(assignment, ["attendance_confirmed_at"])
    if changed:
        audit.record(session, actor_id, "assignment.attendance_confirmed", "assignment",
                     assignment.id, {"via": via})  # fmt: skip
    return bool(changed)


# --- helpers --------------------------------------------------------------------------------------


def _with_people(query, *, joined: bool = False):
    """Load each assignment's request (office, pool, creator) and mediator in the same query;
    ``joined``: through the query's own join of the request (a second join of ``requests`` can
    lead PostgreSQL to a plan that reads them all, see pool/requests/mediator.py)."""
    load = contains_eager if joined else joinedload
    return query.options(
        load(Assignment.request).options(
            joinedload(InterpretingRequest.office),
            joinedload(InterpretingRequest.pool),
            joinedload(InterpretingRequest.created_by),
        ),
        joinedload(Assignment.mediator).joinedload(Mediator.user),
    )


class _People:
    """Coordinators per pool and office contacts per (office, creator), each looked up once
    per tick."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._coordinators: dict[int, list[User]] = {}
        self._office: dict[tuple[int, int | None], list[User]] = {}

    def coordinators(self, request: InterpretingRequest) -> list[User]:
        if request.pool_id not in self._coordinators:
            self._coordinators[request.pool_id] = active_coordinators(self.session, request.pool_id)
        return self._coordinators[request.pool_id]

    def office(self, request: InterpretingRequest) -> list[User]:
        key = (request.office_id, request.created_by_id)
        if key not in self._office:
            self._office[key] = _office_contacts(self.session, request)
        return self._office[key]
