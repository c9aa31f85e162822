"""Forms of the audit log filter and the erasure confirmation."""

from __future__ import annotations

from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from pool.admin.forms import Select
from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.mediators.forms import Day

OBJECT_TYPES = {
    "mediator": _l("Sprachmittler:in"),
    "request": _l("Anfrage"),
    "offer": _l("Angebot"),
    "assignment": _l("Einsatz"),
    "user": _l("Benutzer"),
    "pool": _l("Pool"),
    "office": _l("Dienststelle"),
    "import_job": _l("Import"),
    "outbox_message": _l("Nachricht"),
    "api_token": _l("API-Schlüssel"),
    "training": _l("Schulung"),
    "guideline": _l("Leitlinie"),
    "domain": _l("Einsatzbereich"),
}


class AuditFilterForm(BaseForm):
    """Sent by POST and kept in the session: the search text may be a name or e-mail address."""

    who = StringField(
        _l("Wer (Name oder E-Mail-Adresse)"),
        validators=[Optional(), Length(max=120, message=_l("Höchstens 120 Zeichen."))],
        render_kw={"type": "search"},
    )
    action = StringField(
        _l("Was (Aktion oder ihr Anfang, z. B. „mediator.“)"),
        validators=[Optional(), Length(max=60, message=_l("Höchstens 60 Zeichen."))],
    )
    object_type = Select(
        _l("Art des Objekts"),
        default="",
        choices=choices([("", _l("Alle")), *OBJECT_TYPES.items()]),
    )
    object_id = StringField(
        _l("Nummer des Objekts"),
        validators=[Optional(), Length(max=10, message=_l("Höchstens 10 Ziffern."))],
        render_kw={"inputmode": "numeric"},
    )
    date_from = Day(_l("Von (Datum)"))
    date_to = Day(_l("Bis (Datum)"))

    def validate_object_id(self, field) -> None:
        if field.data and not (field.data.isascii() and field.data.isdigit()):
            raise ValidationError(_l("Bitte geben Sie eine Nummer ein, z. B. 42."))

    def validate_date_to(self, field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("Das Ende darf nicht vor dem Anfang liegen."))


class EraseForm(BaseForm):
    confirm = BooleanField(
        _l("Ich habe geprüft, dass die Person ausgeschieden ist, und will ihre Daten löschen."),
        validators=[DataRequired(message=_l("Bitte bestätigen Sie die Löschung."))],
    )
