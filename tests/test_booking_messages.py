"""What booking tells whom: alerts for short-notice cancellations and differing reports, the
office told of what others did with its request, and the automatic (sequential) mode that asks the
next candidate before it bothers the coordination (pool/services/booking.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pool.db import utcnow
from pool.i18n import format_when
from pool.models import Assignment, InterpretingRequest, Offer
from pool.services import booking
from pool.services import requests as intake
from tests.factories import catalogue, district, user
from tests.helpers import fresh, outbox_for
from tests.test_calendar import CASEWORKER, COORDINATOR, SAMIRA, Scene, in_weeks


@pytest.fixture
def scene(app, db, demo):
    catalogue(app, db)
    return Scene(app, db)


def kinds(db, email: str) -> list[str]:
    return [m.kind for m in outbox_for(db, email)]


# --- short-notice cancellations -------------------------------------------------------------------


def test_a_short_notice_cancellation_by_the_mediator_is_an_urgent_alert(scene, db):
    now = utcnow()
    soon = scene.assign(scene.request(), now=now)
    fresh(db)
    coordinator = user(db, COORDINATOR)
    coordinator.quiet_from, coordinator.quiet_until = 0, 24 * 60 - 1  # quiet nearly all day
    db.commit()
    late = soon.starts_at - timedelta(hours=3)  # inside the pool's 24 hours
    with scene.app.test_request_context():
        booking.cancel_assignment(db, actor=scene.samira.user, side="mediator",
                                  assignment=db.get(Assignment, soon.id), reason="krank",
                                  now=late)  # fmt: skip
    db.commit()
    [alert] = scene.messages(COORDINATOR, "assignment_cancelled_notice")
    assert alert.urgent and alert.category == "alerts"
    assert alert.due_at == late  # quiet hours do not hold it back
    assert "kurzfristig" in alert.body_text
    [to_office] = scene.messages(CASEWORKER, "assignment_cancelled_notice")
    assert to_office.urgent  # the office must know before the client comes


def test_an_early_cancellation_is_a_normal_message_for_the_coordination(scene, db):
    assignment = scene.assign(scene.request())
    fresh(db)
    with scene.app.test_request_context():
        booking.cancel_assignment(db, actor=scene.samira.user, side="mediator",
                                  assignment=db.get(Assignment, assignment.id), reason="Urlaub",
                                  now=utcnow())  # fmt: skip
    db.commit()
    [notice] = scene.messages(COORDINATOR, "assignment_cancelled_notice")
    assert not notice.urgent and notice.category == "coordination"
    [to_office] = scene.messages(CASEWORKER, "assignment_cancelled_notice")
    assert not to_office.urgent and to_office.category == "requests"


def test_the_office_cancelling_its_request_at_short_notice_alerts_the_coordination(scene, db):
    request = scene.request()
    scene.assign(request)
    late = request.starts_at - timedelta(hours=5)
    fresh(db)
    with scene.app.test_request_context():
        booking.cancel_request(db, actor=user(db, CASEWORKER), request=db.merge(request),
                               reason="Klient ist krank", now=late)  # fmt: skip
    db.commit()
    [alert] = scene.messages(COORDINATOR, "alert_short_notice")
    assert alert.urgent and alert.category == "alerts"
    assert "kurzfristig abgesagt" in alert.body_text and "Klient ist krank" in alert.body_text
    assert "informiert und kommt nicht" in alert.body_text
    assert scene.messages(CASEWORKER, "request_cancelled_office") == []  # they did it
    [to_mediator] = scene.messages(SAMIRA, "assignment_cancelled")
    assert to_mediator.urgent and "METHOD:CANCEL" in to_mediator.calendar

    # Early, or by the coordination itself: no alert.
    early = scene.request(starts_at=in_weeks(3))
    fresh(db)
    with scene.app.test_request_context():
        booking.cancel_request(db, actor=user(db, CASEWORKER), request=db.merge(early),
                               reason="nicht mehr nötig", now=utcnow())  # fmt: skip
        db.commit()
        own = scene.request(starts_at=in_weeks(4))
        booking.cancel_request(db, actor=user(db, COORDINATOR), request=db.merge(own),
                               reason="doppelt", now=own.starts_at - timedelta(hours=2))  # fmt: skip
        db.commit()
    assert len(scene.messages(COORDINATOR, "alert_short_notice")) == 1


def test_the_office_hears_when_the_coordination_moves_its_request(scene, db):
    request = scene.request()
    scene.assign(request)
    fresh(db)
    with scene.app.test_request_context():
        intake.change_request(db, actor=user(db, COORDINATOR), request=db.merge(request),
                              values={"starts_at": in_weeks(2, hour=14)}, now=utcnow())  # fmt: skip
    db.commit()
    [told] = scene.messages(CASEWORKER, "request_changed_office")
    assert "Datum und Uhrzeit" in told.body_text and "14:00" in told.body_text
    assert "bleibt bestätigt" not in told.body_text  # the mediator was asked again
    assert "Hinterhaus" not in told.body_text
    # The mediator's event is cancelled and they get a new offer for the new time.
    assert kinds(db, SAMIRA)[-2:] == ["assignment_cancelled", "offer_new"]
    cancelled = scene.messages(SAMIRA, "assignment_cancelled")[0]
    assert "METHOD:CANCEL" in cancelled.calendar


# --- differing reports ----------------------------------------------------------------------------


def test_differing_reports_alert_the_coordination_once_both_have_reported(scene, db):
    assignment = scene.assign(scene.request())
    after = assignment.ends_at + timedelta(hours=1)
    fresh(db)
    with scene.app.test_request_context():
        booking.report_outcome(db, actor=scene.samira.user, side="mediator",
                               assignment=db.get(Assignment, assignment.id), outcome="took_place",
                               duration_minutes=120, travel_km=10, now=after)  # fmt: skip
        db.commit()
        assert scene.messages(COORDINATOR, "alert_outcome_differs") == []  # one side so far
        booking.report_outcome(db, actor=user(db, CASEWORKER), side="office",
                               assignment=db.get(Assignment, assignment.id), outcome="took_place",
                               duration_minutes=60, now=after)  # fmt: skip
        db.commit()
    [alert] = scene.messages(COORDINATOR, "alert_outcome_differs")
    assert alert.category == "coordination" and not alert.urgent
    assert "Dauer – Dienststelle: 60 Minuten; Samira S.: 120 Minuten." in alert.body_text
    assert "JA-2027" not in alert.body_text and "Hinterhaus" not in alert.body_text


def test_matching_reports_raise_no_alert(scene, db):
    assignment = scene.assign(scene.request())
    after = assignment.ends_at + timedelta(hours=1)
    fresh(db)
    with scene.app.test_request_context():
        for side, actor in (("office", user(db, CASEWORKER)), ("mediator", scene.samira.user)):
            booking.report_outcome(db, actor=actor, side=side, outcome="took_place",
                                   assignment=db.get(Assignment, assignment.id),
                                   duration_minutes=60, now=after)  # fmt: skip
            db.commit()
    assert scene.messages(COORDINATOR, "alert_outcome_differs") == []


# --- the automatic (sequential) mode --------------------------------------------------------------


def tick(scene: Scene, now) -> None:
    """The offer part of the scheduler's tick."""
    with scene.app.test_request_context():
        booking.expire_offers(scene.db, now)
        booking.offer_next_after_expiry(scene.db, now)
    scene.db.commit()


def test_sequential_mode_asks_the_next_candidate_and_alerts_only_when_nobody_is_left(scene, db):
    pool = district(db)
    pool.auto_offer_top_n = 1
    db.commit()
    request = scene.request()
    fresh(db)
    [first] = db.scalars(select(Offer).where(Offer.request_id == request.id)).all()

    tick(scene, first.expires_at + timedelta(minutes=1))
    fresh(db)
    offers = db.scalars(
        select(Offer).where(Offer.request_id == request.id).order_by(Offer.id)
    ).all()
    assert [o.status for o in offers] == ["expired", "pending"]
    second = offers[1]
    [offer_mail] = [m for m in outbox_for(db, second.mediator.email) if m.kind == "offer_new"]
    # The deadline in local time (Europe/Berlin), with a link to answer.
    assert (
        f"Bitte antworten Sie bis {format_when(second.expires_at, 'de')}." in offer_mail.body_text
    )
    assert f"/requests/offers/{second.id}" in offer_mail.body_text
    assert "offer_none_pending" not in kinds(db, COORDINATOR)  # the pool is still working on it

    tick(scene, second.expires_at + timedelta(minutes=1))
    fresh(db)
    assert db.get(InterpretingRequest, request.id).status == "open"
    [alert] = scene.messages(COORDINATOR, "offer_none_pending")
    assert alert.urgent and alert.category == "alerts"
    assert alert.subject.startswith("Dringend")
    assert "keine weitere passende Person" in alert.body_text

    tick(scene, second.expires_at + timedelta(hours=2))  # later ticks: nothing new
    assert len(scene.messages(COORDINATOR, "offer_none_pending")) == 1
