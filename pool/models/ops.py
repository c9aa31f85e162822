"""Operational state kept in the database, so any process can pick up where another stopped."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, String
from sqlalchemy.orm import Mapped, mapped_column

from pool.db import Base, UTCDateTime


class DutyRun(Base):
    """When a daily duty was last done; a scheduler that was down catches up on its next tick."""

    __tablename__ = "duty_runs"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_done_on: Mapped[date | None] = mapped_column(Date)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DataVersion(Base):
    """One row whose number goes up with every committed transaction that changes data shown in
    pages (pool.db.track_writes), in that same transaction: what is derived from the data
    (pool.pagecache) knows when it is stale, in every process and on every host."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
