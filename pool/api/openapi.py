"""The OpenAPI 3.1 description of API v1, served at ``GET /api/v1/openapi.json``.

Hand-written and kept truthful: describe exactly what the routes do, and describe every new route
(tests/test_api.py fails for a route under /api/v1 that is missing here). Paths are relative to
the server URL ``/api/v1``.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from pool.api.helpers import DEFAULT_LIMIT, MAX_ID, MAX_LIMIT
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
}

RESPONSES: dict[str, Any] = {
    "BadRequest": {
        "description": "Malformed request, e.g. an invalid query parameter (see `fields`).",
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
}

for _item in PATHS.values():
    for _operation in _item.values():
        _operation["responses"]["default"] = _error("OtherError")

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
