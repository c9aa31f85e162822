"""Forms of the admin area. Choices of pools and offices are filled in by the route."""

from __future__ import annotations

from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from pool.enums import Level, PoolKind, Role
from pool.forms import BaseForm, choices, email_validators
from pool.i18n import lazy_gettext as _l
from pool.models import FEDERAL_STATES
from pool.models.mediators import GERMAN_LEVELS
from pool.views import ROLE_LABELS

INVALID_CHOICE = _l("Bitte wählen Sie einen Eintrag aus der Liste.")
INVALID_CHOICES = _l("Bitte wählen Sie nur Einträge aus der Liste.")
PHONE_PATTERN = r"^[0-9+()/\-. ]*$"
PHONE_MESSAGE = _l("Bitte nur Ziffern, Leerzeichen und + ( ) / - verwenden.")

POOL_KIND_LABELS = {
    PoolKind.DISTRICT: _l("Kreispool (Landkreis)"),
    PoolKind.MUNICIPAL: _l("Stadtpool (Stadt oder Gemeinde)"),
}


def to_int(value):
    """Coerce a select value to an id; anything else is a ValueError, never a TypeError."""
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise ValueError("not an id")
    return int(text)


def optional_int(value):
    if value in (None, ""):
        return None
    return to_int(value)


class Select(SelectField):
    """A select whose errors are German sentences instead of WTForms' defaults."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_value_message", INVALID_CHOICE)
        kwargs.setdefault("invalid_choice_message", INVALID_CHOICE)
        super().__init__(*args, **kwargs)
        # The form macros treat selects by this type name (no "optional" marker).
        self.type = "SelectField"


class CheckboxList(SelectMultipleField):
    """Several checkboxes; the template renders them inside a fieldset with a legend."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", to_int)
        kwargs.setdefault("invalid_value_message", INVALID_CHOICES)
        kwargs.setdefault("invalid_choice_message", INVALID_CHOICES)
        super().__init__(*args, **kwargs)


def _phone(label):
    return StringField(
        label,
        validators=[
            Optional(),
            Length(max=40, message=_l("Höchstens 40 Zeichen.")),
            Regexp(PHONE_PATTERN, message=PHONE_MESSAGE),
        ],
        render_kw={"type": "tel", "autocomplete": "off"},
    )


def federal_state_choices():
    states = sorted(FEDERAL_STATES.items(), key=lambda item: item[1])
    return choices([("", _l("Bitte wählen")), *states])


def german_level_choices():
    return choices(
        (level, _l("Muttersprache") if level == Level.NATIVE else level) for level in GERMAN_LEVELS
    )


RETENTION_MESSAGE = _l("Bitte geben Sie eine Zahl von 1 bis 3650 ein.")
UNCONFIRMED_MESSAGE = _l("Bitte geben Sie eine Zahl von 1 bis 168 ein.")
UNASSIGNED_MESSAGE = _l("Bitte geben Sie eine Zahl von 1 bis 336 ein.")
RETENTION_MONTHS_MESSAGE = _l("Bitte geben Sie eine Zahl von 6 bis 120 ein.")
REMINDER_HOURS_MESSAGE = _l(
    "Bitte geben Sie ganze Stunden ein, durch Komma getrennt, zum Beispiel: 48, 2"
)


class WholeNumberField(IntegerField):
    """A whole number (digits 0–9 only); anything else gives the one German ``message``."""

    def __init__(self, label=None, validators=None, *, message, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.message = message

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            self.data = None
            raise ValueError(str(self.message))
        self.data = int(text)

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class HoursListField(StringField):
    """Whole hours separated by commas ("48, 2") as a list of ints; the rules (range, number,
    distinct) are checked by ``org``."""

    data: list[int] | None  # type: ignore[assignment]  # parsed text: a StringField for the text input and strip filter

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return ", ".join(str(h) for h in self.data or [])

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0] if isinstance(valuelist[0], str) else ""
        parts = [p for p in text.replace(";", ",").replace(" ", ",").split(",") if p.strip()]
        if any(not p.isascii() or not p.isdigit() or len(p) > 9 for p in parts):
            self.data = None
            raise ValueError(str(REMINDER_HOURS_MESSAGE))
        self.data = [int(p) for p in parts]

    def pre_validate(self, form):
        if self.process_errors:
            raise StopValidation()


class PoolForm(BaseForm):
    name = StringField(
        _l("Name des Pools"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen ein.")),
            Length(max=120, message=_l("Höchstens 120 Zeichen.")),
        ],
        description=_l("Zum Beispiel: Landkreis Musterland oder Stadt Neustadt"),
    )
    kind = Select(
        _l("Art des Pools"),
        choices=choices(POOL_KIND_LABELS.items()),
        validators=[DataRequired(_l("Bitte wählen Sie die Art des Pools."))],
    )
    federal_state = Select(
        _l("Bundesland"),
        choices=federal_state_choices(),
        validators=[DataRequired(_l("Bitte wählen Sie ein Bundesland."))],
        description=_l("Wichtig für Feiertage und Fristen."),
    )
    contact_email = StringField(
        _l("E-Mail-Adresse der Koordinierungsstelle"),
        validators=[Optional(), *email_validators()],
        render_kw={"type": "email", "inputmode": "email", "autocomplete": "off"},
    )
    contact_phone = _phone(_l("Telefon der Koordinierungsstelle"))
    shares_with = CheckboxList(
        _l("Teilt Sprachmittler:innen mit"),
        description=_l("Die gewählten Pools dürfen die Sprachmittler:innen dieses Pools anfragen."),
    )
    # Rules for the registry. The page sends ``settings_shown``; a request without it (an older
    # form) leaves the settings as they are, because an unticked checkbox and a missing one look
    # the same.
    settings_shown = HiddenField()
    min_german_level = Select(
        _l("Deutsch mindestens auf Niveau"),
        choices=german_level_choices(),
        default=Level.B1,
        description=_l("Wer sich bewirbt, braucht mindestens dieses Deutsch-Niveau."),
    )
    requires_formal_obligation = BooleanField(
        _l("Förmliche Verpflichtung nach dem Verpflichtungsgesetz ist nötig"),
        default=True,
        description=_l("Dann kann nur eingesetzt werden, wer förmlich verpflichtet wurde."),
    )
    rejected_retention_days = WholeNumberField(
        _l("Daten abgelehnter Bewerbungen löschen nach (Tagen)"),
        message=RETENTION_MESSAGE,
        default=90,
        validators=[NumberRange(min=1, max=3650, message=RETENTION_MESSAGE)],
        description=_l("Zum Beispiel 90 Tage. Erlaubt sind 1 bis 3650 Tage."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    retention_months = WholeNumberField(
        _l("Erledigte Anfragen anonymisieren nach (Monaten)"),
        message=RETENTION_MONTHS_MESSAGE,
        default=24,
        validators=[NumberRange(min=6, max=120, message=RETENTION_MONTHS_MESSAGE)],
        description=_l(
            "Danach werden Aktenzeichen, Notizen und Adresse gelöscht; die Zahlen bleiben. "
            "Zum Beispiel 24 Monate. Erlaubt sind 6 bis 120 Monate."
        ),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    # Reminders and warnings (pool/services/reminders.py).
    reminder_hours = HoursListField(
        _l("Erinnerungen vor dem Einsatz (Stunden vorher)"),
        default=[48, 2],  # type: ignore[arg-type]  # the stubs type every StringField's default as str
        description=_l(
            "Bis zu 4 Zeitpunkte, durch Komma getrennt, zum Beispiel: 48, 2. Die erste "
            "Erinnerung bittet die Sprachmittler:in, den Termin zu bestätigen."
        ),
        render_kw={"autocomplete": "off"},
    )
    unconfirmed_alert_hours = WholeNumberField(
        _l("Koordination warnen, wenn der Termin so viele Stunden vorher nicht bestätigt ist"),
        message=UNCONFIRMED_MESSAGE,
        default=24,
        validators=[NumberRange(min=1, max=168, message=UNCONFIRMED_MESSAGE)],
        description=_l("Zum Beispiel 24 Stunden. Erlaubt sind 1 bis 168 Stunden."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    unassigned_alert_hours = WholeNumberField(
        _l("Koordination warnen, wenn eine Anfrage so viele Stunden vorher niemanden hat"),
        message=UNASSIGNED_MESSAGE,
        default=48,
        validators=[NumberRange(min=1, max=336, message=UNASSIGNED_MESSAGE)],
        description=_l("Zum Beispiel 48 Stunden. Erlaubt sind 1 bis 336 Stunden."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    # The public language overview without names (pool/reports/overview.py).
    public_overview = BooleanField(
        _l("Öffentliche Sprachenübersicht zeigen"),
        default=False,
        description=_l(
            "Dann kann jede Person ohne Anmeldung sehen, welche Sprachen der Pool anbietet. Namen "
            "werden nie gezeigt, kleine Zahlen nur als „weniger als 3“."
        ),
    )
    # The hotline (pool/services/hotline.py).
    hotline_phone = _phone(_l("Telefon für „Jetzt telefonisch dolmetschen“"))
    phone_alternatives = TextAreaField(
        _l("Wenn niemand telefonisch erreichbar ist"),
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen."))],
        description=_l(
            "Was Sachbearbeiter:innen dann tun können, zum Beispiel einen "
            "Telefondolmetschdienst mit Nummer."
        ),
    )
    submit = SubmitField(_l("Speichern"))

    def settings_values(self) -> dict:
        """The registry settings for ``org.create_pool``/``update_pool``; empty when the request
        did not carry them (they then stay as they are)."""
        if self.settings_shown.data != "1":
            return {}
        return {
            "min_german_level": self.min_german_level.data,
            "requires_formal_obligation": bool(self.requires_formal_obligation.data),
            "rejected_retention_days": self.rejected_retention_days.data,
            "retention_months": self.retention_months.data,
            "reminder_hours": self.reminder_hours.data,
            "unconfirmed_alert_hours": self.unconfirmed_alert_hours.data,
            "unassigned_alert_hours": self.unassigned_alert_hours.data,
            "public_overview": bool(self.public_overview.data),
            "hotline_phone": self.hotline_phone.data or "",
            "phone_alternatives": self.phone_alternatives.data or "",
        }


class OfficeForm(BaseForm):
    pool_id = Select(
        _l("Pool"),
        coerce=optional_int,
        validators=[DataRequired(_l("Bitte wählen Sie einen Pool."))],
    )
    name = StringField(
        _l("Name der Dienststelle"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen ein.")),
            Length(max=160, message=_l("Höchstens 160 Zeichen.")),
        ],
        description=_l("Zum Beispiel: Jugendamt, Grundschule am Park"),
    )
    phone = _phone(_l("Telefon"))
    cost_centre = StringField(
        _l("Kostenstelle"),
        validators=[Optional(), Length(max=40, message=_l("Höchstens 40 Zeichen."))],
        description=_l("Für die Abrechnung der Aufwandsentschädigungen."),
    )
    active = BooleanField(_l("Aktiv: Die Dienststelle kann Einsätze anfragen."), default=True)
    submit = SubmitField(_l("Speichern"))


class OfficeFilterForm(BaseForm):
    """Filter of the office list (GET, no CSRF)."""

    class Meta:
        csrf = False

    pool = Select(_l("Pool"), coerce=optional_int)


class UserForm(BaseForm):
    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen ein.")),
            Length(max=120, message=_l("Höchstens 120 Zeichen.")),
        ],
        render_kw={"autocomplete": "off"},
    )
    email = StringField(
        _l("E-Mail-Adresse"),
        validators=[
            DataRequired(_l("Bitte geben Sie eine E-Mail-Adresse ein.")),
            *email_validators(),
        ],
        render_kw={"type": "email", "inputmode": "email", "autocomplete": "off"},
    )
    is_admin = BooleanField(_l("Administration: richtet Pools, Dienststellen und Zugänge ein"))
    coordinator_pools = CheckboxList(_l("Koordination in diesen Pools"))
    caseworker_offices = CheckboxList(_l("Sachbearbeitung in diesen Dienststellen"))
    mediator_pools = CheckboxList(_l("Sprachmittlung in diesen Pools"))
    submit = SubmitField(_l("Speichern"))

    def grants(self) -> list[tuple[str, int | None, int | None]]:
        result: list[tuple[str, int | None, int | None]] = []
        if self.is_admin.data:
            result.append((Role.ADMIN, None, None))
        result += [
            (Role.COORDINATOR, pool_id, None) for pool_id in self.coordinator_pools.data or []
        ]
        result += [
            (Role.CASEWORKER, None, office_id) for office_id in self.caseworker_offices.data or []
        ]
        result += [(Role.MEDIATOR, pool_id, None) for pool_id in self.mediator_pools.data or []]
        return result

    def set_grants(self, roles) -> None:
        self.is_admin.data = any(r.role == Role.ADMIN for r in roles)
        self.coordinator_pools.data = sorted(r.pool_id for r in roles if r.role == Role.COORDINATOR)
        self.caseworker_offices.data = sorted(
            r.office_id for r in roles if r.role == Role.CASEWORKER
        )
        self.mediator_pools.data = sorted(r.pool_id for r in roles if r.role == Role.MEDIATOR)


STATUS_LABELS = {
    "active": _l("Aktiv"),
    "invited": _l("Eingeladen, noch kein Passwort"),
    "inactive": _l("Deaktiviert"),
}


class UserFilterForm(BaseForm):
    """Search and filter of the user list (sent by POST: the search text is personal data)."""

    q = StringField(
        _l("Name oder E-Mail-Adresse"),
        validators=[Optional(), Length(max=120, message=_l("Höchstens 120 Zeichen."))],
        render_kw={"type": "search"},
    )
    role = Select(
        _l("Rolle"), default="", choices=choices([("", _l("Alle Rollen")), *ROLE_LABELS.items()])
    )
    status = Select(
        _l("Status"), default="", choices=choices([("", _l("Alle")), *STATUS_LABELS.items()])
    )
