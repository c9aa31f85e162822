"""All models, imported here so that ``Base.metadata`` knows every table."""

from pool.models.allowances import AllowanceRule, Payout, PayoutItem
from pool.models.audit import AuditEvent
from pool.models.imports import ImportJob
from pool.models.mediators import (
    Absence,
    AvailabilityWindow,
    Domain,
    Guideline,
    GuidelineAcknowledgement,
    Mediator,
    MediatorDomain,
    MediatorLanguage,
    MediatorStatusChange,
    Training,
    TrainingRecord,
)
from pool.models.ops import DataVersion, DutyRun
from pool.models.org import FEDERAL_STATES, Office, Pool, pool_sharing
from pool.models.outbox import OutboxMessage
from pool.models.requests import (
    Assignment,
    CaseExclusion,
    DebriefRequest,
    InterpretingRequest,
    Offer,
    PoolClosure,
    RequestSeries,
)
from pool.models.users import (
    ROLES,
    ApiToken,
    LoginFailure,
    OneTimeToken,
    ThrottleEvent,
    User,
    UserRole,
    UserSession,
)

__all__ = [
    "DebriefRequest",
    "AllowanceRule",
    "Payout",
    "PayoutItem",
    "Assignment",
    "CaseExclusion",
    "InterpretingRequest",
    "Offer",
    "PoolClosure",
    "RequestSeries",
    "Absence",
    "AvailabilityWindow",
    "Domain",
    "DataVersion",
    "DutyRun",
    "Guideline",
    "GuidelineAcknowledgement",
    "Mediator",
    "MediatorDomain",
    "MediatorLanguage",
    "MediatorStatusChange",
    "Training",
    "TrainingRecord",
    "FEDERAL_STATES",
    "ROLES",
    "ApiToken",
    "ThrottleEvent",
    "UserSession",
    "AuditEvent",
    "ImportJob",
    "LoginFailure",
    "Office",
    "OneTimeToken",
    "OutboxMessage",
    "Pool",
    "User",
    "UserRole",
    "pool_sharing",
]
