"""Forms of the mediator's own pages (profile, availability); the public application reuses the
row forms and fields. Rows are sub-forms in a FieldList: empty rows are ignored, so a few empty
rows and an "add row" button work without JavaScript."""

from __future__ import annotations

import re
from datetime import date, time

from flask_babel import get_locale
from wtforms import (
    BooleanField,
    FieldList,
    FormField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import Length, Optional, Regexp, ValidationError

from pool.admin.forms import PHONE_MESSAGE, PHONE_PATTERN, CheckboxList, Select
from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.labels import GENDER_LABELS, MODE_LABELS, WEEKDAY_LABELS
from pool.labels import LEVEL_DESCRIPTIONS as LEVEL_LABELS
from pool.languages import languages
from pool.models.mediators import GERMAN_LEVELS, LEVELS
from pool.schemas.mediators import MAX_COUNT

MAX_LANGUAGE_ROWS = 20
MAX_WINDOW_ROWS = 40
MAX_ABSENCE_ROWS = 40
EMPTY_ROWS = 2

TIME_RE = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::[0-5]\d(?:\.\d{1,6})?)?")
ISO_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
GERMAN_DATE_RE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")


# --- fields ---------------------------------------------------------------------------------------


class TimeOfDayField(StringField):
    """A native time input (``HH:MM``); anything else is a German error, never a 500."""

    data: time | None  # type: ignore[assignment]  # parsed text: a StringField for the text input and strip filter

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"type": "time"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if not raw:
            return
        match = TIME_RE.fullmatch(raw)
        if not match:
            raise ValueError(_l("Bitte geben Sie eine Uhrzeit wie 09:30 ein."))
        self.data = time(int(match.group(1)), int(match.group(2)))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.strftime("%H:%M") if self.data else ""


class DayField(StringField):
    """A native date input (``YYYY-MM-DD``; ``31.12.2026`` is understood as well)."""

    data: date | None  # type: ignore[assignment]  # parsed text: a StringField for the text input and strip filter

    def __init__(self, label=None, validators=None, **kwargs):
        kwargs.setdefault("render_kw", {"type": "date"})
        super().__init__(label, validators, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if not raw:
            return
        iso, german = ISO_DATE_RE.fullmatch(raw), GERMAN_DATE_RE.fullmatch(raw)
        try:
            if iso:
                day = date(int(iso.group(1)), int(iso.group(2)), int(iso.group(3)))
            elif german:
                day = date(int(german.group(3)), int(german.group(2)), int(german.group(1)))
            else:
                raise ValueError
        except ValueError:
            raise ValueError(_l("Bitte geben Sie ein Datum wie 31.12.2026 ein.")) from None
        if not 1900 <= day.year <= 2200:
            raise ValueError(_l("Bitte geben Sie ein Datum wie 31.12.2026 ein."))
        self.data = day

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return self.data.isoformat() if self.data else ""


class WholeNumberField(StringField):
    """A small whole number in a range; typing letters gives a German error."""

    data: int | None  # type: ignore[assignment]  # parsed text: a StringField for the text input and strip filter

    def __init__(self, label=None, validators=None, *, minimum=0, maximum=MAX_COUNT, **kwargs):
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.minimum, self.maximum = minimum, maximum

    def process_formdata(self, valuelist):
        self.data = None
        raw = valuelist[0].strip() if valuelist and isinstance(valuelist[0], str) else ""
        if not raw:
            return
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 6):
            raise ValueError(
                _l(
                    "Bitte geben Sie eine ganze Zahl von %(min)d bis %(max)d ein.",
                    min=self.minimum,
                    max=self.maximum,
                )
            )
        value = int(raw)
        if not self.minimum <= value <= self.maximum:
            raise ValueError(
                _l(
                    "Bitte geben Sie eine ganze Zahl von %(min)d bis %(max)d ein.",
                    min=self.minimum,
                    max=self.maximum,
                )
            )
        self.data = value

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)


def phone_field(label, description=None):
    return StringField(
        label,
        validators=[
            Optional(),
            Length(max=40, message=_l("Höchstens 40 Zeichen.")),
            Regexp(PHONE_PATTERN, message=PHONE_MESSAGE),
        ],
        description=description,
        render_kw={"type": "tel", "autocomplete": "tel"},
    )


def municipalities_field(label):
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=2000, message=_l("Höchstens 2000 Zeichen."))],
        description=_l("Eine Stadt oder Gemeinde pro Zeile, zum Beispiel: Neustadt"),
        render_kw={"rows": 3},
    )


def split_municipalities(text: str | None) -> list[str]:
    parts = re.split(r"[\n,;]+", text or "")
    return [p.strip()[:120] for p in parts if p.strip()]


def german_level_choices(empty_label):
    return choices([("", empty_label), *((lvl, LEVEL_LABELS[lvl]) for lvl in GERMAN_LEVELS)])


def mode_choices():
    return choices(MODE_LABELS.items())


# --- rows -----------------------------------------------------------------------------------------


class RowForm(BaseForm):
    """A sub-form (one row); the page's own form carries the CSRF token."""

    class Meta:
        csrf = False

    # The fields whose content makes a row count (a "remove" checkbox alone does not).
    content_fields: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not any(_filled(self[name]) for name in self.content_fields)


def _forget_errors(row: RowForm) -> bool:
    """A row marked for removal is dropped whatever it holds."""
    for field in row:
        field.errors = []
    return True


def _filled(field) -> bool:
    raw = field.raw_data
    if raw and isinstance(raw[0], str) and raw[0].strip():
        return True
    return field.data not in (None, "", [], ())


class LanguageRow(RowForm):
    content_fields = ("code", "level", "dialects")
    code = Select(_l("Sprache"), default="")
    level = Select(_l("Niveau"), default="")
    dialects = StringField(
        _l("Dialekte oder Varianten"),
        validators=[Optional(), Length(max=300, message=_l("Höchstens 300 Zeichen."))],
        description=_l("Mit Komma getrennt, zum Beispiel: Levantinisch, Irakisch"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        locale = str(get_locale() or "de")
        self.code.choices = choices(
            [("", _l("– keine –")), *((e.code, e.name) for e in languages(locale))]
        )
        self.level.choices = choices(
            [("", _l("– bitte wählen –")), *((lvl, LEVEL_LABELS[lvl]) for lvl in LEVELS)]
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok:
            return False
        if not self.code.data and (self.level.data or self.dialects.data):
            self.code.errors = [*self.code.errors, _l("Bitte wählen Sie die Sprache.")]
            return False
        if self.code.data and not self.level.data:
            self.level.errors = [*self.level.errors, _l("Bitte wählen Sie ein Niveau.")]
            return False
        return True

    def dialect_list(self) -> tuple[str, ...]:
        return tuple(d.strip()[:60] for d in (self.dialects.data or "").split(",") if d.strip())


class WindowRow(RowForm):
    content_fields = ("weekday", "start", "end")
    weekday = Select(_l("Wochentag"), default="")
    start = TimeOfDayField(_l("von"))
    end = TimeOfDayField(_l("bis"))
    remove = BooleanField(_l("Diese Zeit löschen"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekday.choices = choices(
            [("", _l("– kein Tag –")), *((str(i), label) for i, label in enumerate(WEEKDAY_LABELS))]
        )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.remove.data:
            return _forget_errors(self)
        if not ok or self.is_empty():
            return ok
        if not self.weekday.data:
            self.weekday.errors = [*self.weekday.errors, _l("Bitte wählen Sie einen Wochentag.")]
            ok = False
        if self.start.data is None:
            self.start.errors = [*self.start.errors, _l("Bitte geben Sie den Beginn ein.")]
            ok = False
        if self.end.data is None:
            self.end.errors = [*self.end.errors, _l("Bitte geben Sie das Ende ein.")]
            ok = False
        if (
            ok
            and self.start.data is not None
            and self.end.data is not None
            and self.start.data >= self.end.data
        ):
            self.end.errors = [*self.end.errors, _l("Das Ende muss nach dem Beginn liegen.")]
            ok = False
        return ok


class AbsenceRow(RowForm):
    content_fields = ("start_date", "end_date", "note")
    start_date = DayField(_l("vom"))
    end_date = DayField(_l("bis einschließlich"))
    note = StringField(
        _l("Notiz"),
        validators=[Optional(), Length(max=200, message=_l("Höchstens 200 Zeichen."))],
        description=_l("Zum Beispiel: Urlaub. Bitte keine Angaben zur Gesundheit."),
    )
    remove = BooleanField(_l("Diese Abwesenheit löschen"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.remove.data:
            return _forget_errors(self)
        if not ok or self.is_empty():
            return ok
        if self.start_date.data is None:
            self.start_date.errors = [
                *self.start_date.errors,
                _l("Bitte geben Sie den Beginn ein."),
            ]
            ok = False
        if self.end_date.data is None:
            self.end_date.errors = [*self.end_date.errors, _l("Bitte geben Sie das Ende ein.")]
            ok = False
        if (
            ok
            and self.end_date.data is not None
            and self.start_date.data is not None
            and self.end_date.data < self.start_date.data
        ):
            self.end_date.errors = [
                *self.end_date.errors,
                _l("Das Ende darf nicht vor dem Beginn liegen."),
            ]
            ok = False
        return ok


def add_empty_rows(field_list: FieldList, wanted: int = EMPTY_ROWS) -> None:
    """Make sure at least ``wanted`` empty rows follow the filled ones (within the maximum)."""
    assert field_list.max_entries is not None  # every list of rows has a maximum
    empty = sum(1 for entry in field_list.entries if entry.form.is_empty())
    while empty < wanted and len(field_list.entries) < field_list.max_entries:
        field_list.append_entry()
        empty += 1


def add_row(field_list: FieldList) -> bool:
    """The "add a row" button: one more empty row, if the maximum allows."""
    assert field_list.max_entries is not None  # every list of rows has a maximum
    if len(field_list.entries) >= field_list.max_entries:
        return False
    field_list.append_entry()
    return True


# --- pages ----------------------------------------------------------------------------------------


class ProfileForm(BaseForm):
    """What a mediator may change on their own record (SELF_FIELDS of the registry)."""

    phone = phone_field(_l("Telefon"), _l("Für kurzfristige Rückfragen der Koordination."))
    languages = FieldList(FormField(LanguageRow), min_entries=0, max_entries=MAX_LANGUAGE_ROWS)
    german_level = Select(_l("Ihr Deutsch"), default="")
    modes = CheckboxList(_l("So können Sie dolmetschen"), coerce=str)
    domains = CheckboxList(
        _l("Bereiche, in denen Sie gern dolmetschen"),
        coerce=str,
        description=_l("Für manche Bereiche braucht es eine Schulung."),
    )
    municipalities = municipalities_field(_l("Orte, an denen Sie dolmetschen"))
    travel_km = WholeNumberField(
        _l("So weit fahren Sie auch darüber hinaus (Kilometer)"), maximum=MAX_COUNT
    )
    monthly_cap = WholeNumberField(
        _l("Höchstens so viele Einsätze im Monat"),
        maximum=MAX_COUNT,
        description=_l("Leer lassen: keine Grenze."),
    )
    gender = Select(
        _l("Geschlecht"),
        default="",
        description=_l("Freiwillig. Manche Gespräche brauchen eine Frau oder einen Mann."),
    )
    add_language = SubmitField(_l("Weitere Sprache hinzufügen"))
    submit = SubmitField(_l("Speichern"))

    def __init__(self, *args, domain_pairs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.german_level.choices = german_level_choices(_l("– keine Angabe –"))
        self.modes.choices = mode_choices()
        self.domains.choices = choices(domain_pairs)
        self.gender.choices = choices([("", _l("keine Angabe")), *GENDER_LABELS.items()])


class AvailabilityForm(BaseForm):
    weekly = FieldList(FormField(WindowRow), min_entries=0, max_entries=MAX_WINDOW_ROWS)
    absences = FieldList(FormField(AbsenceRow), min_entries=0, max_entries=MAX_ABSENCE_ROWS)
    paused_until = DayField(
        _l("Pause bis einschließlich"),
        description=_l("Bis zu diesem Tag bekommen Sie keine Anfragen. Leer lassen: keine Pause."),
    )
    add_window = SubmitField(_l("Weitere Zeit hinzufügen"))
    add_absence = SubmitField(_l("Weitere Abwesenheit hinzufügen"))
    end_pause = SubmitField(_l("Pause beenden und speichern"))
    submit = SubmitField(_l("Speichern"))

    def __init__(self, *args, today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_paused_until(self, field):
        if field.data is not None and self.today is not None and field.data < self.today:
            raise ValidationError(
                _l("Das Datum liegt in der Vergangenheit. Leer lassen heißt: keine Pause.")
            )

    def kept_windows(self) -> list[WindowRow]:
        return [e.form for e in self.weekly if not e.form.remove.data and not e.form.is_empty()]

    def kept_absences(self) -> list[AbsenceRow]:
        return [e.form for e in self.absences if not e.form.remove.data and not e.form.is_empty()]
