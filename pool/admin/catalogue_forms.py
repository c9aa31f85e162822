"""Forms of the admin's catalogues: trainings, guidelines and domains. The route fills in the
domain choices."""

from __future__ import annotations

from wtforms import BooleanField, IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
)

from pool.admin.forms import CheckboxList
from pool.forms import BaseForm
from pool.i18n import lazy_gettext as _l

CODE_MESSAGE = _l("Nur Kleinbuchstaben (a–z), Ziffern und _ verwenden.")
CODE_VALIDATORS = [
    DataRequired(_l("Bitte geben Sie ein Kürzel ein.")),
    Length(max=40, message=_l("Höchstens 40 Zeichen.")),
    Regexp(r"^[a-z0-9_]+$", message=CODE_MESSAGE),
]


class WholeNumberField(IntegerField):
    """A whole number written with the digits 0–9; anything else is a German error, an empty
    field is ``None``."""

    def __init__(self, *args, not_a_number=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.not_a_number = not_a_number or _l("Bitte geben Sie eine ganze Zahl ein.")

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        text = valuelist[0].strip() if isinstance(valuelist[0], str) else ""
        if text == "":
            self.data = None
            return
        if not text.isascii() or not text.isdigit():
            self.data = None
            raise ValueError(str(self.not_a_number))
        self.data = int(text)

    def pre_validate(self, form):
        if self.process_errors:  # one clear message, not a second one from the range check
            raise StopValidation()


def _code_field(description):
    return StringField(
        _l("Kürzel"),
        validators=CODE_VALIDATORS,
        description=description,
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )


class TrainingForm(BaseForm):
    name = StringField(
        _l("Name der Schulung"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Namen ein.")),
            Length(max=160, message=_l("Höchstens 160 Zeichen.")),
        ],
        description=_l("Zum Beispiel: Basisschulung oder Modul Gesundheit"),
    )
    validity_months = WholeNumberField(
        _l("Gültig für (Monate)"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=600,
                message=_l(
                    "Bitte geben Sie eine Zahl von 1 bis 600 ein oder lassen Sie das Feld leer."
                ),
            ),
        ],
        description=_l("Leer lassen, wenn die Schulung nicht abläuft."),
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    mandatory = BooleanField(_l("Pflicht: Ohne diese Schulung kann niemand eingesetzt werden."))
    unlocks_domains = CheckboxList(
        _l("Schaltet diese Bereiche frei"),
        coerce=str,
        description=_l(
            "Für diese Bereiche brauchen Sprachmittler:innen die Schulung. "
            "Für andere Bereiche ist sie nicht nötig."
        ),
    )
    active = BooleanField(_l("Aktiv: Die Schulung wird angeboten und zählt."), default=True)
    submit = SubmitField(_l("Speichern"))


class NewTrainingForm(TrainingForm):
    code = _code_field(
        _l(
            "Zum Beispiel: basis oder modul_gesundheit. Nur Kleinbuchstaben, Ziffern und _. "
            "Das Kürzel lässt sich später nicht mehr ändern."
        )
    )


class GuidelineForm(BaseForm):
    code = _code_field(
        _l(
            "Zum Beispiel: verschwiegenheit. Mit dem Kürzel einer bestehenden Leitlinie "
            "veröffentlichen Sie eine neue Fassung."
        )
    )
    title = StringField(
        _l("Titel"),
        validators=[
            DataRequired(_l("Bitte geben Sie einen Titel ein.")),
            Length(max=200, message=_l("Höchstens 200 Zeichen.")),
        ],
    )
    body_markdown = TextAreaField(
        _l("Text"),
        validators=[
            DataRequired(_l("Bitte geben Sie den Text der Leitlinie ein.")),
            Length(max=50_000, message=_l("Der Text ist zu lang (höchstens 50.000 Zeichen).")),
        ],
        description=_l(
            "Sie können Markdown verwenden: **fett**, *kursiv*, Listen mit - und "
            "Überschriften mit ##. HTML wird nicht ausgeführt."
        ),
        render_kw={"rows": 16},
    )
    mandatory = BooleanField(
        _l(
            "Pflicht: Sprachmittler:innen müssen die Leitlinie bestätigen, bevor sie eingesetzt werden."
        ),
        default=True,
    )
    preview = SubmitField(_l("Vorschau"))
    submit = SubmitField(_l("Veröffentlichen"))


class DomainForm(BaseForm):
    code = _code_field(_l("Zum Beispiel: arbeit. Nur Kleinbuchstaben, Ziffern und _."))
    name_de = StringField(
        _l("Name auf Deutsch"),
        validators=[
            DataRequired(_l("Bitte geben Sie den deutschen Namen ein.")),
            Length(max=120, message=_l("Höchstens 120 Zeichen.")),
        ],
    )
    name_en = StringField(
        _l("Name auf Englisch"),
        validators=[
            DataRequired(_l("Bitte geben Sie den englischen Namen ein.")),
            Length(max=120, message=_l("Höchstens 120 Zeichen.")),
        ],
    )
    submit = SubmitField(_l("Bereich hinzufügen"))
