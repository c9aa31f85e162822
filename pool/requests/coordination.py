"""The coordination's side: the queue of open requests and the review of one request with its
ranked candidates, the excluded speakers and the actions (offer, withdraw, assign, unfillable).

Every view: load through ``pool/permissions.py`` → validate → call the booking service → commit
once → flash → redirect. A broken rule re-renders the page with 400 and the input kept; a booking
conflict (someone else was faster) with 409 and a plain message.

The queue's query is the service's (``pool/services/queue.py``); the view adds the words.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from pool.db import db_session, utcnow
from pool.enums import RequestStatus, Role
from pool.forms import (
    REQUEST_CHANGED_ELSEWHERE,
    ConfirmForm,
    add_form_error,
    choices,
    commit_change,
)
from pool.i18n import current_language, ngettext
from pool.i18n import gettext as _
from pool.labels import (
    ASSIGNMENT_STATUS_LABELS,
    GENDER_LABELS,
    MODE_LABELS,
    OUTCOME_LABELS,
    REQUEST_STATUS_LABELS,
    SETTING_LABELS,
)
from pool.languages import language_name
from pool.models import Domain, InterpretingRequest, Mediator, Offer, Office, Pool, User
from pool.pagecache import kept
from pool.permissions import load_offer, load_request, roles_required, visible_pool_ids
from pool.requests import bp
from pool.requests.coordination_forms import (
    CANCEL_SIDE_LABELS,
    OFFER_STATUS_LABELS,
    AssignForm,
    OfferForm,
    QueueFilterForm,
    UnfillableForm,
    exclusion_label,
)
from pool.services import booking
from pool.services.candidates import candidates_for
from pool.services.queue import QUEUE_STATUSES, QueueFilters, coordination_queue
from pool.views import page_number

COORDINATION = (Role.COORDINATOR, Role.ADMIN)


def _actor() -> User:
    return current_user._get_current_object()


def _language(code: str) -> str:
    return language_name(code, current_language())


# --- the queue ------------------------------------------------------------------------------------


def _scope_pools(session, user: User) -> list[Pool]:
    pool_ids = visible_pool_ids(user)
    query = select(Pool).order_by(Pool.name, Pool.id)
    if pool_ids is not None:
        query = query.where(Pool.id.in_(pool_ids or [-1]))
    return list(session.scalars(query))


def _filter_form(session, pools: list[Pool]) -> QueueFilterForm:
    """The filters from the URL; the default view shows only what needs a person when a pool in
    view offers automatically (DESIGN: the coordinator sees only what needs a person)."""
    pool_ids = [p.id for p in pools]
    offices = session.execute(
        select(Office.id, Office.name, Pool.name)
        .join(Pool, Pool.id == Office.pool_id)
        .where(Office.pool_id.in_(pool_ids or [-1]))
        .order_by(Pool.name, Office.name, Office.id)
    ).all()
    codes = session.scalars(
        select(InterpretingRequest.language_code)
        .where(
            InterpretingRequest.pool_id.in_(pool_ids or [-1]),
            InterpretingRequest.status.in_(QUEUE_STATUSES),
        )
        .distinct()
    ).all()
    several = len(pools) > 1
    auto = any(p.auto_offer_top_n > 0 for p in pools)
    form = QueueFilterForm(formdata=request.args, meta={"csrf": False})
    if "show" not in request.args:
        form.show.data = "person" if auto else "all"
    form.office.choices = choices(
        [("", _("Alle"))]
        + [(str(i), f"{name} ({pool})" if several else name) for i, name, pool in offices]
    )
    languages = sorted(((c, _language(c)) for c in codes), key=lambda item: item[1].casefold())
    form.language.choices = choices([("", _("Alle")), *languages])
    return form


def _needs(item: InterpretingRequest, pool: Pool, counts: dict, now: datetime) -> list[str]:
    """What needs a person, in words (empty: it is waiting for answers)."""
    needs = []
    if item.urgent:
        needs.append(_("Dringend"))
    if item.status == RequestStatus.OPEN:
        if counts.get("ended"):
            needs.append(_("Alle Angebote abgelehnt oder abgelaufen"))
        else:
            needs.append(_("Noch niemandem angeboten"))
    if item.candidates_at_intake == 0:
        needs.append(_("Bei Eingang passte niemand"))
    if item.starts_at < now + timedelta(hours=pool.short_notice_hours):
        needs.append(_("Termin bald, noch niemand bestätigt"))
    return needs


@bp.get("/queue")
@kept
@roles_required(*COORDINATION)
def queue():
    session = db_session()
    now = utcnow()
    pools = _scope_pools(session, _actor())
    form = _filter_form(session, pools)
    valid = form.validate()
    show_person = valid and form.show.data == "person"
    filters = QueueFilters(needs_person=show_person)
    if valid:
        filters.status = form.status.data or None
        filters.office_id = int(form.office.data) if form.office.data else None
        filters.language = form.language.data or None
    found = coordination_queue(
        session, pools, filters, page=page_number(request.args.get("page")), now=now
    )
    entries = [
        {
            "item": entry.item,
            "office": entry.office,
            "pool": entry.pool,
            "pending": entry.offer_counts.get("pending", 0),
            "needs": _needs(entry.item, entry.pool, entry.offer_counts, now),
        }
        for entry in found.entries
    ]
    args = {
        name: form[name].data
        for name in ("show", "status", "office", "language")
        if valid and form[name].data
    }
    return render_template(
        "requests/coordination_queue.html",
        form=form,
        entries=entries,
        total=found.total,
        hidden=found.all_count - found.total,
        show_person=show_person,
        several_pools=len(pools) > 1,
        page=found.page,
        pages=found.pages,
        args=args,
        filtered=valid and any(form[n].data for n in ("status", "office", "language")),
        status_labels=REQUEST_STATUS_LABELS,
        language_name=_language,
    ), 200 if valid else 400


# --- the review page ------------------------------------------------------------------------------


class _Forms:
    """The action forms of the review page (prefixed: their fields never share an id)."""

    def __init__(self) -> None:
        self.offer = OfferForm(prefix="offer")
        self.assign = AssignForm(prefix="assign")
        self.unfillable = UnfillableForm(prefix="unfillable")
        self.confirm = ConfirmForm()

    def with_candidates(self, result) -> _Forms:
        people = [(c.mediator_id, c.name) for c in result.candidates] if result else []
        self.offer.mediator_ids.choices = choices(people)
        self.assign.mediator_id.choices = choices([("", _("Bitte wählen")), *people])
        return self


def _match(session, item: InterpretingRequest, now: datetime):
    if item.status not in QUEUE_STATUSES:
        return None
    return candidates_for(session, item, now)


def _render_review(item: InterpretingRequest, forms: _Forms, result, status_code: int = 200):
    session = db_session()
    now = utcnow()
    offers = session.scalars(
        select(Offer)
        .where(Offer.request_id == item.id)
        .options(selectinload(Offer.mediator))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
    ).all()
    assignments = list(item.assignments)
    active = item.active_assignment
    domain = session.get(Domain, item.domain_code)
    pool_ids = {c.pool_id for c in result.candidates} if result else set()
    pool_names = {
        p.id: p.name for p in session.scalars(select(Pool).where(Pool.id.in_(pool_ids or {-1})))
    }
    excluded_counts = []
    if result:
        merged: dict[str, int] = {}
        for code, count in result.excluded_counts.items():
            label = exclusion_label(code)
            merged[label] = merged.get(label, 0) + count
        excluded_counts = sorted(merged.items(), key=lambda pair: (-pair[1], pair[0]))
    series_size = None
    if item.series_id is not None:
        series_size = session.scalar(
            select(func.count(InterpretingRequest.id)).where(
                InterpretingRequest.series_id == item.series_id
            )
        )
    return render_template(
        "requests/coordination_review.html",
        item=item,
        forms=forms,
        result=result,
        excluded_counts=excluded_counts,
        offers=offers,
        assignments=assignments,
        active=active,
        differences=booking.outcome_differences(active) if active is not None else [],
        domain_name=(
            (domain.name_en if current_language() == "en" else domain.name_de) if domain else ""
        ),
        setting_label=SETTING_LABELS.get(item.setting, item.setting),
        pool_names=pool_names,
        series_size=series_size,
        can_act=item.status in QUEUE_STATUSES and item.starts_at > now,
        checked={str(v) for v in (forms.offer.mediator_ids.raw_data or [])},
        labels={
            "status": REQUEST_STATUS_LABELS,
            "offer": OFFER_STATUS_LABELS,
            "assignment": ASSIGNMENT_STATUS_LABELS,
            "outcome": OUTCOME_LABELS,
            "side": CANCEL_SIDE_LABELS,
            "mode": MODE_LABELS,
            "gender": GENDER_LABELS,
        },
        language_name=_language,
    ), status_code


@bp.get("/queue/<int:request_id>")
@kept
@roles_required(*COORDINATION)
def review(request_id: int):
    session = db_session()
    item = load_request(session, _actor(), request_id, need="manage")
    result = _match(session, item, utcnow())
    return _render_review(item, _Forms().with_candidates(result), result)


def _apply(form, change) -> int | None:
    """Run the service and commit; None, or the status for the page with the message on ``form``
    (400, or 409 when someone else was faster)."""
    status, _result = commit_change(form, change, concurrent=REQUEST_CHANGED_ELSEWHERE)
    return status


def _not_open(item: InterpretingRequest, form, forms: _Forms, result):
    """The request was taken, cancelled or marked meanwhile (a page opened earlier): say so
    plainly instead of "choose from the list" (the service would refuse it, too)."""
    if item.status in QUEUE_STATUSES:
        return None
    add_form_error(form, _("Diese Anfrage ist inzwischen vergeben oder nicht mehr offen."))
    return _render_review(item, forms, result, 409)


def _after_error(item: InterpretingRequest, forms: _Forms, status_code: int):
    """The page again after a refused action: the request as it is now, the input kept."""
    session = db_session()
    session.expire_all()
    result = _match(session, item, utcnow())
    return _render_review(item, forms.with_candidates(result), result, status_code)


@bp.post("/queue/<int:request_id>/offer")
@roles_required(*COORDINATION)
def review_offer(request_id: int):
    session = db_session()
    item = load_request(session, _actor(), request_id, need="manage")
    now = utcnow()
    result = _match(session, item, now)
    forms = _Forms().with_candidates(result)
    form = forms.offer
    stale = _not_open(item, form, forms, result)
    if stale is not None:
        return stale
    if not form.validate():
        return _render_review(item, forms, result, 400)
    assert form.mediator_ids.data is not None  # a required field
    wanted = list(dict.fromkeys(form.mediator_ids.data))
    found = {m.id: m for m in session.scalars(select(Mediator).where(Mediator.id.in_(wanted)))}
    mediators = [found[i] for i in wanted if i in found]
    made: list[Offer] = []

    def change():
        made.extend(
            booking.make_offers(session, actor=_actor(), request=item, mediators=mediators,
                                now=now, expires_in_minutes=form.expires_in_minutes.data)
        )  # fmt: skip

    status_code = _apply(form, change)
    if status_code is not None:
        return _after_error(item, forms, status_code)
    if made:
        flash(
            ngettext(
                "Das Angebot ist an %(num)d Person gegangen.",
                "Das Angebot ist an %(num)d Personen gegangen.",
                len(made),
            ),
            "success",
        )
    else:
        flash(_("Diese Personen haben schon ein offenes Angebot."), "success")
    return redirect(url_for("requests.review", request_id=item.id))


@bp.post("/queue/<int:request_id>/assign")
@roles_required(*COORDINATION)
def review_assign(request_id: int):
    session = db_session()
    item = load_request(session, _actor(), request_id, need="manage")
    now = utcnow()
    result = _match(session, item, now)
    forms = _Forms().with_candidates(result)
    form = forms.assign
    stale = _not_open(item, form, forms, result)
    if stale is not None:
        return stale
    if not form.validate():
        return _render_review(item, forms, result, 400)
    mediator = session.get(Mediator, form.mediator_id.data)
    if mediator is None:  # deleted meanwhile
        add_form_error(form, _("Diese Person gibt es nicht mehr."), "mediator_id")
        return _render_review(item, forms, result, 400)
    status_code = _apply(
        form,
        lambda: booking.assign_directly(
            session,
            actor=_actor(),
            request=item,
            mediator=mediator,
            reason=form.reason.data,
            now=now,
        ),  # fmt: skip
    )
    if status_code is not None:
        return _after_error(item, forms, status_code)
    flash(_("%(name)s ist für diesen Termin eingeteilt.", name=mediator.name), "success")
    return redirect(url_for("requests.review", request_id=item.id))


@bp.post("/queue/<int:request_id>/unfillable")
@roles_required(*COORDINATION)
def review_unfillable(request_id: int):
    session = db_session()
    item = load_request(session, _actor(), request_id, need="manage")
    now = utcnow()
    # The candidates are only needed to show the page again (the reason needs no list).
    forms = _Forms().with_candidates(None)
    form = forms.unfillable
    stale = _not_open(item, form, forms, None)
    if stale is not None:
        return stale
    if not form.validate():
        result = _match(session, item, now)
        return _render_review(item, forms.with_candidates(result), result, 400)
    status_code = _apply(
        form,
        lambda: booking.mark_unfillable(
            session, actor=_actor(), request=item, reason=form.reason.data, now=now
        ),  # fmt: skip
    )
    if status_code is not None:
        return _after_error(item, forms, status_code)
    flash(
        _("Die Anfrage ist als nicht besetzbar markiert. Die Dienststelle erfährt es."), "success"
    )
    return redirect(url_for("requests.review", request_id=item.id))


@bp.post("/queue/offers/<int:offer_id>/withdraw")
@roles_required(*COORDINATION)
def withdraw_offer(offer_id: int):
    session = db_session()
    offer = load_offer(session, _actor(), offer_id, need="manage")
    item = offer.request
    forms = _Forms()
    if not forms.confirm.validate():
        result = _match(session, item, utcnow())
        forms.with_candidates(result)
        add_form_error(
            forms.offer, _("Das Formular ist abgelaufen. Bitte versuchen Sie es noch einmal.")
        )
        return _render_review(item, forms, result, 400)
    name = offer.mediator.name
    status_code = _apply(
        forms.offer,
        lambda: booking.withdraw_offer(session, actor=_actor(), offer=offer, now=utcnow()),
    )
    if status_code is not None:
        return _after_error(item, forms, status_code)
    flash(_("Das Angebot an %(name)s ist zurückgezogen.", name=name), "success")
    return redirect(url_for("requests.review", request_id=item.id))
