"""A mediator's own pages: profile, guidelines, availability (being built)."""

from __future__ import annotations

from flask import Blueprint, abort

from pool.permissions import roles_required

bp = Blueprint("me", __name__)


@bp.get("/me/profile")
@roles_required("mediator")
def profile():
    abort(404)


@bp.get("/me/guidelines")
@roles_required("mediator")
def guidelines():
    abort(404)


@bp.get("/me/availability")
@roles_required("mediator")
def availability():
    abort(404)
