"""Offers, acceptance, direct assignment, cancellation and outcomes.

Every function takes the session, the acting person and ``now``, writes audit events and outbox
messages, and flushes; the caller commits (and rolls back when an exception comes out).

Booking safety never relies on a check-then-write in Python (docs/architecture.md):

- A booking first bumps ``mediators.booking_version`` with an UPDATE. On PostgreSQL that row lock
  is held until commit, so bookings of one mediator run one after the other; on SQLite the write
  transaction (``BEGIN IMMEDIATE``) serialises all writers anyway. Overlaps are checked after it.
- The request is taken with a conditional UPDATE (``WHERE status IN ('open', 'offered')``) whose
  row count says whether this transaction won it.
- The partial unique index ``uq_assignments_active_request`` is the last guard: a second active
  assignment for a request raises IntegrityError, turned into ``BookingConflict``.
- Offers and assignments change state with conditional UPDATEs (``WHERE status = 'pending'``).

Lock order is always mediator row, then request row, then offers and assignments; functions that
do not book start at the request row. So two transactions never wait for each other in a circle.
The booking steps run inside a SAVEPOINT: on a conflict nothing of them stays in the session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pool import audit
from pool.calendar import invitation
from pool.db import rowcount
from pool.enums import (
    AssignmentStatus,
    MediatorStatus,
    Mode,
    NotificationCategory,
    OfferStatus,
    Outcome,
    RequestStatus,
    Role,
    Side,
)
from pool.i18n import BERLIN, format_when
from pool.i18n import gettext as _
from pool.labels import MODE_LABELS, OUTCOME_LABELS, SETTING_LABELS
from pool.languages import language_name
from pool.models import (
    Assignment,
    CaseExclusion,
    Domain,
    InterpretingRequest,
    Mediator,
    Offer,
    User,
    UserRole,
)
from pool.models.requests import OUTCOMES
from pool.notify import deadline
from pool.outbox import enqueue
from pool.schemas.offers import MAX_FEEDBACK, MAX_REASON
from pool.services import ServiceError
from pool.services.users import active_coordinators, users_with_role
from pool.urls import external_url, page_url

OPEN_STATUSES = (RequestStatus.OPEN, RequestStatus.OFFERED)
CANCEL_SIDES = (Side.MEDIATOR, Side.OFFICE, Side.COORDINATION)
OUTCOME_SIDES = (Side.OFFICE, Side.MEDIATOR)
# Reported durations that differ by more than this are shown to the coordinator.
DURATION_TOLERANCE_MINUTES = 15


# Pages the e-mails link to, and the page used until that blueprint exists.
LINK_ENDPOINTS = {
    "offer": ("requests.offer_detail", "offer_id"),
    "assignment": ("requests.assignment_detail", "assignment_id"),
    "request": ("requests.detail", "request_id"),
}


class BookingConflict(ServiceError):
    """The request is taken, the mediator is booked then, or an offer or assignment changed in the
    meantime (HTTP 409)."""


# --- pure helpers ---------------------------------------------------------------------------------


def times_clash(
    a_start: datetime,
    a_end: datetime,
    a_in_person: bool,
    b_start: datetime,
    b_end: datetime,
    b_in_person: bool,
    buffer_minutes: int,
) -> bool:
    """Whether two appointments of one mediator collide. Between two in-person appointments the
    mediator needs ``buffer_minutes`` to travel; phone and video appointments need no gap."""
    gap = timedelta(minutes=buffer_minutes if (a_in_person and b_in_person) else 0)
    return a_start < b_end + gap and b_start < a_end + gap


def is_short_notice(starts_at: datetime, now: datetime, hours: int) -> bool:
    """A cancellation less than ``hours`` before the start (or after it) is short notice."""
    return starts_at - now < timedelta(hours=hours)


def outcome_differences(assignment: Assignment) -> list[str]:
    """What the office and the mediator reported differently: "outcome", "duration"."""
    if assignment.office_outcome is None or assignment.mediator_outcome is None:
        return []
    differences = []
    if assignment.office_outcome != assignment.mediator_outcome:
        differences.append("outcome")
    office, mediator = assignment.office_duration_minutes, assignment.mediator_duration_minutes
    if (
        office is not None
        and mediator is not None
        and abs(office - mediator) > DURATION_TOLERANCE_MINUTES
    ):
        differences.append("duration")
    return differences


# --- offers ---------------------------------------------------------------------------------------


def make_offers(
    session: Session,
    *,
    actor: User | None,
    request: InterpretingRequest,
    mediators: Sequence[Mediator],
    now: datetime,
    expires_in_minutes: int | None = None,
) -> list[Offer]:
    """Offer the request to each mediator (the first to accept gets it). Mediators who already
    have a pending offer for it are skipped. ``actor`` is None for the automatic mode."""
    if not mediators:
        raise ServiceError(_("Bitte wählen Sie mindestens eine Person aus."), "mediator_ids")
    if request.status not in OPEN_STATUSES:
        raise BookingConflict(_("Diese Anfrage ist nicht mehr offen."))
    if request.starts_at <= now:
        raise ServiceError(_("Der Termin hat schon begonnen."))
    minutes = expires_in_minutes or request.pool.offer_expiry_minutes
    if not 1 <= minutes <= 60 * 24 * 30:
        raise ServiceError(_("Die Frist für die Antwort ist ungültig."), "expires_in_minutes")
    for mediator in mediators:
        _check_may_serve(session, request, mediator)

    was = request.status
    _lock_request(session, request, OPEN_STATUSES, to_status=RequestStatus.OFFERED, now=now)
    if was == RequestStatus.OPEN:
        audit.record(session, _id(actor), "request.offered", "request", request.id)
    already = set(
        session.scalars(
            select(Offer.mediator_id).where(
                Offer.request_id == request.id, Offer.status == OfferStatus.PENDING
            )
        )
    )
    offers = []
    for mediator in mediators:
        if mediator.id in already:
            continue
        already.add(mediator.id)
        # The deadline does not run during the recipient's quiet hours.
        user = mediator.user
        quiet = (user.quiet_from, user.quiet_until) if user is not None else (None, None)
        expires_at = min(deadline(now, minutes, *quiet), request.starts_at)
        offer = Offer(
            request_id=request.id,
            mediator_id=mediator.id,
            status=OfferStatus.PENDING,
            expires_at=expires_at,
            created_by_id=_id(actor),
            created_at=now,
        )
        session.add(offer)
        session.flush()
        offers.append(offer)
        audit.record(session, _id(actor), "offer.created", "offer", offer.id,
                     {"request_id": request.id, "mediator_id": mediator.id,
                      "expires_at": expires_at.isoformat()})  # fmt: skip
        _tell_mediator(session, mediator, f"offer:{offer.id}:new", "offer_new", request, now,
                       offer=offer, link=_link("offer", offer.id))  # fmt: skip
    return offers


def decline_offer(
    session: Session,
    *,
    mediator: Mediator,
    offer: Offer,
    now: datetime,
    reason: str | None = None,
) -> Offer:
    _own_offer(mediator, offer)
    reason = _optional_text(reason, MAX_REASON, "reason")
    request = offer.request
    _lock_request(session, request, None, now=now)
    _change_offer(session, offer, OfferStatus.DECLINED, now, decline_reason=reason)
    audit.record(session, mediator.user_id, "offer.declined", "offer", offer.id,
                 {"request_id": request.id, "with_reason": bool(reason)})  # fmt: skip
    _reopen_if_no_offers_left(session, request, now, tell_coordinators=True)
    return offer


def withdraw_offer(session: Session, *, actor: User | None, offer: Offer, now: datetime) -> Offer:
    request = offer.request
    _lock_request(session, request, None, now=now)
    _change_offer(session, offer, OfferStatus.WITHDRAWN, now)
    audit.record(session, _id(actor), "offer.withdrawn", "offer", offer.id,
                 {"request_id": request.id, "why": "coordination"})  # fmt: skip
    _tell_mediator(session, offer.mediator, f"offer:{offer.id}:withdrawn", "offer_withdrawn",
                   request, now, offer=offer, why="coordination")  # fmt: skip
    _reopen_if_no_offers_left(session, request, now, tell_coordinators=False)
    return offer


def expire_offers(session: Session, now: datetime) -> int:
    """Mark pending offers whose deadline has passed as expired; a request without any pending
    offer goes back to "open" and its coordinators are told — except in a pool's automatic
    mode, where ``offer_next_after_expiry`` (same tick, same ``now``) asks the next candidates
    and tells the coordinators only when nobody is left. Returns how many expired."""
    due = session.execute(
        select(Offer.id, Offer.request_id)
        .where(Offer.status == OfferStatus.PENDING, Offer.expires_at <= now)
        .order_by(Offer.request_id, Offer.id)
    ).all()
    expired = 0
    by_request: dict[int, list[int]] = {}
    for offer_id, request_id in due:
        by_request.setdefault(request_id, []).append(offer_id)
    for request_id, offer_ids in by_request.items():
        request = session.get(InterpretingRequest, request_id)
        if request is None:
            continue
        _lock_request(session, request, None, now=now)
        for offer_id in offer_ids:
            changed = rowcount(
                session.execute(
                    update(Offer)
                    .where(
                        Offer.id == offer_id,
                        Offer.status == OfferStatus.PENDING,
                        Offer.expires_at <= now,
                    )
                    .values(status=OfferStatus.EXPIRED, responded_at=now)
                    .execution_options(synchronize_session=False)
                )
            )
            if changed != 1:
                continue  # accepted, declined or withdrawn in the meantime
            expired += 1
            offer = session.get(Offer, offer_id)
            if offer is not None:
                session.expire(offer, ["status", "responded_at"])
            audit.record(session, None, "offer.expired", "offer", offer_id,
                         {"request_id": request_id})  # fmt: skip
        automatic = request.pool.auto_offer_top_n > 0 and request.starts_at > now
        _reopen_if_no_offers_left(session, request, now, tell_coordinators=not automatic)
    return expired


# --- booking --------------------------------------------------------------------------------------


def accept_offer(
    session: Session,
    *,
    mediator: Mediator,
    offer: Offer,
    no_conflict_of_interest: bool,
    now: datetime,
) -> Assignment:
    """The mediator accepts: the first one gets the request; the others' offers are withdrawn."""
    _own_offer(mediator, offer)
    if not no_conflict_of_interest:
        raise ServiceError(
            _("Bitte bestätigen Sie, dass Sie keine persönliche Beziehung zu diesem Fall haben."),
            "no_conflict_of_interest",
        )
    if offer.status != OfferStatus.PENDING:
        raise BookingConflict(_("Dieses Angebot gilt nicht mehr."))
    if offer.expires_at is not None and offer.expires_at <= now:
        raise BookingConflict(_("Die Frist für dieses Angebot ist abgelaufen."))
    request = offer.request
    _check_may_serve(session, request, mediator)
    assignment = _book(session, request=request, mediator=mediator, now=now, offer=offer,
                       assigned_by=mediator.user, reason=None)  # fmt: skip
    audit.record(session, mediator.user_id, "offer.accepted", "offer", offer.id,
                 {"request_id": request.id, "declared_no_conflict_of_interest": True})  # fmt: skip
    _after_booking(session, request, assignment, now, actor=mediator.user, via="offer")
    return assignment


def assign_directly(
    session: Session,
    *,
    actor: User | None,
    request: InterpretingRequest,
    mediator: Mediator,
    reason: str | None,
    now: datetime,
) -> Assignment:
    """The coordination books a mediator without an offer (e.g. agreed by phone)."""
    reason = _optional_text(reason, MAX_REASON, "reason")
    _check_may_serve(session, request, mediator)
    own_offer = session.scalars(
        select(Offer).where(
            Offer.request_id == request.id,
            Offer.mediator_id == mediator.id,
            Offer.status == OfferStatus.PENDING,
        )
    ).first()
    assignment = _book(session, request=request, mediator=mediator, now=now, offer=own_offer,
                       assigned_by=actor, reason=reason)  # fmt: skip
    if own_offer is not None:
        audit.record(session, _id(actor), "offer.accepted", "offer", own_offer.id,
                     {"request_id": request.id, "by": "coordination"})  # fmt: skip
    _after_booking(session, request, assignment, now, actor=actor, via="direct", reason=reason)
    return assignment


def _book(
    session: Session,
    *,
    request: InterpretingRequest,
    mediator: Mediator,
    now: datetime,
    offer: Offer | None,
    assigned_by: User | None,
    reason: str | None,
) -> Assignment:
    """The safe part: lock the mediator, take the request, check overlaps, insert. Raises
    BookingConflict with nothing of it left in the session."""
    try:
        with session.begin_nested():
            # 1. Serialise bookings of this mediator (row lock until commit on PostgreSQL).
            bumped = rowcount(
                session.execute(
                    update(Mediator)
                    .where(Mediator.id == mediator.id)
                    .values(booking_version=Mediator.booking_version + 1)
                    .execution_options(synchronize_session=False)
                )
            )
            if bumped != 1:
                raise BookingConflict(_("Diese Person gibt es nicht mehr."))
            # 2. Take the request; a concurrent booking of it waits here and then finds it taken.
            taken = rowcount(
                session.execute(
                    update(InterpretingRequest)
                    .where(
                        InterpretingRequest.id == request.id,
                        InterpretingRequest.status.in_(OPEN_STATUSES),
                    )
                    .values(status=RequestStatus.ASSIGNED, assigned_at=now, updated_at=now)
                    .execution_options(synchronize_session=False)
                )
            )
            if taken != 1:
                raise BookingConflict(_("Diese Anfrage ist schon vergeben oder nicht mehr offen."))
            # Read time and place as they are now that the row is ours.
            session.refresh(request)
            if request.starts_at <= now and not request.via_hotline:  # a call starts now
                raise ServiceError(_("Der Termin hat schon begonnen."))
            # 3. Overlaps, read after the lock: every other booking of this mediator has either
            #    committed (and is visible) or waits for us.
            in_person = request.mode == Mode.IN_PERSON
            clash = _clashing_assignment(
                session,
                mediator_id=mediator.id,
                starts_at=request.starts_at,
                ends_at=request.ends_at,
                in_person=in_person,
                buffer_minutes=request.pool.travel_buffer_minutes,
            )
            if clash is not None:
                raise BookingConflict(
                    _("%(name)s hat zu dieser Zeit schon einen Einsatz (%(when)s).",
                      name=mediator.name, when=_time_range(clash.starts_at, clash.ends_at))
                )  # fmt: skip
            # 4. Insert; the partial unique index is the final guard.
            assignment = Assignment(
                request_id=request.id,
                mediator_id=mediator.id,
                offer_id=offer.id if offer is not None else None,
                status=AssignmentStatus.CONFIRMED,
                starts_at=request.starts_at,
                ends_at=request.ends_at,
                in_person=in_person,
                assigned_by_id=_id(assigned_by),
                assign_reason=reason,
                created_at=now,
            )
            session.add(assignment)
            try:
                session.flush()
            except IntegrityError as exc:
                raise BookingConflict(
                    _("Diese Anfrage ist schon vergeben oder nicht mehr offen.")
                ) from exc
            # 5. The offer, if any, must still be pending (not withdrawn meanwhile).
            if offer is not None:
                accepted = rowcount(
                    session.execute(
                        update(Offer)
                        .where(Offer.id == offer.id, Offer.status == OfferStatus.PENDING)
                        .values(status=OfferStatus.ACCEPTED, responded_at=now)
                        .execution_options(synchronize_session=False)
                    )
                )
                if accepted != 1:
                    raise BookingConflict(_("Dieses Angebot gilt nicht mehr."))
    except ServiceError:
        for obj in (request, mediator, offer):
            if obj is not None:
                session.expire(obj)
        raise
    session.expire(mediator, ["booking_version"])
    if offer is not None:
        session.expire(offer, ["status", "responded_at"])
    return assignment


def _clashing_assignment(
    session: Session,
    *,
    mediator_id: int,
    starts_at: datetime,
    ends_at: datetime,
    in_person: bool,
    buffer_minutes: int,
    exclude_id: int | None = None,
) -> Assignment | None:
    buffer = timedelta(minutes=buffer_minutes)
    query = select(Assignment).where(
        Assignment.mediator_id == mediator_id,
        Assignment.status != AssignmentStatus.CANCELLED,
        Assignment.starts_at < ends_at + buffer,
        Assignment.ends_at > starts_at - buffer,
    )
    if exclude_id is not None:
        query = query.where(Assignment.id != exclude_id)
    for other in session.scalars(query.order_by(Assignment.starts_at)):
        if times_clash(other.starts_at, other.ends_at, other.in_person,
                       starts_at, ends_at, in_person, buffer_minutes):  # fmt: skip
            return other
    return None


def _after_booking(
    session: Session,
    request: InterpretingRequest,
    assignment: Assignment,
    now: datetime,
    *,
    actor: User | None,
    via: str,
    reason: str | None = None,
) -> None:
    audit.record(session, _id(actor), "assignment.created", "assignment", assignment.id,
                 {"request_id": request.id, "mediator_id": assignment.mediator_id, "via": via,
                  "offer_id": assignment.offer_id, "with_reason": bool(reason)})  # fmt: skip
    audit.record(session, _id(actor), "request.assigned", "request", request.id,
                 {"assignment_id": assignment.id})  # fmt: skip
    _withdraw_pending(session, request, now, actor=actor, why="taken")
    mediator = session.get(Mediator, assignment.mediator_id)
    assert mediator is not None
    _tell_mediator(session, mediator, f"assignment:{assignment.id}:confirmed",
                   "assignment_confirmed", request, now, assignment=assignment,
                   link=_link("assignment", assignment.id),
                   calendar=invitation(session, assignment, now=now))  # fmt: skip
    for user in _office_contacts(session, request):
        _tell_user(session, user, f"assignment:{assignment.id}:confirmed:{user.id}",
                   "assignment_confirmed_office", request, now, assignment=assignment,
                   link=_link("request", request.id))  # fmt: skip


# --- cancellations --------------------------------------------------------------------------------


def cancel_assignment(
    session: Session,
    *,
    actor: User | None,
    assignment: Assignment,
    side: str,
    reason: str,
    now: datetime,
    conflict_of_interest: bool = False,
) -> Assignment:
    """Cancel a confirmed assignment; the request goes back to "open" so matching starts again.
    Everyone but the cancelling side is told. A conflict of interest excludes the mediator from
    the case reference and is never flagged as short notice."""
    if side not in CANCEL_SIDES:
        raise ServiceError(_("Unbekannte Seite."), "side")
    reason = _required_text(reason, MAX_REASON, "reason")
    request = assignment.request
    pool = request.pool
    if assignment.ends_at <= now and side != Side.COORDINATION:
        raise ServiceError(
            _("Dieser Einsatz ist vorbei. Bitte melden Sie stattdessen, wie er gelaufen ist.")
        )
    short_notice = not conflict_of_interest and is_short_notice(
        assignment.starts_at, now, pool.short_notice_hours
    )
    _lock_request(session, request, None, now=now)
    _cancel_assignment_row(session, assignment, side, reason, now, short_notice,
                           conflict_of_interest)  # fmt: skip
    reopened = rowcount(
        session.execute(
            update(InterpretingRequest)
            .where(
                InterpretingRequest.id == request.id,
                InterpretingRequest.status == RequestStatus.ASSIGNED,
            )
            .values(status=RequestStatus.OPEN, assigned_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.expire(request)
    if conflict_of_interest and request.case_ref:
        _exclude_from_case(session, assignment.mediator_id, request,
                           "conflict_of_interest" if side == Side.MEDIATOR else "client_refused", now)  # fmt: skip
    audit.record(session, _id(actor), "assignment.cancelled", "assignment", assignment.id,
                 {"request_id": request.id, "side": side, "short_notice": short_notice,
                  "conflict_of_interest": conflict_of_interest})  # fmt: skip
    if reopened:
        audit.record(session, _id(actor), "request.reopened", "request", request.id,
                     {"after": "assignment_cancelled"})  # fmt: skip

    key = f"assignment:{assignment.id}:cancelled"
    context: dict[str, Any] = {"assignment": assignment, "side": side, "reason": reason,
               "short_notice": short_notice, "conflict_of_interest": conflict_of_interest,
               "request_cancelled": False, "mediator_name": assignment.mediator.name}  # fmt: skip
    # At short notice nobody may wait for a digest or the end of quiet hours: the coordination
    # must find someone else quickly, and the others must know before they set off.
    if side != Side.MEDIATOR:
        _tell_mediator(session, assignment.mediator, key, "assignment_cancelled", request, now,
                       calendar=invitation(session, assignment, now=now), urgent=short_notice,
                       **context)  # fmt: skip
    if side != Side.COORDINATION:
        for user in active_coordinators(session, request.pool_id):
            _tell_user(session, user, f"{key}:{user.id}", "assignment_cancelled_notice", request,
                       now, for_coordination=True, link=_link("request", request.id),
                       category=NotificationCategory.ALERTS if short_notice else NotificationCategory.COORDINATION,
                       urgent=short_notice, **context)  # fmt: skip
    if side != Side.OFFICE:
        for user in _office_contacts(session, request):
            _tell_user(session, user, f"{key}:{user.id}", "assignment_cancelled_notice", request,
                       now, for_coordination=False, link=_link("request", request.id),
                       urgent=short_notice, **context)  # fmt: skip
    return assignment


def cancel_request(
    session: Session,
    *,
    actor: User | None,
    request: InterpretingRequest,
    reason: str,
    now: datetime,
) -> InterpretingRequest:
    """The office (or the coordination on its behalf) no longer needs an interpreter. A confirmed
    mediator is told; pending offers are withdrawn and their mediators told."""
    reason = _required_text(reason, MAX_REASON, "reason")
    side = _side_of(actor, request)
    short_notice = is_short_notice(request.starts_at, now, request.pool.short_notice_hours)
    changed = rowcount(session.execute(
        update(InterpretingRequest)
        .where(
            InterpretingRequest.id == request.id,
            InterpretingRequest.status.in_((RequestStatus.OPEN, RequestStatus.OFFERED, RequestStatus.ASSIGNED)),
        )
        .values(status=RequestStatus.CANCELLED, cancel_reason=reason, cancelled_by=side, cancelled_at=now,
                short_notice_cancellation=short_notice, updated_at=now)
        .execution_options(synchronize_session=False)
    ))  # fmt: skip
    if changed != 1:
        raise BookingConflict(_("Diese Anfrage kann nicht mehr abgesagt werden."))
    session.expire(request)
    audit.record(session, _id(actor), "request.cancelled", "request", request.id,
                 {"side": side, "short_notice": short_notice})  # fmt: skip
    active = session.scalars(
        select(Assignment).where(
            Assignment.request_id == request.id, Assignment.status == AssignmentStatus.CONFIRMED
        )
    ).first()
    if active is not None:
        _cancel_assignment_row(session, active, side, reason, now, short_notice, False)
        audit.record(session, _id(actor), "assignment.cancelled", "assignment", active.id,
                     {"request_id": request.id, "side": side, "short_notice": short_notice,
                      "conflict_of_interest": False, "request_cancelled": True})  # fmt: skip
        _tell_mediator(session, active.mediator, f"assignment:{active.id}:cancelled",
                       "assignment_cancelled", request, now, assignment=active, side=side,
                       reason=reason, short_notice=short_notice, conflict_of_interest=False,
                       request_cancelled=True, urgent=short_notice,
                       calendar=invitation(session, active, now=now))  # fmt: skip
    _withdraw_pending(session, request, now, actor=actor, why="cancelled")
    context: dict[str, Any] = {"side": side, "reason": reason, "short_notice": short_notice,
               "had_mediator": active is not None, "link": _link("request", request.id)}  # fmt: skip
    if side != Side.OFFICE:
        tell_office(session, request, "request_cancelled_office", now, actor=actor,
                    key=f"request:{request.id}:cancelled_office", urgent=short_notice,
                    **context)  # fmt: skip
    if short_notice and side != Side.COORDINATION:
        for user in active_coordinators(session, request.pool_id):
            _tell_user(session, user, f"request:{request.id}:short_notice:{user.id}",
                       "alert_short_notice", request, now, urgent=True, **context)  # fmt: skip
    return request


def mark_unfillable(
    session: Session,
    *,
    actor: User | None,
    request: InterpretingRequest,
    reason: str,
    now: datetime,
) -> InterpretingRequest:
    """Nobody can be found: the office is told so it can look elsewhere in time."""
    reason = _required_text(reason, MAX_REASON, "reason")
    changed = rowcount(
        session.execute(
            update(InterpretingRequest)
            .where(
                InterpretingRequest.id == request.id, InterpretingRequest.status.in_(OPEN_STATUSES)
            )
            .values(status=RequestStatus.UNFILLED, unfillable_reason=reason, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if changed != 1:
        raise BookingConflict(_("Diese Anfrage ist nicht mehr offen."))
    session.expire(request)
    audit.record(session, _id(actor), "request.unfillable", "request", request.id)
    _withdraw_pending(session, request, now, actor=actor, why="unfillable")
    for user in _office_contacts(session, request):
        _tell_user(session, user, f"request:{request.id}:unfillable:{user.id}",
                   "assignment_unfillable", request, now, reason=reason,
                   link=_link("request", request.id))  # fmt: skip
    return request


# --- outcomes -------------------------------------------------------------------------------------


def _check_outcome(
    assignment: Assignment, side: str, outcome: str, duration_minutes: int | None, now: datetime
) -> None:
    if side not in OUTCOME_SIDES:
        raise ServiceError(_("Unbekannte Seite."), "side")
    if outcome not in OUTCOMES:
        raise ServiceError(_("Bitte wählen Sie aus, wie der Termin gelaufen ist."), "outcome")
    if assignment.status == AssignmentStatus.CANCELLED:
        raise BookingConflict(_("Dieser Einsatz wurde abgesagt."))
    if assignment.starts_at > now:
        raise ServiceError(_("Der Termin hat noch nicht begonnen."))
    if duration_minutes is not None and not 0 <= duration_minutes <= 600:
        raise ServiceError(_("Bitte geben Sie eine Dauer zwischen 0 und 600 Minuten an."),
                           "duration_minutes")  # fmt: skip
    if outcome == Outcome.TOOK_PLACE and not duration_minutes:
        raise ServiceError(_("Bitte geben Sie an, wie lange der Termin gedauert hat."),
                           "duration_minutes")  # fmt: skip


def _outcome_values(
    side: str,
    outcome: str,
    duration_minutes: int | None,
    now: datetime,
    *,
    travel_km: int | None,
    rating: int | None,
    feedback: str | None,
):
    """The columns one side's report sets, and the condition that this side has not reported."""
    if side == Side.OFFICE:
        if rating is not None and not 1 <= rating <= 5:
            raise ServiceError(_("Bitte bewerten Sie mit 1 bis 5."), "rating")
        values = {
            "office_outcome": outcome,
            "office_duration_minutes": duration_minutes,
            "feedback_rating": rating,
            "feedback_text": _optional_text(feedback, MAX_FEEDBACK, "feedback"),
            "status": AssignmentStatus.COMPLETED,
            "completed_at": now,
        }
        return values, Assignment.office_outcome.is_(None)
    if travel_km is not None and not 0 <= travel_km <= 1000:
        raise ServiceError(_("Bitte geben Sie die Kilometer als Zahl bis 1000 an."),
                           "travel_km")  # fmt: skip
    values = {
        "mediator_outcome": outcome,
        "mediator_duration_minutes": duration_minutes,
        "travel_km": travel_km,
    }
    return values, Assignment.mediator_outcome.is_(None)


def _complete_request(
    session: Session, actor: User | None, assignment: Assignment, request: InterpretingRequest,
    now: datetime,
) -> None:  # fmt: skip
    """The office's report completes the assignment, and the request with it."""
    completed = rowcount(
        session.execute(
            update(InterpretingRequest)
            .where(
                InterpretingRequest.id == request.id,
                InterpretingRequest.status == RequestStatus.ASSIGNED,
            )
            .values(status=RequestStatus.COMPLETED, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.expire(request)
    audit.record(session, _id(actor), "assignment.completed", "assignment", assignment.id,
                 {"request_id": request.id})  # fmt: skip
    if completed:
        audit.record(session, _id(actor), "request.completed", "request", request.id)


def _alert_outcome_differs(
    session: Session, assignment: Assignment, request: InterpretingRequest, now: datetime
) -> None:
    differences = outcome_differences(assignment)
    if not differences:  # one side has not reported yet, or both agree
        return
    context: dict[str, Any] = {
        "differences": differences,
        "office_outcome": OUTCOME_LABELS.get(assignment.office_outcome or ""),
        "mediator_outcome": OUTCOME_LABELS.get(assignment.mediator_outcome or ""),
        "office_minutes": assignment.office_duration_minutes,
        "mediator_minutes": assignment.mediator_duration_minutes,
        "mediator_name": assignment.mediator.name,
        "link": _link("request", request.id),
    }
    for user in active_coordinators(session, request.pool_id):
        _tell_user(session, user, f"assignment:{assignment.id}:outcome_differs:{user.id}",
                   "alert_outcome_differs", request, now, **context)  # fmt: skip


def report_outcome(
    session: Session,
    *,
    actor: User | None,
    assignment: Assignment,
    side: str,
    outcome: str,
    duration_minutes: int | None,
    now: datetime,
    travel_km: int | None = None,
    rating: int | None = None,
    feedback: str | None = None,
) -> Assignment:
    """Each side reports once. The assignment is completed when the office has reported (the
    mediator's report may come before or after)."""
    _check_outcome(assignment, side, outcome, duration_minutes, now)
    values, not_yet = _outcome_values(
        side, outcome, duration_minutes, now, travel_km=travel_km, rating=rating, feedback=feedback
    )
    request = assignment.request
    _lock_request(session, request, None, now=now)
    changed = rowcount(
        session.execute(
            update(Assignment)
            .where(
                Assignment.id == assignment.id,
                Assignment.status.in_((AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED)),
                not_yet,
            )
            .values(**values)
            .execution_options(synchronize_session=False)
        )
    )
    if changed != 1:
        raise BookingConflict(_("Dazu gibt es schon eine Meldung."))
    session.expire(assignment)
    audit.record(session, _id(actor), "assignment.outcome_reported", "assignment", assignment.id,
                 {"side": side, "outcome": outcome})  # fmt: skip
    if side == Side.OFFICE:
        _complete_request(session, actor, assignment, request, now)
    session.flush()
    _alert_outcome_differs(session, assignment, request, now)
    return assignment


# --- steps ----------------------------------------------------------------------------------------


def _lock_request(
    session: Session,
    request: InterpretingRequest,
    statuses: Iterable[str] | None,
    *,
    now: datetime,
    to_status: str | None = None,
) -> None:
    """Lock the request row (PostgreSQL: until commit) with an UPDATE; with ``statuses`` only
    while it has one of them, else BookingConflict."""
    query = update(InterpretingRequest).where(InterpretingRequest.id == request.id)
    if statuses is not None:
        query = query.where(InterpretingRequest.status.in_(tuple(statuses)))
    if to_status is not None:
        values: dict = {"status": to_status, "updated_at": now}
    else:  # a write that changes nothing, only for the lock
        values = {"status": InterpretingRequest.status}
    changed = rowcount(
        session.execute(query.values(**values).execution_options(synchronize_session=False))
    )
    if changed != 1:
        session.expire(request)
        raise BookingConflict(_("Diese Anfrage ist nicht mehr offen."))
    session.expire(request)


def _change_offer(session: Session, offer: Offer, to_status: str, now: datetime, **values) -> None:
    changed = rowcount(
        session.execute(
            update(Offer)
            .where(Offer.id == offer.id, Offer.status == OfferStatus.PENDING)
            .values(status=to_status, responded_at=now, **values)
            .execution_options(synchronize_session=False)
        )
    )
    session.expire(offer)
    if changed != 1:
        raise BookingConflict(_("Dieses Angebot gilt nicht mehr."))


def _withdraw_pending(
    session: Session, request: InterpretingRequest, now: datetime, *, actor: User | None, why: str
) -> None:
    """Withdraw every pending offer of the request and tell each mediator."""
    pending = session.scalars(
        select(Offer).where(Offer.request_id == request.id, Offer.status == OfferStatus.PENDING)
    ).all()
    for offer in pending:
        changed = rowcount(
            session.execute(
                update(Offer)
                .where(Offer.id == offer.id, Offer.status == OfferStatus.PENDING)
                .values(status=OfferStatus.WITHDRAWN, responded_at=now)
                .execution_options(synchronize_session=False)
            )
        )
        session.expire(offer)
        if changed != 1:
            continue
        audit.record(session, _id(actor), "offer.withdrawn", "offer", offer.id,
                     {"request_id": request.id, "why": why})  # fmt: skip
        _tell_mediator(session, offer.mediator, f"offer:{offer.id}:withdrawn", "offer_withdrawn",
                       request, now, offer=offer, why=why)  # fmt: skip


def _reopen_if_no_offers_left(
    session: Session, request: InterpretingRequest, now: datetime, *, tell_coordinators: bool
) -> None:
    """An "offered" request without any pending offer is "open" again (call with the request
    row locked, so concurrent declines cannot both miss it)."""
    pending = session.scalar(
        select(func.count(Offer.id)).where(
            Offer.request_id == request.id, Offer.status == OfferStatus.PENDING
        )
    )
    if pending:
        return
    reopened = rowcount(
        session.execute(
            update(InterpretingRequest)
            .where(
                InterpretingRequest.id == request.id,
                InterpretingRequest.status == RequestStatus.OFFERED,
            )
            .values(status=RequestStatus.OPEN, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.expire(request)
    if not reopened:
        return
    audit.record(session, None, "request.reopened", "request", request.id,
                 {"after": "no_pending_offers"})  # fmt: skip
    if tell_coordinators:
        _tell_none_pending(session, request, now, nobody_left=False)


def _tell_none_pending(
    session: Session, request: InterpretingRequest, now: datetime, *, nobody_left: bool
) -> None:
    """The request is open again without any offer. ``nobody_left``: the automatic mode has
    asked every fitting candidate — urgent, only a person can help now."""
    for user in active_coordinators(session, request.pool_id):
        _tell_user(session, user, f"request:{request.id}:no_offers:{now.isoformat()}:{user.id}",
                   "offer_none_pending", request, now, link=_link("request", request.id),
                   nobody_left=nobody_left, urgent=nobody_left)  # fmt: skip


def _cancel_assignment_row(
    session: Session,
    assignment: Assignment,
    side: str,
    reason: str,
    now: datetime,
    short_notice: bool,
    conflict_of_interest: bool,
) -> None:
    changed = rowcount(session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.status == AssignmentStatus.CONFIRMED)
        .values(status=AssignmentStatus.CANCELLED, cancelled_at=now, cancelled_by=side, cancel_reason=reason,
                short_notice=short_notice, conflict_of_interest=conflict_of_interest,
                ics_sequence=Assignment.ics_sequence + 1)
        .execution_options(synchronize_session=False)
    ))  # fmt: skip
    session.expire(assignment)
    if changed != 1:
        raise BookingConflict(_("Dieser Einsatz ist nicht mehr bestätigt."))


def _exclude_from_case(
    session: Session, mediator_id: int, request: InterpretingRequest, reason: str, now: datetime
) -> None:
    exists = session.scalars(
        select(CaseExclusion.id).where(
            CaseExclusion.mediator_id == mediator_id,
            CaseExclusion.office_id == request.office_id,
            CaseExclusion.case_ref == request.case_ref,
        )
    ).first()
    if exists is not None:
        return
    try:
        with session.begin_nested():
            session.add(CaseExclusion(mediator_id=mediator_id, office_id=request.office_id,
                                      case_ref=request.case_ref, reason=reason, created_at=now))  # fmt: skip
    except IntegrityError:
        return  # recorded by a concurrent transaction


def _check_may_serve(session: Session, request: InterpretingRequest, mediator: Mediator) -> None:
    """Rules that do not depend on other bookings (those are checked under the lock)."""
    if mediator.status != MediatorStatus.ACTIVE:
        raise ServiceError(
            _("%(name)s ist zurzeit nicht aktiv im Pool.", name=mediator.name), "mediator_ids"
        )
    if request.case_ref:
        excluded = session.scalars(
            select(CaseExclusion.id).where(
                CaseExclusion.mediator_id == mediator.id,
                CaseExclusion.office_id == request.office_id,
                CaseExclusion.case_ref == request.case_ref,
            )
        ).first()
        if excluded is not None:
            raise ServiceError(
                _("%(name)s ist für diesen Fall ausgeschlossen.", name=mediator.name),
                "mediator_ids",
            )


def _own_offer(mediator: Mediator, offer: Offer) -> None:
    if offer.mediator_id != mediator.id:
        raise ServiceError(_("Dieses Angebot ist an eine andere Person gerichtet."))


def _side_of(actor: User | None, request: InterpretingRequest) -> str:
    """Caseworkers of the office cancel as "office"; coordinators and admins (also when they
    are caseworkers too) as "coordination"."""
    if actor is None or request.office_id not in actor.caseworker_office_ids:
        return Side.COORDINATION
    if actor.has_role(Role.ADMIN) or request.pool_id in actor.coordinated_pool_ids:
        return Side.COORDINATION
    return Side.OFFICE


def _required_text(value: str | None, limit: int, field: str) -> str:
    text = _optional_text(value, limit, field)
    if not text:
        raise ServiceError(_("Bitte geben Sie einen Grund an."), field)
    return text


def _optional_text(value: str | None, limit: int, field: str) -> str | None:
    text = (value or "").strip()
    if "\x00" in text:
        raise ServiceError(_("Der Text enthält ungültige Zeichen."), field)
    if len(text) > limit:
        raise ServiceError(_("Bitte fassen Sie sich kürzer (höchstens %(n)s Zeichen).", n=limit),
                           field)  # fmt: skip
    return text or None


def _id(user: User | None) -> int | None:
    return user.id if user is not None else None


# --- messages -------------------------------------------------------------------------------------


def _office_contacts(session: Session, request: InterpretingRequest) -> list[User]:
    """The caseworker who made the request; else (made by the coordination, e.g. after a phone
    call) every caseworker of the office."""
    creator = request.created_by
    if (
        creator is not None
        and creator.active
        and request.office_id in creator.caseworker_office_ids
    ):
        return [creator]
    return users_with_role(
        session, UserRole.role == Role.CASEWORKER, UserRole.office_id == request.office_id
    )


def tell_office(
    session: Session,
    request: InterpretingRequest,
    template: str,
    now: datetime,
    *,
    actor: User | None,
    key: str,
    **context,
) -> None:
    """Tell the office what someone else did with its request (never the actor themselves)."""
    for user in _office_contacts(session, request):
        if user.id != _id(actor):
            _tell_user(session, user, f"{key}:{user.id}", template, request, now, **context)


def _link(kind: str, object_id: int) -> str:
    """The page of an offer, assignment or request; the start page when the app has none."""
    endpoint, argument = LINK_ENDPOINTS[kind]
    return page_url(endpoint, **{argument: object_id}) or external_url("main.index")


def _time_range(starts_at: datetime, ends_at: datetime) -> str:
    start, end = starts_at.astimezone(BERLIN), ends_at.astimezone(BERLIN)
    return f"{start:%d.%m.%Y}, {start:%H:%M}–{end:%H:%M}"


def summary(session: Session, request: InterpretingRequest, locale: str | None) -> dict:
    """What a message (or an offer list) shows about a request: never client data (no case
    reference, no notes); the address only where ``with_address`` is used by the template."""
    locale = locale or "de"
    domain = session.get(Domain, request.domain_code)
    start, end = request.starts_at.astimezone(BERLIN), request.ends_at.astimezone(BERLIN)
    return {
        "reference": request.id,
        "when": format_when(request.starts_at, locale),
        "until": f"{end:%H:%M}",
        "date": f"{start:%d.%m.%Y}",
        "duration": request.duration_minutes,
        "mode": request.mode,
        "mode_label": MODE_LABELS.get(request.mode, request.mode),
        "municipality": request.municipality,
        "address": request.address,
        "office": request.office.name,
        "office_phone": request.office.phone,
        "domain": (domain.name_en if locale == "en" else domain.name_de) if domain else "",
        "setting": SETTING_LABELS.get(request.setting, request.setting),
        "language": language_name(request.language_code, locale),
        "dialect": request.dialect,
        "pool": request.pool.name,
        "pool_email": request.pool.contact_email,
        "pool_phone": request.pool.contact_phone,
    }


# The preference category of each message (pool/notify.py CATEGORIES).
TEMPLATE_CATEGORIES = {
    "offer_new": NotificationCategory.OFFERS,
    "offer_withdrawn": NotificationCategory.OFFERS,
    "assignment_confirmed": NotificationCategory.ASSIGNMENTS,
    "assignment_cancelled": NotificationCategory.ASSIGNMENTS,
    "request_changed": NotificationCategory.ASSIGNMENTS,
    "assignment_confirmed_office": NotificationCategory.REQUESTS,
    "assignment_unfillable": NotificationCategory.REQUESTS,
    "assignment_cancelled_notice": NotificationCategory.REQUESTS,
    "request_changed_office": NotificationCategory.REQUESTS,
    "request_cancelled_office": NotificationCategory.REQUESTS,
    "offer_none_pending": NotificationCategory.ALERTS,
    "alert_short_notice": NotificationCategory.ALERTS,
    "alert_outcome_differs": NotificationCategory.COORDINATION,
    "reminder_mediator": NotificationCategory.REMINDERS,
    "reminder_office": NotificationCategory.REMINDERS,
    "alert_unconfirmed": NotificationCategory.ALERTS,
    "alert_unassigned": NotificationCategory.ALERTS,
    "report_request_mediator": NotificationCategory.REPORTS,
    "report_request_office": NotificationCategory.REPORTS,
}


def _tell_mediator(
    session: Session,
    mediator: Mediator,
    key: str,
    template: str,
    request: InterpretingRequest,
    now: datetime,
    *,
    urgent: bool = False,
    calendar: str | None = None,
    **context,
) -> None:
    user = mediator.user
    locale = user.locale if user is not None else None
    enqueue(
        session,
        key=key,
        template=template,
        recipient=mediator.email,
        context={"name": mediator.name, "r": summary(session, request, locale), **context},
        locale=locale,
        now=now,
        user=user,
        category=TEMPLATE_CATEGORIES.get(template, NotificationCategory.OTHER),
        urgent=urgent,
        calendar=calendar,
    )


def _tell_user(
    session: Session,
    user: User,
    key: str,
    template: str,
    request: InterpretingRequest,
    now: datetime,
    *,
    category: str | None = None,
    urgent: bool = False,
    **context,
) -> None:
    enqueue(
        session,
        key=key,
        template=template,
        recipient=user.email,
        context={"name": user.name, "r": summary(session, request, user.locale), **context},
        locale=user.locale,
        now=now,
        user=user,
        category=category or TEMPLATE_CATEGORIES.get(template, NotificationCategory.OTHER),
        urgent=urgent,
    )


# --- automatic mode -------------------------------------------------------------------------------


def offer_top_candidates(
    session: Session,
    *,
    actor: User | None,
    request: InterpretingRequest,
    n: int,
    now: datetime,
) -> list[Offer]:
    """Offer ``request`` to its ``n`` best candidates who have not been asked for it before (a
    pool's automatic mode; ``actor`` is None there). Returns the offers made: none when the
    request is no longer open, has begun, or nobody else fits."""
    from pool.services.candidates import candidates_for  # matching sits above booking

    if n <= 0 or request.status not in OPEN_STATUSES or request.starts_at <= now:
        return []
    asked = set(session.scalars(select(Offer.mediator_id).where(Offer.request_id == request.id)))
    result = candidates_for(session, request, now)
    chosen = [
        c.mediator_id
        for c in result.candidates
        if c.mediator_id not in asked and not c.pending_offer
    ][:n]
    if not chosen:
        return []
    found = {m.id: m for m in session.scalars(select(Mediator).where(Mediator.id.in_(chosen)))}
    mediators = [found[i] for i in chosen if i in found]
    return make_offers(session, actor=actor, request=request, mediators=mediators, now=now)


def offer_next_after_expiry(session: Session, now: datetime) -> int:
    """Automatic mode after ``expire_offers(session, now)`` (call it with the same ``now``): a
    request of a pool with ``auto_offer_top_n`` whose last offers expired just now is offered to
    the next best candidates not asked yet. Returns how many offers were made."""
    from pool.models import Pool

    expired_now = select(Offer.request_id).where(
        Offer.status == OfferStatus.EXPIRED, Offer.responded_at == now
    )
    reopened = session.scalars(
        select(InterpretingRequest)
        .join(Pool, Pool.id == InterpretingRequest.pool_id)
        .where(
            InterpretingRequest.status == RequestStatus.OPEN,
            InterpretingRequest.starts_at > now,
            Pool.auto_offer_top_n > 0,
            InterpretingRequest.id.in_(expired_now),
        )
        .order_by(InterpretingRequest.id)
    ).all()
    made = 0
    for request in reopened:
        offers: list[Offer] = []
        try:
            with session.begin_nested():
                offers = offer_top_candidates(session, actor=None, request=request,
                                              n=request.pool.auto_offer_top_n, now=now)  # fmt: skip
        except ServiceError:
            session.expire(request)  # taken or changed meanwhile
        made += len(offers)
        if not offers and request.status == RequestStatus.OPEN:
            _tell_none_pending(session, request, now, nobody_left=True)
    return made
