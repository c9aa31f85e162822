"""Import jobs: a file of mediators on its way from upload through mapping and preview to import.

The large columns (``cells``, ``rows``) load only when a step needs them. The parsed rows are kept in the job only while it runs: they are personal data, so they are removed
when the import is done and whole jobs are deleted a day after they were started.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pool.db import Base, UTCDateTime, utcnow
from pool.enums import ImportStatus, check_in
from pool.models.org import Pool


class ImportJob(Base):
    __tablename__ = "import_jobs"
    __table_args__ = (check_in("status", ImportStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # mapping → ready (validated, preview shown) → running (confirmed, chunks) → done
    status: Mapped[str] = mapped_column(String(10), default=ImportStatus.MAPPING)
    file_type: Mapped[str] = mapped_column(String(4))
    header_line: Mapped[int] = mapped_column(default=1)
    # Column headers as in the file, and the raw cells: [[line, [cell, …]], …].
    headers: Mapped[list | None] = mapped_column(JSON)
    cells: Mapped[list | None] = mapped_column(JSON, deferred=True)
    # One field name (or "ignore") per column, and options such as the default language level.
    mapping: Mapped[list | None] = mapped_column(JSON)
    options: Mapped[dict | None] = mapped_column(JSON)
    # Validated rows: [{"line": n, "values": {…}, "problems": [[code, {…}], …]}, …].
    rows: Mapped[list | None] = mapped_column(JSON, deferred=True)
    row_count: Mapped[int] = mapped_column(default=0)
    good_count: Mapped[int] = mapped_column(default=0)
    # Progress of the confirmed import: rows of ``rows`` handled so far, and the outcome.
    done_count: Mapped[int] = mapped_column(default=0)
    imported_count: Mapped[int] = mapped_column(default=0)
    skipped_count: Mapped[int] = mapped_column(default=0)
    # Lines skipped during the import (e.g. the e-mail address was taken meanwhile).
    skipped: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pool: Mapped[Pool] = relationship()
