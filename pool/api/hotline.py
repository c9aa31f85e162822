"""API: the hotline — who is reachable by phone now, a mediator's switch, and recording
a call. Described in pool/api/openapi.py."""

from __future__ import annotations

from flask_login import current_user, login_required

from pool.api import bp
from pool.api.helpers import INVALID, MAX_ID, ApiError, QueryArgs, Validator, json_object
from pool.api.serializers import assignment_json
from pool.db import db_session, utcnow
from pool.languages import is_known
from pool.models import Mediator, Office
from pool.permissions import deny, has_any_role, own_mediator
from pool.services import ServiceError, hotline
from pool.services.booking import BookingConflict


def _language(raw: object, name: str = "language") -> str:
    if not is_known(raw):
        raise ApiError(400, "Invalid language.", fields={name: ["Must be a language code."]})
    return str(raw)


@bp.get("/hotline")
@login_required
def hotline_list():
    if not has_any_role(current_user, "caseworker", "coordinator"):
        deny()
    query = QueryArgs()
    raw = query.args.get("language")
    query.check()
    language = _language(raw)
    session = db_session()
    offices = [session.get(Office, i) for i in sorted(current_user.caseworker_office_ids)]
    pool_ids = sorted(
        {o.pool_id for o in offices if o is not None} | set(current_user.coordinated_pool_ids)
    )
    items = hotline.reachable_now(session, pool_ids, language, utcnow())
    return {
        "items": [
            {
                "mediator_id": r.mediator.id,
                "name": r.mediator.name,
                "kind": r.mediator.kind,
                "phone": r.phone,
            }
            for r in items
        ]
    }


@bp.put("/mediators/<int:mediator_id>/reachable")
@login_required
def set_reachable(mediator_id: int):
    session = db_session()
    mediator = session.get(Mediator, mediator_id) if mediator_id <= MAX_ID else None
    if mediator is None:
        raise ApiError(404, "Not found.")
    own = own_mediator(session, current_user)
    if own is None or own.id != mediator.id:
        deny("mediator", mediator_id)
    data = json_object()
    v = Validator()
    v.known_fields(data, ("until",))
    v.required(data, ("until",))
    until = v.timestamp(data.get("until"), "until", nullable=True) if "until" in data else INVALID
    v.check()
    now = utcnow()
    actor = current_user._get_current_object()  # type: ignore[attr-defined]
    try:
        if until is None:
            hotline.switch_off(session, actor=actor, mediator=mediator, now=now)
        else:
            hotline.switch_on(session, actor=actor, mediator=mediator, until=until, now=now)
    except ServiceError:
        session.rollback()
        raise ApiError(
            400, "Invalid until.", fields={"until": ["Must be in the next 24 hours."]}
        ) from None
    session.commit()
    return {
        "mediator_id": mediator.id,
        "reachable_from": mediator.reachable_from.isoformat() if mediator.reachable_from else None,
        "reachable_until": (
            mediator.reachable_until.isoformat() if mediator.reachable_until else None
        ),
    }


@bp.post("/hotline/calls")
@login_required
def record_call():
    if not current_user.caseworker_office_ids:
        deny()
    session = db_session()
    data = json_object()
    v = Validator()
    v.known_fields(data, ("mediator_id", "language", "office_id"))
    v.required(data, ("mediator_id", "language"))
    mediator_id = v.integer(data.get("mediator_id"), "mediator_id", minimum=1, maximum=MAX_ID)
    office_id = v.integer(data.get("office_id"), "office_id", minimum=1, maximum=MAX_ID,
                          nullable=True)  # fmt: skip
    if not is_known(data.get("language")):
        v.fail("language", "Must be a language code.")
    v.check()
    office_ids = sorted(current_user.caseworker_office_ids)
    if office_id is not None and office_id not in office_ids:
        deny("office", office_id)
    office = session.get(Office, office_id or office_ids[0])
    mediator = session.get(Mediator, mediator_id)
    if office is None or mediator is None:
        raise ApiError(404, "Not found.")
    if mediator.pool_id not in hotline.scope_pool_ids(session, [office.pool_id]):
        raise ApiError(404, "Not found.")
    try:
        assignment = hotline.record_call(
            session, actor=current_user._get_current_object(), office=office,  # type: ignore[attr-defined]
            mediator=mediator, language=data["language"], now=utcnow(),
        )  # fmt: skip
    except BookingConflict as exc:
        session.rollback()
        raise ApiError(409, exc.message) from None
    except ServiceError as exc:
        session.rollback()
        raise ApiError(422, exc.message) from None
    session.commit()
    session.refresh(assignment)
    return assignment_json(assignment, view="office"), 201
