"""Audit events. Services call ``record`` inside their transaction; denied access is recorded in
a transaction of its own, because the request that was denied rolls back."""

from __future__ import annotations

from typing import Any

from flask import has_request_context
from sqlalchemy.orm import Session

from pool.db import get_db
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
    """Record and commit at once, in a session of its own."""
    with get_db().new_session(write=True) as session:
        record(session, actor_id, action, **kwargs)
        session.commit()
