"""Pools and offices, as the admin area manages them.

Every function takes the session and the acting user, changes data, writes an audit event and
flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pool import audit
from pool.db import utcnow
from pool.enums import MediatorStatus
from pool.i18n import gettext as _
from pool.models import FEDERAL_STATES, Mediator, Office, Pool, User
from pool.models.mediators import GERMAN_LEVELS
from pool.models.org import POOL_KINDS
from pool.services import ServiceError
from pool.services import mediators as registry


class OrgError(ServiceError):
    """A change to pools or offices breaks a rule."""


def _actor_id(actor: User | None) -> int | None:
    return actor.id if actor else None


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _changed(obj: object, values: dict) -> list[str]:
    """Set the attributes that differ; return their names (for the audit event, never values)."""
    changed = []
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed.append(name)
    return changed


# --- pools ----------------------------------------------------------------------------------------


def _check_pool_values(
    session: Session, *, name: str, kind: str, federal_state: str, pool_id: int | None
) -> None:
    if not name:
        raise OrgError(_("Bitte geben Sie einen Namen ein."), "name")
    if kind not in POOL_KINDS:
        raise OrgError(_("Bitte wählen Sie die Art des Pools."), "kind")
    if federal_state not in FEDERAL_STATES:
        raise OrgError(_("Bitte wählen Sie ein Bundesland."), "federal_state")
    query = select(Pool.id).where(func.lower(Pool.name) == name.lower())
    if pool_id is not None:
        query = query.where(Pool.id != pool_id)
    if session.scalars(query).first() is not None:
        raise OrgError(
            _("Es gibt schon einen Pool mit diesem Namen. Bitte wählen Sie einen anderen Namen."),
            "name",
        )


RETENTION_DAYS_RANGE = (1, 3650)
REMINDER_HOURS_RANGE = (1, 336)
MAX_REMINDERS = 4
UNCONFIRMED_ALERT_RANGE = (1, 168)
UNASSIGNED_ALERT_RANGE = (1, 336)
# Finished requests are anonymised after this many months (pool/services/privacy.py).
RETENTION_MONTHS_RANGE = (6, 120)


def _whole_number(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_reminder_hours(hours) -> list[int]:
    """Distinct whole hours, 1 to 4 of them, each 1–336; returned largest first."""
    field = "reminder_hours"
    if not isinstance(hours, list | tuple) or not all(_whole_number(h) for h in hours):
        raise OrgError(_("Bitte geben Sie ganze Stunden ein, durch Komma getrennt."), field)
    if not hours:
        raise OrgError(
            _("Bitte geben Sie mindestens eine Erinnerung an, zum Beispiel: 48, 2"), field
        )
    low, high = REMINDER_HOURS_RANGE
    if not all(low <= h <= high for h in hours):
        raise OrgError(_("Jede Erinnerung muss 1 bis 336 Stunden vorher liegen."), field)
    if len(set(hours)) != len(hours):
        raise OrgError(_("Bitte geben Sie jede Stundenzahl nur einmal an."), field)
    if len(hours) > MAX_REMINDERS:
        raise OrgError(_("Bitte geben Sie höchstens 4 Erinnerungen an."), field)
    return sorted(hours, reverse=True)


def _check_whole_number(value, limits: tuple[int, int], message: str, field: str) -> int:
    low, high = limits
    if not _whole_number(value) or not low <= value <= high:
        raise OrgError(message, field)
    return value


def _check_alert_order(reminder_hours: list[int], unconfirmed_alert_hours: int) -> None:
    """The coordinator is warned about a missing confirmation only after the first reminder
    asked for it."""
    if reminder_hours and unconfirmed_alert_hours >= reminder_hours[0]:
        raise OrgError(
            _(
                "Die Warnung kommt sonst vor der ersten Erinnerung: Bitte geben Sie weniger als "
                "%(hours)d Stunden an.",
                hours=reminder_hours[0],
            ),
            "unconfirmed_alert_hours",
        )


def _check_settings(
    *,
    min_german_level: str | None = None,
    requires_formal_obligation: bool | None = None,
    rejected_retention_days: int | None = None,
    retention_months: int | None = None,
    reminder_hours: list[int] | None = None,
    unconfirmed_alert_hours: int | None = None,
    unassigned_alert_hours: int | None = None,
    public_overview: bool | None = None,
    hotline_phone: str | None = None,
    phone_alternatives: str | None = None,
) -> dict:
    """The registry settings that were given (``None``: leave as it is / use the default)."""
    values: dict = {}
    if min_german_level is not None:
        if min_german_level not in GERMAN_LEVELS:
            raise OrgError(
                _("Bitte wählen Sie ein Deutsch-Niveau aus der Liste."), "min_german_level"
            )
        values["min_german_level"] = min_german_level
    if requires_formal_obligation is not None:
        values["requires_formal_obligation"] = bool(requires_formal_obligation)
    if rejected_retention_days is not None:
        low, high = RETENTION_DAYS_RANGE
        days = rejected_retention_days
        if isinstance(days, bool) or not isinstance(days, int) or not low <= days <= high:
            raise OrgError(
                _("Bitte geben Sie eine Zahl von 1 bis 3650 ein."), "rejected_retention_days"
            )
        values["rejected_retention_days"] = days
    if reminder_hours is not None:
        values["reminder_hours"] = _check_reminder_hours(reminder_hours)
    if unconfirmed_alert_hours is not None:
        values["unconfirmed_alert_hours"] = _check_whole_number(
            unconfirmed_alert_hours,
            UNCONFIRMED_ALERT_RANGE,
            _("Bitte geben Sie eine Zahl von 1 bis 168 ein."),
            "unconfirmed_alert_hours",
        )
    if unassigned_alert_hours is not None:
        values["unassigned_alert_hours"] = _check_whole_number(
            unassigned_alert_hours,
            UNASSIGNED_ALERT_RANGE,
            _("Bitte geben Sie eine Zahl von 1 bis 336 ein."),
            "unassigned_alert_hours",
        )
    if public_overview is not None:
        values["public_overview"] = bool(public_overview)
    # The hotline: "" clears the text.
    texts = (("hotline_phone", hotline_phone, 40), ("phone_alternatives", phone_alternatives, 2000))
    for name, text, limit in texts:
        if text is not None:
            text = str(text).strip()
            if len(text) > limit or "\x00" in text:
                raise OrgError(_("Höchstens %(n)s Zeichen.", n=limit), name)
            values[name] = text or None
    if retention_months is not None:
        values["retention_months"] = _check_whole_number(
            retention_months,
            RETENTION_MONTHS_RANGE,
            _("Bitte geben Sie eine Zahl von 6 bis 120 ein."),
            "retention_months",
        )
    return values


def _refresh_pool_mediators(session: Session, pool: Pool, now: datetime) -> None:
    """The formal obligation decides deployability: recompute this pool's mediators, in batches."""
    last_id = 0
    while True:
        rows = session.scalars(
            select(Mediator)
            .where(
                Mediator.pool_id == pool.id,
                Mediator.id > last_id,
                Mediator.status.in_(
                    (MediatorStatus.APPLIED, MediatorStatus.ACTIVE, MediatorStatus.PAUSED)
                ),
            )
            .order_by(Mediator.id)
            .limit(500)
            .options(*registry.registry_loader_options())
        ).all()
        if not rows:
            return
        registry.refresh(session, rows, now)
        last_id = rows[-1].id


def _load_partners(session: Session, partner_ids: Iterable[int], pool_id: int | None) -> list[Pool]:
    wanted = set(partner_ids)
    if pool_id is not None and pool_id in wanted:
        raise OrgError(_("Ein Pool kann nicht mit sich selbst teilen."), "shares_with")
    if not wanted:
        return []
    partners = list(session.scalars(select(Pool).where(Pool.id.in_(wanted)).order_by(Pool.name)))
    if len(partners) != len(wanted):
        raise OrgError(_("Einer der gewählten Pools existiert nicht mehr."), "shares_with")
    return partners


def _flush_unique(session: Session, message: str, field: str) -> None:
    """Flush; a unique key that another request took in the meantime becomes an OrgError."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise OrgError(message, field) from exc


def create_pool(
    session: Session,
    *,
    actor: User | None,
    name: str,
    kind: str,
    federal_state: str,
    contact_email: str | None,
    contact_phone: str | None,
    partner_ids: Iterable[int],
    now: datetime,
    settings: dict | None = None,
) -> Pool:
    """Create a pool; settings left out (``None``) get their defaults."""
    name = name.strip()
    _check_pool_values(session, name=name, kind=kind, federal_state=federal_state, pool_id=None)
    settings = _check_settings(**(settings or {}))
    _check_alert_order(
        settings.get("reminder_hours", [48, 2]), settings.get("unconfirmed_alert_hours", 24)
    )
    pool = Pool(
        name=name,
        kind=kind,
        federal_state=federal_state,
        contact_email=_blank_to_none(contact_email),
        contact_phone=_blank_to_none(contact_phone),
        created_at=now,
        **settings,
    )
    pool.shares_with = _load_partners(session, partner_ids, None)
    session.add(pool)
    _flush_unique(session, _("Es gibt schon einen Pool mit diesem Namen."), "name")
    audit.record(
        session,
        _actor_id(actor),
        "pool.created",
        "pool",
        pool.id,
        {
            "kind": kind,
            "federal_state": federal_state,
            "shares_with": [p.id for p in pool.shares_with],
            "settings": sorted(settings),
        },
    )
    return pool


def update_pool(
    session: Session,
    *,
    actor: User | None,
    pool: Pool,
    name: str,
    kind: str,
    federal_state: str,
    contact_email: str | None,
    contact_phone: str | None,
    partner_ids: Iterable[int],
    settings: dict | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Change the pool; returns the names of the changed fields (empty: nothing changed).
    Settings left out (``None``) stay as they are."""
    name = name.strip()
    _check_pool_values(session, name=name, kind=kind, federal_state=federal_state, pool_id=pool.id)
    settings = _check_settings(**(settings or {}))
    _check_alert_order(
        settings.get("reminder_hours", pool.reminder_hours),
        settings.get("unconfirmed_alert_hours", pool.unconfirmed_alert_hours),
    )
    partners = _load_partners(session, partner_ids, pool.id)
    changed = _changed(
        pool,
        {
            "name": name,
            "kind": kind,
            "federal_state": federal_state,
            "contact_email": _blank_to_none(contact_email),
            "contact_phone": _blank_to_none(contact_phone),
            **settings,
        },
    )
    if {p.id for p in pool.shares_with} != {p.id for p in partners}:
        pool.shares_with = partners
        changed.append("shares_with")
    if not changed:
        return changed
    _flush_unique(session, _("Es gibt schon einen Pool mit diesem Namen."), "name")
    details: dict = {"fields": changed}
    if "shares_with" in changed:
        details["shares_with"] = [p.id for p in partners]
    audit.record(session, _actor_id(actor), "pool.updated", "pool", pool.id, details)
    if "requires_formal_obligation" in changed:
        _refresh_pool_mediators(session, pool, now or utcnow())
    return changed


# --- offices --------------------------------------------------------------------------------------


def _check_office_values(session: Session, *, pool: Pool, name: str, office_id: int | None) -> None:
    if not name:
        raise OrgError(_("Bitte geben Sie einen Namen ein."), "name")
    query = select(Office.id).where(
        Office.pool_id == pool.id, func.lower(Office.name) == name.lower()
    )
    if office_id is not None:
        query = query.where(Office.id != office_id)
    if session.scalars(query).first() is not None:
        raise OrgError(
            _("Im Pool %(pool)s gibt es schon eine Dienststelle mit diesem Namen.", pool=pool.name),
            "name",
        )


def create_office(
    session: Session,
    *,
    actor: User | None,
    pool: Pool,
    name: str,
    phone: str | None,
    cost_centre: str | None,
    active: bool,
    now: datetime,
) -> Office:
    name = name.strip()
    _check_office_values(session, pool=pool, name=name, office_id=None)
    office = Office(
        pool_id=pool.id,
        name=name,
        phone=_blank_to_none(phone),
        cost_centre=_blank_to_none(cost_centre),
        active=bool(active),
        created_at=now,
    )
    session.add(office)
    _flush_unique(
        session, _("In diesem Pool gibt es schon eine Dienststelle mit diesem Namen."), "name"
    )
    audit.record(
        session,
        _actor_id(actor),
        "office.created",
        "office",
        office.id,
        {"pool_id": pool.id, "active": office.active},
    )
    return office


def update_office(
    session: Session,
    *,
    actor: User | None,
    office: Office,
    pool: Pool,
    name: str,
    phone: str | None,
    cost_centre: str | None,
    active: bool,
) -> list[str]:
    """Change the office; returns the names of the changed fields (empty: nothing changed)."""
    name = name.strip()
    _check_office_values(session, pool=pool, name=name, office_id=office.id)
    was_active = office.active
    changed = _changed(
        office,
        {
            "pool_id": pool.id,
            "name": name,
            "phone": _blank_to_none(phone),
            "cost_centre": _blank_to_none(cost_centre),
            "active": bool(active),
        },
    )
    if not changed:
        return changed
    if "pool_id" in changed:
        # Keep the relationship in step with the new foreign key.
        office.pool = pool
    _flush_unique(
        session, _("In diesem Pool gibt es schon eine Dienststelle mit diesem Namen."), "name"
    )
    audit.record(
        session,
        _actor_id(actor),
        "office.updated",
        "office",
        office.id,
        {"fields": changed, "pool_id": pool.id},
    )
    if was_active != office.active:
        action = "office.activated" if office.active else "office.deactivated"
        audit.record(session, _actor_id(actor), action, "office", office.id)
    return changed
