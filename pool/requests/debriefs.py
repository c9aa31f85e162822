"""Debrief requests: the mediator's button on the assignment page and the coordinators' list.

Only coordinators of the request's pool see a debrief request and its note: not the office,
not other pools, and not an admin who does not coordinate that pool (pool/services/debriefs.py).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import BooleanField, TextAreaField
from wtforms.validators import Length, Optional

from pool.db import db_session, utcnow
from pool.enums import Role
from pool.forms import BaseForm, add_form_error
from pool.i18n import gettext as _
from pool.i18n import lazy_gettext as _l
from pool.models import DebriefRequest
from pool.permissions import deny, load_assignment, own_mediator, roles_required
from pool.requests import bp
from pool.services import debriefs
from pool.services.debriefs import MAX_NOTE, AlreadyRequested, DebriefError


class DebriefForm(BaseForm):
    debrief_note = TextAreaField(
        _l("Kurze Notiz (freiwillig)"),
        validators=[Optional(), Length(max=MAX_NOTE, message=_l("Höchstens 1000 Zeichen."))],
        description=_l(
            "Worum geht es, kurz? Bitte keine Namen und keine Angaben zur Gesundheit "
            "eintragen. Nur die Koordination Ihres Pools liest die Notiz."
        ),  # fmt: skip
        render_kw={"rows": 3},
    )
    debrief_urgent = BooleanField(_l("Bitte bald melden"))


def load_debrief(session, user, debrief_id: int) -> DebriefRequest:
    """A debrief request for a coordinator of its pool; 404 if missing, else 403."""
    debrief = session.get(DebriefRequest, debrief_id) if 0 < debrief_id < 2**31 else None
    if debrief is None:
        abort(404)
    if debrief.pool_id not in user.coordinated_pool_ids:
        deny("debrief_request", debrief_id)
    return debrief


@bp.post("/assignments/<int:assignment_id>/debrief")
@roles_required(Role.MEDIATOR)
def assignment_debrief(assignment_id: int):
    from pool.requests.mediator import _assignment_page

    s = db_session()
    assignment = load_assignment(s, current_user, assignment_id, need="mediator")
    form = DebriefForm()
    if not form.validate():
        return _assignment_page(assignment, debrief=form, status=400)
    mediator = own_mediator(s, current_user)
    assert mediator is not None  # load_assignment found the user's own assignment
    try:
        debriefs.request_debrief(
            s, actor=current_user._get_current_object(), mediator=mediator,
            assignment=assignment, note=form.debrief_note.data,
            urgent=bool(form.debrief_urgent.data), now=utcnow(),
        )  # fmt: skip
        s.commit()
    except AlreadyRequested as exc:
        s.rollback()
        flash(exc.message, "success")
        return redirect(url_for("requests.assignment_detail", assignment_id=assignment_id))
    except DebriefError as exc:
        s.rollback()
        add_form_error(form, exc.message, "debrief_note" if exc.field else None)
        return _assignment_page(assignment, debrief=form, status=400)
    flash(_("Danke. Die Koordination hat Ihren Gesprächswunsch bekommen und meldet sich bei "
            "Ihnen."), "success")  # fmt: skip
    return redirect(url_for("requests.assignment_detail", assignment_id=assignment_id))


@bp.get("/debriefs", endpoint="debriefs")
@roles_required(Role.COORDINATOR)
def debriefs_list():
    s = db_session()
    items = debriefs.for_pools(s, current_user.coordinated_pool_ids)
    return render_template(
        "requests/debriefs.html",
        open_items=[d for d in items if d.done_at is None],
        done_items=[d for d in items if d.done_at is not None],
    )


@bp.post("/debriefs/<int:debrief_id>/done")
@roles_required(Role.COORDINATOR)
def debrief_done(debrief_id: int):
    s = db_session()
    debrief = load_debrief(s, current_user, debrief_id)
    changed = debriefs.mark_done(
        s, actor=current_user._get_current_object(), debrief=debrief, now=utcnow()
    )
    s.commit()
    flash(_("Als erledigt markiert.") if changed else _("Das war schon erledigt."), "success")
    return redirect(url_for("requests.debriefs"))
