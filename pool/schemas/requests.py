"""Requests for interpreting: create, change, read, list, the candidates of one.

The codes of a request (``mode``, ``setting``, ``domain``, …) are checked by the pool's intake
rules, which answer every reason with its code; the schema checks only the JSON types and lengths.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic.json_schema import SkipJsonSchema

from pool.enums import Gender, Level, Mode, RequestStatus, Setting
from pool.schemas.base import (
    DATE_MESSAGE,
    MAX_ID,
    Body,
    Choice,
    Flag,
    Id,
    Moment,
    OptionalMoment,
    OptionalText,
    OptionalTimestamp,
    OptionalWhole,
    Read,
    doc,
    parse_day,
    parse_timestamp,
    problem,
    without_required,
)
from pool.schemas.common import ListQuery, QueryId
from pool.schemas.offers import Assignment, CancelSide, OfficeRef

# The longest text of each field of a request (the office's form reads them too).
TEXT_LIMITS = {
    "language": 8,
    "dialect": 80,
    "municipality": 120,
    "address": 300,
    "domain": 40,
    "setting": 30,
    "mode": 10,
    "gender_preference": 10,
    "urgent_reason": 500,
    "case_ref": 60,
    "notes": 2000,
}
MIN_DURATION = 15
MAX_DURATION = 480
GENDER_PREFERENCES = (Gender.FEMALE, Gender.MALE)
CHANGEABLE_FIELDS = frozenset(
    {"starts_at", "duration_minutes", "mode", "municipality", "address", "notes", "urgent",
     "urgent_reason"}
)  # fmt: skip


def _text(name: str, english: str | None = None, german: str | None = None, **schema: Any) -> Any:
    """A text field of a request: stripped, "" counts as null; codes are the service's."""
    multiline = name in ("address", "urgent_reason", "notes")
    field_type = OptionalText(TEXT_LIMITS[name], multiline=multiline)
    if schema:
        field_type = Annotated[
            field_type, WithJsonSchema({"maxLength": TEXT_LIMITS[name], **schema})
        ]
    return field_type


_OptionalFlag = Annotated[bool | None, BeforeValidator(lambda v: v if v is None else _flag(v))]


def _flag(value: Any) -> bool:
    if type(value) is not bool:
        raise problem("Must be true or false.")
    return value


_MODE_SCHEMA = {"type": "string", "enum": [m.value for m in Mode]}
_SETTING_SCHEMA = {"type": "string", "enum": [s.value for s in Setting]}
_Duration = Annotated[
    OptionalWhole(0, MAX_ID),
    WithJsonSchema({"type": "integer"}),
]
_Start = Annotated[
    OptionalTimestamp, WithJsonSchema({"type": "string", "format": "date-time", "maxLength": 40})
]
_DESCRIPTIONS = {
    "address": doc("Required for `in_person`; ignored otherwise.", "Nötig für Einsätze vor Ort."),
    "municipality": doc("Required for `in_person`.", "Nötig für Einsätze vor Ort."),
    "notes": doc("No health data, no names.", "Keine Gesundheitsdaten, keine Namen."),
    "urgent": doc(
        "Urgent requests skip the minimum lead time; they need `urgent_reason`.",
        "Dringende Anfragen brauchen keine Vorlaufzeit, aber eine Begründung.",
    ),
    "urgent_reason": doc("Why it is urgent.", "Warum es dringend ist."),
    "starts_at": doc(
        "ISO 8601 with an offset, e.g. `2027-03-02T10:00:00+01:00`; a timestamp without an "
        "offset is refused (422).",
        "Beginn mit Zeitzone.",
    ),
    "duration_minutes": doc(
        f"Expected duration, {MIN_DURATION} to {MAX_DURATION} minutes.",
        f"Erwartete Dauer, {MIN_DURATION} bis {MAX_DURATION} Minuten.",
    ),
}


class RequestChanges(Body):
    """The fields of a request that may change after intake."""

    starts_at: _Start = Field(default=None, **_DESCRIPTIONS["starts_at"])
    duration_minutes: _Duration = Field(default=None, **_DESCRIPTIONS["duration_minutes"])
    mode: _text("mode", **_MODE_SCHEMA) = None
    municipality: _text("municipality") = Field(default=None, **_DESCRIPTIONS["municipality"])
    address: _text("address") = Field(default=None, **_DESCRIPTIONS["address"])
    notes: _text("notes") = Field(default=None, **_DESCRIPTIONS["notes"])
    urgent: _OptionalFlag = Field(default=None, **_DESCRIPTIONS["urgent"])
    urgent_reason: _text("urgent_reason") = Field(default=None, **_DESCRIPTIONS["urgent_reason"])


class RequestCreate(RequestChanges):
    """Also needed (else 422 with the reasons): `language`, `starts_at`, `duration_minutes`,
    `mode`, `domain`, `setting`, `professional_present: true`. Strings are stripped; "" counts as
    null."""

    office_id: Id = Field(
        **doc(
            "Caseworkers: their own office; coordinators: any office of their pool; admins: any.",
            "Sachbearbeitung: die eigene Dienststelle; Koordination: eine des Pools.",
        )
    )
    language: _text("language") = Field(
        default=None, **doc("Language code (see `GET /languages`).", "Sprachcode.")
    )
    dialect: _text("dialect") = Field(
        default=None,
        **doc("Dialect or variety if it matters, free text.", "Dialekt, falls er wichtig ist."),
    )
    domain: _text("domain") = Field(
        default=None,
        **doc("Domain code of the catalogue, e.g. `youth_welfare`.", "Bereich des Katalogs."),
    )
    setting: _text("setting", **_SETTING_SCHEMA) = Field(
        default=None,
        **doc(
            "Settings the pool excludes (by default `court`, `police`, `asylum_hearing`, "
            "`legally_binding`, `medical_report`) are refused (422) with where to turn instead.",
            "Vom Pool ausgeschlossene Anlässe werden mit einem Hinweis abgelehnt.",
        ),
    )
    gender_preference: _text(
        "gender_preference", type=["string", "null"], enum=[*GENDER_PREFERENCES, None]
    ) = None
    gender_required: _OptionalFlag = None
    professional_present: _OptionalFlag = Field(
        default=None,
        **doc(
            "Must be true: a professional of the office is present and leads the talk.",
            "Eine Fachkraft der Dienststelle ist dabei und führt das Gespräch.",
        ),
    )
    case_ref: _text("case_ref") = Field(
        default=None,
        **doc(
            "Pseudonymous case reference (for continuity and conflicts of interest), never a "
            "name; one that looks like a name, e-mail address or phone number is refused.",
            "Pseudonymes Aktenzeichen, nie ein Name.",
        ),
    )

    def values(self) -> dict[str, Any]:
        """The request fields sent, for the intake service."""
        return {k: v for k, v in self.given().items() if k != "office_id"}


class RequestUpdate(RequestChanges):
    """Only the fields sent change. Any other field of a request is refused by the service
    (422: cancel and ask again)."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Only the fields sent change: "
            + ", ".join(f"`{n}`" for n in sorted(CHANGEABLE_FIELDS))
            + ". Any other field of a request is refused (422: cancel and ask again). Only the "
            "rules that concern the changed fields are checked again (422 with the reasons). When "
            "the start, a later end, the mode or the municipality changes, an assigned mediator's "
            "assignment is cancelled and pending offers are withdrawn, and the same mediators are "
            "asked again for the new time; smaller changes keep the assignment and the mediator "
            "is told."
        }
    )

    whole_series: Flag = Field(
        default=False,
        **doc(
            "Change every request of the series that has not begun (a new start moves each by "
            "the same number of days to the new time).",
            "Alle noch nicht begonnenen Termine der Serie ändern.",
        ),
    )
    # Fields that cannot change go to the service unchecked, which explains what to do instead.
    language: SkipJsonSchema[Any] = None
    dialect: SkipJsonSchema[Any] = None
    domain: SkipJsonSchema[Any] = None
    setting: SkipJsonSchema[Any] = None
    gender_preference: SkipJsonSchema[Any] = None
    gender_required: SkipJsonSchema[Any] = None
    professional_present: SkipJsonSchema[Any] = None
    case_ref: SkipJsonSchema[Any] = None

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.given().items() if k != "whole_series"}


# --- queries --------------------------------------------------------------------------------------


def _moment(raw: Any) -> date | datetime:
    value: date | datetime | None = parse_day(raw) if isinstance(raw, str) else None
    if value is None and isinstance(raw, str):
        value = parse_timestamp(raw)
    if value is None:
        raise problem(f"Must be a date YYYY-MM-DD or a timestamp with an offset. {DATE_MESSAGE}")
    return value


_QueryMoment = Annotated[
    date | datetime | None, BeforeValidator(_moment), WithJsonSchema({"type": "string"})
]


class RequestQuery(ListQuery):
    status: Choice(RequestStatus) = None
    start: _QueryMoment = Field(
        default=None,
        alias="from",
        **doc(
            "Only requests starting at or after this: a date `YYYY-MM-DD` (from its start in "
            "Europe/Berlin) or a timestamp with an offset.",
            "Nur Anfragen ab diesem Tag oder Zeitpunkt.",
        ),
    )
    end: _QueryMoment = Field(
        default=None,
        alias="to",
        **doc(
            "Only requests starting before this: a date `YYYY-MM-DD` (that whole day included, "
            "Europe/Berlin) or a timestamp with an offset (excluded).",
            "Nur Anfragen vor diesem Zeitpunkt (ein Tag zählt ganz mit).",
        ),
    )
    office_id: QueryId = Field(
        default=None,
        **doc("Only the requests of this office.", "Nur Anfragen dieser Dienststelle."),
    )


# --- read -----------------------------------------------------------------------------------------


class Request(Read):
    """`case_ref` and `notes` are left out for a mediator, who sees `assignment` only when it is
    their own."""

    model_config = ConfigDict(json_schema_extra=without_required("case_ref", "notes"))

    id: int = Field(ge=1)
    pool_id: int = Field(ge=1)
    office_id: int = Field(ge=1)
    office: OfficeRef
    series_id: int | None = Field(
        **doc(
            "Requests of one series of recurring appointments share it.",
            "Anfragen einer Terminserie haben dieselbe.",
        )
    )
    status: RequestStatus
    language: str
    dialect: str | None
    starts_at: Moment
    ends_at: Moment
    duration_minutes: int
    mode: Mode
    municipality: str | None
    address: str | None
    domain: str
    setting: Setting
    gender_preference: Annotated[
        Gender | None,
        WithJsonSchema({"type": ["string", "null"], "enum": [*GENDER_PREFERENCES, None]}),
    ]
    gender_required: bool
    urgent: bool
    urgent_reason: str | None
    professional_present: bool
    candidates_at_intake: int | None = Field(
        **doc(
            "How many mediators could take it when it came in.",
            "Wie viele Personen sie beim Eingang hätten übernehmen können.",
        )
    )
    unfillable_reason: str | None
    cancel_reason: str | None
    cancelled_by: Annotated[
        CancelSide | None,
        WithJsonSchema({"type": ["string", "null"], "enum": ["office", "coordination", None]}),
    ]
    cancelled_at: OptionalMoment
    short_notice_cancellation: bool
    created_at: Moment
    updated_at: Moment
    assigned_at: OptionalMoment
    assignment: Assignment | None = Field(
        **doc("The assignment that is not cancelled, or null.", "Der gültige Einsatz oder leer.")
    )
    case_ref: str | None = None
    notes: str | None = None

    @classmethod
    def of(cls, item: Any, *, view: str = "manage", mediator_id: int | None = None) -> Request:
        """The request for ``view``: "manage" and "office" see everything; "mediator" (the
        mediator it is offered or assigned to, ``mediator_id``) sees neither the case reference
        nor the notes, and the assignment only when it is their own."""
        assignment = item.active_assignment
        if view == "mediator" and assignment is not None and assignment.mediator_id != mediator_id:
            assignment = None
        return cls(
            id=item.id, pool_id=item.pool_id, office_id=item.office_id,
            office=OfficeRef.of(item.office), series_id=item.series_id, status=item.status,
            language=item.language_code, dialect=item.dialect, starts_at=item.starts_at,
            ends_at=item.ends_at, duration_minutes=item.duration_minutes, mode=item.mode,
            municipality=item.municipality, address=item.address, domain=item.domain_code,
            setting=item.setting, gender_preference=item.gender_preference,
            gender_required=item.gender_required, urgent=item.urgent,
            urgent_reason=item.urgent_reason, professional_present=item.professional_present,
            candidates_at_intake=item.candidates_at_intake,
            unfillable_reason=item.unfillable_reason, cancel_reason=item.cancel_reason,
            cancelled_by=item.cancelled_by, cancelled_at=item.cancelled_at,
            short_notice_cancellation=item.short_notice_cancellation,
            created_at=item.created_at, updated_at=item.updated_at, assigned_at=item.assigned_at,
            assignment=(
                Assignment.of(assignment, view="mediator" if view == "mediator" else view)
                if assignment is not None
                else None
            ),
            **({} if view == "mediator" else {"case_ref": item.case_ref, "notes": item.notes}),
        )  # fmt: skip


class Candidate(Read):
    mediator_id: int = Field(ge=1)
    name: str
    score: Annotated[int | float, WithJsonSchema({"type": "number"})]
    reasons: list[str] = Field(
        **doc("What makes up the score, in plain language.", "Woraus sich die Punkte ergeben.")
    )
    language: str = Field(
        **doc(
            "The language they speak: the requested one or a related one (a weaker candidate).",
            "Die gesprochene Sprache: die gewünschte oder eine verwandte.",
        )
    )
    level: Level
    related_language: bool
    pool_id: int = Field(ge=1)
    pending_offer: bool = Field(
        **doc(
            "Already has a pending offer for this request.",
            "Hat schon eine offene Anfrage dazu.",
        )
    )


class Excluded(Read):
    mediator_id: int = Field(ge=1)
    name: str
    reasons: list[str] = Field(**doc("Every reason why not.", "Jeder Grund, warum nicht."))
    reason_codes: list[str]
    related_language: bool


class Candidates(Read):
    candidates: list[Candidate] = Field(
        **doc(
            "Who can take the request, best first (ties by fair share, then id).",
            "Wer die Anfrage übernehmen kann, die Besten zuerst.",
        )
    )
    excluded: list[Excluded] = Field(
        **doc(
            "Speakers of the language who cannot take it, closest first; at most 50.",
            "Wer die Sprache spricht, aber nicht kann; höchstens 50.",
        )
    )
    excluded_counts: dict[str, int] = Field(
        **doc(
            "Per reason code, over every excluded speaker (not only the listed ones).",
            "Je Grund, über alle Ausgeschlossenen.",
        )
    )
    excluded_total: int = Field(
        **doc("How many speakers are excluded in all.", "Wie viele insgesamt ausgeschlossen sind.")
    )

    @classmethod
    def of(cls, result: Any) -> Candidates:
        return cls(
            candidates=[
                Candidate(
                    mediator_id=c.mediator_id,
                    name=c.name,
                    score=c.score,
                    reasons=list(c.reasons),
                    language=c.language_code,
                    level=c.level,
                    related_language=c.related_language,
                    pool_id=c.pool_id,
                    pending_offer=c.pending_offer,
                )  # fmt: skip
                for c in result.candidates
            ],
            excluded=[
                Excluded(
                    mediator_id=e.mediator_id,
                    name=e.name,
                    reasons=list(e.reasons),
                    reason_codes=list(e.codes),
                    related_language=e.related_language,
                )  # fmt: skip
                for e in result.excluded
            ],
            excluded_counts=dict(result.excluded_counts),
            excluded_total=result.excluded_total,
        )
