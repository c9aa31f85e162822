"""The preferences form: one choice per category the user can receive, and quiet hours."""

from __future__ import annotations

from flask_babel import LazyString
from wtforms import SubmitField

from pool.enums import NotificationCategory, Role
from pool.forms import BaseForm, choices
from pool.i18n import lazy_gettext as _l
from pool.notify import CATEGORIES, DIGEST_HOUR
from pool.requests.office_forms import Radio
from pool.selfservice.forms import TimeOfDayField

# Which categories matter to whom; "account" matters to everyone.
ROLE_CATEGORIES = {
    Role.CASEWORKER: (
        NotificationCategory.REQUESTS,
        NotificationCategory.REMINDERS,
        NotificationCategory.REPORTS,
    ),
    Role.MEDIATOR: (
        NotificationCategory.OFFERS,
        NotificationCategory.ASSIGNMENTS,
        NotificationCategory.REMINDERS,
        NotificationCategory.REPORTS,
        NotificationCategory.REGISTRY,
    ),
    Role.COORDINATOR: (NotificationCategory.COORDINATION, NotificationCategory.ALERTS),
    Role.ADMIN: (NotificationCategory.COORDINATION, NotificationCategory.ALERTS),
}

# Why a category always comes at once.
IMMEDIATE_REASONS: dict[str, LazyString] = {
    NotificationCategory.OFFERS: _l("Angebote haben eine Antwortfrist."),
    NotificationCategory.REMINDERS: _l("Erinnerungen kommen zu einer festen Zeit vor dem Termin."),
    NotificationCategory.ALERTS: _l("Warnungen betreffen Termine, die bald beginnen."),
    NotificationCategory.ACCOUNT: _l(
        "Links zum Anmelden und für ein neues Passwort gelten nur kurze Zeit."
    ),
}

NOW, DIGEST = "now", "digest"


def relevant_categories(user) -> list[str]:
    """The category codes that matter to ``user``'s roles, in the order of CATEGORIES."""
    wanted = {"account"}
    for role in user.role_names:
        wanted.update(ROLE_CATEGORIES.get(role, ()))
    return [code for code in CATEGORIES if code in wanted]


class PreferencesForm(BaseForm):
    quiet_from = TimeOfDayField(_l("Ruhezeit von"))
    quiet_until = TimeOfDayField(_l("Ruhezeit bis"))
    submit = SubmitField(_l("Speichern"))

    def choice_fields(self):
        return [f for f in self if f.name.startswith("category_")]


def preferences_form(codes, **kwargs) -> PreferencesForm:
    """The form with a choice for each digestible category among ``codes``."""

    class Form(PreferencesForm):
        pass

    for code in codes:
        if CATEGORIES[code].digestible:
            setattr(
                Form,
                f"category_{code}",
                Radio(
                    CATEGORIES[code].label,
                    choices=choices(
                        [
                            (NOW, _l("sofort per E-Mail")),
                            (
                                DIGEST,
                                _l(
                                    "in der täglichen Zusammenfassung (um %(hour)d Uhr)",
                                    hour=DIGEST_HOUR,
                                ),
                            ),
                        ]
                    ),
                    default=NOW,
                ),
            )
    return Form(**kwargs)
