"""iCalendar: the invitation attached to an assignment's e-mails, and the subscribable feeds.

One builder (``assignment_event``) makes the event for both, so an assignment has the same UID,
SEQUENCE and content in the mail and in the feed. ``assignments.ics_sequence`` counts the
versions the mediator was sent: the booking service raises it on every change and cancellation.

Times are written in UTC (calendar programs show them in the reader's zone). Events carry no
client data: no case reference, no notes.

A feed lives at a secret address ``/kalender/<token>.ics``; only the SHA-256 of the token is
stored (``users.calendar_token_hash``), so a leaked database does not open anyone's calendar.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from email.utils import parseaddr

from flask import current_app
from flask_babel import force_locale
from icalendar import Calendar, Event, vCalAddress, vText
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from pool import audit
from pool.enums import AssignmentStatus, Mode, Role
from pool.i18n import gettext as _
from pool.labels import SETTING_LABELS
from pool.languages import language_name
from pool.mail import sender_domain
from pool.models import Assignment, Domain, InterpretingRequest, Mediator, User
from pool.urls import page_url

PRODID = "-//Dolmetscherpool//Einsaetze//DE"
# The feed shows assignments that ended at most this long ago, and everything ahead.
FEED_PAST_DAYS = 60
# More would be a history, not a calendar (and the response must stay small).
FEED_LIMIT = 2000
# Audiences of an event: the mediator who goes there, or the office that asked.
MEDIATOR, OFFICE = "mediator", "office"


# --- events ---------------------------------------------------------------------------------------


def event_uid(assignment: Assignment) -> str:
    """Stable for the assignment's whole life: calendar programs update the event by it."""
    return f"assignment-{assignment.id}@{sender_domain(current_app.config['MAIL_FROM'])}"


def _organizer(assignment: Assignment) -> vCalAddress:
    pool = assignment.request.pool
    email = pool.contact_email or parseaddr(current_app.config["MAIL_FROM"])[1]
    organizer = vCalAddress(f"mailto:{email}")
    organizer.params["cn"] = vText(pool.name)
    return organizer


def _location(request: InterpretingRequest) -> str:
    if request.mode == Mode.PHONE:
        return _("Telefon")
    if request.mode == Mode.VIDEO:
        return _("Video")
    return request.address or request.municipality or ""


def assignment_event(
    session: Session, assignment: Assignment, *, now: datetime, locale: str | None, audience: str
) -> Event:
    """The event of ``assignment`` as the mediator (``MEDIATOR``) or the office (``OFFICE``)
    sees it; a cancelled assignment gives a cancelled event."""
    request = assignment.request
    mediator = assignment.mediator
    locale = locale or "de"
    cancelled = assignment.status == AssignmentStatus.CANCELLED
    with force_locale(locale):
        language = language_name(request.language_code, locale)
        if request.dialect:
            language = f"{language} ({request.dialect})"
        if audience == OFFICE:
            summary = _("Sprachmittlung %(language)s – %(name)s", language=language,
                        name=mediator.name)  # fmt: skip
        else:
            summary = _("Sprachmittlung %(language)s – %(office)s", language=language,
                        office=request.office.name)  # fmt: skip
        if cancelled:
            summary = _("Abgesagt: %(summary)s", summary=summary)
        domain = session.get(Domain, request.domain_code)
        domain_name = (domain.name_en if locale == "en" else domain.name_de) if domain else ""
        lines = [
            _("Anfrage Nr. %(id)s", id=request.id),
            _("Bereich: %(domain)s – %(setting)s", domain=domain_name,
              setting=SETTING_LABELS.get(request.setting, request.setting)),
        ]  # fmt: skip
        if audience == OFFICE:
            lines.insert(0, _("Es kommt: %(name)s", name=mediator.name))
            link = page_url("requests.detail", request_id=request.id)
        else:
            office = request.office
            if office.phone:
                lines.append(_("Dienststelle: %(office)s, Telefon %(phone)s", office=office.name,
                               phone=office.phone))  # fmt: skip
            else:
                lines.append(_("Dienststelle: %(office)s", office=office.name))
            link = page_url("requests.assignment_detail", assignment_id=assignment.id)
        if link:
            lines.append(link)
        location = _location(request)

    event = Event()
    event.add("uid", event_uid(assignment))
    event.add("sequence", assignment.ics_sequence)
    event.add("dtstamp", now)
    event.add("created", assignment.created_at)
    event.add("dtstart", assignment.starts_at)
    event.add("dtend", assignment.ends_at)
    event.add("summary", summary)
    if location:
        event.add("location", location)
    event.add("description", "\n".join(str(line) for line in lines))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
    event.add("organizer", _organizer(assignment))
    if audience == MEDIATOR:
        attendee = vCalAddress(f"mailto:{mediator.email}")
        attendee.params["cn"] = vText(mediator.name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = vText("DECLINED" if cancelled else "ACCEPTED")
        attendee.params["rsvp"] = vText("FALSE")
        event.add("attendee", attendee)
    return event


def _calendar(method: str | None = None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def invitation(session: Session, assignment: Assignment, *, now: datetime) -> str:
    """The attachment for the mediator's mail, in their language: ``METHOD:REQUEST`` for a
    confirmed assignment (new or changed), ``METHOD:CANCEL`` for a cancelled one."""
    method = "CANCEL" if assignment.status == AssignmentStatus.CANCELLED else "REQUEST"
    user = assignment.mediator.user
    locale = user.locale if user is not None else None
    calendar = _calendar(method)
    calendar.add_component(
        assignment_event(session, assignment, now=now, locale=locale, audience=MEDIATOR)
    )
    return calendar.to_ical().decode()


# --- feeds ----------------------------------------------------------------------------------------


def feed_assignments(session: Session, user: User, now: datetime) -> list[tuple[Assignment, str]]:
    """The assignments in ``user``'s feed with the audience of each: their own as a mediator,
    and those of their offices' requests as a caseworker. Ended more than FEED_PAST_DAYS ago
    is left out."""
    since = now - timedelta(days=FEED_PAST_DAYS)
    own = select(Mediator.id).where(Mediator.user_id == user.id)
    offices = user.caseworker_office_ids
    scope = [Assignment.mediator_id.in_(own)]
    if offices:
        scope.append(InterpretingRequest.office_id.in_(offices))
    rows = session.scalars(
        select(Assignment)
        .join(InterpretingRequest, InterpretingRequest.id == Assignment.request_id)
        .where(Assignment.ends_at >= since, or_(*scope))
        .order_by(Assignment.starts_at, Assignment.id)
        .limit(FEED_LIMIT)
        .options(
            selectinload(Assignment.mediator),
            selectinload(Assignment.request).selectinload(InterpretingRequest.office),
            selectinload(Assignment.request).selectinload(InterpretingRequest.pool),
        )
    ).all()
    result = []
    for assignment in rows:
        own_assignment = assignment.mediator.user_id == user.id
        result.append((assignment, MEDIATOR if own_assignment else OFFICE))
    return result


def feed(session: Session, user: User, now: datetime) -> str:
    """The whole feed of ``user`` as iCalendar text (no METHOD: a published calendar)."""
    locale = user.locale or "de"
    calendar = _calendar()
    with force_locale(locale):
        calendar.add("x-wr-calname", _("Dolmetscherpool: Einsätze"))
    calendar.add("x-wr-timezone", "Europe/Berlin")
    calendar.add("x-published-ttl", "PT1H")
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for assignment, audience in feed_assignments(session, user, now):
        calendar.add_component(
            assignment_event(session, assignment, now=now, locale=locale, audience=audience)
        )
    return calendar.to_ical().decode()


def may_have_feed(user: User) -> bool:
    return user.active and (user.has_role(Role.MEDIATOR) or user.has_role(Role.CASEWORKER))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_feed_token(session: Session, *, user: User, now: datetime) -> str:
    """Make a new secret address for ``user`` (an older one stops working at once). Returns
    the token; only its hash is stored, so it can be shown this once."""
    token = secrets.token_urlsafe(32)
    renewed = user.calendar_token_hash is not None
    user.calendar_token_hash = hash_token(token)
    user.calendar_token_created_at = now
    session.flush()
    audit.record(session, user.id, "calendar_feed.renewed" if renewed else "calendar_feed.created",
                 "user", user.id)  # fmt: skip
    return token


def disable_feed(session: Session, *, user: User) -> None:
    if user.calendar_token_hash is None:
        return
    user.calendar_token_hash = None
    user.calendar_token_created_at = None
    session.flush()
    audit.record(session, user.id, "calendar_feed.disabled", "user", user.id)


def user_for_token(session: Session, token: str) -> User | None:
    """The active user whose feed ``token`` opens, or None."""
    if not token or len(token) > 200:
        return None
    user = session.scalars(
        select(User).where(User.calendar_token_hash == hash_token(token))
    ).first()
    if user is None or not may_have_feed(user):
        return None
    return user
