"""Forms of the coordination's queue and review page, and the words for their codes.

Choices that depend on the database (offices, languages, candidates) are filled in by the routes.
The three action forms of the review page carry a prefix, so their fields never share an id.
"""

from __future__ import annotations

from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from pool.admin.forms import CheckboxList, Select, to_int
from pool.enums import OfferStatus, RequestStatus, Side
from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.schemas.offers import MAX_REASON

# One minute up to 30 days, as pool/services/booking.py make_offers allows.
MAX_DEADLINE_MINUTES = 60 * 24 * 30

OFFER_STATUS_LABELS = {
    OfferStatus.PENDING: _l("wartet auf Antwort"),
    OfferStatus.ACCEPTED: _l("angenommen"),
    OfferStatus.DECLINED: _l("abgelehnt"),
    OfferStatus.EXPIRED: _l("Frist abgelaufen"),
    OfferStatus.WITHDRAWN: _l("zurückgezogen"),
}
CANCEL_SIDE_LABELS = {
    Side.MEDIATOR: _l("Sprachmittler:in"),
    Side.OFFICE: _l("Dienststelle"),
    Side.COORDINATION: _l("Koordination"),
}
# The reason codes of pool/matching.py and pool/deployability.py, for the counts of the excluded.
# Codes with a suffix ("training_missing:basic") are counted under their prefix.
EXCLUSION_LABELS = {
    "pool": _l("Pool teilt nicht mit diesem Pool"),
    "not_activated": _l("noch nicht freigeschaltet"),
    "status_paused": _l("pausiert"),
    "status_left": _l("nicht mehr im Pool"),
    "status_rejected": _l("nicht mehr im Pool"),
    "paused_until": _l("macht gerade Pause"),
    "absent": _l("abwesend"),
    "interview_missing": _l("Erstgespräch fehlt"),
    "confidentiality_missing": _l("Verschwiegenheitserklärung fehlt"),
    "obligation_missing": _l("Verpflichtung fehlt"),
    "guideline_missing": _l("Leitlinie nicht bestätigt"),
    "training_missing": _l("Pflichtschulung fehlt"),
    "training_expired": _l("Pflichtschulung abgelaufen"),
    "release_missing": _l("Freigabe der Vorgesetzten fehlt"),
    "release_expired": _l("Freigabe der Vorgesetzten abgelaufen"),
    "staff_consent_missing": _l("Einwilligung fehlt"),
    "domain_training_missing": _l("Schulung für den Bereich fehlt"),
    "domain_training_expired": _l("Schulung für den Bereich abgelaufen"),
    "police_certificate_missing": _l("Führungszeugnis fehlt"),
    "police_certificate_expired": _l("Führungszeugnis zu alt"),
    "level": _l("Sprachniveau reicht nicht"),
    "mode": _l("nimmt diese Art von Termin nicht an"),
    "place": _l("nicht an diesem Ort im Einsatz"),
    "availability": _l("zu dieser Zeit nicht verfügbar"),
    "booked": _l("schon gebucht"),
    "monthly_cap": _l("Monatsgrenze erreicht"),
    "gender": _l("anderes Geschlecht gewünscht"),
    "case_excluded": _l("für diesen Fall ausgeschlossen"),
}
SHOW_LABELS = {
    "person": _l("Nur was eine Person braucht"),
    "all": _l("Alle offenen Anfragen"),
}
INVALID_DEADLINE = _l("Bitte geben Sie die Frist als ganze Zahl von Minuten an (1 bis 43200).")


def exclusion_label(code: str) -> str:
    return str(EXCLUSION_LABELS.get(code.split(":", 1)[0], code))


class Minutes(IntegerField):
    """A whole number of minutes, or empty; a German message for anything else."""

    def process_formdata(self, valuelist):
        self.data = None
        if not valuelist or not str(valuelist[0]).strip():
            return
        text = str(valuelist[0]).strip()
        if not text.isascii() or not text.isdigit() or len(text) > 6:
            raise ValueError(str(INVALID_DEADLINE))
        self.data = int(text)


def _deadline_in_range(form, field) -> None:
    if field.data is not None and not 1 <= field.data <= MAX_DEADLINE_MINUTES:
        raise ValidationError(str(INVALID_DEADLINE))


def _reason(label, *, required: bool):
    validators: list[object] = [
        Length(max=MAX_REASON, message=_l("Höchstens %(max)d Zeichen.", max=MAX_REASON))
    ]
    if required:
        validators.insert(0, DataRequired(message=_l("Bitte geben Sie einen Grund an.")))
    else:
        validators.insert(0, Optional())
    return TextAreaField(
        label, validators=validators, render_kw={"rows": 2, "maxlength": MAX_REASON}
    )


class QueueFilterForm(BaseForm):
    """The filters of the queue (GET, from the URL: codes and ids only, no personal data)."""

    show = Select(_l("Anzeigen"), choices=choices(SHOW_LABELS.items()), default="all")
    status = Select(
        _l("Status"),
        choices=choices(
            [
                ("", _l("Alle")),
                (RequestStatus.OPEN, _l("offen")),
                (RequestStatus.OFFERED, _l("angeboten")),
            ]
        ),
        default="",
    )
    office = Select(_l("Dienststelle"), default="")
    language = Select(_l("Sprache"), default="")


class OfferForm(BaseForm):
    mediator_ids = CheckboxList(
        _l("Anbieten an"),
        validators=[DataRequired(message=_l("Bitte wählen Sie mindestens eine Person aus."))],
    )
    expires_in_minutes = Minutes(
        _l("Frist für die Antwort in Minuten"),
        validators=[Optional(), _deadline_in_range],
        description=_l(
            "Leer lassen für die Frist des Pools. Die Frist endet spätestens mit dem Termin."
        ),
        render_kw={"inputmode": "numeric"},
    )


class AssignForm(BaseForm):
    mediator_id = Select(
        _l("Person"),
        coerce=lambda value: None if value in (None, "") else to_int(value),
        validators=[DataRequired(message=_l("Bitte wählen Sie eine Person aus."))],
    )
    reason = _reason(_l("Grund, z. B. „telefonisch vereinbart“"), required=True)


class UnfillableForm(BaseForm):
    reason = _reason(_l("Grund, z. B. „niemand verfügbar“"), required=True)
