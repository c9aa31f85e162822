"""Forms of the mediator's side: answer an offer, cancel an assignment, report how it went.

Field names differ between the forms of one page, so no two inputs share an id."""

from __future__ import annotations

from wtforms import BooleanField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from pool.admin.forms import Select
from pool.enums import OfferStatus, Outcome
from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.models.requests import OUTCOMES
from pool.schemas.offers import MAX_REASON
from pool.selfservice.forms import WholeNumberField

# How the mediator says it went (the office's page words them from its side).
MEDIATOR_OUTCOME_LABELS = {
    Outcome.TOOK_PLACE: _l("Der Termin hat stattgefunden."),
    Outcome.CLIENT_NO_SHOW: _l("Die Person ist nicht gekommen."),
    Outcome.MEDIATOR_NO_SHOW: _l("Ich konnte nicht kommen."),
    Outcome.CANCELLED_ON_SITE: _l("Der Termin wurde vor Ort abgesagt."),
}
OFFER_STATUS_LABELS = {
    OfferStatus.PENDING: _l("offen"),
    OfferStatus.ACCEPTED: _l("angenommen"),
    OfferStatus.DECLINED: _l("abgelehnt"),
    OfferStatus.EXPIRED: _l("Frist abgelaufen"),
    OfferStatus.WITHDRAWN: _l("zurückgezogen"),
}


def _reason_field(label, *, required: bool, description=None):
    validators: list[object] = [
        Length(max=MAX_REASON, message=_l("Höchstens %(max)d Zeichen.", max=MAX_REASON))
    ]
    if required:
        validators.insert(0, DataRequired(_l("Bitte geben Sie einen Grund an.")))
    else:
        validators.insert(0, Optional())
    return TextAreaField(
        label, validators=validators, description=description, render_kw={"rows": 3}
    )


class AcceptForm(BaseForm):
    no_conflict_of_interest = BooleanField(
        _l("Ich habe keine persönliche Beziehung zu der Person, für die ich dolmetsche."),
        validators=[
            DataRequired(
                _l(
                    "Bitte bestätigen Sie, dass Sie keine persönliche Beziehung zu der Person "
                    "haben. Kennen Sie die Person, lehnen Sie das Angebot bitte ab."
                )
            )
        ],
        description=_l(
            "Zum Beispiel: Sie sind nicht verwandt, nicht befreundet und nicht Nachbar:in. "
            "Wenn Sie das erst vor Ort merken, sagen Sie es bitte der Fachkraft."
        ),
    )


class DeclineForm(BaseForm):
    decline_reason = _reason_field(
        _l("Grund für die Absage"),
        required=False,
        description=_l("Zum Beispiel: Ich habe an dem Tag keine Zeit. Bitte keine Namen."),
    )


class CancelForm(BaseForm):
    cancel_reason = _reason_field(
        _l("Grund für die Absage"),
        required=True,
        description=_l(
            "Zum Beispiel: Ich bin krank. Bitte keine Namen und keine Gesundheitsdaten."
        ),
    )
    conflict_of_interest = BooleanField(
        _l("Interessenkonflikt entdeckt"),
        description=_l(
            "Kreuzen Sie das an, wenn Sie die Person kennen oder mit ihr verwandt sind. Das hat "
            "keine Nachteile für Sie. Sie bekommen für diesen Fall keine Anfragen mehr."
        ),
    )


class OutcomeForm(BaseForm):
    outcome = Select(
        _l("Wie war der Termin?"),
        choices=choices(
            [("", _l("Bitte wählen"))] + [(o, MEDIATOR_OUTCOME_LABELS[o]) for o in OUTCOMES]
        ),
        validators=[DataRequired(_l("Bitte wählen Sie aus, wie der Termin gelaufen ist."))],
    )
    duration_minutes = WholeNumberField(
        _l("Dauer in Minuten"),
        minimum=0,
        maximum=600,
        description=_l("Wie lange haben Sie gedolmetscht? Zum Beispiel: 60"),
    )
    travel_km = WholeNumberField(
        _l("Gefahrene Kilometer"),
        minimum=0,
        maximum=1000,
        description=_l(
            "Hin und zurück, für die Fahrtkosten. Leer lassen, wenn Sie nicht gefahren sind."
        ),
    )
