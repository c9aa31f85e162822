"""Building blocks of the schemas: strict scalar types with the API's messages, the base models,
and the translation of pydantic's errors into the error envelope's ``fields``.

JSON input is checked strictly (a number is not a string, ``true`` is not ``1``); every scalar type
carries its own check so that the message a client reads says what is allowed. Each field's limits
live in its type (``Text(120)``, ``Whole(0, 1000)``) and show up in the JSON Schema of the OpenAPI
document. Descriptions are written once with ``doc(english, german)``: English in ``description``
(the language of the API), German in ``x-description-de`` (the language of the pages).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, time
from enum import StrEnum
from typing import Annotated, Any

from email_validator import EmailNotValidError, validate_email
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from pool.forms import FORBIDDEN_CHARACTERS

# Ids are INTEGER columns (32-bit on PostgreSQL); a larger number is refused, not passed on.
MAX_ID = 2**31 - 1
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2999, 12, 31)
DATE_MESSAGE = "Must be a date YYYY-MM-DD from 1900-01-01 to 2999-12-31."
TIMESTAMP_MESSAGE = (
    "Must be an ISO 8601 timestamp with an offset, e.g. 2027-03-02T10:00:00+01:00 "
    "(a time without an offset is ambiguous)."
)
# A body's problems are reported for at most this many fields (a hostile body may have thousands).
MAX_REPORTED_FIELDS = 50

# Single-line texts refuse every control character; multi-line texts allow tab and line breaks
# (pool/forms.py refuses the same characters in forms).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
# ISO 8601 date and time with an offset (``Z`` or ``±HH:MM``); seconds and fractions optional.
_TIMESTAMP = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"(Z|z|[+-][0-9]{2}:?[0-9]{2})"
)


def doc(english: str, german: str, **extra: Any) -> dict[str, Any]:
    """Keyword arguments of ``Field`` for a description in English and German."""
    schema_extra = {"x-description-de": german, **extra.pop("json_schema_extra", {})}
    return {"description": english, "json_schema_extra": schema_extra, **extra}


def problem(message: str, at: str = "") -> PydanticCustomError:
    """A validation problem with the API's message; ``at`` is a path below the failing value
    (``.code``, ``[2]``) when the problem belongs to a part of it."""
    return PydanticCustomError("invalid", message, {"at": at} if at else None)


# --- parsing raw values ---------------------------------------------------------------------------


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


# --- checks of JSON values ------------------------------------------------------------------------


def _nullable(check: Callable[[Any], Any], nullable: bool) -> Callable[[Any], Any]:
    def run(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise problem("Must not be null.")
        return check(value)

    return run


def check_text(max_length: int, *, nullable: bool = False, multiline: bool = False):
    """A string without control characters, at most ``max_length`` characters once stripped;
    "" counts as null."""
    pattern = FORBIDDEN_CHARACTERS if multiline else _CONTROL

    def run(value: Any) -> Any:
        if value is None:
            if nullable:
                return None
            raise problem("Must not be null.")
        if not isinstance(value, str):
            raise problem("Must be a string.")
        if pattern.search(value):
            raise problem("Contains forbidden control characters.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise problem("Contains an invalid character (a lone surrogate).") from None
        value = value.strip()
        if len(value) > max_length:
            raise problem(f"Must be at most {max_length} characters.")
        if not value:
            if nullable:
                return None
            raise problem("Must not be empty.")
        return value

    return run


def check_integer(minimum: int, maximum: int, *, nullable: bool = False):
    def run(value: Any) -> int:
        if type(value) is not int or not minimum <= value <= maximum:
            raise problem(f"Must be a whole number from {minimum} to {maximum}.")
        return value

    return _nullable(run, nullable)


def _check_boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise problem("Must be true or false.")
    return value


def check_choice(choices: Iterable[str], *, nullable: bool = False):
    allowed = [str(c) for c in choices]

    def run(value: Any) -> str:
        if not isinstance(value, str) or value not in allowed:
            raise problem(f"Must be one of: {', '.join(allowed)}.")
        return value

    return _nullable(run, nullable)


def _check_day(value: Any) -> date:
    parsed = parse_day(value) if isinstance(value, str) else None
    if parsed is None:
        raise problem(DATE_MESSAGE)
    return parsed


def _check_timestamp(value: Any) -> datetime:
    parsed = parse_timestamp(value) if isinstance(value, str) else None
    if parsed is None:
        raise problem(TIMESTAMP_MESSAGE)
    return parsed


def _check_clock(value: Any) -> time:
    if not isinstance(value, str) or not _TIME.fullmatch(value):
        raise problem("Must be a time of day HH:MM from 00:00 to 23:59.")
    return time.fromisoformat(value)


def _check_email(value: Any) -> str:
    text = check_text(254)(value)
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise problem("Must be a valid e-mail address.") from None
    return text


def check_text_list(max_items: int, max_length: int):
    """An array of distinct non-empty strings (order kept)."""
    item_check = check_text(max_length)

    def run(value: Any) -> list[str]:
        if not isinstance(value, list):
            raise problem("Must be an array.")
        if len(value) > max_items:
            raise problem(f"Must have 0 to {max_items} entries.")
        result: list[str] = []
        for index, item in enumerate(value):
            try:
                text = item_check(item)
            except PydanticCustomError as exc:
                raise problem(exc.message(), f"[{index}]") from None
            if text not in result:
                result.append(text)
        return result

    return run


# --- the types ------------------------------------------------------------------------------------


def Text(max_length: int, *, multiline: bool = False) -> Any:  # noqa: N802  (a type)
    return Annotated[
        str,
        Field(max_length=max_length),
        BeforeValidator(check_text(max_length, multiline=multiline)),
    ]


def OptionalText(max_length: int, *, multiline: bool = False) -> Any:  # noqa: N802
    return Annotated[
        Annotated[str, Field(max_length=max_length)] | None,
        BeforeValidator(check_text(max_length, nullable=True, multiline=multiline)),
    ]


def Whole(minimum: int, maximum: int) -> Any:  # noqa: N802
    return Annotated[
        int, Field(ge=minimum, le=maximum), BeforeValidator(check_integer(minimum, maximum))
    ]


def OptionalWhole(minimum: int, maximum: int) -> Any:  # noqa: N802
    return Annotated[
        Annotated[int, Field(ge=minimum, le=maximum)] | None,
        BeforeValidator(check_integer(minimum, maximum, nullable=True)),
    ]


def Choice(enum: type[StrEnum], members: Iterable[StrEnum] | None = None) -> Any:  # noqa: N802
    """One code of ``enum`` (or of its ``members`` only)."""
    values = [m.value for m in (members if members is not None else enum)]
    return Annotated[
        enum,
        BeforeValidator(check_choice(values)),
        WithJsonSchema({"type": "string", "enum": values}),
    ]


def OptionalChoice(enum: type[StrEnum], members: Iterable[StrEnum] | None = None) -> Any:  # noqa: N802
    values = [m.value for m in (members if members is not None else enum)]
    return Annotated[
        enum | None,
        BeforeValidator(check_choice(values, nullable=True)),
        WithJsonSchema({"type": ["string", "null"], "enum": [*values, None]}),
    ]


def TextList(max_items: int, max_length: int) -> Any:  # noqa: N802
    return Annotated[
        list[Annotated[str, Field(max_length=max_length)]],
        Field(max_length=max_items),
        BeforeValidator(check_text_list(max_items, max_length)),
    ]


Id = Annotated[int, Field(ge=1, le=MAX_ID), BeforeValidator(check_integer(1, MAX_ID))]
OptionalId = Annotated[
    Annotated[int, Field(ge=1, le=MAX_ID)] | None,
    BeforeValidator(check_integer(1, MAX_ID, nullable=True)),
]
Flag = Annotated[bool, BeforeValidator(_check_boolean)]
Email = Annotated[
    str, Field(max_length=254, json_schema_extra={"format": "email"}), BeforeValidator(_check_email)
]
Day = Annotated[date, BeforeValidator(_nullable(_check_day, False))]
OptionalDay = Annotated[date | None, BeforeValidator(_nullable(_check_day, True))]
Timestamp = Annotated[datetime, BeforeValidator(_nullable(_check_timestamp, False))]
OptionalTimestamp = Annotated[datetime | None, BeforeValidator(_nullable(_check_timestamp, True))]
_CLOCK_OUT = PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str)
_CLOCK_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "description": "Local time of day (Europe/Berlin), `HH:MM`.",
    }
)
ClockRead = Annotated[time, _CLOCK_OUT, _CLOCK_SCHEMA]
Clock = Annotated[
    time,
    BeforeValidator(_check_clock),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
            "description": "Local time of day (Europe/Berlin), `HH:MM`.",
        }
    ),
]

# Read models: timestamps keep their offset as stored (``+00:00``), as isoformat writes them.
_MOMENT_SCHEMA = {
    "type": "string",
    "format": "date-time",
    "description": "ISO 8601 with an offset (UTC in responses).",
}
Moment = Annotated[
    datetime, PlainSerializer(datetime.isoformat, return_type=str), WithJsonSchema(_MOMENT_SCHEMA)
]
OptionalMoment = Annotated[
    datetime | None,
    PlainSerializer(lambda v: v.isoformat() if v is not None else None, return_type=str | None),
    WithJsonSchema({**_MOMENT_SCHEMA, "type": ["string", "null"]}),
]


# --- models ---------------------------------------------------------------------------------------


class Body(BaseModel):
    """A request body: unknown fields are refused (a typo must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def given(self) -> dict[str, Any]:
        """The fields the client sent, by name, with their checked values."""
        return {name: getattr(self, name) for name in self.model_fields_set}


class Query(BaseModel):
    """Query parameters: unknown ones are ignored, as they always were."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)


class Read(BaseModel):
    """An answer: every field is present (null when empty), except those a reader may not see,
    which are left unset when the answer is built (and so left out)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)


def without_required(*names: str) -> Callable[[dict[str, Any]], None]:
    """A ``json_schema_extra`` that marks fields left out for some readers as optional."""

    def edit(schema: dict[str, Any]) -> None:
        schema["required"] = [n for n in schema.get("required", []) if n not in names]

    return edit


# --- errors ---------------------------------------------------------------------------------------


def _path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


def _describe(error: Any) -> tuple[str, str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "extra_forbidden":
        name = loc[-1] if loc else ""
        if isinstance(name, str) and _FIELD_NAME.fullmatch(name):
            return _path(loc), "Unknown field."
        return _path(loc[:-1]) or "body", "Contains an unknown field."
    messages = {
        "missing": "Required.",
        "model_type": "Must be an object.",
        "dict_type": "Must be an object.",
        "model_attributes_type": "Must be an object.",
        "list_type": "Must be an array.",
    }
    ctx = error.get("ctx") or {}
    if kind in messages:
        message = messages[kind]
    elif kind == "too_long" and "max_length" in ctx:
        message = f"Must have at most {ctx['max_length']} entries."
    elif kind == "too_short" and "min_length" in ctx:
        message = f"Must have at least {ctx['min_length']} entries."
    else:
        message = error["msg"]
    path, at = _path(loc), ctx.get("at", "")
    if path and at and not at.startswith("["):
        at = "." + at
    return (path + at) or "body", message


def error_fields(exc: ValidationError) -> dict[str, list[str]]:
    """Every problem of ``exc`` by its path (``name``, ``languages[0].level``, ``checks.x``)."""
    fields: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False, include_input=False):
        path, message = _describe(error)
        if path in fields or len(fields) < MAX_REPORTED_FIELDS:
            messages = fields.setdefault(path, [])
            if message not in messages:
                messages.append(message)
    return fields
