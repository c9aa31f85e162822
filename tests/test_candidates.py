"""Loading candidates from the database and matching them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import insert, select

from pool.i18n import BERLIN
from pool.models import (
    Absence,
    AvailabilityWindow,
    GuidelineAcknowledgement,
    Mediator,
    MediatorLanguage,
    Office,
    Pool,
    TrainingRecord,
)
from pool.models.org import pool_sharing
from pool.models.requests import Assignment, CaseExclusion, InterpretingRequest, Offer
from pool.services.candidates import candidates_for
from tests.factories import catalogue, deployable_mediator, district, town
from tests.helpers import counting_statements, fresh

NOW = datetime.now(UTC).replace(microsecond=0)


def next_wednesday_at(hour: int, minute: int = 0, weeks: int = 2) -> datetime:
    day = (NOW.astimezone(BERLIN) + timedelta(weeks=weeks)).date()
    day += timedelta(days=(2 - day.weekday()) % 7)
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


STARTS = next_wednesday_at(10)


def office_of(db, pool: Pool) -> Office:
    return db.scalars(select(Office).where(Office.pool_id == pool.id).order_by(Office.id)).first()


def make_request(db, pool: Pool, *, starts_at=STARTS, minutes=60, **values) -> InterpretingRequest:
    values = {
        "pool_id": pool.id,
        "office_id": office_of(db, pool).id,
        "language_code": "ar",
        "starts_at": starts_at,
        "duration_minutes": minutes,
        "ends_at": starts_at + timedelta(minutes=minutes),
        "mode": "in_person",
        "municipality": "Neustadt",
        "domain_code": "social_services",
        "setting": "counselling",
        "created_at": NOW,
        "updated_at": NOW,
        **values,
    }
    request = InterpretingRequest(**values)
    db.add(request)
    db.commit()
    return request


def other_pool(db, name: str) -> Pool:
    pool = Pool(name=name, kind="district", federal_state="NW")
    pool.offices = [Office(name="Sozialamt")]
    db.add(pool)
    db.commit()
    return pool


def mediator(app, db, email: str, pool: Pool, languages=(("ar", "native"),)) -> Mediator:
    return deployable_mediator(app, db, pool=pool, email=email, name=email.split("@")[0],
                               languages=languages, now=NOW)  # fmt: skip


@pytest.fixture
def registry(app, db, demo):
    catalogue(app, db, now=NOW)
    return db


def match_for(app, request, statements: list | None = None) -> object:
    """Match in a session of its own, as a page would; ``statements`` collects the SQL."""
    request_id = request.id
    session = app.extensions["pool_db"].new_session(write=False)
    try:
        loaded = session.get(InterpretingRequest, request_id)
        with counting_statements(app.extensions["pool_db"].engine) as seen:
            result = candidates_for(session, loaded, NOW)
        if statements is not None:
            statements.extend(seen)
        return result
    finally:
        session.close()


def ids(result) -> list[int]:
    return [c.mediator_id for c in result.candidates]


# --- pools and sharing ----------------------------------------------------------------------------


def test_sharing_pools_mediators_appear_and_unrelated_pools_do_not(app, registry):
    db = registry
    home, partner = district(db), town(db)  # the demo's town shares with the district
    unrelated = other_pool(db, "Landkreis Nachbar")
    receiver = other_pool(db, "Stadt Empfang")
    # The district shares its mediators with ``receiver``; that gives the district nothing back.
    db.execute(insert(pool_sharing).values(pool_id=home.id, partner_pool_id=receiver.id))
    db.commit()
    own = mediator(app, db, "own@example.org", home)
    shared = mediator(app, db, "shared@example.org", partner)
    mediator(app, db, "unrelated@example.org", unrelated)
    mediator(app, db, "receiver@example.org", receiver)
    mediator(app, db, "turkish@example.org", home, languages=(("tr", "native"),))

    result = match_for(app, make_request(db, home))
    assert sorted(ids(result)) == sorted([own.id, shared.id])
    assert result.excluded == []
    shared_candidate = next(c for c in result.candidates if c.mediator_id == shared.id)
    assert "aus dem Pool Stadt Neustadt" in shared_candidate.reasons

    # From the town's side the district shares too; the receiver's pool still does not.
    town_result = match_for(app, make_request(db, partner))
    assert sorted(ids(town_result)) == sorted([own.id, shared.id])


# --- facts from the database ----------------------------------------------------------------------


def test_bookings_counts_offers_and_exclusions_come_from_the_database(app, registry):
    db = registry
    home = district(db)
    booked = mediator(app, db, "booked@example.org", home)
    capped = mediator(app, db, "capped@example.org", home)
    conflicted = mediator(app, db, "conflicted@example.org", home)
    offered = mediator(app, db, "offered@example.org", home)
    veteran = mediator(app, db, "veteran@example.org", home)
    decliner = mediator(app, db, "decliner@example.org", home)
    absent = mediator(app, db, "absent@example.org", home)
    dari = mediator(app, db, "dari@example.org", home, languages=(("prs", "native"),))

    request = make_request(db, home, case_ref="A-17")
    # booked: 09:00–09:45 in person, the pool's buffer is 30 minutes.
    early = make_request(db, home, starts_at=STARTS - timedelta(minutes=60), minutes=45)
    db.add(Assignment(request_id=early.id, mediator_id=booked.id, starts_at=early.starts_at,
                      ends_at=early.ends_at, in_person=True))  # fmt: skip
    # capped: one assignment this month and a cap of one.
    same_month = make_request(db, home, starts_at=STARTS + timedelta(days=1))
    db.add(Assignment(request_id=same_month.id, mediator_id=capped.id,
                      starts_at=same_month.starts_at, ends_at=same_month.ends_at))  # fmt: skip
    capped.monthly_cap = 1
    db.add(CaseExclusion(mediator_id=conflicted.id, office_id=request.office_id, case_ref="A-17",
                         reason="conflict_of_interest"))  # fmt: skip
    db.add(Offer(request_id=request.id, mediator_id=offered.id, status="pending",
                 created_at=NOW - timedelta(days=1)))  # fmt: skip
    # veteran: three completed assignments in the domain, one of them for this case.
    for weeks in (3, 4, 5):
        past = make_request(db, home, starts_at=NOW - timedelta(weeks=weeks), case_ref="A-17")
        db.add(Assignment(request_id=past.id, mediator_id=veteran.id, status="completed",
                          starts_at=past.starts_at, ends_at=past.ends_at))  # fmt: skip
    for days in (3, 10):
        other = make_request(db, home, starts_at=NOW + timedelta(days=30 + days))
        db.add(Offer(request_id=other.id, mediator_id=decliner.id, status="declined",
                     created_at=NOW - timedelta(days=days)))  # fmt: skip
    local_day = STARTS.astimezone(BERLIN).date()
    db.add(Absence(mediator_id=absent.id, start_date=local_day, end_date=local_day))
    db.commit()

    result = match_for(app, request)
    excluded = {e.mediator_id: e for e in result.excluded}
    assert excluded[booked.id].codes == ["booked"]
    assert excluded[booked.id].reasons == [
        "Schon gebucht 09:00–09:45 (mit 30 Minuten Fahrzeit dazwischen)."
    ]
    assert excluded[capped.id].codes == ["monthly_cap"]
    assert excluded[conflicted.id].codes == ["case_excluded"]
    assert excluded[absent.id].codes == ["absent"]
    assert result.excluded_counts == {"absent": 1, "booked": 1, "case_excluded": 1,
                                      "monthly_cap": 1}  # fmt: skip

    candidates = {c.mediator_id: c for c in result.candidates}
    assert set(candidates) == {offered.id, veteran.id, decliner.id}  # Dari is not asked for here
    assert "hat schon ein Angebot" in candidates[offered.id].reasons
    assert "+2 kennt den Fall" in candidates[veteran.id].reasons
    assert "+2 Erfahrung im Bereich (3 Einsätze)" in candidates[veteran.id].reasons
    assert "-1 Zuverlässigkeit: 2 Ablehnungen" in candidates[decliner.id].reasons
    assert ids(result)[0] == veteran.id

    persian = match_for(app, make_request(db, home, language_code="fa"))
    assert ids(persian) == [dari.id]
    assert persian.candidates[0].related_language is True


def test_the_request_does_not_change_anything(app, registry):
    db = registry
    home = district(db)
    mediator(app, db, "one@example.org", home)
    request = make_request(db, home)
    session = app.extensions["pool_db"].new_session(write=False)
    try:
        candidates_for(session, session.get(InterpretingRequest, request.id), NOW)
        assert not session.new and not session.dirty and not session.deleted
    finally:
        session.close()


# --- a constant number of statements --------------------------------------------------------------


def clone_mediators(db, template: Mediator, count: int, prefix: str) -> None:
    """``count`` copies of a deployable mediator, inserted in bulk (the services are too slow for
    hundreds)."""
    fresh(db)
    template = db.get(Mediator, template.id)
    columns = {
        c.key: getattr(template, c.key)
        for c in Mediator.__table__.columns
        if c.key not in ("id", "user_id", "email", "name")
    }
    new_ids = db.scalars(
        insert(Mediator).returning(Mediator.id),
        [{**columns, "email": f"{prefix}{i}@example.org", "name": f"{prefix} {i}"}
         for i in range(count)],
    ).all()  # fmt: skip
    languages = [{"mediator_id": i, "language_code": "ar", "level": "native", "dialects": []}
                 for i in new_ids]  # fmt: skip
    windows = [{"mediator_id": i, "weekday": w.weekday, "start": w.start, "end": w.end}
               for i in new_ids for w in template.availability]  # fmt: skip
    acks = [{"mediator_id": i, "guideline_id": a.guideline_id, "acknowledged_at": NOW}
            for i in new_ids for a in template.acknowledgements]  # fmt: skip
    records = [{"mediator_id": i, "training_id": r.training_id, "completed_on": r.completed_on,
                "expires_on": r.expires_on, "recorded_at": NOW}
               for i in new_ids for r in template.training_records]  # fmt: skip
    for model, rows in ((MediatorLanguage, languages), (AvailabilityWindow, windows),
                        (GuidelineAcknowledgement, acks), (TrainingRecord, records)):  # fmt: skip
        db.execute(insert(model), rows)
    db.commit()


def test_the_number_of_statements_does_not_grow_with_the_speakers(app, registry):
    db = registry
    home, partner = district(db), town(db)
    template = mediator(app, db, "template@example.org", home)
    shared = mediator(app, db, "shared@example.org", partner)
    request = make_request(db, home, case_ref="B-2")
    # Some facts for every grouped statement.
    early = make_request(db, home, starts_at=STARTS - timedelta(minutes=60), minutes=45)
    db.add(Assignment(request_id=early.id, mediator_id=shared.id, starts_at=early.starts_at,
                      ends_at=early.ends_at))  # fmt: skip
    db.add(Offer(request_id=request.id, mediator_id=template.id, created_at=NOW))
    db.commit()
    clone_mediators(db, template, 8, "few")  # 10 speakers
    few: list[str] = []
    small = match_for(app, request, few)
    assert len(small.candidates) + small.excluded_total == 10

    clone_mediators(db, template, 190, "many")  # 200 speakers
    many: list[str] = []
    large = match_for(app, request, many)
    assert len(large.candidates) + large.excluded_total == 200
    assert len(large.excluded) == 1  # ``shared`` is booked
    assert len(few) == len(many), "\n".join(many)
    assert len(many) <= 13
