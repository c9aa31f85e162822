"""The office's side: the list of requests, the request form, the request page with change,
cancel and the outcome afterwards.

Caseworkers see the requests of their offices, coordinators those of their pools' offices (and
may ask on behalf of any of them, e.g. after a phone call), admins all. A mediator who follows a
link to a request is sent to their own offer or assignment page: the request page shows case
data (case reference, notes) that is not for them.

Every view: load → authorise → validate → service → commit → flash → redirect. Forms with errors
come back with status 400 (409 when someone else changed the request first) and keep the input.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.routing import BuildError

from pool.db import db_session, utcnow
from pool.enums import AssignmentStatus, RequestStatus, Role, Side
from pool.forms import REQUEST_CHANGED_ELSEWHERE, add_form_error, commit_change
from pool.i18n import BERLIN, current_language
from pool.i18n import gettext as _
from pool.i18n import lazy_gettext as _l
from pool.labels import GENDER_LABELS, MODE_LABELS, SETTING_LABELS
from pool.languages import language_name
from pool.models import Assignment, Domain, InterpretingRequest, Offer, Office, User
from pool.pagecache import kept
from pool.permissions import (
    load_office,
    load_request,
    own_mediator,
    request_access,
    roles_required,
)
from pool.requests import bp
from pool.requests.office_forms import (
    FIELD_OF,
    OUTCOME_LABELS,
    CancelForm,
    ChangeForm,
    OutcomeForm,
    RequestForm,
)
from pool.services import requests as intake
from pool.services.booking import report_outcome
from pool.services.requests import CHANGEABLE_STATUSES

MAX_ID = 2**31 - 1
PAST_PER_PAGE = 30

# The office reads the status in its own words; the coordination sees pool/labels.py.
STATUS_LABELS = {
    RequestStatus.OPEN: _l("Wir suchen eine Person"),
    RequestStatus.OFFERED: _l("Angefragt, wir warten auf eine Zusage"),
    RequestStatus.ASSIGNED: _l("Zugesagt"),
    RequestStatus.COMPLETED: _l("Erledigt"),
    RequestStatus.CANCELLED: _l("Abgesagt"),
    RequestStatus.UNFILLED: _l("Niemand gefunden"),
}
CANCELLED_BY_LABELS = {
    Side.OFFICE: _l("von Ihrer Dienststelle"),
    Side.COORDINATION: _l("von der Koordination"),
    Side.MEDIATOR: _l("von der Sprachmittlung"),
}


def _actor() -> User:
    return current_user._get_current_object()


def labels() -> dict:
    return {
        "status": STATUS_LABELS,
        "mode": MODE_LABELS,
        "setting": SETTING_LABELS,
        "gender": GENDER_LABELS,
        "outcome": OUTCOME_LABELS,
        "cancelled_by": CANCELLED_BY_LABELS,
    }


def _language(code: str) -> str:
    return language_name(code, current_language())


def _optional_url(endpoint: str, **values) -> str | None:
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


# --- whom the user asks for -----------------------------------------------------------------------


def _scope(user: User) -> tuple[list[int] | None, list[int] | None]:
    """(office ids, pool ids) whose requests the user sees; (None, None) for admins."""
    if user.has_role(Role.ADMIN):
        return None, None
    return list(user.caseworker_office_ids), list(user.coordinated_pool_ids)


def _offices(session, user: User) -> list[Office]:
    """The active offices the user may ask for: their own; a coordinator's pools' offices."""
    query = select(Office).where(Office.active.is_(True)).order_by(Office.name, Office.id)
    office_ids, pool_ids = _scope(user)
    if office_ids is not None:
        ids, pools = office_ids or [-1], pool_ids or [-1]
        query = query.where(Office.id.in_(ids) | Office.pool_id.in_(pools))
    return list(session.scalars(query))


def _office_pairs(offices: list[Office], user: User) -> list[tuple[int, str]]:
    """Office names, with the pool where the user sees offices of more than one pool."""
    several_pools = len({o.pool_id for o in offices}) > 1
    return [(o.id, f"{o.name} ({o.pool.name})" if several_pools else o.name) for o in offices]


def _domain_pairs(session) -> list[tuple[str, str]]:
    english = current_language() == "en"
    return [
        (d.code, d.name_en if english else d.name_de)
        for d in session.scalars(select(Domain).order_by(Domain.name_de))
    ]


def _arg_id(name: str) -> int | None:
    raw = request.args.get(name, "")
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 10 and int(raw) <= MAX_ID:
        return int(raw)
    return None


# --- list -----------------------------------------------------------------------------------------


@bp.get("/")
@kept
@roles_required(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)
def index():
    s = db_session()
    user = _actor()
    offices = _offices(s, user)
    office_id = _arg_id("office")
    if office_id is not None and office_id not in {o.id for o in offices}:
        office_id = None
    page = max(1, min(_arg_id("page") or 1, 10_000))
    office_ids, pool_ids = _scope(user)
    upcoming, past, past_total = intake.visible_requests(
        s, office_ids=office_ids, pool_ids=pool_ids, now=utcnow(), office_id=office_id,
        past_offset=(page - 1) * PAST_PER_PAGE, past_limit=PAST_PER_PAGE,
    )  # fmt: skip
    show_office = len(offices) > 1
    return render_template(
        "requests/office_index.html",
        upcoming=upcoming,
        past=past,
        page=page,
        pages=max(1, -(-past_total // PAST_PER_PAGE)),
        offices=_office_pairs(offices, user),
        office_id=office_id,
        filter_offices=len(offices) > 1,
        show_office=show_office or user.has_role(Role.ADMIN),
        may_ask=bool(offices),
        now=utcnow(),
        labels=labels(),
        language_name=_language,
    )


# --- new ------------------------------------------------------------------------------------------


def _put_reasons(form, reasons, skip: frozenset[str] = frozenset()) -> None:
    """Each reason of the intake at its field (or at the top of the form)."""
    for reason in reasons:
        name = FIELD_OF.get(reason.field, reason.field) if reason.field else None
        if name in skip:
            continue
        add_form_error(form, reason.text, name if name in form._fields else None)


T = TypeVar("T")


def _commit(form, change: Callable[[], T]) -> tuple[int | None, T | None]:
    """Run the service and commit; on a refusal the reasons are on ``form`` and the status for the
    page is returned (400, or 409 when someone else was faster)."""
    return commit_change(form, change, concurrent=REQUEST_CHANGED_ELSEWHERE, refused=_put_reasons)


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)
def new():
    s = db_session()
    user = _actor()
    offices = _offices(s, user)
    if not offices:
        return render_template("requests/office_no_office.html"), 403
    pairs = _office_pairs(offices, user)
    fixed_office = offices[0] if len(offices) == 1 else None
    form = RequestForm(office_pairs=pairs, domain_pairs=_domain_pairs(s))
    if fixed_office is not None and request.method == "GET":
        form.office_id.data = str(fixed_office.id)
    status: int | None = 200
    if request.method == "POST":
        if fixed_office is not None:
            form.office_id.data = str(fixed_office.id)
            form.office_id.raw_data = [str(fixed_office.id)]
        parsed = form.validate()
        office = None
        office_id = form.office_id.data
        if not form.office_id.errors:
            if office_id:
                office = load_office(s, user, int(office_id))
            else:
                add_form_error(form, _("Bitte wählen Sie die Dienststelle."), "office_id")
                parsed = False
        if parsed and office is not None:
            status, created = _commit(
                form,
                lambda: intake.create_request(
                    s, actor=user, office=office, values=form.values(), now=utcnow(),
                    repeat=form.repeat_value(),
                ),
            )  # fmt: skip
            if status is None:
                assert created is not None  # no refusal: the service's answer
                first = created[0]
                if len(created) > 1:
                    flash(_("Ihre %(n)d Anfragen sind eingegangen.", n=len(created)), "success")
                else:
                    flash(_("Ihre Anfrage ist eingegangen."), "success")
                return redirect(url_for("requests.detail", request_id=first.id))
        else:
            # Show the intake's reasons for the rest of the form, too: all at once.
            broken = frozenset(f.name for f in form if f.errors)
            if "start" in broken:
                broken |= {"day"}
            pool = office.pool if office is not None else offices[0].pool
            _put_reasons(
                form,
                intake.check_intake(s, pool=pool, values=form.values(), now=utcnow()),
                skip=broken | {"office_id"},
            )
            s.rollback()
            status = 400
    return (
        render_template(
            "requests/office_new.html",
            form=form,
            fixed_office=fixed_office,
            labels=labels(),
        ),
        status,
    )


# --- detail ---------------------------------------------------------------------------------------


def _mediator_redirect(session, user: User, item: InterpretingRequest):
    """A mediator gets their own page about this request, never the office's."""
    mediator = own_mediator(session, user)
    if mediator is not None:
        assignment = session.scalars(
            select(Assignment)
            .where(Assignment.request_id == item.id, Assignment.mediator_id == mediator.id)
            .order_by(Assignment.id.desc())
        ).first()
        if assignment is not None:
            return redirect(url_for("requests.assignment_detail", assignment_id=assignment.id))
        offer = session.scalars(
            select(Offer)
            .where(Offer.request_id == item.id, Offer.mediator_id == mediator.id)
            .order_by(Offer.id.desc())
        ).first()
        if offer is not None:
            return redirect(url_for("requests.offer_detail", offer_id=offer.id))
    abort(404)


def _state(item: InterpretingRequest, now: datetime) -> dict:
    """What the page may offer for ``item`` now."""
    assignment = item.active_assignment
    future = item.starts_at > now
    return {
        "assignment": assignment,
        "can_change": item.status in CHANGEABLE_STATUSES and future,
        "can_cancel": item.status in CHANGEABLE_STATUSES and future,
        "needs_outcome": assignment is not None
        and assignment.status in (AssignmentStatus.CONFIRMED, AssignmentStatus.COMPLETED)
        and assignment.office_outcome is None
        and assignment.starts_at <= now,
        "over": item.ends_at <= now,
        "started": not future,
    }


def _detail_page(item: InterpretingRequest, *, cancel=None, outcome=None, status: int = 200):
    s = db_session()
    now = utcnow()
    access = request_access(s, _actor(), item)
    siblings = intake.series_requests(s, item) if item.series_id else []
    domain = s.get(Domain, item.domain_code)
    review_url = None
    if access == "manage" and item.status in (RequestStatus.OPEN, RequestStatus.OFFERED):
        review_url = _optional_url("requests.review", request_id=item.id)
    return (
        render_template(
            "requests/office_detail.html",
            item=item,
            state=_state(item, now),
            siblings=siblings,
            domain=(domain.name_en if current_language() == "en" else domain.name_de)
            if domain
            else item.domain_code,
            language=_language(item.language_code),
            local_end=item.ends_at.astimezone(BERLIN),
            review_url=review_url,
            is_coordination=access == "manage",
            cancel=cancel or CancelForm(formdata=None),
            outcome=outcome or OutcomeForm(formdata=None),
            labels=labels(),
        ),
        status,
    )


@bp.get("/<int:request_id>")
@roles_required(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN, Role.MEDIATOR)
def detail(request_id: int):
    s = db_session()
    user = _actor()
    item = load_request(s, user, request_id, need="read")
    if request_access(s, user, item) == "mediator":
        return _mediator_redirect(s, user, item)
    return _detail_page(item)


# --- change ---------------------------------------------------------------------------------------


def _change_data(item: InterpretingRequest) -> dict:
    local = item.starts_at.astimezone(BERLIN)
    return {
        "scope": "one",
        "day": local.date(),
        "start": local.time().replace(second=0, microsecond=0),
        "duration_minutes": str(item.duration_minutes),
        "mode": item.mode,
        "municipality": item.municipality or "",
        "address": item.address or "",
        "urgent": item.urgent,
        "urgent_reason": item.urgent_reason or "",
        "notes": item.notes or "",
    }


def _changed_values(form: ChangeForm, item: InterpretingRequest) -> dict:
    """Only what differs from the request as it is (a series gets only those changes)."""
    current = _change_data(item)
    values = form.values()
    changed = {}
    for name, value in values.items():
        if name == "starts_at":
            if (form.day.data, form.start.data) != (current["day"], current["start"]):
                changed[name] = value
        elif name == "duration_minutes":
            if value != item.duration_minutes:
                changed[name] = value
        elif name in ("urgent",):
            if value != item.urgent:
                changed[name] = value
        elif (value or "") != (current[name] or ""):
            changed[name] = value
    if "urgent" in changed or ("urgent_reason" in changed and values["urgent"]):
        changed["urgent"] = values["urgent"]
        changed["urgent_reason"] = values["urgent_reason"]
    elif "urgent_reason" in changed:
        del changed["urgent_reason"]  # a reason without the flag changes nothing
    return changed


@bp.route("/<int:request_id>/edit", methods=["GET", "POST"])
@roles_required(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)
def edit(request_id: int):
    s = db_session()
    user = _actor()
    item = load_request(s, user, request_id, need="office_or_manage")
    now = utcnow()
    if not _state(item, now)["can_change"]:
        flash(_("Diese Anfrage kann nicht mehr geändert werden."), "error")
        return redirect(url_for("requests.detail", request_id=item.id))
    posted = request.method == "POST"
    form = ChangeForm(
        data=None if posted else _change_data(item), current_duration=item.duration_minutes
    )
    in_series = item.series_id is not None
    status: int | None = 200
    if posted:
        if not in_series:
            form.scope.data = "one"
        if form.validate():
            changes = _changed_values(form, item)
            if not changes:
                flash(_("Sie haben nichts geändert."), "info")
                return redirect(url_for("requests.detail", request_id=item.id))
            status, changed = _commit(
                form,
                lambda: intake.change_request(
                    s, actor=user, request=item, values=changes, now=now,
                    whole_series=in_series and form.scope.data == "series",
                ),
            )  # fmt: skip
            if status is None:
                assert changed is not None  # no refusal: the service's answer
                flash(
                    _("Die Änderung ist gespeichert (%(n)d Termine).", n=len(changed))
                    if len(changed) > 1
                    else _("Die Änderung ist gespeichert."),
                    "success",
                )
                return redirect(url_for("requests.detail", request_id=item.id))
            s.expire_all()
        else:
            status = 400
    return (
        render_template(
            "requests/office_edit.html",
            form=form,
            item=item,
            in_series=in_series,
            language=_language(item.language_code),
            labels=labels(),
        ),
        status,
    )


# --- cancel and outcome ---------------------------------------------------------------------------


@bp.post("/<int:request_id>/cancel")
@roles_required(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)
def cancel(request_id: int):
    s = db_session()
    user = _actor()
    item = load_request(s, user, request_id, need="office_or_manage")
    form = CancelForm()
    if not form.validate():
        return _detail_page(item, cancel=form, status=400)
    reason = form.reason.data
    if not reason:
        add_form_error(form, _("Bitte geben Sie einen Grund an."), "reason")
        return _detail_page(item, cancel=form, status=400)
    if not _state(item, utcnow())["can_cancel"]:
        add_form_error(form, _("Diese Anfrage kann nicht mehr abgesagt werden."))
        return _detail_page(item, cancel=form, status=409)
    status, cancelled = _commit(
        form,
        lambda: intake.cancel_with_following(
            s, actor=user, request=item, reason=reason, now=utcnow(),
            following=bool(form.whole_series.data),
        ),
    )  # fmt: skip
    if status is not None:
        s.expire_all()
        return _detail_page(item, cancel=form, status=status)
    assert cancelled is not None  # no refusal: the service's answer
    if len(cancelled) > 1:
        flash(_("%(n)d Termine sind abgesagt.", n=len(cancelled)), "success")
    else:
        flash(_("Die Anfrage ist abgesagt."), "success")
    return redirect(url_for("requests.detail", request_id=item.id))


@bp.post("/<int:request_id>/outcome")
@roles_required(Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN)
def outcome(request_id: int):
    s = db_session()
    user = _actor()
    item = load_request(s, user, request_id, need="office_or_manage")
    form = OutcomeForm()
    assignment = item.active_assignment
    if not form.validate():
        return _detail_page(item, outcome=form, status=400)
    if assignment is None:
        add_form_error(form, _("Für diese Anfrage gibt es keinen Einsatz."))
        return _detail_page(item, outcome=form, status=409)
    rating = int(form.rating.data) if form.rating.data else None
    status, _result = _commit(
        form,
        lambda: report_outcome(
            s, actor=user, assignment=assignment, side=Side.OFFICE, outcome=form.outcome.data,
            duration_minutes=form.duration_minutes.data, now=utcnow(), rating=rating,
            feedback=form.feedback.data or None,
        ),
    )  # fmt: skip
    if status is not None:
        s.expire_all()
        return _detail_page(item, outcome=form, status=status)
    flash(_("Danke! Ihre Rückmeldung ist gespeichert."), "success")
    return redirect(url_for("requests.detail", request_id=item.id))
