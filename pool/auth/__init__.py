"""Sign-in wiring: Flask-Login with server-side sessions, the API's bearer tokens, and CSRF."""

from __future__ import annotations

from flask import Flask, flash, redirect, request, url_for

from pool.auth import sessions
from pool.db import db_session
from pool.extensions import csrf, login_manager
from pool.i18n import lazy_gettext as _l
from pool.models import User


def init_app(app: Flask) -> None:
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Bitte melden Sie sich an, um diese Seite zu sehen.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def _load_user(secret: str) -> User | None:
        if _api_bearer_secret() is not None:
            return None  # a bearer token takes precedence over a browser session sent along
        # The cookie names a server-side session (pool/auth/sessions.py): one statement finds
        # it with its user and roles, on every request.
        return sessions.load_user(secret)

    sessions.init_app(app)

    @login_manager.request_loader
    def _load_user_from_token(_request) -> User | None:
        # Flask-Login asks only when the session names no user (see above), and keeps the user
        # for the rest of the request: the token is looked up once.
        secret = _api_bearer_secret()
        if not secret:
            return None
        from pool.services.accounts import user_for_api_token

        return user_for_api_token(db_session(), secret)

    @login_manager.unauthorized_handler
    def _unauthorized():
        if request.path.startswith("/api/"):
            from pool.errors import json_error

            return json_error(401, "Authentication required: send a valid bearer token.")
        flash(login_manager.login_message, "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def bearer_secret() -> str | None:
    """The token of an ``Authorization: Bearer`` header; "" for any other Authorization header."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _api_bearer_secret() -> str | None:
    """``bearer_secret`` on the API's routes; the pages ignore an Authorization header."""
    return bearer_secret() if request.blueprint == "api" else None
