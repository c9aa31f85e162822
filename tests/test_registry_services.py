"""The registry's rules: deployability with reasons, status changes, checks, trainings,
guideline versions, availability and the public application."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from pool import deployability
from pool.db import utcnow
from pool.models import AuditEvent, Mediator, OutboxMessage, User
from pool.services import mediators as registry
from pool.services.mediators import AbsenceValue, LanguageSkill, MediatorError
from tests.factories import catalogue, deployable_mediator, district, user


@pytest.fixture
def ready(app, db, demo):
    return catalogue(app, db)


def _check(app, db, mediator, on=None):
    with app.test_request_context():
        return deployability.check(mediator, deployability.load_context(db), on or date.today())


def test_a_fully_checked_mediator_is_deployable_and_stored_so(app, db, ready):
    mediator = deployable_mediator(app, db, pool=district(db), email="amal@demo.example")
    assert _check(app, db, mediator).deployable
    assert mediator.deployable is True and mediator.deployability_codes == []


def test_every_missing_piece_is_a_reason_in_plain_german(app, db, ready):
    coordinator = user(db, "koordination@demo.example")
    with app.test_request_context():
        mediator = registry.create_mediator(
            db, actor=coordinator, pool=district(db), now=utcnow(), invite=False,
            values={"name": "Neu", "email": "neu.m@demo.example", "kind": "staff",
                    "languages": [LanguageSkill("fa", "C1")]},
        )  # fmt: skip
    result = _check(app, db, mediator)
    assert not result.deployable
    codes = set(result.codes)
    assert {
        "not_activated",
        "interview_missing",
        "confidentiality_missing",
        "obligation_missing",
        "guideline_missing:confidentiality",
        "guideline_missing:code_of_conduct",
        "training_missing:basic",
        "release_missing",
        "staff_consent_missing",
    } <= codes
    texts = [r.text for r in result.reasons]
    assert (
        "Die aktuelle Fassung von „Verschwiegenheitserklärung“ ist noch nicht bestätigt." in texts
    )
    assert "Die Freigabe der Vorgesetzten fehlt." in texts


def test_expired_training_names_its_date(app, db, ready):
    mediator = deployable_mediator(app, db, pool=district(db), email="b@demo.example")
    later = date.today() + timedelta(days=800)
    result = _check(app, db, mediator, later)
    [reason] = [r for r in result.reasons if r.code == "training_expired:basic"]
    assert reason.text.startswith("Basisschulung abgelaufen am ")


def test_a_new_guideline_version_needs_a_new_acknowledgement(app, db, ready):
    mediator = deployable_mediator(app, db, pool=district(db), email="c@demo.example")
    with app.test_request_context():
        registry.publish_guideline(db, actor=user(db, "admin@demo.example"), code="confidentiality",
                                   title="Verschwiegenheitserklärung", body_markdown="Neu.",
                                   mandatory=True, now=utcnow())  # fmt: skip
    db.commit()
    db.refresh(mediator)
    assert mediator.deployable is False  # recomputed for everyone on publication
    assert "guideline_missing:confidentiality" in mediator.deployability_codes
    assert len(mediator.acknowledgements) == 2  # the history is kept


def test_absence_and_pause_block_those_days_only(app, db, ready):
    mediator = deployable_mediator(app, db, pool=district(db), email="d@demo.example")
    start = date.today() + timedelta(days=10)
    with app.test_request_context():
        registry.set_availability(
            db, actor=mediator.user, mediator=mediator, now=utcnow(),
            weekly=[], absences=[AbsenceValue(start, start + timedelta(days=3), "Urlaub")],
            paused_until=date.today() + timedelta(days=2),
        )  # fmt: skip
    assert not _check(app, db, mediator).deployable
    assert "absent" in _check(app, db, mediator, start + timedelta(days=1)).codes
    assert _check(app, db, mediator, date.today() + timedelta(days=5)).deployable


def test_domain_gates_need_the_training_and_the_police_certificate(app, db, ready):
    mediator = deployable_mediator(app, db, pool=district(db), email="e@demo.example")
    with app.test_request_context():
        context = deployability.load_context(db)
        today = date.today()
        assert deployability.domain_reasons(mediator, context, "health", today)[0].code == (
            "domain_training_missing:health"
        )
        assert [r.code for r in deployability.domain_reasons(mediator, context, "youth_welfare", today)] == [
            "police_certificate_missing"
        ]  # fmt: skip
        registry.record_checks(db, actor=user(db, "koordination@demo.example"), mediator=mediator,
                               checks={"police_certificate_seen_on": today - timedelta(days=6 * 365),
                                       "police_certificate_no_entry": True}, now=utcnow())  # fmt: skip
        reasons = deployability.domain_reasons(mediator, context, "youth_welfare", today)
        assert reasons[0].code == "police_certificate_expired"
        assert deployability.domain_reasons(mediator, context, "social_services", today) == []


def test_activation_without_interview_and_confidentiality_is_refused_with_the_reason(
    app, db, ready
):
    coordinator = user(db, "koordination@demo.example")
    with app.test_request_context():
        mediator = registry.create_mediator(
            db, actor=coordinator, pool=district(db), now=utcnow(), invite=False,
            values={"name": "F", "email": "f@demo.example", "languages": [LanguageSkill("tr", "C2")]},
        )  # fmt: skip
        with pytest.raises(MediatorError) as refused:
            registry.change_status(db, actor=coordinator, mediator=mediator, to_status="active",
                                   reason=None, now=utcnow())  # fmt: skip
    assert "Das Erstgespräch ist nicht eingetragen." in refused.value.message
    assert "Verschwiegenheitserklärung" in refused.value.message


def test_status_changes_follow_the_rules_and_are_recorded(app, db, ready):
    coordinator = user(db, "koordination@demo.example")
    mediator = deployable_mediator(app, db, pool=district(db), email="g@demo.example")
    with app.test_request_context():
        with pytest.raises(MediatorError):
            registry.change_status(db, actor=coordinator, mediator=mediator, to_status="rejected",
                                   reason="x", now=utcnow())  # fmt: skip
        with pytest.raises(MediatorError, match=None) as no_reason:
            registry.change_status(db, actor=coordinator, mediator=mediator, to_status="paused",
                                   reason="", now=utcnow())  # fmt: skip
        assert no_reason.value.field == "reason"
        registry.change_status(db, actor=coordinator, mediator=mediator, to_status="paused",
                               reason="Elternzeit", now=utcnow())  # fmt: skip
    db.commit()
    assert [(c.from_status, c.to_status) for c in mediator.status_changes] == [
        (None, "applied"),
        ("applied", "active"),
        ("active", "paused"),
    ]
    assert mediator.status_changes[-1].reason == "Elternzeit"
    assert mediator.status_changes[-1].actor_id == coordinator.id
    assert mediator.deployable is False


def test_activation_invites_an_applicant_to_set_a_password(app, db, ready):
    coordinator = user(db, "koordination@demo.example")
    now = utcnow()
    with app.test_request_context():
        applicant = registry.apply(
            db, pool=district(db), now=now,
            values={"name": "Bewerberin", "email": "bewerb@demo.example", "adult_confirmed": True,
                    "german_level": "B2", "data_consent_at": now,
                    "languages": [LanguageSkill("uk", "native")]},
        )  # fmt: skip
        db.commit()
        kinds = list(
            db.scalars(
                select(OutboxMessage.kind).where(
                    OutboxMessage.recipient == "koordination@demo.example"
                )
            )
        )
        assert kinds == ["application_received"]  # the coordinators hear of it
        assert (
            db.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.recipient == "bewerb@demo.example")
            )
            == 0
        )
        registry.record_checks(db, actor=coordinator, mediator=applicant, now=now,
                               checks={"interview_on": now.date(),
                                       "confidentiality_signed_on": now.date(),
                                       "obligation_on": now.date()})  # fmt: skip
        registry.change_status(db, actor=coordinator, mediator=applicant, to_status="active",
                               reason=None, now=now)  # fmt: skip
    db.commit()
    invitations = list(
        db.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.recipient == "bewerb@demo.example")
        )
    )
    assert invitations == ["invite"]


@pytest.mark.parametrize(
    ("values", "field", "phrase"),
    [
        ({"adult_confirmed": False, "birth_year": None}, "adult_confirmed", "ab 18 Jahren"),
        (
            {"adult_confirmed": True, "birth_year": date.today().year - 15},
            "birth_year",
            "ab 18 Jahren",
        ),
        (
            {"adult_confirmed": True, "german_level": "A2"},
            "german_level",
            "mindestens auf Niveau B1",
        ),
    ],
)
def test_application_is_refused_kindly_under_18_or_below_the_german_level(
    app, db, ready, values, field, phrase
):
    now = utcnow()
    base = {
        "name": "Jung",
        "email": "jung@demo.example",
        "german_level": "B2",
        "data_consent_at": now,
        "languages": [LanguageSkill("ar", "native")],
    }
    with app.test_request_context(), pytest.raises(MediatorError) as refused:
        registry.apply(db, pool=district(db), now=now, values={**base, **values})
    assert refused.value.field == field and phrase in refused.value.message


def test_rejected_applicants_are_deleted_after_the_retention_time(app, db, ready):
    coordinator = user(db, "koordination@demo.example")
    now = utcnow()
    with app.test_request_context():
        applicant = registry.apply(
            db, pool=district(db), now=now,
            values={"name": "Abgelehnt", "email": "weg@demo.example", "adult_confirmed": True,
                    "german_level": "C1", "data_consent_at": now,
                    "languages": [LanguageSkill("ru", "native")]},
        )  # fmt: skip
        registry.change_status(db, actor=coordinator, mediator=applicant, to_status="rejected",
                               reason="Kein Bedarf", now=now)  # fmt: skip
        db.commit()
        assert registry.purge_rejected(db, now + timedelta(days=89)) == 0
        assert registry.purge_rejected(db, now + timedelta(days=91)) == 1
    db.commit()
    assert (
        db.scalar(select(func.count(Mediator.id)).where(Mediator.email == "weg@demo.example")) == 0
    )
    assert db.scalar(select(func.count(User.id)).where(User.email == "weg@demo.example")) == 0
    events = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "mediator"))
    assert "mediator.deleted_after_rejection" in list(events)


def test_a_mediator_may_not_change_status_fields_of_their_own_record(app, db, ready):
    mediator = deployable_mediator(app, db, pool=district(db), email="h@demo.example")
    with app.test_request_context(), pytest.raises(MediatorError):
        registry.update_mediator(db, actor=mediator.user, mediator=mediator, now=utcnow(),
                                 values={"name": "Anders"}, as_self=True)  # fmt: skip
    with app.test_request_context():
        changed = registry.update_mediator(db, actor=mediator.user, mediator=mediator, now=utcnow(),
                                           values={"phone": "0170 1234567"}, as_self=True)  # fmt: skip
    assert changed == ["phone"]


def test_training_expiry_follows_from_validity(app, db, ready):
    mediator = deployable_mediator(app, db, pool=district(db), email="i@demo.example")
    with app.test_request_context():
        record = registry.record_training(db, actor=user(db, "koordination@demo.example"),
                                          mediator=mediator, training=ready["health"],
                                          completed_on=date(2026, 1, 31), now=utcnow())  # fmt: skip
    assert record.expires_on == date(2029, 1, 31)
    assert registry.add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


def test_an_application_never_attaches_itself_to_an_existing_account(app, db, ready):
    now = utcnow()
    with app.test_request_context(), pytest.raises(MediatorError) as refused:
        registry.apply(
            db, pool=district(db), now=now,
            values={"name": "Angreifer", "email": "Admin@demo.example", "adult_confirmed": True,
                    "german_level": "C1", "data_consent_at": now,
                    "languages": [LanguageSkill("ar", "native")]},
        )  # fmt: skip
    assert refused.value.field == "email"
    db.rollback()
    admin = user(db, "admin@demo.example")
    assert admin.role_names == ["admin"]
    assert db.scalar(select(func.count(Mediator.id))) == 0
