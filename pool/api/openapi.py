"""The OpenAPI 3.1 description of API v1, served at ``GET /api/v1/openapi.json``.

Generated: the paths from the API's routes (every route carries an ``@operation``, see
pool/api/docs.py), the bodies, query parameters and answers from their schemas (pool/schemas/,
pydantic's JSON Schema). Written by hand here only what no generator knows: the document's
header, the security schemes and the shared error answers. Paths are relative to the server URL
``/api/v1``.
"""

from __future__ import annotations

import re
from copy import deepcopy
from typing import Any, Literal

from flask import current_app
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from pool.api.docs import Operation
from pool.schemas.base import MAX_ID
from pool.schemas.errors import Error, IntakeRefused

API_VERSION = "1.0.0"
API_PREFIX = "/api/v1"
_SIGNED_IN: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"browserSession": []}]
_ERROR_NAMES = {
    "400": "BadRequest",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "409": "Conflict",
    "415": "UnsupportedMediaType",
    "422": "ValidationFailed",
}
_TAGS = [
    "meta", "accounts", "catalogues", "organisation", "mediators", "requests", "offers",
    "assignments", "reports", "hotline",
]  # fmt: skip


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


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


def _path_parameter(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
    }


PARAMETERS: dict[str, Any] = {
    name: _path_parameter(name)
    for name in ("mediator_id", "request_id", "offer_id", "assignment_id")
}


# --- JSON Schema of pydantic, in the document's style ---------------------------------------------


def _tidy(node: Any) -> Any:
    """Pydantic's JSON Schema as the document writes it: no titles, no German descriptions (they
    serve the pages), ``"type": [T, "null"]`` for a nullable scalar, references into
    ``components``."""
    if isinstance(node, list):
        return [_tidy(item) for item in node]
    if not isinstance(node, dict):
        return node
    # Defaults are left out: in a change (PATCH) an absent field stays as it is.
    dropped = ("title", "x-description-de", "default")
    node = {k: _tidy(v) for k, v in node.items() if k not in dropped}
    options = node.get("anyOf")
    if isinstance(options, list) and len(options) == 2 and {"type": "null"} in options:
        other = next(o for o in options if o != {"type": "null"})
        if "$ref" not in other and isinstance(other.get("type"), str):
            node.pop("anyOf")
            merged = {**other, **node, "type": [other["type"], "null"]}
            if "enum" in other:
                merged["enum"] = [*other["enum"], None]
            return merged
    return node


def _inline_enums(node: Any, enums: dict[str, Any]) -> Any:
    """The document writes a code list in place, not as a schema of its own."""
    if isinstance(node, list):
        return [_inline_enums(item, enums) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref", "")
    name = ref.rsplit("/", 1)[-1]
    if name in enums:
        return {**enums[name], **{k: v for k, v in node.items() if k != "$ref"}}
    return {k: _inline_enums(v, enums) for k, v in node.items()}


def _components(
    models: list[tuple[type[BaseModel], _Mode]],
) -> tuple[dict, dict[Any, Any]]:
    keys, top = models_json_schema(models, ref_template="#/components/schemas/{model}")
    defs = top.get("$defs", {})
    enums = {
        name: {"type": "string", "enum": schema["enum"]}
        for name, schema in defs.items()
        if "enum" in schema and "properties" not in schema
    }
    schemas = {
        name: _tidy(_inline_enums(schema, enums))
        for name, schema in defs.items()
        if name not in enums
    }
    return schemas, {key: _tidy(_inline_enums(value, enums)) for key, value in keys.items()}


# --- operations -----------------------------------------------------------------------------------


def _operations() -> list[tuple[str, str, Operation]]:
    found = []
    for rule in current_app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX + "/"):
            continue
        spec = getattr(current_app.view_functions[rule.endpoint], "openapi", None)
        if spec is None:
            continue
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule.removeprefix(API_PREFIX))
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((path, method.lower(), spec))
    return found


_Mode = Literal["validation", "serialization"]


def _models(operations: list[tuple[str, str, Operation]]) -> list[tuple[type[BaseModel], _Mode]]:
    models: dict[tuple[type[BaseModel], _Mode], None] = {(Error, "serialization"): None}
    models[(IntakeRefused, "serialization")] = None
    for _, _, spec in operations:
        if spec.body is not None:
            models[(spec.body, "validation")] = None
        for answer in spec.answers.values():
            if answer.schema is not None:
                models[(answer.schema, "serialization")] = None
    return list(models)


def _query_parameters(spec: Operation) -> list[dict[str, Any]]:
    if spec.query is None:
        return []
    schema = _tidy(spec.query.model_json_schema(by_alias=True))
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        if name in ("limit", "cursor"):
            parameters.append({"$ref": f"#/components/parameters/{name}"})
            continue
        description = prop.pop("description", None)
        parameter = {"name": name, "in": "query", "required": name in required}
        if description:
            parameter["description"] = description
        parameter["schema"] = prop
        parameters.append(parameter)
    return parameters


def _answer(status: str, answer: Any, keys: dict[Any, Any], schemas: dict) -> dict[str, Any]:
    response: dict[str, Any] = {"description": answer.description}
    if answer.headers:
        response["headers"] = {name: {"schema": {"type": "string"}} for name in answer.headers}
    if answer.schema is None:
        response["content"] = _json({"type": "object"})
        return response
    ref = keys[(answer.schema, "serialization")]
    if answer.page:
        name = f"{answer.schema.__name__}List"
        schemas[name] = {
            "type": "object",
            "description": f"{answer.schema.__name__} objects in id order.",
            "required": ["items", "next"],
            "properties": {
                "items": {"type": "array", "items": ref},
                "next": {
                    "type": ["string", "null"],
                    "description": "Cursor of the next page (pass it as `cursor`); null on the "
                    "last.",
                },
            },
        }
        ref = _ref(name)
    response["content"] = _json(ref)
    return response


def _operation(path: str, spec: Operation, keys: dict, schemas: dict) -> dict[str, Any]:
    operation: dict[str, Any] = {"operationId": spec.operation_id, "summary": spec.summary}
    if spec.description:
        operation["description"] = spec.description
    operation["tags"] = [spec.tag]
    operation["security"] = [{}] if spec.public else _SIGNED_IN
    parameters = [
        {"$ref": f"#/components/parameters/{name}"} for name in re.findall(r"{(\w+)}", path)
    ]
    parameters += _query_parameters(spec)
    if parameters:
        operation["parameters"] = parameters
    if spec.body is not None:
        operation["requestBody"] = {
            "required": spec.body_required,
            "content": _json(keys[(spec.body, "validation")]),
        }
    responses = {
        status: _answer(status, answer, keys, schemas) for status, answer in spec.answers.items()
    }
    for status in spec.errors:
        name = _ERROR_NAMES[status]
        if status == "400" and spec.body is not None:
            name = "MalformedBody"
        if status == "422" and spec.intake:
            name = "IntakeRefused"
        if status in spec.error_descriptions:
            responses[status] = {
                "description": spec.error_descriptions[status],
                "content": _json(_ref("Error")),
            }
        else:
            responses[status] = {"$ref": f"#/components/responses/{name}"}
    responses["default"] = {"$ref": "#/components/responses/OtherError"}
    operation["responses"] = responses
    return operation


def _build() -> dict[str, Any]:
    operations = _operations()
    schemas, keys = _components(_models(operations))
    paths: dict[str, Any] = {}
    for path, method, spec in operations:
        paths.setdefault(path, {})[method] = _operation(path, spec, keys, schemas)
    parameters = {
        **PARAMETERS,
        "limit": {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "Page size.",
            "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
        },
        "cursor": {
            "name": "cursor",
            "in": "query",
            "required": False,
            "description": "The opaque `next` value of the previous page of the same list.",
            "schema": {"type": "string", "minLength": 1},
        },
    }
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "info": {
            "title": "Dolmetscherpool API",
            "version": API_VERSION,
            "description": "JSON API of the interpreter pool. Errors have the form "
            '`{"error": {"code", "message", "fields"?}}`; lists have the form '
            '`{"items": [...], "next": cursor or null}`.',
        },
        "servers": [{"url": API_PREFIX}],
        "security": _SIGNED_IN,
        "tags": [{"name": name} for name in _TAGS],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": RESPONSES,
            "parameters": parameters,
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
                    "description": "The signed-in browser session. Requests that change data "
                    "must also send the CSRF token in the `X-CSRFToken` header.",
                },
            },
        },
    }


_DOCUMENT: dict[str, Any] = {}


def openapi_document(session_cookie_name: str = "pool_session") -> dict[str, Any]:
    """A copy of the document (built once per process) for this app's settings."""
    if not _DOCUMENT:
        _DOCUMENT.update(_build())
    document = deepcopy(_DOCUMENT)
    document["components"]["securitySchemes"]["browserSession"]["name"] = session_cookie_name
    return document
