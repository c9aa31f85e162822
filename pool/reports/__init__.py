"""Reports for coordinators and admins: indicators and overviews."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__, url_prefix="/berichte")

from pool.reports import overview, routes  # noqa: E402,F401
