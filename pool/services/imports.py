"""Importing mediators from a file: an import job goes from upload through mapping and preview to a
confirmed import that runs in chunks (one transaction each), so a page can show progress.

Nothing reaches the registry before ``confirm``; then only rows without problems are created,
through ``services.mediators.create_mediator`` (status "applied", no invitation: the coordination
invites them by activating). Functions flush; the caller commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pool import audit
from pool.db import rowcount
from pool.enums import ImportStatus
from pool.i18n import gettext as _
from pool.imports import parsing
from pool.models import Domain, ImportJob, Mediator, Pool, User
from pool.models.mediators import LEVELS
from pool.services import ServiceError
from pool.services.mediators import LanguageSkill, create_mediator

CHUNK_SIZE = 200
JOB_LIFETIME = timedelta(days=1)
IN_BATCH = 500  # values per IN (…) query


class ImportJobError(ServiceError):
    """An import step is not possible (anymore)."""


def create_job(
    session: Session, *, actor: User, pool: Pool, parsed: parsing.ParsedFile, now: datetime
) -> ImportJob:
    job = ImportJob(
        pool_id=pool.id,
        created_by_id=actor.id,
        status=ImportStatus.MAPPING,
        file_type=parsed.file_type,
        header_line=parsed.header_line,
        headers=parsed.headers,
        cells=[[line, cells] for line, cells in parsed.rows],
        mapping=parsing.guess_mapping(parsed.headers),
        options={},
        row_count=len(parsed.rows),
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.flush()
    audit.record(session, actor.id, "import.started", "import_job", job.id,
                 {"pool_id": pool.id, "rows": job.row_count, "type": job.file_type})  # fmt: skip
    return job


def set_mapping(
    session: Session, *, actor: User, job: ImportJob, mapping: Sequence[str],
    default_level: str | None, now: datetime,
) -> None:  # fmt: skip
    """Save the column mapping and check every row (nothing is imported yet)."""
    if job.status not in (ImportStatus.MAPPING, ImportStatus.READY):
        raise ImportJobError(_("Dieser Import läuft schon oder ist abgeschlossen."))
    mapping = list(mapping)
    if len(mapping) != len(job.headers or []) or set(mapping) - set(parsing.FIELD_NAMES):
        raise ImportJobError(_("Bitte ordnen Sie jede Spalte zu."))
    problems = parsing.mapping_problems(mapping)
    if problems:
        raise ImportJobError(str(problems[0]))
    if default_level is not None and default_level not in LEVELS:
        raise ImportJobError(_("Bitte wählen Sie ein Sprachniveau."), "default_level")
    domains = session.execute(select(Domain.code, Domain.name_de, Domain.name_en)).all()
    rows = parsing.prepare_rows(
        job.headers or [],
        job.cells or [],
        mapping,
        default_level=default_level,
        domains=parsing.domain_lookup(domains),
    )
    _check_existing(session, job.pool_id, rows)
    job.mapping = mapping
    job.options = {"default_level": default_level}
    job.rows = [row.as_json() for row in rows]
    job.good_count = sum(1 for row in rows if not row.problems)
    job.status = ImportStatus.READY
    job.updated_at = now
    session.flush()


def _check_existing(session: Session, pool_id: int, rows: list[parsing.PreparedRow]) -> None:
    """Mark rows whose e-mail address belongs to a mediator or an account already."""
    emails = sorted({row.values["email"] for row in rows if row.values.get("email")})
    mediators: dict[str, int] = {}
    users: set[str] = set()
    for start in range(0, len(emails), IN_BATCH):
        batch = emails[start : start + IN_BATCH]
        for address, mediator_pool in session.execute(
            select(Mediator.email, Mediator.pool_id).where(Mediator.email.in_(batch))
        ):
            mediators[address] = mediator_pool
        users.update(session.scalars(select(User.email).where(User.email.in_(batch))))
    for row in rows:
        email = row.values.get("email")
        if not email:
            continue
        if email in mediators:
            code = "email_exists_pool" if mediators[email] == pool_id else "email_exists_other_pool"
            row.problems.append((code, {}))
        elif email in users:
            row.problems.append(("email_exists_user", {}))


def good_rows(job: ImportJob) -> list[dict]:
    return [row for row in job.rows or [] if not row["problems"]]


def confirm(session: Session, *, actor: User, job: ImportJob, now: datetime) -> bool:
    """Start the import; False if it was started already (a second click, another tab)."""
    claimed = rowcount(
        session.execute(
            update(ImportJob)
            .where(ImportJob.id == job.id, ImportJob.status == ImportStatus.READY)
            .values(status=ImportStatus.RUNNING, done_count=0, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    session.refresh(job)
    if claimed != 1:
        return False
    audit.record(session, actor.id, "import.confirmed", "import_job", job.id,
                 {"pool_id": job.pool_id, "rows": job.good_count})  # fmt: skip
    return True


def process_chunk(
    session: Session, *, actor: User, job: ImportJob, now: datetime, size: int = CHUNK_SIZE
) -> int:
    """Import the next ``size`` good rows; the number of rows handled (0: nothing to do, or
    another request handled this chunk). The caller commits: one transaction per chunk."""
    if job.status != ImportStatus.RUNNING:
        return 0
    rows = good_rows(job)
    start = job.done_count
    chunk = rows[start : start + size]
    end = start + len(chunk)
    # Claim the chunk: a concurrent request for the same chunk finds done_count moved on.
    claimed = rowcount(
        session.execute(
            update(ImportJob)
            .where(
                ImportJob.id == job.id,
                ImportJob.status == ImportStatus.RUNNING,
                ImportJob.done_count == start,
            )  # fmt: skip
            .values(done_count=end, updated_at=now)
            .execution_options(synchronize_session=False)
        )
    )
    if claimed != 1:
        return 0
    pool = session.get(Pool, job.pool_id)
    assert pool is not None  # a job belongs to an existing pool
    imported, skipped = 0, list(job.skipped or [])
    for row in chunk:
        try:
            with session.begin_nested():
                create_mediator(session, actor=actor, pool=pool, values=service_values(row),
                                now=now, invite=False)  # fmt: skip
            imported += 1
        except ServiceError as exc:
            skipped.append([row["line"], exc.message])
        except IntegrityError:
            skipped.append([row["line"], _("Die E-Mail-Adresse gibt es inzwischen schon.")])
    job.done_count = end
    job.imported_count += imported
    job.skipped_count = len(skipped)
    job.skipped = skipped
    job.updated_at = now
    if imported:
        audit.record(session, actor.id, "mediator.imported", "import_job", job.id,
                     {"count": imported, "pool_id": job.pool_id})  # fmt: skip
    if end >= len(rows):
        finish(session, job=job, now=now)
    session.flush()
    return len(chunk)


def finish(session: Session, *, job: ImportJob, now: datetime) -> None:
    """Done: keep the counts, drop the file's contents (personal data)."""
    job.status = ImportStatus.DONE
    job.cells = job.rows = job.headers = None
    job.updated_at = now
    audit.record(session, job.created_by_id, "import.finished", "import_job", job.id,
                 {"imported": job.imported_count, "skipped": job.skipped_count})  # fmt: skip


def service_values(row: dict) -> dict:
    """The stored values of a row as ``create_mediator`` takes them."""
    values = dict(row["values"])
    values["languages"] = [
        LanguageSkill(code, level, tuple(dialects)) for code, level, dialects in values["languages"]
    ]
    return values


def discard(session: Session, *, actor: User, job: ImportJob) -> None:
    audit.record(session, actor.id, "import.discarded", "import_job", job.id,
                 {"status": job.status, "imported": job.imported_count})  # fmt: skip
    session.delete(job)
    session.flush()


def purge_import_jobs(session: Session, now: datetime) -> int:
    """Delete import jobs started more than a day ago, with whatever rows they still hold. Run
    from the scheduler's tick: the rows of a file are personal data and must not linger."""
    result = session.execute(
        delete(ImportJob)
        .where(ImportJob.created_at < now - JOB_LIFETIME)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return rowcount(result) or 0
