"""The mediator's "Ich komme": the page the first reminder links to, and the same button on the
mediator's assignment page.

The link carries a signed token (pool/services/reminders.py) naming the assignment and the start
it was sent for, valid until the start. The token is the proof, so the page needs no sign-in (the
mediator may read the mail on a phone) and shows only what the reminder mail already contains.
Opening the link changes nothing (mail scanners open links); only the button does (a POST with
CSRF). A second press says it was confirmed already.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from pool.db import db_session, utcnow
from pool.enums import Role
from pool.i18n import current_language
from pool.i18n import gettext as _
from pool.models import Assignment
from pool.permissions import load_assignment, roles_required
from pool.requests import bp
from pool.services import booking, reminders


def _closed_page(title: str, text: str, status: int):
    response = render_template("requests/attendance_closed.html", title=title, text=text)
    return response, status, {"Cache-Control": "no-store"}


def _check(assignment: Assignment | None, current: bool):
    """The page for a link that cannot be used (any more), or None."""
    if assignment is None:
        return _closed_page(
            _("Dieser Link ist ungültig"),
            _("Der Link ist unvollständig, falsch oder zu alt. Bitte nutzen Sie den Link aus "
              "Ihrer neuesten Erinnerung oder melden Sie sich an."),
            404,
        )  # fmt: skip
    closed = reminders.attendance_closed(assignment, utcnow())
    if closed == "cancelled":
        return _closed_page(
            _("Dieser Einsatz wurde abgesagt"),
            _("Sie müssen nichts weiter tun. Sie haben dazu eine Nachricht bekommen."),
            410,
        )
    if closed == "started":
        return _closed_page(
            _("Der Termin hat schon begonnen"),
            _("Bestätigen können Sie nur vor dem Termin."),
            410,
        )
    if not current:
        return _closed_page(
            _("Der Termin wurde verschoben"),
            _("Dieser Link gilt für die alte Zeit. Bitte nutzen Sie den Link aus Ihrer neuesten "
              "Erinnerung."),
            410,
        )  # fmt: skip
    return None


def _page(assignment: Assignment, state: str):
    s = db_session()
    r = booking.summary(s, assignment.request, current_language())
    html = render_template("requests/attendance.html", r=r, state=state)
    return html, 200, {"Cache-Control": "no-store"}


@bp.get("/attendance/<token>")
def attendance(token: str):
    assignment, current = reminders.assignment_for_token(db_session(), token)
    problem = _check(assignment, current)
    if problem is not None:
        return problem
    assert assignment is not None  # _check answered for a missing one
    return _page(assignment, "already" if assignment.attendance_confirmed_at else "ask")


@bp.post("/attendance/<token>")
def attendance_confirm(token: str):
    s = db_session()
    assignment, current = reminders.assignment_for_token(s, token)
    problem = _check(assignment, current)
    if problem is not None:
        return problem
    assert assignment is not None  # _check answered for a missing one
    # The CSRF token was checked before the view (CSRFProtect); there is nothing else to enter.
    confirmed = reminders.confirm_attendance(
        s, assignment=assignment, actor_id=assignment.mediator.user_id, now=utcnow(), via="link"
    )
    s.commit()
    return _page(assignment, "thanks" if confirmed else "already")


@bp.post("/assignments/<int:assignment_id>/attendance")
@roles_required(Role.MEDIATOR)
def assignment_attendance(assignment_id: int):
    s = db_session()
    assignment = load_assignment(s, current_user, assignment_id, need="mediator")
    now = utcnow()
    if reminders.attendance_closed(assignment, now):
        flash(_("Bestätigen können Sie nur vor dem Termin."), "error")
    elif reminders.confirm_attendance(
        s, assignment=assignment, actor_id=current_user.id, now=now, via="assignment_page"
    ):
        s.commit()
        flash(_("Danke! Sie haben bestätigt, dass Sie kommen."), "success")
    else:
        flash(_("Sie haben schon bestätigt, dass Sie kommen. Danke!"), "success")
    return redirect(url_for("requests.assignment_detail", assignment_id=assignment.id))
