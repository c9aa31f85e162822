"""Forms of the import: the upload and the column mapping (one select per column of the file)."""

from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import SelectField, SubmitField, ValidationError

from pool.enums import Level
from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.imports.parsing import FIELDS, MULTI_FIELDS, column_letter, field_label, mapping_problems
from pool.models.mediators import LEVELS


def to_int(value):
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


class UploadForm(BaseForm):
    pool = SelectField(_l("Pool"), coerce=to_int, validate_choice=False)
    file = FileField(
        _l("Datei"),
        render_kw={
            "accept": ".csv,.txt,.xlsx,text/csv,"
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        },
        description=_l(
            "Eine CSV-Datei (.csv) oder Excel-Datei (.xlsx), höchstens 5 MB und 20.000 Zeilen. "
            "Die erste Zeile mit Überschriften wird erkannt."
        ),
    )
    submit = SubmitField(_l("Datei hochladen"))

    def validate_pool(self, field):
        if field.data is None:
            raise ValidationError(_l("Bitte wählen Sie einen Pool."))

    def validate_file(self, field):
        if not field.data or not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Bitte wählen Sie eine Datei aus."))


def level_label(level: str) -> str:
    return str(_l("Muttersprache")) if level == Level.NATIVE else level


class MappingForm(BaseForm):
    """Columns are added per file by ``mapping_form``."""

    default_level = SelectField(
        _l("Niveau, wenn in der Datei keines steht"),
        description=_l(
            "Zum Beispiel steht in der Datei nur „Arabisch“. Ohne Niveau wird die Zeile "
            "sonst als Problem gemeldet."
        ),
    )
    submit = SubmitField(_l("Weiter zur Vorschau"))
    column_count = 0

    def column_fields(self):
        return [self[f"column_{i}"] for i in range(self.column_count)]

    @property
    def mapping(self) -> list[str]:
        return [f.data for f in self.column_fields()]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if ok:
            for problem in mapping_problems(self.mapping):
                self.form_errors.append(str(problem))
                ok = False
        return ok


def mapping_form(headers: list[str], formdata=None, mapping=None, default_level=None):
    """A mapping form with one select per column, labelled with the column's header."""
    field_choices = choices((name, label) for name, label in FIELDS)

    class Form(MappingForm):
        pass

    for index, header in enumerate(headers):
        if header:
            label = _l("Spalte %(letter)s: „%(header)s“", letter=column_letter(index),
                       header=header)  # fmt: skip
        else:
            label = _l("Spalte %(letter)s (ohne Überschrift)", letter=column_letter(index))
        setattr(Form, f"column_{index}", SelectField(label, choices=field_choices))
    Form.column_count = len(headers)
    kwargs = {}
    if formdata is None:
        kwargs = {f"column_{i}": name for i, name in enumerate(mapping or [])}
        kwargs["default_level"] = default_level or ""
    form = Form(formdata=formdata, **kwargs) if formdata is not None else Form(**kwargs)
    form.default_level.choices = choices(
        [("", _l("keines – Zeile als Problem melden"))]
        + [(level, level_label(level)) for level in LEVELS]
    )
    return form


__all__ = ["MULTI_FIELDS", "MappingForm", "UploadForm", "field_label", "mapping_form"]
