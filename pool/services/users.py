"""Users and their roles, as the admin area and the command line manage them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pool import audit
from pool.auth import sessions
from pool.enums import Role
from pool.i18n import gettext as _
from pool.models import ROLES, User, UserRole
from pool.security import hash_password
from pool.services import ServiceError
from pool.services.accounts import end_all_sessions, normalise_email, send_invitation

# (role, pool_id, office_id)
Grant = tuple[str, int | None, int | None]


class UserError(ServiceError):
    """A change to users or roles breaks a rule."""


def _actor_id(actor: User | None) -> int | None:
    return actor.id if actor else None


def _check_grants(grants: Iterable[Grant]) -> list[Grant]:
    unique = sorted(set(grants), key=lambda g: (ROLES.index(g[0]), g[1] or 0, g[2] or 0))
    for role, pool_id, office_id in unique:
        if role not in ROLES:
            raise UserError(_("Unbekannte Rolle."))
        if role in (Role.COORDINATOR, Role.MEDIATOR) and (pool_id is None or office_id is not None):
            raise UserError(_("Koordination und Sprachmittlung gehören zu einem Pool."))
        if role == Role.CASEWORKER and (office_id is None or pool_id is not None):
            raise UserError(_("Sachbearbeitung gehört zu einer Dienststelle."))
        if role == Role.ADMIN and (pool_id is not None or office_id is not None):
            raise UserError(_("Die Rolle Administration gilt für alle Pools."))
    return unique


def create_user(
    session: Session,
    *,
    actor: User | None,
    email: str,
    name: str,
    grants: Iterable[Grant],
    now: datetime,
    password: str | None = None,
    invite: bool = True,
    locale: str | None = None,
) -> User:
    email = normalise_email(email)
    if session.scalars(select(User.id).where(User.email == email)).first() is not None:
        raise UserError(_("Es gibt schon einen Zugang mit dieser E-Mail-Adresse."))
    user = User(email=email, name=name.strip(), locale=locale, created_at=now)
    if password:
        user.password_hash = hash_password(password)
    user.roles = [UserRole(role=r, pool_id=p, office_id=o) for r, p, o in _check_grants(grants)]
    session.add(user)
    session.flush()
    audit.record(
        session, _actor_id(actor), "user.created", "user", user.id, {"roles": user.role_names}
    )
    if invite:
        send_invitation(session, user, inviter=actor, now=now)
    return user


def _active_admin_count(session: Session) -> int:
    return (
        session.scalar(
            select(func.count(func.distinct(User.id)))
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.ADMIN, User.active.is_(True))
        )
        or 0
    )


def set_roles(session: Session, *, actor: User | None, user: User, grants: Iterable[Grant]) -> None:
    wanted = _check_grants(grants)
    if (
        user.has_role(Role.ADMIN)
        and not any(r == Role.ADMIN for r, _p, _o in wanted)
        and user.active
        and _active_admin_count(session) <= 1
    ):
        raise UserError(
            _("Das ist die letzte aktive Administration. Die Rolle kann nicht entfernt werden.")
        )
    current = {(r.role, r.pool_id, r.office_id): r for r in user.roles}
    for grant, role_row in current.items():
        if grant not in wanted:
            user.roles.remove(role_row)
    for grant in wanted:
        if grant not in current:
            user.roles.append(UserRole(role=grant[0], pool_id=grant[1], office_id=grant[2]))
    session.flush()
    sessions.refresh_idle_limits(session, user)
    audit.record(
        session,
        _actor_id(actor),
        "user.roles_changed",
        "user",
        user.id,
        {"roles": [list(g) for g in wanted]},
    )


def update_user(session: Session, *, actor: User | None, user: User, name: str, email: str) -> None:
    email = normalise_email(email)
    if email != user.email:
        if session.scalars(select(User.id).where(User.email == email, User.id != user.id)).first():
            raise UserError(_("Es gibt schon einen Zugang mit dieser E-Mail-Adresse."))
        user.email = email
        end_all_sessions(session, user)
    user.name = name.strip()
    session.flush()
    audit.record(session, _actor_id(actor), "user.updated", "user", user.id)


def deactivate(session: Session, *, actor: User | None, user: User) -> None:
    if actor is not None and actor.id == user.id:
        raise UserError(_("Sie können Ihren eigenen Zugang nicht deaktivieren."))
    if user.has_role(Role.ADMIN) and user.active and _active_admin_count(session) <= 1:
        raise UserError(
            _("Das ist die letzte aktive Administration. Sie kann nicht deaktiviert werden.")
        )
    user.active = False
    end_all_sessions(session, user)
    audit.record(session, _actor_id(actor), "user.deactivated", "user", user.id)


def reactivate(session: Session, *, actor: User | None, user: User) -> None:
    user.active = True
    session.flush()
    audit.record(session, _actor_id(actor), "user.reactivated", "user", user.id)


def resend_invitation(session: Session, *, actor: User | None, user: User, now: datetime) -> None:
    """A new invitation link for a user who has not set a password yet; older links stop working."""
    if not user.active:
        raise UserError(_("Der Zugang ist deaktiviert. Bitte aktivieren Sie ihn zuerst."))
    if user.password_hash:
        raise UserError(
            _("Diese Person hat schon ein Passwort. Sie kann „Passwort vergessen?“ nutzen.")
        )
    send_invitation(session, user, inviter=actor, now=now)


def users_with_role(session: Session, *scope) -> list[User]:
    """Active users with a role matching ``scope``, by id (a subquery, not DISTINCT: PostgreSQL
    cannot compare the JSON columns of ``users``)."""
    holders = select(UserRole.user_id).where(*scope)
    return list(
        session.scalars(
            select(User).where(User.id.in_(holders), User.active.is_(True)).order_by(User.id)
        )
    )


def active_coordinators(session: Session, pool_id: int) -> list[User]:
    """The active coordinators of a pool: the people told about what needs the coordination."""
    return users_with_role(session, UserRole.role == Role.COORDINATOR, UserRole.pool_id == pool_id)
