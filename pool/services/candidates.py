"""Loading the candidate rows of a request and matching them (docs/architecture.md, "Matching").

A constant number of SQL statements whatever the number of rows, and a cost that follows the
request's pool and the pools sharing with it, never the size of the installation:

1. the request's pool and every pool that shares its mediators with it (``pool_sharing`` rows
   ``(pool_id=A, partner_pool_id=B)``: A shares with B);
2. the catalogue the deployability rule needs (two small statements);
3. the speakers of the language and its related languages in those pools, with their level and
   dialects (one join of ``mediators`` and ``mediator_languages``, see ``_language_filter``);
4. their availability windows, absences, guideline acknowledgements and training records — one
   statement each, for all of them, as plain rows (``MediatorFacts``: the ORM would cost more
   than everything else for a pool with thousands of speakers);
5. their not-cancelled assignments around the request's time (overlaps and travel buffer);
6. per mediator: assignments this month and in the last 90 days, completed ones in the domain,
   earlier ones for the same case, late cancellations (one grouped statement);
7. per mediator: the last offer, declines, a pending offer for this request (one grouped
   statement);
8. case exclusions for the request's office and case reference (only with a case reference).

Reads only; changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    SQLColumnExpression,
    and_,
    any_,
    bindparam,
    case,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session

from pool import deployability, matching
from pool.enums import AssignmentStatus, MediatorStatus, OfferStatus, Side
from pool.i18n import BERLIN
from pool.languages import related_languages
from pool.matching import Booking, CandidateRow, MatchContext, MatchResult
from pool.models import (
    Absence,
    AvailabilityWindow,
    GuidelineAcknowledgement,
    Mediator,
    MediatorLanguage,
    Pool,
    Training,
    TrainingRecord,
)
from pool.models.mediators import MODES
from pool.models.org import pool_sharing
from pool.models.requests import (
    LONGEST_DURATION,
    Assignment,
    CaseExclusion,
    InterpretingRequest,
    Offer,
)

# Applicants and paused mediators are listed among the excluded with their reasons (a coordinator
# may want to activate them); people who left or were rejected are not speakers of the pool.
LOADED_STATUSES = (MediatorStatus.APPLIED, MediatorStatus.ACTIVE, MediatorStatus.PAUSED)
# Statistics look back this far (reliability, experience, continuity, last asked).
HISTORY_DAYS = 365
DECLINE_DAYS = 180


def _language_filter(session: Session, codes: list[str]):
    column: SQLColumnExpression[str] = MediatorLanguage.language_code
    if session.get_bind().dialect.name == "sqlite":
        # Without statistics (no ANALYZE) SQLite starts from the language index and reads every
        # speaker of the whole installation. ``|| ''`` hides that index, so the query starts from
        # the mediators of the pools (ix_mediators_pool_status) and probes their languages: the
        # cost follows the pools, not the installation (benchmarks/matching.py). PostgreSQL
        # chooses by its statistics (at 100,000 mediators a hash join over the language's
        # speakers, ~10 ms); an index (language_code, pool_id) would serve both — see the report.
        column = column + ""
    return column.in_(codes)


# A condition: the mediator id (a column) is one of the speakers found.
Among = Callable[[SQLColumnExpression[int]], ColumnElement[bool]]


def _among(session: Session, ids: list[int]) -> Among:
    """The later statements name the speakers found by the first one. PostgreSQL gets them as one
    array parameter (``= ANY(%s)``): hundreds of ids in an ``IN`` list cost more to render, send
    and parse than the query itself, and selecting them again as a subquery in every statement
    would read the language's speakers of the whole installation each time."""
    if session.get_bind().dialect.name == "postgresql":
        array = bindparam("speaker_ids", ids, type_=ARRAY(Integer))
        return lambda column: column == any_(array)
    return lambda column: column.in_(ids)


def candidates_for(
    session: Session, request: InterpretingRequest, now: datetime, **kwargs
) -> MatchResult:
    """The ranked candidates and the excluded speakers of ``request``'s language."""
    rows, context = load_rows(session, request, now)
    return matching.match(request, rows, context, now=now, **kwargs)


def count_candidates(session: Session, request: InterpretingRequest, now: datetime) -> int:
    """How many mediators could take ``request`` (stored at intake)."""
    return len(candidates_for(session, request, now).candidates)


def _month_bounds(moment: datetime) -> tuple[datetime, datetime]:
    """The calendar month (Europe/Berlin) of ``moment`` as UTC bounds."""
    local = moment.astimezone(BERLIN)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    following = (start + timedelta(days=32)).replace(day=1)
    return start.astimezone(UTC), following.astimezone(UTC)


@dataclass(slots=True)
class RecordFacts:
    training_id: int
    completed_on: date
    expires_on: date | None
    training: Training | None


@dataclass(slots=True, eq=False)
class MediatorFacts:
    """What matching and the deployability rule read of a mediator: plain values, loaded with
    Core rows, far cheaper than ORM objects when a pool has thousands of speakers."""

    id: int
    name: str
    pool_id: int
    pool: Pool
    kind: str
    status: str
    gender: str | None
    municipalities: list[str]
    travel_km: int | None
    mode_in_person: bool
    mode_phone: bool
    mode_video: bool
    monthly_cap: int | None
    paused_until: date | None
    interview_on: date | None
    confidentiality_signed_on: date | None
    obligation_on: date | None
    police_certificate_seen_on: date | None
    police_certificate_no_entry: bool
    supervisor_release_by: str | None
    supervisor_release_until: date | None
    staff_consent_at: datetime | None
    availability: list = field(default_factory=list)
    absences: list = field(default_factory=list)
    acknowledgements: list = field(default_factory=list)
    training_records: list = field(default_factory=list)

    @property
    def modes(self) -> list[str]:
        flags = (self.mode_in_person, self.mode_phone, self.mode_video)
        return [mode for mode, on in zip(MODES, flags, strict=True) if on]


_FACT_NAMES = [
    f.name
    for f in fields(MediatorFacts)
    if f.name not in ("pool", "availability", "absences", "acknowledgements", "training_records")
]
_FACT_COLUMNS = [getattr(Mediator, name) for name in _FACT_NAMES]


def load_rows(
    session: Session, request: InterpretingRequest, now: datetime
) -> tuple[list[CandidateRow], MatchContext]:
    sharing = select(pool_sharing.c.pool_id).where(
        pool_sharing.c.partner_pool_id == request.pool_id
    )
    pools = {
        p.id: p
        for p in session.scalars(
            select(Pool).where(or_(Pool.id == request.pool_id, Pool.id.in_(sharing)))
        )
    }
    own_pool = pools[request.pool_id]
    pool_ids = sorted(pools)
    context = MatchContext(
        deployability=deployability.load_context(session),
        pool_ids=frozenset(pool_ids),
        weights=matching.weights_for(own_pool.matching_weights),
        travel_buffer_minutes=own_pool.travel_buffer_minutes or 0,
    )

    codes = sorted({request.language_code, *related_languages(request.language_code)})
    found = session.execute(
        select(
            *_FACT_COLUMNS,
            MediatorLanguage.language_code,
            MediatorLanguage.level,
            MediatorLanguage.dialects,
        )
        .join(MediatorLanguage, MediatorLanguage.mediator_id == Mediator.id)
        .where(
            _language_filter(session, codes),
            Mediator.pool_id.in_(pool_ids),
            Mediator.status.in_(LOADED_STATUSES),
        )
        .order_by(Mediator.id, MediatorLanguage.language_code)
    ).all()
    if not found:
        return [], context

    width = len(_FACT_COLUMNS)
    mediators: dict[int, MediatorFacts] = {}
    languages = []
    for values in found:
        mediator_id = values[0]
        if mediator_id not in mediators:
            facts = dict(zip(_FACT_NAMES, values[:width], strict=True))
            mediators[mediator_id] = MediatorFacts(**facts, pool=pools[facts["pool_id"]])
        languages.append((mediators[mediator_id], *values[width:]))
    among = _among(session, list(mediators))
    trainings = {t.id: t for t in context.deployability.trainings}
    _load_collections(session, mediators, among, trainings)

    bookings = _bookings(session, request, among, context.travel_buffer_minutes)
    stats = _assignment_stats(session, request, among, now)
    offers = _offer_stats(session, request, among, now)
    excluded = _case_exclusions(session, request, among)

    rows = []
    for mediator, code, level, dialects in languages:
        mediator_stats = stats.get(mediator.id, {})
        offer_stats = offers.get(mediator.id, {})
        rows.append(
            CandidateRow(
                mediator=mediator,
                language_code=code,
                level=level,
                dialects=list(dialects or []),
                bookings=bookings.get(mediator.id, []),
                month_count=mediator_stats.get("month", 0),
                recent_count=mediator_stats.get("recent", 0),
                domain_experience=mediator_stats.get("domain", 0),
                knows_case=bool(mediator_stats.get("case", 0)),
                late_cancellations=mediator_stats.get("late", 0),
                last_asked_at=offer_stats.get("last_asked"),
                declines=offer_stats.get("declines", 0),
                pending_offer=bool(offer_stats.get("pending", 0)),
                case_excluded=mediator.id in excluded,
            )
        )
    return rows, context


def _load_collections(
    session: Session, mediators: dict[int, MediatorFacts], among: Among, trainings: dict
) -> None:
    """Four collections of every mediator with one statement each (not one per mediator, and not
    one per 500 as ``selectinload`` would), as plain rows."""
    windows = session.execute(
        select(
            AvailabilityWindow.mediator_id,
            AvailabilityWindow.weekday,
            AvailabilityWindow.start,
            AvailabilityWindow.end,
        )
        .where(among(AvailabilityWindow.mediator_id))
        .order_by(AvailabilityWindow.weekday, AvailabilityWindow.start)
    )
    for window in windows:
        mediators[window.mediator_id].availability.append(window)
    absences = session.execute(
        select(Absence.mediator_id, Absence.start_date, Absence.end_date)
        .where(among(Absence.mediator_id))
        .order_by(Absence.start_date)
    )
    for absence in absences:
        mediators[absence.mediator_id].absences.append(absence)
    acknowledgements = session.execute(
        select(
            GuidelineAcknowledgement.mediator_id,
            GuidelineAcknowledgement.guideline_id,
            GuidelineAcknowledgement.acknowledged_at,
        ).where(among(GuidelineAcknowledgement.mediator_id))
    )
    for acknowledgement in acknowledgements:
        mediators[acknowledgement.mediator_id].acknowledgements.append(acknowledgement)
    records = session.execute(
        select(
            TrainingRecord.mediator_id,
            TrainingRecord.training_id,
            TrainingRecord.completed_on,
            TrainingRecord.expires_on,
        )
        .where(among(TrainingRecord.mediator_id))
        .order_by(TrainingRecord.completed_on.desc())
    )
    for mediator_id, training_id, completed_on, expires_on in records:
        mediators[mediator_id].training_records.append(
            RecordFacts(training_id, completed_on, expires_on, trainings.get(training_id))
        )


def _bookings(
    session: Session, request: InterpretingRequest, among: Among, buffer_minutes: int
) -> dict[int, list[Booking]]:
    buffer = timedelta(minutes=buffer_minutes)
    earliest = request.starts_at - buffer
    latest = request.ends_at + buffer
    found = session.execute(
        select(
            Assignment.mediator_id,
            Assignment.starts_at,
            Assignment.ends_at,
            Assignment.in_person,
            Assignment.request_id,
        ).where(
            among(Assignment.mediator_id),
            Assignment.status != AssignmentStatus.CANCELLED,
            # A range on (mediator_id, starts_at) first, then the exact overlap.
            Assignment.starts_at > earliest - LONGEST_DURATION,
            Assignment.starts_at < latest,
            Assignment.ends_at > earliest,
        )
    ).all()
    bookings: dict[int, list[Booking]] = defaultdict(list)
    for mediator_id, starts_at, ends_at, in_person, request_id in found:
        bookings[mediator_id].append(Booking(starts_at, ends_at, in_person, request_id))
    return bookings


def _assignment_stats(
    session: Session, request: InterpretingRequest, among: Among, now: datetime
) -> dict[int, dict[str, int]]:
    month_start, month_end = _month_bounds(request.starts_at)
    recent_from = now - timedelta(days=matching.RECENT_DAYS)
    history_from = now - timedelta(days=HISTORY_DAYS)
    active = Assignment.status != AssignmentStatus.CANCELLED

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    same_case = (
        and_(
            InterpretingRequest.office_id == request.office_id,
            InterpretingRequest.case_ref == request.case_ref,
            Assignment.starts_at < request.starts_at,
            active,
        )
        if request.case_ref
        else None
    )
    columns = [
        count(and_(active, Assignment.starts_at >= month_start, Assignment.starts_at < month_end)),
        count(and_(active, Assignment.starts_at >= recent_from)),
        count(
            and_(
                Assignment.status == AssignmentStatus.COMPLETED,
                InterpretingRequest.domain_code == request.domain_code,
            )
        ),
        count(
            and_(
                Assignment.status == AssignmentStatus.CANCELLED,
                Assignment.cancelled_by == Side.MEDIATOR,
                Assignment.short_notice.is_(True),
                Assignment.conflict_of_interest.is_(False),
            )
        ),
    ]
    if same_case is not None:
        columns.append(count(same_case))
    statement = (
        select(Assignment.mediator_id, *columns)
        .join(InterpretingRequest, InterpretingRequest.id == Assignment.request_id)
        .where(
            among(Assignment.mediator_id),
            Assignment.starts_at >= min(history_from, month_start),
            Assignment.request_id != request.id if request.id is not None else true(),
        )
        .group_by(Assignment.mediator_id)
    )
    stats: dict[int, dict[str, int]] = {}
    for mediator_id, month, recent, domain, late, *rest in session.execute(statement):
        stats[mediator_id] = {
            "month": int(month),
            "recent": int(recent),
            "domain": int(domain),
            "late": int(late),
            "case": int(rest[0]) if rest else 0,
        }
    return stats


def _offer_stats(
    session: Session, request: InterpretingRequest, among: Among, now: datetime
) -> dict[int, dict]:
    declined_from = now - timedelta(days=DECLINE_DAYS)
    statement = (
        select(
            Offer.mediator_id,
            func.max(Offer.created_at),
            func.coalesce(
                func.sum(
                    case((and_(Offer.status == OfferStatus.DECLINED, Offer.created_at >= declined_from), 1),
                         else_=0)
                ),
                0,
            ),
            func.coalesce(
                func.sum(
                    case((and_(Offer.request_id == request.id, Offer.status == OfferStatus.PENDING), 1),
                         else_=0)
                ),
                0,
            ),
        )
        .where(
            among(Offer.mediator_id),
            or_(Offer.created_at >= now - timedelta(days=HISTORY_DAYS), Offer.request_id == request.id),
        )
        .group_by(Offer.mediator_id)
    )  # fmt: skip
    stats: dict[int, dict] = {}
    for mediator_id, last_asked, declines, pending in session.execute(statement):
        stats[mediator_id] = {
            "last_asked": _aware(last_asked),
            "declines": int(declines),
            "pending": int(pending),
        }
    return stats


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates bypass the UTC type decorator: SQLite returns text or naive values."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def _case_exclusions(session: Session, request: InterpretingRequest, among: Among) -> set[int]:
    if not request.case_ref:
        return set()
    return set(
        session.scalars(
            select(CaseExclusion.mediator_id).where(
                among(CaseExclusion.mediator_id),
                CaseExclusion.office_id == request.office_id,
                CaseExclusion.case_ref == request.case_ref,
            )
        )
    )
