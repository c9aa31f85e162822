"""API v1: the mediator registry (list, create, read, update, trainings, acknowledgements,
availability, deployability).

Routes are thin: load and authorise through pool/permissions.py, parse the JSON body through its
schema (pool/schemas/mediators.py) before the database sees it, call the services of
pool/services/mediators.py, commit once. A rule of the pool the service refuses is a 422 with its
message.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from pool import audit, deployability
from pool.api import bp
from pool.api.docs import READ_ERRORS, WRITE_ERRORS, Answer, operation
from pool.api.helpers import (
    ApiError,
    actor,
    call,
    commit,
    invalid,
    json_object,
    list_response,
    page_of,
    paginate,
    parse_body,
    parse_query,
    refusal,
    validate,
)
from pool.db import db_session, utcnow
from pool.enums import MediatorStatus, Role
from pool.models import Guideline, Mediator, MediatorLanguage, Office, Pool, Training, User
from pool.permissions import deny, load_mediator, mediator_access, mediator_pool_ids, roles_required
from pool.schemas import mediators as schemas
from pool.services import ServiceError
from pool.services import mediators as registry
from pool.services.accounts import normalise_email

_CONFLICT_EMAIL = {"409": "The e-mail address already belongs to a mediator (`fields.email`)."}
_CONFLICT_NEW_EMAIL = {
    "409": "The new e-mail address already belongs to another mediator or account (`fields.email`)."
}


def _eager() -> list:
    """Everything the Mediator schema reads, in one query per relationship for a whole page."""
    return [
        selectinload(Mediator.languages),
        selectinload(Mediator.domains),
        selectinload(Mediator.training_records),
        selectinload(Mediator.acknowledgements),
        selectinload(Mediator.availability),
        selectinload(Mediator.absences),
    ]


def _read(mediator: Mediator) -> dict[str, Any]:
    return schemas.Mediator.of(mediator).dump()


def _forbidden(mediator: Mediator, message: str) -> NoReturn:
    """A 403 with an explanation, audited like every denied access."""
    audit.record_now(
        current_user.id,
        "access.denied",
        object_type="mediator",
        object_id=mediator.id,
        details={"endpoint": "api.mediators", "method": "write"},
    )
    raise ApiError(403, message)


def _refused(exc: Exception) -> ApiError | None:
    """What the service still refuses for the address is a conflict (e.g. an account that
    already has a mediator record)."""
    error = refusal(exc)
    if error is not None and error.fields and "email" in error.fields:
        error.status = 409
    return error


def _email_conflict(session: Session, email: str, mediator: Mediator | None) -> None:
    """409 when the address belongs to another mediator or, for a change, another account."""
    email = normalise_email(email)
    stmt = select(Mediator.id).where(Mediator.email == email)
    if mediator is not None:
        stmt = stmt.where(Mediator.id != mediator.id)
    taken = session.scalars(stmt).first() is not None
    if not taken and mediator is not None:
        user_stmt = select(User.id).where(User.email == email)
        if mediator.user_id is not None:
            user_stmt = user_stmt.where(User.id != mediator.user_id)
        taken = session.scalars(user_stmt).first() is not None
    if taken:
        message = "This e-mail address is already used by another mediator or account."
        raise ApiError(409, message, fields={"email": [message]})


def _service_values(session: Session, profile: dict[str, Any]) -> dict[str, Any]:
    """The profile fields as the services take them; an unknown office is a field error."""
    values = dict(profile)
    if "languages" in values:
        values["languages"] = [
            registry.LanguageSkill(item.code, item.level, tuple(item.dialects))
            for item in values["languages"]
        ]
    office_id = values.get("employing_office_id")
    if office_id and session.get(Office, office_id) is None:
        raise invalid({"employing_office_id": ["No such office."]})
    return values


# --- list and create ------------------------------------------------------------------------------


@bp.get("/mediators")
@operation(
    operation_id="listMediators",
    summary="Mediators of the caller's pools and of pools that share with them",
    description=(
        "Coordinators see the mediators of the pools they coordinate and of the pools that "
        "share their mediators with those; admins see all. Caseworkers and mediators get "
        "403."
    ),
    tag="mediators",
    query=schemas.MediatorQuery,
    answers={"200": Answer("One page of mediators.", schemas.Mediator, page=True)},
    errors=("400", "401", "403"),
)
@roles_required(Role.COORDINATOR, Role.ADMIN)
def list_mediators():
    session = db_session()
    query = parse_query(schemas.MediatorQuery, kind="mediators")
    stmt = select(Mediator).options(*_eager())
    scope = mediator_pool_ids(session, current_user)
    if scope is not None:
        stmt = stmt.where(Mediator.pool_id.in_(sorted(scope[1])))
    if query.language:
        speakers = select(MediatorLanguage.mediator_id).where(
            MediatorLanguage.language_code == query.language
        )
        stmt = stmt.where(Mediator.id.in_(speakers))
    if query.status:
        stmt = stmt.where(Mediator.status == query.status)
    if query.kind:
        stmt = stmt.where(Mediator.kind == query.kind)
    if query.pool_id is not None:
        stmt = stmt.where(Mediator.pool_id == query.pool_id)
    rows, next_cursor = paginate(session, stmt, Mediator.id, page_of(query, "mediators"))
    return list_response(rows, _read, next_cursor)


@bp.post("/mediators")
@operation(
    operation_id="createMediator",
    summary="Create a mediator (status `applied`) and invite them",
    description=(
        "Coordinators of `pool_id` and admins. A user account with the role `mediator` is "
        "created for the e-mail address and invited to set a password; a person who already"
        " has an account (e.g. a caseworker) gets the role added."
    ),
    tag="mediators",
    body=schemas.MediatorCreate,
    answers={"201": Answer("Created.", schemas.Mediator, headers=("Location",))},
    errors=("400", "401", "403", "409", "415", "422"),
    error_descriptions=_CONFLICT_EMAIL,
)
@roles_required(Role.COORDINATOR, Role.ADMIN)
def create_mediator():
    session = db_session()
    body = parse_body(schemas.MediatorCreate)
    pool = session.get(Pool, body.pool_id)
    if pool is None:
        raise invalid({"pool_id": ["No such pool."]})
    if not (current_user.has_role(Role.ADMIN) or pool.id in current_user.coordinated_pool_ids):
        deny("pool", pool.id)
    values = _service_values(session, body.given())
    values.pop("pool_id")
    _email_conflict(session, values["email"], None)
    mediator = call(
        session,
        lambda: registry.create_mediator(
            session, actor=actor(), pool=pool, values=values, now=utcnow()
        ),
        _refused,
    )
    commit(session)
    return _read(mediator), 201, {"Location": url_for("api.get_mediator", mediator_id=mediator.id)}


# --- one mediator ---------------------------------------------------------------------------------


def _load(mediator_id: int, need: str) -> tuple[Session, Mediator]:
    session = db_session()
    return session, load_mediator(session, current_user, mediator_id, need=need)


@bp.get("/mediators/<int:mediator_id>")
@operation(
    operation_id="getMediator",
    summary="One mediator",
    description=(
        "Coordinators of its pool or of a pool it is shared with, admins, and the mediator "
        "themselves."
    ),
    tag="mediators",
    answers={"200": Answer("The mediator.", schemas.Mediator)},
    errors=READ_ERRORS,
)
@login_required
def get_mediator(mediator_id: int):
    _, mediator = _load(mediator_id, "read")
    return _read(mediator)


def _check_own_fields(mediator: Mediator, sent: set[str]) -> None:
    """A mediator on their own record may change only the self-service fields."""
    refused = sorted(sent - schemas.SELF_FIELDS)
    if refused:
        _forbidden(
            mediator,
            "On your own record you may change only: "
            f"{', '.join(sorted(schemas.SELF_FIELDS))}. The coordination changes "
            f"{', '.join(refused)}.",
        )


def _apply_update(
    session: Session, mediator: Mediator, body: schemas.MediatorUpdate, as_self: bool
) -> None:
    """The profile first, then the checks, then the status."""
    values = _service_values(session, body.profile())
    checks = body.checks.given() if body.checks is not None else {}
    status = body.status
    who, now = actor(), utcnow()
    if values:
        registry.update_mediator(
            session, actor=who, mediator=mediator, values=values, now=now, as_self=as_self
        )
    if checks:
        registry.record_checks(session, actor=who, mediator=mediator, checks=checks, now=now)
    if status and status != mediator.status:
        registry.change_status(
            session, actor=who, mediator=mediator, to_status=status, reason=body.reason, now=now
        )


@bp.patch("/mediators/<int:mediator_id>")
@operation(
    operation_id="updateMediator",
    summary="Change a mediator",
    description=(
        "Coordinators of its pool and admins change any field, `status` (with `reason`) and"
        " `checks`; coordinators of a pool it is only shared with get 403. The mediator on "
        "their own record may change only their contact and profile fields (see the body); "
        "sending any other field is a 403 that names them. The profile is applied first, "
        "then the checks, then the status, all or nothing."
    ),
    tag="mediators",
    body=schemas.MediatorUpdate,
    answers={"200": Answer("The changed mediator.", schemas.Mediator)},
    errors=("400", "401", "403", "404", "409", "415", "422"),
    error_descriptions=_CONFLICT_NEW_EMAIL,
)
@login_required
def update_mediator(mediator_id: int):
    session, mediator = _load(mediator_id, "self_or_manage")
    as_self = mediator_access(session, current_user, mediator) == "self"
    data = json_object()
    if as_self and set(data) <= set(schemas.MediatorUpdate.model_fields):
        _check_own_fields(mediator, set(data))
    body = validate(schemas.MediatorUpdate, data)
    if body.email is not None:
        _email_conflict(session, body.email, mediator)

    def refused(exc: Exception) -> ApiError | None:
        problems = (
            registry.activation_problems(mediator) if body.status == MediatorStatus.ACTIVE else []
        )
        applied = mediator.status == MediatorStatus.APPLIED
        if isinstance(exc, ServiceError) and exc.field == "status" and problems and applied:
            return ApiError(422, exc.message, fields={"status": problems})
        return _refused(exc)

    call(session, lambda: _apply_update(session, mediator, body, as_self), refused)
    commit(session)
    return _read(mediator)


@bp.post("/mediators/<int:mediator_id>/trainings")
@operation(
    operation_id="recordTraining",
    summary="Record a completed training",
    description=(
        "Coordinators of its pool and admins. The expiry follows from the training's "
        "validity. Recording the same completion again changes nothing (200)."
    ),
    tag="mediators",
    body=schemas.TrainingRecordInput,
    answers={
        "200": Answer("This completion was already recorded.", schemas.TrainingRecord),
        "201": Answer("Recorded.", schemas.TrainingRecord),
    },
    errors=WRITE_ERRORS,
)
@login_required
def record_training(mediator_id: int):
    session, mediator = _load(mediator_id, "manage")
    body = parse_body(schemas.TrainingRecordInput)
    training = session.scalars(
        select(Training).where(Training.code == body.training_code, Training.active.is_(True))
    ).first()
    if training is None:
        raise invalid({"training_code": ["No active training with this code."]})
    before = {r.id for r in mediator.training_records}
    record = call(
        session,
        lambda: registry.record_training(
            session, actor=actor(), mediator=mediator, training=training,
            completed_on=body.completed_on, now=utcnow(),
        ),
    )  # fmt: skip
    commit(session)
    return schemas.TrainingRecord.of(record).dump(), 200 if record.id in before else 201


@bp.post("/mediators/<int:mediator_id>/acknowledgements")
@operation(
    operation_id="acknowledgeGuideline",
    summary="Acknowledge the current version of a guideline",
    description=(
        "Only the mediator themselves. Earlier acknowledgements are kept; acknowledging the"
        " same version again changes nothing (200)."
    ),
    tag="mediators",
    body=schemas.AcknowledgementInput,
    answers={
        "200": Answer("This version was already acknowledged.", schemas.Acknowledgement),
        "201": Answer("Acknowledged.", schemas.Acknowledgement),
    },
    errors=WRITE_ERRORS,
)
@login_required
def acknowledge_guideline(mediator_id: int):
    session, mediator = _load(mediator_id, "read")
    if mediator.user_id != current_user.id:
        _forbidden(mediator, "Only the mediator themselves can acknowledge a guideline.")
    body = parse_body(schemas.AcknowledgementInput)
    guideline = session.scalars(
        select(Guideline).where(Guideline.code == body.guideline_code, Guideline.current.is_(True))
    ).first()
    if guideline is None:
        raise invalid({"guideline_code": ["No guideline with this code."]})
    before = {a.id for a in mediator.acknowledgements}
    acknowledgement = call(
        session,
        lambda: registry.acknowledge_guideline(
            session, mediator=mediator, guideline=guideline, now=utcnow()
        ),
    )
    commit(session)
    answer = schemas.Acknowledgement.of(acknowledgement).dump()
    return answer, 200 if acknowledgement.id in before else 201


@bp.put("/mediators/<int:mediator_id>/availability")
@operation(
    operation_id="setAvailability",
    summary="Replace weekly windows, absences and the pause",
    description=(
        "The mediator themselves, coordinators of its pool and admins (a change on the "
        "mediator's behalf is noted in the audit log)."
    ),
    tag="mediators",
    body=schemas.AvailabilityInput,
    answers={"200": Answer("The availability now stored.", schemas.Availability)},
    errors=WRITE_ERRORS,
)
@login_required
def set_availability(mediator_id: int):
    session, mediator = _load(mediator_id, "self_or_manage")
    body = parse_body(schemas.AvailabilityInput)
    weekly = [registry.Window(w.weekday, w.start, w.end) for w in body.weekly]
    absences = [registry.AbsenceValue(a.start_date, a.end_date, a.note) for a in body.absences]
    call(
        session,
        lambda: registry.set_availability(
            session, actor=actor(), mediator=mediator, weekly=weekly, absences=absences,
            paused_until=body.paused_until, now=utcnow(),
        ),
    )  # fmt: skip
    commit(session)
    return schemas.Availability.of(mediator).dump()


@bp.get("/mediators/<int:mediator_id>/deployability")
@operation(
    operation_id="getDeployability",
    summary="Whether the mediator can be deployed on a day, with every reason why not",
    description=("Whoever may read the mediator. The same rule as the pages and matching."),
    tag="mediators",
    query=schemas.DeployabilityQuery,
    answers={"200": Answer("The answer.", schemas.Deployability)},
    errors=("400", "401", "403", "404"),
)
@login_required
def get_deployability(mediator_id: int):
    session, mediator = _load(mediator_id, "read")
    query = parse_query(schemas.DeployabilityQuery)
    on = query.on or registry.today_in_berlin(utcnow())
    result = deployability.check(mediator, deployability.load_context(session), on)
    return schemas.Deployability.of(result, on).dump()
