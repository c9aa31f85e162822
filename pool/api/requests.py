"""API v1: requests, candidates, offers and assignments.

Routes are thin: load and authorise through pool/permissions.py (404 unknown, 403 audited), parse
the JSON body through its schema (pool/schemas/requests.py, offers.py), call the services
(pool/services/requests.py, booking.py, candidates.py), commit once. The pool's intake rules
answer 422 with every reason (``fields`` by field, ``reasons`` with their codes); a booking
conflict answers 409; any other rule of a service 422.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import jsonify, url_for
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session, selectinload

from pool.api import bp
from pool.api.docs import WRITE_ERRORS, Answer, operation
from pool.api.helpers import (
    ApiError,
    IntakeRefusedError,
    actor,
    call,
    commit,
    invalid,
    list_response,
    page_of,
    paginate,
    parse_body,
    parse_query,
    refusal,
)
from pool.db import db_session, utcnow
from pool.enums import Role
from pool.i18n import BERLIN
from pool.models import Mediator, Office, pool_sharing
from pool.models.requests import Assignment, InterpretingRequest, Offer
from pool.pagecache import kept
from pool.permissions import (
    deny,
    load_assignment,
    load_offer,
    load_request,
    own_mediator,
    request_access,
    roles_required,
)
from pool.schemas import offers as offer_schemas
from pool.schemas import requests as schemas
from pool.schemas.offers import CancelSide as Side
from pool.services import booking
from pool.services import requests as intake
from pool.services.candidates import candidates_for

# Where a service's ``field`` is named differently in a body.
SERVICE_FIELD_PATHS = {"rating": "feedback.rating", "feedback": "feedback.text"}
_ACTION_ERRORS = (*WRITE_ERRORS, "409")


def _refused(exc: Exception) -> ApiError | None:
    return refusal(exc, SERVICE_FIELD_PATHS)


@bp.errorhandler(IntakeRefusedError)
def _intake_refused(exc: IntakeRefusedError):
    body: dict[str, Any] = {"code": "validation_failed", "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    body["reasons"] = exc.reasons
    return jsonify({"error": body}), 422


def _assignment(assignment: Assignment, view: str) -> dict[str, Any]:
    return offer_schemas.Assignment.of(assignment, view=view).dump()


def _offer(offer: Offer) -> dict[str, Any]:
    return offer_schemas.Offer.of(offer).dump()


def _mediator_pool_ids(session: Session, item: InterpretingRequest) -> set[int]:
    """Pools whose mediators may serve ``item``: its own and those sharing with it."""
    sharing = session.scalars(
        select(pool_sharing.c.pool_id).where(pool_sharing.c.partner_pool_id == item.pool_id)
    )
    return {item.pool_id, *sharing}


def _mediators(
    session: Session, item: InterpretingRequest, ids: list[int], path: str
) -> list[Mediator]:
    """The mediators of ``ids`` that may serve the request's pool; others are field errors."""
    allowed = _mediator_pool_ids(session, item)
    found = {m.id: m for m in session.scalars(select(Mediator).where(Mediator.id.in_(ids)))}
    result, fields = [], {}
    for index, mediator_id in enumerate(ids):
        mediator = found.get(mediator_id)
        where = f"{path}[{index}]" if path == "mediator_ids" else path
        if mediator is None:
            fields[where] = ["No such mediator."]
        elif mediator.pool_id not in allowed:
            fields[where] = ["Not a mediator of the request's pool or of a pool sharing with it."]
        else:
            result.append(mediator)
    if fields:
        raise invalid(fields)
    return result


# --- requests -------------------------------------------------------------------------------------


def _request_options() -> list:
    return [
        selectinload(InterpretingRequest.office),
        selectinload(InterpretingRequest.assignments).selectinload(Assignment.mediator),
    ]


def _view(session: Session, item: InterpretingRequest) -> dict[str, Any]:
    """The request as the signed-in user may see it."""
    access = request_access(session, current_user, item)
    if access == "mediator":
        mediator = own_mediator(session, current_user)
        view = schemas.Request.of(
            item, view="mediator", mediator_id=mediator.id if mediator else None
        )
    else:
        view = schemas.Request.of(item, view="office" if access == "office" else "manage")
    return view.dump()


def _office_for_request(session: Session, office_id: int) -> Office:
    office = session.get(Office, office_id)
    if office is None:
        raise invalid({"office_id": ["No such office."]})
    user = current_user
    if not (
        user.has_role(Role.ADMIN)
        or office.pool_id in user.coordinated_pool_ids
        or office.id in user.caseworker_office_ids
    ):
        deny("office", office.id)
    return office


@bp.post("/requests")
@operation(
    operation_id="createRequest",
    summary="Ask for an interpreter",
    description=(
        "Caseworkers for their own office, coordinators for any office of their pool (e.g. "
        "a request taken by phone), admins for any office. The pool's intake rules are "
        "checked (excluded settings, sign languages, medical appointments, the minimum lead"
        " time in working days unless urgent, the professional's presence, a pseudonymous "
        "case reference); a refusal is a 422 with every reason and where to turn instead. "
        "The number of candidates at intake is stored; an urgent request alerts the "
        "coordination."
    ),
    tag="requests",
    body=schemas.RequestCreate,
    answers={"201": Answer("Created (status `open`).", schemas.Request, headers=("Location",))},
    errors=("400", "401", "403", "409", "415", "422"),
    intake=True,
)
@roles_required(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)
def create_request():
    session = db_session()
    body = parse_body(schemas.RequestCreate)
    office = _office_for_request(session, body.office_id)
    created = call(
        session,
        lambda: intake.create_request(
            session, actor=actor(), office=office, values=body.values(), now=utcnow()
        ),
        _refused,
    )
    commit(session)
    item = created[0]
    return (
        schemas.Request.of(item, view="manage").dump(),
        201,
        {"Location": url_for("api.get_request", request_id=item.id)},
    )


def _moment_bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    """A ``from``/``to`` bound in UTC; a date means its whole day in Europe/Berlin."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(UTC)


@bp.get("/requests")
@operation(
    operation_id="listRequests",
    summary="Requests of the caller's office or pools",
    description=(
        "Caseworkers see their office's requests, coordinators their pools' requests, "
        "admins all; others get 403. Mediators see the requests they are offered through "
        "`GET /offers`."
    ),
    tag="requests",
    query=schemas.RequestQuery,
    answers={"200": Answer("One page of requests.", schemas.Request, page=True)},
    errors=("400", "401", "403"),
)
@login_required
def list_requests():
    session = db_session()
    query = parse_query(schemas.RequestQuery, kind="requests")
    user = current_user
    stmt = select(InterpretingRequest).options(*_request_options())
    if not user.has_role(Role.ADMIN):
        pools, offices = user.coordinated_pool_ids, user.caseworker_office_ids
        if not pools and not offices:
            deny()
        stmt = stmt.where(
            or_(
                InterpretingRequest.pool_id.in_(sorted(pools)),
                InterpretingRequest.office_id.in_(sorted(offices)),
            )
        )
    if query.status:
        stmt = stmt.where(InterpretingRequest.status == query.status)
    if query.start is not None:
        stmt = stmt.where(InterpretingRequest.starts_at >= _moment_bound(query.start, end=False))
    if query.end is not None:
        stmt = stmt.where(InterpretingRequest.starts_at < _moment_bound(query.end, end=True))
    if query.office_id is not None:
        stmt = stmt.where(InterpretingRequest.office_id == query.office_id)
    rows, next_cursor = paginate(session, stmt, InterpretingRequest.id, page_of(query, "requests"))
    return list_response(rows, lambda r: _view(session, r), next_cursor)


@bp.get("/requests/<int:request_id>")
@operation(
    operation_id="getRequest",
    summary="One request with its status and assignment",
    description=(
        "Caseworkers of its office, coordinators of its pool, admins, and a mediator it is "
        "or was offered or assigned to (without `case_ref` and `notes`)."
    ),
    tag="requests",
    answers={"200": Answer("The request.", schemas.Request)},
    errors=("401", "403", "404"),
)
@login_required
def get_request(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id)
    return _view(session, item)


@bp.patch("/requests/<int:request_id>")
@operation(
    operation_id="updateRequest",
    summary="Change time, duration, place or notes",
    description=(
        "Caseworkers of its office, coordinators of its pool, admins; only while it is "
        "`open`, `offered` or `assigned` and has not begun (else 422). An assigned mediator"
        " is told, and asked again if the time or place changes."
    ),
    tag="requests",
    body=schemas.RequestUpdate,
    answers={"200": Answer("The changed request.", schemas.Request)},
    errors=_ACTION_ERRORS,
    intake=True,
)
@login_required
def update_request(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="office_or_manage")
    body = parse_body(schemas.RequestUpdate)
    call(
        session,
        lambda: intake.change_request(
            session, actor=actor(), request=item, values=body.values(), now=utcnow(),
            whole_series=body.whole_series,
        ),
        _refused,
    )  # fmt: skip
    commit(session)
    session.refresh(item)
    return _view(session, item)


def _request_action(request_id: int, need: str, action: Any) -> dict[str, Any]:
    """Load the request, read the reason, run ``action(session, item, reason)``, commit."""
    session = db_session()
    item = load_request(session, current_user, request_id, need=need)
    body = parse_body(offer_schemas.ReasonInput)
    call(session, lambda: action(session, item, body.reason), _refused)
    commit(session)
    session.refresh(item)
    return _view(session, item)


@bp.post("/requests/<int:request_id>/cancel")
@operation(
    operation_id="cancelRequest",
    summary="Cancel a request",
    description=(
        "Caseworkers of its office, coordinators of its pool, admins. A confirmed mediator "
        "is told; pending offers are withdrawn. Within the pool's short-notice window the "
        "cancellation is flagged. 409 when it is no longer open or assigned."
    ),
    tag="requests",
    body=offer_schemas.ReasonInput,
    answers={"200": Answer("The cancelled request.", schemas.Request)},
    errors=_ACTION_ERRORS,
)
@login_required
def cancel_request(request_id: int):
    return _request_action(
        request_id,
        "office_or_manage",
        lambda session, item, reason: booking.cancel_request(
            session, actor=actor(), request=item, reason=reason, now=utcnow()
        ),
    )


@bp.post("/requests/<int:request_id>/unfillable")
@operation(
    operation_id="markRequestUnfillable",
    summary="Mark a request as unfillable",
    description=(
        "Coordinators of its pool and admins, while it is `open` or `offered` (else 409). "
        "Pending offers are withdrawn; the office is told so it can look elsewhere in time."
    ),
    tag="requests",
    body=offer_schemas.ReasonInput,
    answers={"200": Answer("The request, now `unfilled`.", schemas.Request)},
    errors=_ACTION_ERRORS,
)
@login_required
def mark_unfillable(request_id: int):
    return _request_action(
        request_id,
        "manage",
        lambda session, item, reason: booking.mark_unfillable(
            session, actor=actor(), request=item, reason=reason, now=utcnow()
        ),
    )


@bp.get("/requests/<int:request_id>/candidates")
@operation(
    operation_id="getCandidates",
    summary="Ranked candidates and the excluded speakers, with reasons",
    description=(
        "Coordinators of its pool and admins. Matching: every hard filter, "
        "soft scores with the pool's weights, related languages as weaker candidates, "
        "mediators of pools that share with the request's pool."
    ),
    tag="requests",
    answers={"200": Answer("The result of matching now.", schemas.Candidates)},
    errors=("401", "403", "404"),
)
@kept
@login_required
def get_candidates(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="manage")
    return schemas.Candidates.of(candidates_for(session, item, utcnow())).dump()


@bp.post("/requests/<int:request_id>/offers")
@operation(
    operation_id="makeOffers",
    summary="Offer a request to one or several mediators",
    description=(
        "Coordinators of its pool and admins, while the request is `open` or `offered` "
        "(else 409). Each mediator is told; the first to accept gets it. 422 for a mediator"
        " who is not active or is excluded for this case."
    ),
    tag="offers",
    body=offer_schemas.OfferCreate,
    answers={"201": Answer("The new offers.", offer_schemas.OfferItems)},
    errors=_ACTION_ERRORS,
)
@login_required
def make_offers(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="manage")
    body = parse_body(offer_schemas.OfferCreate)
    mediators = _mediators(session, item, body.distinct_ids(), "mediator_ids")
    offers = call(
        session,
        lambda: booking.make_offers(
            session, actor=actor(), request=item, mediators=mediators, now=utcnow(),
            expires_in_minutes=body.expires_in_minutes,
        ),
        _refused,
    )  # fmt: skip
    commit(session)
    return offer_schemas.OfferItems(items=[offer_schemas.Offer.of(o) for o in offers]).dump(), 201


@bp.post("/requests/<int:request_id>/assignment")
@operation(
    operation_id="assignDirectly",
    summary="Assign a mediator directly",
    description=(
        "Coordinators of its pool and admins, e.g. after agreeing by phone. 409 when the "
        "request is already taken or no longer open, or the mediator is booked then (with "
        "the travel buffer between in-person appointments). Other pending offers are "
        "withdrawn; the mediator and the office are told."
    ),
    tag="assignments",
    body=offer_schemas.DirectAssignmentInput,
    answers={"201": Answer("The confirmed assignment.", offer_schemas.Assignment)},
    errors=_ACTION_ERRORS,
)
@login_required
def assign_directly(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="manage")
    body = parse_body(offer_schemas.DirectAssignmentInput)
    mediator = _mediators(session, item, [body.mediator_id], "mediator_id")[0]
    assignment = call(
        session,
        lambda: booking.assign_directly(
            session, actor=actor(), request=item, mediator=mediator, reason=body.reason,
            now=utcnow(),
        ),
        _refused,
    )  # fmt: skip
    commit(session)
    session.refresh(assignment)
    return _assignment(assignment, "manage"), 201


# --- offers ---------------------------------------------------------------------------------------


@bp.get("/offers")
@operation(
    operation_id="listOffers",
    summary="Offers: a mediator's own, or those of the coordinator's pools",
    description=(
        "Mediators see the offers made to them, coordinators those for requests of their "
        "pools, admins all; others get 403. Each offer has the request summary (no client "
        "data)."
    ),
    tag="offers",
    query=offer_schemas.OfferQuery,
    answers={"200": Answer("One page of offers.", offer_schemas.Offer, page=True)},
    errors=("400", "401", "403"),
)
@login_required
def list_offers():
    session = db_session()
    query = parse_query(offer_schemas.OfferQuery, kind="offers")
    user = current_user
    stmt = select(Offer).options(
        selectinload(Offer.mediator),
        selectinload(Offer.request).selectinload(InterpretingRequest.office),
    )
    if not user.has_role(Role.ADMIN):
        mediator = own_mediator(session, user)
        scopes: list[ColumnElement[bool]] = []
        if user.coordinated_pool_ids:
            in_pools = select(InterpretingRequest.id).where(
                InterpretingRequest.pool_id.in_(sorted(user.coordinated_pool_ids))
            )
            scopes.append(Offer.request_id.in_(in_pools))
        if mediator is not None:
            scopes.append(Offer.mediator_id == mediator.id)
        if not scopes:
            deny()
        stmt = stmt.where(or_(*scopes))
    if query.status:
        stmt = stmt.where(Offer.status == query.status)
    if query.request_id is not None:
        stmt = stmt.where(Offer.request_id == query.request_id)
    rows, next_cursor = paginate(session, stmt, Offer.id, page_of(query, "offers"))
    return list_response(rows, _offer, next_cursor)


def _own_mediator_of(session: Session, offer: Offer) -> Mediator:
    mediator = own_mediator(session, current_user)
    assert mediator is not None and mediator.id == offer.mediator_id  # load_offer(need="own")
    return mediator


@bp.post("/offers/<int:offer_id>/accept")
@operation(
    operation_id="acceptOffer",
    summary="Accept an offer",
    description=(
        "Only the mediator it is made to, declaring no personal relationship to the case. "
        "409 when the request is already taken, the offer was withdrawn or has expired, or "
        "the mediator is booked then. The others' offers are withdrawn."
    ),
    tag="offers",
    body=offer_schemas.AcceptInput,
    answers={"200": Answer("The confirmed assignment.", offer_schemas.Assignment)},
    errors=_ACTION_ERRORS,
)
@login_required
def accept_offer(offer_id: int):
    session = db_session()
    offer = load_offer(session, current_user, offer_id, need="own")
    mediator = _own_mediator_of(session, offer)
    parse_body(offer_schemas.AcceptInput)
    assignment = call(
        session,
        lambda: booking.accept_offer(
            session, mediator=mediator, offer=offer, no_conflict_of_interest=True, now=utcnow()
        ),
        _refused,
    )
    commit(session)
    session.refresh(assignment)
    return _assignment(assignment, "mediator")


@bp.post("/offers/<int:offer_id>/decline")
@operation(
    operation_id="declineOffer",
    summary="Decline an offer",
    description=(
        "Only the mediator it is made to; the reason is optional. 409 when the offer is no "
        "longer pending."
    ),
    tag="offers",
    body=offer_schemas.OptionalReasonInput,
    body_required=False,
    answers={"200": Answer("The declined offer.", offer_schemas.Offer)},
    errors=_ACTION_ERRORS,
)
@login_required
def decline_offer(offer_id: int):
    session = db_session()
    offer = load_offer(session, current_user, offer_id, need="own")
    mediator = _own_mediator_of(session, offer)
    body = parse_body(offer_schemas.OptionalReasonInput, optional=True)
    call(
        session,
        lambda: booking.decline_offer(
            session, mediator=mediator, offer=offer, now=utcnow(), reason=body.reason
        ),
        _refused,
    )
    commit(session)
    session.refresh(offer)
    return _offer(offer)


@bp.post("/offers/<int:offer_id>/withdraw")
@operation(
    operation_id="withdrawOffer",
    summary="Withdraw an offer",
    description=(
        "Coordinators of the request's pool and admins; the mediator is told. 409 when the "
        "offer is no longer pending."
    ),
    tag="offers",
    body=offer_schemas.EmptyInput,
    body_required=False,
    answers={"200": Answer("The withdrawn offer.", offer_schemas.Offer)},
    errors=_ACTION_ERRORS,
)
@login_required
def withdraw_offer(offer_id: int):
    session = db_session()
    offer = load_offer(session, current_user, offer_id, need="manage")
    parse_body(offer_schemas.EmptyInput, optional=True)
    call(
        session,
        lambda: booking.withdraw_offer(session, actor=actor(), offer=offer, now=utcnow()),
        _refused,
    )
    commit(session)
    session.refresh(offer)
    return _offer(offer)


# --- assignments ----------------------------------------------------------------------------------


def _assignment_side(session: Session, assignment: Assignment, allowed: tuple[Side, ...]) -> Side:
    """Which side the signed-in user acts for: the mediator (its mediator), the office
    (caseworkers of its office), the coordination (coordinators of its pool, admins); 403 for a
    side not ``allowed``."""
    mediator = own_mediator(session, current_user)
    access = request_access(session, current_user, assignment.request)
    if Side.MEDIATOR in allowed and mediator is not None and mediator.id == assignment.mediator_id:
        return Side.MEDIATOR
    if Side.COORDINATION in allowed and access == "manage":
        return Side.COORDINATION
    caseworker = access == "office" or (
        access == "manage" and assignment.request.office_id in current_user.caseworker_office_ids
    )
    if Side.OFFICE in allowed and caseworker:
        return Side.OFFICE
    deny("assignment", assignment.id)
    raise AssertionError("unreachable")


@bp.post("/assignments/<int:assignment_id>/cancel")
@operation(
    operation_id="cancelAssignment",
    summary="Cancel an assignment",
    description=(
        "Its mediator, or coordinators of the request's pool and admins. The request goes "
        "back to matching; the other sides are told. Within the short-notice window it is "
        "flagged, except for a conflict of interest. 409 when it is no longer confirmed."
    ),
    tag="assignments",
    body=offer_schemas.AssignmentCancelInput,
    answers={"200": Answer("The cancelled assignment.", offer_schemas.Assignment)},
    errors=_ACTION_ERRORS,
)
@login_required
def cancel_assignment(assignment_id: int):
    session = db_session()
    assignment = load_assignment(session, current_user, assignment_id)
    side = _assignment_side(session, assignment, (Side.MEDIATOR, Side.COORDINATION))
    body = parse_body(offer_schemas.AssignmentCancelInput)
    call(
        session,
        lambda: booking.cancel_assignment(
            session, actor=actor(), assignment=assignment, side=side, reason=body.reason,
            now=utcnow(), conflict_of_interest=body.conflict_of_interest,
        ),
        _refused,
    )  # fmt: skip
    commit(session)
    session.refresh(assignment)
    return _assignment(assignment, "mediator" if side == Side.MEDIATOR else "manage")


@bp.post("/assignments/<int:assignment_id>/complete")
@operation(
    operation_id="completeAssignment",
    summary="Report how an assignment went",
    description=(
        "Caseworkers of the office (with optional feedback) and its mediator (with travel) "
        "each report once, after the start; the assignment is completed when the office has"
        " reported. Differences are shown to the coordination. 409 when this side has "
        "reported already or the assignment was cancelled."
    ),
    tag="assignments",
    body=offer_schemas.CompletionInput,
    answers={"200": Answer("The assignment with the reports.", offer_schemas.Assignment)},
    errors=_ACTION_ERRORS,
)
@login_required
def complete_assignment(assignment_id: int):
    session = db_session()
    assignment = load_assignment(session, current_user, assignment_id)
    side = _assignment_side(session, assignment, (Side.MEDIATOR, Side.OFFICE))
    body = parse_body(offer_schemas.CompletionInput)
    problems = body.side_problems(side)
    if problems:
        raise invalid(problems)
    feedback = body.feedback
    call(
        session,
        lambda: booking.report_outcome(
            session, actor=actor(), assignment=assignment, side=side, outcome=body.outcome,
            duration_minutes=body.duration_minutes, now=utcnow(), travel_km=body.travel_km,
            rating=feedback.rating if feedback else None,
            feedback=feedback.text if feedback else None,
        ),
        _refused,
    )  # fmt: skip
    commit(session)
    session.refresh(assignment)
    return _assignment(assignment, side)
