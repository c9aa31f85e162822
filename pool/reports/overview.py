"""The language overview: a page, CSV and PDF for coordinators and admins, and the
public version without names that a pool can switch on (served without sign-in)."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user
from sqlalchemy import select

from pool.admin.forms import Select, optional_int
from pool.db import db_session, utcnow
from pool.downloads import download
from pool.enums import Role
from pool.forms import BaseForm, choices
from pool.i18n import BERLIN, current_language, format_day
from pool.i18n import gettext as _
from pool.i18n import lazy_gettext as _l
from pool.models import Pool
from pool.pdf import table_pdf
from pool.permissions import load_pool, roles_required, visible_pool_ids
from pool.reports import bp
from pool.services import overview as service

# The public page lives outside /berichte; pool/__init__.py registers this blueprint.
public_bp = Blueprint("public_overview", __name__)


class OverviewFilterForm(BaseForm):
    """Which pool to show (GET, no CSRF); empty means all pools the user may see."""

    class Meta:
        csrf = False

    pool = Select(_l("Pool"), coerce=optional_int)


def _visible_pools() -> list[Pool]:
    ids = visible_pool_ids(current_user)
    query = select(Pool).order_by(Pool.name)
    if ids is not None:
        query = query.where(Pool.id.in_(ids))
    return list(db_session().scalars(query))


def _selected_pools() -> tuple[OverviewFilterForm, list[Pool]]:
    """The filter form and the pools to show; a pool the user may not see is 403/404."""
    pools = _visible_pools()
    form = OverviewFilterForm(request.args)
    form.pool.choices = choices([("", _("Alle meine Pools")), *((p.id, p.name) for p in pools)])
    raw = request.args.get("pool", "")
    if raw:
        try:
            pool_id = optional_int(raw)
        except ValueError:
            abort(404)
        if not 0 < pool_id < 2**31:
            abort(404)
        return form, [load_pool(db_session(), current_user, pool_id)]
    return form, pools


def _today() -> date:
    return utcnow().astimezone(BERLIN).date()


def _overview(pools: list[Pool]) -> service.Overview:
    return service.language_overview(db_session(), pools, current_language())


def _subtitle(pools: list[Pool]) -> str:
    names = ", ".join(p.name for p in pools)
    return _("%(pools)s · Stand: %(day)s", pools=names, day=format_day(_today()))


def _download(data: bytes, mimetype: str, extension: str) -> Response:
    return download(data, f"sprachen-{_today().isoformat()}.{extension}", mimetype)


@bp.get("/sprachen")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def overview():
    form, pools = _selected_pools()
    return render_template(
        "reports/overview.html",
        form=form,
        pools=pools,
        overview=_overview(pools),
        selected=request.args.get("pool") or None,
        modes_text=service.modes_text,
    )


@bp.get("/sprachen.csv")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def overview_csv():
    _form, pools = _selected_pools()
    headers, rows = service.table(_overview(pools))
    return _download(service.to_csv(headers, rows), "text/csv", "csv")


@bp.get("/sprachen.pdf")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def overview_pdf():
    _form, pools = _selected_pools()
    headers, rows = service.table(_overview(pools))
    data = table_pdf(_("Sprachen im Pool"), _subtitle(pools), headers, rows)
    return _download(data, "application/pdf", "pdf")


@public_bp.get("/sprachen/<int:pool_id>")
def public(pool_id: int):
    """No sign-in; 404 unless the pool switched the public overview on."""
    pool = db_session().get(Pool, pool_id) if 0 < pool_id < 2**31 else None
    if pool is None or not pool.public_overview:
        abort(404)
    return render_template(
        "reports/overview_public.html",
        pool=pool,
        overview=_overview([pool]),
        public_count=service.public_count,
        modes_text=service.modes_text,
        day=format_day(_today()),
    )
