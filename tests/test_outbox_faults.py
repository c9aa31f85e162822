"""Delivery that survives faults: a mail server that refuses connections, two ticks at the same
moment from two processes, a sender killed in the middle of a send.

Ticks run as real processes (``flask --app pool reminders tick --now …`` and ``flask --app pool
scheduler``) against the test database and a real SMTP server (aiosmtpd) that records the
Message-ID of everything it receives. On SQLite and PostgreSQL, except what needs PostgreSQL's
advisory lock.
"""

from __future__ import annotations

import asyncio
import email
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from pool.cli import run_tick
from pool.db import utcnow
from pool.models import OutboxMessage
from pool.outbox import enqueue
from tests.conftest import free_port
from tests.helpers import fresh

ROOT = Path(__file__).resolve().parent.parent
MAIL_DOMAIN = "landkreis.example"
WAIT = 60  # seconds a test waits at most for a process or a mail


# --- a recording SMTP server ------------------------------------------------------------------------


class Recorder:
    """Records the Message-ID of every message as its data arrives (before answering). It can
    answer slowly, and hold the n-th message until ``release`` is set (a send under way)."""

    def __init__(self, *, delay: float = 0.0, hold: int | None = None) -> None:
        self.message_ids: list[str] = []
        self.delay = delay
        self.hold = hold
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        mail = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self.lock:
            self.message_ids.append(str(mail["Message-ID"]))
            number = len(self.message_ids)
        if self.delay:
            await asyncio.sleep(self.delay)
        if number == self.hold:
            self.holding.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, WAIT)
        return "250 OK"

    def counts(self) -> Counter:
        with self.lock:
            return Counter(self.message_ids)


@pytest.fixture
def smtp():
    """``smtp(recorder, port)`` starts a real SMTP server; all are stopped after the test."""
    from aiosmtpd.controller import Controller

    started: list = []

    def start(recorder: Recorder, port: int):
        controller = Controller(recorder, hostname="127.0.0.1", port=port)
        controller.start()
        started.append((controller, recorder))
        return controller

    yield start
    for controller, recorder in started:
        recorder.release.set()
        controller.stop()


# --- processes ------------------------------------------------------------------------------------


def child_env(database_url: str, smtp_port: int, **extra) -> dict:
    """The environment of a ``flask --app pool …`` process on the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "SCHEDULER_"))}
    env.update(
        POOL_ENV="development",
        DATABASE_URL=database_url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
        SMTP_TIMEOUT="60",
        MAIL_FROM=f"Dolmetscherpool <pool@{MAIL_DOMAIN}>",
        PYTHONUNBUFFERED="1",
        **{k: str(v) for k, v in extra.items()},
    )
    return env


def flask(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "pool", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def tick_process(env: dict, now) -> subprocess.Popen:
    return flask("reminders", "tick", "--now", now.isoformat(), env=env)


def finish(process: subprocess.Popen) -> dict:
    """Wait for a tick process; its counts (the last line of its output)."""
    out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    last = out.strip().splitlines()[-1]
    return {k: int(v) for k, v in (item.split("=") for item in last.split())}


def tick(env: dict, now) -> dict:
    return finish(tick_process(env, now))


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {WAIT} s for {what}")
        time.sleep(0.05)


def wait_until_no_tick_lock(app) -> None:
    """PostgreSQL ends a killed process's session (and so its advisory lock) once it notices."""
    engine = app.extensions["pool_db"].engine
    if engine.dialect.name != "postgresql":
        return

    def free() -> bool:
        with engine.connect() as conn:
            held = conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            ).scalar_one()
        return held == 0

    wait_for(free, "the killed process's advisory lock to go")


@contextmanager
def smtp_config(app, port: int):
    """The test process's app pointed at the test SMTP server."""
    old = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM")}
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=port, MAIL_FROM=f"Dolmetscherpool <pool@{MAIL_DOMAIN}>"
    )
    try:
        yield app
    finally:
        app.config.update(old)


# --- data -----------------------------------------------------------------------------------------


def enqueue_messages(app, db, count: int) -> list[str]:
    """``count`` due messages; returns their Message-IDs."""
    now = utcnow()
    with app.test_request_context():
        rows = [
            enqueue(
                db,
                key=f"fault-test:{n}",
                template="password_reset",
                recipient=f"person{n}@demo.example",
                context={
                    "user": type("U", (), {"name": f"Person {n}"})(),
                    "link": "http://localhost/x",
                    "valid_minutes": 60,
                },
                locale="de",
                now=now,
            )
            for n in range(count)
        ]
    db.commit()
    return [f"<outbox-{row.id}@{MAIL_DOMAIN}>" for row in rows]


def statuses(db) -> Counter:
    fresh(db)
    return Counter(db.scalars(select(OutboxMessage.status)))


def requires_postgresql(app) -> None:
    if app.extensions["pool_db"].engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock exists on PostgreSQL only (SQLite relies on the claims)")


# --- tests ----------------------------------------------------------------------------------------


def test_refused_connections_then_accepted_every_message_arrives_once(app, db, database_url, smtp):
    expected = enqueue_messages(app, db, 5)
    port = free_port()  # nothing listens yet: connections are refused
    env = child_env(database_url, port)
    start = utcnow() + timedelta(minutes=1)

    assert tick(env, start)["retry"] == 5
    fresh(db)
    rows = db.scalars(select(OutboxMessage)).all()
    assert {(r.status, r.attempts) for r in rows} == {("pending", 1)}
    assert all("ConnectionRefusedError" in r.last_error for r in rows)
    assert all(r.due_at > start for r in rows)  # a delay before the next attempt

    assert tick(env, start + timedelta(seconds=30))["sent"] == 0  # not due yet
    assert tick(env, start + timedelta(minutes=2))["retry"] == 5
    fresh(db)
    first_delay = timedelta(minutes=1)
    assert all(
        r.due_at - (start + timedelta(minutes=2)) > first_delay
        for r in db.scalars(select(OutboxMessage))
    )  # the delay grows

    recorder = Recorder()
    smtp(recorder, port)  # the server accepts again
    assert tick(env, start + timedelta(minutes=10))["sent"] == 5
    assert tick(env, start + timedelta(hours=1))["sent"] == 0

    received = recorder.counts()
    assert set(received) == set(expected)
    assert set(received.values()) == {1}
    fresh(db)
    rows = db.scalars(select(OutboxMessage)).all()
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {("sent", 3, None)}


@pytest.mark.parametrize("advisory_lock", [True, False], ids=["advisory-lock", "claims-only"])
def test_two_ticks_at_the_same_moment_send_every_message_once(
    app, db, database_url, smtp, advisory_lock
):
    if advisory_lock:
        requires_postgresql(app)
    expected = enqueue_messages(app, db, 30)
    # A slow server that holds the first message until one of the two processes has finished:
    # both are in their tick at the same time.
    recorder = Recorder(delay=0.02, hold=1)
    port = free_port()
    smtp(recorder, port)
    env = child_env(database_url, port, SCHEDULER_ADVISORY_LOCK=int(advisory_lock))
    now = utcnow() + timedelta(minutes=1)
    processes = [tick_process(env, now), tick_process(env, now)]

    wait_for(recorder.holding.is_set, "the first message")
    wait_for(lambda: any(p.poll() is not None for p in processes), "one process to finish")
    first = next(p for p in processes if p.poll() is not None)
    second = next(p for p in processes if p is not first)
    first_counts = finish(first)
    recorder.release.set()
    second_counts = finish(second)

    received = recorder.counts()
    assert set(received) == set(expected)
    assert set(received.values()) == {1}  # nothing sent twice
    assert statuses(db) == {"sent": 30}
    if advisory_lock:
        assert first_counts == {"skipped": 1}
        assert second_counts["sent"] == 30
    else:
        # Both ran the whole tick; the one holding message 1 found the others claimed.
        assert first_counts["sent"] + second_counts["sent"] == 30
        assert first_counts["sent"] == 29 and second_counts["sent"] == 1


def test_scheduler_killed_mid_send_loses_nothing_and_resends_with_the_same_message_id(
    app, db, database_url, smtp
):
    expected = enqueue_messages(app, db, 5)
    recorder = Recorder(hold=3)  # the third message arrives, the answer does not
    port = free_port()
    smtp(recorder, port)
    env = child_env(database_url, port, SCHEDULER_TICK_SECONDS=3600)
    scheduler = flask("scheduler", env=env)
    try:
        wait_for(recorder.holding.is_set, "the scheduler's first tick to send")
    finally:
        os.kill(scheduler.pid, signal.SIGKILL)
        scheduler.communicate(timeout=WAIT)
    assert scheduler.returncode == -signal.SIGKILL
    recorder.release.set()

    assert statuses(db) == {"sent": 2, "sending": 1, "pending": 2}
    wait_until_no_tick_lock(app)
    # Started again: right away the row under way is still claimed; after ten minutes the claim
    # counts as abandoned and the message goes out again.
    assert tick(env, utcnow())["sent"] == 2
    assert tick(env, utcnow() + timedelta(minutes=11))["sent"] == 1

    received = recorder.counts()
    assert set(received) == set(expected)  # nothing lost
    twice = [message_id for message_id, n in received.items() if n > 1]
    assert twice == [expected[2]] and received[expected[2]] == 2  # the one under way, same ID
    assert statuses(db) == {"sent": 5}


def test_held_messages_wait_for_the_digest_and_are_never_sent_alone(app, db, database_url, smtp):
    [held, pending] = enqueue_messages(app, db, 2)
    row = db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
    row.status = "held"
    db.commit()
    recorder = Recorder()
    port = free_port()
    smtp(recorder, port)
    with smtp_config(app, port):
        counts = run_tick(app, utcnow() + timedelta(days=3))
    assert counts["sent"] == 1
    assert list(recorder.counts()) == [pending]
    assert statuses(db) == {"held": 1, "sent": 1}


def test_a_message_that_cannot_be_built_is_retried_not_stuck(app, db, monkeypatch):
    enqueue_messages(app, db, 1)

    class Broken:
        def send(self, message):
            raise ValueError("broken header")

    monkeypatch.setattr("pool.mail.mailer_from_config", lambda: Broken())
    now = utcnow()
    assert run_tick(app, now)["retry"] == 1
    fresh(db)
    row = db.scalars(select(OutboxMessage)).one()
    assert row.status == "pending" and row.attempts == 1 and row.due_at > now
    assert row.last_error == "ValueError: broken header"
