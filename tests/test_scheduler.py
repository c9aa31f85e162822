"""The scheduler process (``flask --app pool scheduler``) and the tick's advisory lock."""

from __future__ import annotations

import logging
import signal
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from pool import scheduler
from pool.cli import TICK_LOCK_KEY, run_tick
from pool.db import utcnow
from pool.models import OutboxMessage
from tests.conftest import free_port
from tests.helpers import fresh
from tests.test_outbox_faults import (
    WAIT,
    Recorder,
    child_env,
    enqueue_messages,
    flask,
    requires_postgresql,
    smtp,  # noqa: F401 - the fixture
    smtp_config,
    wait_for,
)


def test_scheduler_runs_one_tick_job_with_explicit_defaults_in_berlin_time(app):
    sched = scheduler.build_scheduler(app, 5)
    [job] = sched.get_jobs()
    assert job.id == "tick"
    assert job.trigger.interval == timedelta(seconds=5)
    assert str(job.trigger.timezone) == "Europe/Berlin"
    assert str(sched.timezone) == "Europe/Berlin"
    assert sched._job_defaults == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    assert job.next_run_time is not None  # the first tick runs at start
    assert scheduler.build_scheduler(app).get_jobs()[0].trigger.interval == timedelta(seconds=60)


def test_a_failing_tick_is_logged_and_the_next_one_runs(app, monkeypatch, caplog):
    results = iter([RuntimeError("database gone"), {"sent": 2}])

    def fake_tick(_app, _now):
        result = next(results)
        if isinstance(result, Exception):
            raise result
        return result

    monkeypatch.setattr("pool.cli.run_tick", fake_tick)
    with caplog.at_level(logging.INFO, logger="pool.scheduler"):
        scheduler.tick(app)  # does not raise
        scheduler.tick(app)
    assert "tick failed" in caplog.text and "database gone" in caplog.text
    assert "tick done: sent=2" in caplog.text


def test_the_web_app_starts_no_scheduler(app, client):
    import threading

    client.get("/login")
    assert not [t for t in threading.enumerate() if "APScheduler" in t.name]
    assert "scheduler" not in app.extensions


def test_while_another_process_holds_the_tick_lock_run_tick_skips(app, db, smtp):  # noqa: F811
    requires_postgresql(app)
    [message_id] = enqueue_messages(app, db, 1)
    recorder = Recorder()
    port = free_port()
    smtp(recorder, port)
    other = sa.create_engine(app.config["DATABASE_URL"])
    try:
        with other.connect() as conn, smtp_config(app, port):
            conn.execute(sa.select(sa.func.pg_advisory_lock(TICK_LOCK_KEY)))
            assert run_tick(app, utcnow()) == {"skipped": 1}
            result = app.test_cli_runner().invoke(args=["reminders", "tick"])
            assert result.output.strip() == "skipped=1"
            assert recorder.counts() == {}
            conn.execute(sa.select(sa.func.pg_advisory_unlock(TICK_LOCK_KEY)))
            assert run_tick(app, utcnow())["sent"] == 1
            assert run_tick(app, utcnow())["sent"] == 0  # the lock was given back
    finally:
        other.dispose()
    assert list(recorder.counts()) == [message_id]


def test_without_postgresql_there_is_no_lock_and_ticks_run(app, db):
    if app.extensions["pool_db"].engine.dialect.name == "postgresql":
        pytest.skip("SQLite only: PostgreSQL takes the advisory lock")
    enqueue_messages(app, db, 1)
    assert run_tick(app, utcnow())["sent"] == 1


def test_scheduler_process_sends_due_messages_and_stops_on_sigterm(
    app,
    db,
    database_url,
    smtp,  # noqa: F811
):
    [first] = enqueue_messages(app, db, 1)
    recorder = Recorder()
    port = free_port()
    smtp(recorder, port)
    process = flask("scheduler", env=child_env(database_url, port, SCHEDULER_TICK_SECONDS=1))
    try:
        wait_for(lambda: first in recorder.counts(), "the first message")
        # A message written later goes out with one of the next ticks.
        later = OutboxMessage(
            key="later",
            kind="password_reset",
            recipient="later@demo.example",
            subject="Später",
            body_text="Später",
            due_at=utcnow(),
            created_at=utcnow(),
        )
        db.add(later)
        db.commit()
        later_id = f"<outbox-{later.id}@landkreis.example>"
        wait_for(lambda: later_id in recorder.counts(), "the message written later")
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert "Scheduler: a tick every 1 s" in out
    assert "scheduler stopped" in err
    assert recorder.counts() == {first: 1, later_id: 1}
    fresh(db)
    assert set(db.scalars(select(OutboxMessage.status))) == {"sent"}
