"""Bursts of concurrent bookings: exactly one wins, nothing is half-written.

Each thread has its own session and commits at the end, like a web request. On PostgreSQL every
loser gets BookingConflict; on SQLite a loser may instead get OperationalError("database is
locked") (the web layer answers 503) — never anything else.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from pool.db import utcnow
from pool.models import Assignment, InterpretingRequest, Mediator, Offer, Office, Pool, User
from pool.services import booking
from pool.services.booking import BookingConflict
from tests.helpers import fresh

BURST = 20
COORDINATOR = "koordination@demo.example"


def make_request(db, office: Office, starts_at, minutes: int = 60) -> InterpretingRequest:
    request = InterpretingRequest(
        pool_id=office.pool_id, office_id=office.id, language_code="ar", starts_at=starts_at,
        duration_minutes=minutes, ends_at=starts_at + timedelta(minutes=minutes),
        mode="in_person", municipality="Neustadt", address="Rathausplatz 1",
        domain_code="education", setting="parents_meeting", professional_present=True,
        status="open", created_at=utcnow(), updated_at=utcnow(),
    )  # fmt: skip
    db.add(request)
    return request


def make_mediators(db, pool: Pool, count: int) -> list[Mediator]:
    """Active mediators as plain rows: booking checks status and exclusions, not the registry."""
    people = [
        Mediator(
            pool_id=pool.id,
            name=f"Person {i}",
            email=f"burst{i}@demo.example",
            status="active",
            municipalities=["Neustadt"],
            deployability_codes=[],
        )  # fmt: skip
        for i in range(count)
    ]
    db.add_all(people)
    return people


def run_burst(app, jobs) -> list[str]:
    """Run each job (a function of a session) in its own thread, all released at once; returns
    "ok", "conflict" or "locked" per job and fails on anything else."""
    barrier = threading.Barrier(len(jobs))
    results: list[str | BaseException] = [""] * len(jobs)

    def worker(index: int, job) -> None:
        with app.test_request_context():
            session = app.extensions["pool_db"].new_session()
            try:
                barrier.wait(timeout=30)
                job(session)
                session.commit()
                results[index] = "ok"
            except BookingConflict:
                session.rollback()
                results[index] = "conflict"
            except OperationalError as exc:
                session.rollback()
                results[index] = "locked" if "locked" in str(exc.orig).lower() else exc
            except BaseException as exc:  # noqa: BLE001 - reported below
                session.rollback()
                results[index] = exc
            finally:
                session.close()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a booking thread hangs"
    unexpected = [r for r in results if not isinstance(r, str)]
    assert not unexpected, unexpected
    return results  # type: ignore[return-value]


def check_outcome(app, results: list[str]) -> None:
    assert results.count("ok") == 1, results
    if app.extensions["pool_db"].is_sqlite:
        assert set(results) <= {"ok", "conflict", "locked"}, results
    else:
        assert set(results) == {"ok", "conflict"}, results


@pytest.fixture
def setup(app, db, demo):
    pool = db.scalars(select(Pool).where(Pool.name == "Landkreis")).one()
    office = db.scalars(select(Office).where(Office.name == "Grundschule am Park")).one()
    coordinator = db.scalars(select(User).where(User.email == COORDINATOR)).one()
    return pool, office, coordinator


def test_twenty_accepts_and_direct_assignments_for_one_request_give_one_assignment(app, db, setup):
    pool, office, coordinator = setup
    now = utcnow()
    request = make_request(db, office, now + timedelta(days=3))
    people = make_mediators(db, pool, BURST)
    db.flush()
    with app.test_request_context():
        offers = booking.make_offers(
            db, actor=coordinator, request=request, mediators=people[: BURST // 2], now=now
        )
    db.commit()
    request_id, coordinator_id = request.id, coordinator.id
    offer_ids = [(o.id, o.mediator_id) for o in offers]
    direct_ids = [p.id for p in people[BURST // 2 :]]

    def accept(offer_id: int, mediator_id: int):
        def job(session):
            booking.accept_offer(
                session, mediator=session.get(Mediator, mediator_id),
                offer=session.get(Offer, offer_id), no_conflict_of_interest=True, now=now,
            )  # fmt: skip

        return job

    def assign(mediator_id: int):
        def job(session):
            booking.assign_directly(
                session, actor=session.get(User, coordinator_id),
                request=session.get(InterpretingRequest, request_id),
                mediator=session.get(Mediator, mediator_id), reason="Burst", now=now,
            )  # fmt: skip

        return job

    jobs = []
    for (offer_id, mediator_id), direct_id in zip(offer_ids, direct_ids, strict=True):
        jobs += [accept(offer_id, mediator_id), assign(direct_id)]
    results = run_burst(app, jobs)
    check_outcome(app, results)

    fresh(db)
    (assignment,) = db.scalars(select(Assignment).where(Assignment.request_id == request_id))
    assert assignment.status == "confirmed"
    assert db.get(InterpretingRequest, request_id).status == "assigned"
    statuses = dict(db.execute(select(Offer.id, Offer.status)).all())
    accepted = [offer_id for offer_id, status in statuses.items() if status == "accepted"]
    # An accepted offer exists only together with its assignment; every other offer is closed.
    assert accepted == ([assignment.offer_id] if assignment.offer_id else [])
    assert set(statuses.values()) <= {"accepted", "withdrawn"}
    # Only the winner's booking bump survived.
    assert sum(db.scalars(select(Mediator.booking_version))) == 1


def test_twenty_bookings_of_one_mediator_for_overlapping_requests_give_one_assignment(
    app, db, setup
):
    pool, office, coordinator = setup
    now = utcnow()
    start = (now + timedelta(days=4)).replace(minute=0, second=0, microsecond=0)
    # Twenty one-hour requests, each starting 3 minutes after the previous: all overlap.
    requests = [make_request(db, office, start + timedelta(minutes=3 * i)) for i in range(BURST)]
    (person,) = make_mediators(db, pool, 1)
    db.flush()
    with app.test_request_context():
        offers = [
            booking.make_offers(db, actor=coordinator, request=r, mediators=[person], now=now)[0]
            for r in requests[: BURST // 2]
        ]
    db.commit()
    person_id, coordinator_id = person.id, coordinator.id
    offer_ids = [o.id for o in offers]
    direct_request_ids = [r.id for r in requests[BURST // 2 :]]

    def accept(offer_id: int):
        def job(session):
            booking.accept_offer(
                session, mediator=session.get(Mediator, person_id),
                offer=session.get(Offer, offer_id), no_conflict_of_interest=True, now=now,
            )  # fmt: skip

        return job

    def assign(request_id: int):
        def job(session):
            booking.assign_directly(
                session, actor=session.get(User, coordinator_id),
                request=session.get(InterpretingRequest, request_id),
                mediator=session.get(Mediator, person_id), reason=None, now=now,
            )  # fmt: skip

        return job

    jobs = []
    for offer_id, request_id in zip(offer_ids, direct_request_ids, strict=True):
        jobs += [accept(offer_id), assign(request_id)]
    results = run_burst(app, jobs)
    check_outcome(app, results)

    fresh(db)
    (assignment,) = db.scalars(select(Assignment))
    assert assignment.mediator_id == person_id and assignment.status == "confirmed"
    request_statuses = dict(
        db.execute(select(InterpretingRequest.id, InterpretingRequest.status)).all()
    )
    assert request_statuses.pop(assignment.request_id) == "assigned"
    assert set(request_statuses.values()) <= {"open", "offered"}  # the losers stay bookable
    accepted = db.scalars(select(Offer.id).where(Offer.status == "accepted")).all()
    assert accepted == ([assignment.offer_id] if assignment.offer_id else [])
    assert db.scalar(select(func.count(Offer.id)).where(Offer.status == "pending")) == len(
        offer_ids
    ) - len(accepted)
    assert db.get(Mediator, person_id).booking_version == 1
