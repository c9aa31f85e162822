"""Time-driven messages of the frequent tick: reminders before assignments, the coordinator's
escalations, and the request to report after an appointment (DESIGN.md §4).

``run_reminders(session, now)`` flushes and returns counts; the tick commits. Each query selects
only what is due (by indexed time columns and "already handled" markers), so a tick costs what
is due, not the size of the history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session


def run_reminders(session: Session, now: datetime) -> dict[str, int]:
    """Enqueue every time-driven message due at ``now``. Returns counts by kind."""
    return {}
