"""The public application form "Sprachmittler:in werden"."""

from __future__ import annotations

from wtforms import BooleanField, FieldList, FormField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from pool.admin.forms import CheckboxList, Select, optional_int
from pool.enums import Mode
from pool.forms import BaseForm, choices, email_validators
from pool.i18n import lazy_gettext as _l
from pool.selfservice.forms import (
    LanguageRow,
    WholeNumberField,
    german_level_choices,
    mode_choices,
    municipalities_field,
    phone_field,
)

APPLY_LANGUAGE_ROWS = 3
MAX_APPLY_LANGUAGE_ROWS = 10


class ApplicationForm(BaseForm):
    pool_id = Select(
        _l("Wo möchten Sie mitmachen?"),
        coerce=optional_int,
        validators=[DataRequired(_l("Bitte wählen Sie einen Pool."))],
    )
    name = StringField(
        _l("Ihr Name"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihren Namen ein.")),
            Length(max=120, message=_l("Höchstens 120 Zeichen.")),
        ],
        render_kw={"autocomplete": "name"},
    )
    email = StringField(
        _l("Ihre E-Mail-Adresse"),
        validators=[
            DataRequired(_l("Bitte geben Sie Ihre E-Mail-Adresse ein.")),
            *email_validators(),
        ],
        render_kw={"type": "email", "inputmode": "email", "autocomplete": "email"},
    )
    phone = phone_field(_l("Ihre Telefonnummer"))
    birth_year = WholeNumberField(
        _l("Ihr Geburtsjahr"),
        minimum=1900,
        maximum=2100,
        description=_l("Zum Beispiel: 1985. Oder setzen Sie unten den Haken."),
    )
    adult_confirmed = BooleanField(_l("Ich bin mindestens 18 Jahre alt."))
    languages = FieldList(
        FormField(LanguageRow), min_entries=0, max_entries=MAX_APPLY_LANGUAGE_ROWS
    )
    german_level = Select(
        _l("Wie gut sprechen Sie Deutsch?"),
        default="",
        validators=[DataRequired(_l("Bitte wählen Sie, wie gut Sie Deutsch sprechen."))],
        description=_l("Schätzen Sie sich ein. Das Niveau steht oft auf einem Kurs-Zeugnis."),
    )
    municipalities = municipalities_field(_l("Wo können Sie dolmetschen?"))
    modes = CheckboxList(_l("Wie können Sie dolmetschen?"), coerce=str, default=[Mode.IN_PERSON])
    times = TextAreaField(
        _l("Wann haben Sie meistens Zeit?"),
        validators=[Optional(), Length(max=1000, message=_l("Höchstens 1000 Zeichen."))],
        description=_l("Zum Beispiel: vormittags, Dienstag und Donnerstag ab 14 Uhr."),
        render_kw={"rows": 3},
    )
    consent = BooleanField(
        _l("Ich bin einverstanden, dass der Pool meine Angaben speichert und nutzt."),
        validators=[DataRequired(_l("Bitte stimmen Sie der Verarbeitung Ihrer Daten zu."))],
    )
    add_language = SubmitField(_l("Weitere Sprache hinzufügen"))
    submit = SubmitField(_l("Bewerbung absenden"))

    def __init__(self, *args, pool_pairs=(), **kwargs):
        super().__init__(*args, **kwargs)
        pairs = list(pool_pairs)
        if len(pairs) != 1:
            pairs = [("", _l("– bitte wählen –")), *pairs]
        self.pool_id.choices = choices(pairs)
        self.german_level.choices = german_level_choices(_l("– bitte wählen –"))
        self.modes.choices = mode_choices()
