"""The one place that decides who may do what.

Routes call these functions to load objects for the signed-in actor: they answer 404 for what does
not exist and 403 (with an audit event) for what the actor may not touch.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from pool import audit
from pool.enums import Role
from pool.models import Mediator, Office, Pool, User, pool_sharing

F = TypeVar("F", bound=Callable[..., Any])


def deny(object_type: str | None = None, object_id: int | None = None) -> None:
    """Record the denied access and answer 403."""
    actor_id = current_user.id if current_user.is_authenticated else None
    audit.record_now(
        actor_id,
        "access.denied",
        object_type=object_type,
        object_id=object_id,
        details={"endpoint": request.endpoint, "method": request.method},
    )
    abort(403)


def has_any_role(user: Any, *roles: str) -> bool:
    return bool(user and user.is_authenticated and any(user.has_role(r) for r in roles))


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only signed-in users with one of ``roles`` may call the view."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from pool.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_any_role(current_user, *roles):
                deny()
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorator


def visible_pool_ids(user: User) -> list[int] | None:
    """Pools whose data the user may see as a coordinator; ``None`` means all (admin)."""
    if user.has_role(Role.ADMIN):
        return None
    return user.coordinated_pool_ids


def load_pool(session: Session, user: User, pool_id: int, *, manage: bool = False) -> Pool:
    """A pool the user may see (admins: all; coordinators: their own). ``manage``: admins only."""
    pool = session.get(Pool, pool_id)
    if pool is None:
        abort(404)
    if user.has_role(Role.ADMIN):
        return pool
    if not manage and pool.id in user.coordinated_pool_ids:
        return pool
    deny("pool", pool_id)
    raise AssertionError("unreachable")


def load_office(session: Session, user: User, office_id: int, *, manage: bool = False) -> Office:
    office = session.get(Office, office_id)
    if office is None:
        abort(404)
    if user.has_role(Role.ADMIN):
        return office
    if not manage and (
        office.pool_id in user.coordinated_pool_ids or office.id in user.caseworker_office_ids
    ):
        return office
    deny("office", office_id)
    raise AssertionError("unreachable")


# --- mediators ------------------------------------------------------------------------------------


def mediator_pool_ids(session: Session, user: User) -> tuple[set[int], set[int]] | None:
    """For a coordinator: (pools whose mediators they manage, pools whose mediators they may see,
    i.e. their own and those that share with them). ``None`` for an admin: all pools."""
    if user.has_role(Role.ADMIN):
        return None
    own = set(user.coordinated_pool_ids)
    if not own:
        return set(), set()
    sharing = session.scalars(
        select(pool_sharing.c.pool_id).where(pool_sharing.c.partner_pool_id.in_(own))
    )
    return own, own | set(sharing)


def mediator_access(session: Session, user: User, mediator: Mediator) -> str | None:
    """ "manage" (coordinator of its pool, admin), "read" (coordinator of a pool it is shared
    with), "self" (the mediator), or None."""
    scope = mediator_pool_ids(session, user)
    if scope is None:
        return "manage"
    own, visible = scope
    if mediator.pool_id in own:
        return "manage"
    if mediator.pool_id in visible:
        return "read"
    if mediator.user_id is not None and mediator.user_id == user.id:
        return "self"
    return None


def load_mediator(
    session: Session, user: User, mediator_id: int, *, need: str = "read"
) -> Mediator:
    """Load a mediator for ``need``: "read" (anyone with access), "manage" (coordinators of its
    pool, admins) or "self_or_manage" (the mediator themselves, or a manager)."""
    mediator = session.get(Mediator, mediator_id) if 0 < mediator_id < 2**31 else None
    if mediator is None:
        abort(404)
    access = mediator_access(session, user, mediator)
    allowed = {
        "read": {"manage", "read", "self"},
        "manage": {"manage"},
        "self_or_manage": {"manage", "self"},
    }[need]
    if access in allowed:
        return mediator
    deny("mediator", mediator_id)
    raise AssertionError("unreachable")


def own_mediator(session: Session, user: User) -> Mediator | None:
    """The mediator record of the signed-in user, if they are one."""
    return session.scalars(select(Mediator).where(Mediator.user_id == user.id)).first()


# --- requests, offers, assignments ----------------------------------------------------------------


def request_access(session: Session, user: User, request_obj) -> str | None:
    """ "manage" (coordinator of the request's pool, admin), "office" (caseworker of its office),
    "mediator" (the mediator it is offered or assigned to), or None."""
    from pool.models import Assignment, Offer

    if user.has_role(Role.ADMIN) or request_obj.pool_id in user.coordinated_pool_ids:
        return "manage"
    if request_obj.office_id in user.caseworker_office_ids:
        return "office"
    mediator = own_mediator(session, user)
    if mediator is not None:
        offered = session.scalars(
            select(Offer.id).where(
                Offer.request_id == request_obj.id, Offer.mediator_id == mediator.id
            )
        ).first()
        assigned = session.scalars(
            select(Assignment.id).where(
                Assignment.request_id == request_obj.id, Assignment.mediator_id == mediator.id
            )
        ).first()
        if offered or assigned:
            return "mediator"
    return None


def load_request(session: Session, user: User, request_id: int, *, need: str = "read"):
    """Load a request for ``need``: "read" (anyone with access), "manage" (coordination),
    "office_or_manage" (its office's caseworkers or the coordination)."""
    from pool.models import InterpretingRequest

    obj = session.get(InterpretingRequest, request_id) if 0 < request_id < 2**31 else None
    if obj is None:
        abort(404)
    access = request_access(session, user, obj)
    allowed = {
        "read": {"manage", "office", "mediator"},
        "manage": {"manage"},
        "office_or_manage": {"manage", "office"},
    }[need]
    if access in allowed:
        return obj
    deny("request", request_id)
    raise AssertionError("unreachable")


def load_offer(session: Session, user: User, offer_id: int, *, need: str = "own"):
    """An offer for ``need``: "own" (the mediator it is made to) or "manage" (coordination)."""
    from pool.models import Offer

    offer = session.get(Offer, offer_id) if 0 < offer_id < 2**31 else None
    if offer is None:
        abort(404)
    if need == "manage" and request_access(session, user, offer.request) == "manage":
        return offer
    if need == "own":
        mediator = own_mediator(session, user)
        if mediator is not None and offer.mediator_id == mediator.id:
            return offer
    deny("offer", offer_id)
    raise AssertionError("unreachable")


def load_assignment(session: Session, user: User, assignment_id: int, *, need: str = "read"):
    """An assignment for ``need``: "read" (its mediator, its office, the coordination),
    "mediator" (its mediator), "office" (caseworkers of its office), "manage" (coordination)."""
    from pool.models import Assignment

    obj = session.get(Assignment, assignment_id) if 0 < assignment_id < 2**31 else None
    if obj is None:
        abort(404)
    mediator = own_mediator(session, user)
    is_mediator = mediator is not None and obj.mediator_id == mediator.id
    access = request_access(session, user, obj.request)
    ok = {
        "read": is_mediator or access in ("manage", "office"),
        "mediator": is_mediator,
        "office": access == "office",
        "manage": access == "manage",
    }[need]
    if ok:
        return obj
    deny("assignment", assignment_id)
    raise AssertionError("unreachable")
