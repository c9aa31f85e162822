"""API v1: requests, candidates, offers and assignments. Described in pool/api/openapi.py.

Routes are thin: load and authorise through pool/permissions.py (404 unknown, 403 audited),
validate the JSON body before the database sees it (pool/api/helpers.py), call the services
(pool/services/requests.py, booking.py, candidates.py), commit once. The pool's intake rules
answer 422 with every reason (``fields`` by field, ``reasons`` with their codes); a booking
conflict answers 409; any other rule of a service 422.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

from flask import jsonify, url_for
from flask_login import current_user, login_required
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from pool.api import bp
from pool.api.helpers import (
    INVALID,
    MAX_ID,
    ApiError,
    QueryArgs,
    Validator,
    json_object,
    list_response,
    optional_json_object,
    page_request,
    paginate,
    query_moment,
)
from pool.api.serializers import (
    assignment_json,
    candidates_json,
    offer_json,
    request_json,
)
from pool.db import db_session, utcnow
from pool.i18n import BERLIN
from pool.models import Mediator, Office, User, pool_sharing
from pool.models.requests import (
    OFFER_STATUSES,
    OUTCOMES,
    REQUEST_STATUSES,
    Assignment,
    InterpretingRequest,
    Offer,
)
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
from pool.services import ServiceError, booking
from pool.services import requests as intake
from pool.services.booking import BookingConflict
from pool.services.candidates import candidates_for
from pool.services.requests import IntakeRefused

T = TypeVar("T")

# Fields of POST /requests (docs/api.md) and their checks; the pool's rules come from the service.
TEXT_FIELDS = (
    "language",
    "dialect",
    "mode",
    "municipality",
    "address",
    "domain",
    "setting",
    "gender_preference",
    "urgent_reason",
    "case_ref",
    "notes",
)
MULTILINE_FIELDS = frozenset({"address", "urgent_reason", "notes"})
BOOL_FIELDS = ("gender_required", "urgent", "professional_present")
CREATE_FIELDS = ("office_id", *TEXT_FIELDS, *BOOL_FIELDS, "starts_at", "duration_minutes")
# PATCH changes what the service lets change; the other request fields are refused by the service
# with its explanation (cancel and ask again).
CHANGE_FIELDS = tuple(sorted(intake.CHANGEABLE_FIELDS))
PATCH_FIELDS = (*CREATE_FIELDS[1:], "whole_series")
MAX_OFFER_MEDIATORS = 50
MAX_EXPIRY_MINUTES = 60 * 24 * 30
MAX_DURATION_REPORTED = 600
MAX_TRAVEL_KM = 1000
# Where a service's ``field`` is named differently in a body.
SERVICE_FIELD_PATHS = {"rating": "feedback.rating", "feedback": "feedback.text"}


# --- errors and commits ---------------------------------------------------------------------------


class IntakeRefusedError(ApiError):
    """422 with every reason of the pool's intake rules: texts in ``message``, by field in
    ``fields``, and ``reasons`` with their codes for programs."""

    def __init__(self, exc: IntakeRefused) -> None:
        fields: dict[str, list[str]] = {}
        for reason in exc.reasons:
            if reason.field:
                fields.setdefault(reason.field, []).append(reason.text)
        super().__init__(422, exc.message, fields=fields or None)
        self.reasons = [{"code": r.code, "field": r.field, "message": r.text} for r in exc.reasons]


@bp.errorhandler(IntakeRefusedError)
def _intake_refused(exc: IntakeRefusedError):
    body: dict[str, Any] = {"code": "validation_failed", "message": exc.message}
    if exc.fields:
        body["fields"] = exc.fields
    body["reasons"] = exc.reasons
    return jsonify({"error": body}), 422


def _actor() -> User:
    """The signed-in user itself (not the proxy) for the services."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _call(session: Session, action: Callable[[], T]) -> T:
    """Run a service step; its refusals become API errors with nothing of it left."""
    try:
        return action()
    except IntakeRefused as exc:
        session.rollback()
        raise IntakeRefusedError(exc) from None
    except BookingConflict as exc:
        session.rollback()
        raise ApiError(409, exc.message) from None
    except ServiceError as exc:
        session.rollback()
        path = SERVICE_FIELD_PATHS.get(exc.field or "", exc.field)
        raise ApiError(422, exc.message, fields={path: [exc.message]} if path else None) from None
    except IntegrityError:
        session.rollback()
        raise ApiError(
            409, "The change conflicts with another change made at the same time."
        ) from None


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(
            409, "The change conflicts with another change made at the same time."
        ) from None


# --- reading bodies -------------------------------------------------------------------------------


def _request_values(v: Validator, data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """The request fields of ``names`` present in ``data``, with their JSON types checked; codes,
    ranges and the pool's rules are the service's (they come back as reasons)."""
    values: dict[str, Any] = {}
    for name in names:
        if name not in data:
            continue
        raw = data[name]
        if name in TEXT_FIELDS:
            value = v.text(
                raw, name, max_length=intake.TEXT_LIMITS[name], nullable=True,
                multiline=name in MULTILINE_FIELDS,
            )  # fmt: skip
        elif name in BOOL_FIELDS:
            value = None if raw is None else v.boolean(raw, name)
        elif name == "starts_at":
            value = v.timestamp(raw, name, nullable=True)
        else:  # duration_minutes
            value = v.integer(raw, name, minimum=0, maximum=MAX_ID, nullable=True)
        values[name] = value
    return values


def _reason(v: Validator, data: dict[str, Any], *, required: bool) -> Any:
    if required:
        v.required(data, ("reason",))
    if "reason" not in data:
        return None
    return v.text(
        data["reason"], "reason", max_length=booking.MAX_REASON, nullable=not required,
        multiline=True,
    )  # fmt: skip


def _reason_body(*, required: bool) -> str | None:
    data = json_object() if required else optional_json_object()
    v = Validator()
    v.known_fields(data, ("reason",))
    reason = _reason(v, data, required=required)
    v.check()
    return reason


def _mediator_pool_ids(session: Session, item: InterpretingRequest) -> set[int]:
    """Pools whose mediators may serve ``item``: its own and those sharing with it."""
    sharing = session.scalars(
        select(pool_sharing.c.pool_id).where(pool_sharing.c.partner_pool_id == item.pool_id)
    )
    return {item.pool_id, *sharing}


def _mediators(
    v: Validator, session: Session, item: InterpretingRequest, ids: list[int], path: str
) -> list[Mediator]:
    """The mediators of ``ids`` that may serve the request's pool; others are field errors."""
    allowed = _mediator_pool_ids(session, item)
    found = {m.id: m for m in session.scalars(select(Mediator).where(Mediator.id.in_(ids)))}
    result = []
    for index, mediator_id in enumerate(ids):
        mediator = found.get(mediator_id)
        where = f"{path}[{index}]" if path == "mediator_ids" else path
        if mediator is None:
            v.fail(where, "No such mediator.")
        elif mediator.pool_id not in allowed:
            v.fail(where, "Not a mediator of the request's pool or of a pool sharing with it.")
        else:
            result.append(mediator)
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
        return request_json(item, view="mediator", mediator_id=mediator.id if mediator else None)
    return request_json(item, view="office" if access == "office" else "manage")


def _office_for_request(v: Validator, session: Session, raw: Any) -> Office | None:
    office_id = v.integer(raw, "office_id", minimum=1, maximum=MAX_ID)
    if office_id is INVALID:
        return None
    office = session.get(Office, office_id)
    if office is None:
        v.fail("office_id", "No such office.")
        return None
    user = current_user
    if not (
        user.has_role("admin")
        or office.pool_id in user.coordinated_pool_ids
        or office.id in user.caseworker_office_ids
    ):
        deny("office", office.id)
    return office


@bp.post("/requests")
@roles_required("caseworker", "coordinator", "admin")
def create_request():
    session = db_session()
    data = json_object()
    v = Validator()
    v.known_fields(data, CREATE_FIELDS)
    v.required(data, ("office_id",))
    office = _office_for_request(v, session, data["office_id"]) if "office_id" in data else None
    values = _request_values(v, data, CREATE_FIELDS[1:])
    v.check()
    assert office is not None
    created = _call(
        session,
        lambda: intake.create_request(
            session, actor=_actor(), office=office, values=values, now=utcnow()
        ),
    )
    _commit(session)
    item = created[0]
    return (
        request_json(item, view="manage"),
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
@login_required
def list_requests():
    session = db_session()
    query = QueryArgs()
    page = page_request(query, "requests")
    status = query.choice("status", REQUEST_STATUSES)
    start = query_moment(query, "from")
    end = query_moment(query, "to")
    office_id = query.integer("office_id")
    query.check()
    user = current_user
    stmt = select(InterpretingRequest).options(*_request_options())
    if not user.has_role("admin"):
        pools, offices = user.coordinated_pool_ids, user.caseworker_office_ids
        if not pools and not offices:
            deny()
        stmt = stmt.where(
            or_(
                InterpretingRequest.pool_id.in_(sorted(pools)),
                InterpretingRequest.office_id.in_(sorted(offices)),
            )
        )
    if status:
        stmt = stmt.where(InterpretingRequest.status == status)
    if start is not None:
        stmt = stmt.where(InterpretingRequest.starts_at >= _moment_bound(start, end=False))
    if end is not None:
        stmt = stmt.where(InterpretingRequest.starts_at < _moment_bound(end, end=True))
    if office_id is not None:
        stmt = stmt.where(InterpretingRequest.office_id == office_id)
    rows, next_cursor = paginate(session, stmt, InterpretingRequest.id, page)
    return list_response(rows, lambda r: _view(session, r), next_cursor)


@bp.get("/requests/<int:request_id>")
@login_required
def get_request(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id)
    return _view(session, item)


@bp.patch("/requests/<int:request_id>")
@login_required
def update_request(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="office_or_manage")
    data = json_object()
    v = Validator()
    v.known_fields(data, PATCH_FIELDS)
    values = _request_values(v, data, CHANGE_FIELDS)
    # Fields that cannot change go to the service, which explains what to do instead.
    values.update({name: data[name] for name in data if name in CREATE_FIELDS[1:]
                   and name not in intake.CHANGEABLE_FIELDS})  # fmt: skip
    whole_series = (
        v.boolean(data["whole_series"], "whole_series") if "whole_series" in data else False
    )
    v.check()
    _call(
        session,
        lambda: intake.change_request(
            session, actor=_actor(), request=item, values=values, now=utcnow(),
            whole_series=bool(whole_series),
        ),
    )  # fmt: skip
    _commit(session)
    session.refresh(item)
    return _view(session, item)


@bp.post("/requests/<int:request_id>/cancel")
@login_required
def cancel_request(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="office_or_manage")
    reason = _reason_body(required=True)
    _call(
        session,
        lambda: booking.cancel_request(
            session, actor=_actor(), request=item, reason=reason, now=utcnow()
        ),
    )
    _commit(session)
    session.refresh(item)
    return _view(session, item)


@bp.post("/requests/<int:request_id>/unfillable")
@login_required
def mark_unfillable(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="manage")
    reason = _reason_body(required=True)
    _call(
        session,
        lambda: booking.mark_unfillable(
            session, actor=_actor(), request=item, reason=reason, now=utcnow()
        ),
    )
    _commit(session)
    session.refresh(item)
    return _view(session, item)


@bp.get("/requests/<int:request_id>/candidates")
@kept
@login_required
def get_candidates(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="manage")
    return candidates_json(candidates_for(session, item, utcnow()))


@bp.post("/requests/<int:request_id>/offers")
@login_required
def make_offers(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="manage")
    data = json_object()
    v = Validator()
    v.known_fields(data, ("mediator_ids", "expires_in_minutes"))
    v.required(data, ("mediator_ids",))
    ids: list[int] = []
    raw_ids = (
        v.array(data["mediator_ids"], "mediator_ids", min_items=1, max_items=MAX_OFFER_MEDIATORS)
        if "mediator_ids" in data
        else INVALID
    )
    if raw_ids is not INVALID:
        for index, raw in enumerate(raw_ids):
            value = v.integer(raw, f"mediator_ids[{index}]", minimum=1, maximum=MAX_ID)
            if value is not INVALID and value not in ids:
                ids.append(value)
    expires = None
    if "expires_in_minutes" in data:
        expires = v.integer(
            data["expires_in_minutes"], "expires_in_minutes", minimum=1,
            maximum=MAX_EXPIRY_MINUTES, nullable=True,
        )  # fmt: skip
    v.check()
    mediators = _mediators(v, session, item, ids, "mediator_ids")
    v.check()
    offers = _call(
        session,
        lambda: booking.make_offers(
            session, actor=_actor(), request=item, mediators=mediators, now=utcnow(),
            expires_in_minutes=expires,
        ),
    )  # fmt: skip
    _commit(session)
    return {"items": [offer_json(offer) for offer in offers]}, 201


@bp.post("/requests/<int:request_id>/assignment")
@login_required
def assign_directly(request_id: int):
    session = db_session()
    item = load_request(session, current_user, request_id, need="manage")
    data = json_object()
    v = Validator()
    v.known_fields(data, ("mediator_id", "reason"))
    v.required(data, ("mediator_id",))
    mediator_id = (
        v.integer(data["mediator_id"], "mediator_id", minimum=1, maximum=MAX_ID)
        if "mediator_id" in data
        else INVALID
    )
    reason = _reason(v, data, required=False)
    v.check()
    mediators = _mediators(v, session, item, [mediator_id], "mediator_id")
    v.check()
    assignment = _call(
        session,
        lambda: booking.assign_directly(
            session, actor=_actor(), request=item, mediator=mediators[0], reason=reason,
            now=utcnow(),
        ),
    )  # fmt: skip
    _commit(session)
    session.refresh(assignment)
    return assignment_json(assignment, view="manage"), 201


# --- offers ---------------------------------------------------------------------------------------


@bp.get("/offers")
@login_required
def list_offers():
    session = db_session()
    query = QueryArgs()
    page = page_request(query, "offers")
    status = query.choice("status", OFFER_STATUSES)
    request_id = query.integer("request_id")
    query.check()
    user = current_user
    stmt = select(Offer).options(
        selectinload(Offer.mediator),
        selectinload(Offer.request).selectinload(InterpretingRequest.office),
    )
    if not user.has_role("admin"):
        mediator = own_mediator(session, user)
        scopes = []
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
    if status:
        stmt = stmt.where(Offer.status == status)
    if request_id is not None:
        stmt = stmt.where(Offer.request_id == request_id)
    rows, next_cursor = paginate(session, stmt, Offer.id, page)
    return list_response(rows, offer_json, next_cursor)


def _own_mediator_of(session: Session, offer: Offer) -> Mediator:
    mediator = own_mediator(session, current_user)
    assert mediator is not None and mediator.id == offer.mediator_id  # load_offer(need="own")
    return mediator


@bp.post("/offers/<int:offer_id>/accept")
@login_required
def accept_offer(offer_id: int):
    session = db_session()
    offer = load_offer(session, current_user, offer_id, need="own")
    mediator = _own_mediator_of(session, offer)
    data = json_object()
    v = Validator()
    v.known_fields(data, ("no_conflict_of_interest",))
    v.required(data, ("no_conflict_of_interest",))
    declared = (
        v.boolean(data["no_conflict_of_interest"], "no_conflict_of_interest")
        if "no_conflict_of_interest" in data
        else INVALID
    )
    if declared is False:
        v.fail(
            "no_conflict_of_interest",
            "Must be true: declare that you have no personal relationship to this case.",
        )
    v.check()
    assignment = _call(
        session,
        lambda: booking.accept_offer(
            session, mediator=mediator, offer=offer, no_conflict_of_interest=True, now=utcnow()
        ),
    )
    _commit(session)
    session.refresh(assignment)
    return assignment_json(assignment, view="mediator")


@bp.post("/offers/<int:offer_id>/decline")
@login_required
def decline_offer(offer_id: int):
    session = db_session()
    offer = load_offer(session, current_user, offer_id, need="own")
    mediator = _own_mediator_of(session, offer)
    reason = _reason_body(required=False)
    _call(
        session,
        lambda: booking.decline_offer(
            session, mediator=mediator, offer=offer, now=utcnow(), reason=reason
        ),
    )
    _commit(session)
    session.refresh(offer)
    return offer_json(offer)


@bp.post("/offers/<int:offer_id>/withdraw")
@login_required
def withdraw_offer(offer_id: int):
    session = db_session()
    offer = load_offer(session, current_user, offer_id, need="manage")
    data = optional_json_object()
    v = Validator()
    v.known_fields(data, ())
    v.check()
    _call(
        session, lambda: booking.withdraw_offer(session, actor=_actor(), offer=offer, now=utcnow())
    )
    _commit(session)
    session.refresh(offer)
    return offer_json(offer)


# --- assignments ----------------------------------------------------------------------------------


def _assignment_side(session: Session, assignment: Assignment, allowed: tuple[str, ...]) -> str:
    """Which side the signed-in user acts for: "mediator" (its mediator), "office" (caseworkers
    of its office), "coordination" (coordinators of its pool, admins); 403 for a side not
    ``allowed``."""
    mediator = own_mediator(session, current_user)
    access = request_access(session, current_user, assignment.request)
    if "mediator" in allowed and mediator is not None and mediator.id == assignment.mediator_id:
        return "mediator"
    if "coordination" in allowed and access == "manage":
        return "coordination"
    caseworker = access == "office" or (
        access == "manage" and assignment.request.office_id in current_user.caseworker_office_ids
    )
    if "office" in allowed and caseworker:
        return "office"
    deny("assignment", assignment.id)
    raise AssertionError("unreachable")


def _load_assignment(session: Session, assignment_id: int) -> Assignment:
    return load_assignment(session, current_user, assignment_id)


@bp.post("/assignments/<int:assignment_id>/cancel")
@login_required
def cancel_assignment(assignment_id: int):
    session = db_session()
    assignment = _load_assignment(session, assignment_id)
    side = _assignment_side(session, assignment, ("mediator", "coordination"))
    data = json_object()
    v = Validator()
    v.known_fields(data, ("reason", "conflict_of_interest"))
    reason = _reason(v, data, required=True)
    conflict = (
        v.boolean(data["conflict_of_interest"], "conflict_of_interest")
        if "conflict_of_interest" in data
        else False
    )
    v.check()
    _call(
        session,
        lambda: booking.cancel_assignment(
            session, actor=_actor(), assignment=assignment, side=side, reason=reason,
            now=utcnow(), conflict_of_interest=bool(conflict),
        ),
    )  # fmt: skip
    _commit(session)
    session.refresh(assignment)
    return assignment_json(assignment, view="mediator" if side == "mediator" else "manage")


@bp.post("/assignments/<int:assignment_id>/complete")
@login_required
def complete_assignment(assignment_id: int):
    session = db_session()
    assignment = _load_assignment(session, assignment_id)
    side = _assignment_side(session, assignment, ("mediator", "office"))
    data = json_object()
    v = Validator()
    v.known_fields(data, ("outcome", "duration_minutes", "travel_km", "feedback"))
    v.required(data, ("outcome",))
    outcome = v.choice(data["outcome"], "outcome", OUTCOMES) if "outcome" in data else INVALID
    duration = v.integer(
        data.get("duration_minutes"), "duration_minutes", minimum=0,
        maximum=MAX_DURATION_REPORTED, nullable=True,
    )  # fmt: skip
    travel_km = None
    if "travel_km" in data:
        if side != "mediator":
            v.fail("travel_km", "Only the mediator reports travel.")
        else:
            travel_km = v.integer(
                data["travel_km"], "travel_km", minimum=0, maximum=MAX_TRAVEL_KM, nullable=True
            )
    rating, text = None, None
    if "feedback" in data and data["feedback"] is not None:
        if side != "office":
            v.fail("feedback", "Only the office gives feedback.")
        elif v.object(data["feedback"], "feedback", ("rating", "text")) is not INVALID:
            feedback = data["feedback"]
            v.required(feedback, ("rating",), "feedback")
            if "rating" in feedback:
                rating = v.integer(feedback["rating"], "feedback.rating", minimum=1, maximum=5)
            text = v.text(
                feedback.get("text"), "feedback.text", max_length=booking.MAX_FEEDBACK,
                nullable=True, multiline=True,
            )  # fmt: skip
    v.check()
    _call(
        session,
        lambda: booking.report_outcome(
            session, actor=_actor(), assignment=assignment, side="office" if side == "office"
            else "mediator", outcome=outcome, duration_minutes=duration, now=utcnow(),
            travel_km=travel_km, rating=rating, feedback=text,
        ),
    )  # fmt: skip
    _commit(session)
    session.refresh(assignment)
    return assignment_json(assignment, view=side)
