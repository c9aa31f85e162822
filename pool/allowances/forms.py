"""Forms for allowance rules, the period filter and payouts."""

from __future__ import annotations

import re
from datetime import date

from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Optional

from pool.enums import AllowanceUnit
from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.mediators.forms import Day

MONEY_RE = re.compile(r"^(\d{1,6})(?:[,.](\d{1,2}))?$")
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
MONEY_MESSAGE = _l("Bitte geben Sie einen Betrag in Euro ein, z. B. 10 oder 0,30.")
NEGATIVE_MESSAGE = _l("Der Betrag darf nicht negativ sein.")
MONTH_MESSAGE = _l("Bitte geben Sie einen Monat ein, z. B. 2027-03.")
UNIT_LABELS = {
    AllowanceUnit.HOUR: _l("je angefangene Stunde"),
    AllowanceUnit.HALF_HOUR: _l("je angefangene halbe Stunde"),
}


def parse_cents(text: str) -> int:
    """``10`` → 1000, ``0,30`` → 30, ``1.234,5``-style thousands are not accepted."""
    text = text.strip().replace(" ", "").removesuffix("€")
    if text.startswith("-"):
        raise ValueError(str(NEGATIVE_MESSAGE))
    match = MONEY_RE.match(text)
    if not match:
        raise ValueError(str(MONEY_MESSAGE))
    euros, cents = match.group(1), (match.group(2) or "0").ljust(2, "0")
    return int(euros) * 100 + int(cents)


class Euro(StringField):
    """An amount in euros as typed (``10``, ``0,30``, ``12.50``); ``data`` is whole cents."""

    data: int | None  # type: ignore[assignment]  # parsed text: a StringField for the text input and strip filter

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("validators", [Optional()])
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            self.raw_data = []  # only blanks: no input for InputRequired either
            return
        if len(valuelist[0]) > 20:
            raise ValueError(str(MONEY_MESSAGE))
        self.data = parse_cents(str(valuelist[0]))

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return format_cents_plain(self.data) if self.data is not None else ""


def format_cents_plain(cents: int) -> str:
    """``1050`` → ``10,50`` (for inputs and CSV)."""
    return f"{cents // 100},{cents % 100:02d}"


def parse_month(text: str | None) -> date | None:
    match = MONTH_RE.match((text or "").strip())
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2200 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


class PeriodForm(BaseForm):
    """Which pool and month to show (a GET form)."""

    pool = SelectField(_l("Pool"))
    month = StringField(
        _l("Monat"),
        description=_l("Jahr und Monat, z. B. 2027-03"),
        render_kw={"type": "month", "pattern": r"\d{4}-\d{2}"},
    )


class RuleForm(BaseForm):
    valid_from = Day(
        _l("Gilt ab"),
        validators=[InputRequired(_l("Bitte geben Sie an, ab wann die Regel gilt."))],
    )
    per_assignment_cents = Euro(_l("Betrag je Einsatz (Euro)"))
    per_unit_cents = Euro(_l("Betrag je Zeiteinheit (Euro)"))
    unit = SelectField(
        _l("Zeiteinheit"),
        choices=choices([("", _l("keine")), *UNIT_LABELS.items()]),
        default="",
    )
    per_km_cents = Euro(_l("Betrag je Kilometer (Euro)"))
    flat_travel_cents = Euro(
        _l("Fahrtkostenpauschale je Einsatz vor Ort (Euro)"),
    )
    short_notice_cancellation_cents = Euro(
        _l("Kurzfristige Absage durch Dienststelle oder Koordination (Euro)")
    )
    client_no_show_cents = Euro(_l("Klient:in nicht erschienen (Euro)"))
    submit = SubmitField(_l("Regel speichern"))


class LimitForm(BaseForm):
    limit = Euro(
        _l("Steuerfreier Höchstbetrag im Jahr (Euro)"),
        validators=[InputRequired(_l("Bitte geben Sie einen Betrag ein."))],
        description=_l("Ehrenamtspauschale, z. B. 840"),
    )
    submit = SubmitField(_l("Höchstbetrag speichern"))


class PaidForm(BaseForm):
    paid_on = Day(
        _l("Bezahlt am"),
        validators=[InputRequired(_l("Bitte geben Sie das Datum der Zahlung ein."))],
    )
    submit = SubmitField(_l("Als bezahlt markieren"))
