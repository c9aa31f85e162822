"""Registry notices to mediators (expiry warnings, availability nudges) and guideline expiry
(pool/services/notices.py, pool/deployability.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from pool import deployability
from pool.cli import run_tick
from pool.i18n import BERLIN
from pool.models import Guideline, Mediator, OutboxMessage, Training
from pool.services import mediators as registry
from pool.services import notices
from pool.services.mediators import Window
from tests.factories import catalogue, deployable_mediator, district, user
from tests.helpers import fresh, outbox_for

EMAIL = "ablauf@demo.example"


def berlin(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=BERLIN).astimezone(UTC)


# Everything happens around 1 March 2027; the mediator joined a year before.
JOINED = berlin(date(2026, 3, 2))


@pytest.fixture
def mediator(app, db, demo) -> Mediator:
    catalogue(app, db, now=JOINED)
    return deployable_mediator(app, db, pool=district(db), email=EMAIL, now=JOINED)


def notices_on(app, db, day: date, hour: int = 9) -> None:
    with app.test_request_context():
        notices.send_expiry_notices(db, berlin(day, hour))
    db.commit()


def registry_mail(db) -> list[OutboxMessage]:
    return [m for m in outbox_for(db, EMAIL) if m.kind.startswith("expiry_")]


def record(app, db, mediator, code: str, completed_on: date):
    training = db.scalars(select(Training).where(Training.code == code)).one()
    with app.test_request_context():
        registry.record_training(db, actor=user(db, "koordination@demo.example"),
                                 mediator=mediator, training=training,
                                 completed_on=completed_on, now=berlin(date(2027, 2, 20)))  # fmt: skip
    db.commit()


def test_a_training_is_announced_30_days_before_and_on_expiry_each_once(app, db, mediator):
    # "Modul Gesundheit" is valid for 36 months: done 31.03.2024, valid up to 31.03.2027.
    record(app, db, mediator, "health", date(2024, 3, 31))
    notices_on(app, db, date(2027, 2, 28))
    assert registry_mail(db) == []

    notices_on(app, db, date(2027, 3, 1))
    notices_on(app, db, date(2027, 3, 1), hour=15)
    notices_on(app, db, date(2027, 3, 31))  # the last valid day: nothing new
    [soon] = registry_mail(db)
    assert soon.kind == "expiry_soon" and soon.category == "registry" and not soon.urgent
    assert soon.subject == "Bald abgelaufen: Schulung „Modul Gesundheit“"
    assert "Ihre Schulung „Modul Gesundheit“ ist noch bis Mi, 31. März 2027 gültig." in (
        soon.body_text
    )
    assert "http://localhost/me/profile" in soon.body_text
    assert soon.user_id == mediator.user_id

    notices_on(app, db, date(2027, 4, 1))
    notices_on(app, db, date(2027, 4, 2))
    soon_again, passed = registry_mail(db)
    assert soon_again.id == soon.id
    assert passed.kind == "expiry_passed"
    assert passed.subject == "Abgelaufen: Schulung „Modul Gesundheit“"
    assert "war bis Mi, 31. März 2027 gültig" in passed.body_text


def test_a_renewed_training_is_not_announced(app, db, mediator):
    record(app, db, mediator, "health", date(2024, 3, 31))
    record(app, db, mediator, "health", date(2027, 2, 15))
    notices_on(app, db, date(2027, 3, 1))
    notices_on(app, db, date(2027, 4, 1))
    assert registry_mail(db) == []


def test_after_downtime_only_what_is_still_news_is_sent(app, db, mediator):
    # Expired three days ago: only the notice of expiry, no late warning.
    record(app, db, mediator, "health", date(2024, 2, 25))
    # Expired more than a week ago: nothing at all.
    basic = db.scalars(select(Training).where(Training.code == "basic")).one()
    db.delete(next(r for r in mediator.training_records if r.training_id == basic.id))
    db.commit()
    record(app, db, mediator, "basic", date(2025, 2, 10))  # valid for 24 months: up to 10.02.
    notices_on(app, db, date(2027, 2, 28))
    [passed] = registry_mail(db)
    assert passed.kind == "expiry_passed" and "Modul Gesundheit" in passed.subject


def test_police_certificate_and_guideline_acknowledgement_are_announced(app, db, mediator):
    coordinator = user(db, "koordination@demo.example")
    with app.test_request_context():
        registry.record_checks(db, actor=coordinator, mediator=mediator, now=JOINED,
                               checks={"police_certificate_seen_on": date(2022, 3, 20),
                                       "police_certificate_no_entry": True})  # fmt: skip
    guideline = db.scalars(select(Guideline).where(Guideline.code == "confidentiality")).one()
    guideline.valid_months = 12
    ack = next(a for a in mediator.acknowledgements if a.guideline_id == guideline.id)
    ack.acknowledged_at = berlin(date(2026, 3, 25), 18)
    db.commit()

    notices_on(app, db, date(2027, 2, 17))
    assert registry_mail(db) == []
    notices_on(app, db, date(2027, 2, 18))  # 30 days before 20.03.
    notices_on(app, db, date(2027, 2, 22))
    [police] = registry_mail(db)
    assert police.subject == "Bald abgelaufen: Erweitertes Führungszeugnis"
    assert "gilt noch bis Sa, 20. März 2027" in police.body_text

    notices_on(app, db, date(2027, 2, 23))
    police_again, leitlinie = registry_mail(db)
    assert police_again.id == police.id
    assert (
        leitlinie.subject
        == "Bald abgelaufen: Bestätigung der Leitlinie „Verschwiegenheitserklärung“"
    )
    assert "gilt noch bis Do, 25. März 2027" in leitlinie.body_text
    assert "http://localhost/me/guidelines" in leitlinie.body_text

    notices_on(app, db, date(2027, 3, 26))
    assert [m.kind for m in registry_mail(db)] == [
        "expiry_soon", "expiry_soon", "expiry_passed", "expiry_passed"
    ]  # fmt: skip


def test_only_active_and_paused_mediators_are_written_to(app, db, mediator):
    record(app, db, mediator, "health", date(2024, 3, 31))
    with app.test_request_context():
        registry.change_status(db, actor=user(db, "koordination@demo.example"),
                               mediator=mediator, to_status="left", reason="Umzug",
                               now=berlin(date(2027, 2, 1)))  # fmt: skip
    db.commit()
    notices_on(app, db, date(2027, 3, 1))
    assert registry_mail(db) == []


def test_an_expired_guideline_acknowledgement_makes_the_mediator_not_deployable(app, db, mediator):
    guideline = db.scalars(select(Guideline).where(Guideline.code == "code_of_conduct")).one()
    guideline.valid_months = 12
    db.commit()
    context = deployability.load_context(db)
    # Acknowledged on 02.03.2026 (JOINED): valid up to and including 02.03.2027.
    with app.test_request_context():
        assert deployability.check(mediator, context, date(2027, 3, 2)).deployable
        result = deployability.check(mediator, context, date(2027, 3, 3))
        assert not result.deployable
        [reason] = result.reasons
        assert reason.code == "guideline_expired:code_of_conduct"
        assert reason.text == (
            "Die Bestätigung der Leitlinie „Leitlinien für die Sprachmittlung“ ist abgelaufen."
        )

    # The daily duty stores it for the list filters.
    run_tick(app, berlin(date(2027, 3, 3), 6))
    fresh(db)
    stored = db.get(Mediator, mediator.id)
    assert stored.deployable is False
    assert stored.deployability_codes == ["guideline_expired:code_of_conduct"]

    # Confirming it again renews it.
    with app.test_request_context():
        registry.acknowledge_guideline(db, mediator=stored, guideline=guideline,
                                       now=berlin(date(2027, 3, 3), 10))  # fmt: skip
    db.commit()
    fresh(db)
    assert db.get(Mediator, mediator.id).deployable is True


def test_the_expired_acknowledgement_can_be_confirmed_again_on_the_page(app, db, client, mediator):
    from pool.security import hash_password
    from tests.conftest import csrf_token

    guideline = db.scalars(select(Guideline).where(Guideline.code == "code_of_conduct")).one()
    guideline.valid_months = 1
    ack = next(a for a in mediator.acknowledgements if a.guideline_id == guideline.id)
    ack.acknowledged_at = datetime.now(UTC) - timedelta(days=70)
    with app.test_request_context():
        user(db, EMAIL).password_hash = hash_password("Tee mit Minze und Honig")
    db.commit()
    client.post("/login", data={"email": EMAIL, "password": "Tee mit Minze und Honig",
                                "csrf_token": csrf_token(client)})  # fmt: skip
    page = client.get("/me/guidelines").get_data(as_text=True)
    assert "Bitte bestätigen Sie die Leitlinie erneut." in page
    client.post(f"/me/guidelines/{guideline.id}/acknowledge",
                data={"csrf_token": csrf_token(client, "/me/guidelines")})  # fmt: skip
    page = client.get("/me/guidelines").get_data(as_text=True)
    assert "Bitte bestätigen Sie die Leitlinie erneut." not in page
    fresh(db)
    assert db.get(Mediator, mediator.id).deployable is True


# --- availability nudges --------------------------------------------------------------------------


def nudges_on(app, db, moment: datetime) -> int:
    with app.test_request_context():
        count = notices.send_availability_nudges(db, moment)
    db.commit()
    return count


def nudges(db, email: str = EMAIL) -> list[OutboxMessage]:
    return [m for m in outbox_for(db, email) if m.kind == "availability_nudge"]


def test_volunteers_are_nudged_after_90_days_at_most_once_in_30_days(app, db, mediator):
    reviewed = JOINED  # deployable_mediator saved the availability as the mediator
    assert nudges_on(app, db, reviewed + timedelta(days=89)) == 0
    assert nudges_on(app, db, reviewed + timedelta(days=91)) == 1
    assert nudges_on(app, db, reviewed + timedelta(days=100)) == 0
    assert nudges_on(app, db, reviewed + timedelta(days=120, hours=-1)) == 0  # 29 days later
    assert nudges_on(app, db, reviewed + timedelta(days=121)) == 1
    assert nudges_on(app, db, reviewed + timedelta(days=125)) == 0
    first, second = nudges(db)
    assert first.subject == "Stimmt Ihre Verfügbarkeit noch?"
    assert "http://localhost/me/availability" in first.body_text
    assert first.category == "registry" and first.user_id == mediator.user_id

    # A coordinator's change does not count as the mediator's look; the mediator's own does.
    later = reviewed + timedelta(days=130)
    with app.test_request_context():
        for actor in (user(db, "koordination@demo.example"), user(db, EMAIL)):
            registry.set_availability(db, actor=actor, mediator=mediator, now=later,
                                      weekly=[Window(0, time(8), time(12))], absences=[],
                                      paused_until=None)  # fmt: skip
            if actor.email != EMAIL:
                assert mediator.availability_reviewed_at == reviewed
    db.commit()
    assert mediator.availability_reviewed_at == later
    assert nudges_on(app, db, later + timedelta(days=80)) == 0
    assert nudges_on(app, db, later + timedelta(days=91)) == 1


def test_staff_members_and_inactive_volunteers_are_not_nudged(app, db, mediator):
    deployable_mediator(app, db, pool=district(db), email="staff@demo.example", kind="staff",
                        now=JOINED)  # fmt: skip
    mediator.status = "paused"
    db.commit()
    assert nudges_on(app, db, JOINED + timedelta(days=200)) == 0
