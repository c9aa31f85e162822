"""Data protection: what is stored about a mediator (export), erasing a mediator who left, and
the daily retention job (docs/architecture.md, "Security model").

What stays and what goes is decided here, in one place, and shown to admins on the record of
processing page (``retention_rules``):

* Erasure keeps every row that statistics count (the mediator row with kind, status, pool,
  languages and levels, domains, status history without reasons; offers, assignments and
  requests; payouts for the accounting period). Everything that names or describes the person
  is removed or replaced: name, e-mail, phone, gender, birth year, municipalities, notes,
  dialects, staff release, consents, availability, absences, trainings, acknowledgements,
  case exclusions, free texts of their offers and assignments, their account's name, e-mail,
  password, tokens and calendar address, and every message to or about them.
* The police-certificate record (date seen, no entry) is deleted 3 months after leaving.
* The retention job anonymises finished requests after the pool's ``retention_months``, deletes
  message bodies after ``OUTBOX_BODY_RETENTION_DAYS``, pseudonymises audit events after
  ``AUDIT_RETENTION_MONTHS`` (the client address and the details go; who — as an account id —,
  what, which object and when stay) and deletes payouts after ``PAYOUT_RETENTION_YEARS``.
* Notes of debrief requests go 90 days after the request was done, at the latest after a year;
  on erasure at once (pool/services/debriefs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, delete, func, null, or_, select, update
from sqlalchemy.orm import Session

from pool import audit
from pool.auth import sessions
from pool.db import rowcount
from pool.deployability import add_months, add_years
from pool.enums import AssignmentStatus, MediatorStatus, OutboxStatus, RequestStatus, Role
from pool.i18n import gettext as _
from pool.models import (
    Absence,
    ApiToken,
    Assignment,
    AuditEvent,
    AvailabilityWindow,
    CaseExclusion,
    GuidelineAcknowledgement,
    ImportJob,
    InterpretingRequest,
    Mediator,
    MediatorStatusChange,
    Offer,
    Office,
    OneTimeToken,
    OutboxMessage,
    Pool,
    TrainingRecord,
    User,
    UserRole,
)
from pool.models.allowances import Payout, PayoutItem
from pool.services import ServiceError, debriefs

ERASED_SUBJECT = "[gelöscht]"
FINISHED_REQUEST_STATUSES = (
    RequestStatus.COMPLETED,
    RequestStatus.CANCELLED,
    RequestStatus.UNFILLED,
)
SENT_OUTBOX_STATUSES = (OutboxStatus.SENT, OutboxStatus.DIGESTED, OutboxStatus.FAILED)
POLICE_CERTIFICATE_KEEP_MONTHS = 3


class PrivacyError(ServiceError):
    pass


def months_before(now: datetime, months: int) -> datetime:
    return datetime.combine(add_months(now.date(), -months), now.timetz())


def erased_name(mediator_id: int) -> str:
    return f"Gelöschte Person #{mediator_id}"


def erased_email(kind: str, object_id: int) -> str:
    return f"erased-{kind}-{object_id}@invalid"


# --- export ---------------------------------------------------------------------------------------


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _row(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: _iso(getattr(obj, name)) for name in fields}


PROFILE_FIELDS = (
    "id", "kind", "status", "name", "email", "phone", "gender", "german_level", "birth_year",
    "adult_confirmed", "municipalities", "travel_km", "mode_in_person", "mode_phone",
    "mode_video", "monthly_cap", "notes", "data_consent_at", "interview_on",
    "confidentiality_signed_on", "obligation_on", "police_certificate_seen_on",
    "police_certificate_no_entry", "supervisor_release_by", "supervisor_release_until",
    "staff_consent_at", "paused_until", "availability_reviewed_at", "deployable",
    "created_at", "updated_at",
)  # fmt: skip
REQUEST_FIELDS = ("language_code", "starts_at", "ends_at", "mode", "municipality",
                  "domain_code", "setting")  # fmt: skip
ASSIGNMENT_FIELDS = ("id", "status", "starts_at", "ends_at", "created_at", "cancelled_at",
                     "cancelled_by", "short_notice", "mediator_outcome",
                     "mediator_duration_minutes", "travel_km", "office_outcome",
                     "feedback_rating", "attendance_confirmed_at", "completed_at")  # fmt: skip


def export_mediator(session: Session, mediator: Mediator) -> dict[str, Any]:
    """Everything stored about the mediator, as plain JSON values. Requests appear with what the
    mediator was shown about them (no case reference, notes or the office's free texts)."""
    user = mediator.user
    requests = {}

    def request_of(obj: Offer | Assignment) -> dict[str, Any]:
        if obj.request_id not in requests:
            req = obj.request
            requests[obj.request_id] = {
                "id": req.id,
                "office": req.office.name,
                **_row(req, REQUEST_FIELDS),
            }
        return requests[obj.request_id]

    offers = session.scalars(
        select(Offer).where(Offer.mediator_id == mediator.id).order_by(Offer.id)
    ).all()
    assignments = session.scalars(
        select(Assignment).where(Assignment.mediator_id == mediator.id).order_by(Assignment.id)
    ).all()
    message_filter = [OutboxMessage.recipient == mediator.email]
    audit_filter: list[ColumnElement[bool]] = [
        (AuditEvent.object_type == "mediator") & (AuditEvent.object_id == mediator.id)
    ]
    if user is not None:
        message_filter.append(OutboxMessage.user_id == user.id)
        audit_filter += [
            (AuditEvent.object_type == "user") & (AuditEvent.object_id == user.id),
            AuditEvent.actor_id == user.id,
        ]
    messages = session.scalars(
        select(OutboxMessage).where(or_(*message_filter)).order_by(OutboxMessage.id)
    ).all()
    events = session.scalars(
        select(AuditEvent).where(or_(*audit_filter)).order_by(AuditEvent.id)
    ).all()
    return {
        "profile": {"pool": mediator.pool.name, **_row(mediator, PROFILE_FIELDS)},
        "account": None
        if user is None
        else {
            **_row(user, ("id", "name", "email", "locale", "created_at", "last_login_at")),
            "roles": user.role_names,
            "calendar_feed": user.calendar_token_hash is not None,
        },
        "languages": [_row(x, ("language_code", "level", "dialects")) for x in mediator.languages],
        "domains": mediator.domain_codes,
        "trainings": [
            {"training": r.training.name, **_row(r, ("completed_on", "expires_on"))}
            for r in mediator.training_records
        ],
        "acknowledgements": [
            {
                "guideline": a.guideline.title,
                "version": a.guideline.version,
                "acknowledged_at": _iso(a.acknowledged_at),
            }
            for a in mediator.acknowledgements
        ],  # fmt: skip
        "availability": [_row(w, ("weekday", "start", "end")) for w in mediator.availability],
        "absences": [_row(a, ("start_date", "end_date", "note")) for a in mediator.absences],
        "status_history": [
            _row(c, ("from_status", "to_status", "reason", "at")) for c in mediator.status_changes
        ],
        "offers": [
            {
                **_row(
                    o,
                    ("id", "status", "created_at", "expires_at", "responded_at", "decline_reason"),
                ),
                "request": request_of(o),
            }
            for o in offers
        ],  # fmt: skip
        "assignments": [
            {**_row(a, ASSIGNMENT_FIELDS), "request": request_of(a)} for a in assignments
        ],
        "debrief_requests": debriefs.export_rows(session, mediator),
        "messages": [
            _row(m, ("kind", "subject", "recipient", "status", "created_at", "sent_at"))
            for m in messages
        ],
        "audit_events": [
            _row(e, ("at", "action", "object_type", "object_id", "details")) for e in events
        ],
    }


# --- erasure --------------------------------------------------------------------------------------


def _blank_messages(session: Session, condition) -> int:
    return rowcount(
        session.execute(
            update(OutboxMessage)
            .where(condition)
            .values(subject=ERASED_SUBJECT, body_text="", body_html=None, calendar=None)
            .execution_options(synchronize_session=False)
        )
    )


def erase_mediator(session: Session, *, actor: User, mediator: Mediator, now: datetime) -> None:
    """Remove or replace the personal data of a mediator who left; counts stay (module doc)."""
    if mediator.erased_at is not None:
        raise PrivacyError(_("Die Daten dieser Person sind bereits gelöscht."))
    if mediator.status != MediatorStatus.LEFT:
        raise PrivacyError(_("Nur Personen mit dem Status „ausgeschieden“ können gelöscht werden."))
    open_assignments = session.scalar(
        select(func.count()).where(
            Assignment.mediator_id == mediator.id, Assignment.status == AssignmentStatus.CONFIRMED
        )
    )
    if open_assignments:
        raise PrivacyError(
            _("Die Person hat noch bestätigte Einsätze. Bitte sagen Sie diese zuerst ab.")
        )
    old_name, old_email, mid = mediator.name, mediator.email, mediator.id

    # Messages to the person, and messages to others that name them (e.g. to coordinators).
    needles = [old_email, old_name]
    if mediator.phone:
        needles.append(mediator.phone)
    mentions = [
        column.contains(needle, autoescape=True)
        for needle in needles
        for column in (OutboxMessage.subject, OutboxMessage.body_text)
    ]
    recipient = [OutboxMessage.recipient == old_email]
    user = mediator.user
    if user is not None:
        recipient.append(OutboxMessage.user_id == user.id)
    _blank_messages(session, or_(*recipient, *mentions))
    session.execute(
        update(OutboxMessage)
        .where(or_(*recipient))
        .values(recipient=erased_email("mediator", mid))
        .execution_options(synchronize_session=False)
    )

    for model in (AvailabilityWindow, Absence, TrainingRecord, GuidelineAcknowledgement,
                  CaseExclusion):  # fmt: skip
        session.execute(delete(model).where(model.mediator_id == mid))
    session.execute(
        update(MediatorStatusChange)
        .where(MediatorStatusChange.mediator_id == mid)
        .values(reason=None)
    )
    session.execute(update(Offer).where(Offer.mediator_id == mid).values(decline_reason=None))
    debriefs.clear_mediator_notes(session, mid)
    session.execute(
        update(Assignment)
        .where(Assignment.mediator_id == mid)
        .values(feedback_text=None, cancel_reason=None, assign_reason=None)
    )
    for language in mediator.languages:
        language.dialects = []

    mediator.name = erased_name(mid)
    mediator.email = erased_email("mediator", mid)
    for field in ("phone", "gender", "birth_year", "travel_km", "monthly_cap", "notes",
                  "data_consent_at", "supervisor_release_by", "supervisor_release_until",
                  "staff_consent_at", "paused_until", "availability_reviewed_at",
                  "employing_office_id"):  # fmt: skip
        setattr(mediator, field, None)
    mediator.municipalities = []
    mediator.deployable = False
    mediator.deployability_codes = []
    mediator.erased_at = mediator.updated_at = now

    if user is not None:
        _erase_account(session, user, now)
    session.expire(mediator, ["status_changes", "training_records", "acknowledgements",
                              "availability", "absences"])  # fmt: skip
    audit.record(session, actor.id, "mediator.erased", "mediator", mid)


def _erase_account(session: Session, user: User, now: datetime) -> None:
    """A mediator-only account is deactivated and stripped; an account with other roles (e.g. a
    staff member who is also a caseworker) only loses its mediator role."""
    session.execute(
        delete(UserRole).where(UserRole.user_id == user.id, UserRole.role == Role.MEDIATOR)
    )
    session.expire(user, ["roles"])
    if user.roles:
        return
    session.execute(delete(ApiToken).where(ApiToken.user_id == user.id))
    session.execute(delete(OneTimeToken).where(OneTimeToken.user_id == user.id))
    session.execute(update(AuditEvent).where(AuditEvent.actor_id == user.id).values(address=None))
    user.name = f"Gelöschtes Konto #{user.id}"
    user.email = erased_email("user", user.id)
    user.password_hash = None
    user.active = False
    user.session_version += 1
    sessions.end_all(session, user)
    user.locale = None
    user.last_login_at = None
    user.calendar_token_hash = None
    user.calendar_token_created_at = None
    user.quiet_from = user.quiet_until = None
    user.digest_categories = []


# --- retention ------------------------------------------------------------------------------------


def anonymise_finished_requests(session: Session, now: datetime) -> int:
    """Free texts of requests that ended more than the pool's retention months ago."""
    done = 0
    for pool_id, months in session.execute(select(Pool.id, Pool.retention_months)).all():
        cutoff = months_before(now, months)
        ids = select(InterpretingRequest.id).where(
            InterpretingRequest.pool_id == pool_id,
            InterpretingRequest.status.in_(FINISHED_REQUEST_STATUSES),
            InterpretingRequest.starts_at < cutoff,  # bounds the index range
            InterpretingRequest.ends_at < cutoff,
            or_(
                InterpretingRequest.case_ref.is_not(None),
                InterpretingRequest.notes.is_not(None),
                InterpretingRequest.address.is_not(None),
                InterpretingRequest.urgent_reason.is_not(None),
                InterpretingRequest.cancel_reason.is_not(None),
                InterpretingRequest.unfillable_reason.is_not(None),
            ),
        )
        request_ids = list(session.scalars(ids))
        for start in range(0, len(request_ids), 500):
            chunk = request_ids[start : start + 500]
            session.execute(
                update(InterpretingRequest)
                .where(InterpretingRequest.id.in_(chunk))
                .values(case_ref=None, notes=None, address=None, urgent_reason=None,
                        cancel_reason=None, unfillable_reason=None)
                .execution_options(synchronize_session=False)
            )  # fmt: skip
            session.execute(
                update(Assignment)
                .where(Assignment.request_id.in_(chunk))
                .values(feedback_text=None, cancel_reason=None, assign_reason=None)
                .execution_options(synchronize_session=False)
            )
            session.execute(
                update(Offer)
                .where(Offer.request_id.in_(chunk))
                .values(decline_reason=None)
                .execution_options(synchronize_session=False)
            )
        done += len(request_ids)
        # Exclusions name a case reference; they end with the pool's retention, too.
        session.execute(
            delete(CaseExclusion)
            .where(
                CaseExclusion.created_at < cutoff,
                CaseExclusion.office_id.in_(select(Office.id).where(Office.pool_id == pool_id)),
            )
            .execution_options(synchronize_session=False)
        )
    return done


def delete_old_message_bodies(session: Session, now: datetime) -> int:
    cutoff = now - timedelta(days=current_app.config["OUTBOX_BODY_RETENTION_DAYS"])
    return _blank_messages(
        session,
        (OutboxMessage.status.in_(SENT_OUTBOX_STATUSES))
        & (OutboxMessage.due_at < cutoff)  # bounds the (status, due_at) index range
        & (func.coalesce(OutboxMessage.sent_at, OutboxMessage.due_at) < cutoff)
        & (OutboxMessage.subject != ERASED_SUBJECT),
    )


def pseudonymise_audit(session: Session, now: datetime) -> int:
    cutoff = months_before(now, current_app.config["AUDIT_RETENTION_MONTHS"])
    return rowcount(
        session.execute(
            update(AuditEvent)
            .where(
                AuditEvent.at < cutoff,
                or_(AuditEvent.address.is_not(None), AuditEvent.details.is_not(None)),
            )
            # SQL NULL (a plain None would store the JSON value null and match again tomorrow).
            .values(address=None, details=null())
            .execution_options(synchronize_session=False)
        )
    )


def delete_police_certificate_records(session: Session, now: datetime) -> int:
    """The police-certificate record goes 3 months after the mediator left."""
    cutoff = months_before(now, POLICE_CERTIFICATE_KEEP_MONTHS)
    left = (
        select(MediatorStatusChange.mediator_id)
        .where(MediatorStatusChange.to_status == MediatorStatus.LEFT)
        .group_by(MediatorStatusChange.mediator_id)
        .having(func.max(MediatorStatusChange.at) < cutoff)
    )
    return rowcount(
        session.execute(
            update(Mediator)
            .where(
                Mediator.status == MediatorStatus.LEFT,
                or_(
                    Mediator.police_certificate_seen_on.is_not(None),
                    Mediator.police_certificate_no_entry.is_(True),
                ),
                Mediator.id.in_(left),
            )
            .values(police_certificate_seen_on=None, police_certificate_no_entry=False)
            .execution_options(synchronize_session=False)
        )
    )


def delete_old_payouts(session: Session, now: datetime) -> int:
    """Payouts (table ``payouts``) are kept ``PAYOUT_RETENTION_YEARS`` after the end of the
    year they were paid in (or, unpaid, the year of their month), then deleted."""
    last_year = now.year - current_app.config["PAYOUT_RETENTION_YEARS"]
    first_kept = add_years(datetime(last_year, 1, 1, tzinfo=UTC).date(), 1)
    old = select(Payout.id).where(func.coalesce(Payout.paid_on, Payout.period) < first_kept)
    session.execute(
        delete(PayoutItem)
        .where(PayoutItem.payout_id.in_(old))
        .execution_options(synchronize_session=False)
    )
    return rowcount(
        session.execute(
            delete(Payout).where(Payout.id.in_(old)).execution_options(synchronize_session=False)
        )
    )


def apply_retention(session: Session, now: datetime) -> int:
    """The daily duty: every retention rule, one audit event with the counts."""
    counts = {
        "requests": anonymise_finished_requests(session, now),
        "messages": delete_old_message_bodies(session, now),
        "audit_events": pseudonymise_audit(session, now),
        "police_certificates": delete_police_certificate_records(session, now),
        "payouts": delete_old_payouts(session, now),
        "debrief_notes": debriefs.clear_notes(session, now),
    }
    total = sum(counts.values())
    if total:
        audit.record(session, None, "privacy.retention_applied", None, None, counts)
    session.flush()
    return total


def retention_rules(session: Session) -> dict[str, Any]:
    """The settings the record of processing page shows."""
    config = current_app.config
    return {
        "pools": session.execute(
            select(Pool.name, Pool.retention_months, Pool.rejected_retention_days).order_by(
                Pool.name
            )
        ).all(),
        "outbox_days": config["OUTBOX_BODY_RETENTION_DAYS"],
        "audit_months": config["AUDIT_RETENTION_MONTHS"],
        "payout_years": config["PAYOUT_RETENTION_YEARS"],
        "police_certificate_months": POLICE_CERTIFICATE_KEEP_MONTHS,
    }


# --- the audit log --------------------------------------------------------------------------------


def audit_scope(pool_ids: list[int]):
    """Which audit events a coordinator of ``pool_ids`` sees: events whose object belongs to one
    of the pools (a mediator, request, offer, assignment, office or import of the pool, or the pool
    itself). Events about accounts and the catalogue are for admins only."""
    in_pools = {
        "mediator": select(Mediator.id).where(Mediator.pool_id.in_(pool_ids)),
        "request": select(InterpretingRequest.id).where(InterpretingRequest.pool_id.in_(pool_ids)),
        "offer": select(Offer.id)
        .join(InterpretingRequest, InterpretingRequest.id == Offer.request_id)
        .where(InterpretingRequest.pool_id.in_(pool_ids)),
        "assignment": select(Assignment.id)
        .join(InterpretingRequest, InterpretingRequest.id == Assignment.request_id)
        .where(InterpretingRequest.pool_id.in_(pool_ids)),
        "office": select(Office.id).where(Office.pool_id.in_(pool_ids)),
        "import_job": select(ImportJob.id).where(ImportJob.pool_id.in_(pool_ids)),
    }
    return or_(
        (AuditEvent.object_type == "pool") & AuditEvent.object_id.in_(pool_ids),
        *(
            (AuditEvent.object_type == kind) & AuditEvent.object_id.in_(ids)
            for kind, ids in in_pools.items()
        ),
    )


@dataclass(frozen=True)
class AuditFilter:
    who: str = ""
    action: str = ""
    object_type: str = ""
    object_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def audit_query(pool_ids: list[int] | None, filters: AuditFilter):
    """Events with their actor's name and e-mail, newest first; ``pool_ids`` None: all."""
    query = select(AuditEvent, User.name, User.email).outerjoin(
        User, User.id == AuditEvent.actor_id
    )
    if pool_ids is not None:
        query = query.where(audit_scope(pool_ids))
    if filters.who:
        text = filters.who.lower()
        query = query.where(
            or_(
                func.lower(User.name).contains(text, autoescape=True),
                func.lower(User.email).contains(text, autoescape=True),
            )
        )
    if filters.action:
        query = query.where(AuditEvent.action.startswith(filters.action, autoescape=True))
    if filters.object_type:
        query = query.where(AuditEvent.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEvent.object_id == filters.object_id)
    if filters.since is not None:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEvent.at < filters.until)
    return query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
