"""Importing mediators from CSV and XLSX (being built)."""

from __future__ import annotations

from flask import Blueprint, abort

from pool.permissions import roles_required

bp = Blueprint("imports", __name__)


@bp.get("/")
@roles_required("coordinator", "admin")
def index():
    abort(404)
