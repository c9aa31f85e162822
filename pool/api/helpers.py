"""Helpers for API routes: query validation, cursor pagination, the request's locale.

Query parameters are checked before the database sees them; every problem is collected into
``fields`` and answered once with a 400, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import current_app, request
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Ids are INTEGER columns (32-bit on PostgreSQL); a larger number is refused, not passed on.
MAX_ID = 2**31 - 1
MAX_CURSOR_LENGTH = 200
_DIGITS = re.compile(r"[0-9]{1,12}")

T = TypeVar("T")


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


class QueryArgs:
    """Reads query parameters, collecting problems per parameter; ``check()`` raises them."""

    def __init__(self) -> None:
        self.args = request.args
        self.errors: dict[str, list[str]] = {}

    def _fail(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def integer(
        self, name: str, *, minimum: int = 1, maximum: int = MAX_ID, default: int | None = None
    ) -> int | None:
        raw = self.args.get(name)
        if raw is None:
            return default
        if not _DIGITS.fullmatch(raw) or not minimum <= int(raw) <= maximum:
            self._fail(name, f"Must be a whole number from {minimum} to {maximum}.")
            return default
        return int(raw)

    def choice(self, name: str, choices: Sequence[str]) -> str | None:
        raw = self.args.get(name)
        if raw is None:
            return None
        if raw not in choices:
            self._fail(name, f"Must be one of: {', '.join(choices)}.")
            return None
        return raw

    def cursor(self, kind: str) -> int | None:
        raw = self.args.get("cursor")
        if raw is None:
            return None
        after = decode_cursor(kind, raw)
        if after is None:
            self._fail("cursor", "Invalid cursor: pass the 'next' of the previous page unchanged.")
        return after

    def check(self) -> None:
        if self.errors:
            raise ApiError(400, "Invalid query parameters.", fields=self.errors)


# --- cursors --------------------------------------------------------------------------------------


def encode_cursor(kind: str, after: int) -> str:
    """An opaque cursor: which list it belongs to and the last id of the page."""
    payload = json.dumps({"k": kind, "a": after}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(payload).decode("ascii").rstrip("=")


def decode_cursor(kind: str, raw: str) -> int | None:
    """The id a cursor points after, or None if it is not a cursor of list ``kind``."""
    if not raw or len(raw) > MAX_CURSOR_LENGTH:
        return None
    try:
        data = base64.b64decode(raw + "=" * (-len(raw) % 4), altchars=b"-_", validate=True)
        payload = json.loads(data.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeError):
        return None
    if not isinstance(payload, dict) or payload.get("k") != kind:
        return None
    after = payload.get("a")
    if type(after) is not int or not 0 < after <= MAX_ID:
        return None
    return after


# --- pages ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    kind: str
    limit: int
    after: int | None


def page_request(query: QueryArgs, kind: str) -> PageRequest:
    """Read ``limit`` and ``cursor``; call ``query.check()`` afterwards."""
    limit = query.integer("limit", minimum=1, maximum=MAX_LIMIT, default=DEFAULT_LIMIT)
    after = query.cursor(kind)
    return PageRequest(kind, limit or DEFAULT_LIMIT, after)


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


# --- locale ---------------------------------------------------------------------------------------


def request_locale(query: QueryArgs) -> str:
    """``?lang=`` if given, else the best match of ``Accept-Language``, else the default."""
    supported = tuple(current_app.config["LANGUAGES"])
    chosen = query.choice("lang", supported)
    if chosen:
        return chosen
    best = request.accept_languages.best_match(supported)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]
