"""Indicators for a period and pools: what the page and the API report.

A request belongs to the period by its start (``starts_at``, local dates in Europe/Berlin). The
figures come from a few GROUP BY queries; the medians from one two-column query each. Read only.

Definitions (also stated on the page):
- fulfilled: the request has a not-cancelled assignment that is completed (the office reported
  the outcome) or that either side reported as having taken place, unless the office reported
  that the mediator did not come;
- unfilled: marked as not fillable by the coordination, or still without a mediator when the
  appointment ended;
- cancelled: the request was cancelled (by the office or the coordination);
- fulfilment rate: fulfilled / (requests - cancelled by the office);
- without candidates: no suitable mediator at intake (``candidates_at_intake == 0``), the unmet
  demand that tells the pool whom to recruit.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from pool.deployability import add_years
from pool.enums import AssignmentStatus, MediatorKind, MediatorStatus, Outcome, RequestStatus, Side
from pool.i18n import BERLIN
from pool.models import DebriefRequest, Mediator
from pool.models.mediators import MediatorLanguage
from pool.models.requests import Assignment, InterpretingRequest

MAX_PERIOD_YEARS = 3

R = InterpretingRequest
A = Assignment


@dataclass
class Counts:
    requests: int = 0
    fulfilled: int = 0
    unfilled: int = 0
    cancelled: int = 0
    cancelled_by_office: int = 0
    without_candidates: int = 0

    @property
    def fulfilment_rate(self) -> float | None:
        """Fulfilled among the requests the office did not withdraw; None when there are none."""
        base = self.requests - self.cancelled_by_office
        return round(self.fulfilled / base, 4) if base > 0 else None


@dataclass
class Row:
    """Counts for one language, office, domain or month (``key``: code, id or ``YYYY-MM``)."""

    key: str
    counts: Counts


@dataclass
class Summary:
    """The headline figures of one period."""

    counts: Counts
    cancelled_by_coordination: int = 0
    cancelled_short_notice: int = 0
    mediator_cancellations: int = 0
    mediator_cancellations_short_notice: int = 0
    median_minutes_to_assignment: float | None = None
    median_lead_time_minutes: float | None = None
    minutes_volunteers: int = 0
    minutes_staff: int = 0
    client_no_shows: int = 0
    mediator_no_shows: int = 0
    feedback_average: float | None = None
    feedback_count: int = 0
    # Debrief requests made in the period (by their date), only the number.
    debrief_requests: int = 0


@dataclass
class MediatorRow:
    code: str
    active: int
    deployable: int


@dataclass
class Indicators:
    start: date
    end: date
    previous_start: date
    previous_end: date
    current: Summary
    previous: Summary
    by_language: list[Row] = field(default_factory=list)
    by_office: list[Row] = field(default_factory=list)
    by_domain: list[Row] = field(default_factory=list)
    by_month: list[Row] = field(default_factory=list)
    mediators_by_language: list[MediatorRow] = field(default_factory=list)
    mediators_active: int = 0
    mediators_deployable: int = 0


def last_full_month(today: date) -> tuple[date, date]:
    """The default period: the last full calendar month before ``today``."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def period_too_long(start: date, end: date) -> bool:
    """A period may be at most three years long."""
    return end >= add_years(start, MAX_PERIOD_YEARS)


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def local_midnight(day: date) -> datetime:
    """The start of a local (Europe/Berlin) day, in UTC."""
    return datetime.combine(day, time(0), tzinfo=BERLIN).astimezone(UTC)


def compute(
    session: Session, pool_ids: list[int] | None, start: date, end: date, now: datetime
) -> Indicators:
    """Indicators for requests starting from ``start`` to ``end`` (inclusive, local days) in
    ``pool_ids`` (None: all pools), with the previous period of the same length."""
    previous_start, previous_end = previous_period(start, end)
    scope = _Scope(pool_ids, start, end, now)
    active, deployable, by_language = _mediators(session, pool_ids)
    return Indicators(
        start=start,
        end=end,
        previous_start=previous_start,
        previous_end=previous_end,
        current=_summary(session, scope),
        previous=_summary(session, _Scope(pool_ids, previous_start, previous_end, now)),
        by_language=_rows(session, scope, R.language_code),
        by_office=_rows(session, scope, R.office_id),
        by_domain=_rows(session, scope, R.domain_code),
        by_month=_by_month(session, scope),
        mediators_by_language=by_language,
        mediators_active=active,
        mediators_deployable=deployable,
    )


def as_json(indicators: Indicators) -> dict[str, Any]:
    """The API's answer (``GET /reports/indicators`` in docs/api.md)."""

    def summary(s: Summary) -> dict[str, Any]:
        data = asdict(s)
        counts = data.pop("counts")
        return {**counts, "fulfilment_rate": s.counts.fulfilment_rate, **data}

    def rows(items: list[Row], name: str) -> list[dict[str, Any]]:
        return [
            {name: r.key, **asdict(r.counts), "fulfilment_rate": r.counts.fulfilment_rate}
            for r in items
        ]

    previous = summary(indicators.previous)
    return {
        "from": indicators.start.isoformat(),
        "to": indicators.end.isoformat(),
        **summary(indicators.current),
        "by_language": rows(indicators.by_language, "code"),
        "by_office": [
            {"office_id": int(r["office_id"]), **{k: v for k, v in r.items() if k != "office_id"}}
            for r in rows(indicators.by_office, "office_id")
        ],
        "by_domain": rows(indicators.by_domain, "code"),
        "by_month": rows(indicators.by_month, "month"),
        "mediators": {
            "active": indicators.mediators_active,
            "deployable": indicators.mediators_deployable,
            "by_language": [asdict(r) for r in indicators.mediators_by_language],
        },
        "previous": {
            "from": indicators.previous_start.isoformat(),
            "to": indicators.previous_end.isoformat(),
            **previous,
        },
    }


# --- queries --------------------------------------------------------------------------------------


@dataclass
class _Scope:
    pool_ids: list[int] | None
    start: date
    end: date
    now: datetime

    def where(self) -> list[Any]:
        conditions = [
            R.starts_at >= local_midnight(self.start),
            R.starts_at < local_midnight(self.end + timedelta(days=1)),
        ]
        if self.pool_ids is not None:
            conditions.append(R.pool_id.in_(self.pool_ids or [-1]))
        return conditions


# The request's one not-cancelled assignment (a partial unique index guarantees at most one).
_ACTIVE_ASSIGNMENT = and_(A.request_id == R.id, A.status != AssignmentStatus.CANCELLED)


def _flag(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _count_columns(now: datetime) -> list[Any]:
    took_place = or_(
        A.office_outcome == Outcome.TOOK_PLACE, A.mediator_outcome == Outcome.TOOK_PLACE
    )
    return [
        func.count(R.id),
        _flag(
            and_(
                or_(A.status == AssignmentStatus.COMPLETED, took_place),
                or_(A.office_outcome.is_(None), A.office_outcome != Outcome.MEDIATOR_NO_SHOW),
            )
        ),
        _flag(
            or_(
                R.status == RequestStatus.UNFILLED,
                and_(R.status.in_((RequestStatus.OPEN, RequestStatus.OFFERED)), R.ends_at <= now),
            )
        ),
        _flag(R.status == RequestStatus.CANCELLED),
        _flag(and_(R.status == RequestStatus.CANCELLED, R.cancelled_by == Side.OFFICE)),
        _flag(R.candidates_at_intake == 0),
    ]


def _counted(session: Session, scope: _Scope, key: Any = None) -> list[Row]:
    """Counts per value of ``key``; one row with the key "" for the whole period without one."""
    keys = [] if key is None else [key]
    stmt = (
        select(*keys, *_count_columns(scope.now))
        .select_from(R)
        .outerjoin(A, _ACTIVE_ASSIGNMENT)
        .where(*scope.where())
        .group_by(*keys)
    )
    return [
        Row(str(row[0]) if keys else "", Counts(*(int(v or 0) for v in row[len(keys) :])))
        for row in session.execute(stmt)
    ]


def _rows(session: Session, scope: _Scope, key: Any) -> list[Row]:
    """Counts per value of ``key``, most requests first."""
    rows = _counted(session, scope, key)
    return sorted(rows, key=lambda r: (-r.counts.requests, r.key))


def _months(start: date, end: date) -> list[date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def _by_month(session: Session, scope: _Scope) -> list[Row]:
    """Counts per local calendar month, every month of the period listed (also empty ones).
    The month is found by comparing with the local month starts, which works on every database."""
    months = _months(scope.start, scope.end)
    if len(months) == 1:
        return [Row(months[0].strftime("%Y-%m"), _counted(session, scope)[0].counts)]
    key = case(
        *((R.starts_at < local_midnight(m), i - 1) for i, m in enumerate(months[1:], start=1)),
        else_=len(months) - 1,
    )
    found = {int(r.key): r.counts for r in _counted(session, scope, key)}
    return [Row(m.strftime("%Y-%m"), found.get(i, Counts())) for i, m in enumerate(months)]


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def _summary(session: Session, scope: _Scope) -> Summary:
    where = scope.where()
    counts = _counted(session, scope)[0].counts
    cancelled = R.status == RequestStatus.CANCELLED
    mediator_cancelled = and_(
        A.status == AssignmentStatus.CANCELLED, A.cancelled_by == Side.MEDIATOR
    )
    request_figures = session.execute(
        select(
            _flag(and_(cancelled, R.cancelled_by == Side.COORDINATION)),
            _flag(and_(cancelled, R.short_notice_cancellation.is_(True))),
        ).where(*where)
    ).one()
    mediator_figures = session.execute(
        select(
            _flag(mediator_cancelled),
            _flag(and_(mediator_cancelled, A.short_notice.is_(True))),
            _flag(
                and_(
                    A.status != AssignmentStatus.CANCELLED,
                    A.office_outcome == Outcome.CLIENT_NO_SHOW,
                )
            ),
            _flag(
                and_(
                    A.status != AssignmentStatus.CANCELLED,
                    A.office_outcome == Outcome.MEDIATOR_NO_SHOW,
                )
            ),
            func.avg(case((A.status != AssignmentStatus.CANCELLED, A.feedback_rating))),
            func.count(case((A.status != AssignmentStatus.CANCELLED, A.feedback_rating))),
        )
        .select_from(A)
        .join(R, R.id == A.request_id)
        .where(*where)
    ).one()
    # Time served: completed assignments except mediator no-shows; the duration the mediator
    # reported, else the office's, else the planned one.
    served = dict(
        session.execute(
            select(
                Mediator.kind,
                func.sum(
                    func.coalesce(
                        A.mediator_duration_minutes, A.office_duration_minutes, R.duration_minutes
                    )
                ),
            )
            .select_from(A)
            .join(R, R.id == A.request_id)
            .join(Mediator, Mediator.id == A.mediator_id)
            .where(
                *where,
                A.status == AssignmentStatus.COMPLETED,
                or_(A.office_outcome.is_(None), A.office_outcome != Outcome.MEDIATOR_NO_SHOW),
            )
            .group_by(Mediator.kind)
        ).all()
    )
    to_assignment = session.execute(
        select(R.created_at, func.coalesce(R.assigned_at, A.created_at))
        .select_from(R)
        .join(A, _ACTIVE_ASSIGNMENT)
        .where(*where)
    ).all()
    lead_times = session.execute(select(R.starts_at, R.created_at).where(*where)).all()
    # SQLite returns the raw strings of a coalesce over timestamps: convert through the type.
    assigned = [(created, _as_utc(at)) for created, at in to_assignment]
    average = mediator_figures[4]
    return Summary(
        counts=counts,
        cancelled_by_coordination=int(request_figures[0]),
        cancelled_short_notice=int(request_figures[1]),
        mediator_cancellations=int(mediator_figures[0]),
        mediator_cancellations_short_notice=int(mediator_figures[1]),
        median_minutes_to_assignment=_median([_minutes(at, c) for c, at in assigned]),
        median_lead_time_minutes=_median([_minutes(s, c) for s, c in lead_times]),
        minutes_volunteers=int(served.get(MediatorKind.VOLUNTEER) or 0),
        minutes_staff=int(served.get(MediatorKind.STAFF) or 0),
        client_no_shows=int(mediator_figures[2]),
        mediator_no_shows=int(mediator_figures[3]),
        feedback_average=round(float(average), 2) if average is not None else None,
        feedback_count=int(mediator_figures[5]),
        debrief_requests=_debrief_requests(session, scope),
    )


def _debrief_requests(session: Session, scope: _Scope) -> int:
    """Debrief requests made from ``start`` to ``end`` (local days) in the scope's pools."""
    conditions = [
        DebriefRequest.created_at >= local_midnight(scope.start),
        DebriefRequest.created_at < local_midnight(scope.end + timedelta(days=1)),
    ]
    if scope.pool_ids is not None:
        conditions.append(DebriefRequest.pool_id.in_(scope.pool_ids or [-1]))
    return int(session.scalar(select(func.count(DebriefRequest.id)).where(*conditions)) or 0)


def _as_utc(value: datetime | str) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _mediators(session: Session, pool_ids: list[int] | None) -> tuple[int, int, list[MediatorRow]]:
    """Active and deployable mediators now, in total and per language."""
    conditions = [Mediator.status == MediatorStatus.ACTIVE]
    if pool_ids is not None:
        conditions.append(Mediator.pool_id.in_(pool_ids or [-1]))
    deployable = _flag(Mediator.deployable.is_(True))
    active, deployable_total = session.execute(
        select(func.count(Mediator.id), deployable).where(*conditions)
    ).one()
    rows = session.execute(
        select(MediatorLanguage.language_code, func.count(Mediator.id), deployable)
        .join(Mediator, Mediator.id == MediatorLanguage.mediator_id)
        .where(*conditions)
        .group_by(MediatorLanguage.language_code)
    ).all()
    by_language = sorted(
        (MediatorRow(code, int(n), int(d)) for code, n, d in rows),
        key=lambda r: (-r.active, r.code),
    )
    return int(active), int(deployable_total), by_language
