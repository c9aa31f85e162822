"""Offers, acceptance, direct assignment, cancellation and outcomes (pool/services/booking.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from pool.db import utcnow
from pool.models import (
    Assignment,
    AuditEvent,
    CaseExclusion,
    InterpretingRequest,
    Mediator,
    Offer,
    Office,
    OutboxMessage,
)
from pool.services import ServiceError, booking
from pool.services.booking import BookingConflict
from tests.factories import catalogue, deployable_mediator, district, user
from tests.helpers import fresh, outbox_for

COORDINATOR = "koordination@demo.example"
CASEWORKER = "sachbearbeitung@demo.example"


def make_request(
    db,
    *,
    starts_at: datetime,
    duration: int = 60,
    mode: str = "in_person",
    office: Office | None = None,
    created_by=None,
    case_ref: str | None = None,
    status: str = "open",
    language: str = "ar",
) -> InterpretingRequest:
    """A request as a plain row (intake has its own tests)."""
    office = office or db.scalars(select(Office).where(Office.name == "Jugendamt")).one()
    request = InterpretingRequest(
        pool_id=office.pool_id,
        office_id=office.id,
        created_by_id=created_by.id if created_by else None,
        language_code=language,
        starts_at=starts_at,
        duration_minutes=duration,
        ends_at=starts_at + timedelta(minutes=duration),
        mode=mode,
        municipality="Neustadt" if mode == "in_person" else None,
        address="Schulstraße 1, 12345 Neustadt" if mode == "in_person" else None,
        domain_code="youth_welfare",
        setting="counselling",
        professional_present=True,
        case_ref=case_ref,
        notes="Bitte am Empfang melden",
        status=status,
        created_at=starts_at - timedelta(days=5),
        updated_at=starts_at - timedelta(days=5),
    )
    db.add(request)
    db.commit()
    return request


def at(days: int = 3, hour: int = 9, minute: int = 0) -> datetime:
    """A time ``days`` from today (UTC)."""
    base = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days, hours=hour, minutes=minute)


def actions(db, object_type: str, object_id: int) -> list[str]:
    fresh(db)
    return list(
        db.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == object_type, AuditEvent.object_id == object_id)
            .order_by(AuditEvent.id)
        )
    )


def messages(db, email: str) -> list[OutboxMessage]:
    """The booking messages to ``email`` (the registry's own messages left out)."""
    return [m for m in outbox_for(db, email) if m.kind.startswith(("offer_", "assignment_"))]


def kinds(db, email: str) -> list[str]:
    return [m.kind for m in messages(db, email)]


@pytest.fixture
def world(app, db, demo):
    """Three deployable mediators of the district pool, and a request context for the e-mails."""
    catalogue(app, db)
    pool = district(db)
    people = [
        deployable_mediator(app, db, pool=pool, email=f"m{i}@demo.example", name=f"Person {i}")
        for i in range(3)
    ]
    ctx = app.test_request_context()
    ctx.push()
    try:
        yield World(db, people)
    finally:
        ctx.pop()


class World:
    def __init__(self, db, mediators: list[Mediator]) -> None:
        self.db = db
        self.a, self.b, self.c = mediators
        self.coordinator = user(db, COORDINATOR)
        self.caseworker = user(db, CASEWORKER)
        self.now = utcnow()


# --- pure helpers ---------------------------------------------------------------------------------


def test_times_clash_needs_a_travel_buffer_only_between_two_in_person_appointments():
    ten = datetime(2027, 3, 1, 10, tzinfo=UTC)
    eleven = ten + timedelta(hours=1)
    later = eleven + timedelta(minutes=15)
    assert booking.times_clash(ten, eleven, True, ten, eleven, False, 30)  # same time
    assert booking.times_clash(ten, eleven, True, later, later + timedelta(hours=1), True, 30)
    assert not booking.times_clash(ten, eleven, True, later, later + timedelta(hours=1), False, 30)
    assert not booking.times_clash(
        ten, eleven, True, eleven + timedelta(minutes=30), later + timedelta(hours=1), True, 30
    )  # exactly the buffer apart
    assert not booking.times_clash(ten, eleven, False, eleven, later, False, 30)  # back to back


def test_short_notice_is_within_the_window_and_after_the_start():
    start = datetime(2027, 3, 1, 10, tzinfo=UTC)
    assert booking.is_short_notice(start, start - timedelta(hours=23), 24)
    assert booking.is_short_notice(start, start + timedelta(minutes=5), 24)
    assert not booking.is_short_notice(start, start - timedelta(hours=25), 24)


# --- offers ---------------------------------------------------------------------------------------


def test_offers_go_to_each_mediator_with_what_they_need_but_no_client_data(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(3, 9), case_ref="FALL-4711", created_by=w.caseworker)
    offers = booking.make_offers(
        db, actor=w.coordinator, request=request, mediators=[w.a, w.b], now=w.now
    )
    db.commit()
    fresh(db)
    assert request.status == "offered"
    assert [o.mediator_id for o in offers] == [w.a.id, w.b.id]
    expected = w.now + timedelta(minutes=request.pool.offer_expiry_minutes)
    assert all(o.status == "pending" and o.expires_at == expected for o in offers)
    for person in (w.a, w.b):
        (message,) = messages(db, person.email)
        assert message.kind == "offer_new"
        body = message.body_text
        assert "Arabisch" in body and "Neustadt" in body and "Jugendamt" in body
        assert "60 Minuten" in body and "Beratung" in body and "Kinder- und Jugendhilfe" in body
        assert "FALL-4711" not in body + message.body_html
        assert "Schulstraße" not in body + message.body_html  # address only after acceptance
        assert "Empfang" not in body + message.body_html  # notes stay with the office
        assert "Bitte antworten Sie bis" in body
    assert actions(db, "offer", offers[0].id) == ["offer.created"]


def test_offering_again_skips_pending_offers_and_the_deadline_never_passes_the_start(world):
    db, w = world.db, world
    request = make_request(db, starts_at=w.now + timedelta(hours=5))
    booking.make_offers(db, actor=w.coordinator, request=request, mediators=[w.a], now=w.now,
                        expires_in_minutes=60 * 24)  # fmt: skip
    more = booking.make_offers(
        db, actor=w.coordinator, request=request, mediators=[w.a, w.b], now=w.now
    )
    db.commit()
    assert [o.mediator_id for o in more] == [w.b.id]
    assert more[0].expires_at == request.starts_at
    assert kinds(db, w.a.email) == ["offer_new"]


def test_offers_are_refused_for_closed_requests_inactive_or_excluded_mediators(world):
    db, w = world.db, world
    closed = make_request(db, starts_at=at(3, 9), status="cancelled")
    with pytest.raises(BookingConflict):
        booking.make_offers(db, actor=w.coordinator, request=closed, mediators=[w.a], now=w.now)
    db.rollback()
    request = make_request(db, starts_at=at(3, 9), case_ref="K-1")
    db.add(CaseExclusion(mediator_id=w.a.id, office_id=request.office_id, case_ref="K-1",
                         reason="client_refused", created_at=w.now))  # fmt: skip
    w.b.status = "paused"
    db.commit()
    for mediator in (w.a, w.b):
        with pytest.raises(ServiceError) as error:
            booking.make_offers(
                db, actor=w.coordinator, request=request, mediators=[mediator], now=w.now
            )
        assert error.value.field == "mediator_ids"
        db.rollback()
    with pytest.raises(ServiceError):
        booking.make_offers(db, actor=w.coordinator, request=request, mediators=[], now=w.now)
    fresh(db)
    assert db.scalar(select(func.count(Offer.id))) == 0
    assert kinds(db, w.a.email) == kinds(db, w.b.email) == []


# --- accepting ------------------------------------------------------------------------------------


def test_the_first_to_accept_gets_it_and_the_others_are_told(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(3, 9), created_by=w.caseworker)
    offer_a, offer_b, offer_c = booking.make_offers(
        db, actor=w.coordinator, request=request, mediators=[w.a, w.b, w.c], now=w.now
    )
    db.commit()
    booking.decline_offer(db, mediator=w.c, offer=offer_c, reason="Urlaub", now=w.now)
    db.commit()

    assignment = booking.accept_offer(
        db, mediator=w.a, offer=offer_a, no_conflict_of_interest=True, now=w.now
    )
    db.commit()
    fresh(db)
    assert assignment.status == "confirmed" and assignment.offer_id == offer_a.id
    assert (assignment.starts_at, assignment.ends_at) == (request.starts_at, request.ends_at)
    assert assignment.in_person is True
    assert request.status == "assigned" and request.assigned_at is not None
    assert [o.status for o in (offer_a, offer_b, offer_c)] == ["accepted", "withdrawn", "declined"]
    assert offer_c.decline_reason == "Urlaub"

    confirmed = messages(db, w.a.email)[-1]
    assert confirmed.kind == "assignment_confirmed"
    assert "Schulstraße 1" in confirmed.body_text  # now the mediator gets the address
    assert kinds(db, w.b.email) == ["offer_new", "offer_withdrawn"]
    assert "schon übernommen" in messages(db, w.b.email)[-1].body_text
    assert kinds(db, w.c.email) == ["offer_new"]  # declined: nothing more to say
    assert kinds(db, CASEWORKER) == ["assignment_confirmed_office"]
    assert kinds(db, COORDINATOR) == []
    assert actions(db, "offer", offer_a.id) == ["offer.created", "offer.accepted"]
    assert actions(db, "offer", offer_b.id) == ["offer.created", "offer.withdrawn"]
    assert actions(db, "assignment", assignment.id) == ["assignment.created"]
    assert w.a.booking_version == 1

    # The second one is too late (here: their offer was withdrawn; a pending one finds it taken).
    with pytest.raises(BookingConflict):
        booking.accept_offer(
            db, mediator=w.b, offer=offer_b, no_conflict_of_interest=True, now=w.now
        )
    db.rollback()
    assert db.scalar(select(func.count(Assignment.id))) == 1


def test_a_pending_offer_for_a_taken_request_is_a_conflict_and_leaves_the_session_usable(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(3, 9))
    offer_a, offer_b = booking.make_offers(
        db, actor=w.coordinator, request=request, mediators=[w.a, w.b], now=w.now
    )
    db.commit()
    # Someone else took the request behind this session's back (another coordinator, say).
    db.execute(
        InterpretingRequest.__table__.update()
        .where(InterpretingRequest.id == request.id)
        .values(status="assigned")
    )
    db.commit()
    with pytest.raises(BookingConflict) as error:
        booking.accept_offer(
            db, mediator=w.b, offer=offer_b, no_conflict_of_interest=True, now=w.now
        )
    assert "schon vergeben" in error.value.message
    # The savepoint is gone: the same transaction can go on and commit other work.
    booking.decline_offer(db, mediator=w.a, offer=offer_a, now=w.now)
    db.commit()
    fresh(db)
    assert offer_b.status == "pending" and offer_a.status == "declined"
    assert db.scalar(select(Mediator.booking_version).where(Mediator.id == w.b.id)) == 0
    assert db.scalar(select(func.count(Assignment.id))) == 0


def test_accepting_needs_the_declaration_an_own_pending_offer_and_time_left(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(3, 9))
    (offer,) = booking.make_offers(
        db, actor=w.coordinator, request=request, mediators=[w.a], now=w.now,
        expires_in_minutes=30,
    )  # fmt: skip
    db.commit()
    with pytest.raises(ServiceError) as error:
        booking.accept_offer(db, mediator=w.a, offer=offer, no_conflict_of_interest=False,
                             now=w.now)  # fmt: skip
    assert error.value.field == "no_conflict_of_interest"
    with pytest.raises(ServiceError):
        booking.accept_offer(db, mediator=w.b, offer=offer, no_conflict_of_interest=True,
                             now=w.now)  # fmt: skip
    with pytest.raises(BookingConflict) as error:
        booking.accept_offer(db, mediator=w.a, offer=offer, no_conflict_of_interest=True,
                             now=w.now + timedelta(minutes=31))  # fmt: skip
    assert "abgelaufen" in error.value.message
    db.rollback()
    fresh(db)
    assert offer.status == "pending" and request.status == "offered"


def test_a_mediator_cannot_be_booked_twice_at_overlapping_times_incl_travel_buffer(world):
    db, w = world.db, world
    first = make_request(db, starts_at=at(3, 9))  # 09:00-10:00 UTC, in person
    booking.assign_directly(db, actor=w.coordinator, request=first, mediator=w.a,
                            reason="telefonisch abgesprochen", now=w.now)  # fmt: skip
    db.commit()
    too_close = make_request(db, starts_at=at(3, 10, 15))  # in person, buffer 30 min
    (offer,) = booking.make_offers(db, actor=w.coordinator, request=too_close, mediators=[w.a],
                                   now=w.now)  # fmt: skip
    db.commit()
    with pytest.raises(BookingConflict) as error:
        booking.accept_offer(db, mediator=w.a, offer=offer, no_conflict_of_interest=True,
                             now=w.now)  # fmt: skip
    assert "schon einen Einsatz" in error.value.message
    db.rollback()
    phone = make_request(db, starts_at=at(3, 10, 15), duration=15, mode="phone")
    after_buffer = make_request(db, starts_at=at(3, 10, 30))
    for request in (phone, after_buffer):
        booking.assign_directly(db, actor=w.coordinator, request=request, mediator=w.a,
                                reason=None, now=w.now)  # fmt: skip
        db.commit()
    fresh(db)
    assert too_close.status == "offered" and offer.status == "pending"
    assert db.scalar(select(func.count(Assignment.id)).where(Assignment.mediator_id == w.a.id)) == 3


# --- direct assignment ----------------------------------------------------------------------------


def test_direct_assignment_takes_an_own_offer_and_withdraws_the_others(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(4, 9))  # made by the coordination: office told
    own, other = booking.make_offers(
        db, actor=w.coordinator, request=request, mediators=[w.a, w.b], now=w.now
    )
    db.commit()
    assignment = booking.assign_directly(db, actor=w.coordinator, request=request, mediator=w.a,
                                         reason="am Telefon zugesagt", now=w.now)  # fmt: skip
    db.commit()
    fresh(db)
    assert assignment.assign_reason == "am Telefon zugesagt"
    assert assignment.assigned_by_id == w.coordinator.id and assignment.offer_id == own.id
    assert (own.status, other.status) == ("accepted", "withdrawn")
    assert kinds(db, w.a.email) == ["offer_new", "assignment_confirmed"]
    assert kinds(db, w.b.email) == ["offer_new", "offer_withdrawn"]
    assert kinds(db, CASEWORKER) == ["assignment_confirmed_office"]
    events = actions(db, "assignment", assignment.id)
    assert events == ["assignment.created"]
    with pytest.raises(BookingConflict):
        booking.assign_directly(db, actor=w.coordinator, request=request, mediator=w.c,
                                reason=None, now=w.now)  # fmt: skip
    db.rollback()


def test_direct_assignment_of_an_excluded_or_inactive_mediator_is_refused(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(4, 9), case_ref="K-7")
    db.add(CaseExclusion(mediator_id=w.a.id, office_id=request.office_id, case_ref="K-7",
                         reason="conflict_of_interest", created_at=w.now))  # fmt: skip
    db.commit()
    with pytest.raises(ServiceError, match="ausgeschlossen"):
        booking.assign_directly(db, actor=w.coordinator, request=request, mediator=w.a,
                                reason=None, now=w.now)  # fmt: skip
    db.rollback()
    past = make_request(db, starts_at=w.now - timedelta(hours=1))
    with pytest.raises(ServiceError, match="begonnen"):
        booking.assign_directly(db, actor=w.coordinator, request=past, mediator=w.b,
                                reason=None, now=w.now)  # fmt: skip
    db.rollback()
    fresh(db)
    assert db.scalar(select(func.count(Assignment.id))) == 0
    assert past.status == "open"


# --- declining, withdrawing, expiring -------------------------------------------------------------


def test_when_the_last_offer_is_declined_the_request_is_open_again_and_coordinators_told(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(3, 9))
    offer_a, offer_b = booking.make_offers(
        db, actor=w.coordinator, request=request, mediators=[w.a, w.b], now=w.now
    )
    db.commit()
    booking.decline_offer(db, mediator=w.a, offer=offer_a, now=w.now)
    db.commit()
    fresh(db)
    assert request.status == "offered" and offer_a.decline_reason is None
    booking.decline_offer(db, mediator=w.b, offer=offer_b, reason="  krank ", now=w.now)
    db.commit()
    fresh(db)
    assert request.status == "open" and offer_b.decline_reason == "krank"
    assert kinds(db, COORDINATOR) == ["offer_none_pending"]
    assert actions(db, "request", request.id) == ["request.offered", "request.reopened"]
    with pytest.raises(BookingConflict):
        booking.decline_offer(db, mediator=w.b, offer=offer_b, now=w.now)
    db.rollback()
    with pytest.raises(ServiceError):
        booking.decline_offer(db, mediator=w.a, offer=offer_b, now=w.now)
    db.rollback()


def test_withdrawing_an_offer_tells_the_mediator(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(3, 9))
    (offer,) = booking.make_offers(db, actor=w.coordinator, request=request, mediators=[w.a],
                                   now=w.now)  # fmt: skip
    db.commit()
    booking.withdraw_offer(db, actor=w.coordinator, offer=offer, now=w.now)
    db.commit()
    fresh(db)
    assert offer.status == "withdrawn" and request.status == "open"
    assert kinds(db, w.a.email) == ["offer_new", "offer_withdrawn"]
    assert "zurückgezogen" in messages(db, w.a.email)[-1].body_text
    assert kinds(db, COORDINATOR) == []  # they did it themselves
    assert actions(db, "offer", offer.id) == ["offer.created", "offer.withdrawn"]
    with pytest.raises(BookingConflict):
        booking.withdraw_offer(db, actor=w.coordinator, offer=offer, now=w.now)
    db.rollback()


def test_expired_offers_are_marked_once_and_the_request_reopens(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(3, 9))
    booking.make_offers(db, actor=None, request=request, mediators=[w.a, w.b], now=w.now,
                        expires_in_minutes=60)  # fmt: skip
    other = make_request(db, starts_at=at(3, 12))
    (lasting,) = booking.make_offers(db, actor=None, request=other, mediators=[w.c], now=w.now)
    db.commit()
    assert booking.expire_offers(db, w.now + timedelta(minutes=59)) == 0
    assert booking.expire_offers(db, w.now + timedelta(minutes=60)) == 2
    db.commit()
    assert booking.expire_offers(db, w.now + timedelta(minutes=61)) == 0
    db.commit()
    fresh(db)
    assert request.status == "open" and other.status == "offered"
    assert {o.status for o in request.offers} == {"expired"}
    assert lasting.status == "pending"
    assert kinds(db, COORDINATOR) == ["offer_none_pending"]
    assert actions(db, "offer", request.offers[0].id) == ["offer.created", "offer.expired"]


# --- cancellations --------------------------------------------------------------------------------


def booked(world, *, starts_at: datetime, case_ref: str | None = None, created_by=None):
    db, w = world.db, world
    request = make_request(db, starts_at=starts_at, case_ref=case_ref, created_by=created_by)
    assignment = booking.assign_directly(db, actor=w.coordinator, request=request, mediator=w.a,
                                         reason=None, now=w.now)  # fmt: skip
    db.commit()
    return request, assignment


def test_a_mediator_cancelling_at_short_notice_reopens_the_request_and_tells_everyone(world):
    db, w = world.db, world
    request, assignment = booked(world, starts_at=w.now + timedelta(hours=20),
                                 created_by=w.caseworker)  # fmt: skip
    before = len(messages(db, w.a.email))
    booking.cancel_assignment(db, actor=w.a.user, assignment=assignment, side="mediator",
                              reason="Mein Kind ist krank", now=w.now)  # fmt: skip
    db.commit()
    fresh(db)
    assert assignment.status == "cancelled" and assignment.cancelled_by == "mediator"
    assert assignment.short_notice is True and assignment.conflict_of_interest is False
    assert assignment.cancel_reason == "Mein Kind ist krank"
    assert request.status == "open" and request.assigned_at is None
    assert len(messages(db, w.a.email)) == before  # the mediator knows
    (to_coordinator,) = [m for m in messages(db, COORDINATOR)]
    assert to_coordinator.kind == "assignment_cancelled_notice"
    assert "Mein Kind ist krank" in to_coordinator.body_text
    assert "Person 0 hat den Einsatz abgesagt" in to_coordinator.body_text
    assert "kurzfristig" in to_coordinator.body_text
    to_office = messages(db, CASEWORKER)[-1]
    assert to_office.kind == "assignment_cancelled_notice"
    assert "sucht jetzt eine andere Person" in to_office.body_text
    assert "Mein Kind" not in to_office.body_text  # the reason is for the coordination
    assert actions(db, "assignment", assignment.id) == ["assignment.created",
                                                        "assignment.cancelled"]  # fmt: skip
    assert actions(db, "request", request.id) == ["request.assigned", "request.reopened"]

    # Matching starts again: someone else can be booked for the same request.
    again = booking.assign_directly(db, actor=w.coordinator, request=request, mediator=w.b,
                                    reason=None, now=w.now)  # fmt: skip
    db.commit()
    assert again.status == "confirmed"
    with pytest.raises(BookingConflict):
        booking.cancel_assignment(db, actor=w.a.user, assignment=assignment, side="mediator",
                                  reason="nochmal", now=w.now)  # fmt: skip
    db.rollback()


def test_a_conflict_of_interest_excludes_from_the_case_and_is_never_short_notice(world):
    db, w = world.db, world
    request, assignment = booked(world, starts_at=w.now + timedelta(hours=2), case_ref="F-12")
    booking.cancel_assignment(db, actor=w.a.user, assignment=assignment, side="mediator",
                              reason="Ich kenne die Familie", conflict_of_interest=True,
                              now=w.now)  # fmt: skip
    db.commit()
    fresh(db)
    assert assignment.conflict_of_interest is True and assignment.short_notice is False
    (exclusion,) = db.scalars(select(CaseExclusion)).all()
    assert (exclusion.mediator_id, exclusion.office_id, exclusion.case_ref, exclusion.reason) == (
        w.a.id, request.office_id, "F-12", "conflict_of_interest")  # fmt: skip
    assert "persönliche Beziehung" in messages(db, COORDINATOR)[-1].body_text
    with pytest.raises(ServiceError, match="ausgeschlossen"):
        booking.assign_directly(db, actor=w.coordinator, request=request, mediator=w.a,
                                reason=None, now=w.now)  # fmt: skip
    db.rollback()
    # Another request of the same case: excluded as well; a different case is fine.
    same_case = make_request(db, starts_at=at(6, 9), case_ref="F-12")
    with pytest.raises(ServiceError):
        booking.make_offers(db, actor=w.coordinator, request=same_case, mediators=[w.a],
                            now=w.now)  # fmt: skip
    db.rollback()


def test_the_office_cancelling_an_assignment_tells_mediator_and_coordination(world):
    db, w = world.db, world
    request, assignment = booked(world, starts_at=at(5, 9), case_ref="F-9",
                                 created_by=w.caseworker)  # fmt: skip
    booking.cancel_assignment(db, actor=w.caseworker, assignment=assignment, side="office",
                              reason="Die Familie möchte eine andere Person",
                              conflict_of_interest=True, now=w.now)  # fmt: skip
    db.commit()
    fresh(db)
    assert assignment.short_notice is False and request.status == "open"
    assert db.scalars(select(CaseExclusion.reason)).one() == "client_refused"
    assert kinds(db, w.a.email)[-1] == "assignment_cancelled"
    assert "Dienststelle hat Ihren Einsatz abgesagt" in messages(db, w.a.email)[-1].body_text
    assert kinds(db, COORDINATOR) == ["assignment_cancelled_notice"]
    assert kinds(db, CASEWORKER) == ["assignment_confirmed_office"]  # nothing new for the office


def test_cancelling_needs_a_reason_and_a_known_side_and_a_future_assignment(world):
    db, w = world.db, world
    _request, assignment = booked(world, starts_at=w.now + timedelta(hours=1))
    with pytest.raises(ServiceError) as error:
        booking.cancel_assignment(db, actor=w.a.user, assignment=assignment, side="mediator",
                                  reason="  ", now=w.now)  # fmt: skip
    assert error.value.field == "reason"
    with pytest.raises(ServiceError):
        booking.cancel_assignment(db, actor=w.a.user, assignment=assignment, side="someone",
                                  reason="x", now=w.now)  # fmt: skip
    with pytest.raises(ServiceError, match="vorbei"):
        booking.cancel_assignment(db, actor=w.a.user, assignment=assignment, side="mediator",
                                  reason="x", now=w.now + timedelta(hours=3))  # fmt: skip
    db.rollback()
    fresh(db)
    assert assignment.status == "confirmed"


def test_the_office_cancelling_the_request_tells_the_mediator_and_withdraws_offers(world):
    db, w = world.db, world
    request, assignment = booked(world, starts_at=w.now + timedelta(hours=10),
                                 created_by=w.caseworker)  # fmt: skip
    booking.cancel_request(db, actor=w.caseworker, request=request, reason="Termin verschoben",
                           now=w.now)  # fmt: skip
    db.commit()
    fresh(db)
    assert request.status == "cancelled" and request.cancelled_by == "office"
    assert (
        request.short_notice_cancellation is True and request.cancel_reason == "Termin verschoben"
    )
    assert assignment.status == "cancelled" and assignment.cancelled_by == "office"
    assert assignment.short_notice is True
    message = messages(db, w.a.email)[-1]
    assert message.kind == "assignment_cancelled"
    assert "braucht den Termin nicht mehr" in message.body_text
    assert "Termin verschoben" in message.body_text
    assert actions(db, "request", request.id) == ["request.assigned", "request.cancelled"]
    assert actions(db, "assignment", assignment.id)[-1] == "assignment.cancelled"
    with pytest.raises(BookingConflict):
        booking.cancel_request(db, actor=w.caseworker, request=request, reason="x", now=w.now)
    db.rollback()

    offered = make_request(db, starts_at=at(9, 9))
    booking.make_offers(db, actor=w.coordinator, request=offered, mediators=[w.b], now=w.now)
    db.commit()
    booking.cancel_request(db, actor=w.coordinator, request=offered, reason="doppelt",
                           now=w.now)  # fmt: skip
    db.commit()
    fresh(db)
    assert offered.cancelled_by == "coordination" and offered.short_notice_cancellation is False
    assert offered.offers[0].status == "withdrawn"
    assert kinds(db, w.b.email) == ["offer_new", "offer_withdrawn"]
    assert "braucht den Termin nicht mehr" in messages(db, w.b.email)[-1].body_text


def test_unfillable_requests_tell_the_office_and_withdraw_offers(world):
    db, w = world.db, world
    request = make_request(db, starts_at=at(3, 9))  # made by the coordination
    booking.make_offers(db, actor=w.coordinator, request=request, mediators=[w.a], now=w.now)
    db.commit()
    booking.mark_unfillable(db, actor=w.coordinator, request=request,
                            reason="Niemand spricht den Dialekt", now=w.now)  # fmt: skip
    db.commit()
    fresh(db)
    assert (
        request.status == "unfilled" and request.unfillable_reason == "Niemand spricht den Dialekt"
    )
    assert request.offers[0].status == "withdrawn"
    (message,) = messages(db, CASEWORKER)
    assert message.kind == "assignment_unfillable"
    assert "Niemand spricht den Dialekt" in message.body_text
    assert kinds(db, w.a.email) == ["offer_new", "offer_withdrawn"]
    assert actions(db, "request", request.id) == ["request.offered", "request.unfillable"]
    with pytest.raises(BookingConflict):
        booking.mark_unfillable(db, actor=w.coordinator, request=request, reason="x", now=w.now)
    db.rollback()


# --- outcomes -------------------------------------------------------------------------------------


def test_both_sides_report_and_the_office_completes(world):
    db, w = world.db, world
    request, assignment = booked(world, starts_at=w.now + timedelta(hours=1))
    later = w.now + timedelta(hours=3)
    with pytest.raises(ServiceError, match="noch nicht begonnen"):
        booking.report_outcome(db, actor=w.a.user, assignment=assignment, side="mediator",
                               outcome="took_place", duration_minutes=60, now=w.now)  # fmt: skip
    booking.report_outcome(db, actor=w.a.user, assignment=assignment, side="mediator",
                           outcome="took_place", duration_minutes=90, travel_km=12,
                           now=later)  # fmt: skip
    db.commit()
    fresh(db)
    assert assignment.status == "confirmed" and assignment.mediator_outcome == "took_place"
    assert assignment.travel_km == 12 and not booking.outcome_differences(assignment)
    with pytest.raises(BookingConflict):
        booking.report_outcome(db, actor=w.a.user, assignment=assignment, side="mediator",
                               outcome="took_place", duration_minutes=90, now=later)  # fmt: skip
    db.rollback()
    booking.report_outcome(db, actor=w.caseworker, assignment=assignment, side="office",
                           outcome="took_place", duration_minutes=60, rating=5,
                           feedback="Sehr hilfreich", now=later)  # fmt: skip
    db.commit()
    fresh(db)
    assert assignment.status == "completed" and assignment.completed_at == later
    assert request.status == "completed"
    assert (assignment.feedback_rating, assignment.feedback_text) == (5, "Sehr hilfreich")
    assert booking.outcome_differences(assignment) == ["duration"]
    assert actions(db, "assignment", assignment.id) == [
        "assignment.created", "assignment.outcome_reported", "assignment.outcome_reported",
        "assignment.completed",
    ]  # fmt: skip
    assert actions(db, "request", request.id) == ["request.assigned", "request.completed"]


def test_the_office_alone_completes_and_a_differing_outcome_is_flagged(world):
    db, w = world.db, world
    request, assignment = booked(world, starts_at=w.now + timedelta(hours=1))
    later = w.now + timedelta(hours=3)
    booking.report_outcome(db, actor=w.caseworker, assignment=assignment, side="office",
                           outcome="mediator_no_show", duration_minutes=None, now=later)  # fmt: skip
    db.commit()
    fresh(db)
    assert assignment.status == "completed" and request.status == "completed"
    assert not booking.outcome_differences(assignment)  # only one side so far
    booking.report_outcome(db, actor=w.a.user, assignment=assignment, side="mediator",
                           outcome="took_place", duration_minutes=45, now=later)  # fmt: skip
    db.commit()
    fresh(db)
    assert booking.outcome_differences(assignment) == ["outcome"]
    assert booking.outcome_differences(assignment)


def test_outcome_reports_are_validated(world):
    db, w = world.db, world
    _request, assignment = booked(world, starts_at=w.now + timedelta(hours=1))
    later = w.now + timedelta(hours=3)
    bad = [
        ({"outcome": "great"}, "outcome"),
        ({"outcome": "took_place", "duration_minutes": None}, "duration_minutes"),
        ({"duration_minutes": 601}, "duration_minutes"),
        ({"rating": 6}, "rating"),
        ({"feedback": "x" * 2001}, "feedback"),
        ({"side": "mediator", "travel_km": -1}, "travel_km"),
        ({"side": "someone"}, "side"),
    ]
    for change, field in bad:
        values = {"side": "office", "outcome": "took_place", "duration_minutes": 60, **change}
        with pytest.raises(ServiceError) as error:
            booking.report_outcome(db, actor=w.caseworker, assignment=assignment, now=later,
                                   **values)  # fmt: skip
        assert error.value.field == field, change
    booking.cancel_assignment(db, actor=w.coordinator, assignment=assignment,
                              side="coordination", reason="Krankheit", now=w.now)  # fmt: skip
    db.commit()
    with pytest.raises(BookingConflict):
        booking.report_outcome(db, actor=w.caseworker, assignment=assignment, side="office",
                               outcome="took_place", duration_minutes=60, now=later)  # fmt: skip
    db.rollback()
