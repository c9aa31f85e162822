"""Forms of the hotline pages."""

from __future__ import annotations

import re

from wtforms import BooleanField, HiddenField, StringField, SubmitField
from wtforms.validators import ValidationError

from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.requests.office_forms import Radio
from pool.services.hotline import HOUR_CHOICES

CLOCK_RE = re.compile(r"([01]?\d|2[0-3])[:.]([0-5]\d)")


class ReachableForm(BaseForm):
    duration = Radio(
        _l("Wie lange sind Sie erreichbar?"),
        choices=choices([
            *[(str(h), _l("für %(n)s Stunden", n=h) if h > 1 else _l("für 1 Stunde"))
              for h in HOUR_CHOICES],
            ("time", _l("bis zu einer Uhrzeit heute")),
            ("open", _l("bis ich ausschalte")),
        ]),
        default="2",
    )  # fmt: skip
    # No Optional(): it would stop validate_until_time for an empty field, also with "time".
    until_time = StringField(
        _l("Bis wann (Uhrzeit heute)"),
        description=_l("Nur bei „bis zu einer Uhrzeit heute“, zum Beispiel 12:00."),
    )
    submit = SubmitField(_l("Erreichbar einschalten"))

    def validate_until_time(self, field) -> None:
        if self.duration.data != "time":
            return
        if not field.data or not CLOCK_RE.fullmatch(field.data.strip()):
            raise ValidationError(_l("Bitte geben Sie eine Uhrzeit wie 12:00 ein."))

    def clock(self) -> tuple[int, int]:
        match = CLOCK_RE.fullmatch((self.until_time.data or "").strip())
        assert match is not None
        return int(match.group(1)), int(match.group(2))


class PhoneConsentForm(BaseForm):
    consent = BooleanField(
        _l("Meine Telefonnummer darf Sachbearbeiter:innen angezeigt werden"),
        description=_l(
            "Dann können Sie direkt angerufen werden, wenn Sie erreichbar sind. Ohne Ihre "
            "Zustimmung sehen Sachbearbeiter:innen nur die Nummer der Koordination, die den "
            "Anruf weiterleitet. Sie können das jederzeit wieder ändern."
        ),
    )
    save = SubmitField(_l("Speichern"))


class CallForm(BaseForm):
    """ "Ich habe X angerufen": the ids and the language come from the list."""

    mediator_id = HiddenField()
    language = HiddenField()
    office_id = HiddenField()
