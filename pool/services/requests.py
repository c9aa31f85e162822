"""Requests for an interpreter: the pool's intake rules, creating (also as a series) and changing.

``values`` (from the form or the API) use the names of docs/api.md: ``language``, ``dialect``,
``starts_at``, ``duration_minutes``, ``mode``, ``municipality``, ``address``, ``domain``,
``setting``, ``gender_preference``, ``gender_required``, ``urgent``, ``urgent_reason``,
``professional_present``, ``case_ref``, ``notes`` (``language_code`` and ``domain_code`` are
accepted as aliases). ``starts_at`` is an aware datetime, an ISO 8601 string, or a naive datetime
meaning Europe/Berlin wall time.

Every check returns *all* reasons at once, each in plain German and, where the pool cannot help,
with where to turn instead. Permissions are checked by the caller (``pool/permissions.py``).

Changing a request (``change_request``), decided here:
- changeable are time, duration, mode and place, notes, and the urgent flag with its reason;
  language, domain, setting and the case reference are not (cancel and ask again instead);
- only rules that concern the changed fields are checked again: a pool rule that changed after
  the intake must not block a corrected address; the lead time is checked only when the start
  moves (an urgent flag with a reason lets it through, as at intake);
- when a mediator is assigned or has a pending offer and the start, a later end, the mode or the
  municipality changes, the booking service cancels the assignment ("Zeit geändert" / "Ort
  geändert"; flagged as short notice inside the pool's window, like any late cancellation by
  that side) and withdraws open offers, each with its usual messages; after the change the same
  mediators get a new offer for the new time. Smaller changes (address, notes, a shorter
  duration) keep the assignment, and the assigned mediator is told (``request_changed``, with
  the changed calendar event);
- when anybody but the office changes the request, the office is told
  (``request_changed_office``).
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from pool import audit
from pool.calendar import invitation
from pool.enums import (
    LEGAL_SETTINGS,
    Mode,
    NotificationCategory,
    OfferStatus,
    RequestStatus,
    Role,
    Setting,
    Side,
)
from pool.i18n import BERLIN, format_day
from pool.i18n import gettext as _
from pool.labels import MODE_LABELS, SETTING_LABELS
from pool.languages import is_known, is_sign_language, language_name
from pool.models import Assignment, Domain, Mediator, Office, Pool, User
from pool.models.mediators import MODES
from pool.models.requests import (
    LONGEST_DURATION,
    SETTINGS,
    InterpretingRequest,
    Offer,
    PoolClosure,
    RequestSeries,
)
from pool.outbox import enqueue
from pool.schemas.requests import (  # noqa: F401  (the limits of a request, read here as well)
    CHANGEABLE_FIELDS,
    GENDER_PREFERENCES,
    MAX_DURATION,
    MIN_DURATION,
    TEXT_LIMITS,
)
from pool.services import ServiceError, booking
from pool.services.users import active_coordinators
from pool.urls import page_url
from pool.workdays import earliest_start

# --- limits and codes ---------------------------------------------------------------------------

MAX_SERIES = 26
MAX_INTERVAL_DAYS = 365
# Requests (and every date of a series) at most this far ahead.
MAX_DAYS_AHEAD = 2 * 366
TEXT_FIELDS = tuple(TEXT_LIMITS)
BOOL_FIELDS = ("gender_required", "urgent", "professional_present")
ALL_FIELDS = frozenset({*TEXT_FIELDS, *BOOL_FIELDS, "starts_at", "duration_minutes"})
ALIASES = {"language_code": "language", "domain_code": "domain"}
# Reasons that depend on the date of one occurrence; in a series they name the date.
DATE_CODES = frozenset({"lead_time", "start_in_past", "too_far_ahead"})
CHANGEABLE_STATUSES = (RequestStatus.OPEN, RequestStatus.OFFERED, RequestStatus.ASSIGNED)
# Any character of Unicode category C (controls, surrogates, unassigned) except line breaks and
# tabs in free text: they would behave differently in SQLite and PostgreSQL (NUL) or hide text.
ALLOWED_CONTROLS = frozenset("\n\r\t")

EMAIL_RE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE_RE = re.compile(r"^\s*(\+|0)[\d\s/()\-.]+$")
NAME_WORD_RE = re.compile(r"^[^\W\d_][^\W\d_'’.\-]+$")


class Reason(NamedTuple):
    """Why the intake refuses: ``code`` for programs, ``field`` for the form, ``text`` in German."""

    code: str
    field: str | None
    text: str


class IntakeRefused(ServiceError):
    """The pool's intake rules refuse the request; ``reasons`` lists every reason at once."""

    def __init__(self, reasons: Sequence[Reason]) -> None:
        self.reasons = list(reasons)
        super().__init__(
            " ".join(r.text for r in self.reasons), self.reasons[0].field if reasons else None
        )


# --- German words ---------------------------------------------------------------------------------


def _field_label(name: str) -> str:
    labels = {
        "language": _("Sprache"),
        "dialect": _("Dialekt"),
        "starts_at": _("Datum und Uhrzeit"),
        "duration_minutes": _("Dauer"),
        "mode": _("Art des Termins"),
        "municipality": _("Ort"),
        "address": _("Adresse"),
        "domain": _("Bereich"),
        "setting": _("Art des Gesprächs"),
        "gender_preference": _("gewünschtes Geschlecht"),
        "gender_required": _("Geschlecht ist Bedingung"),
        "urgent": _("dringend"),
        "urgent_reason": _("Grund für die Dringlichkeit"),
        "professional_present": _("Fachkraft ist dabei"),
        "case_ref": _("Fallzeichen"),
        "notes": _("Hinweise"),
        "repeat": _("Wiederholung"),
    }
    return labels.get(name, name)


def _setting_label(code: str) -> str:
    return str(SETTING_LABELS.get(code, code))


def _sworn_hint() -> str:
    return _(
        "Bitte wenden Sie sich an vereidigte Dolmetscher:innen, z. B. über die Datenbank der "
        "Landesjustizverwaltungen (www.justiz-dolmetscher.de)."
    )


def _sign_language_hint() -> str:
    return _(
        "Bitte wenden Sie sich an Gebärdensprachdolmetscher:innen, z. B. über den Landesverband "
        "der Gehörlosen; die Kosten trägt oft ein Kostenträger (z. B. Krankenkasse, Jobcenter "
        "oder Eingliederungshilfe)."
    )


def _medical_hint() -> str:
    return _(
        "Bitte wenden Sie sich an professionelle Dolmetscher:innen für das Gesundheitswesen, "
        "z. B. einen Dolmetscherdienst für Praxen und Kliniken. Fragen Sie auch die Praxis: "
        "Viele arbeiten mit einem Dolmetscherdienst zusammen."
    )


def _pool_contact(pool: Pool) -> str:
    contact = pool.contact_phone or pool.contact_email
    if contact:
        return _("Fragen beantwortet die Koordination des Pools: %(contact)s.", contact=contact)
    return _("Fragen beantwortet die Koordination des Pools.")


# --- cleaning the values --------------------------------------------------------------------------


def _bad(field: str) -> Reason:
    return Reason(
        "invalid",
        field,
        _("Bitte prüfen Sie die Angabe „%(label)s“.", label=_field_label(field)),
    )


def _clean_text(field: str, value: Any, reasons: list[Reason]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        reasons.append(_bad(field))
        return None
    limit = TEXT_LIMITS[field]
    if len(value) > limit:
        reasons.append(
            Reason(
                "too_long",
                field,
                _(
                    "„%(label)s“ ist zu lang: höchstens %(limit)s Zeichen.",
                    label=_field_label(field),
                    limit=limit,
                ),
            )
        )
        return None
    if any(unicodedata.category(ch).startswith("C") and ch not in ALLOWED_CONTROLS for ch in value):
        reasons.append(
            Reason(
                "invalid_characters",
                field,
                _(
                    "„%(label)s“ enthält unzulässige Zeichen.",
                    label=_field_label(field),
                ),
            )
        )
        return None
    value = value.strip()
    return value or None


def _clean_bool(field: str, value: Any, reasons: list[Reason]) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    reasons.append(_bad(field))
    return None


def _clean_start(value: Any, reasons: list[Reason]) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) <= 40 and "\x00" not in value:
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            reasons.append(_bad("starts_at"))
            return None
    if not isinstance(value, datetime):
        reasons.append(_bad("starts_at"))
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=BERLIN)
    try:
        return value.astimezone(BERLIN)
    except (OverflowError, ValueError):
        reasons.append(_bad("starts_at"))
        return None


def _clean_int(field: str, value: Any, reasons: list[Reason]) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 6:
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    reasons.append(_bad(field))
    return None


def clean_values(values: Any, allowed: Iterable[str] = ALL_FIELDS) -> tuple[dict, list[Reason]]:
    """Normalise ``values``: known names only, the right types, no control characters, length
    limits. Returns the cleaned values (only the names given) and the reasons for what is wrong."""
    if not isinstance(values, dict):
        raise ServiceError(_("Die Angaben zur Anfrage fehlen oder sind ungültig."))
    allowed = frozenset(allowed)
    reasons: list[Reason] = []
    clean: dict[str, Any] = {}
    for raw_name, value in values.items():
        name = ALIASES.get(raw_name, raw_name) if isinstance(raw_name, str) else raw_name
        if name not in allowed:
            label = _field_label(name) if isinstance(name, str) else "?"
            if name in ALL_FIELDS:
                text = _(
                    "„%(label)s“ kann man nicht ändern. Bitte stornieren Sie die Anfrage und "
                    "stellen Sie eine neue.",
                    label=label,
                )
                reasons.append(Reason("not_changeable", name, text))
            else:
                text = _("Unbekannte Angabe: %(name)s.", name=str(name)[:40])
                reasons.append(Reason("unknown_field", None, text))
            continue
        if name in TEXT_LIMITS:
            clean[name] = _clean_text(name, value, reasons)
        elif name in BOOL_FIELDS:
            clean[name] = _clean_bool(name, value, reasons)
        elif name == "starts_at":
            clean[name] = _clean_start(value, reasons)
        elif name == "duration_minutes":
            clean[name] = _clean_int(name, value, reasons)
    if isinstance(clean.get("language"), str):
        clean["language"] = clean["language"].lower()
    invalid = {r.field for r in reasons}
    # A value that failed cleaning is "given but wrong": the rules below must not also call it
    # missing, so mark it.
    for name in invalid:
        if name:
            clean[name] = _INVALID
    return clean, reasons


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


_INVALID: Any = _Invalid()


# --- the rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeContext:
    """What the rules need from the database, loaded once for a series."""

    pool: Pool
    domains: frozenset[str]
    closures: tuple[tuple[date, date], ...]


def load_context(session: Session, pool: Pool, now: datetime) -> IntakeContext:
    today = now.astimezone(BERLIN).date()
    closures = session.execute(
        select(PoolClosure.start_date, PoolClosure.end_date).where(
            PoolClosure.pool_id == pool.id, PoolClosure.end_date >= today
        )
    ).all()
    domains = frozenset(session.scalars(select(Domain.code)))
    return IntakeContext(pool, domains, tuple((s, e) for s, e in closures))


def _missing(field: str) -> Reason:
    return Reason(
        "missing",
        field,
        _("Bitte geben Sie „%(label)s“ an.", label=_field_label(field)),
    )


def _given(clean: dict, name: str) -> bool:
    return clean.get(name) is not None and clean.get(name) is not _INVALID


def _case_ref_reason(case_ref: str) -> Reason | None:
    hint = _(
        "Das Fallzeichen ist freiwillig und dient nur dazu, dieselbe Person wieder einzusetzen "
        "oder Befangenheit zu vermeiden. Nutzen Sie ein Kürzel oder Ihr Aktenzeichen, nie einen "
        "Namen oder Kontaktdaten."
    )
    if EMAIL_RE.search(case_ref):
        return Reason(
            "case_ref_contact",
            "case_ref",
            _("Das Fallzeichen darf keine E-Mail-Adresse enthalten.") + " " + hint,
        )
    digits = sum(ch.isdigit() for ch in case_ref)
    if PHONE_RE.match(case_ref) and digits >= 8:
        return Reason(
            "case_ref_contact",
            "case_ref",
            _("Das Fallzeichen sieht aus wie eine Telefonnummer.") + " " + hint,
        )
    words = re.split(r"[\s,]+", case_ref.strip())
    if (
        len(words) >= 2
        and all(NAME_WORD_RE.match(word) for word in words)
        and all(word[0].isupper() for word in words)
    ):
        return Reason(
            "case_ref_name",
            "case_ref",
            _("Das Fallzeichen sieht aus wie ein Name.") + " " + hint,
        )
    return None


def _language_rules(language: Any, pool: Pool) -> list[Reason]:
    if language is None:
        return [_missing("language")]
    if language is _INVALID:
        return []
    if not is_known(language):
        return [
            Reason(
                "language_unknown",
                "language",
                _("Diese Sprache kennen wir nicht. Bitte wählen Sie eine aus der Liste."),
            )
        ]
    if is_sign_language(language) and not pool.serve_sign_languages:
        return [
            Reason(
                "sign_language",
                "language",
                _(
                    "Gebärdensprache vermittelt unser Pool nicht: Gehörlose Menschen haben "
                    "ein Recht auf ausgebildete Gebärdensprachdolmetscher:innen."
                )
                + " "
                + _sign_language_hint(),
            )
        ]
    return []


def _setting_rules(setting: Any, pool: Pool) -> list[Reason]:
    if setting is None:
        return [_missing("setting")]
    if setting is _INVALID:
        return []
    excluded = pool.excluded_settings or ()
    if setting not in SETTINGS:
        return [
            Reason(
                "setting_unknown",
                "setting",
                _("Bitte wählen Sie die Art des Gesprächs aus der Liste."),
            )
        ]
    if setting in LEGAL_SETTINGS and setting in excluded:
        return [
            Reason(
                "setting_excluded",
                "setting",
                _(
                    "Für „%(setting)s“ vermittelt unser Pool keine Sprachmittler:innen: Hier "
                    "braucht es rechtssichere Übersetzungen durch vereidigte "
                    "Dolmetscher:innen.",
                    setting=_setting_label(setting),
                )
                + " "
                + _sworn_hint(),
            )
        ]
    if setting == Setting.MEDICAL_APPOINTMENT and (
        not pool.allow_medical_appointments or setting in excluded
    ):
        return [
            Reason(
                "medical_not_served",
                "setting",
                _("Für Arzttermine vermittelt dieser Pool keine Sprachmittler:innen.")
                + " "
                + _medical_hint(),
            )
        ]
    if setting in excluded:
        return [
            Reason(
                "setting_excluded",
                "setting",
                _(
                    "Für „%(setting)s“ vermittelt dieser Pool keine Sprachmittler:innen.",
                    setting=_setting_label(setting),
                )
                + " "
                + _pool_contact(pool),
            )
        ]
    return []


def _domain_rules(domain: Any, context: IntakeContext) -> list[Reason]:
    if domain is None:
        return [_missing("domain")]
    if domain is not _INVALID and domain not in context.domains:
        return [
            Reason("domain_unknown", "domain", _("Bitte wählen Sie den Bereich aus der Liste."))
        ]
    return []


def _mode_rules(clean: dict) -> list[Reason]:
    mode = clean.get("mode")
    if mode is None:
        return [_missing("mode")]
    if mode is _INVALID:
        return []
    if mode not in MODES:
        return [
            Reason(
                "mode_unknown",
                "mode",
                _("Bitte wählen Sie: vor Ort, am Telefon oder per Video."),
            )
        ]
    if mode != Mode.IN_PERSON:
        return []
    return [
        Reason(
            f"{name}_missing",
            name,
            _(
                "Für einen Termin vor Ort brauchen wir „%(label)s“.",
                label=_field_label(name),
            ),
        )
        for name in ("municipality", "address")
        if clean.get(name) is None
    ]


def _professional_rules(present: Any) -> list[Reason]:
    if present is True or present is _INVALID:
        return []
    return [
        Reason(
            "professional_required",
            "professional_present",
            _(
                "Eine Fachkraft Ihrer Stelle muss beim Gespräch dabei sein und es führen. "
                "Sprachmittler:innen übersetzen nur; sie beraten nicht und entscheiden nichts."
            ),
        )
    ]


def _duration_rules(duration: Any) -> list[Reason]:
    if duration is None:
        return [_missing("duration_minutes")]
    if duration is not _INVALID and not MIN_DURATION <= duration <= MAX_DURATION:
        return [
            Reason(
                "duration",
                "duration_minutes",
                _(
                    "Die Dauer muss zwischen %(min)s Minuten und %(max)s Stunden liegen.",
                    min=MIN_DURATION,
                    max=MAX_DURATION // 60,
                ),
            )
        ]
    return []


def _gender_rules(clean: dict) -> list[Reason]:
    reasons: list[Reason] = []
    if clean.get("gender_preference") not in (None, _INVALID, *GENDER_PREFERENCES):
        reasons.append(_bad("gender_preference"))
    if clean.get("gender_required") is True and not _given(clean, "gender_preference"):
        reasons.append(
            Reason(
                "gender_preference_missing",
                "gender_preference",
                _("Wenn das Geschlecht Bedingung ist, wählen Sie bitte aus, welches."),
            )
        )
    return reasons


def _urgent_rules(clean: dict) -> list[Reason]:
    if clean.get("urgent") is True and clean.get("urgent_reason") is None:
        return [
            Reason(
                "urgent_reason_missing",
                "urgent_reason",
                _("Bitte schreiben Sie kurz, warum die Anfrage dringend ist."),
            )
        ]
    return []


def _start_rules(
    clean: dict,
    context: IntakeContext,
    now: datetime,
    *,
    check_lead_time: bool,
    check_future: bool,
) -> list[Reason]:
    starts_at = clean.get("starts_at")
    if starts_at is None:
        return [_missing("starts_at")]
    if starts_at is _INVALID:
        return []
    if check_future and starts_at <= now:
        return [
            Reason(
                "start_in_past",
                "starts_at",
                _("Der Termin liegt in der Vergangenheit. Bitte prüfen Sie Datum und Uhrzeit."),
            )
        ]
    if starts_at > now + timedelta(days=MAX_DAYS_AHEAD):
        return [
            Reason(
                "too_far_ahead",
                "starts_at",
                _("Anfragen nehmen wir höchstens zwei Jahre im Voraus an."),
            )
        ]
    if not check_lead_time or clean.get("urgent") is True:
        return []
    pool = context.pool
    earliest = earliest_start(pool, now, context.closures)
    if starts_at >= earliest:
        return []
    return [
        Reason(
            "lead_time",
            "starts_at",
            _(
                "Anfragen brauchen mindestens %(days)s Arbeitstage Vorlauf "
                "(ohne Wochenenden, Feiertage und Schließtage des Pools). Der "
                "früheste mögliche Tag ist %(day)s. Wenn es nicht warten kann, "
                "markieren Sie die Anfrage als dringend und nennen Sie den Grund.",
                days=pool.lead_time_working_days,
                day=format_day(earliest.date()),
            ),
        )
    ]


def _case_ref_rules(case_ref: Any) -> list[Reason]:
    if case_ref is None or case_ref is _INVALID:
        return []
    reason = _case_ref_reason(case_ref)
    return [] if reason is None else [reason]


def _rules(
    clean: dict,
    context: IntakeContext,
    now: datetime,
    *,
    check_lead_time: bool = True,
    check_future: bool = True,
) -> list[Reason]:
    """Every rule on cleaned values, field by field in the order of the form. Pure: no session,
    no clock."""
    return [
        *_language_rules(clean.get("language"), context.pool),
        *_setting_rules(clean.get("setting"), context.pool),
        *_domain_rules(clean.get("domain"), context),
        *_mode_rules(clean),
        *_professional_rules(clean.get("professional_present")),
        *_duration_rules(clean.get("duration_minutes")),
        *_gender_rules(clean),
        *_urgent_rules(clean),
        *_start_rules(
            clean, context, now, check_lead_time=check_lead_time, check_future=check_future
        ),
        *_case_ref_rules(clean.get("case_ref")),
    ]


def check_intake(session: Session, *, pool: Pool, values: Any, now: datetime) -> list[Reason]:
    """Every reason why the pool's intake rules refuse ``values`` (empty: accepted)."""
    clean, reasons = clean_values(values)
    return reasons + _rules(clean, load_context(session, pool, now), now)


# --- creating -------------------------------------------------------------------------------------


def _clean_repeat(repeat: Any) -> tuple[tuple[int, int] | None, list[Reason]]:
    if repeat is None:
        return None, []
    refused = Reason(
        "repeat",
        "repeat",
        _(
            "Eine Terminreihe hat 2 bis %(max)s Termine im Abstand von 1 bis %(days)s Tagen.",
            max=MAX_SERIES,
            days=MAX_INTERVAL_DAYS,
        ),
    )
    if not isinstance(repeat, list | tuple) or len(repeat) != 2:
        return None, [refused]
    interval, count = repeat
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (interval, count)):
        return None, [refused]
    if count == 1:
        return None, []
    if not (1 <= interval <= MAX_INTERVAL_DAYS and 2 <= count <= MAX_SERIES):
        return None, [refused]
    return (interval, count), []


def _occurrence_starts(start: datetime, repeat: tuple[int, int] | None) -> list[datetime]:
    """The starts of a series, keeping the wall-clock time in Europe/Berlin across DST."""
    if repeat is None:
        return [start]
    interval, count = repeat
    local = start.astimezone(BERLIN)
    return [
        datetime.combine(local.date() + timedelta(days=interval * k), local.time(), tzinfo=BERLIN)
        for k in range(count)
    ]


def _dated(reason: Reason, start: datetime) -> Reason:
    return reason._replace(
        text=_("Termin am %(day)s: %(text)s", day=format_day(start.date()), text=reason.text)
    )


def _series_reasons(
    clean: dict, context: IntakeContext, now: datetime, starts: list[datetime], **flags: bool
) -> list[Reason]:
    """All reasons for every occurrence: those that do not depend on the date once, those that do
    with the date of the occurrence."""
    reasons: list[Reason] = []
    for index, start in enumerate(starts):
        found = _rules({**clean, "starts_at": start}, context, now, **flags)
        for reason in found:
            if reason.code in DATE_CODES:
                reasons.append(_dated(reason, start) if len(starts) > 1 else reason)
            elif index == 0:
                reasons.append(reason)
    return reasons


def _candidate_count(session: Session, request: InterpretingRequest, now: datetime) -> int | None:
    """The number of candidates at intake, from the matching service when it is there."""
    try:
        candidates = importlib.import_module("pool.services.candidates")
    except ModuleNotFoundError as exc:
        if exc.name != "pool.services.candidates":
            raise
        # Without the candidates module the figure stays empty.
        return None
    count = getattr(candidates, "count_candidates", None)
    if count is not None:
        return count(session, request, now)
    return len(candidates.candidates_for(session, request, now).candidates)


def create_request(
    session: Session,
    *,
    actor: User | None,
    office: Office,
    values: Any,
    now: datetime,
    repeat: Any = None,
) -> list[InterpretingRequest]:
    """Create a request, or with ``repeat=(interval_days, count)`` a series of up to 26, after the
    pool's intake rules; raises ``IntakeRefused`` with every reason (per date for a series)."""
    pool = office.pool
    clean, reasons = clean_values(values)
    series, repeat_reasons = _clean_repeat(repeat)
    reasons += repeat_reasons
    if not office.active:
        reasons.append(
            Reason(
                "office_inactive",
                None,
                _("Diese Stelle ist nicht mehr aktiv. Bitte wenden Sie sich an die Koordination."),
            )
        )
    context = load_context(session, pool, now)
    start = clean.get("starts_at")
    if isinstance(start, datetime) and start <= now + timedelta(days=MAX_DAYS_AHEAD):
        reasons += _series_reasons(clean, context, now, _occurrence_starts(start, series))
    else:
        reasons += _rules(clean, context, now)
    if reasons:
        raise IntakeRefused(reasons)

    series_row = None
    if series is not None:
        series_row = RequestSeries(interval_days=series[0], count=series[1], created_at=now)
        session.add(series_row)
        session.flush()
    created: list[InterpretingRequest] = []
    in_person = clean["mode"] == Mode.IN_PERSON
    for occurrence in _occurrence_starts(clean["starts_at"], series):
        starts_at = occurrence.astimezone(UTC)
        request = InterpretingRequest(
            pool_id=pool.id,
            pool=pool,
            office_id=office.id,
            office=office,
            created_by_id=actor.id if actor else None,
            series_id=series_row.id if series_row else None,
            language_code=clean["language"],
            dialect=clean.get("dialect"),
            starts_at=starts_at,
            duration_minutes=clean["duration_minutes"],
            ends_at=starts_at + timedelta(minutes=clean["duration_minutes"]),
            mode=clean["mode"],
            municipality=clean.get("municipality"),
            address=clean.get("address") if in_person else None,
            domain_code=clean["domain"],
            setting=clean["setting"],
            gender_preference=clean.get("gender_preference"),
            gender_required=bool(clean.get("gender_required")),
            urgent=bool(clean.get("urgent")),
            urgent_reason=clean.get("urgent_reason") if clean.get("urgent") else None,
            professional_present=True,
            case_ref=clean.get("case_ref"),
            notes=clean.get("notes"),
            status=RequestStatus.OPEN,
            created_at=now,
            updated_at=now,
        )
        session.add(request)
        session.flush()
        request.candidates_at_intake = _candidate_count(session, request, now)
        audit.record(
            session,
            actor.id if actor else None,
            "request.created",
            "request",
            request.id,
            {"series_id": request.series_id, "urgent": request.urgent, "office_id": office.id},
        )
        if pool.auto_offer_top_n > 0 and request.candidates_at_intake:
            # The pool's automatic mode: offer to the best candidates without waiting for review.
            try:
                with session.begin_nested():
                    booking.offer_top_candidates(
                        session, actor=None, request=request, n=pool.auto_offer_top_n, now=now
                    )
            except ServiceError:
                pass  # it stays open, and the coordination sees it in the queue
        created.append(request)
    session.flush()
    _tell_creator(session, actor, created, now)
    if created[0].urgent:
        _alert_coordinators(session, created[0], now)
    return created


def _tell_creator(
    session: Session, actor: User | None, created: list[InterpretingRequest], now: datetime
) -> None:
    if actor is None or not actor.email:
        return
    first = created[0]
    enqueue(
        session,
        key=f"request_received:{first.id}",
        template="request_received",
        recipient=actor.email,
        context={
            "recipient": actor,
            "first": first,
            "occurrences": created,
            "office": first.office,
            "pool": first.pool,
            "language": language_name(first.language_code, actor.locale or "de"),
            "mode": MODE_LABELS.get(first.mode, first.mode),
            "link": page_url("requests.detail", request_id=first.id),
        },
        locale=actor.locale,
        now=now,
        user=actor,
        category=NotificationCategory.REQUESTS,
    )


def _alert_coordinators(session: Session, request: InterpretingRequest, now: datetime) -> None:
    for coordinator in active_coordinators(session, request.pool_id):
        enqueue(
            session,
            key=f"request_urgent:{request.id}:{coordinator.id}",
            template="request_urgent",
            recipient=coordinator.email,
            context={
                "recipient": coordinator,
                "item": request,
                "office": request.office,
                "language": language_name(request.language_code, coordinator.locale or "de"),
                "mode": MODE_LABELS.get(request.mode, request.mode),
                "link": page_url("requests.detail", request_id=request.id),
            },
            locale=coordinator.locale,
            now=now,
            user=coordinator,
            category=NotificationCategory.ALERTS,
            urgent=True,
        )


# --- series ---------------------------------------------------------------------------------------


def series_requests(session: Session, request: InterpretingRequest) -> list[InterpretingRequest]:
    """Every request of ``request``'s series by start (just ``request`` when it is alone)."""
    if request.series_id is None:
        return [request]
    return list(
        session.scalars(
            select(InterpretingRequest)
            .where(InterpretingRequest.series_id == request.series_id)
            .order_by(InterpretingRequest.starts_at, InterpretingRequest.id)
        )
    )


# --- changing -------------------------------------------------------------------------------------

# Rules re-checked when these fields change (a changed mode re-checks the place).
DEPENDENT_FIELDS = {
    "mode": {"mode", "municipality", "address"},
    "municipality": {"municipality"},
    "address": {"address"},
    "urgent": {"urgent", "urgent_reason", "starts_at"},
    "urgent_reason": {"urgent_reason"},
    "starts_at": {"starts_at"},
    "duration_minutes": {"duration_minutes"},
    "notes": {"notes"},
}


def _current_values(request: InterpretingRequest) -> dict:
    return {
        "language": request.language_code,
        "dialect": request.dialect,
        "starts_at": request.starts_at.astimezone(BERLIN),
        "duration_minutes": request.duration_minutes,
        "mode": request.mode,
        "municipality": request.municipality,
        "address": request.address,
        "domain": request.domain_code,
        "setting": request.setting,
        "gender_preference": request.gender_preference,
        "gender_required": request.gender_required,
        "urgent": request.urgent,
        "urgent_reason": request.urgent_reason,
        "professional_present": request.professional_present,
        "case_ref": request.case_ref,
        "notes": request.notes,
    }


@dataclass
class _Plan:
    request: InterpretingRequest
    merged: dict
    changed: list[str]


def _shifted(request: InterpretingRequest, delta_days: int, new_time) -> datetime:
    local = request.starts_at.astimezone(BERLIN)
    return datetime.combine(local.date() + timedelta(days=delta_days), new_time, tzinfo=BERLIN)


def _lock(session: Session, requests: list[InterpretingRequest]) -> None:
    """Lock the rows (PostgreSQL; SQLite's write transaction is serial anyway) and reload them,
    so that an accept or assignment committed meanwhile is seen and a later one waits."""
    session.execute(
        select(InterpretingRequest)
        .where(InterpretingRequest.id.in_([r.id for r in requests]))
        .order_by(InterpretingRequest.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    for request in requests:
        session.expire(request, ["offers", "assignments"])


def _clean_change(values: Any) -> dict:
    clean, reasons = clean_values(values, CHANGEABLE_FIELDS)
    reasons += [
        _missing(name)
        for name in ("starts_at", "duration_minutes", "mode")
        if name in clean and clean[name] is None
    ]
    if reasons:
        raise IntakeRefused(reasons)
    return clean


def _change_targets(
    session: Session, request: InterpretingRequest, now: datetime, whole_series: bool
) -> list[InterpretingRequest]:
    if not whole_series:
        return [request]
    return [
        r
        for r in series_requests(session, request)
        if r.id == request.id or (r.status in CHANGEABLE_STATUSES and r.starts_at > now)
    ]


def _day_shift(request: InterpretingRequest, new_start: Any) -> tuple[int, Any]:
    """How many days a new start moves ``request``, and its new time of day (none: not moved)."""
    if not isinstance(new_start, datetime):
        return 0, None
    old_local = request.starts_at.astimezone(BERLIN)
    return (new_start.date() - old_local.date()).days, new_start.timetz().replace(tzinfo=None)


def _merged_values(
    target: InterpretingRequest, request: InterpretingRequest, clean: dict, shift: tuple[int, Any]
) -> dict:
    """The values of ``target`` after the change; a series member keeps its own day, moved by the
    same number of days as ``request``."""
    merged = _current_values(target)
    for name, value in clean.items():
        if name == "starts_at" and value is not None and target is not request:
            value = _shifted(target, *shift)
        merged[name] = value
    if merged.get("urgent") is not True:
        merged["urgent_reason"] = None
    if merged["mode"] != Mode.IN_PERSON:
        merged["address"] = None
    return merged


def _plan_change(
    target: InterpretingRequest,
    request: InterpretingRequest,
    clean: dict,
    shift: tuple[int, Any],
    context: IntakeContext,
    now: datetime,
    *,
    dated: bool,
) -> tuple[_Plan | None, list[Reason]]:
    """The plan for one target (none: nothing changes) and the reasons refusing it."""
    merged = _merged_values(target, request, clean, shift)
    current = _current_values(target)
    changed = [name for name in clean if merged.get(name) != current.get(name)]
    if not changed:
        return None, []
    checked = set().union(*(DEPENDENT_FIELDS[name] for name in changed))
    time_moved = "starts_at" in changed
    found = _rules(merged, context, now, check_lead_time=time_moved, check_future=time_moved)
    reasons = [
        _dated(reason, merged["starts_at"]) if dated else reason
        for reason in found
        if reason.field in checked or reason.code in DATE_CODES
    ]
    return _Plan(target, merged, changed), reasons


def change_request(
    session: Session,
    *,
    actor: User | None,
    request: InterpretingRequest,
    values: Any,
    now: datetime,
    whole_series: bool = False,
) -> list[InterpretingRequest]:
    """Change time, duration, mode, place, notes or the urgent flag of ``request`` — or of every
    request of its series that has not begun (``whole_series``; a new start moves each by the same
    number of days to the new time of day). Returns the changed requests; raises
    ``IntakeRefused`` with every reason (per date), changing nothing."""
    clean = _clean_change(values)
    targets = _change_targets(session, request, now, whole_series)
    _lock(session, targets)
    if request.status not in CHANGEABLE_STATUSES or request.starts_at <= now:
        raise ServiceError(
            _("Diese Anfrage kann nicht mehr geändert werden: Sie ist abgeschlossen oder vorbei.")
        )

    shift = _day_shift(request, clean.get("starts_at"))
    context = load_context(session, request.pool, now)
    plans: list[_Plan] = []
    all_reasons: list[Reason] = []
    for target in targets:
        plan, reasons = _plan_change(
            target, request, clean, shift, context, now, dated=len(targets) > 1
        )
        all_reasons += reasons
        if plan is not None:
            plans.append(plan)
    if all_reasons:
        raise IntakeRefused(all_reasons)

    for plan in plans:
        _apply_change(session, actor, plan, now)
    session.flush()
    return [plan.request for plan in plans]


def _apply_change(session: Session, actor: User | None, plan: _Plan, now: datetime) -> None:
    request, merged = plan.request, plan.merged
    was_urgent = request.urgent
    new_start = merged["starts_at"].astimezone(UTC)
    new_end = new_start + timedelta(minutes=merged["duration_minutes"])
    time_changed = new_start != request.starts_at or new_end > request.ends_at
    place_changed = merged["mode"] != request.mode or (
        merged["mode"] == Mode.IN_PERSON and merged["municipality"] != request.municipality
    )
    ask_again: list[Mediator] = []
    if time_changed or place_changed:
        # Before the change, so that the cancellation names the old time.
        reason = _("Zeit geändert") if time_changed else _("Ort geändert")
        ask_again = _release_mediators(session, actor, request, reason, now)

    if new_start != request.starts_at:
        request.unassigned_alerted_at = None  # the alert is due again before the new time
    request.starts_at = new_start
    request.duration_minutes = merged["duration_minutes"]
    request.ends_at = new_end
    request.mode = merged["mode"]
    request.municipality = merged["municipality"]
    request.address = merged["address"]
    request.notes = merged["notes"]
    request.urgent = bool(merged["urgent"])
    request.urgent_reason = merged["urgent_reason"]
    request.updated_at = now
    session.flush()
    audit.record(
        session,
        actor.id if actor else None,
        "request.changed",
        "request",
        request.id,
        {"fields": sorted(plan.changed)},
    )
    kept = None
    if ask_again:
        _offer_again(session, actor, request, ask_again, now)
    else:
        kept = request.active_assignment
        if kept is not None:
            _update_assignment(session, request, kept)
            _tell_mediator(session, actor, request, kept, plan.changed, now)
    if _side(actor, request) != Side.OFFICE:
        booking.tell_office(
            session, request, "request_changed_office", now, actor=actor,
            key=f"request_changed_office:{request.id}:{request.updated_at.isoformat()}",
            changed_labels=[_field_label(n) for n in plan.changed], still_assigned=kept is not None,
            link=page_url("requests.detail", request_id=request.id),
        )  # fmt: skip
    if request.urgent and not was_urgent:
        _alert_coordinators(session, request, now)


def _side(actor: User | None, request: InterpretingRequest) -> str:
    """Who changed the request, in the words of booking.cancel_assignment."""
    if (
        actor is not None
        and request.office_id in actor.caseworker_office_ids
        and not (actor.has_role(Role.ADMIN) or request.pool_id in actor.coordinated_pool_ids)
    ):
        return Side.OFFICE
    return Side.COORDINATION


def _release_mediators(
    session: Session, actor: User | None, request: InterpretingRequest, reason: str, now: datetime
) -> list[Mediator]:
    """The time or place changes: cancel the assignment (the mediator, and the other side, are
    told by the booking service; within the short-notice window it is flagged as a late change)
    and withdraw open offers. Returns the mediators to ask again."""
    mediators: list[Mediator] = []
    assignment = request.active_assignment
    if assignment is not None:
        booking.cancel_assignment(
            session, actor=actor, assignment=assignment, side=_side(actor, request),
            reason=reason, now=now,
        )  # fmt: skip
        mediators.append(assignment.mediator)
    pending = session.scalars(
        select(Offer).where(Offer.request_id == request.id, Offer.status == OfferStatus.PENDING)
    ).all()
    for offer in pending:
        try:
            with session.begin_nested():
                booking.withdraw_offer(session, actor=actor, offer=offer, now=now)
        except booking.BookingConflict:
            continue  # answered or expired meanwhile
        if offer.mediator not in mediators:
            mediators.append(offer.mediator)
    session.refresh(request)
    return mediators


def _offer_again(
    session: Session,
    actor: User | None,
    request: InterpretingRequest,
    mediators: list[Mediator],
    now: datetime,
) -> None:
    """Ask the released mediators again for the new time (each gets the usual offer e-mail);
    one who may no longer serve (paused, excluded for the case) is simply not asked."""
    for mediator in mediators:
        try:
            with session.begin_nested():
                booking.make_offers(
                    session, actor=actor, request=request, mediators=[mediator], now=now
                )
        except ServiceError:
            continue
    session.refresh(request)


def _update_assignment(
    session: Session, request: InterpretingRequest, assignment: Assignment
) -> None:
    """The assignment follows a change that keeps it; the mediator's calendar gets a new
    version of the event (``ics_sequence``)."""
    if assignment.starts_at != request.starts_at:
        # Reminders and the "Ich komme" confirmation belong to the old time: they run again.
        assignment.reminded_hours = None
        assignment.unconfirmed_alerted_at = None
        assignment.attendance_confirmed_at = None
    assignment.starts_at = request.starts_at
    assignment.ends_at = request.ends_at
    assignment.in_person = request.mode == Mode.IN_PERSON
    assignment.ics_sequence += 1
    session.flush()


def _tell_mediator(
    session: Session,
    actor: User | None,
    request: InterpretingRequest,
    assignment: Assignment,
    changed: list[str],
    now: datetime,
) -> None:
    """Tell the assigned mediator about a change that keeps the assignment, with the changed
    calendar event."""
    mediator = assignment.mediator
    locale = mediator.user.locale if mediator.user else None
    enqueue(
        session,
        key=f"request_changed:{request.id}:{mediator.id}:{request.updated_at.isoformat()}",
        template="request_changed",
        recipient=mediator.email,
        context={
            "mediator": mediator,
            "item": request,
            "office": request.office,
            "changed_labels": [_field_label(n) for n in changed],
            "by_office": _side(actor, request) == Side.OFFICE,
            "language": language_name(request.language_code, locale or "de"),
            "mode": MODE_LABELS.get(request.mode, request.mode),
            "link": page_url("requests.assignment_detail", assignment_id=assignment.id),
        },
        locale=locale,
        now=now,
        user=mediator.user,
        category=booking.TEMPLATE_CATEGORIES["request_changed"],
        calendar=invitation(session, assignment, now=now),
    )


# --- the office's pages -----------------------------------------------------------------------


def visible_requests(
    session: Session,
    *,
    office_ids: Iterable[int] | None,
    pool_ids: Iterable[int] | None,
    now: datetime,
    office_id: int | None = None,
    upcoming_limit: int = 300,
    past_offset: int = 0,
    past_limit: int = 30,
) -> tuple[list[InterpretingRequest], list[InterpretingRequest], int]:
    """Requests of the given offices or pools (both ``None``: all, for admins), optionally of one
    office: the upcoming ones (not yet ended) soonest first, a page of the past ones latest first,
    and how many past ones there are. Offices, assignments and their mediators are loaded along."""
    from sqlalchemy import false, func, or_
    from sqlalchemy.orm import selectinload

    from pool.models import Assignment

    scope = []
    if office_ids is not None or pool_ids is not None:
        offices, pools = list(office_ids or ()), list(pool_ids or ())
        scope.append(
            or_(
                InterpretingRequest.office_id.in_(offices) if offices else false(),
                InterpretingRequest.pool_id.in_(pools) if pools else false(),
            )
        )
    if office_id is not None:
        scope.append(InterpretingRequest.office_id == office_id)
    options = (
        selectinload(InterpretingRequest.office),
        selectinload(InterpretingRequest.assignments).selectinload(Assignment.mediator),
    )
    upcoming = session.scalars(
        select(InterpretingRequest)
        .where(
            *scope,
            InterpretingRequest.ends_at >= now,
            # Implied by the line above; lets the index on starts_at skip the past.
            InterpretingRequest.starts_at > now - LONGEST_DURATION,
        )
        .order_by(InterpretingRequest.starts_at, InterpretingRequest.id)
        .limit(upcoming_limit)
        .options(*options)
    ).all()
    past = session.scalars(
        select(InterpretingRequest)
        .where(*scope, InterpretingRequest.ends_at < now)
        .order_by(InterpretingRequest.starts_at.desc(), InterpretingRequest.id.desc())
        .offset(past_offset)
        .limit(past_limit)
        .options(*options)
    ).all()
    past_total = session.scalar(
        select(func.count())
        .select_from(InterpretingRequest)
        .where(*scope, InterpretingRequest.ends_at < now)
    )
    return list(upcoming), list(past), past_total or 0


def cancel_with_following(
    session: Session,
    *,
    actor: User | None,
    request: InterpretingRequest,
    reason: str,
    now: datetime,
    following: bool = False,
) -> list[InterpretingRequest]:
    """Cancel ``request`` (booking.cancel_request: the mediator is told, offers withdrawn) and,
    with ``following``, every later request of its series that has not begun and is still open,
    offered or assigned. Returns the cancelled requests."""
    targets = [request]
    if following and request.series_id is not None:
        targets += [
            r
            for r in series_requests(session, request)
            if r.id != request.id
            and r.starts_at > request.starts_at
            and r.starts_at > now
            and r.status in CHANGEABLE_STATUSES
        ]
    for target in targets:
        booking.cancel_request(session, actor=actor, request=target, reason=reason, now=now)
    return targets
