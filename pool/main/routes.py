"""The start page of each role."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from pool import deployability
from pool.db import db_session, utcnow
from pool.models import Office, OutboxMessage, Pool, User, UserRole
from pool.permissions import own_mediator
from pool.selfservice.routes import training_overview
from pool.services.mediators import today_in_berlin

bp = Blueprint("main", __name__)


@bp.get("/")
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    session = db_session()
    user = current_user
    context: dict = {}
    if user.has_role("coordinator"):
        pools = session.scalars(
            select(Pool).where(Pool.id.in_(user.coordinated_pool_ids)).order_by(Pool.name)
        ).all()
        caseworkers = dict(
            session.execute(
                select(Office.pool_id, func.count(func.distinct(UserRole.user_id)))
                .join(UserRole, UserRole.office_id == Office.id)
                .where(Office.pool_id.in_(user.coordinated_pool_ids), UserRole.role == "caseworker")
                .group_by(Office.pool_id)
            ).all()
        )
        context["coordinated_pools"] = [(p, caseworkers.get(p.id, 0)) for p in pools]
    if user.has_role("caseworker"):
        context["caseworker_roles"] = [r for r in user.roles if r.role == "caseworker"]
    if user.has_role("mediator"):
        context["mediator_roles"] = [r for r in user.roles if r.role == "mediator"]
        context["mediator_start"] = _mediator_start(session, user)
    if user.has_role("admin"):
        context["admin_counts"] = {
            "pools": session.scalar(select(func.count(Pool.id))),
            "offices": session.scalar(select(func.count(Office.id))),
            "users": session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
            "failed_mail": session.scalar(
                select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "failed")
            ),
        }
    return render_template("main/index.html", **context)


def _mediator_start(session, user) -> dict | None:
    """Deployable now, with every reason and what to do; trainings and their expiry."""
    mediator = own_mediator(session, user)
    if mediator is None:
        return None
    today = today_in_berlin(utcnow())
    result = deployability.check(mediator, deployability.load_context(session), today)
    return {
        "mediator": mediator,
        "result": result,
        "trainings": training_overview(mediator, today),
    }


@bp.get("/healthz")
def healthz():
    db_session().execute(select(1))
    return {"status": "ok"}
