"""The public page "Sprachmittler:in werden" (being built)."""

from __future__ import annotations

from flask import Blueprint, abort

bp = Blueprint("apply", __name__)


@bp.get("/")
def index():
    abort(404)
