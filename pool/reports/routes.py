"""The indicators page: figures for a period and a pool, with the previous period beside them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import render_template, request
from flask_babel import format_date, format_decimal, format_percent, ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from pool.db import db_session, utcnow
from pool.enums import Role
from pool.forms import choices
from pool.i18n import BERLIN, current_language
from pool.i18n import gettext as _
from pool.i18n import lazy_gettext as _l
from pool.languages import language_name
from pool.models import Domain, Office, Pool, User
from pool.permissions import load_pool, roles_required, visible_pool_ids
from pool.reports import bp
from pool.reports.forms import IndicatorFilterForm
from pool.services import indicators as service
from pool.services.indicators import Indicators, Row

MAX_POOL_ID = 2**31 - 1


def pool_scope(session: Session, user: User, pool_id: int | None) -> list[int] | None:
    """The pools to count: the one asked for (403/404 if not visible), else every visible pool
    (``None``: all pools, for an admin)."""
    if pool_id is not None:
        return [load_pool(session, user, pool_id).id]
    return visible_pool_ids(user)


def _visible_pools(session: Session, user: User) -> list[Pool]:
    pool_ids = visible_pool_ids(user)
    query = select(Pool).order_by(Pool.name, Pool.id)
    if pool_ids is not None:
        query = query.where(Pool.id.in_(pool_ids or [-1]))
    return list(session.scalars(query))


def _pool_id(raw: str | None) -> int | None | str:
    """The pool asked for in the URL: None for all, an id, or "" when it is not a number."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if raw.isascii() and raw.isdigit() and len(raw) <= 10 and int(raw) <= MAX_POOL_ID:
        return int(raw)
    return ""


@bp.get("")
@roles_required(Role.COORDINATOR, Role.ADMIN)
def indicators():
    session = db_session()
    user = current_user._get_current_object()
    pools = _visible_pools(session, user)
    form = IndicatorFilterForm(formdata=request.args, meta={"csrf": False})
    form.pool.choices = choices(
        [("", _("Alle Pools") if len(pools) != 1 else pools[0].name)]
        + [(str(p.id), p.name) for p in pools]
    )
    form.defaults = service.last_full_month(utcnow().astimezone(BERLIN).date())
    valid = form.validate()
    pool_id = _pool_id(request.args.get("pool"))
    if pool_id == "":
        form.pool.errors = [*form.pool.errors, _("Bitte wählen Sie einen Pool aus der Liste.")]
        valid = False
    context = {"form": form, "show_pool": len(pools) > 1}
    if not valid:
        return render_template("reports/indicators.html", **context), 400
    start, end = form.start.data, form.end.data
    assert start is not None and end is not None  # the form fills empty days from the defaults
    pool_ids = pool_scope(session, user, pool_id if isinstance(pool_id, int) else None)
    figures = service.compute(session, pool_ids, start, end, utcnow())
    labels = _labels(session, figures)
    return render_template(
        "reports/indicators.html",
        **context,
        figures=figures,
        headline=headline(figures),
        labels=labels,
        format_rate=_rate,
        pairs=_pairs,
        mediator_pairs=[
            (labels["language"].get(r.code, r.code), r.deployable)
            for r in figures.mediators_by_language
        ],
        pool_name=next((p.name for p in pools if [p.id] == pool_ids), None),
    )


# --- what the page shows --------------------------------------------------------------------------


@dataclass
class Figure:
    label: str
    current: str
    previous: str
    difference: str


def _pairs(rows: list[Row], names: dict[str, str], count: str = "requests") -> list:
    """(label, number) pairs for a chart."""
    return [(names.get(r.key, r.key), getattr(r.counts, count)) for r in rows]


def _number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "–"
    return format_decimal(
        round(value, digits), format="#,##0" + ("." + "0" * digits if digits else "")
    )


def _rate(value: float | None) -> str:
    return "–" if value is None else format_percent(value, format="#,##0.0 %")


def _duration(minutes: float | None) -> str:
    if minutes is None:
        return "–"
    if abs(minutes) < 120:
        return ngettext("%(num)d Minute", "%(num)d Minuten", round(minutes))
    if abs(minutes) < 72 * 60:
        return _("%(hours)s Stunden", hours=_number(minutes / 60, 1))
    return _("%(days)s Tage", days=_number(minutes / 1440, 1))


def _hours(minutes: float | None) -> str:
    return "–" if minutes is None else _("%(hours)s Stunden", hours=_number(minutes / 60, 1))


def _signed(text: str, value: float) -> str:
    return f"+{text}" if value > 0 else text.replace("-", "−") if value < 0 else text


def _difference(current: float | None, previous: float | None, kind: str) -> str:
    if current is None or previous is None:
        return "–"
    value = current - previous
    if kind == "rate":
        return _signed(_("%(points)s Prozentpunkte", points=_number(value * 100, 1)), value)
    return _signed(_format(value, kind), value)


HEADLINE = (
    # (label, how to read the figure from a Summary, kind)
    (_l("Anfragen"), lambda s: s.counts.requests, "count"),
    (_l("Besetzt"), lambda s: s.counts.fulfilled, "count"),
    (_l("Nicht besetzt"), lambda s: s.counts.unfilled, "count"),
    (_l("Abgesagt"), lambda s: s.counts.cancelled, "count"),
    (_l("davon von der Dienststelle"), lambda s: s.counts.cancelled_by_office, "count"),
    (_l("davon von der Koordination"), lambda s: s.cancelled_by_coordination, "count"),
    (_l("davon kurzfristig"), lambda s: s.cancelled_short_notice, "count"),
    (_l("Absagen durch Sprachmittler:innen"), lambda s: s.mediator_cancellations, "count"),
    (_l("davon kurzfristig"), lambda s: s.mediator_cancellations_short_notice, "count"),
    (_l("Besetzungsquote"), lambda s: s.counts.fulfilment_rate, "rate"),
    (_l("Ohne passende Person bei Eingang"), lambda s: s.counts.without_candidates, "count"),
    (_l("Zeit bis zur Zusage (Median)"), lambda s: s.median_minutes_to_assignment, "minutes"),
    (_l("Vorlaufzeit (Median)"), lambda s: s.median_lead_time_minutes, "minutes"),
    (_l("Stunden von Ehrenamtlichen"), lambda s: s.minutes_volunteers, "hours"),
    (_l("Stunden von Hauptamtlichen"), lambda s: s.minutes_staff, "hours"),
    (_l("Nicht erschienen: Klient:in"), lambda s: s.client_no_shows, "count"),
    (_l("Nicht erschienen: Sprachmittler:in"), lambda s: s.mediator_no_shows, "count"),
    (
        _l("Rückmeldung der Dienststellen (Durchschnitt, 1 bis 5)"),
        lambda s: s.feedback_average,
        "average",
    ),
    (_l("Gesprächswünsche nach Einsätzen"), lambda s: s.debrief_requests, "count"),
)


def _format(value: float | None, kind: str) -> str:
    if kind == "rate":
        return _rate(value)
    if kind == "minutes":
        return _duration(value)
    if kind == "hours":
        return _hours(value)
    return _number(value, 1 if kind == "average" else 0)


def headline(figures: Indicators) -> list[Figure]:
    """Each headline figure with the previous period's value and the difference."""

    def row(label, read, kind) -> Figure:
        current, previous = read(figures.current), read(figures.previous)
        return Figure(
            str(label),
            _format(current, kind),
            _format(previous, kind),
            _difference(current, previous, kind),
        )

    return [row(*item) for item in HEADLINE]


def _labels(session: Session, figures: Indicators) -> dict[str, dict[str, str]]:
    """Names for the keys of the breakdowns: languages, offices, domains, months."""
    locale = current_language()
    codes = {r.key for r in figures.by_language} | {r.code for r in figures.mediators_by_language}
    office_ids = [int(r.key) for r in figures.by_office]
    offices = dict(
        session.execute(
            select(Office.id, Office.name).where(Office.id.in_(office_ids or [-1]))
        ).all()
    )
    domains = {
        d.code: (d.name_en if locale == "en" else d.name_de)
        for d in session.scalars(select(Domain))
    }
    return {
        "language": {c: language_name(c, locale) for c in codes},
        "office": {str(k): v for k, v in offices.items()},
        "domain": {r.key: domains.get(r.key, r.key) for r in figures.by_domain},
        "month": {r.key: _month(r.key, "MMMM yyyy") for r in figures.by_month},
        "month_short": {r.key: _month(r.key, "MM/yy") for r in figures.by_month},
    }


def _month(key: str, pattern: str) -> str:
    year, month = key.split("-")
    return format_date(date(int(year), int(month), 1), pattern)
