"""Sign-in, sign-out, password links, profile and API tokens."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from pool import audit
from pool.auth import sessions
from pool.auth.forms import (
    ChangePasswordForm,
    ForgotPasswordForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    TokenForm,
)
from pool.db import db_session, utcnow
from pool.enums import LinkPurpose, ThrottleKind
from pool.forms import ConfirmForm
from pool.i18n import LOCALE_COOKIE
from pool.i18n import gettext as _
from pool.models import ApiToken
from pool.security import client_address
from pool.services import accounts, throttle
from pool.services.throttle import minutes_of

bp = Blueprint("auth", __name__)

DEVICE_COOKIE = "pool_device"
DEVICE_MAX_AGE = 180 * 24 * 3600


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="trusted-device")


def trusted_device_user_id() -> int | None:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        value = _device_serializer().loads(raw, max_age=DEVICE_MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after sign-in."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(c in target for c in "\r\n\x00\\"):
        return None
    return target


def _add_password_errors(field, user_email: str | None, user_name: str | None) -> bool:
    problems = accounts.new_password_problems(
        db_session(), field.data or "", email=user_email, name=user_name
    )
    field.errors = [*field.errors, *problems]
    return not problems


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        assert form.email.data is not None and form.password.data is not None  # required fields
        now = utcnow()
        result = accounts.sign_in(
            db_session(),
            form.email.data,
            form.password.data,
            address=client_address(),
            now=now,
            trusted_device_user_id=trusted_device_user_id(),
        )
        if result.status == "ok":
            assert result.user is not None
            sessions.sign_in_browser(db_session(), result.user, now=now)
        db_session().commit()
        if result.status == "ok":
            assert result.user is not None
            response = redirect(safe_next(request.args.get("next")) or url_for("main.index"))
            response.set_cookie(
                DEVICE_COOKIE,
                _device_serializer().dumps(result.user.id),
                max_age=DEVICE_MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=current_app.config["SESSION_COOKIE_SECURE"],
            )
            return response
        if result.status == "throttled":
            assert result.retry_after is not None  # a throttled sign-in says for how long
            minutes = minutes_of(result.retry_after)
            form.form_errors.append(
                _(
                    "Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie %(minutes)s Minuten "
                    "oder setzen Sie Ihr Passwort über „Passwort vergessen?“ zurück.",
                    minutes=minutes,
                )
            )
            status = 429
        elif result.status == "inactive":
            form.form_errors.append(
                _("Ihr Zugang ist deaktiviert. Bitte wenden Sie sich an die Koordination.")
            )
            status = 403
        else:
            form.form_errors.append(
                _("E-Mail-Adresse oder Passwort stimmen nicht. Bitte versuchen Sie es noch einmal.")
            )
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@login_required
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    sessions.end_current(db_session())
    audit.record(db_session(), current_user.id, "logout", "user", current_user.id)
    db_session().commit()
    logout_user()
    session.clear()
    flash(_("Sie sind abgemeldet."), "success")
    return redirect(url_for("auth.login"))


@bp.post("/logout/everywhere")
@login_required
def logout_everywhere():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    accounts.end_all_sessions(db_session(), user)
    audit.record(db_session(), user.id, "logout.everywhere", "user", user.id)
    db_session().commit()
    logout_user()
    session.clear()
    flash(_("Sie sind jetzt auf allen Geräten abgemeldet."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        assert form.email.data is not None  # a required field
        now = utcnow()
        wait = throttle.take(
            db_session(), ThrottleKind.RESET, form.email.data, address=client_address(), now=now
        )
        if wait is not None:
            form.form_errors.append(
                _(
                    "Für diese Adresse oder von diesem Anschluss wurden gerade zu viele Links "
                    "angefordert. Bitte sehen Sie in Ihr Postfach oder versuchen Sie es in "
                    "%(minutes)s Minuten noch einmal.",
                    minutes=minutes_of(wait),
                )
            )
            return render_template("auth/forgot.html", form=form), 429
        accounts.request_password_reset(db_session(), form.email.data, now=now)
        db_session().commit()
        flash(
            _(
                "Wenn es zu dieser Adresse einen Zugang gibt, haben wir einen Link zum Zurücksetzen "
                "geschickt. Bitte sehen Sie in Ihr Postfach."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/password/set/<token>", methods=["GET", "POST"])
def set_password(token: str):
    if len(token) > 200:
        abort(404)
    now = utcnow()
    one_time = accounts.find_one_time_token(db_session(), token, now)
    if one_time is None:
        return render_template("auth/link_invalid.html"), 404
    form = NewPasswordForm()
    if form.validate_on_submit() and _add_password_errors(
        form.password, one_time.user.email, one_time.user.name
    ):
        assert form.password.data is not None  # a required field
        user = accounts.redeem_one_time_token(db_session(), one_time, form.password.data, now=now)
        sessions.sign_in_browser(db_session(), user, now=now)
        db_session().commit()
        flash(_("Ihr Passwort ist gespeichert. Sie sind jetzt angemeldet."), "success")
        return redirect(url_for("main.index"))
    return render_template(
        "auth/set_password.html",
        form=form,
        invitation=one_time.purpose == LinkPurpose.INVITE,
        user=one_time.user,
    ), 400 if form.errors else 200


def _profile_page(
    profile_form=None, password_form=None, token_form=None, new_token=None, status=200
):
    user = current_user._get_current_object()
    profile_form = profile_form or ProfileForm(obj=user, formdata=None)
    if profile_form.locale.data is None:
        profile_form.locale.data = user.locale or "de"
    tokens = (
        db_session()
        .scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.id)
        )
        .all()
    )
    return render_template(
        "auth/profile.html",
        profile_form=profile_form,
        password_form=password_form or ChangePasswordForm(formdata=None),
        token_form=token_form or TokenForm(formdata=None),
        confirm_form=ConfirmForm(formdata=None),
        tokens=tokens,
        new_token=new_token,
        sessions=sessions.of_user(db_session(), user),
        this_session=g.get("pool_session_id"),
    ), status


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    if request.method == "GET":
        return _profile_page()
    form = ProfileForm()
    if not form.validate_on_submit():
        return _profile_page(profile_form=form, status=400)
    user = current_user._get_current_object()
    user.name = form.name.data
    user.locale = form.locale.data
    audit.record(db_session(), user.id, "profile.updated", "user", user.id)
    db_session().commit()
    flash(_("Ihre Angaben sind gespeichert."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/password")
@login_required
def change_password():
    form = ChangePasswordForm()
    user = current_user._get_current_object()
    valid = form.validate_on_submit()
    if valid and not accounts.verify_user_password(user, form.current.data or ""):
        form.current.errors = [*form.current.errors, _("Das aktuelle Passwort stimmt nicht.")]
        valid = False
    if valid and not _add_password_errors(form.password, user.email, user.name):
        valid = False
    if not valid:
        return _profile_page(password_form=form, status=400)
    assert form.password.data is not None  # a required field
    now = utcnow()
    accounts.set_password(db_session(), user, form.password.data, now=now)
    # Every session ended; this browser stays signed in with a new one.
    sessions.sign_in_browser(db_session(), user, now=now)
    db_session().commit()
    flash(_("Ihr Passwort ist geändert. Andere Geräte sind jetzt abgemeldet."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/tokens")
@login_required
def create_token():
    form = TokenForm()
    if not form.validate_on_submit():
        return _profile_page(token_form=form, status=400)
    assert form.name.data is not None  # a required field
    secret = accounts.create_api_token(
        db_session(), current_user._get_current_object(), form.name.data, now=utcnow()
    )
    db_session().commit()
    return _profile_page(new_token=secret)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    token = db_session().get(ApiToken, token_id)
    if token is None or token.revoked_at is not None:
        abort(404)
    if token.user_id != current_user.id:
        from pool.permissions import deny

        deny("api_token", token_id)
    accounts.revoke_api_token(
        db_session(), token, actor=current_user._get_current_object(), now=utcnow()
    )
    db_session().commit()
    flash(_("Der Schlüssel ist widerrufen und funktioniert nicht mehr."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/language")
def set_language():
    form = LanguageForm()
    if not form.validate_on_submit():
        abort(400)
    target = safe_next(request.args.get("next")) or url_for("main.index")
    response = redirect(target)
    if current_user.is_authenticated:
        current_user.locale = form.locale.data
        db_session().commit()
    response.set_cookie(
        LOCALE_COOKIE,
        form.locale.data,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response


@bp.post("/profile/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int):
    """Sign out one of one's own devices."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    if not sessions.end_one(db_session(), user, session_id):
        abort(404)
    audit.record(db_session(), user.id, "session.ended", "user", user.id)
    db_session().commit()
    if session_id == g.get("pool_session_id"):
        logout_user()
        session.clear()
        flash(_("Sie sind abgemeldet."), "success")
        return redirect(url_for("auth.login"))
    flash(_("Das Gerät ist abgemeldet."), "success")
    return redirect(url_for("auth.profile"))
