"""The hotline ("Jetzt telefonisch dolmetschen"): mediators switch on that they are
reachable by phone now; caseworkers find who is reachable for a language and record the call as
an immediate phone assignment.

Whether a mediator counts as reachable at a moment is decided by ``obstacles`` alone (the page of
the mediator, the caseworkers' list and the API use it): switched on, active and deployable,
offering the phone mode, inside a weekly availability window and not absent or paused, not booked
right then (a recorded call books them for ``CALL_MINUTES``), and staff only with a valid release
by their supervisor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from pool import audit
from pool.db import rowcount
from pool.enums import AssignmentStatus, MediatorKind, MediatorStatus, Mode, RequestStatus, Setting
from pool.i18n import BERLIN
from pool.i18n import gettext as _
from pool.languages import is_known
from pool.matching import RECENT_DAYS
from pool.models import Assignment, InterpretingRequest, Mediator, MediatorLanguage, Office, User
from pool.models.org import pool_sharing
from pool.services import ServiceError, booking
from pool.services.booking import BookingConflict

# A recorded call books the mediator this long; either side reports the real duration later.
CALL_MINUTES = 15
# The longest a mediator can switch on for at once (API) and the choices of the page.
MAX_HOURS = 24
HOUR_CHOICES = (1, 2, 4)
CALL_DOMAIN = "other"
CALL_SETTING = Setting.OFFICE_APPOINTMENT


def obstacle_texts() -> dict[str, str]:
    """The plain words for the mediator's page."""
    return {
        "switched_off": _("Sie haben „telefonisch erreichbar“ nicht eingeschaltet."),
        "not_active": _("Sie sind zurzeit nicht aktiv im Pool."),
        "not_deployable": _(
            "Ihnen fehlt noch etwas für Einsätze (zum Beispiel eine Schulung oder eine "
            "Leitlinie). Die Koordination hilft Ihnen weiter."
        ),
        "no_phone": _(
            "Sie bieten keine Einsätze am Telefon an. Das können Sie unter „Meine Angaben“ ändern."
        ),
        "no_release": _("Die Freigabe Ihrer Vorgesetzten fehlt oder ist abgelaufen."),
        "absent": _("Sie haben gerade eine Pause oder Abwesenheit eingetragen."),
        "outside_availability": _("Sie sind gerade außerhalb Ihrer Verfügbarkeit."),
        "booked": _("Sie haben gerade einen Einsatz."),
    }


def switched_on(mediator: Mediator, now: datetime) -> bool:
    return (
        mediator.reachable_from is not None
        and mediator.reachable_from <= now
        and (mediator.reachable_until is None or mediator.reachable_until > now)
    )


def obstacles(mediator: Mediator, now: datetime, *, booked: bool) -> list[str]:
    """Why ``mediator`` is not reachable at ``now`` (empty: reachable). Needs the mediator's
    availability and absences; ``booked``: a confirmed assignment overlaps ``now``."""
    local = now.astimezone(BERLIN)
    today, clock = local.date(), local.time()
    found = []
    if not switched_on(mediator, now):
        found.append("switched_off")
    if mediator.status != MediatorStatus.ACTIVE:
        found.append("not_active")
    elif not mediator.deployable:
        found.append("not_deployable")
    if not mediator.mode_phone:
        found.append("no_phone")
    if mediator.kind == MediatorKind.STAFF and (
        mediator.supervisor_release_until is None or mediator.supervisor_release_until < today
    ):
        found.append("no_release")
    if (mediator.paused_until is not None and mediator.paused_until >= today) or any(
        a.start_date <= today <= a.end_date for a in mediator.absences
    ):
        found.append("absent")
    if not any(
        w.weekday == local.weekday() and w.start <= clock < w.end for w in mediator.availability
    ):
        found.append("outside_availability")
    if booked:
        found.append("booked")
    return found


def _booked_ids(session: Session, ids: list[int], now: datetime) -> set[int]:
    if not ids:
        return set()
    return set(
        session.scalars(
            select(Assignment.mediator_id).where(
                Assignment.mediator_id.in_(ids),
                Assignment.status == AssignmentStatus.CONFIRMED,
                Assignment.starts_at <= now,
                Assignment.ends_at > now,
            )
        )
    )


def state(session: Session, mediator: Mediator, now: datetime) -> list[str]:
    """``obstacles`` of one mediator, loading whether they are booked."""
    return obstacles(mediator, now, booked=mediator.id in _booked_ids(session, [mediator.id], now))


# --- the mediator's switch ------------------------------------------------------------------------


def switch_on(
    session: Session,
    *,
    actor: User | None,
    mediator: Mediator,
    until: datetime | None,
    now: datetime,
) -> None:
    """Reachable from ``now`` until ``until`` (None: until switched off)."""
    if until is not None and not now < until <= now + timedelta(hours=MAX_HOURS):
        raise ServiceError(
            _("Bitte wählen Sie ein Ende in den nächsten %(n)s Stunden.", n=MAX_HOURS), "until"
        )
    mediator.reachable_from = now
    mediator.reachable_until = until
    session.flush()
    audit.record(session, actor.id if actor else None, "mediator.reachable_on", "mediator",
                 mediator.id, {"until": until.isoformat() if until else None})  # fmt: skip


def switch_off(session: Session, *, actor: User | None, mediator: Mediator, now: datetime) -> None:
    mediator.reachable_from = None
    mediator.reachable_until = None
    session.flush()
    audit.record(session, actor.id if actor else None, "mediator.reachable_off", "mediator",
                 mediator.id, {})  # fmt: skip


def switch_off_expired(session: Session, now: datetime) -> int:
    """The tick: switches whose end has passed are turned off (the page then shows "aus")."""
    return rowcount(
        session.execute(
            update(Mediator)
            .where(Mediator.reachable_until.is_not(None), Mediator.reachable_until <= now)
            .values(reachable_from=None, reachable_until=None)
            .execution_options(synchronize_session=False)
        )
    )


def set_phone_consent(
    session: Session, *, actor: User | None, mediator: Mediator, consent: bool, now: datetime
) -> None:
    """A volunteer allows (or no longer allows) caseworkers to see their number for the hotline."""
    if consent == (mediator.hotline_phone_consent_at is not None):
        return
    mediator.hotline_phone_consent_at = now if consent else None
    session.flush()
    audit.record(session, actor.id if actor else None, "mediator.hotline_phone_consent",
                 "mediator", mediator.id, {"consent": consent})  # fmt: skip


# --- finding someone ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reachable:
    mediator: Mediator
    phone: str | None
    # True: the number is the coordination's, which puts the caller through.
    via_coordination: bool


def scope_pool_ids(session: Session, pool_ids: list[int]) -> list[int]:
    """``pool_ids`` and every pool that shares its mediators with one of them."""
    partners = session.scalars(
        select(pool_sharing.c.pool_id).where(pool_sharing.c.partner_pool_id.in_(pool_ids))
    )
    return sorted(set(pool_ids) | set(partners))


def phone_of(mediator: Mediator) -> tuple[str | None, bool]:
    """The number a caseworker may call and whether it is the coordination's."""
    if mediator.kind == MediatorKind.STAFF and mediator.employing_office is not None:
        if mediator.employing_office.phone:
            return mediator.employing_office.phone, False
    elif mediator.hotline_phone_consent_at is not None and mediator.phone:
        return mediator.phone, False
    pool = mediator.pool
    return pool.hotline_phone or pool.contact_phone, True


def reachable_now(
    session: Session, pool_ids: list[int], language: str, now: datetime
) -> list[Reachable]:
    """Who of the pools ``pool_ids`` (and those sharing with them) can be called now for
    ``language``: staff first, then volunteers, each by fewest assignments in the last 90 days."""
    if not pool_ids or not is_known(language):
        return []
    speakers = select(MediatorLanguage.mediator_id).where(
        MediatorLanguage.language_code == language
    )
    mediators = list(
        session.scalars(
            select(Mediator)
            .where(
                Mediator.pool_id.in_(scope_pool_ids(session, pool_ids)),
                Mediator.id.in_(speakers),
                Mediator.status == MediatorStatus.ACTIVE,
                Mediator.deployable.is_(True),
                Mediator.mode_phone.is_(True),
                Mediator.reachable_from <= now,
                or_(Mediator.reachable_until.is_(None), Mediator.reachable_until > now),
            )
            .options(
                selectinload(Mediator.availability),
                selectinload(Mediator.absences),
                selectinload(Mediator.employing_office),
                selectinload(Mediator.pool),
            )
        )
    )
    ids = [m.id for m in mediators]
    booked = _booked_ids(session, ids, now)
    mediators = [m for m in mediators if not obstacles(m, now, booked=m.id in booked)]
    recent = dict(
        session.execute(
            select(Assignment.mediator_id, func.count())
            .where(
                Assignment.mediator_id.in_([m.id for m in mediators]),
                Assignment.status != AssignmentStatus.CANCELLED,
                Assignment.starts_at >= now - timedelta(days=RECENT_DAYS),
            )
            .group_by(Assignment.mediator_id)
        ).all()
    ) if mediators else {}  # fmt: skip
    mediators.sort(key=lambda m: (m.kind != MediatorKind.STAFF, recent.get(m.id, 0), m.name, m.id))
    return [Reachable(m, *phone_of(m)) for m in mediators]


def caller_pool_ids(user: User, office: Office | None) -> list[int]:
    """The pools whose mediators ``user`` may call: the office's pool for a caseworker, else
    the pools they coordinate."""
    if office is not None:
        return [office.pool_id]
    return list(user.coordinated_pool_ids)


# --- recording a call -----------------------------------------------------------------------------


def record_call(
    session: Session,
    *,
    actor: User,
    office: Office,
    mediator: Mediator,
    language: str,
    now: datetime,
) -> Assignment:
    """Record "Ich habe X angerufen": an immediate phone assignment of ``CALL_MINUTES`` for
    ``office``, booked like any other (lead times do not apply). Raises ``BookingConflict`` when
    the mediator is not reachable any more (e.g. someone else called first)."""
    if mediator not in [
        r.mediator for r in reachable_now(session, [office.pool_id], language, now)
    ]:
        raise BookingConflict(
            _("%(name)s ist gerade nicht mehr telefonisch erreichbar.", name=mediator.name)
        )
    request = InterpretingRequest(
        pool_id=office.pool_id,
        office_id=office.id,
        created_by_id=actor.id,
        language_code=language,
        starts_at=now,
        duration_minutes=CALL_MINUTES,
        ends_at=now + timedelta(minutes=CALL_MINUTES),
        mode=Mode.PHONE,
        domain_code=CALL_DOMAIN,
        setting=CALL_SETTING,
        professional_present=True,
        status=RequestStatus.OPEN,
        via_hotline=True,
        candidates_at_intake=1,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    audit.record(session, actor.id, "request.created", "request", request.id,
                 {"office_id": office.id, "via_hotline": True})  # fmt: skip
    return booking.assign_directly(
        session,
        actor=actor,
        request=request,
        mediator=mediator,
        reason=_("Telefonisch über „Jetzt telefonisch dolmetschen“"),
        now=now,
    )
