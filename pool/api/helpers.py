"""Glue of the API routes: parsing query parameters and JSON bodies through the schemas
(pool/schemas/), cursor pagination, the request's locale, and turning a service's refusal or a
failed commit into an API error.

Every problem of a query or a body is collected into ``fields`` and answered once — 400 for query
parameters and malformed JSON, 422 for fields of a body — never a 500.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, request
from flask_login import current_user
from pydantic import BaseModel, ValidationError
from sqlalchemy import Select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from pool.schemas.base import MAX_ID, error_fields
from pool.schemas.common import DEFAULT_LIMIT, MAX_LIMIT, ListQuery, decode_cursor, encode_cursor
from pool.services import ServiceError
from pool.services.booking import BookingConflict
from pool.services.requests import IntakeRefused

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

__all__ = ["DEFAULT_LIMIT", "MAX_ID", "MAX_LIMIT", "decode_cursor", "encode_cursor"]

CONFLICT_MESSAGE = "The change conflicts with another change made at the same time."


class ApiError(Exception):
    """An error answered as ``{"error": {code, message, fields?}}`` (see pool.errors.json_error)."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        fields: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.fields = fields


def actor() -> Any:
    """The signed-in user itself (not the proxy) for the services."""
    return current_user._get_current_object()


# --- parsing --------------------------------------------------------------------------------------


def parse_query(schema: type[M], *, kind: str | None = None) -> M:
    """The query parameters as ``schema`` (the first value of a repeated one); 400 with every
    problem. ``kind`` names the list whose cursors are accepted."""
    try:
        return schema.model_validate(request.args.to_dict(), context={"list": kind})
    except ValidationError as exc:
        raise ApiError(400, "Invalid query parameters.", fields=error_fields(exc)) from None


def json_object() -> dict[str, Any]:
    """The request's body as a JSON object.

    415 for another content type, 400 for a body that is not JSON (also for nesting too deep to
    parse), 422 for JSON that is not an object; a body over MAX_CONTENT_LENGTH is a 413.
    """
    if not request.is_json:
        raise ApiError(415, "Send the body as JSON with Content-Type: application/json.")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ApiError(400, "The body is not valid JSON (UTF-8).") from None
    if not isinstance(data, dict):
        raise ApiError(
            422, "The body must be a JSON object.", fields={"body": ["Must be a JSON object."]}
        )
    return data


def parse_body(schema: type[M], *, optional: bool = False) -> M:
    """The JSON body as ``schema``; 422 with every problem. With ``optional`` an empty body (with
    any or no content type) counts as ``{}``, for actions whose fields are all optional."""
    data = {} if optional and not request.get_data(cache=True) else json_object()
    return validate(schema, data)


def validate(schema: type[M], data: dict[str, Any]) -> M:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise invalid(error_fields(exc)) from None


def invalid(fields: dict[str, list[str]]) -> ApiError:
    return ApiError(422, "Some fields are invalid.", fields=fields)


# --- services and commits -------------------------------------------------------------------------


class IntakeRefusedError(ApiError):
    """422 with every reason of the pool's intake rules: texts in ``message``, by field in
    ``fields``, and ``reasons`` with their codes for programs."""

    def __init__(self, exc: IntakeRefused) -> None:
        fields: dict[str, list[str]] = {}
        for reason in exc.reasons:
            if reason.field:
                fields.setdefault(reason.field, []).append(reason.text)
        super().__init__(422, exc.message, fields=fields or None)
        self.reasons = [{"code": r.code, "field": r.field, "message": r.text} for r in exc.reasons]


def refusal(exc: Exception, paths: dict[str, str] | None = None) -> ApiError | None:
    """The API error of a service's refusal: the intake rules' reasons (422), a booking conflict
    (409), any other rule (422, under the field it names, renamed by ``paths``)."""
    if isinstance(exc, IntakeRefused):
        return IntakeRefusedError(exc)
    if isinstance(exc, BookingConflict):
        return ApiError(409, exc.message)
    if isinstance(exc, ServiceError):
        path = (paths or {}).get(exc.field or "", exc.field)
        return ApiError(422, exc.message, fields={path: [exc.message]} if path else None)
    return None


def call(
    session: Session,
    action: Callable[[], T],
    refused: Callable[[Exception], ApiError | None] = refusal,
) -> T:
    """Run a service step; ``refused`` turns its refusals into API errors, with nothing of the
    step left. A unique key hit by a concurrent change is a 409."""
    try:
        return action()
    except ApiError:
        session.rollback()
        raise
    except IntegrityError:
        session.rollback()
        raise ApiError(409, CONFLICT_MESSAGE) from None
    except Exception as exc:
        # Read what the refusal needs before the rollback expires the objects.
        error = refused(exc)
        session.rollback()
        if error is None:
            raise
        raise error from None


def commit(session: Session) -> None:
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise ApiError(409, CONFLICT_MESSAGE) from None


# --- pages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    kind: str
    limit: int
    after: int | None


def page_of(query: ListQuery, kind: str) -> PageRequest:
    return PageRequest(kind, query.limit, query.cursor)


def paginate(
    session: Session, stmt: Select[Any], id_column: InstrumentedAttribute[int], page: PageRequest
) -> tuple[list[Any], str | None]:
    """One page of ``stmt`` in id order (keyset pagination) and the cursor of the next page."""
    if page.after is not None:
        stmt = stmt.where(id_column > page.after)
    rows = list(session.scalars(stmt.order_by(id_column).limit(page.limit + 1)))
    if len(rows) <= page.limit:
        return rows, None
    rows = rows[: page.limit]
    return rows, encode_cursor(page.kind, getattr(rows[-1], id_column.key))


def list_response(
    rows: Sequence[T], serialize: Callable[[T], dict[str, Any]], next_cursor: str | None = None
) -> dict[str, Any]:
    return {"items": [serialize(row) for row in rows], "next": next_cursor}


def request_locale(chosen: str | None) -> str:
    """``?lang=`` if given, else the best match of ``Accept-Language``, else the default."""
    if chosen:
        return chosen
    supported = tuple(current_app.config["LANGUAGES"])
    best = request.accept_languages.best_match(supported)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]
