"""Notification preferences (``/benachrichtigungen``) and the in-app list of messages
(``/nachrichten``): everything sent to, waiting for, or held for the signed-in user."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy import func, select

from pool.db import db_session, utcnow
from pool.enums import NotificationCategory
from pool.forms import save
from pool.i18n import gettext as _
from pool.models import OutboxMessage, User
from pool.notifications.forms import (
    DIGEST,
    IMMEDIATE_REASONS,
    NOW,
    preferences_form,
    relevant_categories,
)
from pool.notify import CATEGORIES, DIGEST_HOUR, minutes_to_time
from pool.permissions import deny
from pool.services import notices
from pool.views import page_number

bp = Blueprint("notifications", __name__)

PER_PAGE = 30
MAX_ID = 2**31 - 1
# Messages with one-time links: the list never shows their text.
SECRET_CATEGORIES = (NotificationCategory.ACCOUNT,)


def _actor() -> User:
    return current_user._get_current_object()


def _minutes(value) -> int | None:
    return None if value is None else value.hour * 60 + value.minute


@bp.route("/benachrichtigungen", methods=["GET", "POST"])
@login_required
def preferences():
    user = _actor()
    codes = relevant_categories(user)
    posted = request.method == "POST"
    data: dict[str, object] | None = None
    if not posted:
        data = {
            f"category_{code}": DIGEST if code in (user.digest_categories or ()) else NOW
            for code in codes
        }
        data["quiet_from"] = minutes_to_time(user.quiet_from)
        data["quiet_until"] = minutes_to_time(user.quiet_until)
    form = preferences_form(codes, data=data)
    status = 200
    if posted:
        if form.validate():
            chosen = [f.name.removeprefix("category_") for f in form.choice_fields()
                      if f.data == DIGEST]  # fmt: skip
            ok, _changed = save(
                form,
                lambda: notices.set_preferences(
                    db_session(),
                    actor=user,
                    digest_categories=chosen,
                    quiet_from=_minutes(form.quiet_from.data),
                    quiet_until=_minutes(form.quiet_until.data),
                ),
            )
            if ok:
                flash(_("Ihre Einstellungen sind gespeichert."), "success")
                return redirect(url_for("notifications.preferences"))
        status = 400
    fixed = [
        {"label": CATEGORIES[code].label, "reason": IMMEDIATE_REASONS.get(code)}
        for code in codes
        if not CATEGORIES[code].digestible
    ]
    return (
        render_template(
            "notifications/preferences.html", form=form, fixed=fixed, digest_hour=DIGEST_HOUR
        ),
        status,
    )


@bp.get("/nachrichten")
@login_required
def messages():
    s = db_session()
    own = OutboxMessage.user_id == current_user.id
    total = s.scalar(select(func.count()).select_from(OutboxMessage).where(own)) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(page_number(request.args.get("page")), pages)
    rows = s.scalars(
        select(OutboxMessage)
        .where(own)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "notifications/messages.html",
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        now=utcnow(),
    )


def _own_message(message_id: int) -> OutboxMessage:
    """A message written for the signed-in user: 404 if missing, 403 (recorded) if not theirs."""
    row = db_session().get(OutboxMessage, message_id) if 0 < message_id <= MAX_ID else None
    if row is None:
        abort(404)
    if row.user_id != current_user.id:
        deny("outbox_message", message_id)
    return row


@bp.get("/nachrichten/<int:message_id>")
@login_required
def message(message_id: int):
    row = _own_message(message_id)
    hidden = row.category in SECRET_CATEGORIES
    paragraphs = [] if hidden else [p.splitlines() for p in row.body_text.strip().split("\n\n")]
    return render_template(
        "notifications/message.html",
        message=row,
        hidden=hidden,
        paragraphs=paragraphs,
        now=utcnow(),
    )


@bp.get("/nachrichten/<int:message_id>/termin.ics")
@login_required
def calendar(message_id: int):
    """The calendar entry a message carried (a digest cannot carry attachments)."""
    row = _own_message(message_id)
    if not row.calendar or row.category in SECRET_CATEGORIES:
        abort(404)
    return Response(
        row.calendar,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="termin-{row.id}.ics"'},
    )
