"""Building registry data for tests through the real services."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from pool.db import utcnow
from pool.models import Guideline, Mediator, Pool, Training, User
from pool.services import mediators as registry
from pool.services.mediators import AbsenceValue, LanguageSkill, Window


def district(db) -> Pool:
    return db.scalars(select(Pool).where(Pool.name == "Landkreis")).one()


def town(db) -> Pool:
    return db.scalars(select(Pool).where(Pool.name == "Stadt Neustadt")).one()


def user(db, email: str) -> User:
    return db.scalars(select(User).where(User.email == email)).one()


def catalogue(app, db, *, now: datetime | None = None) -> dict:
    """Mandatory guidelines (confidentiality, code of conduct) and trainings (basic, health)."""
    now = now or utcnow()
    admin = user(db, "admin@demo.example")
    with app.test_request_context():
        guidelines = [
            registry.publish_guideline(db, actor=admin, code="confidentiality",
                                       title="Verschwiegenheitserklärung",
                                       body_markdown="Ich bewahre **Stillschweigen**.",
                                       mandatory=True, now=now),
            registry.publish_guideline(db, actor=admin, code="code_of_conduct",
                                       title="Leitlinien für die Sprachmittlung",
                                       body_markdown="Ich übersetze *neutral* und vollständig.",
                                       mandatory=True, now=now),
        ]  # fmt: skip
    basic = Training(code="basic", name="Basisschulung", validity_months=24, mandatory=True,
                     unlocks_domains=[])  # fmt: skip
    health = Training(code="health", name="Modul Gesundheit", validity_months=36, mandatory=False,
                      unlocks_domains=["health"])  # fmt: skip
    db.add_all([basic, health])
    db.commit()
    return {"guidelines": guidelines, "basic": basic, "health": health}


def deployable_mediator(
    app, db, *, pool: Pool, email: str, name: str = "Test Person", languages=(("ar", "native"),),
    kind: str = "volunteer", now: datetime | None = None,
) -> Mediator:  # fmt: skip
    """A mediator who passes every check (run ``catalogue`` first)."""
    now = now or utcnow()
    today = now.date()
    coordinator = user(db, "koordination@demo.example")
    with app.test_request_context():
        mediator = registry.create_mediator(
            db, actor=coordinator, pool=pool, now=now, invite=False,
            values={"name": name, "email": email, "kind": kind, "german_level": "C1",
                    "languages": [LanguageSkill(c, lvl) for c, lvl in languages],
                    "modes": ["in_person", "phone"], "municipalities": ["Neustadt"]},
        )  # fmt: skip
        registry.record_checks(
            db, actor=coordinator, mediator=mediator, now=now,
            checks={"interview_on": today, "confidentiality_signed_on": today,
                    "obligation_on": today},
        )  # fmt: skip
        if kind == "staff":
            registry.update_mediator(
                db, actor=coordinator, mediator=mediator, now=now,
                values={"supervisor_release_by": "Frau Chefin",
                        "supervisor_release_until": today + timedelta(days=365)},
            )  # fmt: skip
            mediator.staff_consent_at = now
        registry.change_status(db, actor=coordinator, mediator=mediator, to_status="active",
                               reason=None, now=now)  # fmt: skip
        basic = db.scalars(select(Training).where(Training.code == "basic")).one()
        registry.record_training(db, actor=coordinator, mediator=mediator, training=basic,
                                 completed_on=today - timedelta(days=30), now=now)  # fmt: skip
        for guideline in db.scalars(select(Guideline).where(Guideline.current)):
            registry.acknowledge_guideline(db, mediator=mediator, guideline=guideline, now=now)
        registry.set_availability(
            db, actor=mediator.user, mediator=mediator, now=now,
            weekly=[Window(d, time(8), time(18)) for d in range(5)], absences=[],
            paused_until=None,
        )  # fmt: skip
    db.commit()
    return mediator


__all__ = ["AbsenceValue", "LanguageSkill", "Window", "catalogue", "date", "deployable_mediator"]
