"""API v1: the mediator registry (list, create, read, update, trainings, acknowledgements,
availability, deployability). Described in pool/api/openapi.py.

Routes are thin: load and authorise through pool/permissions.py, validate the JSON body before the
database sees it (pool/api/helpers.py), call the services of pool/services/mediators.py, commit
once. A rule of the pool the service refuses is a 422 with its message.
"""

from __future__ import annotations

from typing import Any, NoReturn

from flask import url_for
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from pool import audit, deployability
from pool.api import bp
from pool.api.helpers import (
    INVALID,
    MAX_ID,
    ApiError,
    QueryArgs,
    Validator,
    json_object,
    list_response,
    page_request,
    paginate,
    query_date,
    query_matching,
)
from pool.api.serializers import (
    acknowledgement_json,
    availability_json,
    deployability_json,
    mediator_json,
    training_record_json,
)
from pool.db import db_session, utcnow
from pool.languages import is_known
from pool.models import (
    Guideline,
    Mediator,
    MediatorLanguage,
    Office,
    Pool,
    Training,
    TrainingRecord,
    User,
)
from pool.models.mediators import GENDERS, GERMAN_LEVELS, KINDS, LEVELS, MODES, STATUSES
from pool.permissions import (
    deny,
    load_mediator,
    mediator_access,
    mediator_pool_ids,
    roles_required,
)
from pool.services import ServiceError
from pool.services import mediators as registry
from pool.services.accounts import normalise_email

# Fields of a mediator the API reads and writes (``notes`` stays on the coordinators' pages).
PROFILE_FIELDS = (
    "name",
    "email",
    "phone",
    "kind",
    "gender",
    "german_level",
    "languages",
    "domains",
    "modes",
    "municipalities",
    "travel_km",
    "monthly_cap",
    "employing_office_id",
    "supervisor_release_by",
    "supervisor_release_until",
)
CREATE_FIELDS = (*PROFILE_FIELDS, "pool_id")
CREATE_REQUIRED = ("name", "email", "kind", "pool_id", "languages")
UPDATE_FIELDS = (*PROFILE_FIELDS, "status", "reason", "checks")
# What a mediator may change on their own record: the service's rule.
SELF_FIELDS = frozenset(registry.SELF_FIELDS) & set(PROFILE_FIELDS)
LANGUAGE_FIELDS = ("code", "level", "dialects")
WINDOW_FIELDS = ("weekday", "start", "end")
ABSENCE_FIELDS = ("start_date", "end_date", "note")

MAX_LANGUAGES = 20
MAX_DIALECTS = 20
MAX_DOMAINS = 50
MAX_MUNICIPALITIES = 100
MAX_WEEKLY = 50
MAX_ABSENCES = 100


def _eager() -> list:
    """Everything ``mediator_json`` reads, in one query per relationship for a whole page."""
    return [
        selectinload(Mediator.languages),
        selectinload(Mediator.domains),
        selectinload(Mediator.training_records),
        selectinload(Mediator.acknowledgements),
        selectinload(Mediator.availability),
        selectinload(Mediator.absences),
    ]


def _actor() -> User:
    """The signed-in user itself (not the proxy) for the services."""
    return current_user._get_current_object()  # type: ignore[attr-defined]


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


def _service_error(session: Session, exc: ServiceError, status: int = 422) -> NoReturn:
    session.rollback()
    fields = {exc.field: [exc.message]} if exc.field else None
    raise ApiError(status, exc.message, fields=fields)


def _conflict(session: Session) -> NoReturn:
    """A unique key hit by a concurrent change (e.g. the same e-mail address) is a 409."""
    session.rollback()
    raise ApiError(409, "The change conflicts with another record (e.g. the e-mail address).")


def _commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:
        _conflict(session)


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


# --- reading bodies -------------------------------------------------------------------------------


def _languages(v: Validator, value: Any) -> Any:
    items = v.array(value, "languages", max_items=MAX_LANGUAGES)
    if items is INVALID:
        return items
    skills, seen = [], set()
    for index, item in enumerate(items):
        path = f"languages[{index}]"
        if v.object(item, path, LANGUAGE_FIELDS) is INVALID:
            continue
        v.required(item, ("code", "level"), path)
        code = item.get("code")
        if "code" in item and not is_known(code):
            v.fail(f"{path}.code", "Unknown language code (see GET /languages).")
        elif code in seen:
            v.fail(f"{path}.code", "Each language only once.")
        if is_known(code):
            seen.add(code)
        level = v.choice(item.get("level"), f"{path}.level", LEVELS) if "level" in item else None
        dialects = v.text_list(
            item.get("dialects", []),
            f"{path}.dialects",
            max_items=MAX_DIALECTS,
            max_length=60,
        )
        if is_known(code) and level and dialects is not INVALID:
            skills.append(registry.LanguageSkill(code, level, tuple(dialects)))
    return skills


def _profile_values(v: Validator, data: dict[str, Any], session: Session) -> dict[str, Any]:
    """The profile fields present in ``data``, checked and converted for the services."""
    values: dict[str, Any] = {}
    for name in PROFILE_FIELDS:
        if name not in data:
            continue
        raw = data[name]
        if name == "name":
            value = v.text(raw, name, max_length=120)
        elif name == "email":
            value = v.email(raw, name)
        elif name in ("phone", "supervisor_release_by"):
            limit = 40 if name == "phone" else 120
            value = v.text(raw, name, max_length=limit, nullable=True)
        elif name == "kind":
            value = v.choice(raw, name, KINDS)
        elif name == "gender":
            value = v.choice(raw, name, GENDERS, nullable=True)
        elif name == "german_level":
            value = v.choice(raw, name, GERMAN_LEVELS, nullable=True)
        elif name == "languages":
            value = _languages(v, raw)
        elif name == "domains":
            value = v.text_list(raw, name, max_items=MAX_DOMAINS, max_length=40)
        elif name == "modes":
            value = v.text_list(raw, name, max_items=len(MODES), max_length=20)
            if value is not INVALID:
                if not value:
                    value = v.fail(name, "Choose at least one mode.")
                elif set(value) - set(MODES):
                    value = v.fail(name, f"Each must be one of: {', '.join(MODES)}.")
        elif name == "municipalities":
            value = v.text_list(raw, name, max_items=MAX_MUNICIPALITIES, max_length=120)
        elif name in ("travel_km", "monthly_cap"):
            value = v.integer(raw, name, minimum=0, maximum=1000, nullable=True)
        elif name == "employing_office_id":
            value = v.integer(raw, name, minimum=1, maximum=MAX_ID, nullable=True)
            if value and session.get(Office, value) is None:
                value = v.fail(name, "No such office.")
        else:  # supervisor_release_until
            value = v.day(raw, name, nullable=True)
        values[name] = value
    return values


def _checks(v: Validator, value: Any) -> dict[str, Any]:
    if v.object(value, "checks", registry.CHECK_FIELDS) is INVALID:
        return {}
    checks: dict[str, Any] = {}
    for name in registry.CHECK_FIELDS:
        if name not in value:
            continue
        path = f"checks.{name}"
        if name == "police_certificate_no_entry":
            checks[name] = v.boolean(value[name], path)
        else:
            checks[name] = v.day(value[name], path, nullable=True)
    return checks


# --- list and create ------------------------------------------------------------------------------


@bp.get("/mediators")
@roles_required("coordinator", "admin")
def list_mediators():
    session = db_session()
    query = QueryArgs()
    page = page_request(query, "mediators")
    language = query_matching(
        query, "language", is_known, "Unknown language code (see GET /languages)."
    )
    status = query.choice("status", STATUSES)
    kind = query.choice("kind", KINDS)
    pool_id = query.integer("pool_id")
    query.check()
    stmt = select(Mediator).options(*_eager())
    scope = mediator_pool_ids(session, current_user)
    if scope is not None:
        stmt = stmt.where(Mediator.pool_id.in_(sorted(scope[1])))
    if language:
        speakers = select(MediatorLanguage.mediator_id).where(
            MediatorLanguage.language_code == language
        )
        stmt = stmt.where(Mediator.id.in_(speakers))
    if status:
        stmt = stmt.where(Mediator.status == status)
    if kind:
        stmt = stmt.where(Mediator.kind == kind)
    if pool_id is not None:
        stmt = stmt.where(Mediator.pool_id == pool_id)
    rows, next_cursor = paginate(session, stmt, Mediator.id, page)
    return list_response(rows, mediator_json, next_cursor)


@bp.post("/mediators")
@roles_required("coordinator", "admin")
def create_mediator():
    session = db_session()
    data = json_object()
    v = Validator()
    v.known_fields(data, CREATE_FIELDS)
    v.required(data, CREATE_REQUIRED)
    pool_id = v.integer(data.get("pool_id"), "pool_id", minimum=1, maximum=MAX_ID)
    pool = session.get(Pool, pool_id) if pool_id else None
    if pool_id and pool is None:
        v.fail("pool_id", "No such pool.")
    if pool is not None and not (
        current_user.has_role("admin") or pool.id in current_user.coordinated_pool_ids
    ):
        deny("pool", pool.id)
    values = _profile_values(v, data, session)
    v.check()
    assert pool is not None
    _email_conflict(session, values["email"], None)
    try:
        mediator = registry.create_mediator(
            session, actor=_actor(), pool=pool, values=values, now=utcnow()
        )
    except ServiceError as exc:
        # The address was checked above; what the service still refuses for it is a conflict
        # (an account that already has a mediator record).
        _service_error(session, exc, 409 if exc.field == "email" else 422)
    except IntegrityError:
        _conflict(session)
    _commit(session)
    response = mediator_json(mediator)
    return response, 201, {"Location": url_for("api.get_mediator", mediator_id=mediator.id)}


# --- one mediator ---------------------------------------------------------------------------------


def _load(mediator_id: int, need: str) -> tuple[Session, Mediator]:
    session = db_session()
    return session, load_mediator(session, current_user, mediator_id, need=need)


@bp.get("/mediators/<int:mediator_id>")
@login_required
def get_mediator(mediator_id: int):
    _, mediator = _load(mediator_id, "read")
    return mediator_json(mediator)


@bp.patch("/mediators/<int:mediator_id>")
@login_required
def update_mediator(mediator_id: int):
    session, mediator = _load(mediator_id, "self_or_manage")
    as_self = mediator_access(session, current_user, mediator) == "self"
    data = json_object()
    v = Validator()
    v.known_fields(data, UPDATE_FIELDS)
    v.check()
    if as_self:
        refused = sorted(set(data) - SELF_FIELDS)
        if refused:
            _forbidden(
                mediator,
                "On your own record you may change only: "
                f"{', '.join(sorted(SELF_FIELDS))}. The coordination changes "
                f"{', '.join(refused)}.",
            )
    values = _profile_values(v, data, session)
    checks = _checks(v, data["checks"]) if "checks" in data else {}
    status = v.choice(data["status"], "status", STATUSES) if "status" in data else None
    reason = v.text(data.get("reason"), "reason", max_length=500, nullable=True, multiline=True)
    if "reason" in data and "status" not in data:
        v.fail("reason", "Only together with status.")
    v.check()
    if "email" in values:
        _email_conflict(session, values["email"], mediator)
    actor, now = _actor(), utcnow()
    try:
        if values:
            registry.update_mediator(
                session, actor=actor, mediator=mediator, values=values, now=now, as_self=as_self
            )
        if checks:
            registry.record_checks(session, actor=actor, mediator=mediator, checks=checks, now=now)
        if status and status != mediator.status:
            registry.change_status(
                session, actor=actor, mediator=mediator, to_status=status, reason=reason, now=now
            )
    except ServiceError as exc:
        problems = registry.activation_problems(mediator) if status == "active" else []
        if exc.field == "status" and problems and mediator.status == "applied":
            session.rollback()
            raise ApiError(422, exc.message, fields={"status": problems}) from None
        _service_error(session, exc, 409 if exc.field == "email" else 422)
    except IntegrityError:
        _conflict(session)
    _commit(session)
    return mediator_json(mediator)


@bp.post("/mediators/<int:mediator_id>/trainings")
@login_required
def record_training(mediator_id: int):
    session, mediator = _load(mediator_id, "manage")
    data = json_object()
    v = Validator()
    v.known_fields(data, ("training_code", "completed_on"))
    v.required(data, ("training_code", "completed_on"))
    code = v.text(data.get("training_code"), "training_code", max_length=40)
    completed_on = v.day(data.get("completed_on"), "completed_on")
    training = None
    if code:
        training = session.scalars(
            select(Training).where(Training.code == code, Training.active.is_(True))
        ).first()
        if training is None:
            v.fail("training_code", "No active training with this code.")
    v.check()
    assert training is not None
    before = {r.id for r in mediator.training_records}
    try:
        record: TrainingRecord = registry.record_training(
            session, actor=_actor(), mediator=mediator, training=training,
            completed_on=completed_on, now=utcnow(),
        )  # fmt: skip
    except ServiceError as exc:
        _service_error(session, exc)
    except IntegrityError:
        _conflict(session)
    _commit(session)
    return training_record_json(record), 200 if record.id in before else 201


@bp.post("/mediators/<int:mediator_id>/acknowledgements")
@login_required
def acknowledge_guideline(mediator_id: int):
    session, mediator = _load(mediator_id, "read")
    if mediator.user_id != current_user.id:
        _forbidden(mediator, "Only the mediator themselves can acknowledge a guideline.")
    data = json_object()
    v = Validator()
    v.known_fields(data, ("guideline_code",))
    v.required(data, ("guideline_code",))
    code = v.text(data.get("guideline_code"), "guideline_code", max_length=40)
    guideline = None
    if code:
        guideline = session.scalars(
            select(Guideline).where(Guideline.code == code, Guideline.current.is_(True))
        ).first()
        if guideline is None:
            v.fail("guideline_code", "No guideline with this code.")
    v.check()
    assert guideline is not None
    before = {a.id for a in mediator.acknowledgements}
    try:
        acknowledgement = registry.acknowledge_guideline(
            session, mediator=mediator, guideline=guideline, now=utcnow()
        )
    except ServiceError as exc:
        _service_error(session, exc)
    except IntegrityError:
        _conflict(session)
    _commit(session)
    return acknowledgement_json(acknowledgement), 200 if acknowledgement.id in before else 201


@bp.put("/mediators/<int:mediator_id>/availability")
@login_required
def set_availability(mediator_id: int):
    session, mediator = _load(mediator_id, "self_or_manage")
    data = json_object()
    v = Validator()
    v.known_fields(data, ("weekly", "absences", "paused_until"))
    v.required(data, ("weekly", "absences"))
    weekly: list[registry.Window] = []
    for index, item in enumerate(v.array(data.get("weekly"), "weekly", max_items=MAX_WEEKLY) or []):
        path = f"weekly[{index}]"
        if v.object(item, path, WINDOW_FIELDS) is INVALID:
            continue
        v.required(item, WINDOW_FIELDS, path)
        weekday = v.integer(item.get("weekday"), f"{path}.weekday", minimum=0, maximum=6)
        start = v.clock(item.get("start"), f"{path}.start")
        end = v.clock(item.get("end"), f"{path}.end")
        if start and end:
            if start >= end:
                v.fail(f"{path}.end", "Must be after start.")
            elif weekday is not INVALID:
                weekly.append(registry.Window(weekday, start, end))
    absences: list[registry.AbsenceValue] = []
    items = v.array(data.get("absences"), "absences", max_items=MAX_ABSENCES) or []
    for index, item in enumerate(items):
        path = f"absences[{index}]"
        if v.object(item, path, ABSENCE_FIELDS) is INVALID:
            continue
        v.required(item, ("start_date", "end_date"), path)
        start_date = v.day(item.get("start_date"), f"{path}.start_date")
        end_date = v.day(item.get("end_date"), f"{path}.end_date")
        note = v.text(
            item.get("note"), f"{path}.note", max_length=200, nullable=True, multiline=True
        )
        if start_date and end_date:
            if start_date > end_date:
                v.fail(f"{path}.end_date", "Must not be before start_date.")
            elif note is not INVALID:
                absences.append(registry.AbsenceValue(start_date, end_date, note))
    paused_until = v.day(data.get("paused_until"), "paused_until", nullable=True)
    v.check()
    try:
        registry.set_availability(
            session, actor=_actor(), mediator=mediator, weekly=weekly, absences=absences,
            paused_until=paused_until, now=utcnow(),
        )  # fmt: skip
    except ServiceError as exc:
        _service_error(session, exc)
    except IntegrityError:
        _conflict(session)
    _commit(session)
    return availability_json(mediator)


@bp.get("/mediators/<int:mediator_id>/deployability")
@login_required
def get_deployability(mediator_id: int):
    session, mediator = _load(mediator_id, "read")
    query = QueryArgs()
    on = query_date(query, "on")
    query.check()
    on = on or registry.today_in_berlin(utcnow())
    result = deployability.check(mediator, deployability.load_context(session), on)
    return deployability_json(result, on)
