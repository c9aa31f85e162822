"""The error envelope ``{"error": {"code", "message", "fields"?}}`` of every API error."""

from __future__ import annotations

from pydantic import BaseModel, Field

from pool.schemas.base import doc


class ErrorBody(BaseModel):
    code: str = Field(
        **doc(
            "Machine-readable, e.g. `bad_request`, `unauthorized`, `forbidden`, `not_found`, "
            "`method_not_allowed`, `validation_failed`, `conflict`, `busy`.",
            "Für Programme.",
        )
    )
    message: str = Field(**doc("For people.", "Für Menschen."))
    fields: dict[str, list[str]] = Field(
        default=None,  # type: ignore[assignment]
        **doc("Problems per parameter or field.", "Probleme je Parameter oder Feld."),
    )


class Error(BaseModel):
    error: ErrorBody


class Reason(BaseModel):
    code: str = Field(
        **doc(
            "E.g. `setting_excluded`, `sign_language`, `medical_not_served`, `lead_time`, "
            "`missing`, `professional_required`, `case_ref_name`.",
            "Code des Grundes.",
        )
    )
    field: str | None
    message: str


class IntakeRefusedBody(BaseModel):
    code: str = Field(json_schema_extra={"enum": ["validation_failed"]})
    message: str = Field(**doc("Every reason's text.", "Jeder Grund als Text."))
    fields: dict[str, list[str]] = Field(
        default=None,  # type: ignore[assignment]
        **doc("The reasons' texts by field.", "Die Gründe je Feld."),
    )
    reasons: list[Reason]


class IntakeRefused(BaseModel):
    error: IntakeRefusedBody
