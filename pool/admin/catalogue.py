"""Admin pages for the registry's catalogues: trainings, guidelines and domains.

They add routes to the admin blueprint. Every view: load → authorise (admins only) → validate →
call a service (``pool/services/catalogue.py``) → commit → flash → redirect; forms with errors are
shown again with status 400 and keep what was typed.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select

from pool.admin.catalogue_forms import DomainForm, GuidelineForm, NewTrainingForm, TrainingForm
from pool.admin.routes import _actor, _get_or_404, bp
from pool.db import db_session, utcnow
from pool.enums import MediatorStatus, Role
from pool.forms import choices, has_forbidden_characters, save
from pool.i18n import current_language
from pool.i18n import gettext as _
from pool.markdown import render_markdown
from pool.models import Domain, Guideline, GuidelineAcknowledgement, Mediator, Training
from pool.models.mediators import BASE_DOMAINS
from pool.permissions import roles_required
from pool.services import catalogue


def _status(form_sent: bool) -> int:
    return 400 if form_sent else 200


def _domains() -> list[Domain]:
    return list(db_session().scalars(select(Domain).order_by(Domain.name_de)))


def domain_name(domain: Domain) -> str:
    return domain.name_en if current_language() == "en" else domain.name_de


# --- trainings ------------------------------------------------------------------------------------


@bp.get("/trainings")
@roles_required(Role.ADMIN)
def trainings():
    rows = db_session().scalars(select(Training).order_by(Training.name)).all()
    names = {d.code: domain_name(d) for d in _domains()}
    return render_template("admin/catalogue/trainings.html", trainings=rows, domain_names=names)


def _training_form(form_class, training: Training | None):
    form = form_class(obj=training) if training is not None else form_class()
    form.unlocks_domains.choices = choices((d.code, domain_name(d)) for d in _domains())
    if request.method == "GET" and training is not None:
        form.unlocks_domains.data = list(training.unlocks_domains or [])
    return form


def _training_values(form: TrainingForm) -> dict:
    return {
        "name": form.name.data,
        "validity_months": form.validity_months.data,
        "mandatory": form.mandatory.data,
        "unlocks_domains": form.unlocks_domains.data or [],
        "active": form.active.data,
    }


@bp.route("/trainings/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def training_new():
    form = _training_form(NewTrainingForm, None)
    if form.validate_on_submit():
        saved, training = save(
            form,
            lambda: catalogue.create_training(
                db_session(),
                actor=_actor(),
                code=form.code.data,
                now=utcnow(),
                **_training_values(form),
            ),
        )
        if saved:
            flash(_("Die Schulung %(name)s ist angelegt.", name=training.name), "success")
            return redirect(url_for("admin.trainings"))
    return render_template("admin/catalogue/training_form.html", form=form, training=None), _status(
        request.method == "POST"
    )


@bp.route("/trainings/<int:training_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def training_edit(training_id: int):
    training = _get_or_404(Training, training_id)
    form = _training_form(TrainingForm, training)
    if form.validate_on_submit():
        saved, changed = save(
            form,
            lambda: catalogue.update_training(
                db_session(),
                actor=_actor(),
                training=training,
                now=utcnow(),
                **_training_values(form),
            ),
        )
        if saved:
            if changed:
                flash(
                    _("Die Änderungen an %(name)s sind gespeichert.", name=training.name),
                    "success",
                )
            else:
                flash(_("Sie haben nichts geändert."), "info")
            return redirect(url_for("admin.trainings"))
    return render_template(
        "admin/catalogue/training_form.html", form=form, training=training
    ), _status(request.method == "POST")


# --- guidelines -----------------------------------------------------------------------------------


def _acknowledgement_counts(guideline_ids: list[int]) -> dict[int, int]:
    """How many active mediators acknowledged each of the guideline versions."""
    if not guideline_ids:
        return {}
    rows = db_session().execute(
        select(GuidelineAcknowledgement.guideline_id, func.count(GuidelineAcknowledgement.id))
        .join(Mediator, Mediator.id == GuidelineAcknowledgement.mediator_id)
        .where(
            GuidelineAcknowledgement.guideline_id.in_(guideline_ids),
            Mediator.status == MediatorStatus.ACTIVE,
        )
        .group_by(GuidelineAcknowledgement.guideline_id)
    )
    return dict(rows.all())


def _active_mediators() -> int:
    return (
        db_session().scalar(
            select(func.count(Mediator.id)).where(Mediator.status == MediatorStatus.ACTIVE)
        )
        or 0
    )


@bp.get("/guidelines")
@roles_required(Role.ADMIN)
def guidelines():
    rows = (
        db_session()
        .scalars(select(Guideline).where(Guideline.current.is_(True)).order_by(Guideline.title))
        .all()
    )
    return render_template(
        "admin/catalogue/guidelines.html",
        guidelines=rows,
        acknowledged=_acknowledgement_counts([g.id for g in rows]),
        active_mediators=_active_mediators(),
    )


@bp.get("/guidelines/<int:guideline_id>")
@roles_required(Role.ADMIN)
def guideline_detail(guideline_id: int):
    guideline = _get_or_404(Guideline, guideline_id)
    versions = (
        db_session()
        .scalars(
            select(Guideline)
            .where(Guideline.code == guideline.code)
            .order_by(Guideline.version.desc())
        )
        .all()
    )
    return render_template(
        "admin/catalogue/guideline_detail.html",
        guideline=guideline,
        body=render_markdown(guideline.body_markdown),
        versions=versions,
        acknowledged=_acknowledgement_counts([v.id for v in versions]),
        active_mediators=_active_mediators(),
    )


def _preset_code() -> str | None:
    """The code of an existing guideline to publish a new version of (``?code=…``)."""
    code = request.args.get("code", "")
    if not code or len(code) > 40 or has_forbidden_characters(code):
        return None
    return code


@bp.route("/guidelines/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def guideline_new():
    s = db_session()
    form = GuidelineForm()
    previous = None
    if request.method == "GET":
        code = _preset_code()
        previous = catalogue.current_guideline(s, code) if code else None
        if previous is not None:
            form.code.data = previous.code
            form.title.data = previous.title
            form.body_markdown.data = previous.body_markdown
            form.mandatory.data = previous.mandatory
    preview = None
    if form.validate_on_submit():
        previous = catalogue.current_guideline(s, form.code.data)
        if form.preview.data:
            preview = render_markdown(form.body_markdown.data)
        else:
            assert form.title.data is not None and form.body_markdown.data is not None  # required
            saved, guideline = save(
                form,
                lambda: catalogue.publish_guideline(
                    s,
                    actor=_actor(),
                    code=form.code.data,
                    title=form.title.data,
                    body_markdown=form.body_markdown.data,
                    mandatory=form.mandatory.data,
                    now=utcnow(),
                ),
            )
            if saved:
                _flash_published(guideline)
                return redirect(url_for("admin.guideline_detail", guideline_id=guideline.id))
    elif request.method == "POST" and form.code.data and not form.code.errors:
        previous = catalogue.current_guideline(s, form.code.data)
    status = 200 if request.method == "GET" or preview is not None else 400
    return render_template(
        "admin/catalogue/guideline_form.html", form=form, previous=previous, preview=preview
    ), status


def _flash_published(guideline: Guideline) -> None:
    if guideline.version == 1:
        flash(_("Die Leitlinie „%(title)s“ ist veröffentlicht.", title=guideline.title), "success")
    elif guideline.mandatory:
        flash(
            _(
                "Fassung %(version)d von „%(title)s“ ist veröffentlicht. Alle "
                "Sprachmittler:innen müssen die neue Fassung bestätigen. Bis dahin können sie "
                "nicht eingesetzt werden.",
                version=guideline.version,
                title=guideline.title,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Fassung %(version)d von „%(title)s“ ist veröffentlicht.",
                version=guideline.version,
                title=guideline.title,
            ),
            "success",
        )


# --- domains --------------------------------------------------------------------------------------


@bp.route("/domains", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def domains():
    form = DomainForm()
    if form.validate_on_submit():
        assert form.name_de.data is not None and form.name_en.data is not None  # required fields
        saved, domain = save(
            form,
            lambda: catalogue.add_domain(
                db_session(),
                actor=_actor(),
                code=form.code.data,
                name_de=form.name_de.data,
                name_en=form.name_en.data,
            ),
        )
        if saved:
            flash(_("Der Bereich %(name)s ist hinzugefügt.", name=domain.name_de), "success")
            return redirect(url_for("admin.domains"))
    return render_template(
        "admin/catalogue/domains.html",
        form=form,
        domains=_domains(),
        base_domains=set(BASE_DOMAINS),
    ), _status(request.method == "POST")
