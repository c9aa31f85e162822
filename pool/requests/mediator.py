"""The mediator's side: offers to answer, "Meine Einsätze" and the page of one assignment.

Every view: load (through pool/permissions.py) → validate → call the booking service → commit →
flash → redirect. A link from an e-mail only opens a page; every change is a POST with a button.

What a mediator sees of a request (decided here):
- an offer shows everything needed to decide — time, duration, municipality or phone/video,
  office, domain, setting, language and dialect, the deadline — but no client data (no case
  reference, no notes) and not yet the street address;
- an accepted assignment adds the address, the office's phone and the reference number (the
  assignment's id). Case reference and notes stay with the office and the coordination.
Caseworkers and coordinators with access see the assignment page read-only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import contains_eager, joinedload

from pool.db import db_session, utcnow
from pool.enums import AssignmentStatus, OfferStatus, RequestStatus, Role, Side
from pool.forms import commit_change
from pool.i18n import current_language
from pool.i18n import gettext as _
from pool.labels import ASSIGNMENT_STATUS_LABELS
from pool.models import Assignment, Domain, InterpretingRequest, Offer, User
from pool.permissions import load_assignment, load_offer, own_mediator, roles_required
from pool.requests import bp
from pool.requests.debriefs import DebriefForm
from pool.requests.mediator_forms import (
    MEDIATOR_OUTCOME_LABELS,
    OFFER_STATUS_LABELS,
    AcceptForm,
    CancelForm,
    DeclineForm,
    OutcomeForm,
)
from pool.services import booking, debriefs

# The history shows this many past assignments, newest first.
MAX_HISTORY = 50


def _actor() -> User:
    return current_user._get_current_object()


def _summary(session, request: InterpretingRequest) -> dict:
    return booking.summary(session, request, current_language())


def _load_domains(session) -> None:
    """Put the few domains into the identity map, so summaries read them without more queries."""
    session.scalars(select(Domain)).all()


def _with_request(query, relationship, *, joined: bool = False):
    """Load the request with its office and pool in the same query; ``joined``: the query joins
    the request already, and that join is used (a second join of ``requests`` let PostgreSQL
    pick a plan that read all of them once per open request: 14 s under the load test)."""
    load = contains_eager if joined else joinedload
    return query.options(
        load(relationship).options(
            joinedload(InterpretingRequest.office), joinedload(InterpretingRequest.pool)
        )
    )


def labels() -> dict:
    return {
        "assignment": ASSIGNMENT_STATUS_LABELS,
        "offer": OFFER_STATUS_LABELS,
        "outcome": MEDIATOR_OUTCOME_LABELS,
    }


T = TypeVar("T")


def _run(form, change: Callable[[], T]) -> tuple[T | None, int]:
    """Run a booking change and commit. Returns (result, 200); on a broken rule (result None, 400)
    with the error on ``form``; on a conflict (None, 409) — the caller words the message."""
    status, result = commit_change(form, change, concurrent=None)
    return result, status or 200


# --- offers and "Meine Einsätze" ------------------------------------------------------------------


def _offer_is_open(offer: Offer, now: datetime) -> bool:
    return (
        offer.status == OfferStatus.PENDING
        and (offer.expires_at is None or offer.expires_at > now)
        and offer.request.status in booking.OPEN_STATUSES
        and offer.request.starts_at > now
    )


def _needs_report(assignment: Assignment, now: datetime) -> bool:
    return (
        assignment.status in (AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED)
        and assignment.starts_at <= now
        and assignment.mediator_outcome is None
    )


@bp.get("/offers")
@roles_required(Role.MEDIATOR)
def offers():
    s = db_session()
    mediator = own_mediator(s, current_user)
    if mediator is None:
        return render_template("selfservice/no_record.html")
    now = utcnow()
    _load_domains(s)
    pending = s.scalars(
        _with_request(
            select(Offer)
            .join(Offer.request)
            .where(
                Offer.mediator_id == mediator.id,
                Offer.status == OfferStatus.PENDING,
                or_(Offer.expires_at.is_(None), Offer.expires_at > now),
                InterpretingRequest.starts_at > now,
                InterpretingRequest.status.in_(booking.OPEN_STATUSES),
            )
            .order_by(InterpretingRequest.starts_at, Offer.id),
            Offer.request,
            joined=True,
        )
    ).all()
    upcoming = s.scalars(
        _with_request(
            select(Assignment)
            .where(
                Assignment.mediator_id == mediator.id,
                Assignment.status == AssignmentStatus.CONFIRMED,
                Assignment.ends_at > now,
            )
            .order_by(Assignment.starts_at, Assignment.id),
            Assignment.request,
        )
    ).all()
    history = s.scalars(
        _with_request(
            select(Assignment)
            .where(
                Assignment.mediator_id == mediator.id,
                or_(Assignment.status != AssignmentStatus.CONFIRMED, Assignment.ends_at <= now),
            )
            .order_by(Assignment.starts_at.desc(), Assignment.id.desc())
            .limit(MAX_HISTORY),
            Assignment.request,
        )
    ).all()
    return render_template(
        "requests/mediator_offers.html",
        offers=[{"offer": o, "r": _summary(s, o.request)} for o in pending],
        upcoming=[{"assignment": a, "r": _summary(s, a.request)} for a in upcoming],
        history=[
            {"assignment": a, "r": _summary(s, a.request), "needs_report": _needs_report(a, now)}
            for a in history
        ],
        max_history=MAX_HISTORY,
        labels=labels(),
    )


def _offer_page(offer: Offer, accept: AcceptForm, decline: DeclineForm, status: int = 200,
                conflict: str | None = None):  # fmt: skip
    s = db_session()
    now = utcnow()
    is_open = _offer_is_open(offer, now)
    assignment = None
    if offer.status == OfferStatus.ACCEPTED:
        assignment = s.scalars(
            select(Assignment).where(Assignment.offer_id == offer.id).order_by(Assignment.id.desc())
        ).first()
    closed = (
        None if is_open or offer.status == OfferStatus.ACCEPTED else _conflict_message(offer, now)
    )
    return (
        render_template(
            "requests/mediator_offer.html",
            offer=offer,
            r=_summary(s, offer.request),
            is_open=is_open,
            assignment=assignment,
            closed_message=None if conflict else closed,
            conflict=conflict,
            accept=accept,
            decline=decline,
            labels=labels(),
        ),
        status,
    )


@bp.get("/offers/<int:offer_id>")
@roles_required(Role.MEDIATOR)
def offer_detail(offer_id: int):
    offer = load_offer(db_session(), current_user, offer_id, need="own")
    return _offer_page(offer, AcceptForm(formdata=None), DeclineForm(formdata=None))


def _conflict_message(offer: Offer, now: datetime) -> str:
    """Why the offer cannot be accepted (any more), in words, from its state now."""
    request = offer.request
    if offer.status == OfferStatus.DECLINED:
        return _("Sie haben dieses Angebot abgelehnt. Danke für Ihre Antwort.")
    if request.status == RequestStatus.CANCELLED:
        return _("Die Dienststelle hat diesen Termin abgesagt. Sie müssen nichts weiter tun.")
    if offer.status == OfferStatus.PENDING and request.status in booking.OPEN_STATUSES:
        if offer.expires_at is not None and offer.expires_at <= now:
            return _("Die Frist für dieses Angebot ist abgelaufen.")
        return _(
            "Sie haben zu dieser Zeit schon einen anderen Einsatz. Darum können Sie dieses "
            "Angebot nicht annehmen. Bitte lehnen Sie es ab."
        )
    if request.status in (RequestStatus.ASSIGNED, RequestStatus.COMPLETED):
        return _(
            "Dieser Einsatz ist leider schon vergeben: Jemand anderes war schneller. "
            "Sie müssen nichts weiter tun."
        )
    if offer.status == OfferStatus.EXPIRED:
        return _("Die Frist für dieses Angebot ist abgelaufen.")
    return _("Die Koordination hat dieses Angebot zurückgezogen. Sie müssen nichts weiter tun.")


@bp.post("/offers/<int:offer_id>/accept")
@roles_required(Role.MEDIATOR)
def offer_accept(offer_id: int):
    s = db_session()
    offer = load_offer(s, current_user, offer_id, need="own")
    mediator = own_mediator(s, current_user)
    assert mediator is not None  # load_offer found the user's own offer
    form, decline = AcceptForm(), DeclineForm(formdata=None)
    if offer.status == OfferStatus.ACCEPTED:  # a second click: the first one counted
        return _to_own_assignment(offer)
    if not form.validate():
        return _offer_page(offer, form, decline, 400)
    now = utcnow()
    assignment, status = _run(form, lambda: booking.accept_offer(
        s, mediator=mediator, offer=offer, no_conflict_of_interest=True, now=now))  # fmt: skip
    if status == 409:
        return _offer_page(offer, form, decline, 409, _conflict_message(offer, now))
    if assignment is None:
        return _offer_page(offer, form, decline, status)
    flash(_("Danke! Der Einsatz ist für Sie bestätigt. Die Dienststelle weiß Bescheid."), "success")
    return redirect(url_for("requests.assignment_detail", assignment_id=assignment.id))


def _to_own_assignment(offer: Offer):
    assignment = (
        db_session()
        .scalars(
            select(Assignment).where(Assignment.offer_id == offer.id).order_by(Assignment.id.desc())
        )
        .first()
    )
    flash(_("Sie haben dieses Angebot schon angenommen."), "success")
    if assignment is None:
        return redirect(url_for("requests.offers"))
    return redirect(url_for("requests.assignment_detail", assignment_id=assignment.id))


@bp.post("/offers/<int:offer_id>/decline")
@roles_required(Role.MEDIATOR)
def offer_decline(offer_id: int):
    s = db_session()
    offer = load_offer(s, current_user, offer_id, need="own")
    mediator = own_mediator(s, current_user)
    assert mediator is not None  # load_offer found the user's own offer
    accept, form = AcceptForm(formdata=None), DeclineForm()
    if not form.validate():
        return _offer_page(offer, accept, form, 400)
    now = utcnow()
    _result, status = _run(form, lambda: booking.decline_offer(
        s, mediator=mediator, offer=offer, now=now, reason=form.decline_reason.data))  # fmt: skip
    if status == 409:
        return _offer_page(offer, accept, form, 409,
                           _("Dieses Angebot gilt nicht mehr. Sie müssen nichts weiter tun."))  # fmt: skip
    if status != 200:
        return _offer_page(offer, accept, form, status)
    flash(_("Sie haben das Angebot abgelehnt. Danke für Ihre Antwort."), "success")
    return redirect(url_for("requests.offers"))


# --- one assignment -------------------------------------------------------------------------------


def _assignment_page(assignment: Assignment, cancel: CancelForm | None = None,
                     outcome: OutcomeForm | None = None, status: int = 200,
                     conflict: str | None = None,
                     debrief: DebriefForm | None = None):  # fmt: skip
    s = db_session()
    now = utcnow()
    mediator = own_mediator(s, current_user)
    is_own = mediator is not None and assignment.mediator_id == mediator.id
    request = assignment.request
    can_cancel = (
        is_own and assignment.status == AssignmentStatus.CONFIRMED and assignment.ends_at > now
    )
    can_report = is_own and _needs_report(assignment, now)
    short_notice = can_cancel and booking.is_short_notice(
        assignment.starts_at, now, request.pool.short_notice_hours
    )
    return (
        render_template(
            "requests/mediator_assignment.html",
            assignment=assignment,
            r=_summary(s, request),
            is_own=is_own,
            can_cancel=can_cancel,
            can_report=can_report,
            short_notice=short_notice,
            short_notice_hours=request.pool.short_notice_hours,
            over=assignment.ends_at <= now,
            cancel=cancel or CancelForm(formdata=None),
            outcome=outcome or OutcomeForm(formdata=None),
            conflict=conflict,
            debrief=debrief or DebriefForm(formdata=None),
            can_debrief=is_own and debriefs.refusal(assignment, now) is None,
            debrief_open=is_own and debriefs.open_request(s, assignment) is not None,
            labels=labels(),
        ),
        status,
    )


@bp.get("/assignments/<int:assignment_id>")
@roles_required(Role.MEDIATOR, Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)
def assignment_detail(assignment_id: int):
    assignment = load_assignment(db_session(), current_user, assignment_id, need="read")
    return _assignment_page(assignment)


@bp.post("/assignments/<int:assignment_id>/cancel")
@roles_required(Role.MEDIATOR)
def assignment_cancel(assignment_id: int):
    s = db_session()
    assignment = load_assignment(s, current_user, assignment_id, need="mediator")
    form = CancelForm()
    if not form.validate():
        return _assignment_page(assignment, cancel=form, status=400)
    conflict_of_interest = bool(form.conflict_of_interest.data)
    _result, status = _run(form, lambda: booking.cancel_assignment(
        s, actor=_actor(), assignment=assignment, side=Side.MEDIATOR,
        reason=form.cancel_reason.data, now=utcnow(),
        conflict_of_interest=conflict_of_interest))  # fmt: skip
    if status == 409:
        return _assignment_page(assignment, cancel=form, status=409,
                                conflict=_("Dieser Einsatz ist schon abgesagt oder vorbei."))  # fmt: skip
    if status != 200:
        return _assignment_page(assignment, cancel=form, status=status)
    flash(_("Sie haben den Einsatz abgesagt. Die Koordination und die Dienststelle wissen "
            "Bescheid."), "success")  # fmt: skip
    if conflict_of_interest:
        flash(_("Sie bekommen für diesen Fall keine Anfragen mehr. Das hat keine Nachteile für "
                "Sie."), "success")  # fmt: skip
    return redirect(url_for("requests.offers"))


@bp.post("/assignments/<int:assignment_id>/outcome")
@roles_required(Role.MEDIATOR)
def assignment_outcome(assignment_id: int):
    s = db_session()
    assignment = load_assignment(s, current_user, assignment_id, need="mediator")
    form = OutcomeForm()
    if not form.validate():
        return _assignment_page(assignment, outcome=form, status=400)
    _result, status = _run(form, lambda: booking.report_outcome(
        s, actor=_actor(), assignment=assignment, side=Side.MEDIATOR, outcome=form.outcome.data,
        duration_minutes=form.duration_minutes.data, travel_km=form.travel_km.data,
        now=utcnow()))  # fmt: skip
    if status == 409:
        return _assignment_page(assignment, outcome=form, status=409,
                                conflict=_("Dazu gibt es schon eine Meldung, oder der Einsatz "
                                           "wurde abgesagt."))  # fmt: skip
    if status != 200:
        return _assignment_page(assignment, outcome=form, status=status)
    flash(_("Danke für Ihre Meldung."), "success")
    return redirect(url_for("requests.assignment_detail", assignment_id=assignment.id))
