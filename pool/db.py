"""Database wiring: declarative base, engine per app, one session per request or command.

Services receive the session explicitly and only flush; the route or command that opened the
session commits once.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import Any, cast

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event, text
from sqlalchemy.engine import CursorResult, Result, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned with ``tzinfo=UTC``.

    SQLite drops time zones, PostgreSQL keeps them; this makes both behave alike.
    """

    impl = DateTime
    cache_ok = True

    def __init__(self, timezone: bool = True) -> None:
        super().__init__(timezone=True)

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime in UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


SQLITE_BEGIN = "pool_sqlite_begin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str, *, busy_timeout_ms: int = 15000) -> Engine:
    """Create the engine; on SQLite turn on WAL, a busy timeout and explicit transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True)

    engine = create_engine(url, connect_args={"check_same_thread": False})
    in_memory = parsed.database in (None, "", ":memory:")

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin) instead of pysqlite's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Write transactions take the write lock at BEGIN, so a read followed by a write waits
        # for other writers (busy_timeout) instead of failing with "database is locked".
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


# --- the data version -----------------------------------------------------------------------------
# Every committed transaction that wrote to a table bumps ``data_version.value`` as its last
# statement, in the same transaction, so data and version become visible together: whoever reads
# the version first and the data after it sees data at least as new as that version, never older
# (pool/pagecache.py keeps pages under the version read before they were made).
# Tables that no kept page shows do not bump it: the audit trail, the scheduler's bookkeeping and
# the throttles and the sessions are written by requests that change nothing else (who may see a
# kept page is checked against the session on every request, pool/pagecache.py).
UNVERSIONED_TABLES = frozenset(
    {
        "audit_events",
        "duty_runs",
        "login_failures",
        "throttle_events",
        "user_sessions",
        "data_version",
    }
)
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)', re.IGNORECASE)
_WROTE = "pool_wrote"
_BUMP = "UPDATE data_version SET value = value + 1 WHERE id = 1"
_READ = text("SELECT value FROM data_version WHERE id = 1")


def track_writes(engine: Engine) -> None:
    """Bump the data version at the commit of each transaction on ``engine`` that wrote data."""

    @event.listens_for(engine, "after_cursor_execute")
    def _note(conn, cursor, statement, _parameters, _context, _executemany) -> None:
        # Statements that changed no row (the scheduler's clean-ups, mostly) change nothing.
        match = _WRITE.match(statement)
        if match and cursor.rowcount != 0 and match.group(1).lower() not in UNVERSIONED_TABLES:
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    def _bump(conn) -> None:
        # Runs just before the commit; on the raw cursor, so no event sees it again.
        if conn.info.pop(_WROTE, False):
            cursor = conn.connection.cursor()
            try:
                cursor.execute(_BUMP)
            finally:
                cursor.close()

    @event.listens_for(engine, "rollback")
    def _forget(conn) -> None:
        # A lost connection has no info to read (it would raise); "checkin" below clears it.
        if not conn.invalidated:
            conn.info.pop(_WROTE, None)

    @event.listens_for(engine, "checkin")
    def _forget_on_return(_dbapi_connection, record) -> None:
        record.info.pop(_WROTE, None)


def rowcount(result: Result[*tuple[Any, ...]]) -> int:
    """The rows an UPDATE or DELETE matched. ``Session.execute`` returns a ``CursorResult`` for
    them, but its return type promises only a ``Result`` (SQLAlchemy leaves the narrowing to
    the caller)."""
    return cast(CursorResult[*tuple[Any, ...]], result).rowcount


def data_version(session: Session) -> int | None:
    """The current data version (read it before the data it stands for); None without its row."""
    return session.execute(_READ).scalar()


class Database:
    """Holds the engine and session factories of one app."""

    def __init__(self, url: str, *, busy_timeout_ms: int = 15000) -> None:
        self.url = url
        self.engine = make_engine(url, busy_timeout_ms=busy_timeout_ms)
        track_writes(self.engine)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        write_engine = (
            self.engine.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            if self.is_sqlite
            else self.engine
        )
        self.read_sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.write_sessions = sessionmaker(bind=write_engine, expire_on_commit=False)

    def new_session(self, *, write: bool = True) -> Session:
        return (self.write_sessions if write else self.read_sessions)()


def init_app(app: Flask) -> Database:
    database = Database(
        app.config["DATABASE_URL"], busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"]
    )
    app.extensions["pool_db"] = database

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            release(session)

    return database


def release(session: Session) -> None:
    """Roll back and close without ever raising: after a lost connection ``close()`` alone raises
    ``PendingRollbackError``, and an error raised here would replace the answer already made (the
    client would get an empty 500). A connection that cannot even be rolled back is discarded."""
    try:
        session.rollback()
        session.close()
    except SQLAlchemyError:
        log.warning("discarding a database session that could not be closed", exc_info=True)
        try:
            session.invalidate()
        except SQLAlchemyError:
            log.warning("discarding its connection failed too", exc_info=True)


def get_db() -> Database:
    return current_app.extensions["pool_db"]


def db_session() -> Session:
    """The session of the current request or command, opened on first use.

    Requests that may change data (anything but GET/HEAD/OPTIONS) and commands get a write
    session; on SQLite that begins with BEGIN IMMEDIATE.
    """
    session = g.get("db_session")
    if session is None:
        write = not (has_request_context() and request.method in SAFE_METHODS)
        session = get_db().new_session(write=write)
        g.db_session = session
    return session
