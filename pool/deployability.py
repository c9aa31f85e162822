"""Whether a mediator can be deployed on a date, with every reason why not.

This is the one rule. Pages, the API, the stored ``Mediator.deployable`` flag (for list filters)
and matching all use it. Pure: it reads the mediator and a context loaded beforehand, and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from pool.enums import MediatorKind, MediatorStatus
from pool.i18n import BERLIN, format_day
from pool.i18n import gettext as _
from pool.models import Guideline, Mediator, Training
from pool.models.mediators import POLICE_CERTIFICATE_DOMAINS, POLICE_CERTIFICATE_VALID_YEARS


@dataclass(frozen=True)
class Reason:
    code: str
    text: str
    # What the mediator can do about it, if anything (shown on their start page).
    hint: str | None = None


@dataclass
class Deployability:
    deployable: bool
    reasons: list[Reason] = field(default_factory=list)

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.reasons]


@dataclass
class Context:
    """The catalogue data the rule needs, loaded once for many mediators."""

    mandatory_guidelines: list[Guideline]
    trainings: list[Training]

    @property
    def mandatory_trainings(self) -> list[Training]:
        return [t for t in self.trainings if t.mandatory and t.active]

    def trainings_unlocking(self, domain: str) -> list[Training]:
        return [t for t in self.trainings if t.active and domain in (t.unlocks_domains or [])]


def load_context(session: Session) -> Context:
    guidelines = session.scalars(
        select(Guideline)
        .where(Guideline.current.is_(True), Guideline.mandatory.is_(True))
        .order_by(Guideline.code)
    ).all()
    trainings = session.scalars(select(Training).order_by(Training.name)).all()
    return Context(list(guidelines), list(trainings))


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier); the month's last day where it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last_day in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last_day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def police_certificate_valid_until(seen_on: date) -> date:
    """The last day a police certificate seen on ``seen_on`` counts."""
    return add_years(seen_on, POLICE_CERTIFICATE_VALID_YEARS)


def acknowledgement_valid_until(acknowledgement, guideline: Guideline) -> date | None:
    """The last day an acknowledgement of ``guideline`` counts (None: it does not expire)."""
    if not guideline.valid_months:
        return None
    day = acknowledgement.acknowledged_at.astimezone(BERLIN).date()
    return add_months(day, guideline.valid_months)


def acknowledgement_expired(acknowledgement, guideline: Guideline, on: date) -> bool:
    until = acknowledgement_valid_until(acknowledgement, guideline)
    return until is not None and until < on


def _valid_record(mediator: Mediator, trainings: Iterable[Training], on: date):
    """The newest record of one of ``trainings``, and whether it is still valid on ``on``."""
    ids = {t.id for t in trainings}
    records = [r for r in mediator.training_records if r.training_id in ids]
    if not records:
        return None, False
    valid = [r for r in records if r.expires_on is None or r.expires_on >= on]
    if valid:
        return max(valid, key=lambda r: r.completed_on), True
    return max(records, key=lambda r: r.expires_on or r.completed_on), False


def _status_reasons(mediator: Mediator, on: date) -> list[Reason]:
    """The status, a pause or an absence on ``on``."""
    reasons: list[Reason] = []
    status = mediator.status
    if status == MediatorStatus.APPLIED:
        reasons.append(
            Reason(
                "not_activated",
                _("Die Bewerbung ist noch nicht freigeschaltet."),
                _("Die Koordination meldet sich für ein Erstgespräch."),
            )
        )
    elif status == MediatorStatus.PAUSED:
        reasons.append(Reason("status_paused", _("Die Mitarbeit ruht (Status „pausiert“).")))
    elif status in (MediatorStatus.LEFT, MediatorStatus.REJECTED):
        reasons.append(Reason("status_" + status, _("Nicht mehr im Pool.")))

    if mediator.paused_until and mediator.paused_until >= on:
        reasons.append(
            Reason(
                "paused_until",
                _("Pausiert bis %(day)s.", day=format_day(mediator.paused_until)),
                _("Sie können die Pause auf der Seite „Verfügbarkeit“ beenden."),
            )
        )
    for absence in mediator.absences:
        if absence.start_date <= on <= absence.end_date:
            reasons.append(
                Reason(
                    "absent",
                    _(
                        "Abwesend vom %(start)s bis %(end)s.",
                        start=format_day(absence.start_date),
                        end=format_day(absence.end_date),
                    ),
                )
            )
            break
    return reasons


def _paper_reasons(mediator: Mediator) -> list[Reason]:
    """The first interview and the signed declarations."""
    reasons: list[Reason] = []
    if mediator.interview_on is None:
        reasons.append(Reason("interview_missing", _("Das Erstgespräch fehlt noch.")))
    if mediator.confidentiality_signed_on is None:
        reasons.append(
            Reason(
                "confidentiality_missing",
                _("Die unterschriebene Verschwiegenheitserklärung fehlt noch."),
            )
        )
    if mediator.pool.requires_formal_obligation and mediator.obligation_on is None:
        reasons.append(
            Reason(
                "obligation_missing",
                _("Die förmliche Verpflichtung nach dem Verpflichtungsgesetz fehlt noch."),
            )
        )
    return reasons


def _guideline_reasons(mediator: Mediator, context: Context, on: date) -> list[Reason]:
    reasons: list[Reason] = []
    acknowledged = {a.guideline_id: a for a in mediator.acknowledgements}
    for guideline in context.mandatory_guidelines:
        acknowledgement = acknowledged.get(guideline.id)
        if acknowledgement is not None and acknowledgement_expired(acknowledgement, guideline, on):
            reasons.append(
                Reason(
                    "guideline_expired:" + guideline.code,
                    _(
                        "Die Bestätigung der Leitlinie „%(title)s“ ist abgelaufen.",
                        title=guideline.title,
                    ),
                    _("Bitte lesen und bestätigen Sie sie erneut unter „Leitlinien“."),
                )
            )
        elif acknowledgement is None:
            reasons.append(
                Reason(
                    "guideline_missing:" + guideline.code,
                    _(
                        "Die aktuelle Fassung von „%(title)s“ ist noch nicht bestätigt.",
                        title=guideline.title,
                    ),
                    _("Bitte lesen und bestätigen Sie sie unter „Leitlinien“."),
                )
            )
    return reasons


def _training_reasons(mediator: Mediator, context: Context, on: date) -> list[Reason]:
    reasons: list[Reason] = []
    for training in context.mandatory_trainings:
        record, valid = _valid_record(mediator, [training], on)
        if record is None:
            reasons.append(
                Reason(
                    "training_missing:" + training.code,
                    _("%(name)s fehlt noch.", name=training.name),
                )
            )
        elif not valid:
            reasons.append(
                Reason(
                    "training_expired:" + training.code,
                    _(
                        "%(name)s abgelaufen am %(day)s.",
                        name=training.name,
                        day=format_day(record.expires_on),
                    ),
                    _("Bitte melden Sie sich bei der Koordination für eine Auffrischung."),
                )
            )
    return reasons


def _staff_reasons(mediator: Mediator, on: date) -> list[Reason]:
    """Staff of an authority need their supervisor's release and their own consent."""
    if mediator.kind != MediatorKind.STAFF:
        return []
    reasons: list[Reason] = []
    if not mediator.supervisor_release_by:
        reasons.append(Reason("release_missing", _("Die Freigabe der Vorgesetzten fehlt.")))
    elif mediator.supervisor_release_until and mediator.supervisor_release_until < on:
        reasons.append(
            Reason(
                "release_expired",
                _(
                    "Die Freigabe der Vorgesetzten ist am %(day)s abgelaufen.",
                    day=format_day(mediator.supervisor_release_until),
                ),
            )
        )
    if mediator.staff_consent_at is None:
        reasons.append(
            Reason("staff_consent_missing", _("Die Einwilligung zur Teilnahme fehlt noch."))
        )
    return reasons


def check(mediator: Mediator, context: Context, on: date) -> Deployability:
    """Every reason why ``mediator`` cannot be deployed on ``on`` (none: deployable)."""
    reasons = [
        *_status_reasons(mediator, on),
        *_paper_reasons(mediator),
        *_guideline_reasons(mediator, context, on),
        *_training_reasons(mediator, context, on),
        *_staff_reasons(mediator, on),
    ]
    return Deployability(not reasons, reasons)


def domain_reasons(mediator: Mediator, context: Context, domain: str, on: date) -> list[Reason]:
    """Why ``mediator`` may not work in ``domain`` on ``on`` (trainings, police certificate)."""
    reasons = []
    unlocking = context.trainings_unlocking(domain)
    if unlocking:
        record, valid = _valid_record(mediator, unlocking, on)
        names = ", ".join(t.name for t in unlocking)
        if record is None:
            reasons.append(
                Reason(
                    "domain_training_missing:" + domain,
                    _("Für diesen Bereich fehlt: %(names)s.", names=names),
                )
            )
        elif not valid:
            reasons.append(
                Reason(
                    "domain_training_expired:" + domain,
                    _(
                        "%(name)s abgelaufen am %(day)s.",
                        name=record.training.name,
                        day=format_day(record.expires_on),
                    ),
                )
            )
    if domain in POLICE_CERTIFICATE_DOMAINS:
        seen = mediator.police_certificate_seen_on
        if seen is None or not mediator.police_certificate_no_entry:
            reasons.append(
                Reason(
                    "police_certificate_missing",
                    _("Das erweiterte Führungszeugnis wurde noch nicht eingesehen."),
                )
            )
        elif police_certificate_valid_until(seen) < on:
            reasons.append(
                Reason(
                    "police_certificate_expired",
                    _(
                        "Das erweiterte Führungszeugnis ist älter als 5 Jahre (eingesehen am %(day)s).",
                        day=format_day(seen),
                    ),
                )
            )
    return reasons


def store(mediator: Mediator, context: Context, today: date) -> Deployability:
    """Recompute and store the flag the list filters use; returns the result."""
    result = check(mediator, context, today)
    mediator.deployable = result.deployable
    mediator.deployability_codes = result.codes
    mediator.deployability_checked_on = today
    return result
