"""Matching time at 100,000 mediators against 1,000 (docs/architecture.md, "Matching").

    .venv/bin/python benchmarks/matching.py [--database-url URL] [--large 100000] [--runs 7]

Seeds (bulk inserts; reused when present) two installations that differ only in the number of
OTHER pools: the request's pool (600 mediators) and the pool sharing with it (400) are the same in
both; the large one adds pools of 1,000 mediators that share with their neighbours (one of them is
shared with BY the request's pool, which must not bring it in). Then it times ``candidates_for``
for the same request on both, interleaved, and prints the medians, their ratio and the number of
SQL statements per call. A third installation times one pool with 100 speakers of the language
against one with 2,000 (a figure without a goal yet).

SQLite (default): files in ``benchmarks/data/``. PostgreSQL: ``--database-url`` names the server;
the script creates the databases ``pool_bench_matching_*`` there.

Output lines for tools: ``RATIO matching:scale <x>`` (goal <= 3), ``RATIO matching:speakers <x>``,
``STATEMENTS matching:<installation> <n>``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time as clock
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from alembic import command as alembic_command  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from pool.cli import alembic_config  # noqa: E402
from pool.db import make_engine  # noqa: E402
from pool.i18n import BERLIN  # noqa: E402
from pool.models import (  # noqa: E402
    Absence,
    Assignment,
    AvailabilityWindow,
    Guideline,
    GuidelineAcknowledgement,
    InterpretingRequest,
    Mediator,
    MediatorLanguage,
    Offer,
    Office,
    Pool,
    Training,
    TrainingRecord,
    pool_sharing,
)
from pool.services.candidates import candidates_for  # noqa: E402

DATA_DIR = ROOT / "benchmarks" / "data"
NOW = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
# Wednesday, 13 March 2030, 10:00–11:00 in Berlin.
REQUEST_STARTS = datetime(2030, 3, 13, 10, 0, tzinfo=BERLIN).astimezone(UTC)
REQUEST_DAY = date(2030, 3, 13)
LANGUAGE = "ar"
MARKER_POOL = "Bench: fertig"  # inserted last: its presence means the seed is complete
CHUNK = 5000

# Share of mediators speaking each language (a mediator may speak two).
LANGUAGE_SHARES = (
    ("ar", 0.15),
    ("tr", 0.12),
    ("ru", 0.10),
    ("uk", 0.10),
    ("fa", 0.06),
    ("prs", 0.04),
    ("kmr", 0.03),
    ("ckb", 0.02),
    ("ti", 0.04),
    ("so", 0.03),
    ("pl", 0.05),
    ("ro", 0.05),
    ("bg", 0.04),
    ("sq", 0.04),
    ("fr", 0.05),
    ("en", 0.04),
)
LEVELS = (("native", 0.6), ("C2", 0.1), ("C1", 0.12), ("B2", 0.1), ("B1", 0.05), ("A2", 0.03))
TOWNS = ("Neustadt", "Altdorf", "Bergheim", "Talhausen", "Seedorf")


# --- seeding --------------------------------------------------------------------------------------


@dataclass
class Ids:
    """Explicit primary keys, so bulk inserts need no RETURNING."""

    mediator: int = 0
    language: int = 0
    window: int = 0
    ack: int = 0
    record: int = 0
    absence: int = 0
    request: int = 0
    assignment: int = 0
    offer: int = 0

    def next(self, name: str) -> int:
        value = getattr(self, name) + 1
        setattr(self, name, value)
        return value


def _weighted(rng: random.Random, choices) -> str:
    roll = rng.random() * sum(w for _c, w in choices)
    for choice, weight in choices:
        roll -= weight
        if roll <= 0:
            return choice
    return choices[-1][0]


def _request_row(ids: Ids, pool_id: int, office_id: int, starts: datetime, **values) -> dict:
    minutes = values.pop("minutes", 60)
    return {
        "id": ids.next("request"),
        "pool_id": pool_id,
        "office_id": office_id,
        "language_code": values.pop("language_code", LANGUAGE),
        "starts_at": starts,
        "duration_minutes": minutes,
        "ends_at": starts + timedelta(minutes=minutes),
        "mode": "in_person",
        "municipality": "Neustadt",
        "domain_code": values.pop("domain_code", "social_services"),
        "setting": "counselling",
        "status": values.pop("status", "completed"),
        "case_ref": values.pop("case_ref", None),
        "created_at": starts - timedelta(days=10),
        "updated_at": starts - timedelta(days=10),
        **values,
    }


class Batch:
    """Rows per table, written in chunks."""

    ORDER = (Mediator, MediatorLanguage, AvailabilityWindow, GuidelineAcknowledgement,
             TrainingRecord, Absence, InterpretingRequest, Assignment, Offer)  # fmt: skip

    def __init__(self, conn) -> None:
        self.conn = conn
        self.rows: dict = {model: [] for model in self.ORDER}

    def add(self, model, row: dict) -> None:
        self.rows[model].append(row)

    def flush(self) -> None:
        for model in self.ORDER:
            rows = self.rows[model]
            for start in range(0, len(rows), CHUNK):
                self.conn.execute(sa.insert(model.__table__), rows[start : start + CHUNK])
            rows.clear()


def seed_pool(
    batch: Batch, ids: Ids, rng: random.Random, catalogue: dict, *, pool_id: int,
    office_id: int, size: int, speakers: int | None = None,
) -> None:  # fmt: skip
    """``size`` mediators of one pool with languages, availability, trainings, guidelines and a
    history of assignments and offers; ``speakers``: exactly that many speak ``LANGUAGE``."""
    for index in range(size):
        mediator_id = ids.next("mediator")
        roll = rng.random()
        status = "active" if roll < 0.92 else ("paused" if roll < 0.96 else "applied")
        batch.add(Mediator, {
            "id": mediator_id, "pool_id": pool_id, "kind": "volunteer", "status": status,
            "name": f"Person {mediator_id}", "email": f"m{mediator_id}@bench.example",
            "gender": ("female", "male")[mediator_id % 2], "german_level": "C1",
            "adult_confirmed": True, "municipalities": rng.sample(TOWNS, rng.randint(1, 3)),
            "travel_km": rng.choice((None, 0, 10, 25)), "mode_in_person": rng.random() < 0.9,
            "mode_phone": rng.random() < 0.7, "mode_video": rng.random() < 0.3,
            "monthly_cap": rng.choice((None, None, None, 2, 4, 8)),
            "interview_on": date(2028, 1, 1), "confidentiality_signed_on": date(2028, 1, 1),
            "obligation_on": date(2028, 1, 1) if rng.random() < 0.97 else None,
            "deployable": status == "active", "deployability_codes": [],
            "deployability_checked_on": NOW.date(), "booking_version": 0,
            "created_at": NOW, "updated_at": NOW, "status_changed_at": NOW,
        })  # fmt: skip
        if speakers is None:
            codes = {_weighted(rng, LANGUAGE_SHARES)}
            if rng.random() < 0.3:
                codes.add(_weighted(rng, LANGUAGE_SHARES))
        else:
            codes = {LANGUAGE} if index < speakers else {_weighted(rng, LANGUAGE_SHARES[1:])}
        for code in sorted(codes):
            dialects = rng.choice(([], [], ["Levantinisch"], ["Irakisch"], ["Maghrebinisch"]))
            batch.add(MediatorLanguage, {
                "id": ids.next("language"), "mediator_id": mediator_id, "language_code": code,
                "level": _weighted(rng, LEVELS), "dialects": dialects if code == "ar" else [],
            })  # fmt: skip
        for weekday in sorted(rng.sample(range(6), rng.randint(2, 5))):
            start = rng.choice((7, 8, 9, 13))
            batch.add(AvailabilityWindow, {
                "id": ids.next("window"), "mediator_id": mediator_id, "weekday": weekday,
                "start": time(start), "end": time(min(start + rng.choice((4, 6, 9)), 21)),
            })  # fmt: skip
        for guideline_id in catalogue["guidelines"]:
            if rng.random() < 0.97:
                batch.add(GuidelineAcknowledgement, {
                    "id": ids.next("ack"), "mediator_id": mediator_id,
                    "guideline_id": guideline_id, "acknowledged_at": NOW - timedelta(days=100),
                })  # fmt: skip
        if rng.random() < 0.96:
            completed = date(2029, 1, 1) if rng.random() < 0.95 else date(2027, 1, 1)
            batch.add(TrainingRecord, {
                "id": ids.next("record"), "mediator_id": mediator_id,
                "training_id": catalogue["basic"], "completed_on": completed,
                "expires_on": date(completed.year + 2, 1, 1), "recorded_at": NOW,
            })  # fmt: skip
        if rng.random() < 0.3:
            batch.add(TrainingRecord, {
                "id": ids.next("record"), "mediator_id": mediator_id,
                "training_id": catalogue["health"], "completed_on": date(2029, 6, 1),
                "expires_on": date(2032, 6, 1), "recorded_at": NOW,
            })  # fmt: skip
        if rng.random() < 0.03:
            batch.add(Absence, {
                "id": ids.next("absence"), "mediator_id": mediator_id,
                "start_date": REQUEST_DAY - timedelta(days=2),
                "end_date": REQUEST_DAY + timedelta(days=5),
            })  # fmt: skip

        # History: two completed assignments in the last 400 days and one offer.
        history = []
        for _n in range(2):
            starts = NOW - timedelta(days=rng.randint(1, 400), hours=rng.randint(0, 8))
            request = _request_row(
                ids, pool_id, office_id, starts,
                domain_code=rng.choice(("social_services", "education", "health")),
                case_ref=f"C-{rng.randint(1, 300)}",
            )  # fmt: skip
            history.append(request)
            batch.add(InterpretingRequest, request)
            batch.add(Assignment, {
                "id": ids.next("assignment"), "request_id": request["id"],
                "mediator_id": mediator_id, "status": "completed", "starts_at": starts,
                "ends_at": request["ends_at"], "in_person": True, "created_at": starts,
                "cancelled_by": None, "short_notice": False, "conflict_of_interest": False,
            })  # fmt: skip
        batch.add(Offer, {
            "id": ids.next("offer"), "request_id": history[0]["id"], "mediator_id": mediator_id,
            "status": rng.choice(("accepted", "declined", "expired")),
            "created_at": NOW - timedelta(days=rng.randint(1, 200)),
        })  # fmt: skip
        # Some are booked on the request's day, a few of them right before or during it.
        if rng.random() < 0.08:
            starts = REQUEST_STARTS + timedelta(minutes=rng.choice((-150, -75, -30, 30, 120)))
            request = _request_row(ids, pool_id, office_id, starts, status="assigned")
            batch.add(InterpretingRequest, request)
            batch.add(Assignment, {
                "id": ids.next("assignment"), "request_id": request["id"],
                "mediator_id": mediator_id, "status": "confirmed", "starts_at": starts,
                "ends_at": request["ends_at"], "in_person": True, "created_at": NOW,
                "cancelled_by": None, "short_notice": False, "conflict_of_interest": False,
            })  # fmt: skip


def seed_catalogue(conn) -> dict:
    guidelines = []
    for guideline_id, (code, title) in enumerate(
        (("confidentiality", "Verschwiegenheit"), ("code_of_conduct", "Leitlinien")), start=1
    ):
        conn.execute(sa.insert(Guideline.__table__).values(
            id=guideline_id, code=code, version=1, title=title, body_markdown=title,
            mandatory=True, current=True, published_at=NOW,
        ))  # fmt: skip
        guidelines.append(guideline_id)
    conn.execute(sa.insert(Training.__table__), [
        {"id": 1, "code": "basic", "name": "Basisschulung", "validity_months": 24,
         "mandatory": True, "unlocks_domains": [], "active": True},
        {"id": 2, "code": "health", "name": "Modul Gesundheit", "validity_months": 36,
         "mandatory": False, "unlocks_domains": ["health"], "active": True},
    ])  # fmt: skip
    return {"guidelines": guidelines, "basic": 1, "health": 2}


def add_pool(conn, pool_id: int, name: str) -> int:
    """A pool with one office; returns the office id (= pool id)."""
    conn.execute(sa.insert(Pool.__table__).values(
        id=pool_id, name=name, kind="district", federal_state="NW", min_german_level="B1",
        requires_formal_obligation=True, rejected_retention_days=90, lead_time_working_days=3,
        excluded_settings=[], allow_medical_appointments=True, serve_sign_languages=False,
        short_notice_hours=24, travel_buffer_minutes=30, auto_offer_top_n=0,
        offer_expiry_minutes=1440, matching_weights={}, created_at=NOW,
    ))  # fmt: skip
    conn.execute(sa.insert(Office.__table__).values(
        id=pool_id, pool_id=pool_id, name="Sozialamt", active=True, created_at=NOW
    ))  # fmt: skip
    return pool_id


def share(conn, giver: int, receiver: int) -> None:
    conn.execute(sa.insert(pool_sharing).values(pool_id=giver, partner_pool_id=receiver))


def the_request(conn, ids: Ids, pool_id: int, case_ref: str) -> None:
    conn.execute(sa.insert(InterpretingRequest.__table__).values(
        **_request_row(ids, pool_id, pool_id, REQUEST_STARTS, status="open", case_ref=case_ref)
    ))  # fmt: skip


def seed_scale(engine, total: int, say) -> None:
    """Pool 1 (600, the request's pool) and pool 2 (400, shares with 1), then pools of 1,000."""
    rng = random.Random(1)  # the same pools A and B in every installation
    ids = Ids()
    with engine.begin() as conn:
        catalogue = seed_catalogue(conn)
        add_pool(conn, 1, "Bench A")
        add_pool(conn, 2, "Bench B")
        share(conn, 2, 1)
        share(conn, 1, 2)
        batch = Batch(conn)
        seed_pool(batch, ids, rng, catalogue, pool_id=1, office_id=1, size=600)
        seed_pool(batch, ids, rng, catalogue, pool_id=2, office_id=2, size=400)
        batch.flush()
    rng = random.Random(total)
    remaining, pool_id = total - 1000, 2
    while remaining > 0:
        pool_id += 1
        size = min(1000, remaining)
        with engine.begin() as conn:
            add_pool(conn, pool_id, f"Bench P{pool_id:04d}")
            if pool_id == 3:
                share(conn, 1, 3)  # the request's pool shares with pool 3: not the other way
            else:
                share(conn, pool_id - 1, pool_id)
                share(conn, pool_id, pool_id - 1)
            batch = Batch(conn)
            seed_pool(batch, ids, rng, catalogue, pool_id=pool_id, office_id=pool_id, size=size)
            batch.flush()
        remaining -= size
        if pool_id % 10 == 0:
            say(f"  … {total - remaining:,} mediators")
    with engine.begin() as conn:
        the_request(conn, ids, 1, "C-7")
        add_pool(conn, 10_000, MARKER_POOL)


def seed_speakers(engine, say) -> None:
    """Pool 1: 1,000 mediators, 100 of them speak the language; pool 2: 2,500, 2,000 speak it."""
    rng = random.Random(7)
    ids = Ids()
    with engine.begin() as conn:
        catalogue = seed_catalogue(conn)
        for pool_id, name, size, speakers in ((1, "Bench 100", 1000, 100),
                                              (2, "Bench 2000", 2500, 2000)):  # fmt: skip
            add_pool(conn, pool_id, name)
            batch = Batch(conn)
            seed_pool(batch, ids, rng, catalogue, pool_id=pool_id, office_id=pool_id, size=size,
                      speakers=speakers)  # fmt: skip
            batch.flush()
        the_request(conn, ids, 1, "C-7")
        the_request(conn, ids, 2, "C-7")
        add_pool(conn, 10_000, MARKER_POOL)


# --- databases ------------------------------------------------------------------------------------


class Installation:
    def __init__(self, base_url: str | None, name: str) -> None:
        self.name = name
        if base_url and base_url.startswith("postgres"):
            server = make_url(base_url).set(drivername="postgresql+psycopg")
            self.admin_url = server.set(database="postgres")
            self.url = server.set(database=f"pool_bench_matching_{name}").render_as_string(
                hide_password=False
            )
            self.sqlite_path = None
        else:
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            self.sqlite_path = DATA_DIR / f"matching_{name}.sqlite3"
            self.url = f"sqlite:///{self.sqlite_path}"
            self.admin_url = None
        self.engine = None

    def _drop(self) -> None:
        if self.sqlite_path is not None:
            for suffix in ("", "-wal", "-shm"):
                Path(str(self.sqlite_path) + suffix).unlink(missing_ok=True)
            return
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        database = make_url(self.url).database
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        admin.dispose()

    def _exists(self) -> bool:
        if self.sqlite_path is not None:
            return self.sqlite_path.exists()
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        database = make_url(self.url).database
        with admin.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": database}
            ).first()
        admin.dispose()
        return found is not None

    def _complete(self) -> bool:
        if not self._exists():
            return False
        engine = make_engine(self.url)
        try:
            with engine.connect() as conn:
                found = conn.execute(
                    sa.select(Pool.id).where(Pool.name == MARKER_POOL)
                ).first()  # fmt: skip
            return found is not None
        except sa.exc.DBAPIError:
            return False
        finally:
            engine.dispose()

    def prepare(self, seed, say, *, reseed: bool = False) -> None:
        if reseed or not self._complete():
            say(f"Seeding installation {self.name} (bulk inserts) …")
            started = clock.perf_counter()
            self._drop()
            alembic_command.upgrade(alembic_config(self.url), "head")
            engine = make_engine(self.url)
            seed(engine, say)
            if engine.dialect.name == "postgresql":  # as autovacuum would after a big load
                with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.exec_driver_sql("ANALYZE")
            engine.dispose()
            say(f"  seeded in {clock.perf_counter() - started:.0f} s")
        else:
            say(f"Reusing installation {self.name} ({self.url.split('@')[-1]})")
        self.engine = make_engine(self.url)
        with self.engine.connect() as conn:
            self.mediators = conn.execute(sa.select(sa.func.count(Mediator.id))).scalar_one()
            self.pools = conn.execute(
                sa.select(sa.func.count(Pool.id)).where(Pool.name != MARKER_POOL)
            ).scalar_one()
            self.requests = dict(
                conn.execute(
                    sa.select(InterpretingRequest.pool_id, InterpretingRequest.id).where(
                        InterpretingRequest.status == "open"
                    )
                ).all()
            )


# --- measuring ------------------------------------------------------------------------------------


@contextmanager
def counting(engine):
    statements: list[str] = []

    def before(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@dataclass
class Measure:
    label: str
    installation: Installation
    pool_id: int
    times: list[float]
    statements: int = 0
    candidates: int = 0
    excluded: int = 0


def run_once(measure: Measure) -> None:
    engine = measure.installation.engine
    with Session(engine) as session:
        request = session.get(InterpretingRequest, measure.installation.requests[measure.pool_id])
        with counting(engine) as statements:
            started = clock.perf_counter()
            result = candidates_for(session, request, NOW)
            measure.times.append(clock.perf_counter() - started)
        session.rollback()
    measure.statements = len(statements)
    measure.candidates = len(result.candidates)
    measure.excluded = result.excluded_total


def measure_interleaved(measures: list[Measure], runs: int) -> None:
    for measure in measures:  # warm-up: caches, compiled statements
        run_once(measure)
        run_once(measure)
        measure.times.clear()
    for _round in range(runs):
        for measure in measures:
            run_once(measure)


def median_ms(measure: Measure) -> float:
    return statistics.median(measure.times) * 1000


def table(measures: list[Measure]) -> str:
    lines = [
        f"{'installation':<34} {'mediators':>10} {'pools':>6} {'speakers':>9} "
        f"{'candidates':>10} {'median ms':>10} {'min ms':>8} {'SQL':>4}"
    ]
    for m in measures:
        lines.append(
            f"{m.label:<34} {m.installation.mediators:>10,} {m.installation.pools:>6} "
            f"{m.candidates + m.excluded:>9,} {m.candidates:>10,} {median_ms(m):>10.1f} "
            f"{min(m.times) * 1000:>8.1f} {m.statements:>4}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL server URL (default: SQLite files)")
    parser.add_argument("--large", type=int, default=100_000,
                        help="mediators of the large installation (default 100,000)")  # fmt: skip
    parser.add_argument("--runs", type=int, default=7, help="timed runs per installation")
    parser.add_argument("--reseed", action="store_true", help="seed again even if present")
    args = parser.parse_args(argv)
    if args.large < 1000:
        parser.error("--large must be at least 1,000")

    def say(text: str) -> None:
        print(text, flush=True)

    small = Installation(args.database_url, "1000")
    large = Installation(args.database_url, str(args.large))
    speakers = Installation(args.database_url, "speakers")
    small.prepare(lambda e, s: seed_scale(e, 1000, s), say, reseed=args.reseed)
    large.prepare(lambda e, s: seed_scale(e, args.large, s), say, reseed=args.reseed)
    speakers.prepare(seed_speakers, say, reseed=args.reseed)

    backend = small.engine.dialect.name
    scale = [
        Measure("1,000 mediators", small, 1, []),
        Measure(f"{args.large:,} mediators (more pools)", large, 1, []),
    ]
    by_speakers = [
        Measure("one pool, 100 speakers", speakers, 1, []),
        Measure("one pool, 2,000 speakers", speakers, 2, []),
    ]
    measure_interleaved(scale, args.runs)
    measure_interleaved(by_speakers, args.runs)

    print()
    print(f"Matching ({backend}, request in pool A + sharing pool B, median of {args.runs} runs)")
    print(table(scale))
    print()
    print(table(by_speakers))
    print()
    scale_ratio = median_ms(scale[1]) / median_ms(scale[0])
    speakers_ratio = median_ms(by_speakers[1]) / median_ms(by_speakers[0])
    print(f"RATIO matching:scale {scale_ratio:.2f}")
    print(f"RATIO matching:speakers {speakers_ratio:.2f}")
    print(f"STATEMENTS matching:{small.name} {scale[0].statements}")
    print(f"STATEMENTS matching:{large.name} {scale[1].statements}")
    print(f"STATEMENTS matching:speakers100 {by_speakers[0].statements}")
    print(f"STATEMENTS matching:speakers2000 {by_speakers[1].statements}")
    goal = "met" if scale_ratio <= 3 else "MISSED"
    print(f"Goal ratio <= 3: {goal}; statements constant: "
          f"{'yes' if scale[0].statements == scale[1].statements else 'NO'}")  # fmt: skip
    for installation in (small, large, speakers):
        installation.engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
