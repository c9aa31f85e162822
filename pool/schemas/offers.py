"""Offers, assignments and their outcome: the bodies of the actions and the answers."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import ConfigDict, Field, WithJsonSchema, model_validator

from pool.enums import AssignmentStatus, Mode, OfferStatus, Outcome, Setting
from pool.schemas.base import (
    Body,
    Choice,
    Flag,
    Id,
    Moment,
    OptionalMoment,
    OptionalText,
    OptionalWhole,
    Read,
    Text,
    Whole,
    doc,
    problem,
    without_required,
)
from pool.schemas.common import ListQuery, QueryId

MAX_REASON = 500
MAX_FEEDBACK = 2000
MAX_OFFER_MEDIATORS = 50
MAX_EXPIRY_MINUTES = 60 * 24 * 30
MAX_DURATION_REPORTED = 600
MAX_TRAVEL_KM = 1000


class CancelSide(StrEnum):
    MEDIATOR = "mediator"
    OFFICE = "office"
    COORDINATION = "coordination"


# --- input ----------------------------------------------------------------------------------------


class ReasonInput(Body):
    reason: Text(MAX_REASON, multiline=True)


class OptionalReasonInput(Body):
    reason: OptionalText(MAX_REASON, multiline=True) = None


class EmptyInput(Body):
    """No fields; the body may also be empty."""


def _distinct(ids: list[int]) -> list[int]:
    return list(dict.fromkeys(ids))


class OfferCreate(Body):
    mediator_ids: list[Id] = Field(
        min_length=1,
        max_length=MAX_OFFER_MEDIATORS,
        **doc(
            "Active mediators of the request's pool or of a pool sharing with it; the first to "
            "accept gets the request, the others' offers are withdrawn and they are told.",
            "Aktive Personen des Pools oder eines teilenden Pools; wer zuerst zusagt, bekommt "
            "den Einsatz.",
        ),
    )
    expires_in_minutes: OptionalWhole(1, MAX_EXPIRY_MINUTES) = Field(
        default=None,
        **doc(
            "Default: the pool's setting; never after the start.",
            "Vorgegeben: die Einstellung des Pools; nie nach dem Beginn.",
        ),
    )

    def distinct_ids(self) -> list[int]:
        return _distinct(self.mediator_ids)


class DirectAssignmentInput(Body):
    mediator_id: Id = Field(
        **doc(
            "An active mediator of the request's pool or of a pool sharing with it.",
            "Eine aktive Person des Pools oder eines teilenden Pools.",
        )
    )
    reason: OptionalText(MAX_REASON, multiline=True) = Field(
        default=None, **doc("E.g. agreed by phone.", "Z. B. telefonisch abgesprochen.")
    )


class AcceptInput(Body):
    no_conflict_of_interest: Annotated[
        Flag, WithJsonSchema({"type": "boolean", "enum": [True]})
    ] = Field(
        **doc(
            "Must be true: the mediator declares they have no personal relationship to the case.",
            "Die Person erklärt, keine persönliche Beziehung zum Fall zu haben.",
        )
    )

    @model_validator(mode="after")
    def _declared(self) -> AcceptInput:
        if not self.no_conflict_of_interest:
            raise problem(
                "Must be true: declare that you have no personal relationship to this case.",
                "no_conflict_of_interest",
            )
        return self


class AssignmentCancelInput(Body):
    reason: Text(MAX_REASON, multiline=True)
    conflict_of_interest: Flag = Field(
        default=False,
        **doc(
            "A conflict of interest was discovered: the mediator is excluded from this case "
            "reference of the office; never flagged as short notice.",
            "Ein Interessenkonflikt wurde bekannt; nie als kurzfristig gezählt.",
        ),
    )


class FeedbackInput(Body):
    rating: Whole(1, 5)
    text: OptionalText(MAX_FEEDBACK, multiline=True) = None


class CompletionInput(Body):
    outcome: Choice(Outcome)
    duration_minutes: OptionalWhole(0, MAX_DURATION_REPORTED) = Field(
        default=None,
        **doc("Required when the outcome is `took_place`.", "Nötig, wenn der Termin stattfand."),
    )
    travel_km: OptionalWhole(0, MAX_TRAVEL_KM) = Field(
        default=None, **doc("The mediator only.", "Nur die dolmetschende Person.")
    )
    feedback: FeedbackInput | None = Field(
        default=None, **doc("The office only.", "Nur die Dienststelle.")
    )

    def side_problems(self, side: str) -> dict[str, list[str]]:
        """What this side may not report: travel is the mediator's, feedback the office's."""
        fields: dict[str, list[str]] = {}
        if "travel_km" in self.model_fields_set and side != "mediator":
            fields["travel_km"] = ["Only the mediator reports travel."]
        if self.feedback is not None and side != "office":
            fields["feedback"] = ["Only the office gives feedback."]
        return fields


class OfferQuery(ListQuery):
    status: Choice(OfferStatus) = None
    request_id: QueryId = Field(
        default=None, **doc("Only the offers of this request.", "Nur die Angebote dieser Anfrage.")
    )


# --- read -----------------------------------------------------------------------------------------


class OfficeRef(Read):
    id: int = Field(ge=1)
    name: str
    phone: str | None

    @classmethod
    def of(cls, office: Any) -> OfficeRef:
        return cls(id=office.id, name=office.name, phone=office.phone)


class RequestSummary(Read):
    """What a mediator needs to decide; no client data (no case reference, no notes)."""

    starts_at: Moment
    ends_at: Moment
    duration_minutes: int
    mode: Mode
    municipality: str | None
    address: str | None
    office: OfficeRef
    domain: str
    setting: Setting
    language: str
    dialect: str | None
    urgent: bool

    @classmethod
    def of(cls, item: Any) -> RequestSummary:
        return cls(
            starts_at=item.starts_at, ends_at=item.ends_at,
            duration_minutes=item.duration_minutes, mode=item.mode,
            municipality=item.municipality, address=item.address,
            office=OfficeRef.of(item.office), domain=item.domain_code, setting=item.setting,
            language=item.language_code, dialect=item.dialect, urgent=item.urgent,
        )  # fmt: skip


class Offer(Read):
    id: int = Field(ge=1)
    request_id: int = Field(ge=1)
    mediator_id: int = Field(ge=1)
    mediator_name: str
    status: OfferStatus
    expires_at: OptionalMoment = Field(
        **doc("Answer by then; never after the start.", "Antwort bis dahin; nie nach dem Beginn.")
    )
    created_at: Moment
    responded_at: OptionalMoment
    decline_reason: str | None
    request: RequestSummary

    @classmethod
    def of(cls, offer: Any) -> Offer:
        return cls(
            id=offer.id, request_id=offer.request_id, mediator_id=offer.mediator_id,
            mediator_name=offer.mediator.name, status=offer.status, expires_at=offer.expires_at,
            created_at=offer.created_at, responded_at=offer.responded_at,
            decline_reason=offer.decline_reason, request=RequestSummary.of(offer.request),
        )  # fmt: skip


class OfferItems(Read):
    items: list[Offer] = Field(
        **doc(
            "The new offers (a mediator who already has a pending offer for the request gets no "
            "second one).",
            "Die neuen Angebote.",
        )
    )


class OfficeReport(Read):
    outcome: Outcome
    duration_minutes: int | None


class MediatorReport(Read):
    outcome: Outcome
    duration_minutes: int | None
    travel_km: int | None


class Feedback(Read):
    rating: int | None = Field(ge=1, le=5)
    text: str | None


class OutcomeDifference(StrEnum):
    OUTCOME = "outcome"
    DURATION = "duration"


class Assignment(Read):
    """`feedback` is left out for the mediator."""

    model_config = ConfigDict(json_schema_extra=without_required("feedback"))

    id: int = Field(ge=1)
    request_id: int = Field(ge=1)
    mediator_id: int = Field(ge=1)
    mediator_name: str
    offer_id: int | None = Field(
        **doc("The accepted offer; null for a direct assignment.", "Das angenommene Angebot.")
    )
    status: AssignmentStatus
    starts_at: Moment
    ends_at: Moment
    in_person: bool
    assign_reason: str | None = Field(
        **doc("Why the coordination assigned directly.", "Warum die Koordination direkt zuteilte.")
    )
    created_at: Moment
    cancelled_at: OptionalMoment
    cancelled_by: CancelSide | None
    cancel_reason: str | None
    conflict_of_interest: bool
    short_notice: bool = Field(
        **doc(
            "Cancelled within the pool's short-notice window.",
            "Innerhalb der kurzfristigen Frist des Pools abgesagt.",
        )
    )
    completed_at: OptionalMoment
    office_report: OfficeReport | None = Field(
        **doc("What the office reported; null until it has.", "Was die Dienststelle meldete.")
    )
    mediator_report: MediatorReport | None = Field(
        **doc("What the mediator reported; null until they have.", "Was die Person meldete.")
    )
    outcome_differences: list[OutcomeDifference] = Field(
        **doc("Where both sides reported differently.", "Wo beide Seiten Verschiedenes meldeten.")
    )
    feedback: Feedback | None = Field(
        default=None,
        **doc("The office's feedback; null if none.", "Die Rückmeldung der Dienststelle."),
    )

    @classmethod
    def of(cls, assignment: Any, *, view: str = "manage") -> Assignment:
        """The assignment for ``view``: "manage" (coordination), "office" (caseworkers of the
        office) or "mediator" (its mediator, who does not see the office's feedback)."""
        from pool.services.booking import outcome_differences

        a = assignment
        extra: dict[str, Any] = {}
        if view != "mediator":
            has_feedback = a.feedback_rating is not None or a.feedback_text
            extra["feedback"] = (
                Feedback(rating=a.feedback_rating, text=a.feedback_text) if has_feedback else None
            )
        return cls(
            id=a.id, request_id=a.request_id, mediator_id=a.mediator_id,
            mediator_name=a.mediator.name, offer_id=a.offer_id, status=a.status,
            starts_at=a.starts_at, ends_at=a.ends_at, in_person=a.in_person,
            assign_reason=a.assign_reason, created_at=a.created_at,
            cancelled_at=a.cancelled_at, cancelled_by=a.cancelled_by,
            cancel_reason=a.cancel_reason, conflict_of_interest=a.conflict_of_interest,
            short_notice=a.short_notice, completed_at=a.completed_at,
            office_report=(
                OfficeReport(outcome=a.office_outcome, duration_minutes=a.office_duration_minutes)
                if a.office_outcome is not None else None
            ),
            mediator_report=(
                MediatorReport(
                    outcome=a.mediator_outcome, duration_minutes=a.mediator_duration_minutes,
                    travel_km=a.travel_km,
                )
                if a.mediator_outcome is not None else None
            ),
            outcome_differences=outcome_differences(a),
            **extra,
        )  # fmt: skip
