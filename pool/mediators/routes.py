"""Coordinator views of the mediator registry (being built)."""

from __future__ import annotations

from flask import Blueprint, abort

from pool.permissions import roles_required

bp = Blueprint("mediators", __name__)


@bp.get("/")
@roles_required("coordinator", "admin")
def index():
    abort(404)


@bp.get("/<int:mediator_id>")
@roles_required("coordinator", "admin")
def detail(mediator_id: int):
    abort(404)
