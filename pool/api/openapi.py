"""The OpenAPI 3.1 description of API v1, served at ``GET /api/v1/openapi.json``.

Hand-written and kept truthful: describe exactly what the routes do, and describe every new route
(tests/test_api.py fails for a route under /api/v1 that is missing here). Paths are relative to
the server URL ``/api/v1``.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from pool.api.helpers import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT
from pool.api.mediators import (
    MAX_ABSENCES,
    MAX_DIALECTS,
    MAX_DOMAINS,
    MAX_LANGUAGES,
    MAX_MUNICIPALITIES,
    MAX_WEEKLY,
    SELF_FIELDS,
)
from pool.api.requests import (
    MAX_DURATION_REPORTED,
    MAX_EXPIRY_MINUTES,
    MAX_OFFER_MEDIATORS,
    MAX_TRAVEL_KM,
)
from pool.models.mediators import GENDERS, GERMAN_LEVELS, KINDS, LEVELS, MODES, STATUSES
from pool.models.org import FEDERAL_STATES, POOL_KINDS
from pool.models.requests import (
    ASSIGNMENT_STATUSES,
    OFFER_STATUSES,
    OUTCOMES,
    REQUEST_STATUSES,
    SETTINGS,
)
from pool.models.users import ROLES
from pool.services.booking import MAX_FEEDBACK, MAX_REASON
from pool.services.requests import (
    CHANGEABLE_FIELDS,
    GENDER_PREFERENCES,
    MAX_DURATION,
    MIN_DURATION,
    TEXT_LIMITS,
)

API_VERSION = "1.0.0"
LOCALES = ["de", "en"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _list_envelope(item: str, description: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": description,
        "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "items": _ref(item)},
            "next": {
                "type": ["string", "null"],
                "description": "Cursor of the next page (pass it as `cursor`); null on the last.",
            },
        },
    }


_ID = {"type": "integer", "minimum": 1}
_DATE = {"type": "string", "format": "date", "description": "`YYYY-MM-DD`."}
_DATE_OR_NULL = {"type": ["string", "null"], "format": "date", "description": "`YYYY-MM-DD`."}
_TIME = {
    "type": "string",
    "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
    "description": "Local time of day (Europe/Berlin), `HH:MM`.",
}


def _text(max_length: int, description: str | None = None, nullable: bool = False) -> dict:
    """A text field of a request body: no control characters, stripped, "" counts as null."""
    schema: dict[str, Any] = {
        "type": ["string", "null"] if nullable else "string",
        "maxLength": max_length,
    }
    if description:
        schema["description"] = description
    return schema


def _date_field(description: str) -> dict[str, Any]:
    return {**_DATE_OR_NULL, "description": f"{description} `YYYY-MM-DD`."}


_CHECKS_PROPERTIES: dict[str, Any] = {
    "interview_on": _date_field("Date of the first interview."),
    "confidentiality_signed_on": _date_field("Date the confidentiality declaration was signed."),
    "obligation_on": _date_field("Date of the formal obligation (Verpflichtungsgesetz)."),
    "police_certificate_seen_on": _date_field(
        "Date an extended police certificate was seen (the document itself is never stored)."
    ),
    "police_certificate_no_entry": {
        "type": "boolean",
        "description": "The certificate had no relevant entry.",
    },
}

_PROFILE_DESCRIPTIONS = {
    "municipalities": "Municipalities served (names).",
    "travel_km": "How far the person travels beyond them, in km.",
    "monthly_cap": "At most this many assignments a month; null: no limit.",
    "employing_office_id": "Staff members: the employing office.",
    "supervisor_release_by": "Staff members: who gave the supervisor's release.",
    "supervisor_release_until": "Staff members: the release is valid until this day.",
}


def _profile_request_properties() -> dict[str, Any]:
    """Profile fields as a request sends them."""
    return {
        "name": _text(120),
        "email": {"type": "string", "format": "email", "maxLength": 254},
        "phone": _text(40, nullable=True),
        "kind": {"type": "string", "enum": list(KINDS)},
        "gender": {"type": ["string", "null"], "enum": [*GENDERS, None]},
        "german_level": {"type": ["string", "null"], "enum": [*GERMAN_LEVELS, None]},
        "languages": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_LANGUAGES,
            "items": _ref("MediatorLanguageInput"),
            "description": "Replaces all languages; each language once.",
        },
        "domains": {
            "type": "array",
            "maxItems": MAX_DOMAINS,
            "items": {"type": "string", "maxLength": 40},
            "description": "Domain codes of the catalogue (`education`, `health`, "
            "`youth_welfare`, `social_services`, `authorities`, `other` and any the admin "
            "added); replaces all domains.",
        },
        "modes": {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": list(MODES)},
            "description": 'Default on creation: `["in_person"]`.',
        },
        "municipalities": {
            "type": "array",
            "maxItems": MAX_MUNICIPALITIES,
            "items": {"type": "string", "maxLength": 120},
            "description": _PROFILE_DESCRIPTIONS["municipalities"],
        },
        "travel_km": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": 1000,
            "description": _PROFILE_DESCRIPTIONS["travel_km"],
        },
        "monthly_cap": {
            "type": ["integer", "null"],
            "minimum": 0,
            "maximum": 1000,
            "description": _PROFILE_DESCRIPTIONS["monthly_cap"],
        },
        "employing_office_id": {
            "type": ["integer", "null"],
            "minimum": 1,
            "maximum": MAX_ID,
            "description": _PROFILE_DESCRIPTIONS["employing_office_id"],
        },
        "supervisor_release_by": _text(
            120, _PROFILE_DESCRIPTIONS["supervisor_release_by"], nullable=True
        ),
        "supervisor_release_until": _date_field(_PROFILE_DESCRIPTIONS["supervisor_release_until"]),
    }


SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {
                        "type": "string",
                        "description": "Machine-readable, e.g. `bad_request`, `unauthorized`, "
                        "`forbidden`, `not_found`, `method_not_allowed`, "
                        "`validation_failed`, `conflict`, `busy`.",
                    },
                    "message": {"type": "string", "description": "For people."},
                    "fields": {
                        "type": "object",
                        "description": "Problems per parameter or field.",
                        "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "email", "name", "roles", "pool_ids", "office_id", "mediator_id"],
        "properties": {
            "id": _ID,
            "email": {"type": "string"},
            "name": {"type": "string"},
            "roles": {"type": "array", "items": {"type": "string", "enum": list(ROLES)}},
            "pool_ids": {
                "type": "array",
                "items": _ID,
                "description": "The pools the user's roles are scoped to: a coordinator's or "
                "mediator's pool, the pool of a caseworker's office. Empty for an "
                "admin only (the admin role is not scoped to a pool).",
            },
            "office_id": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "The caseworker's office, or null.",
            },
            "mediator_id": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "The user's mediator record, or null.",
            },
        },
    },
    "Language": {
        "type": "object",
        "required": ["code", "name"],
        "properties": {
            "code": {
                "type": "string",
                "description": "BCP 47 primary language subtag (ISO 639-1 where one exists, "
                "else ISO 639-3), e.g. `ar`, `prs`, `ckb`, `dgs`.",
            },
            "name": {"type": "string", "description": "Name in the response's locale."},
        },
    },
    "Pool": {
        "type": "object",
        "required": ["id", "name", "kind", "federal_state", "shares_with"],
        "properties": {
            "id": _ID,
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": list(POOL_KINDS)},
            "federal_state": {
                "type": "string",
                "enum": sorted(FEDERAL_STATES),
                "description": "ISO 3166-2:DE subdivision code without the `DE-` prefix.",
            },
            "shares_with": {
                "type": "array",
                "items": _ID,
                "description": "Ids of the pools this pool shares its mediators with.",
            },
        },
    },
    "Office": {
        "type": "object",
        "required": ["id", "name", "pool_id", "active"],
        "properties": {
            "id": _ID,
            "name": {"type": "string"},
            "pool_id": _ID,
            "active": {"type": "boolean"},
        },
    },
    "LanguageList": {
        "type": "object",
        "description": "The whole catalogue, sorted by name in the response's locale; never paged.",
        "required": ["items", "next"],
        "properties": {
            "items": {"type": "array", "items": _ref("Language")},
            "next": {"type": "null", "description": "Always null: the catalogue is one page."},
        },
    },
    "PoolList": _list_envelope("Pool", "Pools in id order."),
    "OfficeList": _list_envelope("Office", "Offices in id order."),
    "MediatorLanguage": {
        "type": "object",
        "required": ["code", "level", "dialects"],
        "properties": {
            "code": {"type": "string", "description": "Language code (see `GET /languages`)."},
            "level": {"type": "string", "enum": list(LEVELS)},
            "dialects": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Dialects or varieties, free text, e.g. `Levantinisch`.",
            },
        },
    },
    "MediatorLanguageInput": {
        "type": "object",
        "required": ["code", "level"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "description": "Language code (see `GET /languages`)."},
            "level": {"type": "string", "enum": list(LEVELS)},
            "dialects": {
                "type": "array",
                "maxItems": MAX_DIALECTS,
                "items": {"type": "string", "maxLength": 60},
            },
        },
    },
    "Checks": {
        "type": "object",
        "required": list(_CHECKS_PROPERTIES),
        "description": "The checks recorded by the coordination.",
        "properties": _CHECKS_PROPERTIES,
    },
    "ChecksInput": {
        "type": "object",
        "additionalProperties": False,
        "description": "Only the checks sent change; a date may not lie in the future.",
        "properties": _CHECKS_PROPERTIES,
    },
    "TrainingRecord": {
        "type": "object",
        "required": ["training_code", "completed_on", "expires_on"],
        "properties": {
            "training_code": {"type": "string"},
            "completed_on": _DATE,
            "expires_on": {
                **_DATE_OR_NULL,
                "description": "Follows from the training's validity; null: does not expire.",
            },
        },
    },
    "TrainingRecordInput": {
        "type": "object",
        "required": ["training_code", "completed_on"],
        "additionalProperties": False,
        "properties": {
            "training_code": {
                "type": "string",
                "maxLength": 40,
                "description": "Code of an active training of the catalogue.",
            },
            "completed_on": {**_DATE, "description": "`YYYY-MM-DD`, not in the future."},
        },
    },
    "Acknowledgement": {
        "type": "object",
        "required": ["guideline_code", "version", "acknowledged_at"],
        "properties": {
            "guideline_code": {"type": "string"},
            "version": {"type": "integer", "minimum": 1},
            "acknowledged_at": {"type": "string", "format": "date-time"},
        },
    },
    "AcknowledgementInput": {
        "type": "object",
        "required": ["guideline_code"],
        "additionalProperties": False,
        "properties": {
            "guideline_code": {
                "type": "string",
                "maxLength": 40,
                "description": "The current version of this guideline is acknowledged.",
            }
        },
    },
    "AvailabilityWindow": {
        "type": "object",
        "required": ["weekday", "start", "end"],
        "additionalProperties": False,
        "properties": {
            "weekday": {
                "type": "integer",
                "minimum": 0,
                "maximum": 6,
                "description": "0 = Monday … 6 = Sunday.",
            },
            "start": _TIME,
            "end": {**_TIME, "description": "`HH:MM`, after `start`."},
        },
    },
    "Absence": {
        "type": "object",
        "required": ["start_date", "end_date"],
        "additionalProperties": False,
        "properties": {
            "start_date": _DATE,
            "end_date": {**_DATE, "description": "`YYYY-MM-DD`, not before `start_date`."},
            "note": {"type": ["string", "null"], "maxLength": 200},
        },
    },
    "Availability": {
        "type": "object",
        "required": ["weekly", "absences", "paused_until"],
        "properties": {
            "weekly": {"type": "array", "items": _ref("AvailabilityWindow")},
            "absences": {"type": "array", "items": _ref("Absence")},
            "paused_until": {
                **_DATE_OR_NULL,
                "description": "The mediator pauses until this day (inclusive); null: no pause.",
            },
        },
    },
    "AvailabilityInput": {
        "type": "object",
        "required": ["weekly", "absences"],
        "additionalProperties": False,
        "description": "Replaces the weekly windows, the absences and the pause.",
        "properties": {
            "weekly": {
                "type": "array",
                "maxItems": MAX_WEEKLY,
                "items": _ref("AvailabilityWindow"),
            },
            "absences": {"type": "array", "maxItems": MAX_ABSENCES, "items": _ref("Absence")},
            "paused_until": {
                **_DATE_OR_NULL,
                "description": "`YYYY-MM-DD`; absent or null ends a pause.",
            },
        },
    },
    "Mediator": {
        "type": "object",
        "required": [
            "id",
            "name",
            "email",
            "phone",
            "kind",
            "pool_id",
            "status",
            "gender",
            "german_level",
            "languages",
            "domains",
            "modes",
            "municipalities",
            "travel_km",
            "monthly_cap",
            "employing_office_id",
            "supervisor_release_by",
            "supervisor_release_until",
            "checks",
            "trainings",
            "acknowledgements",
            "availability",
        ],
        "properties": {
            "id": _ID,
            "name": {"type": "string"},
            "email": {"type": "string"},
            "phone": {"type": ["string", "null"]},
            "kind": {"type": "string", "enum": list(KINDS)},
            "pool_id": _ID,
            "status": {"type": "string", "enum": list(STATUSES)},
            "gender": {"type": ["string", "null"], "enum": [*GENDERS, None]},
            "german_level": {"type": ["string", "null"], "enum": [*GERMAN_LEVELS, None]},
            "languages": {"type": "array", "items": _ref("MediatorLanguage")},
            "domains": {"type": "array", "items": {"type": "string"}},
            "modes": {"type": "array", "items": {"type": "string", "enum": list(MODES)}},
            "municipalities": {
                "type": "array",
                "items": {"type": "string"},
                "description": _PROFILE_DESCRIPTIONS["municipalities"],
            },
            "travel_km": {
                "type": ["integer", "null"],
                "description": _PROFILE_DESCRIPTIONS["travel_km"],
            },
            "monthly_cap": {
                "type": ["integer", "null"],
                "description": _PROFILE_DESCRIPTIONS["monthly_cap"],
            },
            "employing_office_id": {
                "type": ["integer", "null"],
                "description": _PROFILE_DESCRIPTIONS["employing_office_id"],
            },
            "supervisor_release_by": {
                "type": ["string", "null"],
                "description": _PROFILE_DESCRIPTIONS["supervisor_release_by"],
            },
            "supervisor_release_until": {
                **_DATE_OR_NULL,
                "description": _PROFILE_DESCRIPTIONS["supervisor_release_until"],
            },
            "checks": _ref("Checks"),
            "trainings": {
                "type": "array",
                "items": _ref("TrainingRecord"),
                "description": "Newest completion first.",
            },
            "acknowledgements": {
                "type": "array",
                "items": _ref("Acknowledgement"),
                "description": "Every acknowledgement of every version, oldest first.",
            },
            "availability": _ref("Availability"),
        },
    },
    "MediatorList": _list_envelope("Mediator", "Mediators in id order."),
    "MediatorCreate": {
        "type": "object",
        "required": ["name", "email", "kind", "pool_id", "languages"],
        "additionalProperties": False,
        "properties": {
            **_profile_request_properties(),
            "pool_id": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_ID,
                "description": "A pool the caller coordinates (any pool for an admin).",
            },
        },
    },
    "MediatorUpdate": {
        "type": "object",
        "additionalProperties": False,
        "description": "Only the fields sent change; null clears a field that may be empty. "
        "The mediator on their own record may send only: "
        + ", ".join(f"`{name}`" for name in sorted(SELF_FIELDS))
        + " — any other field is a 403.",
        "properties": {
            **_profile_request_properties(),
            "status": {
                "type": "string",
                "enum": list(STATUSES),
                "description": "Coordinators and admins only. Allowed changes: applied → "
                "active or rejected, active → paused or left, paused → active or left; the "
                "current status is no change. Activation needs the first interview and the "
                "confidentiality declaration (and the formal obligation where the pool asks "
                "for it); otherwise 422 with the missing checks in `fields.status`. Applied "
                "without a password get the invitation on activation.",
            },
            "reason": _text(
                500,
                "Why the status changes; required for rejected, paused and left. Only with "
                "`status`.",
                nullable=True,
            ),
            "checks": _ref("ChecksInput"),
        },
    },
    "Deployability": {
        "type": "object",
        "required": ["deployable", "on", "reasons", "reason_codes"],
        "properties": {
            "deployable": {"type": "boolean"},
            "on": _DATE,
            "reasons": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Every reason why not, in plain language (the request's locale).",
            },
            "reason_codes": {
                "type": "array",
                "items": {"type": "string"},
                "description": "Machine-readable codes of the reasons in the same order, e.g. "
                "`not_activated`, `guideline_missing:confidentiality`, "
                "`training_expired:basic`, `absent`, `release_missing`.",
            },
        },
    },
}

_TIMESTAMP = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with an offset (UTC in responses).",
}
_TIMESTAMP_OR_NULL = {**_TIMESTAMP, "type": ["string", "null"]}
_TIMESTAMP_INPUT = {
    "type": "string",
    "format": "date-time",
    "maxLength": 40,
    "description": "ISO 8601 with an offset, e.g. `2027-03-02T10:00:00+01:00`; a timestamp "
    "without an offset is refused (422).",
}
_NULLABLE_TEXT = {"type": ["string", "null"]}
_REASON_TEXTS = {
    "type": "array",
    "items": {"type": "string"},
    "description": "In plain language (the request's locale).",
}


def _request_input_properties() -> dict[str, Any]:
    """The fields of a request as POST and PATCH send them (codes of docs/api.md)."""

    def text(name: str, description: str) -> dict[str, Any]:
        return _text(TEXT_LIMITS[name], description, nullable=True)

    return {
        "language": text("language", "Language code (see `GET /languages`)."),
        "dialect": text("dialect", "Dialect or variety if it matters, free text."),
        "starts_at": _TIMESTAMP_INPUT,
        "duration_minutes": {
            "type": "integer",
            "description": f"Expected duration, {MIN_DURATION} to {MAX_DURATION} minutes.",
        },
        "mode": {"type": "string", "enum": list(MODES)},
        "municipality": text("municipality", "Required for `in_person`."),
        "address": text("address", "Required for `in_person`; ignored otherwise."),
        "domain": text("domain", "Domain code of the catalogue, e.g. `youth_welfare`."),
        "setting": {
            "type": "string",
            "enum": list(SETTINGS),
            "description": "Settings the pool excludes (by default `court`, `police`, "
            "`asylum_hearing`, `legally_binding`, `medical_report`) are refused (422) with "
            "where to turn instead.",
        },
        "gender_preference": {"type": ["string", "null"], "enum": [*GENDER_PREFERENCES, None]},
        "gender_required": {"type": ["boolean", "null"]},
        "urgent": {
            "type": ["boolean", "null"],
            "description": "Urgent requests skip the minimum lead time; they need `urgent_reason`.",
        },
        "urgent_reason": text("urgent_reason", "Why it is urgent."),
        "professional_present": {
            "type": ["boolean", "null"],
            "description": "Must be true: a professional of the office is present and leads "
            "the talk.",
        },
        "case_ref": text(
            "case_ref",
            "Pseudonymous case reference (for continuity and conflicts of interest), never a "
            "name; one that looks like a name, e-mail address or phone number is refused.",
        ),
        "notes": text("notes", "No health data, no names."),
    }


def _report(properties: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "type": ["object", "null"],
        "required": list(properties),
        "description": description,
        "properties": properties,
    }


SCHEMAS.update(
    {
        "OfficeRef": {
            "type": "object",
            "required": ["id", "name", "phone"],
            "properties": {"id": _ID, "name": {"type": "string"}, "phone": _NULLABLE_TEXT},
        },
        "RequestCreate": {
            "type": "object",
            "required": ["office_id"],
            "additionalProperties": False,
            "description": "Also needed (else 422 with the reasons): `language`, `starts_at`, "
            "`duration_minutes`, `mode`, `domain`, `setting`, `professional_present: true`. "
            'Strings are stripped; "" counts as null.',
            "properties": {
                "office_id": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_ID,
                    "description": "Caseworkers: their own office; coordinators: any office of "
                    "their pool; admins: any.",
                },
                **_request_input_properties(),
            },
        },
        "RequestUpdate": {
            "type": "object",
            "additionalProperties": False,
            "description": "Only the fields sent change: "
            + ", ".join(f"`{n}`" for n in sorted(CHANGEABLE_FIELDS))
            + ". Any other field of a request is refused (422: cancel and ask again). Only "
            "the rules that concern the changed fields are checked again (422 with the "
            "reasons). When the start, a later end, the mode or the municipality changes, an "
            "assigned mediator's assignment is cancelled and pending offers are withdrawn, "
            "and the same mediators are asked again for the new time; smaller changes keep the "
            "assignment and the mediator is told.",
            "properties": {
                **{
                    name: schema
                    for name, schema in _request_input_properties().items()
                    if name in CHANGEABLE_FIELDS
                },
                "whole_series": {
                    "type": "boolean",
                    "description": "Change every request of the series that has not begun (a "
                    "new start moves each by the same number of days to the new time).",
                },
            },
        },
        "Assignment": {
            "type": "object",
            "required": [
                "id",
                "request_id",
                "mediator_id",
                "mediator_name",
                "offer_id",
                "status",
                "starts_at",
                "ends_at",
                "in_person",
                "assign_reason",
                "created_at",
                "cancelled_at",
                "cancelled_by",
                "cancel_reason",
                "conflict_of_interest",
                "short_notice",
                "completed_at",
                "office_report",
                "mediator_report",
                "outcome_differences",
            ],
            "description": "`feedback` is left out for the mediator.",
            "properties": {
                "id": _ID,
                "request_id": _ID,
                "mediator_id": _ID,
                "mediator_name": {"type": "string"},
                "offer_id": {
                    "type": ["integer", "null"],
                    "description": "The accepted offer; null for a direct assignment.",
                },
                "status": {"type": "string", "enum": list(ASSIGNMENT_STATUSES)},
                "starts_at": _TIMESTAMP,
                "ends_at": _TIMESTAMP,
                "in_person": {"type": "boolean"},
                "assign_reason": {
                    "type": ["string", "null"],
                    "description": "Why the coordination assigned directly.",
                },
                "created_at": _TIMESTAMP,
                "cancelled_at": _TIMESTAMP_OR_NULL,
                "cancelled_by": {
                    "type": ["string", "null"],
                    "enum": ["mediator", "office", "coordination", None],
                },
                "cancel_reason": _NULLABLE_TEXT,
                "conflict_of_interest": {"type": "boolean"},
                "short_notice": {
                    "type": "boolean",
                    "description": "Cancelled within the pool's short-notice window.",
                },
                "completed_at": _TIMESTAMP_OR_NULL,
                "office_report": _report(
                    {
                        "outcome": {"type": "string", "enum": list(OUTCOMES)},
                        "duration_minutes": {"type": ["integer", "null"]},
                    },
                    "What the office reported; null until it has.",
                ),
                "mediator_report": _report(
                    {
                        "outcome": {"type": "string", "enum": list(OUTCOMES)},
                        "duration_minutes": {"type": ["integer", "null"]},
                        "travel_km": {"type": ["integer", "null"]},
                    },
                    "What the mediator reported; null until they have.",
                ),
                "outcome_differences": {
                    "type": "array",
                    "items": {"type": "string", "enum": ["outcome", "duration"]},
                    "description": "Where both sides reported differently.",
                },
                "feedback": _report(
                    {
                        "rating": {"type": ["integer", "null"], "minimum": 1, "maximum": 5},
                        "text": _NULLABLE_TEXT,
                    },
                    "The office's feedback; null if none.",
                ),
            },
        },
        "Request": {
            "type": "object",
            "required": [
                "id",
                "pool_id",
                "office_id",
                "office",
                "series_id",
                "status",
                "language",
                "dialect",
                "starts_at",
                "ends_at",
                "duration_minutes",
                "mode",
                "municipality",
                "address",
                "domain",
                "setting",
                "gender_preference",
                "gender_required",
                "urgent",
                "urgent_reason",
                "professional_present",
                "candidates_at_intake",
                "unfillable_reason",
                "cancel_reason",
                "cancelled_by",
                "cancelled_at",
                "short_notice_cancellation",
                "created_at",
                "updated_at",
                "assigned_at",
                "assignment",
            ],
            "description": "`case_ref` and `notes` are left out for a mediator, who sees "
            "`assignment` only when it is their own.",
            "properties": {
                "id": _ID,
                "pool_id": _ID,
                "office_id": _ID,
                "office": _ref("OfficeRef"),
                "series_id": {
                    "type": ["integer", "null"],
                    "description": "Requests of one series of recurring appointments share it.",
                },
                "status": {"type": "string", "enum": list(REQUEST_STATUSES)},
                "language": {"type": "string"},
                "dialect": _NULLABLE_TEXT,
                "starts_at": _TIMESTAMP,
                "ends_at": _TIMESTAMP,
                "duration_minutes": {"type": "integer"},
                "mode": {"type": "string", "enum": list(MODES)},
                "municipality": _NULLABLE_TEXT,
                "address": _NULLABLE_TEXT,
                "domain": {"type": "string"},
                "setting": {"type": "string", "enum": list(SETTINGS)},
                "gender_preference": {
                    "type": ["string", "null"],
                    "enum": [*GENDER_PREFERENCES, None],
                },
                "gender_required": {"type": "boolean"},
                "urgent": {"type": "boolean"},
                "urgent_reason": _NULLABLE_TEXT,
                "professional_present": {"type": "boolean"},
                "case_ref": _NULLABLE_TEXT,
                "notes": _NULLABLE_TEXT,
                "candidates_at_intake": {
                    "type": ["integer", "null"],
                    "description": "How many mediators could take it when it came in.",
                },
                "unfillable_reason": _NULLABLE_TEXT,
                "cancel_reason": _NULLABLE_TEXT,
                "cancelled_by": {
                    "type": ["string", "null"],
                    "enum": ["office", "coordination", None],
                },
                "cancelled_at": _TIMESTAMP_OR_NULL,
                "short_notice_cancellation": {"type": "boolean"},
                "created_at": _TIMESTAMP,
                "updated_at": _TIMESTAMP,
                "assigned_at": _TIMESTAMP_OR_NULL,
                "assignment": {
                    "anyOf": [_ref("Assignment"), {"type": "null"}],
                    "description": "The assignment that is not cancelled, or null.",
                },
            },
        },
        "RequestList": _list_envelope("Request", "Requests in id order."),
        "RequestSummary": {
            "type": "object",
            "required": [
                "starts_at",
                "ends_at",
                "duration_minutes",
                "mode",
                "municipality",
                "address",
                "office",
                "domain",
                "setting",
                "language",
                "dialect",
                "urgent",
            ],
            "description": "What a mediator needs to decide; no client data (no case reference, "
            "no notes).",
            "properties": {
                "starts_at": _TIMESTAMP,
                "ends_at": _TIMESTAMP,
                "duration_minutes": {"type": "integer"},
                "mode": {"type": "string", "enum": list(MODES)},
                "municipality": _NULLABLE_TEXT,
                "address": _NULLABLE_TEXT,
                "office": _ref("OfficeRef"),
                "domain": {"type": "string"},
                "setting": {"type": "string", "enum": list(SETTINGS)},
                "language": {"type": "string"},
                "dialect": _NULLABLE_TEXT,
                "urgent": {"type": "boolean"},
            },
        },
        "Offer": {
            "type": "object",
            "required": [
                "id",
                "request_id",
                "mediator_id",
                "mediator_name",
                "status",
                "expires_at",
                "created_at",
                "responded_at",
                "decline_reason",
                "request",
            ],
            "properties": {
                "id": _ID,
                "request_id": _ID,
                "mediator_id": _ID,
                "mediator_name": {"type": "string"},
                "status": {"type": "string", "enum": list(OFFER_STATUSES)},
                "expires_at": {
                    **_TIMESTAMP_OR_NULL,
                    "description": "Answer by then; never after the start.",
                },
                "created_at": _TIMESTAMP,
                "responded_at": _TIMESTAMP_OR_NULL,
                "decline_reason": _NULLABLE_TEXT,
                "request": _ref("RequestSummary"),
            },
        },
        "OfferList": _list_envelope("Offer", "Offers in id order."),
        "OfferItems": {
            "type": "object",
            "required": ["items"],
            "properties": {
                "items": {
                    "type": "array",
                    "items": _ref("Offer"),
                    "description": "The new offers (a mediator who already has a pending offer "
                    "for the request gets no second one).",
                }
            },
        },
        "OfferCreate": {
            "type": "object",
            "required": ["mediator_ids"],
            "additionalProperties": False,
            "properties": {
                "mediator_ids": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_OFFER_MEDIATORS,
                    "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                    "description": "Active mediators of the request's pool or of a pool sharing "
                    "with it; the first to accept gets the request, the others' offers are "
                    "withdrawn and they are told.",
                },
                "expires_in_minutes": {
                    "type": ["integer", "null"],
                    "minimum": 1,
                    "maximum": MAX_EXPIRY_MINUTES,
                    "description": "Default: the pool's setting; never after the start.",
                },
            },
        },
        "ReasonInput": {
            "type": "object",
            "required": ["reason"],
            "additionalProperties": False,
            "properties": {"reason": _text(MAX_REASON)},
        },
        "OptionalReasonInput": {
            "type": "object",
            "additionalProperties": False,
            "description": "The body may also be empty.",
            "properties": {"reason": _text(MAX_REASON, nullable=True)},
        },
        "EmptyInput": {
            "type": "object",
            "additionalProperties": False,
            "description": "No fields; the body may also be empty.",
            "properties": {},
        },
        "AcceptInput": {
            "type": "object",
            "required": ["no_conflict_of_interest"],
            "additionalProperties": False,
            "properties": {
                "no_conflict_of_interest": {
                    "type": "boolean",
                    "enum": [True],
                    "description": "Must be true: the mediator declares they have no personal "
                    "relationship to the case.",
                }
            },
        },
        "DirectAssignmentInput": {
            "type": "object",
            "required": ["mediator_id"],
            "additionalProperties": False,
            "properties": {
                "mediator_id": {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_ID,
                    "description": "An active mediator of the request's pool or of a pool "
                    "sharing with it.",
                },
                "reason": _text(MAX_REASON, "E.g. agreed by phone.", nullable=True),
            },
        },
        "AssignmentCancelInput": {
            "type": "object",
            "required": ["reason"],
            "additionalProperties": False,
            "properties": {
                "reason": _text(MAX_REASON),
                "conflict_of_interest": {
                    "type": "boolean",
                    "description": "A conflict of interest was discovered: the mediator is "
                    "excluded from this case reference of the office; never flagged as short "
                    "notice.",
                },
            },
        },
        "CompletionInput": {
            "type": "object",
            "required": ["outcome"],
            "additionalProperties": False,
            "properties": {
                "outcome": {"type": "string", "enum": list(OUTCOMES)},
                "duration_minutes": {
                    "type": ["integer", "null"],
                    "minimum": 0,
                    "maximum": MAX_DURATION_REPORTED,
                    "description": "Required when the outcome is `took_place`.",
                },
                "travel_km": {
                    "type": ["integer", "null"],
                    "minimum": 0,
                    "maximum": MAX_TRAVEL_KM,
                    "description": "The mediator only.",
                },
                "feedback": {
                    "type": ["object", "null"],
                    "required": ["rating"],
                    "additionalProperties": False,
                    "description": "The office only.",
                    "properties": {
                        "rating": {"type": "integer", "minimum": 1, "maximum": 5},
                        "text": _text(MAX_FEEDBACK, nullable=True),
                    },
                },
            },
        },
        "Candidates": {
            "type": "object",
            "required": ["candidates", "excluded", "excluded_counts", "excluded_total"],
            "properties": {
                "candidates": {
                    "type": "array",
                    "description": "Who can take the request, best first (ties by fair share, "
                    "then id).",
                    "items": {
                        "type": "object",
                        "required": [
                            "mediator_id",
                            "name",
                            "score",
                            "reasons",
                            "language",
                            "level",
                            "related_language",
                            "pool_id",
                            "pending_offer",
                        ],
                        "properties": {
                            "mediator_id": _ID,
                            "name": {"type": "string"},
                            "score": {"type": "number"},
                            "reasons": {
                                **_REASON_TEXTS,
                                "description": "What makes up the score, in plain language.",
                            },
                            "language": {
                                "type": "string",
                                "description": "The language they speak: the requested one or "
                                "a related one (a weaker candidate).",
                            },
                            "level": {"type": "string", "enum": list(LEVELS)},
                            "related_language": {"type": "boolean"},
                            "pool_id": _ID,
                            "pending_offer": {
                                "type": "boolean",
                                "description": "Already has a pending offer for this request.",
                            },
                        },
                    },
                },
                "excluded": {
                    "type": "array",
                    "description": "Speakers of the language who cannot take it, closest first; "
                    "at most 50.",
                    "items": {
                        "type": "object",
                        "required": [
                            "mediator_id",
                            "name",
                            "reasons",
                            "reason_codes",
                            "related_language",
                        ],
                        "properties": {
                            "mediator_id": _ID,
                            "name": {"type": "string"},
                            "reasons": {**_REASON_TEXTS, "description": "Every reason why not."},
                            "reason_codes": {"type": "array", "items": {"type": "string"}},
                            "related_language": {"type": "boolean"},
                        },
                    },
                },
                "excluded_counts": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                    "description": "Per reason code, over every excluded speaker (not only the "
                    "listed ones).",
                },
                "excluded_total": {
                    "type": "integer",
                    "description": "How many speakers are excluded in all.",
                },
            },
        },
        "IntakeRefused": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message", "reasons"],
                    "properties": {
                        "code": {"type": "string", "enum": ["validation_failed"]},
                        "message": {"type": "string", "description": "Every reason's text."},
                        "fields": {
                            "type": "object",
                            "additionalProperties": {"type": "array", "items": {"type": "string"}},
                            "description": "The reasons' texts by field.",
                        },
                        "reasons": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["code", "field", "message"],
                                "properties": {
                                    "code": {
                                        "type": "string",
                                        "description": "E.g. `setting_excluded`, "
                                        "`sign_language`, `medical_not_served`, `lead_time`, "
                                        "`missing`, `professional_required`, `case_ref_name`.",
                                    },
                                    "field": {"type": ["string", "null"]},
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                }
            },
        },
    }
)


RESPONSES: dict[str, Any] = {
    "BadRequest": {
        "description": "Malformed request, e.g. an invalid query parameter (see `fields`).",
        "content": _json(_ref("Error")),
    },
    "MalformedBody": {
        "description": "The body is not valid JSON (UTF-8), or a browser session sent no valid "
        "`X-CSRFToken` header.",
        "content": _json(_ref("Error")),
    },
    "Forbidden": {
        "description": "The user may not do this (the attempt is audited).",
        "content": _json(_ref("Error")),
    },
    "NotFound": {
        "description": "No such object.",
        "content": _json(_ref("Error")),
    },
    "UnsupportedMediaType": {
        "description": "The body was not sent as `application/json`.",
        "content": _json(_ref("Error")),
    },
    "ValidationFailed": {
        "description": "A field is missing, unknown or invalid (wrong type, unknown code, bad "
        "date `YYYY-MM-DD` or time `HH:MM`, too long, control characters), the body is not a "
        "JSON object, or a rule of the pool refuses the change. `fields` names the problems "
        "by path, e.g. `languages[0].level`, `checks.interview_on`, `weekly[2].end`.",
        "content": _json(_ref("Error")),
    },
    "Conflict": {
        "description": "The request is already taken or no longer open, the mediator is booked "
        "then, or the offer or assignment changed in the meantime.",
        "content": _json(_ref("Error")),
    },
    "IntakeRefused": {
        "description": "A field is invalid, or the pool's intake rules refuse the request: "
        "`message` has every reason, `fields` them by field, `reasons` with their codes. A "
        "timestamp without an offset is refused here too.",
        "content": _json({"anyOf": [_ref("IntakeRefused"), _ref("Error")]}),
    },
    "OtherError": {
        "description": "Any other error, in the same format, e.g. 503 when the service is busy.",
        "content": _json(_ref("Error")),
    },
    "Unauthorized": {
        "description": "Not signed in, or the bearer token is invalid or revoked, or its account "
        "is deactivated.",
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}},
        "content": _json(_ref("Error")),
    },
}

PARAMETERS: dict[str, Any] = {
    "limit": {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "Page size.",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    "cursor": {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The opaque `next` value of the previous page of the same list.",
        "schema": {"type": "string", "minLength": 1},
    },
    **{
        name: {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        }
        for name in ("mediator_id", "request_id", "offer_id", "assignment_id")
    },
}

_PAGE_PARAMS = [
    {"$ref": "#/components/parameters/limit"},
    {"$ref": "#/components/parameters/cursor"},
]
_SIGNED_IN = [{"bearerAuth": []}, {"browserSession": []}]
_PUBLIC: list[dict[str, list[str]]] = [{}]


def _ok(description: str, schema_name: str) -> dict[str, Any]:
    return {"description": description, "content": _json(_ref(schema_name))}


def _error(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{name}"}


PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "operationId": "getOpenApi",
            "summary": "This description (OpenAPI 3.1)",
            "tags": ["meta"],
            "security": _PUBLIC,
            "responses": {
                "200": {
                    "description": "The OpenAPI document.",
                    "content": _json({"type": "object"}),
                },
                "401": _error("Unauthorized"),
            },
        }
    },
    "/me": {
        "get": {
            "operationId": "getMe",
            "summary": "The signed-in user",
            "tags": ["accounts"],
            "security": _SIGNED_IN,
            "responses": {
                "200": _ok("The user the token or session acts as.", "Me"),
                "401": _error("Unauthorized"),
            },
        }
    },
    "/languages": {
        "get": {
            "operationId": "listLanguages",
            "summary": "The language catalogue",
            "description": "Names are in `lang` if given, else in the best match of "
            "`Accept-Language`, else in German. The response's `Content-Language` "
            "header names the locale used.",
            "tags": ["catalogues"],
            "security": _PUBLIC,
            "parameters": [
                {
                    "name": "lang",
                    "in": "query",
                    "required": False,
                    "description": "Locale of the names.",
                    "schema": {"type": "string", "enum": LOCALES},
                },
            ],
            "responses": {
                "200": {
                    "description": "Every language of the catalogue.",
                    "headers": {
                        "Content-Language": {"schema": {"type": "string", "enum": LOCALES}}
                    },
                    "content": _json(_ref("LanguageList")),
                },
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
            },
        }
    },
    "/pools": {
        "get": {
            "operationId": "listPools",
            "summary": "All pools",
            "tags": ["organisation"],
            "security": _SIGNED_IN,
            "parameters": _PAGE_PARAMS,
            "responses": {
                "200": _ok("One page of pools.", "PoolList"),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
            },
        }
    },
    "/offices": {
        "get": {
            "operationId": "listOffices",
            "summary": "All offices, or those of one pool",
            "tags": ["organisation"],
            "security": _SIGNED_IN,
            "parameters": [
                *_PAGE_PARAMS,
                {
                    "name": "pool_id",
                    "in": "query",
                    "required": False,
                    "description": "Only the offices of this pool (none if there is no such pool).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                },
            ],
            "responses": {
                "200": _ok("One page of offices.", "OfficeList"),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
            },
        }
    },
    "/mediators": {
        "get": {
            "operationId": "listMediators",
            "summary": "Mediators of the caller's pools and of pools that share with them",
            "description": "Coordinators see the mediators of the pools they coordinate and of "
            "the pools that share their mediators with those; admins see all. Caseworkers and "
            "mediators get 403.",
            "tags": ["mediators"],
            "security": _SIGNED_IN,
            "parameters": [
                *_PAGE_PARAMS,
                {
                    "name": "language",
                    "in": "query",
                    "required": False,
                    "description": "Only speakers of this language (a code of `GET /languages`).",
                    "schema": {"type": "string"},
                },
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": list(STATUSES)},
                },
                {
                    "name": "kind",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "string", "enum": list(KINDS)},
                },
                {
                    "name": "pool_id",
                    "in": "query",
                    "required": False,
                    "description": "Only the mediators of this pool (within what the caller sees).",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
                },
            ],
            "responses": {
                "200": _ok("One page of mediators.", "MediatorList"),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
            },
        },
        "post": {
            "operationId": "createMediator",
            "summary": "Create a mediator (status `applied`) and invite them",
            "description": "Coordinators of `pool_id` and admins. A user account with the role "
            "`mediator` is created for the e-mail address and invited to set a password; a "
            "person who already has an account (e.g. a caseworker) gets the role added.",
            "tags": ["mediators"],
            "security": _SIGNED_IN,
            "requestBody": {"required": True, "content": _json(_ref("MediatorCreate"))},
            "responses": {
                "201": {
                    "description": "Created.",
                    "headers": {"Location": {"schema": {"type": "string"}}},
                    "content": _json(_ref("Mediator")),
                },
                "400": _error("MalformedBody"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "409": {
                    "description": "The e-mail address already belongs to a mediator "
                    "(`fields.email`).",
                    "content": _json(_ref("Error")),
                },
                "415": _error("UnsupportedMediaType"),
                "422": _error("ValidationFailed"),
            },
        },
    },
    "/mediators/{mediator_id}": {
        "get": {
            "operationId": "getMediator",
            "summary": "One mediator",
            "description": "Coordinators of its pool or of a pool it is shared with, admins, "
            "and the mediator themselves.",
            "tags": ["mediators"],
            "security": _SIGNED_IN,
            "responses": {
                "200": _ok("The mediator.", "Mediator"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
            },
        },
        "patch": {
            "operationId": "updateMediator",
            "summary": "Change a mediator",
            "description": "Coordinators of its pool and admins change any field, `status` "
            "(with `reason`) and `checks`; coordinators of a pool it is only shared with get "
            "403. The mediator on their own record may change only their contact and profile "
            "fields (see the body); sending any other field is a 403 that names them. The "
            "profile is applied first, then the checks, then the status, all or nothing.",
            "tags": ["mediators"],
            "security": _SIGNED_IN,
            "requestBody": {"required": True, "content": _json(_ref("MediatorUpdate"))},
            "responses": {
                "200": _ok("The changed mediator.", "Mediator"),
                "400": _error("MalformedBody"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
                "409": {
                    "description": "The new e-mail address already belongs to another mediator "
                    "or account (`fields.email`).",
                    "content": _json(_ref("Error")),
                },
                "415": _error("UnsupportedMediaType"),
                "422": _error("ValidationFailed"),
            },
        },
    },
    "/mediators/{mediator_id}/trainings": {
        "post": {
            "operationId": "recordTraining",
            "summary": "Record a completed training",
            "description": "Coordinators of its pool and admins. The expiry follows from the "
            "training's validity. Recording the same completion again changes nothing (200).",
            "tags": ["mediators"],
            "security": _SIGNED_IN,
            "requestBody": {"required": True, "content": _json(_ref("TrainingRecordInput"))},
            "responses": {
                "200": _ok("This completion was already recorded.", "TrainingRecord"),
                "201": _ok("Recorded.", "TrainingRecord"),
                "400": _error("MalformedBody"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
                "415": _error("UnsupportedMediaType"),
                "422": _error("ValidationFailed"),
            },
        },
    },
    "/mediators/{mediator_id}/acknowledgements": {
        "post": {
            "operationId": "acknowledgeGuideline",
            "summary": "Acknowledge the current version of a guideline",
            "description": "Only the mediator themselves. Earlier acknowledgements are kept; "
            "acknowledging the same version again changes nothing (200).",
            "tags": ["mediators"],
            "security": _SIGNED_IN,
            "requestBody": {"required": True, "content": _json(_ref("AcknowledgementInput"))},
            "responses": {
                "200": _ok("This version was already acknowledged.", "Acknowledgement"),
                "201": _ok("Acknowledged.", "Acknowledgement"),
                "400": _error("MalformedBody"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
                "415": _error("UnsupportedMediaType"),
                "422": _error("ValidationFailed"),
            },
        },
    },
    "/mediators/{mediator_id}/availability": {
        "put": {
            "operationId": "setAvailability",
            "summary": "Replace weekly windows, absences and the pause",
            "description": "The mediator themselves, coordinators of its pool and admins (a "
            "change on the mediator's behalf is noted in the audit log).",
            "tags": ["mediators"],
            "security": _SIGNED_IN,
            "requestBody": {"required": True, "content": _json(_ref("AvailabilityInput"))},
            "responses": {
                "200": _ok("The availability now stored.", "Availability"),
                "400": _error("MalformedBody"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
                "415": _error("UnsupportedMediaType"),
                "422": _error("ValidationFailed"),
            },
        },
    },
    "/mediators/{mediator_id}/deployability": {
        "get": {
            "operationId": "getDeployability",
            "summary": "Whether the mediator can be deployed on a day, with every reason why not",
            "description": "Whoever may read the mediator. The same rule as the pages and "
            "matching.",
            "tags": ["mediators"],
            "security": _SIGNED_IN,
            "parameters": [
                {
                    "name": "on",
                    "in": "query",
                    "required": False,
                    "description": "The day, `YYYY-MM-DD`; default today (Europe/Berlin).",
                    "schema": {"type": "string", "format": "date"},
                },
            ],
            "responses": {
                "200": _ok("The answer.", "Deployability"),
                "400": _error("BadRequest"),
                "401": _error("Unauthorized"),
                "403": _error("Forbidden"),
                "404": _error("NotFound"),
            },
        },
    },
}

# --- requests, offers, assignments ----------------------------------------------------------------


def _status_param(statuses: tuple[str, ...]) -> dict[str, Any]:
    return {
        "name": "status",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": list(statuses)},
    }


def _id_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


def _body(schema_name: str, required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": _json(_ref(schema_name))}


def _action(
    operation_id: str,
    summary: str,
    description: str,
    tag: str,
    *,
    ok: tuple[str, str, str],
    body: str | None = None,
    body_required: bool = True,
    conflict: bool = True,
    intake: bool = False,
) -> dict[str, Any]:
    """A POST or PATCH on one object: ``ok`` is (status, description, schema)."""
    status, ok_description, schema = ok
    responses: dict[str, Any] = {
        status: _ok(ok_description, schema),
        "400": _error("MalformedBody"),
        "401": _error("Unauthorized"),
        "403": _error("Forbidden"),
        "404": _error("NotFound"),
    }
    if conflict:
        responses["409"] = _error("Conflict")
    if body is not None:
        responses["415"] = _error("UnsupportedMediaType")
    responses["422"] = _error("IntakeRefused" if intake else "ValidationFailed")
    operation: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "tags": [tag],
        "security": _SIGNED_IN,
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = _body(body, body_required)
    return operation


def request_paths() -> dict[str, Any]:
    return {
        "/requests": {
            "get": {
                "operationId": "listRequests",
                "summary": "Requests of the caller's office or pools",
                "description": "Caseworkers see their office's requests, coordinators their "
                "pools' requests, admins all; others get 403. Mediators see the requests they "
                "are offered through `GET /offers`.",
                "tags": ["requests"],
                "security": _SIGNED_IN,
                "parameters": [
                    *_PAGE_PARAMS,
                    _status_param(REQUEST_STATUSES),
                    {
                        "name": "from",
                        "in": "query",
                        "required": False,
                        "description": "Only requests starting at or after this: a date "
                        "`YYYY-MM-DD` (from its start in Europe/Berlin) or a timestamp with an "
                        "offset.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "to",
                        "in": "query",
                        "required": False,
                        "description": "Only requests starting before this: a date `YYYY-MM-DD` "
                        "(that whole day included, Europe/Berlin) or a timestamp with an offset "
                        "(excluded).",
                        "schema": {"type": "string"},
                    },
                    _id_param("office_id", "Only the requests of this office."),
                ],
                "responses": {
                    "200": _ok("One page of requests.", "RequestList"),
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "403": _error("Forbidden"),
                },
            },
            "post": {
                "operationId": "createRequest",
                "summary": "Ask for an interpreter",
                "description": "Caseworkers for their own office, coordinators for any office "
                "of their pool (e.g. a request taken by phone), admins for any office. The "
                "pool's intake rules are checked (excluded settings, sign languages, medical "
                "appointments, the minimum lead time in working days unless urgent, the "
                "professional's presence, a pseudonymous case reference); a refusal is a 422 "
                "with every reason and where to turn instead. The number of candidates at "
                "intake is stored; an urgent request alerts the coordination.",
                "tags": ["requests"],
                "security": _SIGNED_IN,
                "requestBody": _body("RequestCreate"),
                "responses": {
                    "201": {
                        "description": "Created (status `open`).",
                        "headers": {"Location": {"schema": {"type": "string"}}},
                        "content": _json(_ref("Request")),
                    },
                    "400": _error("MalformedBody"),
                    "401": _error("Unauthorized"),
                    "403": _error("Forbidden"),
                    "415": _error("UnsupportedMediaType"),
                    "422": _error("IntakeRefused"),
                },
            },
        },
        "/requests/{request_id}": {
            "get": {
                "operationId": "getRequest",
                "summary": "One request with its status and assignment",
                "description": "Caseworkers of its office, coordinators of its pool, admins, "
                "and a mediator it is or was offered or assigned to (without `case_ref` and "
                "`notes`).",
                "tags": ["requests"],
                "security": _SIGNED_IN,
                "responses": {
                    "200": _ok("The request.", "Request"),
                    "401": _error("Unauthorized"),
                    "403": _error("Forbidden"),
                    "404": _error("NotFound"),
                },
            },
            "patch": _action(
                "updateRequest",
                "Change time, duration, place or notes",
                "Caseworkers of its office, coordinators of its pool, admins; only while it is "
                "`open`, `offered` or `assigned` and has not begun (else 422). An assigned "
                "mediator is told, and asked again if the time or place changes.",
                "requests",
                ok=("200", "The changed request.", "Request"),
                body="RequestUpdate",
                intake=True,
            ),
        },
        "/requests/{request_id}/cancel": {
            "post": _action(
                "cancelRequest",
                "Cancel a request",
                "Caseworkers of its office, coordinators of its pool, admins. A confirmed "
                "mediator is told; pending offers are withdrawn. Within the pool's short-notice "
                "window the cancellation is flagged. 409 when it is no longer open or assigned.",
                "requests",
                ok=("200", "The cancelled request.", "Request"),
                body="ReasonInput",
            ),
        },
        "/requests/{request_id}/unfillable": {
            "post": _action(
                "markRequestUnfillable",
                "Mark a request as unfillable",
                "Coordinators of its pool and admins, while it is `open` or `offered` (else "
                "409). Pending offers are withdrawn; the office is told so it can look "
                "elsewhere in time.",
                "requests",
                ok=("200", "The request, now `unfilled`.", "Request"),
                body="ReasonInput",
            ),
        },
        "/requests/{request_id}/candidates": {
            "get": {
                "operationId": "getCandidates",
                "summary": "Ranked candidates and the excluded speakers, with reasons",
                "description": "Coordinators of its pool and admins. Matching: "
                "every hard filter, soft scores with the pool's weights, related languages as "
                "weaker candidates, mediators of pools that share with the request's pool.",
                "tags": ["requests"],
                "security": _SIGNED_IN,
                "responses": {
                    "200": _ok("The result of matching now.", "Candidates"),
                    "401": _error("Unauthorized"),
                    "403": _error("Forbidden"),
                    "404": _error("NotFound"),
                },
            },
        },
        "/requests/{request_id}/offers": {
            "post": _action(
                "makeOffers",
                "Offer a request to one or several mediators",
                "Coordinators of its pool and admins, while the request is `open` or "
                "`offered` (else 409). Each mediator is told; the first to accept gets it. "
                "422 for a mediator who is not active or is excluded for this case.",
                "offers",
                ok=("201", "The new offers.", "OfferItems"),
                body="OfferCreate",
            ),
        },
        "/requests/{request_id}/assignment": {
            "post": _action(
                "assignDirectly",
                "Assign a mediator directly",
                "Coordinators of its pool and admins, e.g. after agreeing by phone. 409 when the "
                "request is already taken or no longer open, or the mediator is booked then "
                "(with the travel buffer between in-person appointments). Other pending offers "
                "are withdrawn; the mediator and the office are told.",
                "assignments",
                ok=("201", "The confirmed assignment.", "Assignment"),
                body="DirectAssignmentInput",
            ),
        },
        "/offers": {
            "get": {
                "operationId": "listOffers",
                "summary": "Offers: a mediator's own, or those of the coordinator's pools",
                "description": "Mediators see the offers made to them, coordinators those for "
                "requests of their pools, admins all; others get 403. Each offer has the "
                "request summary (no client data).",
                "tags": ["offers"],
                "security": _SIGNED_IN,
                "parameters": [
                    *_PAGE_PARAMS,
                    _status_param(OFFER_STATUSES),
                    _id_param("request_id", "Only the offers of this request."),
                ],
                "responses": {
                    "200": _ok("One page of offers.", "OfferList"),
                    "400": _error("BadRequest"),
                    "401": _error("Unauthorized"),
                    "403": _error("Forbidden"),
                },
            },
        },
        "/offers/{offer_id}/accept": {
            "post": _action(
                "acceptOffer",
                "Accept an offer",
                "Only the mediator it is made to, declaring no personal relationship to the "
                "case. 409 when the request is already taken, the offer was withdrawn or has "
                "expired, or the mediator is booked then. The others' offers are withdrawn.",
                "offers",
                ok=("200", "The confirmed assignment.", "Assignment"),
                body="AcceptInput",
            ),
        },
        "/offers/{offer_id}/decline": {
            "post": _action(
                "declineOffer",
                "Decline an offer",
                "Only the mediator it is made to; the reason is optional. 409 when the offer is "
                "no longer pending.",
                "offers",
                ok=("200", "The declined offer.", "Offer"),
                body="OptionalReasonInput",
                body_required=False,
            ),
        },
        "/offers/{offer_id}/withdraw": {
            "post": _action(
                "withdrawOffer",
                "Withdraw an offer",
                "Coordinators of the request's pool and admins; the mediator is told. 409 when "
                "the offer is no longer pending.",
                "offers",
                ok=("200", "The withdrawn offer.", "Offer"),
                body="EmptyInput",
                body_required=False,
            ),
        },
        "/assignments/{assignment_id}/cancel": {
            "post": _action(
                "cancelAssignment",
                "Cancel an assignment",
                "Its mediator, or coordinators of the request's pool and admins. The request "
                "goes back to matching; the other sides are told. Within the short-notice "
                "window it is flagged, except for a conflict of interest. 409 when it is no "
                "longer confirmed.",
                "assignments",
                ok=("200", "The cancelled assignment.", "Assignment"),
                body="AssignmentCancelInput",
            ),
        },
        "/assignments/{assignment_id}/complete": {
            "post": _action(
                "completeAssignment",
                "Report how an assignment went",
                "Caseworkers of the office (with optional feedback) and its mediator (with "
                "travel) each report once, after the start; the assignment is completed when "
                "the office has reported. Differences are shown to the coordination. 409 when "
                "this side has reported already or the assignment was cancelled.",
                "assignments",
                ok=("200", "The assignment with the reports.", "Assignment"),
                body="CompletionInput",
            ),
        },
    }


PATHS.update(request_paths())

# --- reports (indicators) -------------------------------------------------------------------------


def _counts(key: dict[str, Any] | None = None) -> dict[str, Any]:
    """Counts of requests (of the whole period, or of one language, office, domain or month)."""
    count = {"type": "integer", "minimum": 0}
    properties = {
        "requests": {**count, "description": "Requests starting in the period."},
        "fulfilled": {
            **count,
            "description": "With a completed assignment or one that took place.",
        },
        "unfilled": {
            **count,
            "description": "Marked as not fillable, or without a mediator when the appointment ended.",
        },
        "cancelled": {**count, "description": "Cancelled by the office or the coordination."},
        "cancelled_by_office": count,
        "without_candidates": {
            **count,
            "description": "Unmet demand: no suitable mediator at intake.",
        },
        "fulfilment_rate": {
            "type": ["number", "null"],
            "description": "fulfilled / (requests - cancelled_by_office); null when that is 0.",
        },
    }
    return {
        "type": "object",
        "required": [*(key or {}), *properties],
        "properties": {**(key or {}), **properties},
    }


_MINUTES = {"type": ["number", "null"]}
_COUNT = {"type": "integer", "minimum": 0}
_SUMMARY = _counts(
    {
        "from": {"type": "string", "description": "First day (YYYY-MM-DD, Europe/Berlin)."},
        "to": {"type": "string", "description": "Last day, inclusive."},
    }
)
_SUMMARY["properties"].update(
    {
        "cancelled_by_coordination": _COUNT,
        "cancelled_short_notice": _COUNT,
        "mediator_cancellations": {**_COUNT, "description": "Assignments the mediator cancelled."},
        "mediator_cancellations_short_notice": _COUNT,
        "median_minutes_to_assignment": {
            **_MINUTES,
            "description": "From the request's creation to the confirmed assignment.",
        },
        "median_lead_time_minutes": {**_MINUTES, "description": "From creation to the start."},
        "minutes_volunteers": {**_COUNT, "description": "Time served by volunteers."},
        "minutes_staff": {**_COUNT, "description": "Time served by staff members."},
        "client_no_shows": _COUNT,
        "mediator_no_shows": _COUNT,
        "feedback_average": {"type": ["number", "null"], "description": "Offices' rating, 1-5."},
        "feedback_count": _COUNT,
        "debrief_requests": {**_COUNT, "description": "Debrief requests made (only the number)."},
    }
)
_SUMMARY["required"] = list(_SUMMARY["properties"])
SCHEMAS["IndicatorSummary"] = _SUMMARY
SCHEMAS["Indicators"] = {
    "type": "object",
    "required": [
        *_SUMMARY["required"],
        "by_language",
        "by_office",
        "by_domain",
        "by_month",
        "mediators",
        "previous",
    ],
    "properties": {
        **_SUMMARY["properties"],
        "by_language": {"type": "array", "items": _counts({"code": {"type": "string"}})},
        "by_office": {"type": "array", "items": _counts({"office_id": _ID})},
        "by_domain": {"type": "array", "items": _counts({"code": {"type": "string"}})},
        "by_month": {
            "type": "array",
            "items": _counts({"month": {"type": "string", "description": "YYYY-MM"}}),
        },
        "mediators": {
            "type": "object",
            "description": "Active and deployable mediators now (not of the period).",
            "required": ["active", "deployable", "by_language"],
            "properties": {
                "active": _COUNT,
                "deployable": _COUNT,
                "by_language": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["code", "active", "deployable"],
                        "properties": {
                            "code": {"type": "string"},
                            "active": _COUNT,
                            "deployable": _COUNT,
                        },
                    },
                },
            },
        },
        "previous": {
            **_ref("IndicatorSummary"),
            "description": "The previous period of the same length.",
        },
    },
}
PATHS["/reports/indicators"] = {
    "get": {
        "operationId": "getIndicators",
        "summary": "Indicators of a period and pool, with the previous period",
        "description": "Requests count in the period by their start (local days, Europe/Berlin). "
        "Coordinators see their pools, admins all; without `pool_id` all visible pools are "
        "counted. Without `from`/`to` the last full calendar month; at most 3 years.",
        "tags": ["reports"],
        "security": _SIGNED_IN,
        "parameters": [
            {
                "name": "from",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "format": "date"},
            },
            {
                "name": "to",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "format": "date"},
            },
            _id_param("pool_id", "Only this pool (403 if the caller does not coordinate it)."),
        ],
        "responses": {
            "200": _ok("The indicators.", "Indicators"),
            "400": _error("BadRequest"),
            "401": _error("Unauthorized"),
            "403": _error("Forbidden"),
            "404": _error("NotFound"),
        },
    }
}

# The hotline.
SCHEMAS["HotlineList"] = {
    "type": "object",
    "required": ["items"],
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["mediator_id", "name", "kind", "phone"],
                "properties": {
                    "mediator_id": {"type": "integer"},
                    "name": {"type": "string"},
                    "kind": {"type": "string", "enum": ["volunteer", "staff"]},
                    "phone": {
                        "type": ["string", "null"],
                        "description": "Staff: their office's number; volunteers: their own "
                        "only with their consent, else the pool's hotline number.",
                    },
                },
            },
        }
    },
}
SCHEMAS["ReachableInput"] = {
    "type": "object",
    "required": ["until"],
    "additionalProperties": False,
    "properties": {
        "until": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "Reachable from now until this moment (with an offset, within 24 "
            "hours); null switches off.",
        }
    },
}
SCHEMAS["Reachable"] = {
    "type": "object",
    "required": ["mediator_id", "reachable_from", "reachable_until"],
    "properties": {
        "mediator_id": {"type": "integer"},
        "reachable_from": {"type": ["string", "null"], "format": "date-time"},
        "reachable_until": {"type": ["string", "null"], "format": "date-time"},
    },
}
SCHEMAS["HotlineCallInput"] = {
    "type": "object",
    "required": ["mediator_id", "language"],
    "additionalProperties": False,
    "properties": {
        "mediator_id": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
        "language": {"type": "string"},
        "office_id": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_ID,
            "description": "The caller's office (default: their first).",
        },
    },
}
PATHS["/hotline"] = {
    "get": {
        "operationId": "listHotline",
        "summary": "Who is reachable by phone now for a language",
        "description": "Caseworkers (their office's pool and the pools sharing with it) and "
        "coordinators (their pools). Staff first, then volunteers, each by fewest assignments "
        "in the last 90 days.",
        "tags": ["hotline"],
        "security": _SIGNED_IN,
        "parameters": [
            {"name": "language", "in": "query", "required": True, "schema": {"type": "string"}}
        ],
        "responses": {
            "200": _ok("The people reachable now, in order.", "HotlineList"),
            "400": _error("BadRequest"),
            "401": _error("Unauthorized"),
            "403": _error("Forbidden"),
        },
    }
}
PATHS["/mediators/{mediator_id}/reachable"] = {
    "put": _action(
        "setReachable",
        'Switch "reachable by phone" on or off',
        "The mediator themselves only; `until` in the past or over 24 hours ahead: 400.",
        "hotline",
        ok=("200", "The switch as stored.", "Reachable"),
        body="ReachableInput",
        conflict=False,
    )
}
PATHS["/hotline/calls"] = {
    "post": _action(
        "recordHotlineCall",
        "Record a phone call as an immediate assignment",
        "Caseworkers only: a 15-minute phone assignment starting now for the mediator, who must "
        "be reachable now (else 409). The real duration is reported with "
        "`POST /assignments/{id}/complete`.",
        "hotline",
        ok=("201", "The recorded assignment.", "Assignment"),
        body="HotlineCallInput",
    )
}

for _path, _item in PATHS.items():
    for _operation in _item.values():
        _operation["responses"]["default"] = _error("OtherError")
        for _name in ("mediator_id", "request_id", "offer_id", "assignment_id"):
            if "{" + _name + "}" in _path:
                _operation["parameters"] = [
                    {"$ref": f"#/components/parameters/{_name}"},
                    *_operation.get("parameters", []),
                ]

DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
    "info": {
        "title": "Dolmetscherpool API",
        "version": API_VERSION,
        "description": "JSON API of the interpreter pool. Errors have the form "
        '`{"error": {"code", "message", "fields"?}}`; lists have the form '
        '`{"items": [...], "next": cursor or null}`.',
    },
    "servers": [{"url": "/api/v1"}],
    "security": _SIGNED_IN,
    "tags": [
        {"name": "meta"},
        {"name": "accounts"},
        {"name": "catalogues"},
        {"name": "organisation"},
        {"name": "mediators"},
        {"name": "requests"},
        {"name": "offers"},
        {"name": "assignments"},
        {"name": "reports"},
        {"name": "hotline"},
    ],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "responses": RESPONSES,
        "parameters": PARAMETERS,
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token: `flask --app pool create-token EMAIL`, or the "
                "profile page. The token acts as its user.",
            },
            "browserSession": {
                "type": "apiKey",
                "in": "cookie",
                "name": "pool_session",
                "description": "The signed-in browser session. Requests that change data must "
                "also send the CSRF token in the `X-CSRFToken` header.",
            },
        },
    },
}


def openapi_document(session_cookie_name: str = "pool_session") -> dict[str, Any]:
    """A copy of the document (so no caller can change the original) for this app's settings."""
    document = deepcopy(DOCUMENT)
    document["components"]["securitySchemes"]["browserSession"]["name"] = session_cookie_name
    return document
