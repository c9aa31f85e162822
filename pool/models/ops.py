"""Operational state kept in the database, so any process can pick up where another stopped."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from pool.db import Base, UTCDateTime


class DutyRun(Base):
    """When a daily duty was last done; a scheduler that was down catches up on its next tick."""

    __tablename__ = "duty_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_done_on: Mapped[date | None] = mapped_column(Date)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
