"""JSON API v1 (conventions and endpoints: docs/api.md)."""

from __future__ import annotations

from flask import Blueprint, Response, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from pool.api.helpers import ApiError
from pool.auth import bearer_secret as _bearer_secret
from pool.errors import json_error
from pool.extensions import csrf

bp = Blueprint("api", __name__)
# Bearer tokens need no CSRF token; a browser session calling the API must send the CSRF header.
csrf.exempt(bp)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
BEARER_CHALLENGE = 'Bearer realm="api"'


@bp.before_request
def _authenticate():
    """A request with an ``Authorization`` header must carry a valid bearer token; its user acts.

    A malformed, unknown or revoked token, or one of a deactivated user, is answered 401 on every
    endpoint, also the public ones, so a client learns at once that its token no longer works.
    A bearer token takes precedence over a browser session sent along with it.
    """
    if _bearer_secret() is None:
        return None
    # Flask-Login's request loader (pool/auth) signs the token's user in for this request.
    if not current_user.is_authenticated:
        return json_error(
            401, "The bearer token is invalid or revoked, or its account is deactivated."
        )
    return None


@bp.before_request
def _check_csrf_for_browser_sessions():
    if request.method in SAFE_METHODS or _bearer_secret():
        return None
    if not current_user.is_authenticated:
        return None  # the endpoint answers 401; there is no session a forged request could use
    csrf.protect()
    return None


@bp.after_request
def _headers(response: Response) -> Response:
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", BEARER_CHALLENGE)
    return response


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return json_error(exc.status, exc.message, exc.code, exc.fields)


@bp.errorhandler(CSRFError)
def _csrf_error(exc: CSRFError):
    return json_error(
        400,
        "CSRF check failed: a browser session calling the API must send the CSRF token in the "
        "X-CSRFToken header (a bearer token needs none).",
    )


@bp.errorhandler(HTTPException)
def _api_http_error(exc: HTTPException):
    response = json_error(exc.code or 500, exc.description or exc.name)
    # Keep what the protocol asks for, e.g. ``Allow`` on a 405.
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


from pool.api import routes  # noqa: E402,F401  (registers the routes)

__all__ = ["bp", "current_user"]
