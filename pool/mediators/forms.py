"""Forms of the coordinators' registry pages. Choices that depend on the database or the
language (pools, offices, domains, trainings, languages) are filled in by the routes."""

from __future__ import annotations

import re
from datetime import date

from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from pool.admin.forms import PHONE_MESSAGE, PHONE_PATTERN, CheckboxList, Select, optional_int
from pool.enums import MediatorKind, MediatorStatus
from pool.forms import BaseForm, choices, email_validators, has_forbidden_characters
from pool.i18n import gettext as _
from pool.i18n import lazy_gettext as _l
from pool.labels import GENDER_LABELS, KIND_LABELS, LEVEL_LABELS, MODE_LABELS, STATUS_LABELS
from pool.models.mediators import GERMAN_LEVELS, LEVELS, STATUSES
from pool.schemas.mediators import MAX_COUNT

# The button that moves a mediator to a status.
STATUS_ACTIONS = {
    MediatorStatus.ACTIVE: _l("Freischalten"),
    MediatorStatus.PAUSED: _l("Pausieren"),
    MediatorStatus.LEFT: _l("Ausscheiden eintragen"),
    MediatorStatus.REJECTED: _l("Bewerbung ablehnen"),
}
SORT_LABELS = {
    "name": _l("Name (A–Z)"),
    "status": _l("Status"),
    "newest": _l("Neueste zuerst"),
}
DEPLOYABLE_LABELS = {"yes": _l("Ja, jetzt einsetzbar"), "no": _l("Nein, nicht einsetzbar")}

MAX_LANGUAGE_ROWS = 20
MIN_LANGUAGE_ROWS = 5
LIST_SEPARATORS = re.compile(r"[,;\n]")


def split_list(text: str | None) -> list[str]:
    """``"Levantinisch, Irakisch"`` → ``["Levantinisch", "Irakisch"]``."""
    return [part.strip() for part in LIST_SEPARATORS.split(text or "") if part.strip()]


def no_control_characters(form, field) -> None:
    if isinstance(field.data, str) and has_forbidden_characters(field.data):
        raise ValidationError(_("Enthält unzulässige Steuerzeichen."))


def number_in_range(form, field) -> None:
    if field.data is not None and not 0 <= field.data <= MAX_COUNT:
        raise ValidationError(str(NUMBER_MESSAGE))


class Number(IntegerField):
    """A whole number from 0 to MAX_COUNT (the schema's limit), or empty; German messages for
    anything else."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [Optional(), number_in_range])
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "min": 0, "max": MAX_COUNT})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        text = str(valuelist[0]).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 9:
            raise ValueError(str(NUMBER_MESSAGE))
        self.data = int(text)


NUMBER_MESSAGE = _l(
    "Bitte geben Sie eine ganze Zahl von %(min)d bis %(max)d ein.", min=0, max=MAX_COUNT
)
DATE_MESSAGE = _l("Bitte geben Sie ein gültiges Datum ein, z. B. 31.01.2027.")


class Day(DateField):
    """A date from 1900 to 2200 as typed in a date input (``2027-01-31``) or ``31.01.2027``."""

    def __init__(self, label=None, **kwargs):
        kwargs.setdefault("validators", [Optional()])
        super().__init__(label, format=["%Y-%m-%d", "%d.%m.%Y"], **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            self.raw_data = []  # only blanks: no input for InputRequired either
            return
        text = str(valuelist[0]).strip()
        if len(text) > 12 or has_forbidden_characters(text):
            raise ValueError(str(DATE_MESSAGE))
        try:
            super().process_formdata([text])
        except ValueError:
            self.data = None
            raise ValueError(str(DATE_MESSAGE)) from None
        if self.data is None or not date(1900, 1, 1) <= self.data <= date(2200, 12, 31):
            self.data = None
            raise ValueError(str(DATE_MESSAGE))


def _phone():
    return StringField(
        _l("Telefon"),
        validators=[
            Optional(),
            Length(max=40, message=_l("Höchstens 40 Zeichen.")),
            Regexp(PHONE_PATTERN, message=PHONE_MESSAGE),
        ],
        render_kw={"type": "tel", "autocomplete": "off"},
    )


# --- the list ---------------------------------------------------------------------------------------

# Filters that carry no personal data and may travel in the URL; the typed texts (name or
# e-mail, dialect, municipality) are sent by POST and kept in the session.
URL_FILTERS = ("language", "status", "kind", "domain", "deployable", "pool", "sort")
TEXT_FILTERS = ("q", "dialect", "municipality")


class MediatorFilterForm(BaseForm):
    q = StringField(
        _l("Name oder E-Mail-Adresse"),
        validators=[Optional(), Length(max=100, message=_l("Höchstens 100 Zeichen."))],
        render_kw={"type": "search", "autocomplete": "off"},
    )
    language = Select(_l("Sprache"), default="")
    dialect = StringField(
        _l("Dialekt oder Variante"),
        validators=[Optional(), Length(max=60, message=_l("Höchstens 60 Zeichen."))],
        render_kw={"autocomplete": "off"},
    )
    status = Select(
        _l("Status"), choices=choices([("", _l("Alle")), *STATUS_LABELS.items()]), default=""
    )
    kind = Select(_l("Art"), choices=choices([("", _l("Alle")), *KIND_LABELS.items()]), default="")
    municipality = StringField(
        _l("Gemeinde"),
        validators=[Optional(), Length(max=100, message=_l("Höchstens 100 Zeichen."))],
        render_kw={"autocomplete": "off"},
    )
    domain = Select(_l("Bereich"), default="")
    deployable = Select(
        _l("Jetzt einsetzbar"),
        choices=choices([("", _l("Alle")), *DEPLOYABLE_LABELS.items()]),
        default="",
    )
    pool = Select(_l("Pool"), coerce=optional_int)
    sort = Select(_l("Sortierung"), choices=choices(SORT_LABELS.items()), default="name")

    def url_args(self) -> dict:
        return {name: self[name].data for name in URL_FILTERS if self[name].data not in (None, "")}

    def texts(self) -> dict:
        return {name: self[name].data or "" for name in TEXT_FILTERS}


# --- creating and editing -----------------------------------------------------------------------------


class LanguageRow(Form):
    """One language with its level and dialects (no CSRF: part of the mediator form)."""

    code = Select(_l("Sprache"), validators=[Optional()])
    level = Select(
        _l("Niveau"),
        choices=choices([("", _l("Bitte wählen"))] + [(lvl, LEVEL_LABELS[lvl]) for lvl in LEVELS]),
        validators=[Optional()],
    )
    dialects = StringField(
        _l("Dialekte oder Varianten"),
        validators=[
            Optional(),
            Length(max=300, message=_l("Höchstens 300 Zeichen.")),
            no_control_characters,
        ],
        description=_l("Mehrere mit Komma trennen, z. B. Levantinisch, Irakisch"),
        render_kw={"autocomplete": "off"},
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return False
        if not self.code.data and (self.level.data or (self.dialects.data or "").strip()):
            self.code.errors = [*self.code.errors, _("Bitte wählen Sie die Sprache.")]
            return False
        if self.code.data and not self.level.data:
            self.level.errors = [*self.level.errors, _("Bitte wählen Sie das Niveau.")]
            return False
        return True


class LanguageRows(FieldList):
    """Language rows. Row problems become sentences on the list ("Sprache 2: …") for the error
    summary, and stay on the row's fields for the messages next to them."""

    def validate(self, form, extra_validators=()):
        messages = []
        for number, entry in enumerate(self.entries, 1):
            entry.validate(form)
            for field_errors in entry.form.errors.values():
                for message in field_errors:
                    messages.append(_("Sprache %(number)d: %(message)s", number=number,
                                      message=message))  # fmt: skip
        self.errors = messages
        return not messages

    def skills(self) -> list[tuple[str, str, tuple[str, ...]]]:
        return [
            (
                entry.form.code.data,
                entry.form.level.data,
                tuple(split_list(entry.form.dialects.data)),
            )
            for entry in self.entries
            if entry.form.code.data
        ]


class MediatorForm(BaseForm):
    pool_id = Select(_l("Pool"), coerce=optional_int,
                     validators=[DataRequired(_l("Bitte wählen Sie einen Pool."))])  # fmt: skip
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
        ],  # fmt: skip
        description=_l("An diese Adresse geht die Einladung zum Festlegen des Passworts."),
        render_kw={"type": "email", "inputmode": "email", "autocomplete": "off"},
    )
    phone = _phone()
    kind = Select(
        _l("Art der Mitarbeit"),
        choices=choices(KIND_LABELS.items()),
        default=MediatorKind.VOLUNTEER,
    )
    gender = Select(
        _l("Geschlecht"),
        choices=choices([("", _l("keine Angabe")), *GENDER_LABELS.items()]),
        description=_l("Freiwillig. Nur für Anfragen, die das brauchen."),
    )
    german_level = Select(
        _l("Deutschkenntnisse"),
        choices=choices(
            [("", _l("Bitte wählen"))] + [(lvl, LEVEL_LABELS[lvl]) for lvl in GERMAN_LEVELS]
        ),
    )
    languages = LanguageRows(
        FormField(LanguageRow),
        label=_l("Sprachen"),
        min_entries=MIN_LANGUAGE_ROWS,
        max_entries=MAX_LANGUAGE_ROWS,
    )
    modes = CheckboxList(_l("Einsatzarten"), coerce=str, choices=choices(MODE_LABELS.items()))
    domains = CheckboxList(_l("Bereiche"), coerce=str)
    municipalities = StringField(
        _l("Gemeinden"),
        validators=[Optional(), Length(max=2000, message=_l("Die Eingabe ist zu lang."))],
        description=_l("Wo die Person Einsätze übernimmt. Mehrere mit Komma trennen."),
        render_kw={"autocomplete": "off"},
    )
    travel_km = Number(_l("Fährt auch weiter, bis zu (km)"))
    monthly_cap = Number(
        _l("Höchstens Einsätze im Monat"),
        description=_l("Leer lassen, wenn es keine Grenze gibt."),
    )
    notes = TextAreaField(
        _l("Notizen der Koordination"),
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen."))],
        description=_l("Bitte keine Angaben zur Gesundheit oder andere sensible Daten."),
    )
    employing_office_id = Select(_l("Dienststelle"), coerce=optional_int)
    supervisor_release_by = StringField(
        _l("Freigabe der Vorgesetzten erteilt von"),
        validators=[Optional(), Length(max=120, message=_l("Höchstens 120 Zeichen."))],
        render_kw={"autocomplete": "off"},
    )
    supervisor_release_until = Day(_l("Freigabe gültig bis"))
    submit = SubmitField(_l("Speichern"))

    def values(self) -> dict:
        """The values for ``create_mediator`` and ``update_mediator`` (LanguageSkill built by the
        route)."""
        return {
            "name": self.name.data,
            "email": self.email.data,
            "phone": self.phone.data,
            "kind": self.kind.data,
            "gender": self.gender.data or None,
            "german_level": self.german_level.data or None,
            "modes": list(self.modes.data or []),
            "domains": list(self.domains.data or []),
            "municipalities": split_list(self.municipalities.data),
            "travel_km": self.travel_km.data,
            "monthly_cap": self.monthly_cap.data,
            "notes": self.notes.data,
            "employing_office_id": self.employing_office_id.data,
            "supervisor_release_by": self.supervisor_release_by.data,
            "supervisor_release_until": self.supervisor_release_until.data,
        }


class EditMediatorForm(MediatorForm):
    """Editing keeps the pool (a move between pools is not part of editing)."""

    pool_id = None  # type: ignore[assignment]  # None removes an inherited field in WTForms


# --- actions on the detail page -------------------------------------------------------------------


class ChecksForm(BaseForm):
    interview_on = Day(_l("Erstgespräch am"))
    confidentiality_signed_on = Day(_l("Verschwiegenheitserklärung unterschrieben am"))
    obligation_on = Day(_l("Förmlich verpflichtet am"),
                        description=_l("Nach dem Verpflichtungsgesetz."))  # fmt: skip
    police_certificate_seen_on = Day(
        _l("Erweitertes Führungszeugnis eingesehen am"),
        description=_l("Für die Arbeit mit Kindern und Jugendlichen. Gilt 5 Jahre."),
    )
    police_certificate_no_entry = BooleanField(_l("Kein relevanter Eintrag"))
    submit = SubmitField(_l("Prüfungen speichern"))

    def checks(self) -> dict:
        return {
            "interview_on": self.interview_on.data,
            "confidentiality_signed_on": self.confidentiality_signed_on.data,
            "obligation_on": self.obligation_on.data,
            "police_certificate_seen_on": self.police_certificate_seen_on.data,
            "police_certificate_no_entry": bool(self.police_certificate_no_entry.data),
        }


class StatusForm(BaseForm):
    # Sent by the button the coordinator presses; only allowed changes get a button.
    to_status = Select(_l("Neuer Status"), choices=choices((s, s) for s in STATUSES),
                       validators=[DataRequired(_l("Bitte wählen Sie den neuen Status."))])  # fmt: skip
    reason = TextAreaField(
        _l("Grund"),
        validators=[Optional(), Length(max=500, message=_l("Höchstens 500 Zeichen."))],
        description=_l("Nötig beim Ablehnen, Pausieren und Ausscheiden. Er steht im Verlauf."),
    )


class TrainingForm(BaseForm):
    training_id = Select(_l("Schulung"), coerce=optional_int,
                         validators=[DataRequired(_l("Bitte wählen Sie eine Schulung."))])  # fmt: skip
    completed_on = Day(
        _l("Abgeschlossen am"),
        validators=[DataRequired(_l("Bitte geben Sie das Datum des Abschlusses ein."))],
    )
    submit = SubmitField(_l("Schulung eintragen"))


class ReleaseForm(BaseForm):
    supervisor_release_by = StringField(
        _l("Freigabe erteilt von"),
        validators=[Optional(), Length(max=120, message=_l("Höchstens 120 Zeichen."))],
        render_kw={"autocomplete": "off"},
        description=_l("Name und Funktion der oder des Vorgesetzten."),
    )
    supervisor_release_until = Day(_l("Freigabe gültig bis"))
    staff_consent = BooleanField(_l("Die Einwilligung zur Teilnahme liegt vor."))
    submit = SubmitField(_l("Freigabe speichern"))
