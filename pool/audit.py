"""Audit events. Services call ``record`` inside their transaction; ``record_now`` commits an event
at once (denied access), discarding whatever the request had not committed."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from sqlalchemy.orm import Session

from pool.db import db_session
from pool.models import AuditEvent
from pool.security import client_address


def record(
    session: Session,
    actor_id: int | None,
    action: str,
    object_type: str | None = None,
    object_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        address=client_address() if has_request_context() else None,
        details=details or None,
    )
    session.add(event)
    session.flush()
    return event


def record_now(actor_id: int | None, action: str, **kwargs: Any) -> None:
    """Record and commit at once in the request's session (after rolling back what it had: on
    SQLite a second session would wait for the write lock this one may hold)."""
    session = db_session()
    session.rollback()
    record(session, actor_id, action, **kwargs)
    session.commit()
