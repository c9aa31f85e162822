"""API: the hotline — who is reachable by phone now, a mediator's switch, and recording a call."""

from __future__ import annotations

from flask_login import current_user, login_required

from pool.api import bp
from pool.api.docs import Answer, operation
from pool.api.helpers import ApiError, actor, call, commit, parse_body, parse_query, refusal
from pool.db import db_session, utcnow
from pool.enums import Role
from pool.models import Mediator, Office
from pool.permissions import deny, has_any_role, own_mediator
from pool.schemas import hotline as schemas
from pool.schemas import offers as offer_schemas
from pool.schemas.base import MAX_ID
from pool.services import ServiceError, hotline
from pool.services.booking import BookingConflict


@bp.get("/hotline")
@operation(
    operation_id="listHotline",
    summary="Who is reachable by phone now for a language",
    description="Caseworkers (their office's pool and the pools sharing with it) and "
    "coordinators (their pools). Staff first, then volunteers, each by fewest assignments in "
    "the last 90 days.",
    tag="hotline",
    query=schemas.HotlineQuery,
    answers={"200": Answer("The people reachable now, in order.", schemas.HotlineList)},
    errors=("400", "401", "403"),
)
@login_required
def hotline_list():
    if not has_any_role(current_user, Role.CASEWORKER, Role.COORDINATOR):
        deny()
    query = parse_query(schemas.HotlineQuery)
    session = db_session()
    offices = [session.get(Office, i) for i in sorted(current_user.caseworker_office_ids)]
    pool_ids = sorted(
        {o.pool_id for o in offices if o is not None} | set(current_user.coordinated_pool_ids)
    )
    items = hotline.reachable_now(session, pool_ids, query.language, utcnow())
    entries = [
        schemas.HotlineEntry(
            mediator_id=r.mediator.id, name=r.mediator.name, kind=r.mediator.kind, phone=r.phone
        )
        for r in items
    ]
    return schemas.HotlineList(items=entries).dump()


def _until_refused(exc: Exception) -> ApiError | None:
    if isinstance(exc, ServiceError):
        return ApiError(400, "Invalid until.", fields={"until": ["Must be in the next 24 hours."]})
    return None


@bp.put("/mediators/<int:mediator_id>/reachable")
@operation(
    operation_id="setReachable",
    summary='Switch "reachable by phone" on or off',
    description="The mediator themselves only; `until` in the past or over 24 hours ahead: 400.",
    tag="hotline",
    body=schemas.ReachableInput,
    answers={"200": Answer("The switch as stored.", schemas.Reachable)},
    errors=("400", "401", "403", "404", "415", "422"),
)
@login_required
def set_reachable(mediator_id: int):
    session = db_session()
    mediator = session.get(Mediator, mediator_id) if mediator_id <= MAX_ID else None
    if mediator is None:
        raise ApiError(404, "Not found.")
    own = own_mediator(session, current_user)
    if own is None or own.id != mediator.id:
        deny("mediator", mediator_id)
    until = parse_body(schemas.ReachableInput).until
    now = utcnow()
    if until is None:
        call(
            session, lambda: hotline.switch_off(session, actor=actor(), mediator=mediator, now=now)
        )
    else:
        call(
            session,
            lambda: hotline.switch_on(
                session, actor=actor(), mediator=mediator, until=until, now=now
            ),
            _until_refused,
        )
    commit(session)
    return schemas.Reachable(
        mediator_id=mediator.id,
        reachable_from=mediator.reachable_from,
        reachable_until=mediator.reachable_until,
    ).dump()


def _call_refused(exc: Exception) -> ApiError | None:
    if isinstance(exc, BookingConflict):
        return ApiError(409, exc.message)
    if isinstance(exc, ServiceError):
        return ApiError(422, exc.message)
    return refusal(exc)


@bp.post("/hotline/calls")
@operation(
    operation_id="recordHotlineCall",
    summary="Record a phone call as an immediate assignment",
    description="Caseworkers only: a 15-minute phone assignment starting now for the mediator, "
    "who must be reachable now (else 409). The real duration is reported with "
    "`POST /assignments/{id}/complete`.",
    tag="hotline",
    body=schemas.HotlineCallInput,
    answers={"201": Answer("The recorded assignment.", offer_schemas.Assignment)},
    errors=("400", "401", "403", "404", "409", "415", "422"),
)
@login_required
def record_call():
    if not current_user.caseworker_office_ids:
        deny()
    session = db_session()
    body = parse_body(schemas.HotlineCallInput)
    office_ids = sorted(current_user.caseworker_office_ids)
    if body.office_id is not None and body.office_id not in office_ids:
        deny("office", body.office_id)
    office = session.get(Office, body.office_id or office_ids[0])
    mediator = session.get(Mediator, body.mediator_id)
    if office is None or mediator is None:
        raise ApiError(404, "Not found.")
    if mediator.pool_id not in hotline.scope_pool_ids(session, [office.pool_id]):
        raise ApiError(404, "Not found.")
    assignment = call(
        session,
        lambda: hotline.record_call(
            session, actor=actor(), office=office, mediator=mediator, language=body.language,
            now=utcnow(),
        ),
        _call_refused,
    )  # fmt: skip
    commit(session)
    session.refresh(assignment)
    return offer_schemas.Assignment.of(assignment, view="office").dump(), 201
