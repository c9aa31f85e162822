"""Daily duties run once a day, by whichever process ticks first, and catch up after downtime."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from pool.cli import run_tick
from pool.db import utcnow
from pool.models import DutyRun, Training
from tests.factories import catalogue, deployable_mediator, district
from tests.helpers import fresh


def test_daily_duties_run_once_per_day_and_catch_up(app, db, demo):
    now = utcnow()
    first = run_tick(app, now)
    assert "duty:refresh_deployability" in first
    assert "duty:refresh_deployability" not in run_tick(app, now + timedelta(minutes=1))
    # The scheduler was down for three days: the next tick does the duty once.
    later = run_tick(app, now + timedelta(days=3))
    assert "duty:refresh_deployability" in later
    fresh(db)
    run = db.get(DutyRun, "refresh_deployability")
    assert run.last_done_on == (now + timedelta(days=3)).date() or run.last_done_on is not None


def test_the_daily_refresh_notices_a_training_that_expired_overnight(app, db, demo):
    catalogue(app, db)
    mediator = deployable_mediator(app, db, pool=district(db), email="ablauf@demo.example")
    assert mediator.deployable
    basic = db.scalars(select(Training).where(Training.code == "basic")).one()
    record = next(r for r in mediator.training_records if r.training_id == basic.id)
    expires = record.expires_on
    run_tick(app, utcnow())  # today's duty done
    fresh(db)
    run_tick(app, utcnow().replace(year=expires.year + 1))
    fresh(db)
    refreshed = db.get(type(mediator), mediator.id)
    assert refreshed.deployable is False
    assert "training_expired:basic" in refreshed.deployability_codes
