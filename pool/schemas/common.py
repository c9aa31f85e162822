"""What several areas share: list pages (``limit``, ``cursor``), language codes, the locale."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Annotated, Any

from flask import current_app
from pydantic import BeforeValidator, Field, ValidationInfo, WithJsonSchema

from pool.languages import is_known
from pool.schemas.base import MAX_ID, Query, Read, doc, problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 200
_DIGITS = re.compile(r"[0-9]{1,12}")


def _known_language(value: Any) -> str:
    if not is_known(value):
        raise problem("Unknown language code (see GET /languages).")
    return value


LanguageCode = Annotated[str, BeforeValidator(_known_language), WithJsonSchema({"type": "string"})]


# --- query parameters -----------------------------------------------------------------------------


def query_integer(minimum: int, maximum: int):
    def run(raw: Any) -> int:
        if (
            not isinstance(raw, str)
            or not _DIGITS.fullmatch(raw)
            or not minimum <= int(raw) <= maximum
        ):
            raise problem(f"Must be a whole number from {minimum} to {maximum}.")
        return int(raw)

    return run


QueryId = Annotated[
    int | None,
    BeforeValidator(query_integer(1, MAX_ID)),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_ID}),
]


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


def _cursor(raw: Any, info: ValidationInfo) -> int:
    kind = (info.context or {}).get("list", "")
    after = decode_cursor(kind, raw) if isinstance(raw, str) else None
    if after is None:
        raise problem("Invalid cursor: pass the 'next' of the previous page unchanged.")
    return after


class ListQuery(Query):
    """A page of a list in id order; validate with ``context={"list": kind}``."""

    limit: Annotated[
        int,
        BeforeValidator(query_integer(1, MAX_LIMIT)),
        WithJsonSchema(
            {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}
        ),
    ] = Field(default=DEFAULT_LIMIT, **doc("Page size.", "Seitengröße."))
    cursor: Annotated[
        int | None,
        BeforeValidator(_cursor),
        WithJsonSchema({"type": "string", "minLength": 1}),
    ] = Field(
        default=None,
        **doc(
            "The opaque `next` value of the previous page of the same list.",
            "Der Wert `next` der vorigen Seite derselben Liste.",
        ),
    )


def _locale(raw: Any) -> str:
    supported = tuple(current_app.config["LANGUAGES"])
    if raw not in supported:
        raise problem(f"Must be one of: {', '.join(supported)}.")
    return raw


class LocaleQuery(Query):
    lang: Annotated[
        str | None,
        BeforeValidator(_locale),
        WithJsonSchema({"type": "string", "enum": ["de", "en"]}),
    ] = Field(default=None, **doc("Locale of the names.", "Sprache der Namen."))


class OfficeQuery(ListQuery):
    pool_id: QueryId = Field(
        default=None,
        **doc(
            "Only the offices of this pool (none if there is no such pool).",
            "Nur die Dienststellen dieses Pools.",
        ),
    )


# --- answers --------------------------------------------------------------------------------------


class Language(Read):
    code: str = Field(
        **doc(
            "BCP 47 primary language subtag (ISO 639-1 where one exists, else ISO 639-3), e.g. "
            "`ar`, `prs`, `ckb`, `dgs`.",
            "Sprachcode nach BCP 47.",
        )
    )
    name: str = Field(**doc("Name in the response's locale.", "Name in der Sprache der Antwort."))


class LanguageList(Read):
    """The whole catalogue, sorted by name in the response's locale; never paged."""

    items: list[Language]
    next: None = Field(
        default=None,
        **doc("Always null: the catalogue is one page.", "Immer leer: der Katalog ist eine Seite."),
    )
