"""JSON API v1 (see shared/API.md)."""

from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from pool.errors import json_error
from pool.extensions import csrf

bp = Blueprint("api", __name__)
# Bearer tokens need no CSRF token; a browser session calling the API must send the CSRF header.
csrf.exempt(bp)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@bp.before_request
def _check_csrf_for_browser_sessions():
    if request.method in SAFE_METHODS:
        return None
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return None
    csrf.protect()
    return None


@bp.errorhandler(HTTPException)
def _api_http_error(exc: HTTPException):
    return json_error(exc.code or 500, exc.description or exc.name)


from pool.api import routes  # noqa: E402,F401  (registers the routes)

__all__ = ["bp", "current_user"]
