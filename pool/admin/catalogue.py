"""Admin pages for the registry's catalogues: trainings, guidelines, domains (being built)."""

from __future__ import annotations

from flask import abort

from pool.admin.routes import bp
from pool.permissions import roles_required


@bp.get("/trainings")
@roles_required("admin")
def trainings():
    abort(404)


@bp.get("/guidelines")
@roles_required("admin")
def guidelines():
    abort(404)
