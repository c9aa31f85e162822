"""The closed sets of codes the product knows: roles, statuses, modes, domains, settings, levels.

Every other module reads them from here: the models build their check constraints with
``check_in``, the schemas use the enums as field types, the forms build their choices from them
and the templates compare against them. The values are the codes stored in the database and
exchanged through the API (see docs/api.md), so they never change once released.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import CheckConstraint


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    CASEWORKER = "caseworker"
    MEDIATOR = "mediator"


class MediatorKind(StrEnum):
    VOLUNTEER = "volunteer"
    STAFF = "staff"


class MediatorStatus(StrEnum):
    APPLIED = "applied"
    ACTIVE = "active"
    PAUSED = "paused"
    LEFT = "left"
    REJECTED = "rejected"


class Side(StrEnum):
    """Who cancelled a request or an assignment, or reported how an appointment went."""

    MEDIATOR = "mediator"
    OFFICE = "office"
    COORDINATION = "coordination"


class RequestStatus(StrEnum):
    OPEN = "open"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    UNFILLED = "unfilled"


class OfferStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class AssignmentStatus(StrEnum):
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    # Waits for the recipient's daily digest.
    HELD = "held"
    # Went out in a digest.
    DIGESTED = "digested"


class NotificationCategory(StrEnum):
    """What a message is about: users choose per category whether it comes at once or in the
    daily digest (pool/notify.py says which categories may wait)."""

    REQUESTS = "requests"
    ASSIGNMENTS = "assignments"
    OFFERS = "offers"
    REMINDERS = "reminders"
    REPORTS = "reports"
    REGISTRY = "registry"
    COORDINATION = "coordination"
    ALERTS = "alerts"
    ACCOUNT = "account"
    # Not a preference: the digest itself, and messages outside every category.
    DIGEST = "digest"
    OTHER = "other"


class ImportStatus(StrEnum):
    MAPPING = "mapping"
    READY = "ready"
    RUNNING = "running"
    DONE = "done"


class Mode(StrEnum):
    IN_PERSON = "in_person"
    PHONE = "phone"
    VIDEO = "video"


class Gender(StrEnum):
    FEMALE = "female"
    MALE = "male"
    DIVERSE = "diverse"


class Level(StrEnum):
    """German levels (CEFR and native); a mediator's other languages start at A2."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"
    NATIVE = "native"

    @property
    def rank(self) -> int:
        return list(Level).index(self)


class Domain(StrEnum):
    """The domains every installation starts with; the admin's catalogue may add more codes."""

    EDUCATION = "education"
    HEALTH = "health"
    YOUTH_WELFARE = "youth_welfare"
    SOCIAL_SERVICES = "social_services"
    AUTHORITIES = "authorities"
    OTHER = "other"


class Setting(StrEnum):
    PARENTS_MEETING = "parents_meeting"
    COUNSELLING = "counselling"
    OFFICE_APPOINTMENT = "office_appointment"
    HOME_VISIT = "home_visit"
    MEDICAL_APPOINTMENT = "medical_appointment"
    INFORMATION_EVENT = "information_event"
    OTHER = "other"
    COURT = "court"
    POLICE = "police"
    ASYLUM_HEARING = "asylum_hearing"
    LEGALLY_BINDING = "legally_binding"
    MEDICAL_REPORT = "medical_report"


# Settings the law reserves for sworn or court interpreters: new pools leave them out, and
# refusing a request for one of them points there.
LEGAL_SETTINGS = (
    Setting.COURT,
    Setting.POLICE,
    Setting.ASYLUM_HEARING,
    Setting.LEGALLY_BINDING,
    Setting.MEDICAL_REPORT,
)


class Outcome(StrEnum):
    TOOK_PLACE = "took_place"
    CLIENT_NO_SHOW = "client_no_show"
    MEDIATOR_NO_SHOW = "mediator_no_show"
    CANCELLED_ON_SITE = "cancelled_on_site"


class PoolKind(StrEnum):
    DISTRICT = "district"
    MUNICIPAL = "municipal"


class AllowanceUnit(StrEnum):
    HOUR = "hour"
    HALF_HOUR = "half_hour"


class LinkPurpose(StrEnum):
    INVITE = "invite"
    RESET = "reset"


class ThrottleKind(StrEnum):
    """The public actions limited per target address and per client address."""

    RESET = "reset"
    APPLY = "apply"


# The enums the templates compare against (registered as Jinja globals by their class name).
TEMPLATE_ENUMS = (
    Role,
    MediatorKind,
    MediatorStatus,
    RequestStatus,
    OfferStatus,
    AssignmentStatus,
    OutboxStatus,
    ImportStatus,
    Mode,
    Gender,
    Level,
    Setting,
    Outcome,
    PoolKind,
)


def sql_in(column: str, enum: Iterable[StrEnum]) -> str:
    """``column IN ('a', 'b', …)`` in the enum's order: the text of the check constraints.

    ``enum`` is an enum class or a subset of its members (e.g. the levels from A2 on)."""
    values = ", ".join(f"'{member.value}'" for member in enum)
    return f"{column} IN ({values})"


def check_in(column: str, enum: Iterable[StrEnum], name: str | None = None) -> CheckConstraint:
    """A check constraint that keeps ``column`` inside ``enum`` (named after the column)."""
    return CheckConstraint(sql_in(column, enum), name=name or column)
