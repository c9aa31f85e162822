"""``flask --app pool …`` commands."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import func, select

from pool.db import db_session, get_db, utcnow
from pool.enums import Role
from pool.mail import Mailer
from pool.models import Office, Pool

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def parse_now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(
            "use ISO 8601 with an offset, e.g. 2027-03-01T09:00:00+01:00"
        ) from exc
    if moment.tzinfo is None:
        raise click.BadParameter("the time needs an offset, e.g. +01:00")
    return moment.astimezone(UTC)


db_cli = AppGroup("db", help="Database migrations (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    alembic_command.upgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)
    click.echo(f"Database is at {revision}.")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    alembic_command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Write a new migration by comparing the models with the database."""
    alembic_command.revision(
        alembic_config(current_app.config["DATABASE_URL"]), message=message, autogenerate=True
    )


def _find_pool(session, value: str) -> Pool:
    pool = (
        session.get(Pool, int(value))
        if value.isdigit()
        else session.scalars(select(Pool).where(Pool.name == value)).first()
    )
    if pool is None:
        raise click.BadParameter(f"no pool {value!r}")
    return pool


def _find_office(session, value: str) -> Office:
    office = (
        session.get(Office, int(value))
        if value.isdigit()
        else session.scalars(select(Office).where(Office.name == value)).first()
    )
    if office is None:
        raise click.BadParameter(f"no office {value!r}")
    return office


@click.command("create-user")
@with_appcontext
@click.argument("email")
@click.option("--name", required=True, help="Full name.")
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([role.value for role in Role]),
    required=True,
)
@click.option("--pool", "pool_ref", help="Pool name or id (coordinator, mediator).")
@click.option("--office", "office_ref", help="Office name or id (caseworker).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def create_user(email, name, roles, pool_ref, office_ref, password_stdin) -> None:
    """Create a user; without --password-stdin an invitation is put in the outbox."""
    from pool.services import users as user_service
    from pool.services.accounts import new_password_problems

    session = db_session()
    grants: list[tuple[str, int | None, int | None]] = []
    for role in roles:
        if role in (Role.COORDINATOR, Role.MEDIATOR):
            if not pool_ref:
                raise click.UsageError(f"--pool is needed for the role {role}")
            grants.append((role, _find_pool(session, pool_ref).id, None))
        elif role == Role.CASEWORKER:
            if not office_ref:
                raise click.UsageError("--office is needed for the role caseworker")
            grants.append((role, None, _find_office(session, office_ref).id))
        else:
            grants.append((role, None, None))
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
        problems = new_password_problems(session, password, email=email, name=name)
        if problems:
            raise click.UsageError(" ".join(str(p) for p in problems))
    try:
        user = user_service.create_user(
            session,
            actor=None,
            email=email,
            name=name,
            grants=grants,
            password=password,
            invite=password is None,
            now=utcnow(),
        )
    except user_service.UserError as exc:
        raise click.UsageError(str(exc)) from exc
    session.commit()
    click.echo(f"User {user.id} created: {user.email} ({', '.join(user.role_names)}).")
    if password is None:
        click.echo("An invitation is in the outbox; `flask --app pool reminders tick` sends it.")


@click.command("create-token")
@with_appcontext
@click.argument("email")
@click.option("--name", default="Kommandozeile", help="What the token is for.")
def create_token(email: str, name: str) -> None:
    """Create an API token for EMAIL and print it alone on the last line."""
    from pool.services.accounts import create_api_token, find_user_by_email

    session = db_session()
    user = find_user_by_email(session, email)
    if user is None or not user.active:
        raise click.UsageError(f"no active user {email}")
    secret = create_api_token(session, user, name, now=utcnow())
    session.commit()
    click.echo(f"Token for {user.email} (shown once):")
    click.echo(secret)


@click.command("seed-demo")
@click.option(
    "--mediators",
    type=click.IntRange(min=0),
    default=None,
    help="Also bulk mediators, up to this many in all (for benchmarks).",
)
@click.option(
    "--requests",
    type=click.IntRange(min=0),
    default=None,
    help="Also bulk requests, up to this many in all (needs bulk mediators).",
)
@with_appcontext
def seed_demo(mediators: int | None, requests: int | None) -> None:
    """Load the demo data (once: a second run changes nothing).

    With --mediators/--requests, bulk inserts top the data up to that many bulk mediators and
    requests: a second run with the same numbers adds nothing."""
    from pool.demo import DEMO_PASSWORD, load_bulk_data, load_demo_data

    if current_app.config["ENV_NAME"] == "production":
        # The demo accounts' password is printed here and in the README: in production they
        # would be open doors.
        raise click.ClickException(
            "seed-demo refuses to run with POOL_ENV=production: the demo accounts share a "
            "published password. Create real accounts with create-user."
        )
    if mediators is not None or requests is not None:
        if requests and not mediators:
            raise click.UsageError("--requests needs --mediators.")
        added = load_bulk_data(db_session(), now=utcnow(), mediators=mediators or 0,
                               requests=requests or 0)  # fmt: skip
        db_session().commit()
        click.echo("Bulk data added: {:,} mediators, {:,} requests.".format(*added)
                   if any(added) else "Bulk data already present.")  # fmt: skip
    else:
        created = load_demo_data(db_session(), now=utcnow())
        db_session().commit()
        click.echo("Demo data loaded." if created else "Demo data already present.")
    click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    from pool.demo import DEMO_USERS

    for email, _name, role in DEMO_USERS:
        click.echo(f"  {role:<12} {email}")


reminders_cli = AppGroup("reminders", help="Send due messages and run scheduled duties.")

# Key of the PostgreSQL advisory lock that lets one tick run at a time ("pooltick" in ASCII).
TICK_LOCK_KEY = 0x706F6F6C7469636B


@contextmanager
def tick_lock(app: Flask) -> Iterator[bool]:
    """On PostgreSQL, a session-level advisory try-lock on a connection of its own: True when this
    process may run the tick. The lock dies with the connection, so a killed scheduler never
    leaves it behind. Elsewhere (SQLite) always True: the claims in the database suffice."""
    engine = get_db().engine
    if engine.dialect.name != "postgresql" or not app.config["SCHEDULER_ADVISORY_LOCK"]:
        yield True
        return
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        locked = conn.execute(select(func.pg_try_advisory_lock(TICK_LOCK_KEY))).scalar_one()
        try:
            yield bool(locked)
        finally:
            if locked:
                conn.execute(select(func.pg_advisory_unlock(TICK_LOCK_KEY)))
    except BaseException:
        # Never hand a connection that may still hold the lock back to the pool.
        conn.invalidate()
        raise
    finally:
        conn.close()


def run_tick(app: Flask, now: datetime, *, mailer: Mailer | None = None) -> dict:
    """One full pass as if it were ``now``: clean-ups, offer expiry, reminders and escalations,
    the daily duties that are due, then delivery of due messages (through ``mailer``, by default
    the configured one). Returns counts; ``{"skipped": 1}`` when another process is running a
    tick (PostgreSQL)."""
    from pool.auth import sessions
    from pool.duties import run_due_duties
    from pool.mail import mailer_from_config
    from pool.outbox import deliver_due
    from pool.services import booking, hotline, throttle
    from pool.services.accounts import purge_login_failures
    from pool.services.imports import purge_import_jobs
    from pool.services.reminders import run_reminders

    with app.app_context(), tick_lock(app) as locked:
        if not locked:
            return {"skipped": 1}
        session = db_session()
        purged = purge_login_failures(session, now)
        purged_throttle = throttle.purge(session, now)
        purged_sessions = sessions.purge(session, now)
        purge_import_jobs(session, now)
        session.commit()
        # Offers past their deadline; in a pool's automatic mode the next candidates are asked.
        expired = booking.expire_offers(session, now)
        reoffered = booking.offer_next_after_expiry(session, now)
        session.commit()
        reminders = run_reminders(session, now)
        session.commit()
        hotline.switch_off_expired(session, now)  # the hotline: "reachable until" has passed
        session.commit()
        duties = run_due_duties(session, now)
        counts = deliver_due(session, mailer or mailer_from_config(), now)
        counts["purged_login_failures"] = purged
        counts["purged_throttle_events"] = purged_throttle
        counts["purged_sessions"] = purged_sessions
        counts["expired_offers"] = expired
        counts["offers_after_expiry"] = reoffered
        counts.update({f"reminders:{name}": n for name, n in reminders.items()})
        counts.update({f"duty:{name}": n for name, n in duties.items()})
        return counts


@reminders_cli.command("tick")
@click.option("--now", "now_text", help="Run as if it were this moment (ISO 8601 with offset).")
def reminders_tick(now_text: str | None) -> None:
    """Run one full pass of the scheduler's tick, now or as if it were --now."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed as Flask
    counts = run_tick(app, parse_now(now_text))
    click.echo(" ".join(f"{k}={v}" for k, v in counts.items()))


@click.command("scheduler")
@click.option(
    "--every",
    type=click.IntRange(min=1),
    help="Seconds between ticks (default: SCHEDULER_TICK_SECONDS, 60).",
)
def scheduler_command(every: int | None) -> None:
    """Run the scheduler process: a tick every minute until SIGTERM or Ctrl+C."""
    from pool import scheduler

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # a proxy, typed as Flask
    seconds = every or app.config["SCHEDULER_TICK_SECONDS"]
    click.echo(f"Scheduler: a tick every {seconds} s. Stop with Ctrl+C.")
    scheduler.run(app, seconds)


def init_app(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(create_user)
    app.cli.add_command(create_token)
    app.cli.add_command(seed_demo)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(scheduler_command)
