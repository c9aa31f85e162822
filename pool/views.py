"""What every page needs: navigation per role, the sign-out and language forms."""

from __future__ import annotations

from flask import Flask, has_request_context, request, url_for
from flask_babel import LazyString
from flask_login import current_user

from pool.enums import TEMPLATE_ENUMS, Role
from pool.i18n import current_language
from pool.i18n import lazy_gettext as _l

# (endpoint, label, roles that see it); an empty tuple means everyone signed in.
NAVIGATION = (
    ("main.index", _l("Start"), ()),
    ("requests.queue", _l("Anfragen prüfen"), (Role.COORDINATOR, Role.ADMIN)),
    ("requests.index", _l("Einsatzanfragen"), (Role.CASEWORKER, Role.COORDINATOR)),
    ("requests.offers", _l("Angebote und Einsätze"), (Role.MEDIATOR,)),
    ("hotline.find", _l("Jetzt telefonisch dolmetschen"), (Role.CASEWORKER, Role.COORDINATOR)),
    ("hotline.reachable", _l("Telefonisch erreichbar"), (Role.MEDIATOR,)),
    ("requests.debriefs", _l("Gesprächswünsche"), (Role.COORDINATOR,)),
    ("mediators.index", _l("Sprachmittler:innen"), (Role.COORDINATOR, Role.ADMIN)),
    ("privacy.audit_log", _l("Protokoll"), (Role.COORDINATOR, Role.ADMIN)),
    ("reports.indicators", _l("Berichte"), (Role.COORDINATOR, Role.ADMIN)),
    ("allowances.index", _l("Aufwandsentschädigung"), (Role.COORDINATOR, Role.ADMIN)),
    ("me.availability", _l("Verfügbarkeit"), (Role.MEDIATOR,)),
    ("me.guidelines", _l("Leitlinien"), (Role.MEDIATOR,)),
    ("me.profile", _l("Meine Angaben"), (Role.MEDIATOR,)),
    ("privacy.my_data", _l("Meine Daten"), (Role.MEDIATOR,)),
    ("admin.index", _l("Verwaltung"), (Role.ADMIN,)),
    ("admin.pools", _l("Pools"), (Role.ADMIN,)),
    ("admin.offices", _l("Dienststellen"), (Role.ADMIN,)),
    ("admin.users", _l("Benutzer"), (Role.ADMIN,)),
    ("admin.trainings", _l("Schulungen"), (Role.ADMIN,)),
    ("admin.guidelines", _l("Leitlinien"), (Role.ADMIN,)),
    ("notifications.messages", _l("Nachrichten"), ()),
    ("auth.profile", _l("Mein Profil"), ()),
)


ROLE_LABELS: dict[str, LazyString] = {
    Role.ADMIN: _l("Administration"),
    Role.COORDINATOR: _l("Koordination"),
    Role.CASEWORKER: _l("Sachbearbeitung"),
    Role.MEDIATOR: _l("Sprachmittlung"),
}


def role_label(role) -> str:
    """``Koordination (Landkreis)`` for a UserRole row, or the plain label for a role name."""
    if isinstance(role, str):
        return str(ROLE_LABELS.get(role, role))
    label = str(ROLE_LABELS.get(role.role, role.role))
    scope = role.office.name if role.office is not None else role.pool.name if role.pool else None
    return f"{label} ({scope})" if scope else label


def navigation() -> list[dict]:
    if not current_user.is_authenticated:
        return []
    items = []
    for endpoint, label, roles in NAVIGATION:
        if roles and not any(current_user.has_role(r) for r in roles):
            continue
        items.append({"url": url_for(endpoint), "label": label, "active": False})
    # The item whose address is the longest prefix of the current path is the active one.
    matching = [
        item
        for item in items
        if request.path == item["url"]
        or (item["url"] not in ("/", "/admin/") and request.path.startswith(item["url"]))
    ]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return items


def init_app(app: Flask) -> None:
    # Pages and e-mails compare codes with the enums (``item.status == RequestStatus.OPEN``).
    app.jinja_env.globals.update({enum.__name__: enum for enum in TEMPLATE_ENUMS})

    @app.context_processor
    def _globals() -> dict:
        from pool.auth.forms import LanguageForm
        from pool.forms import ConfirmForm

        language = current_language()
        if not has_request_context():  # e-mails rendered by the scheduler or a command
            return {"current_language": language, "role_label": role_label}
        language_form = LanguageForm(formdata=None)
        language_form.locale.data = "en" if language == "de" else "de"
        return {
            "navigation": navigation(),
            "confirm_form": ConfirmForm(formdata=None),
            "language_form": language_form,
            "current_language": language,
            "role_label": role_label,
        }


def page_number(raw: str | None) -> int:
    """The page asked for in a query parameter; 1 for anything that is not a plain number."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7:
        return 1
    return max(1, int(raw))
