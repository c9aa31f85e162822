"""The base form: every text field is checked for forbidden characters and length before any
data reaches the database, so SQLite and PostgreSQL behave alike."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TypeVar

from babel.support import NullTranslations, Translations
from flask_wtf import FlaskForm
from wtforms import Field, PasswordField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # the stubs predate WTForms 3.3
from wtforms.i18n import messages_path
from wtforms.validators import Email, Length

from pool.i18n import current_language
from pool.i18n import lazy_gettext as _l

# NUL and other control characters except tab, line feed and carriage return.
FORBIDDEN_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
DEFAULT_MAX_LENGTH = 2000


def has_forbidden_characters(value: str) -> bool:
    return bool(FORBIDDEN_CHARACTERS.search(value))


def strip_filter(value):
    return value.strip() if isinstance(value, str) else value


class BaseForm(FlaskForm):
    """Rejects control characters and overlong input in every field before other validators."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            filters = unbound_field.kwargs.get("filters", ())
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                unbound_field.kwargs["filters"] = (strip_filter, *filters)
            return unbound_field.bind(form=form, **options)

        def get_translations(self, form):
            # Flask-WTF reads WTForms' catalogue from disk for every request with a form.
            return _wtforms_catalogue(current_language())

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in self:
            if _check_raw(field):
                ok = False
        return ok


@lru_cache(maxsize=8)
def _wtforms_catalogue(language: str) -> NullTranslations:
    """WTForms' own messages (``Not a valid choice`` …) in ``language``, read once."""
    return Translations.load(messages_path(), [language], domain="wtforms")


def _check_raw(field: Field) -> bool:
    """Add an error for raw input with control characters or of absurd length; True if so."""
    values = field.raw_data or []
    for value in values:
        if not isinstance(value, str):
            continue
        if has_forbidden_characters(value):
            field.errors = [*field.errors, _l("Enthält unzulässige Steuerzeichen.")]
            return True
        if len(value) > DEFAULT_MAX_LENGTH and not _has_length_validator(field):
            field.errors = [*field.errors, _l("Die Eingabe ist zu lang.")]
            return True
    return False


def _has_length_validator(field: Field) -> bool:
    return any(isinstance(v, Length) for v in field.validators)


def email_validators():
    return [
        Length(max=254, message=_l("Die E-Mail-Adresse ist zu lang.")),
        Email(
            message=_l("Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de."),
            check_deliverability=False,
        ),
    ]


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


LOCALE_CHOICES = (("de", "Deutsch"), ("en", "English"))


class ConfirmForm(BaseForm):
    """Only the CSRF token and a button, for POST actions."""

    submit = SubmitField(_l("Bestätigen"))


def add_form_error(form, message: str, field_name: str | None = None) -> None:
    """Show ``message`` at the named field, or at the top of the form (also for field lists)."""
    field = form._fields.get(field_name) if field_name else None
    if field is not None and field.type != "FieldList":
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


CHANGED_ELSEWHERE = _l(
    "Die Daten wurden gerade an anderer Stelle geändert. Bitte prüfen Sie Ihre Eingaben und "
    "speichern Sie noch einmal."
)
REQUEST_CHANGED_ELSEWHERE = _l(
    "Jemand anderes hat diese Anfrage gerade geändert. Bitte prüfen Sie den neuen Stand."
)


T = TypeVar("T")


def commit_change(
    form, change: Callable[[], T], *, concurrent=CHANGED_ELSEWHERE, refused=None
) -> tuple[int | None, T | None]:
    """Run ``change`` (a service call) and commit the request's session: the one place where the
    pages turn a refusal into an error on ``form``. On a refusal it rolls back and returns the
    status for the page: 400 for a broken rule (the message at its field, or at the top), 409
    when someone else was faster — a booking conflict with the service's message, a concurrent
    write with ``concurrent``; with ``concurrent=None`` the caller words every conflict.
    ``refused`` (optional) puts the reasons of an intake refusal on the form itself.

    Returns ``(None, result)`` on success, else ``(status, None)``.
    """
    from sqlalchemy.exc import IntegrityError

    from pool.db import db_session
    from pool.services import ServiceError
    from pool.services.booking import BookingConflict
    from pool.services.requests import IntakeRefused

    session = db_session()
    try:
        result = change()
        session.commit()
    except (BookingConflict, IntegrityError) as exc:
        session.rollback()
        if concurrent is not None:
            add_form_error(
                form, exc.message if isinstance(exc, BookingConflict) else str(concurrent)
            )
        return 409, None
    except ServiceError as exc:
        session.rollback()
        if refused is not None and isinstance(exc, IntakeRefused):
            refused(form, exc.reasons)
        else:
            add_form_error(form, exc.message, exc.field)
        return 400, None
    return None, result


def save(form, change):
    """``commit_change`` for the forms that only need to know whether it worked.

    Returns ``(True, result)`` on success, else ``(False, None)``.
    """
    status, result = commit_change(form, change)
    return status is None, result
