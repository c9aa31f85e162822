"""The start page of each role."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from pool import deployability
from pool.db import db_session, utcnow
from pool.enums import AssignmentStatus, OfferStatus, OutboxStatus, RequestStatus, Role
from pool.labels import MODE_LABELS
from pool.models import (
    Assignment,
    InterpretingRequest,
    Offer,
    Office,
    OutboxMessage,
    Pool,
    User,
    UserRole,
)
from pool.pagecache import kept
from pool.permissions import own_mediator
from pool.selfservice.routes import training_overview
from pool.services.mediators import today_in_berlin

bp = Blueprint("main", __name__)


@bp.get("/")
@kept
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    session = db_session()
    user = current_user
    context: dict = {}
    if user.has_role(Role.COORDINATOR):
        pools = session.scalars(
            select(Pool).where(Pool.id.in_(user.coordinated_pool_ids)).order_by(Pool.name)
        ).all()
        caseworkers = dict(
            session.execute(
                select(Office.pool_id, func.count(func.distinct(UserRole.user_id)))
                .join(UserRole, UserRole.office_id == Office.id)
                .where(
                    Office.pool_id.in_(user.coordinated_pool_ids), UserRole.role == Role.CASEWORKER
                )
                .group_by(Office.pool_id)
            ).all()
        )
        context["coordinated_pools"] = [(p, caseworkers.get(p.id, 0)) for p in pools]
    if user.has_role(Role.CASEWORKER):
        context["caseworker_roles"] = [r for r in user.roles if r.role == Role.CASEWORKER]
    if user.has_role(Role.MEDIATOR):
        context["mediator_roles"] = [r for r in user.roles if r.role == Role.MEDIATOR]
        context["mediator_start"] = _mediator_start(session, user)
    if user.has_role(Role.ADMIN):
        context["admin_counts"] = {
            "pools": session.scalar(select(func.count(Pool.id))),
            "offices": session.scalar(select(func.count(Office.id))),
            "users": session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
            "failed_mail": session.scalar(
                select(func.count(OutboxMessage.id)).where(
                    OutboxMessage.status == OutboxStatus.FAILED
                )
            ),
        }
    return render_template("main/index.html", **context)


def _mediator_start(session, user) -> dict | None:
    """Deployable now, with every reason and what to do; trainings and their expiry."""
    mediator = own_mediator(session, user)
    if mediator is None:
        return None
    now = utcnow()
    today = today_in_berlin(now)
    result = deployability.check(mediator, deployability.load_context(session), today)
    return {
        "mediator": mediator,
        "result": result,
        "trainings": training_overview(mediator, today),
        **_offers_and_assignments(session, mediator, now),
    }


# The start page lists this many of the next assignments; the rest are on the offers page.
NEXT_ASSIGNMENTS = 3


def _offers_and_assignments(session, mediator, now) -> dict:
    """How many offers wait for an answer, and the next confirmed assignments."""
    new_offers = session.scalar(
        select(func.count(Offer.id))
        .join(Offer.request)
        .where(
            Offer.mediator_id == mediator.id,
            Offer.status == OfferStatus.PENDING,
            or_(Offer.expires_at.is_(None), Offer.expires_at > now),
            InterpretingRequest.starts_at > now,
            InterpretingRequest.status.in_((RequestStatus.OPEN, RequestStatus.OFFERED)),
        )
    )
    next_assignments = session.scalars(
        select(Assignment)
        .where(
            Assignment.mediator_id == mediator.id,
            Assignment.status == AssignmentStatus.CONFIRMED,
            Assignment.ends_at > now,
        )
        .options(joinedload(Assignment.request).joinedload(InterpretingRequest.office))
        .order_by(Assignment.starts_at, Assignment.id)
        .limit(NEXT_ASSIGNMENTS)
    ).all()
    return {
        "new_offers": new_offers or 0,
        "next_assignments": next_assignments,
        "mode_labels": MODE_LABELS,
    }


@bp.get("/healthz")
def healthz():
    """Liveness: the app answers (no database query; also the baseline of benchmarks/pages.py)."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
