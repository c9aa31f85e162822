"""The indicators of a period (``GET /reports/indicators``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field, WithJsonSchema

from pool.schemas.base import Day, Query, Read, doc
from pool.schemas.common import QueryId

Count = Annotated[int, Field(ge=0)]
Minutes = Annotated[int | float | None, WithJsonSchema({"type": ["number", "null"]})]


class IndicatorQuery(Query):
    start: Day = Field(default=None, alias="from")
    end: Day = Field(default=None, alias="to")
    pool_id: QueryId = Field(
        default=None,
        **doc(
            "Only this pool (403 if the caller does not coordinate it).",
            "Nur dieser Pool (403, wenn er nicht der eigene ist).",
        ),
    )


class Counts(Read):
    """Counts of requests (of the whole period, or of one language, office, domain or month)."""

    requests: Count = Field(**doc("Requests starting in the period.", "Anfragen im Zeitraum."))
    fulfilled: Count = Field(
        **doc("With a completed assignment or one that took place.", "Mit erfülltem Einsatz.")
    )
    unfilled: Count = Field(
        **doc(
            "Marked as not fillable, or without a mediator when the appointment ended.",
            "Nicht besetzbar oder am Ende ohne Person.",
        )
    )
    cancelled: Count = Field(**doc("Cancelled by the office or the coordination.", "Abgesagt."))
    cancelled_by_office: Count
    without_candidates: Count = Field(
        **doc("Unmet demand: no suitable mediator at intake.", "Beim Eingang ohne passende Person.")
    )
    fulfilment_rate: Minutes = Field(
        **doc(
            "fulfilled / (requests - cancelled_by_office); null when that is 0.",
            "Erfüllungsquote; leer, wenn nichts zu zählen ist.",
        )
    )


class LanguageCounts(Counts):
    code: str


class OfficeCounts(Counts):
    office_id: int = Field(ge=1)


class MonthCounts(Counts):
    month: str = Field(**doc("YYYY-MM", "JJJJ-MM"))


class IndicatorSummary(Counts):
    model_config = ConfigDict(populate_by_name=True)

    start: str = Field(alias="from", **doc("First day (YYYY-MM-DD, Europe/Berlin).", "Erster Tag."))
    end: str = Field(alias="to", **doc("Last day, inclusive.", "Letzter Tag, eingeschlossen."))
    cancelled_by_coordination: Count
    cancelled_short_notice: Count
    mediator_cancellations: Count = Field(
        **doc("Assignments the mediator cancelled.", "Von der Person abgesagte Einsätze.")
    )
    mediator_cancellations_short_notice: Count
    median_minutes_to_assignment: Minutes = Field(
        **doc("From the request's creation to the confirmed assignment.", "Bis zur Zusage.")
    )
    median_lead_time_minutes: Minutes = Field(
        **doc("From creation to the start.", "Vom Eingang bis zum Beginn.")
    )
    minutes_volunteers: Count = Field(
        **doc("Time served by volunteers.", "Zeit der Ehrenamtlichen.")
    )
    minutes_staff: Count = Field(**doc("Time served by staff members.", "Zeit der Mitarbeitenden."))
    client_no_shows: Count
    mediator_no_shows: Count
    feedback_average: Minutes = Field(
        **doc("Offices' rating, 1-5.", "Bewertung der Dienststellen.")
    )
    feedback_count: Count
    debrief_requests: Count = Field(
        **doc("Debrief requests made (only the number).", "Bitten um Nachgespräch (nur die Zahl).")
    )


class MediatorLanguageCount(Read):
    code: str
    active: Count
    deployable: Count


class MediatorCounts(Read):
    """Active and deployable mediators now (not of the period)."""

    active: Count
    deployable: Count
    by_language: list[MediatorLanguageCount]


class Indicators(IndicatorSummary):
    by_language: list[LanguageCounts]
    by_office: list[OfficeCounts]
    by_domain: list[LanguageCounts]
    by_month: list[MonthCounts]
    mediators: MediatorCounts
    previous: IndicatorSummary = Field(
        **doc("The previous period of the same length.", "Der vorige Zeitraum gleicher Länge.")
    )

    def dump(self):  # type: ignore[override]
        return self.model_dump(mode="json", by_alias=True)
