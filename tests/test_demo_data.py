"""The demo data: `flask --app pool seed-demo` fills a registry worth trying out."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from pool import deployability
from pool.db import utcnow
from pool.demo import load_demo_data
from pool.models import Mediator, MediatorLanguage, OutboxMessage, Pool, Training
from pool.services.mediators import refresh_all
from tests.helpers import fresh


@pytest.fixture
def seeded(app, db, monkeypatch):
    """``seed-demo`` as a developer runs it (test apps skip the registry part by default)."""
    monkeypatch.setitem(app.config, "DEMO_REGISTRY", True)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded." in result.output
    fresh(db)
    return db


def _mediators(db) -> list[Mediator]:
    return list(db.scalars(select(Mediator).order_by(Mediator.id)))


def test_seed_demo_fills_the_registry(app, seeded):
    db = seeded
    mediators = _mediators(db)
    assert len(mediators) >= 40
    languages = set(db.scalars(select(MediatorLanguage.language_code)))
    assert len(languages) >= 15
    assert {"ar", "fa", "prs", "kmr", "ckb", "ti", "so", "tr", "uk", "ru", "ro", "bg", "sq", "pl",
            "ps", "fr", "en"} <= languages  # fmt: skip
    assert {m.kind for m in mediators} == {"volunteer", "staff"}
    assert {t.code for t in db.scalars(select(Training))} >= {"basic", "health", "youth_welfare"}
    # No e-mails to demo people: nobody was invited.
    assert db.scalar(select(func.count(OutboxMessage.id))) == 0

    district = db.scalars(select(Pool).where(Pool.name == "Landkreis")).one()
    arabic_ready = [
        m for m in mediators
        if m.pool_id == district.id and m.deployable
        and any(lang.language_code == "ar" for lang in m.languages)
    ]  # fmt: skip
    assert len(arabic_ready) >= 5

    samira = next(m for m in mediators if m.email == "sprachmittlung@demo.example")
    assert samira.pool_id == district.id and samira.deployable
    assert {lang.language_code for lang in samira.languages} == {"ar", "fr"}
    assert samira.user.password_hash  # still the demo login

    # The stored flag agrees with the one rule, and the reasons differ.
    with app.test_request_context():
        context = deployability.load_context(db)
        today = date.today()
        results = {m.email: deployability.check(m, context, today) for m in mediators}
    for mediator in mediators:
        assert results[mediator.email].deployable == mediator.deployable, mediator.email
    codes = {code for r in results.values() if not r.deployable for code in r.codes}
    assert {"training_expired:basic", "guideline_missing:code_of_conduct", "absent",
            "status_paused", "paused_until", "not_activated", "release_missing"} <= codes  # fmt: skip
    assert sum(1 for m in mediators if not m.deployable) >= 5
    staff = [m for m in mediators if m.kind == "staff" and m.deployable]
    assert staff and all(m.employing_office_id and m.supervisor_release_by for m in staff)


def test_seed_demo_runs_once(app, db, seeded):
    before = db.scalar(select(func.count(Mediator.id)))
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "Demo data already present." in again.output
    with app.test_request_context():
        assert load_demo_data(db, now=utcnow(), registry=True) is False
    fresh(db)
    assert db.scalar(select(func.count(Mediator.id))) == before


def test_the_daily_recomputation_keeps_the_demo_state(app, seeded):
    db = seeded
    before = {m.email: m.deployable for m in _mediators(db)}
    with app.test_request_context():
        refresh_all(db, utcnow())
    assert {m.email: m.deployable for m in _mediators(db)} == before


def test_test_apps_get_only_pools_and_logins_by_default(app, db, demo):
    fresh(db)
    assert db.scalar(select(func.count(Mediator.id))) == 0
