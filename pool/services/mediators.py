"""The mediator registry's use cases. Each takes the session, the acting user and ``now``, changes
data, writes audit events (field names only, never values) and flushes; the caller commits.

Permissions are checked by the caller through ``pool/permissions.py``; these functions enforce
the rules of the pool (status changes, activation checks, age and German level).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload

from pool import audit, deployability
from pool.deployability import add_months
from pool.enums import MediatorKind, MediatorStatus, Mode, NotificationCategory, Role
from pool.i18n import BERLIN
from pool.i18n import gettext as _
from pool.languages import is_known
from pool.models import (
    Absence,
    AvailabilityWindow,
    Domain,
    Guideline,
    GuidelineAcknowledgement,
    Mediator,
    MediatorDomain,
    MediatorLanguage,
    MediatorStatusChange,
    Pool,
    Training,
    TrainingRecord,
    User,
    UserRole,
)
from pool.models.mediators import (
    GENDERS,
    GERMAN_LEVELS,
    KINDS,
    LEVELS,
    MODES,
    STATUS_TRANSITIONS,
    level_rank,
)
from pool.outbox import enqueue
from pool.schemas.mediators import MAX_COUNT
from pool.schemas.mediators import SELF_FIELDS as SELF_SERVICE_FIELDS
from pool.services import ServiceError
from pool.services.accounts import normalise_email, send_invitation
from pool.services.users import active_coordinators, create_user
from pool.urls import external_url


class MediatorError(ServiceError):
    """A change to the registry breaks a rule of the pool."""


@dataclass(frozen=True)
class LanguageSkill:
    code: str
    level: str
    dialects: tuple[str, ...] = ()


# Fields a mediator may change on their own record; coordinators may change all PROFILE_FIELDS.
SELF_FIELDS = SELF_SERVICE_FIELDS
PROFILE_FIELDS = SELF_FIELDS | {
    "name", "email", "kind", "employing_office_id", "supervisor_release_by",
    "supervisor_release_until", "notes",
}  # fmt: skip
CHECK_FIELDS = (
    "interview_on",
    "confidentiality_signed_on",
    "obligation_on",
    "police_certificate_seen_on",
    "police_certificate_no_entry",
)


def _actor_id(actor: User | None) -> int | None:
    return actor.id if actor else None


def today_in_berlin(now: datetime) -> date:
    return now.astimezone(BERLIN).date()


def refresh(session: Session, mediators: Iterable[Mediator], now: datetime) -> None:
    """Recompute the stored deployability of ``mediators`` after a change of an input."""
    context = deployability.load_context(session)
    for mediator in mediators:
        deployability.store(mediator, context, today_in_berlin(now))
    session.flush()


def refresh_all(session: Session, now: datetime, *, batch: int = 500) -> int:
    """Recompute every mediator that can be deployed at all (daily, and after a new guideline)."""
    context = deployability.load_context(session)
    today = today_in_berlin(now)
    count, last_id = 0, 0
    while True:
        rows = session.scalars(
            select(Mediator)
            .where(
                Mediator.id > last_id,
                Mediator.status.in_(
                    (MediatorStatus.APPLIED, MediatorStatus.ACTIVE, MediatorStatus.PAUSED)
                ),
            )
            .order_by(Mediator.id)
            .limit(batch)
            .options(*registry_loader_options())
        ).all()
        if not rows:
            return count
        for mediator in rows:
            deployability.store(mediator, context, today)
        session.flush()
        count += len(rows)
        last_id = rows[-1].id


def registry_loader_options() -> list:
    """Eager loading of everything the deployability rule reads (no query per mediator)."""
    return [
        selectinload(Mediator.pool),
        selectinload(Mediator.acknowledgements),
        selectinload(Mediator.training_records),
        selectinload(Mediator.absences),
    ]


# --- values ---------------------------------------------------------------------------------------


def _clean_languages(skills: Sequence[LanguageSkill]) -> list[LanguageSkill]:
    seen: dict[str, LanguageSkill] = {}
    for skill in skills:
        code = skill.code.strip().lower()
        if not is_known(code):
            raise MediatorError(_("Unbekannte Sprache: %(code)s.", code=code), "languages")
        if skill.level not in LEVELS:
            raise MediatorError(_("Bitte wählen Sie ein Sprachniveau."), "languages")
        if code in seen:
            raise MediatorError(_("Jede Sprache bitte nur einmal angeben."), "languages")
        dialects = tuple(d.strip() for d in skill.dialects if d and d.strip())
        seen[code] = LanguageSkill(code, skill.level, dialects[:20])
    if not seen:
        raise MediatorError(_("Bitte geben Sie mindestens eine Sprache an."), "languages")
    return list(seen.values())


def _set_languages(mediator: Mediator, skills: Sequence[LanguageSkill]) -> None:
    wanted = {s.code: s for s in _clean_languages(skills)}
    for row in list(mediator.languages):
        if row.language_code not in wanted:
            mediator.languages.remove(row)
    existing = {row.language_code: row for row in mediator.languages}
    for code, skill in wanted.items():
        current = existing.get(code)
        if current is None:
            mediator.languages.append(
                MediatorLanguage(
                    language_code=code, level=skill.level, dialects=list(skill.dialects)
                )
            )
        else:
            current.level, current.dialects = skill.level, list(skill.dialects)


def _set_domains(session: Session, mediator: Mediator, codes: Iterable[str]) -> None:
    wanted = set(codes)
    known = set(session.scalars(select(Domain.code)))
    unknown = wanted - known
    if unknown:
        raise MediatorError(_("Unbekannter Bereich: %(code)s.", code=sorted(unknown)[0]), "domains")
    for row in list(mediator.domains):
        if row.domain_code not in wanted:
            mediator.domains.remove(row)
    have = {row.domain_code for row in mediator.domains}
    for code in sorted(wanted - have):
        mediator.domains.append(MediatorDomain(domain_code=code))


def _apply_values(session: Session, mediator: Mediator, values: dict, allowed: frozenset) -> list:
    """Set the allowed values; return the names of the fields that changed."""
    refused = set(values) - allowed
    if refused:
        raise MediatorError(
            _(
                "Diese Angaben dürfen Sie nicht ändern: %(fields)s.",
                fields=", ".join(sorted(refused)),
            )
        )
    changed = []
    for name, value in values.items():
        if name == "languages":
            before = [(r.language_code, r.level, list(r.dialects)) for r in mediator.languages]
            _set_languages(mediator, value)
            after = [(r.language_code, r.level, list(r.dialects)) for r in mediator.languages]
            if before != after:
                changed.append(name)
        elif name == "domains":
            domains_before = sorted(mediator.domain_codes)
            _set_domains(session, mediator, value)
            if sorted(mediator.domain_codes) != domains_before:
                changed.append(name)
        elif name == "modes":
            modes = set(value)
            if not modes or modes - set(MODES):
                raise MediatorError(_("Bitte wählen Sie mindestens eine Einsatzart."), "modes")
            flags = {f"mode_{m}": m in modes for m in MODES}
            if any(getattr(mediator, k) != v for k, v in flags.items()):
                for k, v in flags.items():
                    setattr(mediator, k, v)
                changed.append(name)
        else:
            value = _check_scalar(session, mediator, name, value)
            if getattr(mediator, name) != value:
                setattr(mediator, name, value)
                changed.append(name)
    return changed


def _check_email(session: Session, mediator: Mediator, value) -> str:
    if not value or "@" not in value:
        raise MediatorError(_("Bitte geben Sie eine gültige E-Mail-Adresse ein."), "email")
    value = normalise_email(value)
    taken = session.scalars(
        select(Mediator.id).where(Mediator.email == value, Mediator.id != mediator.id)
    ).first()
    if taken:
        raise MediatorError(_("Es gibt schon eine Person mit dieser E-Mail-Adresse."), "email")
    return value


def _check_choice(name: str, value) -> None:
    """The kind is required; gender and German level may stay empty."""
    if name == "kind" and value not in KINDS:
        raise MediatorError(_("Bitte wählen Sie: ehrenamtlich oder Mitarbeiter:in."), "kind")
    if value is None:
        return
    if name == "gender" and value not in GENDERS:
        raise MediatorError(_("Unbekannte Angabe zum Geschlecht."), "gender")
    if name == "german_level" and value not in GERMAN_LEVELS:
        raise MediatorError(_("Bitte wählen Sie ein Deutschniveau."), "german_level")


def _check_scalar(session: Session, mediator: Mediator, name: str, value):
    if isinstance(value, str):
        value = value.strip() or None
    if name == "name" and not value:
        raise MediatorError(_("Bitte geben Sie einen Namen ein."), "name")
    if name == "email":
        value = _check_email(session, mediator, value)
    _check_choice(name, value)
    if (
        name in ("monthly_cap", "travel_km")
        and value is not None
        and (not isinstance(value, int) or not 0 <= value <= MAX_COUNT)
    ):
        raise MediatorError(_("Bitte geben Sie eine Zahl von 0 bis 1000 ein."), name)
    if name == "municipalities":
        value = sorted({m.strip() for m in (value or []) if m and m.strip()})[:100]
    return value


# --- creating -------------------------------------------------------------------------------------


def create_mediator(
    session: Session,
    *,
    actor: User | None,
    pool: Pool,
    values: dict,
    now: datetime,
    invite: bool = True,
) -> Mediator:
    """Create a mediator (status ``applied``) with a user account of role ``mediator``.

    A person who already has an account (e.g. a caseworker who also interprets) gets the role
    added to it. ``invite`` sends the invitation to set a password.
    """
    values = dict(values)
    email = normalise_email(values.pop("email", "") or "")
    name = (values.pop("name", "") or "").strip()
    mediator = Mediator(pool_id=pool.id, pool=pool, name=name, email=email, status=MediatorStatus.APPLIED,
                        created_at=now, updated_at=now, status_changed_at=now,
                        municipalities=[], deployability_codes=[])  # fmt: skip
    _check_scalar(session, mediator, "name", name)
    mediator.email = _check_scalar(session, mediator, "email", email)
    values.setdefault("modes", [Mode.IN_PERSON])
    values.setdefault("languages", [])
    _apply_values(session, mediator, values, PROFILE_FIELDS | {"adult_confirmed", "birth_year",
                                                                "data_consent_at"})  # fmt: skip
    user = session.scalars(select(User).where(User.email == mediator.email)).first()
    if user is None:
        user = create_user(session, actor=actor, email=mediator.email, name=mediator.name,
                           grants=[(Role.MEDIATOR, pool.id, None)], now=now, invite=invite)  # fmt: skip
    else:
        if session.scalars(select(Mediator.id).where(Mediator.user_id == user.id)).first():
            raise MediatorError(_("Diese Person ist schon Sprachmittler:in."), "email")
        if not any(r.role == Role.MEDIATOR and r.pool_id == pool.id for r in user.roles):
            user.roles.append(UserRole(role=Role.MEDIATOR, pool_id=pool.id))
    mediator.user = user
    mediator.status_changes.append(
        MediatorStatusChange(
            from_status=None, to_status=MediatorStatus.APPLIED, actor_id=_actor_id(actor), at=now
        )
    )
    session.add(mediator)
    session.flush()
    audit.record(session, _actor_id(actor), "mediator.created", "mediator", mediator.id)
    refresh(session, [mediator], now)
    return mediator


def apply(session: Session, *, pool: Pool, values: dict, now: datetime) -> Mediator:
    """The public application "Sprachmittler:in werden": checks age and German level kindly,
    creates an ``applied`` mediator (the invitation follows at activation) and tells the pool's
    coordinators."""
    birth_year = values.get("birth_year")
    if not values.get("adult_confirmed") and not (birth_year and now.year - birth_year > 18):
        raise MediatorError(
            _("Bitte bestätigen Sie, dass Sie mindestens 18 Jahre alt sind. "
              "Im Pool können Personen ab 18 Jahren mitmachen. Wenn Sie jünger sind: Vielen Dank "
              "für Ihr Interesse! Melden Sie sich gern wieder, wenn Sie 18 sind."),
            "adult_confirmed",
        )  # fmt: skip
    if birth_year and now.year - birth_year < 18:
        raise MediatorError(
            _("Im Pool können Personen ab 18 Jahren mitmachen. Melden Sie sich gern wieder, "
              "wenn Sie 18 sind."),
            "birth_year",
        )  # fmt: skip
    if level_rank(values.get("german_level")) < level_rank(pool.min_german_level):
        raise MediatorError(
            _("Für die Sprachmittlung braucht man Deutsch mindestens auf Niveau %(level)s. Ein "
              "Deutschkurs hilft Ihnen dabei – danach freuen wir uns auf Ihre Bewerbung.",
              level=pool.min_german_level),
            "german_level",
        )  # fmt: skip
    if not values.get("data_consent_at"):
        raise MediatorError(_("Bitte stimmen Sie der Verarbeitung Ihrer Daten zu."), "data_consent")
    email = normalise_email(values.get("email") or "")
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        # An anonymous form must never attach itself to an existing account (an admin's, say);
        # the coordination links such a person by hand.
        raise MediatorError(_("Zu dieser E-Mail-Adresse gibt es schon einen Zugang."), "email")
    mediator = create_mediator(session, actor=None, pool=pool, values=values, now=now, invite=False)
    audit.record(session, None, "mediator.applied", "mediator", mediator.id)
    for coordinator in active_coordinators(session, pool.id):
        enqueue(
            session,
            key=f"application:{mediator.id}:{coordinator.id}",
            template="application_received",
            recipient=coordinator.email,
            context={
                "coordinator": coordinator,
                "pool": pool,
                "link": external_url("mediators.detail", mediator_id=mediator.id),
            },
            locale=coordinator.locale,
            now=now,
            user=coordinator,
            category=NotificationCategory.COORDINATION,
        )
    return mediator


# --- changing -------------------------------------------------------------------------------------


def update_mediator(
    session: Session, *, actor: User, mediator: Mediator, values: dict, now: datetime,
    as_self: bool = False,
) -> list[str]:  # fmt: skip
    """Change profile fields; a mediator on their own record may change only SELF_FIELDS."""
    changed = _apply_values(session, mediator, values, SELF_FIELDS if as_self else PROFILE_FIELDS)
    if changed:
        mediator.updated_at = now
        if "email" in changed and mediator.user is not None:
            mediator.user.email = mediator.email
        if "name" in changed and mediator.user is not None:
            mediator.user.name = mediator.name
        audit.record(session, actor.id, "mediator.updated", "mediator", mediator.id,
                     {"fields": changed, "by_self": as_self})  # fmt: skip
        refresh(session, [mediator], now)
    return changed


def record_checks(
    session: Session, *, actor: User, mediator: Mediator, checks: dict, now: datetime
) -> list[str]:
    """Record the checks of a mediator. Of the police certificate only the date seen and
    "no relevant entry" are kept, never the document."""
    unknown = set(checks) - set(CHECK_FIELDS)
    if unknown:
        raise MediatorError(_("Unbekannte Angabe: %(field)s.", field=sorted(unknown)[0]))
    today = today_in_berlin(now)
    changed = []
    for name, value in checks.items():
        if isinstance(value, date) and value > today:
            raise MediatorError(_("Das Datum darf nicht in der Zukunft liegen."), name)
        if name == "police_certificate_no_entry":
            value = bool(value)
        if getattr(mediator, name) != value:
            setattr(mediator, name, value)
            changed.append(name)
    if mediator.police_certificate_no_entry and mediator.police_certificate_seen_on is None:
        raise MediatorError(
            _("Bitte geben Sie an, wann das Führungszeugnis eingesehen wurde."),
            "police_certificate_seen_on",
        )
    if changed:
        mediator.updated_at = now
        audit.record(session, actor.id, "mediator.checks_recorded", "mediator", mediator.id,
                     {"fields": changed})  # fmt: skip
        refresh(session, [mediator], now)
    return changed


def activation_problems(mediator: Mediator) -> list[str]:
    problems = []
    if mediator.interview_on is None:
        problems.append(_("Das Erstgespräch ist nicht eingetragen."))
    if mediator.confidentiality_signed_on is None:
        problems.append(_("Die Verschwiegenheitserklärung ist nicht eingetragen."))
    if mediator.pool.requires_formal_obligation and mediator.obligation_on is None:
        problems.append(_("Die förmliche Verpflichtung ist nicht eingetragen."))
    return problems


def change_status(
    session: Session, *, actor: User, mediator: Mediator, to_status: str, reason: str | None,
    now: datetime,
) -> None:  # fmt: skip
    if to_status not in STATUS_TRANSITIONS.get(mediator.status, ()):
        raise MediatorError(_("Dieser Statuswechsel ist nicht möglich."), "status")
    if to_status == MediatorStatus.ACTIVE and mediator.status == MediatorStatus.APPLIED:
        problems = activation_problems(mediator)
        if problems:
            raise MediatorError(
                _("Freischalten geht noch nicht: %(problems)s", problems=" ".join(problems)),
                "status",
            )
    reason = (reason or "").strip() or None
    if (
        to_status in (MediatorStatus.REJECTED, MediatorStatus.LEFT, MediatorStatus.PAUSED)
        and not reason
    ):
        raise MediatorError(_("Bitte geben Sie einen Grund an."), "reason")
    mediator.status_changes.append(
        MediatorStatusChange(from_status=mediator.status, to_status=to_status,
                             actor_id=actor.id, reason=reason, at=now)
    )  # fmt: skip
    previous, mediator.status = mediator.status, to_status
    mediator.status_changed_at = mediator.updated_at = now
    audit.record(session, actor.id, "mediator.status_changed", "mediator", mediator.id,
                 {"from": previous, "to": to_status})  # fmt: skip
    user = mediator.user
    if to_status == MediatorStatus.ACTIVE and user is not None and user.password_hash is None:
        send_invitation(session, user, inviter=actor, now=now)
    refresh(session, [mediator], now)


def record_training(
    session: Session, *, actor: User, mediator: Mediator, training: Training, completed_on: date,
    now: datetime,
) -> TrainingRecord:  # fmt: skip
    if completed_on > today_in_berlin(now):
        raise MediatorError(_("Das Datum darf nicht in der Zukunft liegen."), "completed_on")
    for existing in mediator.training_records:
        if existing.training_id == training.id and existing.completed_on == completed_on:
            return existing
    expires_on = (
        add_months(completed_on, training.validity_months) if training.validity_months else None
    )
    record = TrainingRecord(training=training, completed_on=completed_on, expires_on=expires_on,
                            recorded_by_id=actor.id, recorded_at=now)  # fmt: skip
    mediator.training_records.append(record)
    session.flush()
    audit.record(session, actor.id, "mediator.training_recorded", "mediator", mediator.id,
                 {"training": training.code})  # fmt: skip
    refresh(session, [mediator], now)
    return record


def acknowledge_guideline(
    session: Session, *, mediator: Mediator, guideline: Guideline, now: datetime
) -> GuidelineAcknowledgement:
    """The mediator confirms the current version of a guideline (history is kept)."""
    if not guideline.current:
        raise MediatorError(_("Es gibt eine neuere Fassung. Bitte bestätigen Sie diese."))
    existing = next((a for a in mediator.acknowledgements if a.guideline_id == guideline.id), None)
    if existing is not None and not deployability.acknowledgement_expired(
        existing, guideline, today_in_berlin(now)
    ):
        return existing
    if existing is not None:
        # Renewed after ``valid_months``: one row per mediator and version, so it moves on.
        existing.acknowledged_at = now
        acknowledgement = existing
    else:
        acknowledgement = GuidelineAcknowledgement(guideline=guideline, acknowledged_at=now)
        mediator.acknowledgements.append(acknowledgement)
    session.flush()
    audit.record(session, mediator.user_id, "mediator.guideline_acknowledged", "mediator",
                 mediator.id, {"guideline": guideline.code, "version": guideline.version})  # fmt: skip
    refresh(session, [mediator], now)
    return acknowledgement


def publish_guideline(
    session: Session, *, actor: User, code: str, title: str, body_markdown: str, mandatory: bool,
    now: datetime,
) -> Guideline:  # fmt: skip
    """Publish a new version; everyone has to acknowledge it again."""
    code = code.strip().lower()
    previous = session.scalars(
        select(Guideline).where(Guideline.code == code).order_by(Guideline.version.desc())
    ).first()
    for old in session.scalars(select(Guideline).where(Guideline.code == code, Guideline.current)):
        old.current = False
    guideline = Guideline(code=code, version=(previous.version + 1) if previous else 1,
                          title=title.strip(), body_markdown=body_markdown, mandatory=mandatory,
                          current=True, published_at=now, published_by_id=actor.id)  # fmt: skip
    session.add(guideline)
    session.flush()
    audit.record(session, actor.id, "guideline.published", "guideline", guideline.id,
                 {"code": code, "version": guideline.version})  # fmt: skip
    refresh_all(session, now)
    return guideline


@dataclass(frozen=True)
class Window:
    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class AbsenceValue:
    start_date: date
    end_date: date
    note: str | None = None


def set_availability(
    session: Session, *, actor: User, mediator: Mediator, weekly: Sequence[Window],
    absences: Sequence[AbsenceValue], paused_until: date | None, now: datetime,
) -> None:  # fmt: skip
    """Replace weekly windows, absences and the pause. A coordinator's change is noted."""
    for window in weekly:
        if not 0 <= window.weekday <= 6:
            raise MediatorError(_("Unbekannter Wochentag."), "weekly")
        if window.start >= window.end:
            raise MediatorError(_("Das Ende muss nach dem Beginn liegen."), "weekly")
    for absence in absences:
        if absence.start_date > absence.end_date:
            raise MediatorError(
                _("Das Ende der Abwesenheit muss nach dem Beginn liegen."), "absences"
            )
    if len(weekly) > 50 or len(absences) > 100:
        raise MediatorError(_("Zu viele Einträge."))
    mediator.availability = [AvailabilityWindow(weekday=w.weekday, start=w.start, end=w.end)
                             for w in sorted(weekly, key=lambda w: (w.weekday, w.start))]  # fmt: skip
    mediator.absences = [
        Absence(
            start_date=a.start_date, end_date=a.end_date, note=(a.note or "").strip()[:200] or None
        )
        for a in sorted(absences, key=lambda a: a.start_date)
    ]
    mediator.paused_until = paused_until
    mediator.updated_at = now
    on_behalf = actor.id != mediator.user_id
    if not on_behalf:
        # The mediator looked at their availability (saving it unchanged counts, too).
        mediator.availability_reviewed_at = now
    session.flush()
    audit.record(session, actor.id, "mediator.availability_changed", "mediator", mediator.id,
                 {"on_behalf": on_behalf})  # fmt: skip
    refresh(session, [mediator], now)


def purge_rejected(session: Session, now: datetime) -> int:
    """Delete rejected applicants after their pool's retention time."""
    rows = session.execute(
        select(Mediator, Pool.rejected_retention_days)
        .join(Pool, Pool.id == Mediator.pool_id)
        .where(Mediator.status == MediatorStatus.REJECTED)
    ).all()
    deleted = 0
    for mediator, days in rows:
        if mediator.status_changed_at + timedelta(days=days) > now:
            continue
        user = mediator.user
        audit.record(session, None, "mediator.deleted_after_rejection", "mediator", mediator.id)
        session.delete(mediator)
        if user is not None:
            session.execute(
                delete(UserRole).where(UserRole.user_id == user.id, UserRole.role == Role.MEDIATOR)
            )
            session.flush()
            session.refresh(user)
            if not user.roles:
                session.delete(user)
        deleted += 1
    session.flush()
    return deleted


# --- the coordinators' list (appended for the registry views) -------------------------------------


@dataclass(frozen=True)
class RegistryFilter:
    """What the coordinators' list is filtered by; empty values filter nothing."""

    text: str = ""
    language: str = ""
    dialect: str = ""
    status: str = ""
    kind: str = ""
    municipality: str = ""
    domain: str = ""
    deployable: bool | None = None
    pool_id: int | None = None


def _json_text_contains(column, text: str):
    """A case-insensitive substring test on the JSON text of a list column.

    The JSON serialiser escapes non-ASCII characters (``ä`` is stored as ``\\u00e4``), and SQLite's
    ``lower()`` folds ASCII only, so the common spellings of ``text`` are tried raw and escaped.
    """
    import json

    from sqlalchemy import String, cast, func, or_

    variants = {text, text.lower(), text.upper(), text.capitalize(), text.title()}
    patterns = set()
    for variant in variants:
        patterns.add(variant.lower())
        patterns.add(json.dumps(variant)[1:-1].lower())
    haystack = func.lower(cast(column, String))
    return or_(*(haystack.contains(p, autoescape=True) for p in sorted(patterns)))


def registry_query(pool_ids: Iterable[int] | None, filters: RegistryFilter):
    """``select(Mediator)`` of the pools ``pool_ids`` (``None``: all) narrowed by ``filters``.

    Every filter is a condition on indexed columns or a subquery, so the cost of a page does not
    depend on how many rows match."""
    from sqlalchemy import func, or_

    query = select(Mediator)
    if pool_ids is not None:
        query = query.where(Mediator.pool_id.in_(sorted(pool_ids)))
    if filters.pool_id is not None:
        query = query.where(Mediator.pool_id == filters.pool_id)
    text = filters.text.strip()
    if text:
        query = query.where(
            or_(
                func.lower(Mediator.name).contains(text.lower(), autoescape=True),
                Mediator.name.contains(text, autoescape=True),
                Mediator.email.contains(text.lower(), autoescape=True),
            )
        )
    if filters.language or filters.dialect.strip():
        languages = select(MediatorLanguage.mediator_id)
        if filters.language:
            languages = languages.where(MediatorLanguage.language_code == filters.language)
        if filters.dialect.strip():
            languages = languages.where(
                _json_text_contains(MediatorLanguage.dialects, filters.dialect.strip())
            )
        query = query.where(Mediator.id.in_(languages))
    if filters.status:
        query = query.where(Mediator.status == filters.status)
    if filters.kind:
        query = query.where(Mediator.kind == filters.kind)
    if filters.municipality.strip():
        query = query.where(
            _json_text_contains(Mediator.municipalities, filters.municipality.strip())
        )
    if filters.domain:
        query = query.where(
            Mediator.id.in_(
                select(MediatorDomain.mediator_id).where(
                    MediatorDomain.domain_code == filters.domain
                )
            )
        )
    if filters.deployable is not None:
        query = query.where(Mediator.deployable.is_(filters.deployable))
    return query


def registry_order(query, sort: str):
    """Order ``registry_query`` rows by name, status (workflow order) or newest first."""
    from sqlalchemy import case, func

    if sort == "newest":
        return query.order_by(Mediator.created_at.desc(), Mediator.id.desc())
    if sort == "status":
        rank = case(
            {status: index for index, status in enumerate(STATUS_TRANSITIONS)},
            value=Mediator.status,
            else_=99,
        )
        return query.order_by(rank, func.lower(Mediator.name), Mediator.id)
    return query.order_by(func.lower(Mediator.name), Mediator.id)


def record_staff_consent(
    session: Session, *, actor: User, mediator: Mediator, given: bool, now: datetime
) -> bool:
    """Record (or withdraw) a staff member's consent to take part; True if it changed."""
    if mediator.kind != MediatorKind.STAFF:
        raise MediatorError(_("Nur Mitarbeitende der Verwaltung geben diese Einwilligung."))
    if given == (mediator.staff_consent_at is not None):
        return False
    mediator.staff_consent_at = now if given else None
    mediator.updated_at = now
    audit.record(session, actor.id, "mediator.updated", "mediator", mediator.id,
                 {"fields": ["staff_consent_at"], "by_self": actor.id == mediator.user_id})  # fmt: skip
    refresh(session, [mediator], now)
    return True
