"""The coordination's queue of open requests: which requests a coordinator sees, filtered and
paged, with the counts of their offers.

It costs a constant number of SQL statements whatever the number of rows: it reads the number of
candidates stored at intake (``candidates_at_intake``) instead of matching per row.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from pool.enums import OfferStatus, RequestStatus
from pool.models import InterpretingRequest, Offer, Office, Pool

QUEUE_STATUSES = (RequestStatus.OPEN, RequestStatus.OFFERED)
ENDED_OFFER_STATUSES = (OfferStatus.DECLINED, OfferStatus.EXPIRED)
PER_PAGE = 50


@dataclass
class QueueFilters:
    """What the coordinator narrowed the queue to (empty: everything in the pools)."""

    status: str | None = None
    office_id: int | None = None
    language: str | None = None
    needs_person: bool = False


@dataclass
class QueueEntry:
    item: InterpretingRequest
    office: str
    pool: Pool
    offer_counts: dict[str, int] = field(default_factory=dict)  # "pending", "ended"


@dataclass
class QueuePage:
    entries: list[QueueEntry]
    total: int  # the rows that match every filter
    all_count: int  # the rows without the "needs a person" filter
    page: int
    pages: int


def needs_person_condition(pools: list[Pool], now: datetime):
    """Open (nobody asked, or every offer ended), urgent, no candidate at intake, or soon."""
    soon = defaultdict(list)
    for pool in pools:
        soon[pool.short_notice_hours].append(pool.id)
    return or_(
        InterpretingRequest.status == RequestStatus.OPEN,
        InterpretingRequest.urgent.is_(True),
        InterpretingRequest.candidates_at_intake == 0,
        *(
            and_(
                InterpretingRequest.pool_id.in_(ids),
                InterpretingRequest.starts_at < now + timedelta(hours=hours),
            )
            for hours, ids in soon.items()
        ),
    )


def _conditions(pools: list[Pool], filters: QueueFilters) -> list:
    conditions: list[ColumnElement[bool]] = [
        InterpretingRequest.pool_id.in_([p.id for p in pools] or [-1]),
        InterpretingRequest.status.in_(QUEUE_STATUSES),
    ]
    if filters.status:
        conditions.append(InterpretingRequest.status == filters.status)
    if filters.office_id:
        conditions.append(InterpretingRequest.office_id == filters.office_id)
    if filters.language:
        conditions.append(InterpretingRequest.language_code == filters.language)
    return conditions


def _offer_counts(session: Session, ids: list[int]) -> dict[int, dict[str, int]]:
    """Pending and ended offers per request, in one statement."""
    if not ids:
        return {}
    return {
        request_id: {"pending": int(pending), "ended": int(ended)}
        for request_id, pending, ended in session.execute(
            select(
                Offer.request_id,
                func.coalesce(func.sum(case((Offer.status == OfferStatus.PENDING, 1), else_=0)), 0),
                func.coalesce(
                    func.sum(case((Offer.status.in_(ENDED_OFFER_STATUSES), 1), else_=0)), 0
                ),
            )
            .where(Offer.request_id.in_(ids))
            .group_by(Offer.request_id)
        )
    }


def coordination_queue(
    session: Session,
    pools: list[Pool],
    filters: QueueFilters,
    *,
    page: int,
    now: datetime,
    per_page: int = PER_PAGE,
) -> QueuePage:
    """One page of the queue of ``pools``: urgent first, then by start. A page beyond the last
    shows the last."""
    pools_by_id = {p.id: p for p in pools}
    conditions = _conditions(pools, filters)
    count = select(func.count(InterpretingRequest.id))
    all_count = session.scalar(count.where(*conditions)) or 0
    total = all_count
    if filters.needs_person:
        if pools:
            conditions.append(needs_person_condition(pools, now))
        total = session.scalar(count.where(*conditions)) or 0
    pages = max(1, -(-total // per_page))
    page = min(page, pages)
    rows = session.execute(
        select(InterpretingRequest, Office.name)
        .join(Office, Office.id == InterpretingRequest.office_id)
        .where(*conditions)
        .order_by(
            InterpretingRequest.urgent.desc(),
            InterpretingRequest.starts_at,
            InterpretingRequest.id,
        )
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    counts = _offer_counts(session, [item.id for item, _office in rows])
    entries = [
        QueueEntry(item, office_name, pools_by_id[item.pool_id], counts.get(item.id, {}))
        for item, office_name in rows
    ]
    return QueuePage(entries, total, all_count, page, pages)
