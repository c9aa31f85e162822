"""Data protection pages: the audit log, a mediator's own data, erasing a mediator who left, and the
record of processing for admins. The rules themselves live in pool/services/privacy.py."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime, time, timedelta

from flask import (
    Response,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from pool import audit
from pool.db import db_session, utcnow
from pool.downloads import csv_cell, csv_writer, download
from pool.enums import Role
from pool.forms import save
from pool.i18n import BERLIN, format_day, format_when
from pool.i18n import gettext as _
from pool.i18n import lazy_gettext as _l
from pool.labels import STATUS_LABELS
from pool.models import Mediator, User
from pool.permissions import load_mediator, own_mediator, roles_required, visible_pool_ids
from pool.privacy import bp
from pool.privacy.forms import OBJECT_TYPES, AuditFilterForm, EraseForm
from pool.services import privacy
from pool.services.privacy import AuditFilter
from pool.views import page_number

AUDIT_FILTER_KEY = "audit_filter"
AUDIT_PER_PAGE = 50
CSV_MAX_ROWS = 100_000
FILTER_FIELDS = ("who", "action", "object_type", "object_id", "date_from", "date_to")


def _actor() -> User:
    return current_user._get_current_object()


# --- audit log ------------------------------------------------------------------------------------


def _start_of_day(day: date) -> datetime:
    return datetime.combine(day, time(0), BERLIN).astimezone(UTC)


def _filters(form: AuditFilterForm) -> AuditFilter:
    return AuditFilter(
        who=form.who.data or "",
        action=form.action.data or "",
        object_type=form.object_type.data or "",
        object_id=int(form.object_id.data) if form.object_id.data else None,
        since=_start_of_day(form.date_from.data) if form.date_from.data else None,
        until=_start_of_day(form.date_to.data + timedelta(days=1)) if form.date_to.data else None,
    )


def _stored_form() -> tuple[AuditFilterForm, bool]:
    """The filter kept in the session (no personal data in the address)."""
    stored = session.get(AUDIT_FILTER_KEY) or {}
    form = AuditFilterForm(
        formdata=MultiDict({k: stored.get(k, "") for k in FILTER_FIELDS}), meta={"csrf": False}
    )
    return form, form.validate()


@bp.route("/audit", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.COORDINATOR)
def audit_log():
    """Filters are sent by POST and kept in the session; the page number travels in the URL."""
    if request.method == "POST":
        form = AuditFilterForm()
        if request.form.get("reset"):
            session.pop(AUDIT_FILTER_KEY, None)
            return redirect(url_for("privacy.audit_log"))
        if form.validate_on_submit():
            session[AUDIT_FILTER_KEY] = {
                k: request.form.get(k, "").strip()[:120] for k in FILTER_FIELDS
            }
            return redirect(url_for("privacy.audit_log"))
        valid = False
    else:
        form, valid = _stored_form()
    query = privacy.audit_query(
        visible_pool_ids(_actor()), _filters(form) if valid else AuditFilter()
    )
    s = db_session()
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // AUDIT_PER_PAGE))
    page = min(page_number(request.args.get("page")), pages)
    rows = s.execute(query.limit(AUDIT_PER_PAGE).offset((page - 1) * AUDIT_PER_PAGE)).all()
    filtered = bool(session.get(AUDIT_FILTER_KEY))
    return render_template(
        "privacy/audit.html",
        form=form,
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        filtered=filtered,
        object_types=OBJECT_TYPES,
        details_text=_details_text,
        csv_max_rows=CSV_MAX_ROWS,
    ), 200 if valid else 400


def _details_text(details: dict | None) -> str:
    return json.dumps(details, ensure_ascii=False, sort_keys=True) if details else ""


@bp.route("/audit.csv")
@roles_required(Role.ADMIN, Role.COORDINATOR)
def audit_csv():
    """The filtered events as CSV (at most CSV_MAX_ROWS, newest first)."""
    actor = _actor()
    form, valid = _stored_form()
    query = privacy.audit_query(
        visible_pool_ids(actor), _filters(form) if valid else AuditFilter()
    ).limit(CSV_MAX_ROWS)
    s = db_session()
    audit.record(s, actor.id, "audit.exported", None, None, {"filtered": valid and bool(
        session.get(AUDIT_FILTER_KEY))})  # fmt: skip
    s.commit()
    header = [_("Zeitpunkt"), _("Konto-Nr."), _("Name"), _("E-Mail-Adresse"), _("Aktion"),
              _("Art des Objekts"), _("Nummer des Objekts"), _("Adresse"), _("Details")]  # fmt: skip

    # Built at once (bounded by CSV_MAX_ROWS): a streamed body would outlive the request's
    # database session.
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(header)
    for event, name, email in s.execute(query.execution_options(yield_per=1000)):
        writer.writerow(
            csv_cell(v)
            for v in (
                event.at.isoformat(),
                event.actor_id,
                name,
                email,
                event.action,
                event.object_type,
                event.object_id,
                event.address,
                _details_text(event.details),
            )
        )

    filename = f"protokoll-{utcnow().astimezone(BERLIN).date().isoformat()}.csv"
    return download("\ufeff" + out.getvalue(), filename, "text/csv")


# --- a mediator's own data ------------------------------------------------------------------------


def _display(value) -> str:
    """A JSON value of the export as text for the page."""
    if value is None or value == [] or value == "":
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if isinstance(value, list):
        return ", ".join(_display(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_display(v)}" for k, v in value.items())
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            if len(value) == 10:
                return format_day(date.fromisoformat(value))
            return format_when(datetime.fromisoformat(value))
        except ValueError:
            return value
    return str(value)


@bp.route("/meine-daten")
@roles_required(Role.MEDIATOR)
def my_data():
    mediator = own_mediator(db_session(), _actor())
    if mediator is None:
        return render_template("selfservice/no_record.html")
    data = privacy.export_mediator(db_session(), mediator)
    return render_template(
        "privacy/my_data.html",
        data=data,
        display=_display,
        sections=SECTION_LABELS,
        fields=FIELD_LABELS,
    )


@bp.route("/meine-daten/download")
@roles_required(Role.MEDIATOR)
def my_data_download():
    actor = _actor()
    s = db_session()
    mediator = own_mediator(s, actor)
    if mediator is None:
        return render_template("selfservice/no_record.html")
    data = privacy.export_mediator(s, mediator)
    audit.record(s, actor.id, "mediator.data_exported", "mediator", mediator.id)
    s.commit()
    return Response(
        json.dumps(data, ensure_ascii=False, indent=2),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="meine-daten.json"'},
    )


# --- erasure --------------------------------------------------------------------------------------


@bp.route("/mediators/<int:mediator_id>/daten-loeschen", methods=["GET", "POST"])
@roles_required(Role.ADMIN, Role.COORDINATOR)
def erase(mediator_id: int):
    s = db_session()
    actor = _actor()
    mediator: Mediator = load_mediator(s, actor, mediator_id, need="manage")
    form = EraseForm()
    if request.method == "POST" and form.validate_on_submit():
        ok, _result = save(
            form,
            lambda: privacy.erase_mediator(s, actor=actor, mediator=mediator, now=utcnow()),
        )
        if ok:
            flash(_("Die personenbezogenen Daten wurden gelöscht."), "success")
            return redirect(url_for("mediators.detail", mediator_id=mediator_id))
    status = 400 if form.errors or form.form_errors else 200
    return render_template(
        "privacy/erase.html",
        form=form,
        mediator=mediator,
        status_label=STATUS_LABELS.get(mediator.status, mediator.status),
        payout_years=privacy.retention_rules(s)["payout_years"],
    ), status


# --- record of processing -------------------------------------------------------------------------


@bp.route("/datenschutz")
@roles_required(Role.ADMIN)
def record_of_processing():
    return render_template("privacy/record.html", rules=privacy.retention_rules(db_session()))


# Headings and field names of the export on the readable page (the JSON keeps the English keys).
SECTION_LABELS = {
    "profile": _l("Ihre Angaben"),
    "account": _l("Ihr Benutzerkonto"),
    "languages": _l("Sprachen"),
    "domains": _l("Einsatzbereiche"),
    "trainings": _l("Schulungen"),
    "acknowledgements": _l("Bestätigte Leitlinien"),
    "availability": _l("Verfügbarkeit"),
    "absences": _l("Abwesenheiten"),
    "status_history": _l("Status-Historie"),
    "offers": _l("Angebote"),
    "assignments": _l("Einsätze"),
    "debrief_requests": _l("Gesprächswünsche"),
    "messages": _l("Nachrichten an Sie"),
    "audit_events": _l("Protokoll-Einträge zu Ihnen"),
}
FIELD_LABELS = {
    "id": _l("Nummer"),
    "pool": _l("Pool"),
    "kind": _l("Art"),
    "status": _l("Status"),
    "name": _l("Name"),
    "email": _l("E-Mail-Adresse"),
    "phone": _l("Telefon"),
    "gender": _l("Geschlecht"),
    "german_level": _l("Deutschkenntnisse"),
    "birth_year": _l("Geburtsjahr"),
    "adult_confirmed": _l("Volljährig bestätigt"),
    "municipalities": _l("Orte"),
    "travel_km": _l("Kilometer"),
    "mode_in_person": _l("Vor Ort"),
    "mode_phone": _l("Telefon-Einsätze"),
    "mode_video": _l("Video-Einsätze"),
    "monthly_cap": _l("Höchstens Einsätze im Monat"),
    "notes": _l("Notizen"),
    "data_consent_at": _l("Einwilligung Datenschutz"),
    "interview_on": _l("Erstgespräch"),
    "confidentiality_signed_on": _l("Verschwiegenheitserklärung"),
    "obligation_on": _l("Förmliche Verpflichtung"),
    "police_certificate_seen_on": _l("Führungszeugnis gesehen am"),
    "police_certificate_no_entry": _l("Führungszeugnis ohne Eintrag"),
    "supervisor_release_by": _l("Freistellung durch"),
    "supervisor_release_until": _l("Freistellung bis"),
    "staff_consent_at": _l("Einwilligung als Mitarbeiter:in"),
    "paused_until": _l("Pause bis"),
    "availability_reviewed_at": _l("Verfügbarkeit zuletzt geprüft"),
    "deployable": _l("Einsetzbar"),
    "created_at": _l("Angelegt"),
    "updated_at": _l("Geändert"),
    "locale": _l("Sprache der Oberfläche"),
    "last_login_at": _l("Letzte Anmeldung"),
    "roles": _l("Rollen"),
    "calendar_feed": _l("Kalender-Abo"),
    "language_code": _l("Sprache"),
    "level": _l("Niveau"),
    "dialects": _l("Dialekte"),
    "training": _l("Schulung"),
    "completed_on": _l("Abgeschlossen am"),
    "expires_on": _l("Gültig bis"),
    "guideline": _l("Leitlinie"),
    "version": _l("Fassung"),
    "acknowledged_at": _l("Bestätigt am"),
    "weekday": _l("Wochentag"),
    "start": _l("Beginn"),
    "end": _l("Ende"),
    "start_date": _l("Von"),
    "end_date": _l("Bis"),
    "note": _l("Notiz"),
    "assignment_id": _l("Einsatz Nr."),
    "urgent": _l("Bitte bald melden"),
    "done": _l("Erledigt"),
    "done_at": _l("Erledigt am"),
    "from_status": _l("Vorher"),
    "to_status": _l("Nachher"),
    "reason": _l("Grund"),
    "at": _l("Zeitpunkt"),
    "expires_at": _l("Läuft ab"),
    "responded_at": _l("Beantwortet"),
    "decline_reason": _l("Grund der Absage"),
    "request": _l("Anfrage"),
    "starts_at": _l("Beginn"),
    "ends_at": _l("Ende"),
    "cancelled_at": _l("Abgesagt am"),
    "cancelled_by": _l("Abgesagt von"),
    "short_notice": _l("Kurzfristig"),
    "mediator_outcome": _l("Ihre Meldung"),
    "mediator_duration_minutes": _l("Ihre Dauer (Minuten)"),
    "office_outcome": _l("Meldung der Dienststelle"),
    "feedback_rating": _l("Bewertung"),
    "attendance_confirmed_at": _l("Teilnahme bestätigt"),
    "completed_at": _l("Abgeschlossen"),
    "subject": _l("Betreff"),
    "recipient": _l("Empfänger"),
    "sent_at": _l("Gesendet"),
    "action": _l("Aktion"),
    "object_type": _l("Art des Objekts"),
    "object_id": _l("Nummer des Objekts"),
    "details": _l("Details"),
}
