"""Time of the scheduler's tick with 10,000 and with 1,000,000 assignments in the history.

    .venv/bin/python benchmarks/scheduler.py [--database-url URL] [--runs 7] [--reseed]
        [--small 10000] [--large 1000000]

PostgreSQL only. ``--database-url`` (or ``BENCH_DATABASE_URL``; default
``postgresql+psycopg://postgres@127.0.0.1:5432/bench_scheduler``) names the server and a prefix:
the script creates the databases ``bench_scheduler_10k`` and ``bench_scheduler_1m`` there, seeds
them with bulk inserts (SQLAlchemy Core ``insert()`` in batches; about two minutes for the large
one) and reuses them on later runs (a marker pool is written last; ``--reseed`` starts afresh).

Both installations have the same pool, offices, 1,000 mediators with accounts, and the same
things due at the measured moment: 200 assignments within the reminder, confirmation and report
windows, 20 requests still unassigned shortly before they start, 20 pending offers past their
deadline, 200 pending outbox messages and 300 assignments further ahead. They differ only in
the history: completed and cancelled requests and assignments in the past, with their offers and
sent messages.

Each round puts the due part back as it was (rows written by the previous tick are deleted, the
due rows inserted again, the daily duties marked as done for the day) and times ``run_tick`` with
a mailer that accepts and discards: what is measured is the tick's queries, not SMTP. The daily
duties ran in the warm-up tick, so the timed ticks are the frequent ones. Rounds of
the two installations alternate; the script prints the medians, what the tick did, the number of
SQL statements, and ``RATIO scheduler:tick-1m-vs-10k x.xx`` (goal <= 2: a tick costs what is due, not the
size of the history). The once-a-day duties are timed once per installation, for information.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time as clock
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from alembic import command as alembic_command  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from pool import create_app  # noqa: E402
from pool.cli import alembic_config, run_tick  # noqa: E402
from pool.db import Base, make_engine  # noqa: E402
from pool.models import (  # noqa: E402
    Assignment,
    DutyRun,
    InterpretingRequest,
    Mediator,
    Offer,
    Office,
    OutboxMessage,
    Pool,
    User,
    UserRole,
)

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_scheduler"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2030, 3, 4, 8, 0, tzinfo=UTC)  # Monday, 09:00 in Berlin
MARKER_POOL = "Bench: fertig"  # inserted last: its presence means the seed is complete
CHUNK = 10_000
MEDIATORS = 1000
OFFICES = 5
CASEWORKERS = 20
# First ids of the rows each round inserts again (far above the history's ids).
DUE_ID = 500_000_000


class NullMailer:
    """Accepts every message and discards it."""

    def send(self, message) -> None:
        pass


def label(count: int) -> str:
    return f"{count // 1_000_000}m" if count % 1_000_000 == 0 else f"{count // 1000}k"


# --- seeding: the same people in both installations -----------------------------------------------


def insert(conn, model, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(sa.insert(model.__table__), rows[start : start + CHUNK])


def seed_people(conn) -> None:
    conn.execute(sa.insert(Pool.__table__).values(
        id=1, name="Bench", kind="district", federal_state="NW", min_german_level="B1",
        requires_formal_obligation=True, rejected_retention_days=90, lead_time_working_days=3,
        excluded_settings=[], allow_medical_appointments=True, serve_sign_languages=False,
        short_notice_hours=24, travel_buffer_minutes=30, auto_offer_top_n=0,
        offer_expiry_minutes=1440, matching_weights={}, created_at=NOW - timedelta(days=2000),
    ))  # fmt: skip
    insert(conn, Office, [
        {"id": o, "pool_id": 1, "name": f"Amt {o}", "active": True, "created_at": NOW}
        for o in range(1, OFFICES + 1)
    ])  # fmt: skip
    users, roles, mediators = [], [], []
    for n in range(1, 3):
        users.append(user_row(n, f"koordination{n}@bench.example"))
        roles.append(
            {"id": n, "user_id": n, "role": "coordinator", "pool_id": 1, "office_id": None}
        )
    for n in range(3, 3 + CASEWORKERS):
        users.append(user_row(n, f"sachbearbeitung{n}@bench.example"))
        roles.append({"id": n, "user_id": n, "role": "caseworker", "pool_id": None,
                      "office_id": n % OFFICES + 1})  # fmt: skip
    for m in range(1, MEDIATORS + 1):
        user_id = 100 + m
        users.append(user_row(user_id, f"m{m}@bench.example"))
        roles.append({"id": user_id, "user_id": user_id, "role": "mediator", "pool_id": 1,
                      "office_id": None})  # fmt: skip
        mediators.append({
            "id": m, "user_id": user_id, "pool_id": 1, "kind": "volunteer", "status": "active",
            "name": f"Person {m}", "email": f"m{m}@bench.example", "gender": "female",
            "german_level": "C1", "adult_confirmed": True, "municipalities": ["Neustadt"],
            "mode_in_person": True, "interview_on": date(2028, 1, 1),
            "confidentiality_signed_on": date(2028, 1, 1), "obligation_on": date(2028, 1, 1),
            "deployable": True, "deployability_codes": [], "deployability_checked_on": NOW.date(),
            "availability_reviewed_at": NOW - timedelta(days=10), "booking_version": 0,
            "created_at": NOW, "updated_at": NOW, "status_changed_at": NOW,
        })  # fmt: skip
    insert(conn, User, users)
    insert(conn, UserRole, roles)
    insert(conn, Mediator, mediators)


def user_row(user_id: int, email: str) -> dict:
    return {"id": user_id, "email": email, "name": f"Person {user_id}", "password_hash": None,
            "locale": "de", "active": True, "session_version": 1, "created_at": NOW,
            "digest_categories": []}  # fmt: skip


def request_row(request_id: int, starts: datetime, status: str, **values) -> dict:
    return {
        "id": request_id, "pool_id": 1, "office_id": request_id % OFFICES + 1,
        "created_by_id": 3 + request_id % CASEWORKERS, "language_code": "ar",
        "starts_at": starts, "duration_minutes": 60, "ends_at": starts + timedelta(hours=1),
        "mode": "in_person", "municipality": "Neustadt", "domain_code": "social_services",
        "setting": "counselling", "status": status, "created_at": starts - timedelta(days=10),
        "updated_at": starts - timedelta(days=10), "assigned_at": None,
        "unassigned_alerted_at": None, **values,
    }  # fmt: skip


def assignment_row(assignment_id: int, request: dict, mediator_id: int, status: str,
                   **values) -> dict:  # fmt: skip
    return {
        "id": assignment_id, "request_id": request["id"], "mediator_id": mediator_id,
        "status": status, "starts_at": request["starts_at"], "ends_at": request["ends_at"],
        "in_person": True, "created_at": request["created_at"], "short_notice": False,
        "conflict_of_interest": False, "ics_sequence": 0, "reminded_hours": None,
        "attendance_confirmed_at": None, "unconfirmed_alerted_at": None,
        "report_requested_at": None, "completed_at": None, "cancelled_at": None,
        "cancelled_by": None, **values,
    }  # fmt: skip


def message_row(message_id: int, key: str, user_id: int, due: datetime, status: str,
                **values) -> dict:  # fmt: skip
    return {
        "id": message_id, "key": key, "kind": "assignment_reminder",
        "recipient": f"m{user_id - 100}@bench.example", "user_id": user_id,
        "category": "reminders", "urgent": False, "subject": "Erinnerung an Ihren Einsatz",
        "body_text": "Guten Tag,\n\nmorgen ist Ihr Einsatz.\n", "body_html": None,
        "status": status, "due_at": due, "attempts": 0, "created_at": due,
        "claimed_at": None, "sent_at": None, **values,
    }  # fmt: skip


def seed_history(engine, count: int, say) -> None:
    """``count`` past requests, each with one assignment (completed or cancelled); an offer for
    every fourth; one sent message per assignment."""
    rng = random.Random(5)
    with engine.begin() as conn:
        seed_people(conn)
    done = 0
    while done < count:
        size = min(100_000, count - done)
        requests, assignments, offers, messages = [], [], [], []
        for n in range(done + 1, done + size + 1):
            starts = NOW - timedelta(days=rng.randint(2, 1500), hours=rng.randint(0, 9))
            cancelled = rng.random() < 0.15
            mediator = rng.randint(1, MEDIATORS)
            request = request_row(
                n, starts, "cancelled" if cancelled else "completed",
                assigned_at=starts - timedelta(days=5),
                unassigned_alerted_at=None,
            )  # fmt: skip
            requests.append(request)
            assignments.append(assignment_row(
                n, request, mediator, "cancelled" if cancelled else "completed",
                reminded_hours=2, attendance_confirmed_at=starts - timedelta(days=2),
                report_requested_at=None if cancelled else request["ends_at"],
                completed_at=None if cancelled else request["ends_at"] + timedelta(days=1),
                cancelled_at=starts - timedelta(days=1) if cancelled else None,
                cancelled_by="office" if cancelled else None,
            ))  # fmt: skip
            if n % 4 == 0:
                offers.append({
                    "id": n // 4, "request_id": n, "mediator_id": mediator, "status": "accepted",
                    "expires_at": starts - timedelta(days=4), "created_at": starts - timedelta(days=6),
                    "responded_at": starts - timedelta(days=5),
                })  # fmt: skip
            messages.append(message_row(
                n, f"history:{n}", 100 + mediator, starts - timedelta(days=2), "sent",
                attempts=1, sent_at=starts - timedelta(days=2),
                claimed_at=starts - timedelta(days=2),
            ))  # fmt: skip
        with engine.begin() as conn:
            insert(conn, InterpretingRequest, requests)
            insert(conn, Assignment, assignments)
            insert(conn, Offer, offers)
            insert(conn, OutboxMessage, messages)
        done += size
        if count > 100_000:
            say(f"  … {done:,} assignments")
    with engine.begin() as conn:
        # The marker commits with the baseline below, in the last transaction of the seed.
        conn.execute(sa.insert(Pool.__table__).values(
            id=2, name=MARKER_POOL, kind="district", federal_state="NW", created_at=NOW,
            lead_time_working_days=3, excluded_settings=[], matching_weights={},
        ))  # fmt: skip
        # Explicit ids did not move the sequences: new rows of the tick must come after them.
        # Rows above these ids are written by the rounds: ``reset`` deletes them.
        conn.exec_driver_sql("CREATE TABLE bench_baseline (name text PRIMARY KEY, max_id bigint)")
        for table in Base.metadata.sorted_tables:
            if "id" not in table.c or not table.c.id.primary_key:
                continue
            top = conn.execute(sa.select(sa.func.max(table.c.id))).scalar() or 0
            conn.execute(
                sa.text("INSERT INTO bench_baseline VALUES (:name, :top)"),
                {"name": table.name, "top": top},
            )
            conn.execute(
                sa.text("SELECT setval(pg_get_serial_sequence(:name, 'id'), :top)"),
                {"name": table.name, "top": max(top, 1)},
            )


# --- the due part, inserted again before every round ----------------------------------------------


def due_rows() -> dict:
    """What is due at ``NOW``, the same in both installations."""
    rng = random.Random(11)
    requests, assignments, offers, messages = [], [], [], []
    next_id = DUE_ID

    def add_request(starts, status, **values):
        nonlocal next_id
        next_id += 1
        row = request_row(next_id, starts, status, **values)
        requests.append(row)
        return row

    for k in range(200):
        mediator = k % MEDIATORS + 1
        kind = k % 4
        if kind == 0:  # 48 h reminder due (asks to confirm)
            starts, values = NOW + timedelta(hours=47, minutes=rng.randint(0, 59)), {}
        elif kind == 1:  # 2 h reminder due
            starts = NOW + timedelta(minutes=rng.randint(60, 119))
            values = {"reminded_hours": 48, "attendance_confirmed_at": NOW - timedelta(days=1)}
        elif kind == 2:  # not confirmed 24 h before: the coordinator is alerted
            starts, values = NOW + timedelta(hours=rng.randint(10, 23)), {"reminded_hours": 48}
        else:  # over: ask both sides to report
            starts = NOW - timedelta(hours=rng.randint(2, 20))
            values = {"reminded_hours": 2, "attendance_confirmed_at": NOW - timedelta(days=3)}
        request = add_request(starts, "assigned", assigned_at=NOW - timedelta(days=5))
        assignments.append(assignment_row(request["id"], request, mediator, "confirmed", **values))
    for k in range(300):  # further ahead: nothing due yet
        starts = NOW + timedelta(days=3 + k % 27, hours=k % 8)
        request = add_request(starts, "assigned", assigned_at=NOW - timedelta(days=1))
        assignments.append(
            assignment_row(request["id"], request, (k * 7) % MEDIATORS + 1, "confirmed")
        )
    for _k in range(20):  # still without a mediator shortly before the start
        add_request(NOW + timedelta(hours=rng.randint(5, 47)), "open")
    for k in range(20):  # offers past their deadline
        request = add_request(NOW + timedelta(days=4), "offered")
        offers.append({
            "id": DUE_ID + k + 1, "request_id": request["id"], "mediator_id": 500 + k,
            "status": "pending", "expires_at": NOW - timedelta(minutes=5),
            "created_at": NOW - timedelta(days=1), "responded_at": None,
        })  # fmt: skip
    for k in range(200):
        messages.append(message_row(
            DUE_ID + k + 1, f"due:{k}", 100 + k % MEDIATORS + 1, NOW - timedelta(minutes=1),
            "pending",
        ))  # fmt: skip
    return {
        InterpretingRequest: requests,
        Assignment: assignments,
        Offer: offers,
        OutboxMessage: messages,
    }


class Installation:
    def __init__(self, server_url: str, count: int) -> None:
        server = make_url(server_url).set(drivername="postgresql+psycopg")
        self.count = count
        self.admin_url = server.set(database="postgres")
        self.database = f"{server.database or 'bench_scheduler'}_{label(count)}"
        self.url = server.set(database=self.database).render_as_string(hide_password=False)
        self.engine = None
        self.app = None
        self.baseline: dict[str, int] = {}

    def _admin(self, sql: str, **params):
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                result = conn.execute(sa.text(sql), params)
                return result.first() if result.returns_rows else None
        finally:
            admin.dispose()

    def _complete(self) -> bool:
        if self._admin("SELECT 1 FROM pg_database WHERE datname = :n", n=self.database) is None:
            return False
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                return (
                    conn.execute(sa.select(Pool.id).where(Pool.name == MARKER_POOL)).first()
                    is not None
                )
        except sa.exc.DBAPIError:
            return False
        finally:
            engine.dispose()

    def prepare(self, say, *, reseed: bool) -> None:
        if reseed or not self._complete():
            say(f"Seeding {self.database}: {self.count:,} assignments in the history …")
            started = clock.perf_counter()
            self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            self._admin(f'CREATE DATABASE "{self.database}"')
            alembic_command.upgrade(alembic_config(self.url), "head")
            engine = make_engine(self.url)
            seed_history(engine, self.count, say)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")  # as autovacuum would after a big load
            engine.dispose()
            say(f"  seeded in {clock.perf_counter() - started:.0f} s")
        else:
            say(f"Reusing {self.database}")
        self.app = create_app({"DATABASE_URL": self.url, "SMTP_HOST": None})
        self.engine = self.app.extensions["pool_db"].engine
        with self.engine.connect() as conn:
            self.baseline = dict(
                conn.execute(sa.text("SELECT name, max_id FROM bench_baseline")).all()
            )
            self.assignments = conn.execute(
                sa.select(sa.func.count(Assignment.id)).where(Assignment.id < DUE_ID)
            ).scalar_one()

    def reset(self, *, duties_due: bool = False) -> None:
        """The due part as it was before any tick; ``duties_due``: the daily duties have not run
        today (otherwise they stay done from the warm-up tick)."""
        with self.engine.begin() as conn:
            # Dependent rows go first (reverse table order), so the foreign-key triggers can be
            # skipped: ``assignments.request_id`` has only a partial index, and checking it for
            # each deleted request would scan the whole history.
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            for table in reversed(Base.metadata.sorted_tables):
                if table.name in self.baseline:
                    conn.execute(table.delete().where(table.c.id > self.baseline[table.name]))
            if duties_due:
                conn.execute(DutyRun.__table__.delete())
            for model, rows in due_rows().items():
                insert(conn, model, rows)

    def dispose(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


# --- measuring ------------------------------------------------------------------------------------


@contextmanager
def counting(engine):
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        if (
            not statement.lstrip()
            .upper()
            .startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))
        ):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def timed_tick(installation: Installation, *, duties_due: bool = False) -> tuple[float, dict, int]:
    installation.reset(duties_due=duties_due)
    with counting(installation.engine) as statements:
        started = clock.perf_counter()
        counts = run_tick(installation.app, NOW, mailer=NullMailer())
        elapsed = clock.perf_counter() - started
    return elapsed, counts, len(statements)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL),
                        help="PostgreSQL server and database name prefix")  # fmt: skip
    parser.add_argument("--small", type=int, default=10_000, help="assignments (default 10,000)")
    parser.add_argument("--large", type=int, default=1_000_000,
                        help="assignments (default 1,000,000)")  # fmt: skip
    parser.add_argument("--runs", type=int, default=7, help="timed rounds per installation")
    parser.add_argument("--reseed", action="store_true", help="seed again even if present")
    args = parser.parse_args(argv)
    if not args.database_url.startswith("postgres"):
        parser.error("the benchmark needs PostgreSQL (--database-url or BENCH_DATABASE_URL)")

    def say(text: str) -> None:
        print(text, flush=True)

    small = Installation(args.database_url, args.small)
    large = Installation(args.database_url, args.large)
    try:
        small.prepare(say, reseed=args.reseed)
        large.prepare(say, reseed=args.reseed)
        times: dict[Installation, list[float]] = {small: [], large: []}
        did: dict[Installation, tuple[dict, int]] = {}
        for installation in (small, large):  # warm-up: caches, compiled statements
            timed_tick(installation)
        for _round in range(args.runs):
            for installation in (small, large):
                elapsed, counts, statements = timed_tick(installation)
                times[installation].append(elapsed)
                did[installation] = (counts, statements)
        duties = {inst: timed_tick(inst, duties_due=True) for inst in (small, large)}
        for installation in (small, large):
            installation.reset()  # leave the due part ready for the next run

        print()
        print(f"Scheduler tick (PostgreSQL, null mailer, median of {args.runs} rounds)")
        print(f"{'installation':<22} {'assignments':>12} {'median ms':>10} {'min ms':>8} "
              f"{'SQL':>5} {'daily duties ms':>16}")  # fmt: skip
        for installation in (small, large):
            print(
                f"{installation.database:<22} {installation.assignments:>12,} "
                f"{statistics.median(times[installation]) * 1000:>10.1f} "
                f"{min(times[installation]) * 1000:>8.1f} {did[installation][1]:>5} "
                f"{duties[installation][0] * 1000:>16.1f}"
            )
        for installation in (small, large):
            counts = {k: v for k, v in did[installation][0].items() if v}
            print(
                f"  {installation.database} did: " + " ".join(f"{k}={v}" for k, v in counts.items())
            )
        ratio = statistics.median(times[large]) / statistics.median(times[small])
        print()
        print(f"RATIO scheduler:tick-{label(args.large)}-vs-{label(args.small)} {ratio:.2f}")
        print(f"Goal ratio <= 2: {'met' if ratio <= 2 else 'MISSED'}")
    finally:
        small.dispose()
        large.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
