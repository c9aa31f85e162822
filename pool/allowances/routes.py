"""Pages for allowances: the month's overview per pool, the rules, each mediator's statement
(page, CSV, PDF), payouts and the payout list for the finance office.

Every view: load through ``pool/permissions.py`` → validate → call the service → commit →
flash → redirect. The pool and month come from the query string (``?pool=1&month=2027-03``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from pool.allowances import bp
from pool.allowances.forms import (
    MONTH_MESSAGE,
    UNIT_LABELS,
    LimitForm,
    PaidForm,
    PeriodForm,
    RuleForm,
    format_cents_plain,
    parse_month,
)
from pool.db import db_session, utcnow
from pool.downloads import csv_text, download
from pool.enums import Role
from pool.forms import ConfirmForm, choices, save
from pool.i18n import current_language
from pool.i18n import gettext as _
from pool.languages import language_name
from pool.models import Mediator, Payout, Pool, User
from pool.models.allowances import AMOUNT_FIELDS
from pool.pdf import table_pdf
from pool.permissions import deny, load_pool, mediator_access, roles_required, visible_pool_ids
from pool.services import allowances as service

COORDINATION = (Role.COORDINATOR, Role.ADMIN)


def _actor() -> User:
    return current_user._get_current_object()


@bp.app_template_filter("euro")
def euro(cents: int | None) -> str:
    """``1050`` → ``10,50 €`` (German) or ``€10.50`` (English)."""
    if cents is None:
        return ""
    return format_currency(Decimal(cents) / 100, "EUR", locale=current_language())


def _kind_label(kind: str) -> str:
    return {
        service.TOOK_PLACE: _("Einsatz"),
        service.SHORT_NOTICE: _("kurzfristig abgesagt"),
        service.CLIENT_NO_SHOW: _("Klient:in nicht erschienen"),
    }[kind]


def _month_label(period: date) -> str:
    return format_date(period, "MMMM yyyy", locale=current_language())


def _rule_label(rule) -> str:
    if rule is None:
        return _("keine Regel")
    return _("gültig ab %(day)s", day=format_date(rule.valid_from, "dd.MM.yyyy", locale="de"))


# --- pool and month -------------------------------------------------------------------------------


def _scope() -> tuple[PeriodForm, Pool, date | None]:
    """The pool (403 for someone else's) and month of the query string; the month is None and
    the form carries an error when it is not a valid month."""
    s = db_session()
    user = _actor()
    pool_ids = visible_pool_ids(user)
    query = select(Pool).order_by(Pool.name, Pool.id)
    if pool_ids is not None:
        query = query.where(Pool.id.in_(pool_ids or [-1]))
    pools = list(s.scalars(query))
    form = PeriodForm(formdata=request.args, meta={"csrf": False})
    form.pool.choices = choices([(str(p.id), p.name) for p in pools])
    raw_pool = request.args.get("pool", "").strip()
    if raw_pool:
        if not raw_pool.isascii() or not raw_pool.isdigit() or len(raw_pool) > 9:
            abort(404)
        pool = load_pool(s, user, int(raw_pool))
    elif pools:
        pool = pools[0]
    else:
        abort(404)
    form.pool.data = str(pool.id)
    raw_month = request.args.get("month", "").strip()
    if raw_month:
        period = parse_month(raw_month)
        if period is None:
            form.month.errors = [str(MONTH_MESSAGE)]
    else:
        period = service.month_start(service.local_day(utcnow()))
        form.month.data = period.strftime("%Y-%m")
    return form, pool, period


def _period_args(pool: Pool, period: date) -> dict:
    return {"pool": pool.id, "month": period.strftime("%Y-%m")}


def _load_mediator(mediator_id: int) -> Mediator:
    """A mediator the coordinator may see (their pool's or a partner pool's)."""
    s = db_session()
    mediator = s.get(Mediator, mediator_id) if 0 < mediator_id < 2**31 else None
    if mediator is None:
        abort(404)
    if mediator_access(s, _actor(), mediator) not in ("manage", "read"):
        deny("mediator", mediator_id)
    return mediator


# --- overview -------------------------------------------------------------------------------------


@bp.get("/")
@roles_required(*COORDINATION)
def index():
    s = db_session()
    form, pool, period = _scope()
    if period is None:
        return render_template("allowances/index.html", form=form, pool=pool, rows=[]), 400
    grouped = service.by_mediator(service.statement_lines(s, pool, period))
    mediators = {
        m.id: m for m in s.scalars(select(Mediator).where(Mediator.id.in_(list(grouped) or [-1])))
    }
    year = service.local_day(utcnow()).year
    rows: list[dict[str, Any]] = sorted(
        (
            {
                "mediator": mediators[mediator_id],
                "reference": service.payee_reference(mediator_id),
                "totals": service.totals(lines),
                "tax": service.tax_status(s, mediators[mediator_id], year),
            }
            for mediator_id, lines in grouped.items()
        ),
        key=lambda row: row["mediator"].name.casefold(),
    )
    return render_template(
        "allowances/index.html",
        form=form,
        pool=pool,
        period=period,
        month_label=_month_label(period),
        args=_period_args(pool, period),
        rows=rows,
        has_rules=bool(service.pool_rules(s, pool.id)),
    )


@bp.get("/payouts.csv")
@roles_required(*COORDINATION)
def finance_csv():
    """The payout list for the finance office: one line per mediator and office to charge."""
    s = db_session()
    _form, pool, period = _scope()
    if period is None:
        abort(400)
    rows = service.finance_rows(service.statement_lines(s, pool, period))
    names = dict(
        s.execute(
            select(Mediator.id, Mediator.name).where(
                Mediator.id.in_({r.mediator_id for r in rows} or {-1})
            )
        ).all()
    )
    rows.sort(key=lambda r: (names[r.mediator_id].casefold(), r.office_name))
    month = period.strftime("%Y-%m")
    return _csv_response(
        f"auszahlungsliste-{month}.csv",
        [
            _("Zahlungsempfänger-Referenz"),
            _("Name"),
            _("Betrag (Euro)"),
            _("Zeitraum"),
            _("Kostenstelle oder Dienststelle"),
            _("Pool"),
        ],
        [
            [
                service.payee_reference(r.mediator_id),
                names[r.mediator_id],
                format_cents_plain(r.amount_cents),
                month,
                r.cost_centre or r.office_name,
                pool.name,
            ]
            for r in rows
        ],
    )


# --- rules ----------------------------------------------------------------------------------------


@bp.route("/rules", methods=["GET", "POST"])
@roles_required(*COORDINATION)
def rules():
    s = db_session()
    _form, pool, _period = _scope()
    form = RuleForm()
    limit_form = LimitForm(formdata=None)
    limit_form.limit.data = pool.tax_free_limit_cents
    status = 200
    if request.method == "POST":
        if form.validate():
            values = {name: form[name].data for name in ("valid_from", "unit", *AMOUNT_FIELDS)}
            ok, _rule = save(
                form,
                lambda: service.add_rule(s, actor=_actor(), pool=pool, values=values, now=utcnow()),
            )
            if ok:
                flash(_("Die Regel wurde gespeichert."), "success")
                return redirect(url_for("allowances.rules", pool=pool.id))
        status = 400
    return _rules_page(pool, form, limit_form, status)


@bp.post("/limit")
@roles_required(*COORDINATION)
def limit():
    s = db_session()
    _form, pool, _period = _scope()
    limit_form = LimitForm()
    if limit_form.validate():
        cents = limit_form.limit.data
        assert cents is not None  # the field is required
        ok, _result = save(
            limit_form,
            lambda: service.set_tax_free_limit(s, actor=_actor(), pool=pool, cents=cents),
        )
        if ok:
            flash(_("Der Höchstbetrag wurde gespeichert."), "success")
            return redirect(url_for("allowances.rules", pool=pool.id))
    return _rules_page(pool, RuleForm(formdata=None), limit_form, 400)


def _rules_page(pool: Pool, form: RuleForm, limit_form: LimitForm, status: int):
    return (
        render_template(
            "allowances/rules.html",
            pool=pool,
            form=form,
            limit_form=limit_form,
            rules=service.pool_rules(db_session(), pool.id),
            unit_labels=UNIT_LABELS,
        ),
        status,
    )


# --- statements -----------------------------------------------------------------------------------


def _statement(mediator_id: int):
    form, pool, period = _scope()
    mediator = _load_mediator(mediator_id)
    if period is None:
        abort(400)
    lines = service.statement_lines(db_session(), pool, period, mediator.id)
    return form, pool, period, mediator, lines


@bp.get("/mediators/<int:mediator_id>")
@roles_required(*COORDINATION)
def statement(mediator_id: int):
    _form, pool, period, mediator, lines = _statement(mediator_id)
    return _statement_page(pool, period, mediator, lines)


def _statement_page(pool, period, mediator, lines, *, create_form=None, paid_form=None, status=200):
    s = db_session()
    today = service.local_day(utcnow())
    paid_form = paid_form or PaidForm(formdata=None)
    if paid_form.paid_on.data is None and not paid_form.errors:
        paid_form.paid_on.data = today
    return (
        render_template(
            "allowances/statement.html",
            pool=pool,
            period=period,
            month_label=_month_label(period),
            args=_period_args(pool, period),
            mediator=mediator,
            reference=service.payee_reference(mediator.id),
            lines=lines,
            totals=service.totals(lines),
            tax=service.tax_status(s, mediator, today.year),
            payouts=service.mediator_payouts(s, pool.id, mediator.id),
            create_form=create_form or ConfirmForm(formdata=None),
            paid_form=paid_form,
            kind_label=_kind_label,
            rule_label=_rule_label,
            language_name=lambda code: language_name(code, current_language()),
        ),
        status,
    )


def _line_cells(line: service.Line) -> list[str]:
    return [
        format_date(line.day, "dd.MM.yyyy", locale="de"),
        str(line.request_id),
        language_name(line.language_code, current_language()),
        line.office_name,
        _kind_label(line.kind),
        "" if line.duration_minutes is None else str(line.duration_minutes),
        "" if line.km is None else str(line.km),
        _rule_label(line.rule),
        format_cents_plain(line.amount_cents),
    ]


def _line_headers() -> list[str]:
    return [
        _("Datum"),
        _("Anfrage-Nr."),
        _("Sprache"),
        _("Dienststelle"),
        _("Art"),
        _("Dauer (Minuten)"),
        _("Kilometer"),
        _("Regel"),
        _("Betrag (Euro)"),
    ]


@bp.get("/mediators/<int:mediator_id>/statement.csv")
@roles_required(*COORDINATION)
def statement_csv(mediator_id: int):
    _form, pool, period, mediator, lines = _statement(mediator_id)
    reference = service.payee_reference(mediator.id)
    rows = [_line_cells(line) for line in lines]
    rows.append(["", "", "", "", _("Summe"), "", "", "", format_cents_plain(sum_cents(lines))])
    return _csv_response(
        f"abrechnung-{reference}-{period.strftime('%Y-%m')}.csv", _line_headers(), rows
    )


@bp.get("/mediators/<int:mediator_id>/statement.pdf")
@roles_required(*COORDINATION)
def statement_pdf(mediator_id: int):
    _form, pool, period, mediator, lines = _statement(mediator_id)
    reference = service.payee_reference(mediator.id)
    title = _("Abrechnung Aufwandsentschädigung %(month)s", month=_month_label(period))
    subtitle = _(
        "%(name)s (%(reference)s) – Pool %(pool)s (Regeln des buchenden Pools) – Summe %(total)s",
        name=mediator.name,
        reference=reference,
        pool=pool.name,
        total=euro(sum_cents(lines)),
    )
    rows = [_line_cells(line) for line in lines]
    rows.append(["", "", "", "", _("Summe"), "", "", "", format_cents_plain(sum_cents(lines))])
    data = table_pdf(title, subtitle, _line_headers(), rows)
    filename = f"abrechnung-{reference}-{period.strftime('%Y-%m')}.pdf"
    return Response(
        data,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def sum_cents(lines: list[service.Line]) -> int:
    return sum(line.amount_cents for line in lines)


# --- payouts --------------------------------------------------------------------------------------


@bp.post("/mediators/<int:mediator_id>/payouts")
@roles_required(*COORDINATION)
def create_payout(mediator_id: int):
    s = db_session()
    _form, pool, period, mediator, _lines = _statement(mediator_id)
    form = ConfirmForm()
    if form.validate():
        ok, payout = save(
            form,
            lambda: service.create_payout(
                s, actor=_actor(), pool=pool, mediator=mediator, period=period, now=utcnow()
            ),
        )
        if ok:
            flash(
                _(
                    "Die Auszahlung über %(amount)s wurde angelegt.",
                    amount=euro(payout.amount_cents),
                ),
                "success",
            )
            return redirect(url_for("allowances.statement", mediator_id=mediator.id,
                                    **_period_args(pool, period)))  # fmt: skip
    lines = service.statement_lines(s, pool, period, mediator.id)
    return _statement_page(pool, period, mediator, lines, create_form=form, status=400)


@bp.post("/payouts/<int:payout_id>/paid")
@roles_required(*COORDINATION)
def mark_paid(payout_id: int):
    s = db_session()
    payout = s.get(Payout, payout_id) if 0 < payout_id < 2**31 else None
    if payout is None:
        abort(404)
    pool = load_pool(s, _actor(), payout.pool_id)
    form = PaidForm()
    if form.validate():
        paid_on = form.paid_on.data
        ok, _result = save(
            form,
            lambda: service.mark_paid(s, actor=_actor(), payout=payout, paid_on=paid_on,
                                      now=utcnow()),
        )  # fmt: skip
        if ok:
            flash(_("Die Auszahlung ist als bezahlt markiert."), "success")
    mediator = s.get(Mediator, payout.mediator_id) if payout.mediator_id else None
    if mediator is None:
        return redirect(url_for("allowances.index", **_period_args(pool, payout.period)))
    if form.errors or form.form_errors:
        lines = service.statement_lines(s, pool, payout.period, mediator.id)
        return _statement_page(pool, payout.period, mediator, lines, paid_form=form, status=400)
    return redirect(url_for("allowances.statement", mediator_id=mediator.id,
                            **_period_args(pool, payout.period)))  # fmt: skip


# --- CSV ------------------------------------------------------------------------------------------


def _csv_response(filename: str, headers: list[str], rows: list[list]) -> Response:
    return download(csv_text(headers, rows), filename, "text/csv")
