"""The demo data: `flask --app pool seed-demo` fills a registry and request lists worth trying
out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from pool import deployability
from pool.db import utcnow
from pool.demo import load_demo_data
from pool.i18n import BERLIN
from pool.models import (
    Assignment,
    AuditEvent,
    InterpretingRequest,
    Mediator,
    MediatorLanguage,
    Offer,
    Office,
    OutboxMessage,
    Pool,
    Training,
    User,
)
from pool.services.booking import outcome_differences
from pool.services.candidates import candidates_for
from pool.services.mediators import refresh_all
from pool.workdays import is_working_day
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
    requests = db.scalar(select(func.count(InterpretingRequest.id)))
    assert requests >= 20
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0 and "Demo data already present." in again.output
    with app.test_request_context():
        assert load_demo_data(db, now=utcnow(), registry=True) is False
    fresh(db)
    assert db.scalar(select(func.count(Mediator.id))) == before
    assert db.scalar(select(func.count(InterpretingRequest.id))) == requests


def test_the_daily_recomputation_keeps_the_demo_state(app, seeded):
    db = seeded
    before = {m.email: m.deployable for m in _mediators(db)}
    with app.test_request_context():
        refresh_all(db, utcnow())
    assert {m.email: m.deployable for m in _mediators(db)} == before


def test_test_apps_get_only_pools_and_logins_by_default(app, db, demo):
    fresh(db)
    assert db.scalar(select(func.count(Mediator.id))) == 0


# --- requests -------------------------------------------------------------------------------------


def _requests(db) -> list[InterpretingRequest]:
    return list(db.scalars(select(InterpretingRequest).order_by(InterpretingRequest.starts_at)))


def test_seed_demo_fills_the_request_lists(app, seeded):
    db = seeded
    now = utcnow()
    requests = _requests(db)
    statuses = {r.status for r in requests}
    assert statuses == {"open", "offered", "assigned", "completed", "cancelled", "unfilled"}
    offices = {r.office.name for r in requests}
    assert {"Jugendamt", "Gesundheitsamt", "Sozialamt", "Grundschule am Park"} <= offices
    # No e-mails about demo data.
    assert db.scalar(select(func.count(OutboxMessage.id))) == 0

    open_ahead = [r for r in requests if r.status == "open" and r.starts_at > now]
    assert len(open_ahead) >= 4
    assert any(r.urgent and r.urgent_reason for r in open_ahead)
    assert any(r.candidates_at_intake for r in open_ahead)
    assert any(r.candidates_at_intake == 0 and not r.series_id for r in open_ahead)
    series = [r for r in requests if r.series_id is not None]
    assert len(series) >= 4 and len({r.series_id for r in series}) == 1
    assert {r.status for r in series} == {"assigned", "open"}
    cancelled = [r for r in requests if r.status == "cancelled"]
    assert any(r.short_notice_cancellation for r in cancelled)
    assert all(r.cancel_reason and r.cancelled_by for r in cancelled)
    assert any(r.unfillable_reason for r in requests if r.status == "unfilled")

    # Completed in the past, reported by both sides, once differently.
    completed = [a for a in db.scalars(select(Assignment).where(Assignment.status == "completed"))]
    both = [a for a in completed if a.office_outcome and a.mediator_outcome]
    assert len(both) >= 3 and all(a.ends_at < now for a in completed)
    assert any(outcome_differences(a) for a in both)
    assert any(not outcome_differences(a) for a in both)


def test_the_demo_mediator_has_offers_and_assignments(app, seeded):
    db = seeded
    now = utcnow()
    samira = db.scalars(
        select(Mediator).where(Mediator.email == "sprachmittlung@demo.example")
    ).one()
    pending = db.scalars(
        select(Offer).where(Offer.mediator_id == samira.id, Offer.status == "pending")
    ).all()
    assert pending and all(o.expires_at > now and o.request.status == "offered" for o in pending)
    assignments = db.scalars(select(Assignment).where(Assignment.mediator_id == samira.id)).all()
    upcoming = [a for a in assignments if a.status == "confirmed" and a.starts_at > now]
    assert len(upcoming) >= 2
    # A past one the office reported and she has not yet.
    assert any(a.ends_at < now and a.office_outcome and not a.mediator_outcome for a in assignments)
    # Offers match: she is a candidate for the request she is offered.
    with app.test_request_context():
        for offer in pending:
            found = candidates_for(db, offer.request, now).candidates
            assert samira.id in {c.mediator_id for c in found}


def test_the_caseworkers_office_has_requests_in_every_state(app, seeded):
    db = seeded
    caseworker = db.scalars(select(User).where(User.email == "sachbearbeitung@demo.example")).one()
    office = db.scalars(select(Office).where(Office.name == "Jugendamt")).one()
    assert caseworker.caseworker_office_ids == [office.id]
    own = db.scalars(
        select(InterpretingRequest).where(InterpretingRequest.office_id == office.id)
    ).all()
    assert len(own) >= 8 and all(r.created_by_id == caseworker.id for r in own)
    assert {"open", "offered", "assigned", "completed", "cancelled"} <= {r.status for r in own}
    # A past appointment the office still has to report on.
    now = utcnow()
    assert any(r.status == "assigned" and r.ends_at < now for r in own)


def test_the_demo_requests_hang_together(app, seeded):
    db = seeded
    now = utcnow()
    for request in _requests(db):
        active = [a for a in request.assignments if a.status != "cancelled"]
        if request.status in ("assigned", "completed"):
            assert len(active) == 1, request.id
            assert active[0].starts_at == request.starts_at
            assert (active[0].status == "completed") == bool(active[0].office_outcome)
        else:
            assert not active, request.id
        if request.status == "offered":
            assert any(o.status == "pending" for o in request.offers)
        else:
            assert all(o.status != "pending" for o in request.offers), request.id
        assert request.created_at < request.starts_at
        if request.starts_at > now and request.status in ("open", "offered", "assigned"):
            day = request.starts_at.astimezone(BERLIN).date()
            assert is_working_day(day, "NW"), request.id
    # Every step is in the audit trail.
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"request.created", "offer.created", "offer.accepted", "offer.declined",
            "assignment.created", "assignment.outcome_reported", "request.cancelled",
            "request.unfillable"} <= actions  # fmt: skip


@pytest.mark.parametrize(
    "today",
    [datetime(2026, 12, 14, 8, tzinfo=UTC), datetime(2027, 3, 19, 8, tzinfo=UTC)],
    ids=["before-christmas", "before-easter"],
)
def test_the_demo_requests_avoid_public_holidays(app, db, today):
    with app.test_request_context():
        assert load_demo_data(db, now=today, registry=True)
        db.flush()
        requests = _requests(db)
    assert {r.status for r in requests} >= {"open", "offered", "assigned", "completed"}
    for request in requests:
        day = request.starts_at.astimezone(BERLIN).date()
        assert is_working_day(day, "NW") and (day.month, day.day) != (12, 24), day
    assert db.scalar(select(func.count(OutboxMessage.id))) == 0
    db.rollback()
