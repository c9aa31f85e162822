"""The scheduler process: APScheduler 3.11 running one frequent tick (docs/architecture.md).

Started only by ``flask --app pool scheduler``, in a process of its own, never inside web
workers. The job is thin: it calls ``pool.cli.run_tick`` with the current time; all state lives in
our own tables (outbox claims, ``duty_runs``), so a scheduler that was down catches up, and several
schedulers may run (on PostgreSQL an advisory lock makes the others skip the tick).
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime

from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from pool.db import utcnow
from pool.i18n import BERLIN

log = logging.getLogger(__name__)


def tick(app: Flask) -> None:
    """One tick at the current time. A failure is logged; the next tick runs as planned."""
    from pool.cli import run_tick

    try:
        counts = run_tick(app, utcnow())
    except Exception:
        log.exception("tick failed; the next tick runs as planned")
        return
    log.info("tick done: %s", " ".join(f"{k}={v}" for k, v in counts.items()))


def build_scheduler(app: Flask, tick_seconds: int | None = None) -> BlockingScheduler:
    """A blocking scheduler with the tick as its only job; the first tick runs at once."""
    seconds = tick_seconds or app.config["SCHEDULER_TICK_SECONDS"]
    scheduler = BlockingScheduler(
        timezone=BERLIN,
        job_defaults={
            # Ticks missed while the process was busy or suspended become one tick, never a burst;
            # a tick later than one interval is dropped (the next one does the same work).
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": max(seconds, 30),
        },
    )
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=seconds, timezone=BERLIN),
        args=[app],
        id="tick",
        name="tick",
        next_run_time=datetime.now(BERLIN),
    )
    return scheduler


def run(app: Flask, tick_seconds: int | None = None) -> None:
    """Run until SIGTERM or SIGINT; a tick under way is finished before the process ends."""
    scheduler = build_scheduler(app, tick_seconds)

    def stop(signum: int, _frame) -> None:
        if scheduler.state != STATE_STOPPED:
            log.info("signal %s: stopping after the current tick", signum)
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    scheduler.start()  # blocks until ``stop``; the interpreter then waits for a running tick
    log.info("scheduler stopped")
