"""Languages of the interface, and dates shown in Europe/Berlin."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from pool.extensions import babel

BERLIN = ZoneInfo("Europe/Berlin")
LOCALE_COOKIE = "pool_lang"

DATETIME_PATTERNS = {"de": "ccc, d. MMMM y, HH:mm", "en": "EEE, d MMMM y, HH:mm"}
DATE_PATTERNS = {"de": "ccc, d. MMMM y", "en": "EEE, d MMMM y"}


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():  # commands and the scheduler: e-mails use force_locale
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in supported:
        return current_user.locale
    chosen = request.cookies.get(LOCALE_COOKIE)
    if chosen in supported:
        return chosen
    return (
        request.accept_languages.best_match(supported) or current_app.config["BABEL_DEFAULT_LOCALE"]
    )


def current_language() -> str:
    return str(get_locale() or "de")


def format_when(value: datetime | None, language: str | None = None) -> str:
    """``Mo, 3. März 2027, 10:00`` in Europe/Berlin."""
    if value is None:
        return ""
    language = language or current_language()
    pattern = DATETIME_PATTERNS.get(language, DATETIME_PATTERNS["de"])
    return format_datetime(value, pattern, tzinfo=BERLIN, locale=language)


def format_day(value: date | None, language: str | None = None) -> str:
    if value is None:
        return ""
    language = language or current_language()
    return format_date(value, DATE_PATTERNS.get(language, DATE_PATTERNS["de"]), locale=language)


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["day"] = format_day
