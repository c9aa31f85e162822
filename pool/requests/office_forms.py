"""Forms of the office's request pages: the request form, changing, cancelling, the outcome.

The forms only parse what was typed (dates, times, numbers, choices from lists); the pool's
intake rules are the service's (``pool.services.requests``), whose reasons the route puts at the
fields. So every field the rules need is optional here: a missing language is reported by the
same sentence the API gives.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from flask_babel import get_locale
from wtforms import BooleanField, RadioField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]  # the stubs predate WTForms 3.3
from wtforms.fields.core import Field, UnboundField
from wtforms.validators import Length, Optional

from pool.admin.forms import INVALID_CHOICE, Select
from pool.enums import LEGAL_SETTINGS, Gender, Mode, Outcome
from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.labels import GENDER_LABELS, MODE_LABELS, SETTING_LABELS
from pool.languages import languages
from pool.models.requests import OUTCOMES, SETTINGS
from pool.schemas.offers import MAX_FEEDBACK, MAX_REASON
from pool.schemas.requests import TEXT_LIMITS
from pool.selfservice.forms import DayField, TimeOfDayField, WholeNumberField
from pool.services.requests import MAX_SERIES

DURATIONS = (30, 45, 60, 90, 120, 150, 180, 240)
REPEAT_LABELS = {
    "": _l("nein, ein einzelner Termin"),
    "7": _l("jede Woche"),
    "14": _l("alle zwei Wochen"),
}
OUTCOME_LABELS = {
    Outcome.TOOK_PLACE: _l("Der Termin hat stattgefunden."),
    Outcome.CLIENT_NO_SHOW: _l("Die Klientin oder der Klient ist nicht gekommen."),
    Outcome.MEDIATOR_NO_SHOW: _l("Die Sprachmittlerin oder der Sprachmittler ist nicht gekommen."),
    Outcome.CANCELLED_ON_SITE: _l("Der Termin wurde vor Ort abgebrochen oder abgesagt."),
}
GENDER_PREFERENCE_LABELS = {
    "": _l("egal"),
    Gender.FEMALE: GENDER_LABELS[Gender.FEMALE],
    Gender.MALE: GENDER_LABELS[Gender.MALE],
}
NOTES_WARNING = _l(
    "Bitte keine Namen, keine Kontaktdaten und keine Angaben zur Gesundheit eintragen."
)


class Needed:
    """Marks a field as needed (the label loses "freiwillig"); the service checks the value."""

    field_flags = {"required": True}

    def __call__(self, form, field) -> None:
        return None


class Radio(RadioField):
    """Radio buttons with German errors; the template renders them in a fieldset."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("invalid_value_message", INVALID_CHOICE)
        kwargs.setdefault("invalid_choice_message", INVALID_CHOICE)
        kwargs.setdefault("validate_choice", True)
        super().__init__(*args, **kwargs)


def _text(label, field: str, description=None, *, area: bool = False, needed: bool = False):
    limit = TEXT_LIMITS[field]
    validators = [
        Needed() if needed else Optional(),
        Length(max=limit, message=_l("Höchstens %(max)d Zeichen.", max=limit)),
    ]
    cls = TextAreaField if area else StringField
    kwargs: dict[str, Any] = {"render_kw": {"rows": 3}} if area else {}
    return cls(label, validators=validators, description=description, **kwargs)


def language_choices() -> list[SelectChoice]:
    locale = str(get_locale() or "de")
    return choices(
        [("", _l("– bitte wählen –")), *((entry.code, entry.name) for entry in languages(locale))]
    )


def setting_choices() -> list[SelectChoice]:
    """Every setting; those the law reserves for sworn interpreters in a group of their own, so
    that choosing one explains where to turn instead."""
    pool_settings = [
        SelectChoice(code, str(SETTING_LABELS[code]))
        for code in SETTINGS
        if code not in LEGAL_SETTINGS
    ]
    legal = str(_l("Nicht über den Pool (vereidigte Dolmetscher:innen)"))
    legal_settings = [
        SelectChoice(code, str(SETTING_LABELS[code]), optgroup=legal)
        for code in SETTINGS
        if code in LEGAL_SETTINGS
    ]
    return [SelectChoice("", str(_l("– bitte wählen –"))), *pool_settings, *legal_settings]


def duration_choices(current: int | None = None) -> list[SelectChoice]:
    values = sorted({*DURATIONS, *([current] if current else [])})
    return choices([("", _l("– bitte wählen –")), *((str(v), _minutes(v)) for v in values)])


def _minutes(value: int) -> str:
    hours, minutes = divmod(value, 60)
    if not hours:
        return str(_l("%(n)d Minuten", n=value))
    if not minutes:
        return str(_l("%(h)d Stunde", h=hours) if hours == 1 else _l("%(h)d Stunden", h=hours))
    return str(_l("%(n)d Minuten (%(h)d:%(m)02d Std.)", n=value, h=hours, m=minutes))


def combine(day, start) -> datetime | None:
    """Date and time of day as a naive datetime (Europe/Berlin wall time for the service)."""
    if day is None or start is None:
        return None
    return datetime.combine(day, start)


class RequestForm(BaseForm):
    """The request form, in the order of the page (the error summary follows it)."""

    office_id = Select(_l("Dienststelle"), default="")
    language = Select(
        _l("Sprache"),
        default="",
        description=_l("Tippen Sie die ersten Buchstaben, um die Sprache schnell zu finden."),
    )
    dialect = _text(_l("Dialekt oder Variante"), "dialect",
                    _l("Nur wenn es darauf ankommt, zum Beispiel: Syrisch-Arabisch"))  # fmt: skip
    day = DayField(_l("Datum"), validators=[Needed()])
    start = TimeOfDayField(_l("Beginn"), validators=[Needed()])
    duration_minutes = Select(
        _l("Voraussichtliche Dauer"),
        default="60",
        description=_l("Rechnen Sie etwas Zeit für die Übersetzung ein: Gespräche dauern mit "
                       "Sprachmittlung oft länger."),
    )  # fmt: skip
    mode = Radio(_l("Wie findet der Termin statt?"), default=Mode.IN_PERSON)
    municipality = _text(_l("Ort (Stadt oder Gemeinde)"), "municipality",
                         _l("Nur bei Terminen vor Ort, zum Beispiel: Neustadt"))  # fmt: skip
    address = _text(_l("Adresse und Raum"), "address",
                    _l("Nur bei Terminen vor Ort, zum Beispiel: Rathausplatz 1, Raum 12"))  # fmt: skip
    domain = Select(_l("Bereich"), default="")
    setting = Select(
        _l("Art des Gesprächs"),
        default="",
        description=_l("Für Gericht, Polizei, Asylanhörungen und rechtsverbindliche Verfahren "
                       "vermittelt der Pool niemanden: Dort braucht es vereidigte "
                       "Dolmetscher:innen."),
    )  # fmt: skip
    gender_preference = Select(_l("Gewünschtes Geschlecht der Sprachmittlung"), default="")
    gender_required = BooleanField(
        _l("Das Geschlecht ist Bedingung"),
        description=_l("Nur ankreuzen, wenn das Gespräch sonst nicht stattfinden kann."),
    )
    urgent = BooleanField(_l("Die Anfrage ist dringend"),
                          description=_l("Dringende Anfragen gehen auch ohne die übliche "
                                         "Vorlaufzeit; die Koordination wird sofort informiert."))  # fmt: skip
    urgent_reason = _text(_l("Warum ist es dringend?"), "urgent_reason", area=True)
    professional_present = BooleanField(
        _l("Eine Fachkraft unserer Dienststelle ist dabei und leitet das Gespräch"),
        validators=[Needed()],
        description=_l("Pflicht: Sprachmittler:innen übersetzen nur. Sie beraten nicht und "
                       "entscheiden nichts."),
    )  # fmt: skip
    case_ref = _text(
        _l("Fallzeichen"),
        "case_ref",
        _l("Ein Kürzel oder Ihr Aktenzeichen, nie ein Name. Damit kann dieselbe Person "
           "wiederkommen, und wer den Fall persönlich kennt, wird nicht angefragt."),
    )  # fmt: skip
    notes = _text(_l("Hinweise für die Sprachmittlung"), "notes", NOTES_WARNING, area=True)
    repeat = Select(_l("Wiederholen"), default="")
    count = Select(
        _l("Anzahl der Termine"),
        default="6",
        description=_l("Nur bei Wiederholung: wie viele Termine insgesamt, höchstens "
                       "%(max)d.", max=MAX_SERIES),
    )  # fmt: skip
    submit = SubmitField(_l("Anfrage senden"))

    def __init__(self, *args, office_pairs=(), domain_pairs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.office_id.choices = choices(
            [("", _l("– bitte wählen –")), *((str(i), name) for i, name in office_pairs)]
        )
        self.language.choices = language_choices()
        self.duration_minutes.choices = duration_choices()
        self.mode.choices = choices(MODE_LABELS.items())
        self.domain.choices = choices([("", _l("– bitte wählen –")), *domain_pairs])
        self.setting.choices = setting_choices()
        self.gender_preference.choices = choices(GENDER_PREFERENCE_LABELS.items())
        self.repeat.choices = choices(REPEAT_LABELS.items())
        self.count.choices = choices((str(n), str(n)) for n in range(2, MAX_SERIES + 1))

    def values(self) -> dict:
        """The values for ``create_request`` (the names of docs/api.md)."""
        return {
            "language": self.language.data or None,
            "dialect": self.dialect.data or None,
            "starts_at": combine(self.day.data, self.start.data),
            "duration_minutes": _int(self.duration_minutes.data),
            "mode": self.mode.data or None,
            "municipality": self.municipality.data or None,
            "address": self.address.data or None,
            "domain": self.domain.data or None,
            "setting": self.setting.data or None,
            "gender_preference": self.gender_preference.data or None,
            "gender_required": bool(self.gender_required.data),
            "urgent": bool(self.urgent.data),
            "urgent_reason": self.urgent_reason.data or None,
            "professional_present": bool(self.professional_present.data),
            "case_ref": self.case_ref.data or None,
            "notes": self.notes.data or None,
        }

    def repeat_value(self) -> tuple[int, int] | None:
        interval = _int(self.repeat.data)
        if interval is None:
            return None
        return interval, _int(self.count.data) or 0


_F = TypeVar("_F", bound=Field)


def _shared(field: UnboundField[_F]) -> _F:
    """A field of another form declared again: forms bind their class attributes when they are
    created, so an instance holds the bound field (the stubs type the class attribute as the
    unbound one)."""
    return cast(_F, field)


class ChangeForm(BaseForm):
    """Time, duration, place, notes (and the urgent flag, which lets a short lead time pass)."""

    scope = Radio(_l("Welche Termine wollen Sie ändern?"), default="one")
    day = _shared(RequestForm.day)
    start = _shared(RequestForm.start)
    duration_minutes = _shared(RequestForm.duration_minutes)
    mode = _shared(RequestForm.mode)
    municipality = _shared(RequestForm.municipality)
    address = _shared(RequestForm.address)
    urgent = _shared(RequestForm.urgent)
    urgent_reason = _shared(RequestForm.urgent_reason)
    notes = _shared(RequestForm.notes)
    submit = SubmitField(_l("Änderungen speichern"))

    def __init__(self, *args, current_duration: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.duration_minutes.choices = duration_choices(current_duration)
        self.mode.choices = choices(MODE_LABELS.items())
        self.scope.choices = choices(
            [
                ("one", _l("nur diesen Termin")),
                ("series", _l("alle kommenden Termine dieser Reihe")),
            ]
        )

    def values(self) -> dict:
        return {
            "starts_at": combine(self.day.data, self.start.data),
            "duration_minutes": _int(self.duration_minutes.data),
            "mode": self.mode.data or None,
            "municipality": self.municipality.data or None,
            "address": self.address.data or None,
            "urgent": bool(self.urgent.data),
            "urgent_reason": self.urgent_reason.data or None,
            "notes": self.notes.data or None,
        }


class CancelForm(BaseForm):
    reason = TextAreaField(
        _l("Grund der Absage"),
        validators=[Needed(), Length(max=MAX_REASON, message=_l("Höchstens %(max)d Zeichen.",
                                                                   max=MAX_REASON))],
        description=_l("Zum Beispiel: Termin hat sich erledigt. Bitte keine Namen."),
        render_kw={"rows": 2},
    )  # fmt: skip
    whole_series = BooleanField(_l("Auch alle späteren Termine dieser Reihe absagen"))
    submit = SubmitField(_l("Anfrage absagen"))


class OutcomeForm(BaseForm):
    outcome = Radio(
        _l("Wie ist der Termin gelaufen?"),
        invalid_value_message=_l("Bitte wählen Sie aus, wie der Termin gelaufen ist."),
        invalid_choice_message=_l("Bitte wählen Sie aus, wie der Termin gelaufen ist."),
    )
    duration_minutes = WholeNumberField(
        _l("Wie lange hat der Termin gedauert? (Minuten)"),
        maximum=600,
        description=_l("Nur wenn der Termin stattgefunden hat oder vor Ort abgebrochen wurde."),
    )
    rating = Select(_l("Wie zufrieden waren Sie mit der Sprachmittlung?"), default="")
    feedback = TextAreaField(
        _l("Rückmeldung an die Koordination"),
        validators=[Optional(), Length(max=MAX_FEEDBACK, message=_l("Höchstens %(max)d Zeichen.",
                                                                       max=MAX_FEEDBACK))],
        description=_l("Freiwillig. Bitte keine Namen und keine Angaben zur Gesundheit."),
        render_kw={"rows": 3},
    )  # fmt: skip
    submit = SubmitField(_l("Rückmeldung senden"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.outcome.choices = choices((code, OUTCOME_LABELS[code]) for code in OUTCOMES)
        self.rating.choices = choices(
            [
                ("", _l("keine Angabe")),
                ("5", _l("5 – sehr gut")),
                ("4", _l("4 – gut")),
                ("3", _l("3 – in Ordnung")),
                ("2", _l("2 – weniger gut")),
                ("1", _l("1 – schlecht")),
            ]
        )


# The form field that shows a service reason about a value (``starts_at`` is typed as day and
# time of day; ``repeat`` is about the series fields).
FIELD_OF = {"starts_at": "day"}


def _int(value) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6:
        return int(value)
    return None
