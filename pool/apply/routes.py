"""The public page "Sprachmittler:in werden": what the pool is, who can join, and a short
application form. No sign-in. The same e-mail address twice gets the same thank-you page as a
first application, so the page does not tell strangers who has applied."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pool import audit
from pool.apply.forms import APPLY_LANGUAGE_ROWS, ApplicationForm
from pool.db import db_session, utcnow
from pool.enums import ThrottleKind
from pool.i18n import gettext as _
from pool.models import Pool
from pool.security import client_address
from pool.selfservice.forms import add_empty_rows, add_row, split_municipalities
from pool.services import throttle
from pool.services.mediators import LanguageSkill, MediatorError
from pool.services.mediators import apply as apply_as_mediator
from pool.services.throttle import minutes_of

bp = Blueprint("apply", __name__)


def _pools() -> list[Pool]:
    return list(db_session().scalars(select(Pool).order_by(Pool.name)))


def _values(form: ApplicationForm, now) -> dict:
    rows = [entry.form for entry in form.languages if not entry.form.is_empty()]
    return {
        "name": form.name.data,
        "email": form.email.data,
        "phone": form.phone.data or None,
        "birth_year": form.birth_year.data,
        "adult_confirmed": bool(form.adult_confirmed.data),
        "languages": [LanguageSkill(r.code.data, r.level.data, r.dialect_list()) for r in rows],
        "german_level": form.german_level.data,
        "municipalities": split_municipalities(form.municipalities.data),
        "modes": list(form.modes.data or []),
        "notes": form.times.data or None,
        "data_consent_at": now if form.consent.data else None,
    }


def _add_error(form: ApplicationForm, message: str, field_name: str | None) -> None:
    field = getattr(form, field_name, None) if field_name else None
    if field_name == "data_consent":
        field = form.consent
    if field is not None and field.type != "FieldList":
        field.errors = [*field.errors, message]
    else:
        form.form_errors.append(message)


@bp.route("/", methods=["GET", "POST"])
def index():
    s = db_session()
    pools = _pools()
    form = ApplicationForm(pool_pairs=[(p.id, p.name) for p in pools])
    if len(pools) == 1 and request.method == "GET":
        form.pool_id.data = pools[0].id
    status = 200
    if request.method == "POST" and form.add_language.data:
        if not add_row(form.languages):
            flash(_("Mehr Sprachen passen nicht in das Formular."), "error")
    elif request.method == "POST":
        status = 400
        if form.validate():
            assert form.email.data is not None  # a required field
            now = utcnow()
            wait = throttle.take(
                s, ThrottleKind.APPLY, form.email.data, address=client_address(), now=now
            )
            s.commit()  # the use counts even when the application is refused below
            if wait is not None:
                form.form_errors.append(
                    _(
                        "Von dieser Adresse oder diesem Anschluss kamen gerade zu viele "
                        "Bewerbungen. Bitte versuchen Sie es in %(minutes)s Minuten noch einmal.",
                        minutes=minutes_of(wait),
                    )
                )
                status = 429
            else:
                pool = next(p for p in pools if p.id == form.pool_id.data)
                try:
                    apply_as_mediator(s, pool=pool, values=_values(form, now), now=now)
                    s.commit()
                except MediatorError as exc:
                    s.rollback()
                    if exc.field == "email":  # applied before, or already in the pool
                        return _already_known(s)
                    _add_error(form, exc.message, exc.field)
                except IntegrityError:  # the same address sent twice at the same moment
                    s.rollback()
                    return _already_known(s)
                else:
                    return redirect(url_for("apply.thanks"))
    add_empty_rows(form.languages, APPLY_LANGUAGE_ROWS - _filled_rows(form))
    levels = sorted({p.min_german_level for p in pools})
    return render_template("apply/index.html", form=form, pools=pools, levels=levels), status


def _filled_rows(form: ApplicationForm) -> int:
    return sum(1 for entry in form.languages if not entry.form.is_empty())


def _already_known(s):
    """Answer as after a first application: whether an address is known stays private."""
    audit.record(s, None, "mediator.application_repeated", "mediator", None)
    s.commit()
    return redirect(url_for("apply.thanks"))


@bp.get("/danke")
def thanks():
    return render_template("apply/thanks.html")
