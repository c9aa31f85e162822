"""Allowances for volunteer mediators: the booking pool's rules in force on the
assignment's day, monthly statements traceable to their assignments, payouts and the yearly
tax-free limit counted by the date of payment.

Amounts are whole euro cents (integers), never floats.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from pool import audit
from pool.enums import AllowanceUnit, AssignmentStatus, MediatorKind, Outcome, Side
from pool.i18n import BERLIN
from pool.i18n import gettext as _
from pool.models import (
    AllowanceRule,
    Assignment,
    InterpretingRequest,
    Mediator,
    Office,
    Payout,
    PayoutItem,
    Pool,
    User,
)
from pool.models.allowances import AMOUNT_FIELDS
from pool.services import ServiceError

UNIT_MINUTES: dict[str, int] = {AllowanceUnit.HOUR: 60, AllowanceUnit.HALF_HOUR: 30}
# Line kinds: what the amount is for.
TOOK_PLACE, SHORT_NOTICE, CLIENT_NO_SHOW = (
    Outcome.TOOK_PLACE,
    "short_notice",
    Outcome.CLIENT_NO_SHOW,
)
# Cancellations by these sides may pay the short-notice amount (not by the mediator).
PAYING_CANCELLERS = (Side.OFFICE, Side.COORDINATION)
# A warning from this share of the tax-free limit on.
WARN_SHARE_PERCENT = 90
MAX_CENTS = 10_000_000


def payee_reference(mediator_id: int) -> str:
    """The stable reference the finance office books a mediator's payments under."""
    return f"SM-{mediator_id}"


# --- periods --------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(period: date) -> date:
    return date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def month_bounds(period: date) -> tuple[datetime, datetime]:
    """The month in Europe/Berlin as UTC instants [start, end)."""

    def instant(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=BERLIN).astimezone(UTC)

    return instant(period), instant(next_month(period))


def local_day(value: datetime) -> date:
    return value.astimezone(BERLIN).date()


# --- rules ----------------------------------------------------------------------------------------


def pool_rules(session: Session, pool_id: int) -> list[AllowanceRule]:
    """The pool's rules, newest first."""
    return list(
        session.scalars(
            select(AllowanceRule)
            .where(AllowanceRule.pool_id == pool_id)
            .order_by(AllowanceRule.valid_from.desc())
        )
    )


def rule_in_force(rules: list[AllowanceRule], day: date) -> AllowanceRule | None:
    """The rule with the latest ``valid_from`` on or before ``day`` (``rules`` newest first)."""
    return next((rule for rule in rules if rule.valid_from <= day), None)


def started_units(minutes: int, unit: str | None) -> int:
    """Started hours or half hours: 61 minutes are 2 started hours."""
    if unit is None or minutes <= 0:
        return 0
    size = UNIT_MINUTES[unit]
    return -(-minutes // size)


def amount_for(
    rule: AllowanceRule | None, kind: str, minutes: int, km: int, in_person: bool
) -> int:
    if rule is None:
        return 0
    if kind == SHORT_NOTICE:
        return rule.short_notice_cancellation_cents
    if kind == CLIENT_NO_SHOW:
        return rule.client_no_show_cents
    return (
        rule.per_assignment_cents
        + started_units(minutes, rule.unit) * rule.per_unit_cents
        + km * rule.per_km_cents
        + (rule.flat_travel_cents if in_person else 0)
    )


def add_rule(
    session: Session, *, actor: User, pool: Pool, values: dict, now: datetime
) -> AllowanceRule:
    """A new rule for ``pool`` from ``values['valid_from']`` (amounts in cents)."""
    valid_from = values.get("valid_from")
    if not isinstance(valid_from, date):
        raise ServiceError(_("Bitte geben Sie an, ab wann die Regel gilt."), "valid_from")
    unit = values.get("unit") or None
    if unit is not None and unit not in tuple(AllowanceUnit):
        raise ServiceError(_("Bitte wählen Sie eine Einheit aus der Liste."), "unit")
    amounts = {name: values.get(name) or 0 for name in AMOUNT_FIELDS}
    for name, cents in amounts.items():
        if not isinstance(cents, int) or not 0 <= cents <= MAX_CENTS:
            raise ServiceError(_("Der Betrag darf nicht negativ sein."), name)
    if amounts["per_unit_cents"] and unit is None:
        raise ServiceError(
            _("Bitte wählen Sie, ob je angefangene Stunde oder halbe Stunde gezahlt wird."), "unit"
        )
    taken = session.scalar(
        select(AllowanceRule.id).where(
            AllowanceRule.pool_id == pool.id, AllowanceRule.valid_from == valid_from
        )
    )
    if taken is not None:
        raise ServiceError(
            _("Ab diesem Tag gilt schon eine Regel. Bitte wählen Sie einen anderen Tag."),
            "valid_from",
        )
    rule = AllowanceRule(
        pool_id=pool.id,
        valid_from=valid_from,
        unit=unit,
        created_by_id=actor.id,
        created_at=now,
        **amounts,
    )
    session.add(rule)
    session.flush()
    audit.record(
        session,
        actor.id,
        "allowance_rule.created",
        "allowance_rule",
        rule.id,
        {"pool_id": pool.id, "valid_from": valid_from.isoformat(), "unit": unit, **amounts},
    )
    return rule


def set_tax_free_limit(session: Session, *, actor: User, pool: Pool, cents: int) -> None:
    if not 0 <= cents <= MAX_CENTS:
        raise ServiceError(_("Der Betrag darf nicht negativ sein."), "limit")
    before = pool.tax_free_limit_cents
    pool.tax_free_limit_cents = cents
    session.flush()
    audit.record(session, actor.id, "pool.tax_free_limit_changed", "pool", pool.id,
                 {"from": before, "to": cents})  # fmt: skip


# --- statements -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    """One assignment in a statement: where the amount comes from."""

    assignment_id: int
    mediator_id: int
    request_id: int
    day: date
    language_code: str
    office_id: int
    office_name: str
    cost_centre: str | None
    kind: str
    duration_minutes: int | None
    km: int | None
    rule: AllowanceRule | None
    amount_cents: int
    payout_id: int | None
    paid_on: date | None


def _eligible():
    """Completed with the client there or not showing up, or cancelled at short notice by the
    office or the coordination."""
    return or_(
        and_(
            Assignment.status == AssignmentStatus.COMPLETED,
            Assignment.office_outcome.in_((TOOK_PLACE, CLIENT_NO_SHOW)),
        ),
        and_(
            Assignment.status == AssignmentStatus.CANCELLED,
            Assignment.short_notice.is_(True),
            Assignment.cancelled_by.in_(PAYING_CANCELLERS),
        ),
    )


def statement_lines(
    session: Session, pool: Pool, period: date, mediator_id: int | None = None
) -> list[Line]:
    """The lines of ``pool``'s requests in the month ``period`` for volunteers (staff members
    interpret in working time), in the order of the assignments."""
    start, end = month_bounds(period)
    query = (
        select(Assignment, InterpretingRequest, Office)
        .join(InterpretingRequest, InterpretingRequest.id == Assignment.request_id)
        .join(Office, Office.id == InterpretingRequest.office_id)
        .join(Mediator, Mediator.id == Assignment.mediator_id)
        .where(
            InterpretingRequest.pool_id == pool.id,
            Mediator.kind == MediatorKind.VOLUNTEER,
            Assignment.starts_at >= start,
            Assignment.starts_at < end,
            _eligible(),
        )
        .order_by(Assignment.starts_at, Assignment.id)
    )
    if mediator_id is not None:
        query = query.where(Assignment.mediator_id == mediator_id)
    rows = session.execute(query).all()
    paid = {
        assignment_id: (payout_id, paid_on)
        for assignment_id, payout_id, paid_on in session.execute(
            select(PayoutItem.assignment_id, Payout.id, Payout.paid_on)
            .join(Payout, Payout.id == PayoutItem.payout_id)
            .where(PayoutItem.assignment_id.in_([a.id for a, _r, _o in rows] or [-1]))
        )
    }
    rules = pool_rules(session, pool.id)
    lines = []
    for assignment, item, office in rows:
        day = local_day(assignment.starts_at)
        rule = rule_in_force(rules, day)
        if assignment.status == AssignmentStatus.CANCELLED:
            kind, minutes, km = SHORT_NOTICE, None, None
        elif assignment.office_outcome == CLIENT_NO_SHOW:
            kind, minutes, km = CLIENT_NO_SHOW, None, None
        else:
            kind = TOOK_PLACE
            minutes = (
                assignment.mediator_duration_minutes
                or assignment.office_duration_minutes
                or item.duration_minutes
            )
            km = assignment.travel_km or 0
        payout_id, paid_on = paid.get(assignment.id, (None, None))
        lines.append(
            Line(
                assignment_id=assignment.id,
                mediator_id=assignment.mediator_id,
                request_id=item.id,
                day=day,
                language_code=item.language_code,
                office_id=office.id,
                office_name=office.name,
                cost_centre=office.cost_centre,
                kind=kind,
                duration_minutes=minutes,
                km=km,
                rule=rule,
                amount_cents=amount_for(rule, kind, minutes or 0, km or 0, assignment.in_person),
                payout_id=payout_id,
                paid_on=paid_on,
            )
        )
    return lines


@dataclass(frozen=True)
class Totals:
    count: int
    total_cents: int
    open_cents: int  # in no payout yet


def totals(lines: list[Line]) -> Totals:
    total = sum(line.amount_cents for line in lines)
    covered = sum(line.amount_cents for line in lines if line.payout_id is not None)
    return Totals(len(lines), total, total - covered)


def by_mediator(lines: list[Line]) -> dict[int, list[Line]]:
    grouped: dict[int, list[Line]] = defaultdict(list)
    for line in lines:
        grouped[line.mediator_id].append(line)
    return grouped


@dataclass(frozen=True)
class FinanceRow:
    mediator_id: int
    office_name: str
    cost_centre: str | None
    amount_cents: int


def finance_rows(lines: list[Line]) -> list[FinanceRow]:
    """One row per mediator and office: what to pay and which office to charge."""
    sums: dict[tuple[int, int], int] = defaultdict(int)
    offices: dict[int, tuple[str, str | None]] = {}
    for line in lines:
        sums[(line.mediator_id, line.office_id)] += line.amount_cents
        offices[line.office_id] = (line.office_name, line.cost_centre)
    return [
        FinanceRow(mediator_id, offices[office_id][0], offices[office_id][1], cents)
        for (mediator_id, office_id), cents in sums.items()
        if cents > 0
    ]


# --- payouts --------------------------------------------------------------------------------------


def create_payout(
    session: Session, *, actor: User, pool: Pool, mediator: Mediator, period: date, now: datetime
) -> Payout:
    """A payout of every line of the month not yet in a payout. The unique assignment in
    ``payout_items`` makes sure an assignment is paid once, even for concurrent requests."""
    if mediator.kind != MediatorKind.VOLUNTEER:
        raise ServiceError(
            _("Mitarbeitende der Verwaltung erhalten keine Aufwandsentschädigung (Arbeitszeit).")
        )
    lines = [
        line
        for line in statement_lines(session, pool, period, mediator.id)
        if line.payout_id is None and line.amount_cents > 0
    ]
    if not lines:
        raise ServiceError(_("Für diesen Monat ist nichts mehr auszuzahlen."))
    payout = Payout(
        pool_id=pool.id,
        mediator_id=mediator.id,
        payee_reference=payee_reference(mediator.id),
        period=period,
        amount_cents=sum(line.amount_cents for line in lines),
        created_by_id=actor.id,
        created_at=now,
        items=[
            PayoutItem(assignment_id=line.assignment_id, amount_cents=line.amount_cents)
            for line in lines
        ],
    )
    session.add(payout)
    session.flush()
    audit.record(session, actor.id, "payout.created", "payout", payout.id,
                 {"pool_id": pool.id, "mediator_id": mediator.id, "period": period.isoformat(),
                  "amount_cents": payout.amount_cents,
                  "assignment_ids": [line.assignment_id for line in lines]})  # fmt: skip
    return payout


def mark_paid(
    session: Session, *, actor: User, payout: Payout, paid_on: date | None, now: datetime
) -> None:
    if payout.paid_on is not None:
        raise ServiceError(_("Diese Auszahlung ist schon als bezahlt markiert."))
    if paid_on is None:
        raise ServiceError(_("Bitte geben Sie das Datum der Zahlung ein."), "paid_on")
    if paid_on > local_day(now):
        raise ServiceError(_("Das Datum der Zahlung darf nicht in der Zukunft liegen."), "paid_on")
    payout.paid_on = paid_on
    payout.paid_by_id = actor.id
    session.flush()
    audit.record(session, actor.id, "payout.paid", "payout", payout.id,
                 {"paid_on": paid_on.isoformat(), "amount_cents": payout.amount_cents})  # fmt: skip


def mediator_payouts(session: Session, pool_id: int, mediator_id: int) -> list[Payout]:
    return list(
        session.scalars(
            select(Payout)
            .where(Payout.pool_id == pool_id, Payout.mediator_id == mediator_id)
            .order_by(Payout.period.desc(), Payout.id.desc())
        )
    )


# --- the tax-free limit ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TaxStatus:
    year: int
    paid_cents: int  # paid in ``year`` (by date of payment), all pools
    unpaid_cents: int  # in payouts not yet paid
    limit_cents: int
    level: str  # "ok", "approaching", "exceeded": by what was paid
    level_with_unpaid: str  # the same once the unpaid payouts are paid this year


def _level(cents: int, limit: int) -> str:
    if cents > limit:
        return "exceeded"
    if cents * 100 >= limit * WARN_SHARE_PERCENT:
        return "approaching"
    return "ok"


def tax_status(session: Session, mediator: Mediator, year: int) -> TaxStatus:
    """What ``mediator`` was paid in ``year`` against the tax-free limit of their own pool."""
    paid = session.scalar(
        select(func.coalesce(func.sum(Payout.amount_cents), 0)).where(
            Payout.mediator_id == mediator.id,
            Payout.paid_on >= date(year, 1, 1),
            Payout.paid_on <= date(year, 12, 31),
        )
    )
    unpaid = session.scalar(
        select(func.coalesce(func.sum(Payout.amount_cents), 0)).where(
            Payout.mediator_id == mediator.id, Payout.paid_on.is_(None)
        )
    )
    assert paid is not None and unpaid is not None  # coalesce: 0 without payouts
    limit = mediator.pool.tax_free_limit_cents
    return TaxStatus(
        year, int(paid), int(unpaid), limit, _level(paid, limit), _level(paid + unpaid, limit)
    )
