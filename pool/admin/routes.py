"""Admin area: pools, offices and users. (Being built: see issue 2.)"""

from __future__ import annotations

from flask import Blueprint, render_template

from pool.permissions import roles_required

bp = Blueprint("admin", __name__)


@bp.get("/")
@roles_required("admin")
def index():
    return render_template("admin/index.html")


@bp.get("/pools")
@roles_required("admin")
def pools():
    return render_template("admin/index.html")


@bp.get("/offices")
@roles_required("admin")
def offices():
    return render_template("admin/index.html")


@bp.get("/users")
@roles_required("admin")
def users():
    return render_template("admin/index.html")
