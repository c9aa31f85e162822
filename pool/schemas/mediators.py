"""Mediators: the record (create, change, read, the self-service subset), languages, checks,
trainings, acknowledgements, availability and deployability."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import ConfigDict, Field, WithJsonSchema, field_validator, model_validator

from pool.enums import Gender, Level, MediatorKind, MediatorStatus, Mode
from pool.schemas.base import (
    Body,
    Choice,
    Clock,
    ClockRead,
    Day,
    Email,
    Flag,
    Id,
    Moment,
    OptionalChoice,
    OptionalDay,
    OptionalId,
    OptionalText,
    OptionalWhole,
    Query,
    Read,
    Text,
    TextList,
    Whole,
    doc,
    problem,
)
from pool.schemas.common import LanguageCode, ListQuery, QueryId

# A mediator's languages other than German start at A2 (German itself may be A1).
LANGUAGE_LEVELS = tuple(level for level in Level if level is not Level.A1)
MAX_LANGUAGES = 20
MAX_DIALECTS = 20
MAX_DOMAINS = 50
MAX_MUNICIPALITIES = 100
MAX_WEEKLY = 50
MAX_ABSENCES = 100
# Monthly cap and travel distance: the limit of the forms and of the API.
MAX_COUNT = 1000
NAME_LENGTH = 120
PHONE_LENGTH = 40
DOMAIN_LENGTH = 40
MUNICIPALITY_LENGTH = 120
DIALECT_LENGTH = 60
CODE_LENGTH = 40
ABSENCE_NOTE_LENGTH = 200
STATUS_REASON_LENGTH = 500

Count = OptionalWhole(0, MAX_COUNT)

# --- input ----------------------------------------------------------------------------------------


class MediatorLanguageInput(Body):
    code: LanguageCode = Field(**doc("Language code (see `GET /languages`).", "Sprachcode."))
    level: Choice(Level, LANGUAGE_LEVELS)
    dialects: TextList(MAX_DIALECTS, DIALECT_LENGTH) = []


def _each_language_once(items: list[MediatorLanguageInput]) -> list[MediatorLanguageInput]:
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.code in seen:
            raise problem("Each language only once.", f"[{index}].code")
        seen.add(item.code)
    return items


class SelfProfile(Body):
    """What a mediator may change on their own record."""

    phone: OptionalText(PHONE_LENGTH) = None
    gender: OptionalChoice(Gender) = None
    german_level: OptionalChoice(Level) = None
    languages: list[MediatorLanguageInput] = Field(
        default=[],
        max_length=MAX_LANGUAGES,
        **doc(
            "Replaces all languages; each language once.",
            "Ersetzt alle Sprachen; jede Sprache nur einmal.",
        ),
    )
    domains: TextList(MAX_DOMAINS, DOMAIN_LENGTH) = Field(
        default=[],
        **doc(
            "Domain codes of the catalogue (`education`, `health`, `youth_welfare`, "
            "`social_services`, `authorities`, `other` and any the admin added); replaces all "
            "domains.",
            "Bereiche des Katalogs; ersetzt alle Bereiche.",
        ),
    )
    modes: TextList(len(Mode), 20) = Field(
        default=[Mode.IN_PERSON.value],
        **doc(
            'Default on creation: `["in_person"]`.',
            "Einsatzarten; vorgegeben: vor Ort.",
            json_schema_extra={
                "items": {"type": "string", "enum": [m.value for m in Mode]},
                "minItems": 1,
            },
        ),
    )
    municipalities: TextList(MAX_MUNICIPALITIES, MUNICIPALITY_LENGTH) = Field(
        default=[],
        **doc("Municipalities served (names).", "Gemeinden, in denen die Person dolmetscht."),
    )
    travel_km: Count = Field(
        default=None,
        **doc(
            "How far the person travels beyond them, in km.",
            "So weit fährt die Person darüber hinaus (Kilometer).",
        ),
    )
    monthly_cap: Count = Field(
        default=None,
        **doc(
            "At most this many assignments a month; null: no limit.",
            "Höchstens so viele Einsätze im Monat; leer: ohne Grenze.",
        ),
    )

    @field_validator("languages")
    @classmethod
    def _languages_once(cls, value: list[MediatorLanguageInput]) -> list[MediatorLanguageInput]:
        return _each_language_once(value)

    @field_validator("modes")
    @classmethod
    def _known_modes(cls, value: list[str]) -> list[str]:
        if not value:
            raise problem("Choose at least one mode.")
        if set(value) - {m.value for m in Mode}:
            raise problem(f"Each must be one of: {', '.join(Mode)}.")
        return value


SELF_FIELDS = frozenset(SelfProfile.model_fields)


class MediatorProfile(SelfProfile):
    name: Text(NAME_LENGTH)
    email: Email
    kind: Choice(MediatorKind)
    employing_office_id: OptionalId = Field(
        default=None,
        **doc("Staff members: the employing office.", "Mitarbeitende: die Dienststelle."),
    )
    supervisor_release_by: OptionalText(NAME_LENGTH) = Field(
        default=None,
        **doc(
            "Staff members: who gave the supervisor's release.",
            "Mitarbeitende: wer die Freigabe der Vorgesetzten erteilt hat.",
        ),
    )
    supervisor_release_until: OptionalDay = Field(
        default=None,
        **doc(
            "Staff members: the release is valid until this day. `YYYY-MM-DD`.",
            "Mitarbeitende: die Freigabe gilt bis zu diesem Tag.",
        ),
    )


class MediatorCreate(MediatorProfile):
    languages: list[MediatorLanguageInput] = Field(
        max_length=MAX_LANGUAGES,
        **doc(
            "Replaces all languages; each language once.",
            "Ersetzt alle Sprachen; jede Sprache nur einmal.",
        ),
    )
    pool_id: Id


class ChecksInput(Body):
    """Only the checks sent change; a date may not lie in the future."""

    interview_on: OptionalDay = Field(
        default=None, **doc("Date of the first interview.", "Datum des Erstgesprächs.")
    )
    confidentiality_signed_on: OptionalDay = Field(
        default=None,
        **doc(
            "Date the confidentiality declaration was signed.",
            "Datum der unterschriebenen Schweigepflichterklärung.",
        ),
    )
    obligation_on: OptionalDay = Field(
        default=None,
        **doc(
            "Date of the formal obligation (Verpflichtungsgesetz).",
            "Datum der Verpflichtung nach dem Verpflichtungsgesetz.",
        ),
    )
    police_certificate_seen_on: OptionalDay = Field(
        default=None,
        **doc(
            "Date an extended police certificate was seen (the document itself is never stored).",
            "Datum, an dem das erweiterte Führungszeugnis vorgelegt wurde (es wird nie gespeichert).",
        ),
    )
    police_certificate_no_entry: Flag = Field(
        default=False,
        **doc("The certificate had no relevant entry.", "Das Zeugnis enthielt keinen Eintrag."),
    )


class MediatorUpdate(MediatorProfile):
    """Only the fields sent change; null clears a field that may be empty."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Only the fields sent change; null clears a field that may be empty. "
            "The mediator on their own record may send only: "
            + ", ".join(f"`{name}`" for name in sorted(SELF_FIELDS))
            + " — any other field is a 403."
        }
    )

    name: Text(NAME_LENGTH) = None  # type: ignore[assignment]
    email: Email = None  # type: ignore[assignment]
    kind: Choice(MediatorKind) = None  # type: ignore[assignment]
    languages: list[MediatorLanguageInput] = Field(
        default=[],
        max_length=MAX_LANGUAGES,
        **doc(
            "Replaces all languages; each language once.",
            "Ersetzt alle Sprachen; jede Sprache nur einmal.",
        ),
    )
    status: Choice(MediatorStatus) = None  # type: ignore[assignment]
    reason: OptionalText(STATUS_REASON_LENGTH, multiline=True) = Field(
        default=None,
        **doc("Why the status changes; only with `status`.", "Grund der Statusänderung."),
    )
    checks: ChecksInput = None  # type: ignore[assignment]

    @model_validator(mode="after")
    def _reason_with_status(self) -> MediatorUpdate:
        if "reason" in self.model_fields_set and "status" not in self.model_fields_set:
            raise problem("Only together with status.", "reason")
        return self

    def profile(self) -> dict[str, Any]:
        """The profile fields sent (without status, reason and checks)."""
        return {k: v for k, v in self.given().items() if k not in ("status", "reason", "checks")}


class TrainingRecordInput(Body):
    training_code: Text(CODE_LENGTH) = Field(
        **doc("Code of an active training of the catalogue.", "Code einer aktiven Schulung.")
    )
    completed_on: Day = Field(**doc("`YYYY-MM-DD`, not in the future.", "Abschlussdatum."))


class AcknowledgementInput(Body):
    guideline_code: Text(CODE_LENGTH) = Field(
        **doc("Code of a guideline.", "Code einer Richtlinie.")
    )


class AvailabilityWindow(Body):
    weekday: Whole(0, 6) = Field(**doc("0 = Monday … 6 = Sunday.", "0 = Montag … 6 = Sonntag."))
    start: Clock
    end: Clock

    @model_validator(mode="after")
    def _ordered(self) -> AvailabilityWindow:
        if self.start >= self.end:
            raise problem("Must be after start.", "end")
        return self


class Absence(Body):
    start_date: Day
    end_date: Day
    note: OptionalText(ABSENCE_NOTE_LENGTH, multiline=True) = None

    @model_validator(mode="after")
    def _ordered(self) -> Absence:
        if self.start_date > self.end_date:
            raise problem("Must not be before start_date.", "end_date")
        return self


class AvailabilityInput(Body):
    """Replaces the weekly windows, the absences and the pause."""

    weekly: list[AvailabilityWindow] = Field(max_length=MAX_WEEKLY)
    absences: list[Absence] = Field(max_length=MAX_ABSENCES)
    paused_until: OptionalDay = Field(
        default=None,
        **doc("`YYYY-MM-DD`; absent or null ends a pause.", "Pause bis; leer beendet sie."),
    )


class MediatorQuery(ListQuery):
    language: LanguageCode = Field(
        default=None,
        **doc(
            "Only speakers of this language (a code of `GET /languages`).",
            "Nur Personen, die diese Sprache sprechen.",
        ),
    )
    status: Choice(MediatorStatus) = None
    kind: Choice(MediatorKind) = None
    pool_id: QueryId = Field(
        default=None,
        **doc(
            "Only the mediators of this pool (within what the caller sees).",
            "Nur die Personen dieses Pools.",
        ),
    )


class DeployabilityQuery(Query):
    on: Day = Field(
        default=None,
        **doc(
            "The day, `YYYY-MM-DD`; default today (Europe/Berlin).", "Der Tag; vorgegeben: heute."
        ),
    )


# --- read -----------------------------------------------------------------------------------------


class MediatorLanguage(Read):
    code: str
    level: Annotated[Level, WithJsonSchema({"type": "string", "enum": list(LANGUAGE_LEVELS)})]
    dialects: list[str]


class Checks(Read):
    """The checks recorded by the coordination."""

    interview_on: date | None = Field(
        description=ChecksInput.model_fields["interview_on"].description
    )
    confidentiality_signed_on: date | None = Field(
        description=ChecksInput.model_fields["confidentiality_signed_on"].description
    )
    obligation_on: date | None = Field(
        description=ChecksInput.model_fields["obligation_on"].description
    )
    police_certificate_seen_on: date | None = Field(
        description=ChecksInput.model_fields["police_certificate_seen_on"].description
    )
    police_certificate_no_entry: bool = Field(
        description=ChecksInput.model_fields["police_certificate_no_entry"].description
    )


class TrainingRecord(Read):
    training_code: str
    completed_on: date
    expires_on: date | None = Field(**doc("Null: does not expire.", "Leer: läuft nicht ab."))

    @classmethod
    def of(cls, record: Any) -> TrainingRecord:
        return cls(
            training_code=record.training.code,
            completed_on=record.completed_on,
            expires_on=record.expires_on,
        )


class Acknowledgement(Read):
    guideline_code: str
    version: int = Field(ge=1)
    acknowledged_at: Moment

    @classmethod
    def of(cls, acknowledgement: Any) -> Acknowledgement:
        return cls(
            guideline_code=acknowledgement.guideline.code,
            version=acknowledgement.guideline.version,
            acknowledged_at=acknowledgement.acknowledged_at,
        )


class AvailabilityWindowRead(Read):
    weekday: int = Field(ge=0, le=6)
    start: ClockRead
    end: ClockRead


class AbsenceRead(Read):
    start_date: date
    end_date: date
    note: str | None


class Availability(Read):
    weekly: list[AvailabilityWindowRead]
    absences: list[AbsenceRead]
    paused_until: date | None = Field(
        **doc(
            "The mediator pauses until this day (inclusive); null: no pause.",
            "Die Person pausiert bis zu diesem Tag (einschließlich); leer: keine Pause.",
        )
    )

    @classmethod
    def of(cls, mediator: Any) -> Availability:
        return cls(
            weekly=[
                AvailabilityWindowRead(weekday=w.weekday, start=w.start, end=w.end)
                for w in mediator.availability
            ],
            absences=[
                AbsenceRead(start_date=a.start_date, end_date=a.end_date, note=a.note)
                for a in mediator.absences
            ],
            paused_until=mediator.paused_until,
        )


class Mediator(Read):
    """The whole record; coordinators' internal notes are not part of the API."""

    id: int = Field(ge=1)
    name: str
    email: str
    phone: str | None
    kind: MediatorKind
    pool_id: int = Field(ge=1)
    status: MediatorStatus
    gender: Gender | None
    german_level: Level | None
    languages: list[MediatorLanguage]
    domains: list[str]
    modes: list[Mode]
    municipalities: list[str] = Field(
        **doc("Municipalities served (names).", "Gemeinden, in denen die Person dolmetscht.")
    )
    travel_km: int | None
    monthly_cap: int | None = Field(
        **doc(
            "At most this many assignments a month; null: no limit.",
            "Höchstens so viele Einsätze im Monat; leer: ohne Grenze.",
        )
    )
    employing_office_id: int | None = Field(
        description=MediatorProfile.model_fields["employing_office_id"].description
    )
    supervisor_release_by: str | None = Field(
        description=MediatorProfile.model_fields["supervisor_release_by"].description
    )
    supervisor_release_until: date | None = Field(
        description=MediatorProfile.model_fields["supervisor_release_until"].description
    )
    checks: Checks
    trainings: list[TrainingRecord]
    acknowledgements: list[Acknowledgement] = Field(
        **doc(
            "Every acknowledgement of every version, oldest first.",
            "Jede Bestätigung jeder Fassung, älteste zuerst.",
        )
    )
    availability: Availability

    @classmethod
    def of(cls, mediator: Any) -> Mediator:
        acknowledgements = sorted(
            mediator.acknowledgements, key=lambda a: (a.acknowledged_at, a.guideline.code)
        )
        return cls(
            id=mediator.id,
            name=mediator.name,
            email=mediator.email,
            phone=mediator.phone,
            kind=mediator.kind,
            pool_id=mediator.pool_id,
            status=mediator.status,
            gender=mediator.gender,
            german_level=mediator.german_level,
            languages=[
                MediatorLanguage(
                    code=row.language_code, level=row.level, dialects=list(row.dialects or [])
                )
                for row in mediator.languages
            ],
            domains=mediator.domain_codes,
            modes=mediator.modes,
            municipalities=list(mediator.municipalities or []),
            travel_km=mediator.travel_km,
            monthly_cap=mediator.monthly_cap,
            employing_office_id=mediator.employing_office_id,
            supervisor_release_by=mediator.supervisor_release_by,
            supervisor_release_until=mediator.supervisor_release_until,
            checks=Checks(
                interview_on=mediator.interview_on,
                confidentiality_signed_on=mediator.confidentiality_signed_on,
                obligation_on=mediator.obligation_on,
                police_certificate_seen_on=mediator.police_certificate_seen_on,
                police_certificate_no_entry=mediator.police_certificate_no_entry,
            ),
            trainings=[TrainingRecord.of(r) for r in mediator.training_records],
            acknowledgements=[Acknowledgement.of(a) for a in acknowledgements],
            availability=Availability.of(mediator),
        )


class Deployability(Read):
    deployable: bool
    on: date
    reasons: list[str] = Field(
        **doc(
            "Every reason why not, in plain language (the request's locale).",
            "Jeder Grund, warum nicht, in der Sprache der Anfrage.",
        )
    )
    reason_codes: list[str] = Field(
        **doc(
            "Machine-readable codes of the reasons in the same order, e.g. `not_activated`, "
            "`guideline_missing:confidentiality`, `training_expired:basic`, `absent`, "
            "`release_missing`.",
            "Die Codes der Gründe in derselben Reihenfolge.",
        )
    )

    @classmethod
    def of(cls, result: Any, on: date) -> Deployability:
        return cls(
            deployable=result.deployable,
            on=on,
            reasons=[reason.text for reason in result.reasons],
            reason_codes=result.codes,
        )
