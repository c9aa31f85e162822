"""Hotline pages: the mediator's switch (``/erreichbar``) and the caseworkers' search
(``/jetzt-dolmetschen``) with "Ich habe X angerufen".

Every view: load → authorise → validate → call pool/services/hotline.py → commit → flash →
redirect. The language is a query parameter (a code, not personal data).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from pool.db import db_session, utcnow
from pool.enums import MediatorKind, Role
from pool.forms import ConfirmForm, add_form_error, save
from pool.hotline.forms import CallForm, PhoneConsentForm, ReachableForm
from pool.i18n import BERLIN, current_language, format_when
from pool.i18n import gettext as _
from pool.languages import is_known, language_name, languages
from pool.models import Mediator, Office, Pool, User
from pool.permissions import deny, own_mediator, roles_required
from pool.services import ServiceError, hotline

bp = Blueprint("hotline", __name__)

MAX_ID = 2**31 - 1


def _actor() -> User:
    return current_user._get_current_object()


# --- the mediator's switch ------------------------------------------------------------------------


def _until(form: ReachableForm, now: datetime) -> datetime | Literal[False] | None:
    """The chosen end (None: until switched off); False with an error on the form."""
    choice = form.duration.data
    if choice == "open":
        return None
    if choice == "time":
        hour, minute = form.clock()
        local = now.astimezone(BERLIN)
        until = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        if until <= local:
            add_form_error(form, _("Diese Uhrzeit ist heute schon vorbei."), "until_time")
            return False
        return until
    return now + timedelta(hours=int(choice))


def _reachable_page(mediator: Mediator, form: ReachableForm, consent_form, status: int = 200):
    now = utcnow()
    found = hotline.state(db_session(), mediator, now)
    texts = hotline.obstacle_texts()
    return (
        render_template(
            "hotline/reachable.html",
            mediator=mediator,
            on=hotline.switched_on(mediator, now),
            reachable=not found,
            reasons=[texts[code] for code in found if code != "switched_off"],
            until=format_when(mediator.reachable_until),
            form=form,
            consent_form=consent_form,
        ),
        status,
    )


def _consent_form(mediator: Mediator) -> PhoneConsentForm:
    form = PhoneConsentForm(formdata=None)
    form.consent.data = mediator.hotline_phone_consent_at is not None
    return form


def _own_mediator() -> Mediator | None:
    return own_mediator(db_session(), current_user)


@bp.route("/erreichbar", methods=["GET", "POST"])
@roles_required(Role.MEDIATOR)
def reachable():
    mediator = _own_mediator()
    if mediator is None:
        return render_template("selfservice/no_record.html")
    form = ReachableForm()
    if form.validate_on_submit():
        now = utcnow()
        until = _until(form, now)
        if until is not False:
            ok, _result = save(
                form,
                lambda: hotline.switch_on(
                    db_session(), actor=_actor(), mediator=mediator, until=until, now=now
                ),
            )
            if ok:
                flash(_("Sie sind jetzt als telefonisch erreichbar eingetragen."), "success")
                return redirect(url_for("hotline.reachable"))
    status = 400 if form.is_submitted() else 200
    return _reachable_page(mediator, form, _consent_form(mediator), status)


@bp.post("/erreichbar/aus")
@roles_required(Role.MEDIATOR)
def switch_off():
    mediator = _own_mediator()
    if mediator is None or not ConfirmForm().validate_on_submit():
        abort(400)
    ok, _result = save(
        ConfirmForm(formdata=None),
        lambda: hotline.switch_off(db_session(), actor=_actor(), mediator=mediator, now=utcnow()),
    )
    if ok:
        flash(_("„Telefonisch erreichbar“ ist ausgeschaltet."), "success")
    return redirect(url_for("hotline.reachable"))


@bp.post("/erreichbar/telefonnummer")
@roles_required(Role.MEDIATOR)
def phone_consent():
    mediator = _own_mediator()
    form = PhoneConsentForm()
    if mediator is None or mediator.kind != MediatorKind.VOLUNTEER or not form.validate_on_submit():
        abort(400)
    ok, _result = save(
        form,
        lambda: hotline.set_phone_consent(
            db_session(), actor=_actor(), mediator=mediator, consent=bool(form.consent.data),
            now=utcnow(),
        ),
    )  # fmt: skip
    if ok:
        flash(_("Ihre Angabe zur Telefonnummer ist gespeichert."), "success")
    return redirect(url_for("hotline.reachable"))


# --- finding someone now --------------------------------------------------------------------------


def _offices(session) -> list[Office]:
    ids = current_user.caseworker_office_ids
    if not ids:
        return []
    return list(session.scalars(select(Office).where(Office.id.in_(ids)).order_by(Office.name)))


def _int(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10:
        return None
    return int(raw) if 0 < int(raw) <= MAX_ID else None


@bp.get("/jetzt-dolmetschen")
@roles_required(Role.CASEWORKER, Role.COORDINATOR)
def find():
    session = db_session()
    offices = _offices(session)
    office_id = _int(request.args.get("office"))
    office = next((o for o in offices if o.id == office_id), offices[0] if offices else None)
    raw = (request.args.get("language") or "").strip()
    language = raw if is_known(raw) else None
    pool_ids = hotline.caller_pool_ids(current_user, office)
    found = hotline.reachable_now(session, pool_ids, language, utcnow()) if language else None
    pools = list(session.scalars(select(Pool).where(Pool.id.in_(pool_ids)).order_by(Pool.name)))
    return render_template(
        "hotline/find.html",
        languages=languages(current_language()),
        language=language,
        language_label=language_name(language, current_language()) if language else None,
        unknown_language=bool(raw) and language is None,
        offices=offices,
        office=office,
        found=found,
        pools=pools,
        call_form=CallForm(formdata=None),
        call_minutes=hotline.CALL_MINUTES,
    )


@bp.post("/jetzt-dolmetschen/anruf")
@roles_required(Role.CASEWORKER)
def record_call():
    session = db_session()
    form = CallForm()
    if not form.validate_on_submit():
        abort(400)
    office_id, mediator_id = _int(form.office_id.data), _int(form.mediator_id.data)
    language = form.language.data or ""
    if office_id is None or mediator_id is None or not is_known(language):
        abort(400)
    if office_id not in current_user.caseworker_office_ids:
        deny("office", office_id)
    office = session.get(Office, office_id)
    mediator = session.get(Mediator, mediator_id)
    if office is None or mediator is None:
        abort(404)
    back = url_for("hotline.find", language=language, office=office.id)
    try:
        assignment = hotline.record_call(
            session, actor=_actor(), office=office, mediator=mediator, language=language,
            now=utcnow(),
        )  # fmt: skip
        session.commit()
    except ServiceError as exc:
        session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    flash(
        _(
            "Der Anruf bei %(name)s ist als Einsatz eingetragen (%(n)s Minuten). Die "
            "tatsächliche Dauer können Sie nach dem Gespräch hier eintragen.",
            name=mediator.name,
            n=hotline.CALL_MINUTES,
        ),
        "success",
    )
    return redirect(url_for("requests.detail", request_id=assignment.request_id))
