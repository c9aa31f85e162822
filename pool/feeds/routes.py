"""``/kalender``: mediators and caseworkers subscribe to their assignments in their own calendar
program through a secret address (pool/calendar.py). The address is shown once, when it is made;
it can be renewed (the old one stops working at once) or switched off.

``/kalender/<token>.ics`` needs no sign-in: calendar programs cannot sign in. An unknown token
answers 404 and nothing about the token is logged.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from pool import calendar
from pool.db import db_session, utcnow
from pool.enums import Role
from pool.forms import ConfirmForm
from pool.i18n import gettext as _
from pool.models import User
from pool.permissions import roles_required
from pool.urls import external_url

bp = Blueprint("feeds", __name__)

ROLES = (Role.MEDIATOR, Role.CASEWORKER)


def _actor() -> User:
    return current_user._get_current_object()


def _page(feed_url: str | None = None, status: int = 200):
    user = _actor()
    return render_template(
        "feeds/index.html",
        form=ConfirmForm(),
        active=user.calendar_token_hash is not None,
        since=user.calendar_token_created_at,
        feed_url=feed_url,
        as_caseworker=user.has_role(Role.CASEWORKER),
        as_mediator=user.has_role(Role.MEDIATOR),
    ), status


@bp.get("/kalender")
@roles_required(*ROLES)
def index():
    return _page()


@bp.post("/kalender/adresse")
@roles_required(*ROLES)
def create():
    if not ConfirmForm().validate():
        flash(_("Die Seite war zu lange offen. Bitte versuchen Sie es noch einmal."), "error")
        return redirect(url_for("feeds.index"))
    session = db_session()
    token = calendar.create_feed_token(session, user=_actor(), now=utcnow())
    session.commit()
    # Shown in this answer only: the database keeps nothing but the hash.
    return _page(feed_url=external_url("feeds.feed", token=token))


@bp.post("/kalender/aus")
@roles_required(*ROLES)
def disable():
    if not ConfirmForm().validate():
        flash(_("Die Seite war zu lange offen. Bitte versuchen Sie es noch einmal."), "error")
        return redirect(url_for("feeds.index"))
    session = db_session()
    calendar.disable_feed(session, user=_actor())
    session.commit()
    flash(_("Das Kalender-Abo ist ausgeschaltet. Die Adresse funktioniert nicht mehr."), "success")
    return redirect(url_for("feeds.index"))


@bp.get("/kalender/<token>.ics")
def feed(token: str):
    session = db_session()
    user = calendar.user_for_token(session, token)
    if user is None:
        abort(404)
    body = calendar.feed(session, user, utcnow())
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="einsaetze.ics"'
    # Calendar programs ask every few minutes; nothing shared may keep a copy.
    response.headers["Cache-Control"] = "private, max-age=300"
    response.headers["X-Robots-Tag"] = "noindex"
    return response
