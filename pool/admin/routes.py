"""Admin area: pools, offices and users.

Every view: load → authorise (admins only) → validate → call a service → commit → flash →
redirect. Forms with errors are shown again with status 400 and keep what was typed.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from pool.admin.forms import (
    OfficeFilterForm,
    OfficeForm,
    PoolForm,
    UserFilterForm,
    UserForm,
    to_int,
)
from pool.auth import sessions
from pool.db import db_session, utcnow
from pool.enums import OutboxStatus, PoolKind, Role
from pool.forms import ConfirmForm, add_form_error, choices, save
from pool.i18n import gettext as _
from pool.i18n import ngettext
from pool.models import Office, OutboxMessage, Pool, User, UserRole
from pool.outbox import retry_failed
from pool.permissions import roles_required
from pool.services import ServiceError, org
from pool.services import users as user_service
from pool.views import page_number

bp = Blueprint("admin", __name__)

USERS_PER_PAGE = 50
MESSAGES_PER_PAGE = 50
MAX_ID = 2**31 - 1  # ids beyond the database's integer range do not exist


def _get_or_404(model, object_id: int):
    if object_id > MAX_ID:
        abort(404)
    obj = db_session().get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def _actor() -> User:
    return current_user._get_current_object()


def _all_pools() -> list[Pool]:
    return list(db_session().scalars(select(Pool).order_by(Pool.name)))


# --- overview -------------------------------------------------------------------------------------


@bp.get("/")
@roles_required(Role.ADMIN)
def index():
    s = db_session()
    counts = {
        "pools": s.scalar(select(func.count(Pool.id))) or 0,
        "offices": s.scalar(select(func.count(Office.id)).where(Office.active.is_(True))) or 0,
        "offices_inactive": s.scalar(select(func.count(Office.id)).where(Office.active.is_(False)))
        or 0,
        "users": s.scalar(
            select(func.count(User.id)).where(
                User.active.is_(True), User.password_hash.is_not(None)
            )
        )
        or 0,
        "invited": s.scalar(
            select(func.count(User.id)).where(User.active.is_(True), User.password_hash.is_(None))
        )
        or 0,
        "inactive": s.scalar(select(func.count(User.id)).where(User.active.is_(False))) or 0,
        "failed_mail": s.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.FAILED)
        )
        or 0,
    }
    return render_template("admin/index.html", counts=counts)


# --- pools ----------------------------------------------------------------------------------------


@bp.get("/pools")
@roles_required(Role.ADMIN)
def pools():
    s = db_session()
    rows = s.scalars(select(Pool).options(selectinload(Pool.shares_with)).order_by(Pool.name)).all()
    office_counts = dict(
        s.execute(select(Office.pool_id, func.count(Office.id)).group_by(Office.pool_id)).all()
    )
    return render_template("admin/pools.html", pools=rows, office_counts=office_counts)


def _pool_form(pool: Pool | None) -> PoolForm:
    form = PoolForm(obj=pool) if pool is not None else PoolForm()
    others = [p for p in _all_pools() if pool is None or p.id != pool.id]
    form.shares_with.choices = choices((p.id, p.name) for p in others)
    if request.method == "GET":
        if pool is not None:
            form.shares_with.data = [p.id for p in pool.shares_with]
        else:
            form.kind.data = form.kind.data or PoolKind.DISTRICT
    return form


def _pool_values(form: PoolForm) -> dict:
    return {
        "name": form.name.data,
        "kind": form.kind.data,
        "federal_state": form.federal_state.data,
        "contact_email": form.contact_email.data,
        "contact_phone": form.contact_phone.data,
        "partner_ids": form.shares_with.data or [],
        "settings": form.settings_values(),
    }


@bp.route("/pools/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def pool_new():
    form = _pool_form(None)
    if form.validate_on_submit():
        saved, pool = save(
            form,
            lambda: org.create_pool(
                db_session(), actor=_actor(), now=utcnow(), **_pool_values(form)
            ),
        )
        if saved:
            flash(_("Der Pool %(name)s ist angelegt.", name=pool.name), "success")
            return redirect(url_for("admin.pools"))
    return render_template("admin/pool_form.html", form=form, pool=None), (
        400 if request.method == "POST" else 200
    )


@bp.route("/pools/<int:pool_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def pool_edit(pool_id: int):
    pool = _get_or_404(Pool, pool_id)
    form = _pool_form(pool)
    if form.validate_on_submit():
        saved, changed = save(
            form,
            lambda: org.update_pool(db_session(), actor=_actor(), pool=pool, **_pool_values(form)),
        )
        if saved:
            if changed:
                flash(
                    _("Die Änderungen am Pool %(name)s sind gespeichert.", name=pool.name),
                    "success",
                )
            else:
                flash(_("Sie haben nichts geändert."), "info")
            return redirect(url_for("admin.pools"))
    return render_template("admin/pool_form.html", form=form, pool=pool), (
        400 if request.method == "POST" else 200
    )


# --- offices --------------------------------------------------------------------------------------


def _pool_choices(all_pools: list[Pool]):
    return choices([("", _("Bitte wählen")), *((p.id, p.name) for p in all_pools)])


@bp.get("/offices")
@roles_required(Role.ADMIN)
def offices():
    all_pools = _all_pools()
    form = OfficeFilterForm(request.args)
    form.pool.choices = choices([("", _("Alle Pools")), *((p.id, p.name) for p in all_pools)])
    selected = form.pool.data if form.validate() else None
    query = select(Office).join(Pool, Pool.id == Office.pool_id).order_by(Pool.name, Office.name)
    if selected is not None:
        query = query.where(Office.pool_id == selected)
    rows = db_session().scalars(query).all()
    caseworkers = dict(
        db_session()
        .execute(
            select(UserRole.office_id, func.count(UserRole.id))
            .where(UserRole.role == Role.CASEWORKER)
            .group_by(UserRole.office_id)
        )
        .all()
    )
    pools_by_id = {p.id: p for p in all_pools}
    groups: list[tuple[Pool, list[Office]]] = []
    for office in rows:
        pool = pools_by_id[office.pool_id]
        if not groups or groups[-1][0].id != pool.id:
            groups.append((pool, []))
        groups[-1][1].append(office)
    shown_pools = [pools_by_id[selected]] if selected in pools_by_id else all_pools
    empty_pools = [p for p in shown_pools if p.id not in {g[0].id for g in groups}]
    return render_template(
        "admin/offices.html",
        form=form,
        groups=groups,
        empty_pools=empty_pools,
        selected=selected,
        caseworkers=caseworkers,
        has_pools=bool(all_pools),
    ), 200 if not form.errors else 400


def _office_form(office: Office | None) -> OfficeForm:
    form = OfficeForm(obj=office) if office is not None else OfficeForm()
    form.pool_id.choices = _pool_choices(_all_pools())
    if request.method == "GET" and office is None:
        preset = request.args.get("pool", "")
        try:
            form.pool_id.data = to_int(preset) if preset else None
        except ValueError:
            form.pool_id.data = None
    return form


def _office_values(form: OfficeForm) -> dict:
    return {
        "name": form.name.data,
        "phone": form.phone.data,
        "cost_centre": form.cost_centre.data,
        "active": form.active.data,
    }


def _selected_pool(form: OfficeForm) -> Pool | None:
    pool = db_session().get(Pool, form.pool_id.data) if form.pool_id.data else None
    if pool is None:
        add_form_error(form, _("Bitte wählen Sie einen Pool."), "pool_id")
    return pool


@bp.route("/offices/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def office_new():
    form = _office_form(None)
    if form.validate_on_submit() and (pool := _selected_pool(form)) is not None:
        saved, office = save(
            form,
            lambda: org.create_office(
                db_session(), actor=_actor(), pool=pool, now=utcnow(), **_office_values(form)
            ),
        )
        if saved:
            flash(_("Die Dienststelle %(name)s ist angelegt.", name=office.name), "success")
            return redirect(url_for("admin.offices", pool=office.pool_id))
    return render_template("admin/office_form.html", form=form, office=None), (
        400 if request.method == "POST" else 200
    )


@bp.route("/offices/<int:office_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def office_edit(office_id: int):
    office = _get_or_404(Office, office_id)
    form = _office_form(office)
    if form.validate_on_submit() and (pool := _selected_pool(form)) is not None:
        saved, changed = save(
            form,
            lambda: org.update_office(
                db_session(), actor=_actor(), office=office, pool=pool, **_office_values(form)
            ),
        )
        if saved:
            if changed:
                flash(
                    _(
                        "Die Änderungen an der Dienststelle %(name)s sind gespeichert.",
                        name=office.name,
                    ),
                    "success",
                )
            else:
                flash(_("Sie haben nichts geändert."), "info")
            return redirect(url_for("admin.offices", pool=office.pool_id))
    return render_template("admin/office_form.html", form=form, office=office), (
        400 if request.method == "POST" else 200
    )


# --- users ----------------------------------------------------------------------------------------


def _user_query(form: UserFilterForm) -> Select[User]:
    query = select(User)
    text = (form.q.data or "").strip().lower()
    if text:
        query = query.where(
            or_(
                func.lower(User.name).contains(text, autoescape=True),
                func.lower(User.email).contains(text, autoescape=True),
            )
        )
    if form.role.data:
        query = query.where(
            User.id.in_(select(UserRole.user_id).where(UserRole.role == form.role.data))
        )
    if form.status.data == "active":
        query = query.where(User.active.is_(True), User.password_hash.is_not(None))
    elif form.status.data == "invited":
        query = query.where(User.active.is_(True), User.password_hash.is_(None))
    elif form.status.data == "inactive":
        query = query.where(User.active.is_(False))
    return query


USER_SEARCH_KEY = "admin_user_search"


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    """The user list. Role and status filters travel in the URL; the typed search text is sent by
    POST and kept in the session, so no name or e-mail address appears in a URL or access log."""
    status_code = 200
    if request.method == "POST":
        form = UserFilterForm()
        if request.form.get("reset"):
            session.pop(USER_SEARCH_KEY, None)
            return redirect(url_for("admin.users"))
        if form.validate_on_submit():
            session[USER_SEARCH_KEY] = form.q.data or ""
            args = {k: v for k, v in (("role", form.role.data), ("status", form.status.data)) if v}
            return redirect(url_for("admin.users", **args))
        status_code = 400
    else:
        values = MultiDict(request.args)
        values.setlist("q", [session.get(USER_SEARCH_KEY, "")])
        form = UserFilterForm(formdata=values, meta={"csrf": False})
        if not form.validate():
            status_code = 400
    valid = status_code == 200
    query = _user_query(form) if valid else select(User)
    s = db_session()
    total = s.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // USERS_PER_PAGE))
    page = min(page_number(request.args.get("page")), pages)
    rows = s.scalars(
        query.order_by(func.lower(User.name), User.id)
        .limit(USERS_PER_PAGE)
        .offset((page - 1) * USERS_PER_PAGE)
    ).all()
    args = {
        k: v for k, v in (("role", form.role.data), ("status", form.status.data)) if v and valid
    }
    return render_template(
        "admin/users.html",
        form=form,
        users=rows,
        total=total,
        page=page,
        pages=pages,
        args=args,
        filtered=bool(args or (valid and form.q.data)),
        confirm_form=ConfirmForm(formdata=None),
    ), status_code


def _user_form(user: User | None) -> tuple[UserForm, list]:
    all_pools = _all_pools()
    all_offices = (
        db_session()
        .scalars(
            select(Office).join(Pool, Pool.id == Office.pool_id).order_by(Pool.name, Office.name)
        )
        .all()
    )
    form = UserForm(obj=user) if user is not None else UserForm()
    pool_choices = choices((p.id, p.name) for p in all_pools)
    form.coordinator_pools.choices = pool_choices
    form.mediator_pools.choices = pool_choices
    form.caseworker_offices.choices = choices(
        (o.id, o.name if o.active else _("%(name)s (nicht aktiv)", name=o.name))
        for o in all_offices
    )
    if request.method == "GET" and user is not None:
        form.set_grants(user.roles)
    # Office checkboxes grouped by pool, in the order of the choices.
    groups: list[tuple[str, list]] = []
    for office, option in zip(all_offices, form.caseworker_offices, strict=True):
        if not groups or groups[-1][0] != office.pool.name:
            groups.append((office.pool.name, []))
        groups[-1][1].append(option)
    return form, groups


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new():
    form, office_groups = _user_form(None)
    if form.validate_on_submit():
        assert form.email.data is not None and form.name.data is not None  # required fields
        saved, user = save(
            form,
            lambda: user_service.create_user(
                db_session(),
                actor=_actor(),
                email=form.email.data,
                name=form.name.data,
                grants=form.grants(),
                now=utcnow(),
                invite=True,
            ),
        )
        if saved:
            flash(
                _(
                    "Die Einladung an %(email)s ist unterwegs. Der Link gilt einige Tage.",
                    email=user.email,
                ),
                "success",
            )
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template(
        "admin/user_form.html", form=form, user=None, office_groups=office_groups
    ), (400 if request.method == "POST" else 200)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int):
    user = _get_or_404(User, user_id)
    form, office_groups = _user_form(user)
    actor = _actor()
    if form.validate_on_submit():
        name, email = form.name.data, form.email.data
        assert name is not None and email is not None  # required fields
        version = user.session_version

        def change() -> None:
            s = db_session()
            old_grants = {(r.role, r.pool_id, r.office_id) for r in user.roles}
            if old_grants != set(form.grants()):
                user_service.set_roles(s, actor=actor, user=user, grants=form.grants())
            if name != user.name or email.strip().lower() != user.email:
                user_service.update_user(s, actor=actor, user=user, name=name, email=email)

        saved, _result = save(form, change)
        if saved:
            if user.id == actor.id and user.session_version != version:
                # A new e-mail address ends every session; this browser stays signed in.
                sessions.sign_in_browser(db_session(), user, now=utcnow())
                db_session().commit()
            flash(_("Die Änderungen für %(name)s sind gespeichert.", name=user.name), "success")
            if user.id == actor.id and not user.has_role(Role.ADMIN):
                return redirect(url_for("main.index"))
            return redirect(url_for("admin.user_edit", user_id=user.id))
    return render_template(
        "admin/user_form.html",
        form=form,
        user=user,
        office_groups=office_groups,
        confirm_form=ConfirmForm(formdata=None),
    ), 400 if request.method == "POST" else 200


def _user_action(user_id: int, action, success):
    user = _get_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        action(db_session(), actor=_actor(), user=user)
        db_session().commit()
    except ServiceError as exc:
        db_session().rollback()
        flash(exc.message, "error")
    else:
        flash(success(user.name), "success")
    return redirect(url_for("admin.user_edit", user_id=user_id))


@bp.post("/users/<int:user_id>/invite")
@roles_required(Role.ADMIN)
def user_invite(user_id: int):
    def resend(s, *, actor, user):
        user_service.resend_invitation(s, actor=actor, user=user, now=utcnow())

    return _user_action(
        user_id,
        resend,
        lambda name: _(
            "Eine neue Einladung an %(name)s ist unterwegs. Ältere Links gelten nicht mehr.",
            name=name,
        ),
    )


@bp.post("/users/<int:user_id>/deactivate")
@roles_required(Role.ADMIN)
def user_deactivate(user_id: int):
    return _user_action(
        user_id,
        user_service.deactivate,
        lambda name: _(
            "Der Zugang von %(name)s ist deaktiviert. Die Person ist überall abgemeldet.", name=name
        ),
    )


@bp.post("/users/<int:user_id>/reactivate")
@roles_required(Role.ADMIN)
def user_reactivate(user_id: int):
    return _user_action(
        user_id,
        user_service.reactivate,
        lambda name: _("Der Zugang von %(name)s ist wieder aktiv.", name=name),
    )


# --- e-mails that could not be delivered ----------------------------------------------------------


@bp.get("/messages")
@roles_required(Role.ADMIN)
def messages():
    """Failed messages, the latest attempt first, each with a button to send it again."""
    s = db_session()
    failed = OutboxMessage.status == OutboxStatus.FAILED
    total = s.scalar(select(func.count(OutboxMessage.id)).where(failed)) or 0
    pages = max(1, -(-total // MESSAGES_PER_PAGE))
    page = min(page_number(request.args.get("page")), pages)
    rows = s.scalars(
        select(OutboxMessage)
        .where(failed)
        .order_by(OutboxMessage.claimed_at.desc(), OutboxMessage.id.desc())
        .limit(MESSAGES_PER_PAGE)
        .offset((page - 1) * MESSAGES_PER_PAGE)
    ).all()
    return render_template(
        "admin/messages.html",
        messages=rows,
        total=total,
        page=page,
        pages=pages,
        confirm_form=ConfirmForm(formdata=None),
    )


def _retry(message_id: int | None):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = retry_failed(db_session(), actor=_actor(), now=utcnow(), message_id=message_id)
    db_session().commit()
    if count == 0:
        flash(_("Diese E-Mail wartet schon auf den nächsten Versuch."), "info")
    else:
        flash(
            ngettext(
                "%(num)d E-Mail wird gleich erneut gesendet.",
                "%(num)d E-Mails werden gleich erneut gesendet.",
                count,
            ),
            "success",
        )
    return redirect(url_for("admin.messages"))


@bp.post("/messages/<int:message_id>/retry")
@roles_required(Role.ADMIN)
def message_retry(message_id: int):
    _get_or_404(OutboxMessage, message_id)
    return _retry(message_id)


@bp.post("/messages/retry-all")
@roles_required(Role.ADMIN)
def messages_retry_all():
    return _retry(None)
