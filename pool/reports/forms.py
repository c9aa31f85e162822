"""Forms of the reports: the period and pool filter of the indicators (sent by GET)."""

from __future__ import annotations

from datetime import date

from wtforms import SelectField

from pool.forms import BaseForm
from pool.i18n import lazy_gettext as _l
from pool.mediators.forms import Day
from pool.services.indicators import period_too_long


class IndicatorFilterForm(BaseForm):
    start = Day(_l("Von"), description=_l("Erster Tag, z. B. 01.03.2027"))
    end = Day(_l("Bis"), description=_l("Letzter Tag, z. B. 31.03.2027"))
    pool = SelectField(_l("Pool"), choices=[], validate_choice=False)

    # The period used for a day left empty: (first day, last day), set by the route.
    defaults: tuple[date, date] | None = None

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if self.start.errors or self.end.errors:
            return False
        if self.defaults:
            self.start.data = self.start.data or self.defaults[0]
            self.end.data = self.end.data or self.defaults[1]
        assert self.start.data is not None and self.end.data is not None  # the route sets defaults
        if self.start.data > self.end.data:
            self.end.errors = [*self.end.errors, _l("„Bis“ darf nicht vor „Von“ liegen.")]
            return False
        if period_too_long(self.start.data, self.end.data):
            message = _l("Der Zeitraum darf höchstens 3 Jahre lang sein.")
            self.end.errors = [*self.end.errors, message]
            return False
        return ok
