"""Helpers for API routes: query and JSON body validation, cursor pagination, the request's
locale.

Query parameters and bodies are checked before the database sees them; every problem is collected
into ``fields`` and answered once — 400 for query parameters and malformed JSON, 422 for fields of
a body — never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, TypeVar

from email_validator import EmailNotValidError, validate_email
from flask import current_app, request
from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from pool.forms import FORBIDDEN_CHARACTERS

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


# --- query values ---------------------------------------------------------------------------------


def query_date(query: QueryArgs, name: str) -> date | None:
    """A ``YYYY-MM-DD`` query parameter; problems are collected into ``query``."""
    raw = query.args.get(name)
    if raw is None:
        return None
    value = parse_day(raw)
    if value is None:
        query._fail(name, DATE_MESSAGE)
    return value


def query_moment(query: QueryArgs, name: str) -> date | datetime | None:
    """A query parameter that is a date ``YYYY-MM-DD`` or a timestamp with an offset."""
    raw = query.args.get(name)
    if raw is None:
        return None
    value: date | datetime | None = parse_day(raw)
    if value is None:
        value = parse_timestamp(raw)
    if value is None:
        query._fail(
            name, f"Must be a date YYYY-MM-DD or a timestamp with an offset. {DATE_MESSAGE}"
        )
    return value


def query_matching(
    query: QueryArgs, name: str, accept: Callable[[str], bool], message: str
) -> str | None:
    """A query parameter that ``accept`` approves of, e.g. a known language code."""
    raw = query.args.get(name)
    if raw is None:
        return None
    if not accept(raw):
        query._fail(name, message)
        return None
    return raw


# --- JSON bodies ----------------------------------------------------------------------------------

# Single-line texts refuse every control character; multi-line texts allow tab and line breaks
# (pool/forms.py refuses the same characters in forms).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2999, 12, 31)
DATE_MESSAGE = "Must be a date YYYY-MM-DD from 1900-01-01 to 2999-12-31."
# A body's problems are reported for at most this many fields (a hostile body may have thousands).
MAX_REPORTED_FIELDS = 50
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")


# ISO 8601 date and time with an offset (``Z`` or ``±HH:MM``); seconds and fractions optional.
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|z|[+-][0-9]{2}:?[0-9]{2})"
)
TIMESTAMP_MESSAGE = (
    "Must be an ISO 8601 timestamp with an offset, e.g. 2027-03-02T10:00:00+01:00 "
    "(a time without an offset is ambiguous)."
)


def parse_timestamp(raw: str) -> datetime | None:
    """An aware datetime from ISO 8601 with an offset; None for anything else (also a timestamp
    without an offset, or a year outside 1900–2999)."""
    if len(raw) > 40 or not _TIMESTAMP.fullmatch(raw):
        return None
    try:
        value = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        return None
    return value if MIN_DAY.year <= value.year <= MAX_DAY.year else None


def parse_day(raw: str) -> date | None:
    if not _DATE.fullmatch(raw):
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return value if MIN_DAY <= value <= MAX_DAY else None


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


def optional_json_object() -> dict[str, Any]:
    """Like ``json_object``, but an empty body (with any or no content type) counts as ``{}``:
    for actions whose fields are all optional."""
    if not request.get_data(cache=True):
        return {}
    return json_object()


class Invalid:
    """Returned by ``Validator`` methods for a value that failed; ``check()`` raises before use."""

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "INVALID"


INVALID: Any = Invalid()


class Validator:
    """Checks JSON values before the database sees them and collects every problem by its path
    (``name``, ``languages[0].level``, ``checks.interview_on``); ``check()`` answers 422."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def fail(self, path: str, message: str) -> Any:
        if path in self.errors or len(self.errors) < MAX_REPORTED_FIELDS:
            self.errors.setdefault(path, []).append(message)
        return INVALID

    def check(self, message: str = "Some fields are invalid.") -> None:
        if self.errors:
            raise ApiError(422, message, fields=self.errors)

    @staticmethod
    def _path(prefix: str, name: str) -> str:
        return f"{prefix}.{name}" if prefix else name

    def known_fields(self, data: dict[str, Any], allowed: Iterable[str], prefix: str = "") -> None:
        """Unknown fields are refused (a typo must not be silently ignored)."""
        allowed = set(allowed)
        for name in data:
            if name in allowed:
                continue
            if isinstance(name, str) and _FIELD_NAME.fullmatch(name):
                self.fail(self._path(prefix, name), "Unknown field.")
            else:
                self.fail(prefix or "body", "Contains an unknown field.")

    def required(self, data: dict[str, Any], names: Iterable[str], prefix: str = "") -> None:
        for name in names:
            if name not in data:
                self.fail(self._path(prefix, name), "Required.")

    def text(
        self,
        value: Any,
        path: str,
        *,
        max_length: int,
        nullable: bool = False,
        multiline: bool = False,
    ) -> Any:
        """A string without control characters, at most ``max_length`` characters once stripped;
        "" counts as null."""
        if value is None:
            return None if nullable else self.fail(path, "Must not be null.")
        if not isinstance(value, str):
            return self.fail(path, "Must be a string.")
        pattern = FORBIDDEN_CHARACTERS if multiline else _CONTROL
        if pattern.search(value):
            return self.fail(path, "Contains forbidden control characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return self.fail(path, "Contains an invalid character (a lone surrogate).")
        value = value.strip()
        if len(value) > max_length:
            return self.fail(path, f"Must be at most {max_length} characters.")
        if not value:
            return None if nullable else self.fail(path, "Must not be empty.")
        return value

    def email(self, value: Any, path: str) -> Any:
        value = self.text(value, path, max_length=254)
        if value is INVALID:
            return value
        try:
            validate_email(value, check_deliverability=False)
        except EmailNotValidError:
            return self.fail(path, "Must be a valid e-mail address.")
        return value

    def integer(
        self, value: Any, path: str, *, minimum: int, maximum: int, nullable: bool = False
    ) -> Any:
        if value is None:
            return None if nullable else self.fail(path, "Must not be null.")
        if type(value) is not int or not minimum <= value <= maximum:
            return self.fail(path, f"Must be a whole number from {minimum} to {maximum}.")
        return value

    def boolean(self, value: Any, path: str) -> Any:
        if type(value) is not bool:
            return self.fail(path, "Must be true or false.")
        return value

    def choice(self, value: Any, path: str, choices: Sequence[str], nullable: bool = False) -> Any:
        if value is None and nullable:
            return None
        if not isinstance(value, str) or value not in choices:
            return self.fail(path, f"Must be one of: {', '.join(choices)}.")
        return value

    def day(self, value: Any, path: str, *, nullable: bool = False) -> Any:
        if value is None:
            return None if nullable else self.fail(path, "Must not be null.")
        parsed = parse_day(value) if isinstance(value, str) else None
        return self.fail(path, DATE_MESSAGE) if parsed is None else parsed

    def timestamp(self, value: Any, path: str, *, nullable: bool = False) -> Any:
        """An ISO 8601 timestamp with an offset, as an aware datetime; without one it is refused."""
        if value is None:
            return None if nullable else self.fail(path, "Must not be null.")
        parsed = parse_timestamp(value) if isinstance(value, str) else None
        return self.fail(path, TIMESTAMP_MESSAGE) if parsed is None else parsed

    def clock(self, value: Any, path: str) -> Any:
        if not isinstance(value, str) or not _TIME.fullmatch(value):
            return self.fail(path, "Must be a time of day HH:MM from 00:00 to 23:59.")
        return time.fromisoformat(value)

    def array(self, value: Any, path: str, *, max_items: int, min_items: int = 0) -> Any:
        if not isinstance(value, list):
            return self.fail(path, "Must be an array.")
        if not min_items <= len(value) <= max_items:
            return self.fail(path, f"Must have {min_items} to {max_items} entries.")
        return value

    def object(self, value: Any, path: str, allowed: Iterable[str]) -> Any:
        if not isinstance(value, dict):
            return self.fail(path, "Must be an object.")
        self.known_fields(value, allowed, path)
        return value

    def text_list(self, value: Any, path: str, *, max_items: int, max_length: int) -> Any:
        """An array of distinct non-empty strings (order kept)."""
        items = self.array(value, path, max_items=max_items)
        if items is INVALID:
            return items
        result: list[str] = []
        for index, item in enumerate(items):
            text = self.text(item, f"{path}[{index}]", max_length=max_length)
            if text is INVALID:
                return INVALID
            if text not in result:
                result.append(text)
        return result
