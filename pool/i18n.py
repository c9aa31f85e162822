"""Languages of the interface, and dates shown in Europe/Berlin."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request
from flask_babel import get_locale, get_translations
from flask_babel.speaklater import LazyString
from flask_login import current_user
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

from pool.extensions import babel

BERLIN = ZoneInfo("Europe/Berlin")
LOCALE_COOKIE = "pool_lang"
# Outside an app (pure functions in tests): the German source texts.
_OUTSIDE_APP = (None, NullTranslations(), "de")

DATETIME_PATTERNS = {"de": "ccc, d. MMMM y, HH:mm", "en": "EEE, d MMMM y, HH:mm"}
DATE_PATTERNS = {"de": "ccc, d. MMMM y", "en": "EEE, d MMMM y"}


def select_locale() -> str:
    supported: tuple[str, ...] = current_app.config["LANGUAGES"]
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
    return _language_state()[2]


def format_when(value: datetime | None, language: str | None = None) -> str:
    """``Mo, 3. März 2027, 10:00`` in Europe/Berlin."""
    if value is None:
        return ""
    return _format_when(value, language or current_language())


@lru_cache(maxsize=4096)
def _format_when(value: datetime, language: str) -> str:
    # Babel takes ~30 µs a date; lists show the same appointments to many users again and again.
    pattern = DATETIME_PATTERNS.get(language, DATETIME_PATTERNS["de"])
    return format_datetime(value, pattern, tzinfo=BERLIN, locale=language)


def format_day(value: date | None, language: str | None = None) -> str:
    if value is None:
        return ""
    language = language or current_language()
    return format_date(value, DATE_PATTERNS.get(language, DATE_PATTERNS["de"]), locale=language)


def _language_state() -> tuple[Locale | None, NullTranslations, str]:
    """(locale, catalogue, language code) of the current context, looked up once per request
    and locale.

    Flask-Babel resolves domain, locale and catalogue anew on every ``gettext``; a list page
    or a match over hundreds of speakers calls it thousands of times. ``force_locale`` (e-mails
    in the recipient's language) sets another locale object, so the cache follows it; the
    locale is read where Flask-Babel keeps it, with its ``get_locale`` as the fallback."""
    if not has_app_context():
        return _OUTSIDE_APP
    app_globals = g._get_current_object()
    locale = getattr(getattr(app_globals, "_flask_babel", None), "babel_locale", None)
    if locale is None:
        locale = get_locale()
    cached = getattr(app_globals, "_pool_language", None)
    if cached is None or cached[0] is not locale:
        cached = app_globals._pool_language = (locale, get_translations(), str(locale or "de"))
    return cached


def _page_translations() -> NullTranslations:
    return _language_state()[1]


def gettext(string: str, **variables: Any) -> str:
    """Flask-Babel's ``gettext``, faster in loops; the German source text outside an app."""
    text = _page_translations().ugettext(string)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    variables.setdefault("num", num)
    return _page_translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """Translated when shown (labels and choices defined at import time)."""
    return LazyString(gettext, string, **variables)


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """``_()`` in templates: as Jinja's newstyle gettext (escaped, always %-formatted)."""
    text = _page_translations().ugettext(string)
    return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704 (our catalogue)


@pass_eval_context
def _template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("num", num)
    text = _page_translations().ungettext(singular, plural, num)
    return (Markup(text) if eval_ctx.autoescape else text) % variables  # noqa: S704 (our catalogue)


def init_app(app: Flask) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    # Jinja's own newstyle callables take the whole template context, and inside a loop that
    # copies the context on every call; these take only the evaluation context (autoescape).
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext,
                                 ngettext=_template_ngettext)  # fmt: skip
    app.jinja_env.filters["when"] = format_when
    app.jinja_env.filters["day"] = format_day
