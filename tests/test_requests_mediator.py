"""The mediator's side of requests: offers, accepting and declining, "Meine Einsätze", cancelling
(also for a conflict of interest) and reporting the outcome; the read-only view for others."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from pool.db import utcnow
from pool.i18n import BERLIN
from pool.models import (
    Assignment,
    AuditEvent,
    CaseExclusion,
    InterpretingRequest,
    Mediator,
    Offer,
    Office,
)
from pool.services import booking
from pool.services import requests as intake
from pool.services.users import create_user
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, user
from tests.helpers import fresh, text

SAMIRA = "sprachmittlung@demo.example"
OTHER = "zweite@demo.example"
CASEWORKER = "sachbearbeitung@demo.example"
COORDINATOR = "koordination@demo.example"
ADDRESS = "Rathausplatz 1, Raum 12"
CASE_REF = "JA-2027-0042"
NOTES = "Bitte am Empfang melden"
OFFICE_PHONE = "05251 998877"


def next_tuesday_ten(now: datetime) -> datetime:
    """Tuesday 10:00 in Berlin, at least two weeks after ``now`` (well past the lead time)."""
    local = now.astimezone(BERLIN) + timedelta(days=14)
    day = local.date() + timedelta(days=(1 - local.weekday()) % 7 or 7)
    return datetime.combine(day, time(10, 0), tzinfo=BERLIN)


def youth_office(db) -> Office:
    return next(o for o in district(db).offices if o.name == "Jugendamt")


class World:
    def __init__(self, app, db, demo):
        self.app, self.db, self.demo = app, db, demo

    def mediator(self, email: str) -> Mediator:
        fresh(self.db)
        return self.db.scalars(select(Mediator).where(Mediator.email == email)).one()

    def request(self, *, now: datetime | None = None, case_ref: str | None = CASE_REF,
                offer_to=(SAMIRA, OTHER)) -> tuple[InterpretingRequest, list[Offer]]:  # fmt: skip
        """A request made by the caseworker at ``now`` and offered to ``offer_to`` then."""
        db = self.db
        fresh(db)
        now = now or utcnow()
        values = {
            "language": "ar",
            "starts_at": next_tuesday_ten(now),
            "duration_minutes": 60,
            "mode": "in_person",
            "municipality": "Neustadt",
            "address": ADDRESS,
            "domain": "social_services",
            "setting": "counselling",
            "professional_present": True,
            "case_ref": case_ref,
            "notes": NOTES,
        }
        with self.app.test_request_context():
            (request,) = intake.create_request(
                db, actor=user(db, CASEWORKER), office=youth_office(db), values=values, now=now
            )
            offers = booking.make_offers(
                db, actor=user(db, COORDINATOR), request=request, now=now,
                mediators=[db.scalars(select(Mediator).where(Mediator.email == e)).one()
                           for e in offer_to],
            )  # fmt: skip
        db.commit()
        return request, offers

    def accept(self, offer_id: int, email: str = SAMIRA, now: datetime | None = None) -> int:
        """Accept through the service (for arranging); returns the assignment id."""
        db = self.db
        fresh(db)  # a write needs a transaction that began after the requests' commits
        with self.app.test_request_context():
            offer = db.get(Offer, offer_id)
            assignment = booking.accept_offer(
                db, mediator=offer.mediator, offer=offer, no_conflict_of_interest=True,
                now=now or utcnow(),
            )  # fmt: skip
        db.commit()
        return assignment.id

    def client(self, email: str):
        client = self.app.test_client()
        assert login(client, email).status_code == 302
        return client


@pytest.fixture
def world(app, db, demo):
    catalogue(app, db)
    pool = district(db)
    with app.test_request_context():
        create_user(db, actor=None, email=OTHER, name="Zweite Person", password=demo.password,
                    grants=[("mediator", pool.id, None)], invite=False, now=utcnow())  # fmt: skip
    db.commit()
    deployable_mediator(app, db, pool=pool, email=SAMIRA, name="Samira S.")
    deployable_mediator(app, db, pool=pool, email=OTHER, name="Zweite Person")
    youth_office(db).phone = OFFICE_PHONE
    db.commit()
    return World(app, db, demo)


def offer_of(db, offers: list[Offer], email: str) -> Offer:
    fresh(db)
    return next(o for o in offers if o.mediator.email == email)


def post(client, url: str, data: dict | None = None, page: str = "/requests/offers"):
    return client.post(url, data={"csrf_token": csrf_token(client, page), **(data or {})})


# --- offers ---------------------------------------------------------------------------------------


def test_a_mediator_sees_own_pending_offers_without_client_data(world, db):
    request, offers = world.request()
    mine = offer_of(db, offers, SAMIRA)
    client = world.client(SAMIRA)

    page = text(client.get("/requests/offers"))
    assert f'data-offer="{mine.id}"' in page
    assert f'data-offer="{offer_of(db, offers, OTHER).id}"' not in page
    for shown in ("Arabisch", "Neustadt", "Jugendamt", "Beratung", "Soziales", "60 Minuten",
                  "Bitte antworten Sie bis"):  # fmt: skip
        assert shown in page, shown
    for hidden in (CASE_REF, NOTES, ADDRESS, OFFICE_PHONE):
        assert hidden not in page, hidden

    detail = text(client.get(f"/requests/offers/{mine.id}"))
    assert "Ich habe keine persönliche Beziehung zu der Person" in detail
    assert "Die genaue Adresse sehen Sie, wenn Sie das Angebot angenommen haben." in detail
    for hidden in (CASE_REF, NOTES, ADDRESS, OFFICE_PHONE):
        assert hidden not in detail, hidden

    start = text(client.get("/"))
    assert "Sie haben 1 neues Angebot." in start


def test_opening_an_offer_link_changes_nothing(world, db):
    _, offers = world.request()
    mine = offer_of(db, offers, SAMIRA)
    client = world.client(SAMIRA)
    fresh(db)
    before = db.scalar(select(func.count(AuditEvent.id)))
    for _ in range(2):
        assert client.get(f"/requests/offers/{mine.id}").status_code == 200
    fresh(db)
    assert db.get(Offer, mine.id).status == "pending"
    assert db.scalar(select(func.count(Assignment.id))) == 0
    assert db.scalar(select(func.count(AuditEvent.id))) == before
    # The buttons only work by POST.
    assert client.get(f"/requests/offers/{mine.id}/accept").status_code == 405


def test_accepting_needs_the_declaration(world, db):
    request, offers = world.request()
    mine = offer_of(db, offers, SAMIRA)
    client = world.client(SAMIRA)
    url = f"/requests/offers/{mine.id}"

    refused = post(client, url + "/accept", {}, page=url)
    assert refused.status_code == 400
    assert "Bitte bestätigen Sie, dass Sie keine persönliche Beziehung" in text(refused)
    assert 'id="error-summary"' in text(refused)
    fresh(db)
    assert db.get(Offer, mine.id).status == "pending"

    accepted = post(client, url + "/accept", {"no_conflict_of_interest": "y"}, page=url)
    assert accepted.status_code == 302
    fresh(db)
    assignment = db.scalars(select(Assignment).where(Assignment.offer_id == mine.id)).one()
    assert accepted.headers["Location"].endswith(f"/requests/assignments/{assignment.id}")
    assert db.get(Offer, mine.id).status == "accepted"
    assert db.get(InterpretingRequest, request.id).status == "assigned"
    assert "declared_no_conflict_of_interest" in str(
        db.scalars(select(AuditEvent.details).where(AuditEvent.action == "offer.accepted")).one()
    )

    page = text(client.get(accepted.headers["Location"]))
    assert f"Einsatz Nr. {assignment.id}" in page
    assert ADDRESS in page and OFFICE_PHONE in page
    assert CASE_REF not in page and NOTES not in page
    assert "Der Einsatz ist für Sie bestätigt." in page

    # A second click leads to the assignment and books nothing twice.
    again = post(client, url + "/accept", {"no_conflict_of_interest": "y"}, page=url)
    assert again.status_code == 302
    fresh(db)
    assert db.scalar(select(func.count(Assignment.id))) == 1


def test_a_second_mediator_learns_that_someone_was_faster(world, db):
    _, offers = world.request()
    mine, theirs = offer_of(db, offers, SAMIRA), offer_of(db, offers, OTHER)
    other = world.client(OTHER)
    url = f"/requests/offers/{theirs.id}"
    token = csrf_token(other, url)  # the page was open before Samira accepted
    world.accept(mine.id)

    late = other.post(url + "/accept", data={"csrf_token": token, "no_conflict_of_interest": "y"})
    assert late.status_code == 409
    assert "schon vergeben" in text(late)
    assert "Angebot annehmen</button>" not in text(late)
    fresh(db)
    assert db.scalars(select(Assignment.mediator_id)).all() == [world.mediator(SAMIRA).id]
    assert db.get(Offer, theirs.id).status == "withdrawn"
    # Opening the offer later says the same, and the list no longer shows it.
    assert "schon vergeben" in text(other.get(url))
    assert f'data-offer="{theirs.id}"' not in text(other.get("/requests/offers"))


def test_a_clash_with_an_own_assignment_is_said_in_words(world, db):
    _, first = world.request(offer_to=(SAMIRA,))
    world.accept(first[0].id)
    _, second = world.request(offer_to=(SAMIRA,), case_ref=None)  # the same time again
    client = world.client(SAMIRA)
    url = f"/requests/offers/{second[0].id}"
    response = post(client, url + "/accept", {"no_conflict_of_interest": "y"}, page=url)
    assert response.status_code == 409
    assert "Sie haben zu dieser Zeit schon einen anderen Einsatz." in text(response)
    fresh(db)
    assert db.get(Offer, second[0].id).status == "pending"


def test_a_mediator_declines_with_an_optional_reason(world, db):
    request, offers = world.request()
    mine = offer_of(db, offers, SAMIRA)
    client = world.client(SAMIRA)
    url = f"/requests/offers/{mine.id}"
    too_long = post(client, url + "/decline", {"decline_reason": "x" * 501}, page=url)
    assert too_long.status_code == 400
    assert "Höchstens 500 Zeichen." in text(too_long)
    assert "x" * 501 in text(too_long)  # the input is kept

    response = post(client, url + "/decline", {"decline_reason": "Ich bin verreist."}, page=url)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/requests/offers")
    fresh(db)
    offer = db.get(Offer, mine.id)
    assert (offer.status, offer.decline_reason) == ("declined", "Ich bin verreist.")
    assert db.get(InterpretingRequest, request.id).status == "offered"  # the other offer waits
    page = text(client.get("/requests/offers"))
    assert f'data-offer="{mine.id}"' not in page
    assert "Sie haben das Angebot abgelehnt." in page
    assert "Sie haben dieses Angebot abgelehnt." in text(client.get(url))
    late = post(client, url + "/accept", {"no_conflict_of_interest": "y"}, page=url)
    assert late.status_code == 409 and "Sie haben dieses Angebot abgelehnt." in text(late)

    # Without a reason works, too.
    _, offers = world.request(case_ref=None)
    url = f"/requests/offers/{offer_of(db, offers, SAMIRA).id}"
    assert post(client, url + "/decline", {}, page=url).status_code == 302


# --- "Meine Einsätze" -----------------------------------------------------------------------------


def test_an_assignment_is_listed_until_it_is_over_and_then_in_the_history(world, db):
    request, offers = world.request()
    upcoming_id = world.accept(offer_of(db, offers, SAMIRA).id)
    # An assignment from weeks ago (booked back then).
    then = utcnow() - timedelta(days=40)
    _, past_offers = world.request(now=then, case_ref=None, offer_to=(SAMIRA,))
    past_id = world.accept(past_offers[0].id, now=then)
    assert db.get(Assignment, past_id).ends_at < utcnow()

    client = world.client(SAMIRA)
    page = text(client.get("/requests/offers"))
    upcoming = page.split('data-section="upcoming"')[1].split('data-section="history"')[0]
    history = page.split('data-section="history"')[1]
    assert f'data-assignment="{upcoming_id}"' in upcoming
    assert ADDRESS in upcoming and OFFICE_PHONE in upcoming
    assert CASE_REF not in page and NOTES not in page
    assert f'data-assignment="{past_id}"' in history
    assert f'data-assignment="{past_id}"' not in upcoming
    assert "Bitte melden Sie, wie der Termin war." in history

    start = text(client.get("/"))
    assert f"/requests/assignments/{upcoming_id}" in start
    assert f"/requests/assignments/{past_id}" not in start


def test_cancelling_for_a_conflict_of_interest_excludes_from_the_case(world, db):
    request, offers = world.request()
    assignment_id = world.accept(offer_of(db, offers, SAMIRA).id)
    client = world.client(SAMIRA)
    url = f"/requests/assignments/{assignment_id}"
    assert "Interessenkonflikt entdeckt" in text(client.get(url))

    no_reason = post(client, url + "/cancel", {"conflict_of_interest": "y"}, page=url)
    assert no_reason.status_code == 400
    assert "Bitte geben Sie einen Grund an." in text(no_reason)

    response = post(client, url + "/cancel",
                    {"cancel_reason": "Ich kenne die Familie.", "conflict_of_interest": "y"},
                    page=url)  # fmt: skip
    assert response.status_code == 302
    fresh(db)
    assignment = db.get(Assignment, assignment_id)
    assert (assignment.status, assignment.cancelled_by) == ("cancelled", "mediator")
    assert assignment.conflict_of_interest and not assignment.short_notice
    exclusion = db.scalars(select(CaseExclusion)).one()
    assert (exclusion.mediator_id, exclusion.case_ref) == (world.mediator(SAMIRA).id, CASE_REF)
    assert db.get(InterpretingRequest, request.id).status == "open"
    page = text(client.get(response.headers["Location"]))
    assert "keine Nachteile" in page
    history = page.split('data-section="history"')[1]
    assert f'data-assignment="{assignment_id}"' in history

    # Cancelling again is a clear message, not a 500.
    again = post(client, url + "/cancel", {"cancel_reason": "Doppelt"}, page=url)
    assert again.status_code == 409


def test_a_plain_cancellation_needs_no_conflict_and_excludes_nobody(world, db):
    _, offers = world.request()
    assignment_id = world.accept(offer_of(db, offers, SAMIRA).id)
    client = world.client(SAMIRA)
    url = f"/requests/assignments/{assignment_id}"
    response = post(client, url + "/cancel", {"cancel_reason": "Ich bin krank."}, page=url)
    assert response.status_code == 302
    fresh(db)
    assert db.get(Assignment, assignment_id).status == "cancelled"
    assert db.scalar(select(func.count(CaseExclusion.id))) == 0


def test_the_mediator_reports_outcome_duration_and_travel(world, db):
    then = utcnow() - timedelta(days=40)
    _, offers = world.request(now=then, offer_to=(SAMIRA,))
    assignment_id = world.accept(offers[0].id, now=then)
    client = world.client(SAMIRA)
    url = f"/requests/assignments/{assignment_id}"
    page = text(client.get(url))
    assert "Meldung senden" in page and "Einsatz absagen</button>" not in page

    missing = post(client, url + "/outcome", {"outcome": "took_place", "travel_km": "12"},
                   page=url)  # fmt: skip
    assert missing.status_code == 400
    assert "Bitte geben Sie an, wie lange der Termin gedauert hat." in text(missing)
    letters = post(client, url + "/outcome",
                   {"outcome": "took_place", "duration_minutes": "eine Stunde"}, page=url)  # fmt: skip
    assert letters.status_code == 400
    assert "ganze Zahl" in text(letters) and "eine Stunde" in text(letters)
    forged = post(client, url + "/outcome", {"outcome": "great", "duration_minutes": "5"},
                  page=url)  # fmt: skip
    assert forged.status_code == 400

    response = post(client, url + "/outcome",
                    {"outcome": "took_place", "duration_minutes": "75", "travel_km": "12"},
                    page=url)  # fmt: skip
    assert response.status_code == 302
    fresh(db)
    assignment = db.get(Assignment, assignment_id)
    assert (assignment.mediator_outcome, assignment.mediator_duration_minutes,
            assignment.travel_km) == ("took_place", 75, 12)  # fmt: skip
    page = text(client.get(url))
    assert "Ihre Meldung" in page and "75 Minuten" in page and "Meldung senden" not in page
    twice = post(client, url + "/outcome", {"outcome": "client_no_show"}, page=url)
    assert twice.status_code == 409
    fresh(db)
    assert db.get(Assignment, assignment_id).mediator_outcome == "took_place"


# --- permissions ----------------------------------------------------------------------------------


def test_another_mediators_offer_or_assignment_is_forbidden(world, db):
    _, offers = world.request()
    mine, theirs = offer_of(db, offers, SAMIRA), offer_of(db, offers, OTHER)
    assignment_id = world.accept(mine.id)
    other = world.client(OTHER)
    token = csrf_token(other, "/requests/offers")
    data = {"csrf_token": token, "no_conflict_of_interest": "y", "cancel_reason": "x",
            "outcome": "took_place", "duration_minutes": "60"}  # fmt: skip
    assert other.get(f"/requests/offers/{mine.id}").status_code == 403
    assert other.post(f"/requests/offers/{mine.id}/accept", data=data).status_code == 403
    assert other.post(f"/requests/offers/{mine.id}/decline", data=data).status_code == 403
    for suffix in ("", "/cancel", "/outcome"):
        url = f"/requests/assignments/{assignment_id}{suffix}"
        response = other.post(url, data=data) if suffix else other.get(url)
        assert response.status_code == 403, url
    assert other.get(f"/requests/offers/{theirs.id}").status_code == 200
    for url in ("/requests/offers/99999999999", "/requests/offers/0",
                "/requests/assignments/99999999999"):  # fmt: skip
        assert other.get(url).status_code == 404, url
    fresh(db)
    assert db.get(Assignment, assignment_id).status == "confirmed"
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all(), (
        "denied access is recorded"
    )


def test_caseworker_and_coordinator_see_the_assignment_read_only(world, db, demo):
    _, offers = world.request()
    assignment_id = world.accept(offer_of(db, offers, SAMIRA).id)
    url = f"/requests/assignments/{assignment_id}"
    for email in (demo.caseworker, demo.coordinator):
        client = world.client(email)
        response = client.get(url)
        assert response.status_code == 200, email
        page = text(response)
        assert "Samira S." in page and ADDRESS in page
        assert "Einsatz absagen" not in page and "Meldung senden" not in page
        token = csrf_token(client, url)
        cancel = client.post(url + "/cancel", data={"csrf_token": token, "cancel_reason": "x"})
        assert cancel.status_code == 403, email
        assert client.get("/requests/offers").status_code == 403
    fresh(db)
    assert db.get(Assignment, assignment_id).status == "confirmed"


def test_a_mediator_without_a_record_gets_the_kind_note(app, db, demo, login_as):
    client = login_as("mediator")
    assert "Ihre Angaben fehlen noch" in text(client.get("/requests/offers"))
    assert client.get("/requests/offers/1").status_code == 404


# --- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_offers_and_assignment_pages_work_on_a_phone(world, db, demo, page, live_url):
    from playwright.sync_api import expect

    from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

    _, offers = world.request()
    mine = offer_of(db, offers, SAMIRA)
    page.set_viewport_size(PHONE)
    sign_in(page, live_url, SAMIRA, demo.password)
    expect(page.locator("[data-new-offers]")).to_contain_text("1 neues Angebot")

    page.goto(live_url + "/requests/offers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebote und Einsätze")
    assert_accessible(page, "the offers page")
    assert_no_horizontal_scroll(page, "the offers page")

    page.get_by_role("link", name="Ansehen und antworten").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Angebot")
    assert_accessible(page, "an offer")
    assert_no_horizontal_scroll(page, "an offer")
    page.get_by_role("button", name="Angebot annehmen").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte bestätigen Sie")
    assert_accessible(page, "an offer with an error")
    assert_no_horizontal_scroll(page, "an offer with an error")

    page.get_by_label("Ich habe keine persönliche Beziehung zu der Person").check()
    page.get_by_role("button", name="Angebot annehmen").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Einsatz Nr.")
    expect(page.get_by_text(ADDRESS)).to_be_visible()
    assert_accessible(page, "the assignment page")
    assert_no_horizontal_scroll(page, "the assignment page")
    fresh(db)
    assert db.get(Offer, mine.id).status == "accepted"

    page.get_by_role("button", name="Einsatz absagen").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte geben Sie einen Grund an.")
    assert_accessible(page, "the assignment page with an error")
    assert_no_horizontal_scroll(page, "the assignment page with an error")

    page.goto(live_url + "/requests/offers")
    expect(page.locator('[data-section="upcoming"] article')).to_have_count(1)
    assert_accessible(page, "the offers page with an assignment")
    assert_no_horizontal_scroll(page, "the offers page with an assignment")


def test_hostile_input_is_a_form_error_not_a_500(world, db):
    _, offers = world.request(offer_to=(SAMIRA,))
    client = world.client(SAMIRA)
    url = f"/requests/offers/{offers[0].id}"
    for data in ({"decline_reason": "a\x00b"}, {"decline_reason": "x" * 100_000}):
        assert post(client, url + "/decline", data, page=url).status_code == 400, data
    accept = post(client, url + "/accept", {"no_conflict_of_interest": "\x00"}, page=url)
    assert accept.status_code == 400
    assignment_id = world.accept(offers[0].id)
    url = f"/requests/assignments/{assignment_id}"
    for data in ({"cancel_reason": "krank\x00"}, {"cancel_reason": "x" * 100_000}):
        assert post(client, url + "/cancel", data, page=url).status_code == 400, data
    for data in ({"outcome": "took_place", "duration_minutes": "9" * 40},
                 {"outcome": "\x00", "duration_minutes": "60"},
                 {"outcome": "took_place", "duration_minutes": "-5"}):  # fmt: skip
        assert post(client, url + "/outcome", data, page=url).status_code == 400, data
    fresh(db)
    assignment = db.get(Assignment, assignment_id)
    assert assignment.status == "confirmed" and assignment.mediator_outcome is None
