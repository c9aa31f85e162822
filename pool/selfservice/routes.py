"""A mediator's own pages: profile, guidelines, availability; and the coordinator's version of
the availability page (on a mediator's behalf, noted in the audit).

Every view: load → authorise → validate → call a service → commit → flash → redirect. Forms with
errors are shown again with status 400 and keep what was typed.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pool.db import db_session, utcnow
from pool.deployability import acknowledgement_expired, acknowledgement_valid_until
from pool.enums import Role
from pool.forms import ConfirmForm, save
from pool.i18n import current_language
from pool.i18n import gettext as _
from pool.labels import KIND_LABELS, MODE_LABELS, STATUS_LABELS, WEEKDAY_LABELS
from pool.labels import LEVEL_DESCRIPTIONS as LEVEL_LABELS
from pool.markdown import render_markdown
from pool.models import Domain, Guideline, Mediator, TrainingRecord, User
from pool.permissions import load_mediator, own_mediator, roles_required
from pool.selfservice.forms import (
    AvailabilityForm,
    ProfileForm,
    add_empty_rows,
    add_row,
    split_municipalities,
)
from pool.services import ServiceError
from pool.services import mediators as registry
from pool.services.mediators import AbsenceValue, LanguageSkill, Window, today_in_berlin

bp = Blueprint("me", __name__)

MAX_ID = 2**31 - 1


def _actor() -> User:
    return current_user._get_current_object()


def _no_record():
    return render_template("selfservice/no_record.html")


def labels() -> dict:
    """Display names of the registry's codes for the templates."""
    return {
        "status": STATUS_LABELS,
        "kind": KIND_LABELS,
        "mode": MODE_LABELS,
        "level": LEVEL_LABELS,
        "weekday": WEEKDAY_LABELS,
    }


# Trainings expiring within this many days are highlighted (text and icon, not colour alone).
EXPIRES_SOON_DAYS = 60


def training_overview(mediator: Mediator, today: date) -> list[dict]:
    """The newest record of each training the mediator has, with its state on ``today``:
    "valid", "soon" (expires within EXPIRES_SOON_DAYS) or "expired"."""
    newest: dict[int, TrainingRecord] = {}
    for record in mediator.training_records:
        known = newest.get(record.training_id)
        if known is None or record.completed_on > known.completed_on:
            newest[record.training_id] = record
    rows = []
    for record in newest.values():
        expires = record.expires_on
        if expires is None or expires > today + timedelta(days=EXPIRES_SOON_DAYS):
            state = "valid"
        elif expires >= today:
            state = "soon"
        else:
            state = "expired"
        rows.append({"record": record, "training": record.training, "state": state})
    return sorted(rows, key=lambda r: r["training"].name)


# --- profile --------------------------------------------------------------------------------------


def _domain_pairs(session) -> list[tuple[str, str]]:
    english = current_language() == "en"
    return [
        (d.code, d.name_en if english else d.name_de)
        for d in session.scalars(select(Domain).order_by(Domain.name_de))
    ]


def _profile_data(mediator: Mediator) -> dict:
    return {
        "phone": mediator.phone or "",
        "languages": [
            {"code": row.language_code, "level": row.level, "dialects": ", ".join(row.dialects)}
            for row in mediator.languages
        ],
        "german_level": mediator.german_level or "",
        "modes": mediator.modes,
        "domains": mediator.domain_codes,
        "municipalities": "\n".join(mediator.municipalities or []),
        "travel_km": mediator.travel_km,
        "monthly_cap": mediator.monthly_cap,
        "gender": mediator.gender or "",
    }


def _profile_values(form: ProfileForm) -> dict:
    rows = [entry.form for entry in form.languages if not entry.form.is_empty()]
    return {
        "phone": form.phone.data or None,
        "languages": [LanguageSkill(r.code.data, r.level.data, r.dialect_list()) for r in rows],
        "german_level": form.german_level.data or None,
        "modes": list(form.modes.data or []),
        "domains": list(form.domains.data or []),
        "municipalities": split_municipalities(form.municipalities.data),
        "travel_km": form.travel_km.data,
        "monthly_cap": form.monthly_cap.data,
        "gender": form.gender.data or None,
    }


@bp.route("/me/profile", methods=["GET", "POST"])
@roles_required(Role.MEDIATOR)
def profile():
    s = db_session()
    mediator = own_mediator(s, current_user)
    if mediator is None:
        return _no_record()
    posted = request.method == "POST"
    form = ProfileForm(
        data=None if posted else _profile_data(mediator), domain_pairs=_domain_pairs(s)
    )
    status = 200
    if posted and form.add_language.data:
        if not add_row(form.languages):
            flash(_("Mehr Sprachen passen nicht in das Formular."), "error")
    elif posted:
        if (
            form.validate()
            and save(
                form,
                lambda: registry.update_mediator(
                    s,
                    actor=_actor(),
                    mediator=mediator,
                    values=_profile_values(form),
                    now=utcnow(),
                    as_self=True,
                ),  # fmt: skip
            )[0]
        ):
            flash(_("Ihre Angaben sind gespeichert."), "success")
            return redirect(url_for("me.profile"))
        status = 400
    add_empty_rows(form.languages, 1)
    return (
        render_template(
            "selfservice/profile.html",
            form=form,
            mediator=mediator,
            labels=labels(),
            trainings=training_overview(mediator, today_in_berlin(utcnow())),
        ),
        status,
    )


# --- guidelines -----------------------------------------------------------------------------------


@bp.get("/me/guidelines")
@roles_required(Role.MEDIATOR)
def guidelines():
    s = db_session()
    mediator = own_mediator(s, current_user)
    if mediator is None:
        return _no_record()
    current = s.scalars(
        select(Guideline)
        .where(Guideline.current.is_(True))
        .order_by(Guideline.mandatory.desc(), Guideline.title, Guideline.id)
    ).all()
    acknowledged = {a.guideline_id: a for a in mediator.acknowledgements}
    today = today_in_berlin(utcnow())
    items = []
    for g in current:
        ack = acknowledged.get(g.id)
        items.append(
            {
                "guideline": g,
                "html": render_markdown(g.body_markdown),
                "ack": ack,
                "valid_until": ack and acknowledgement_valid_until(ack, g),
                "expired": ack is not None and acknowledgement_expired(ack, g, today),
            }
        )
    history = sorted(mediator.acknowledgements, key=lambda a: a.acknowledged_at, reverse=True)
    return render_template(
        "selfservice/guidelines.html",
        items=items,
        history=history,
        form=ConfirmForm(formdata=None),
        mediator=mediator,
    )


@bp.post("/me/guidelines/<int:guideline_id>/acknowledge")
@roles_required(Role.MEDIATOR)
def acknowledge(guideline_id: int):
    s = db_session()
    mediator = own_mediator(s, current_user)
    if mediator is None:
        abort(404)
    guideline = s.get(Guideline, guideline_id) if 0 < guideline_id <= MAX_ID else None
    if guideline is None:
        abort(404)
    if not ConfirmForm().validate():
        flash(_("Die Seite war zu lange offen. Bitte versuchen Sie es noch einmal."), "error")
        return redirect(url_for("me.guidelines"))
    try:
        registry.acknowledge_guideline(s, mediator=mediator, guideline=guideline, now=utcnow())
        s.commit()
    except ServiceError as exc:
        s.rollback()
        flash(exc.message, "error")
    except IntegrityError:  # a double click: the first one counted
        s.rollback()
    else:
        flash(_("Danke! Sie haben „%(title)s“ bestätigt.", title=guideline.title), "success")
    return redirect(url_for("me.guidelines"))


# --- availability ---------------------------------------------------------------------------------


def _availability_data(mediator: Mediator) -> dict:
    return {
        "weekly": [
            {"weekday": str(w.weekday), "start": w.start, "end": w.end}
            for w in mediator.availability
        ],
        "absences": [
            {"start_date": a.start_date, "end_date": a.end_date, "note": a.note or ""}
            for a in mediator.absences
        ],
        "paused_until": mediator.paused_until,
    }


def _availability_page(mediator: Mediator, *, on_behalf: bool, self_url: str):
    s = db_session()
    now = utcnow()
    posted = request.method == "POST"
    form = AvailabilityForm(
        data=None if posted else _availability_data(mediator), today=today_in_berlin(now)
    )
    status = 200
    if posted and (form.add_window.data or form.add_absence.data):
        rows = form.weekly if form.add_window.data else form.absences
        if not add_row(rows):
            flash(_("Mehr Zeilen passen nicht in das Formular."), "error")
    elif posted:
        if form.validate():
            # A kept row has passed its checks: both times, both days are there.
            weekly = []
            for r in form.kept_windows():
                assert r.start.data is not None and r.end.data is not None
                weekly.append(Window(int(r.weekday.data), r.start.data, r.end.data))
            absences = []
            for a in form.kept_absences():
                assert a.start_date.data is not None and a.end_date.data is not None
                absences.append(
                    AbsenceValue(a.start_date.data, a.end_date.data, a.note.data or None)
                )
            paused_until = None if form.end_pause.data else form.paused_until.data
            if save(
                form,
                lambda: registry.set_availability(
                    s,
                    actor=_actor(),
                    mediator=mediator,
                    weekly=weekly,
                    absences=absences,
                    paused_until=paused_until,
                    now=now,
                ),  # fmt: skip
            )[0]:
                if on_behalf:
                    message = _(
                        "Die Verfügbarkeit von %(name)s ist gespeichert.", name=mediator.name
                    )
                else:
                    message = _("Ihre Verfügbarkeit ist gespeichert.")
                flash(message, "success")
                return redirect(self_url)
        status = 400
    add_empty_rows(form.weekly)
    add_empty_rows(form.absences, 1)
    return (
        render_template(
            "selfservice/availability.html",
            form=form,
            mediator=mediator,
            on_behalf=on_behalf,
            action=self_url,
            labels=labels(),
        ),
        status,
    )


@bp.route("/me/availability", methods=["GET", "POST"])
@roles_required(Role.MEDIATOR)
def availability():
    mediator = own_mediator(db_session(), current_user)
    if mediator is None:
        return _no_record()
    return _availability_page(mediator, on_behalf=False, self_url=url_for("me.availability"))


@bp.route("/mediators/<int:mediator_id>/availability", methods=["GET", "POST"])
@roles_required(Role.COORDINATOR, Role.ADMIN)
def availability_for(mediator_id: int):
    mediator = load_mediator(db_session(), current_user, mediator_id, need="manage")
    return _availability_page(
        mediator,
        on_behalf=mediator.user_id != current_user.id,
        self_url=url_for("me.availability_for", mediator_id=mediator.id),
    )
