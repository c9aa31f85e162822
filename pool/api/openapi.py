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
from pool.models.mediators import GENDERS, GERMAN_LEVELS, KINDS, LEVELS, MODES, STATUSES
from pool.models.org import FEDERAL_STATES, POOL_KINDS
from pool.models.users import ROLES

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
        "description": "The checks recorded by the coordination (DESIGN.md §3).",
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
    "mediator_id": {
        "name": "mediator_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
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

for _path, _item in PATHS.items():
    for _operation in _item.values():
        _operation["responses"]["default"] = _error("OtherError")
        if "{mediator_id}" in _path:
            _operation["parameters"] = [
                {"$ref": "#/components/parameters/mediator_id"},
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
