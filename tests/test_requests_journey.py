"""The request journeys in real Chromium: the caseworker asks for an
interpreter, the coordinator offers the request to two people at once, one accepts, the other
finds the offer gone, and the caseworker sees who is coming; then the mediator cancels and the
request is back in the coordinator's queue. axe-core runs on every page on the way."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pool.db import utcnow
from pool.i18n import BERLIN
from pool.models import Assignment, InterpretingRequest, Mediator, Offer
from pool.security import hash_password
from tests import factories
from tests.browser import assert_accessible, sign_in
from tests.helpers import fresh, outbox_for

pytestmark = pytest.mark.browser

CASEWORKER = "sachbearbeitung@demo.example"
COORDINATOR = "koordination@demo.example"
AMIRA = ("amira.aziz@example.org", "Amira Aziz")
BILAL = ("bilal.berg@example.org", "Bilal Berg")
MEDIATOR_PASSWORD = "Tee mit Minze und Honig"
ADDRESS = "Rathausplatz 1, Raum 12"
CANCEL_REASON = "Ich bin an dem Tag leider krank geschrieben."
OFFER_LINK_RE = re.compile(r"https?://[^/\s]+(/requests/offers/\d+)")


def weekday_ahead() -> date:
    """A Tuesday at least two weeks from today (Berlin): well past any lead time."""
    today = utcnow().astimezone(BERLIN).date() + timedelta(days=14)
    return today + timedelta(days=(1 - today.weekday()) % 7)


def mediators_who_can_sign_in(app, db) -> None:
    """Two deployable Arabic mediators of the district pool, each with a password."""
    factories.catalogue(app, db)
    pool = factories.district(db)
    for email, name in (AMIRA, BILAL):
        factories.deployable_mediator(app, db, pool=pool, email=email, name=name)
    with app.test_request_context():
        for email, _name in (AMIRA, BILAL):
            factories.user(db, email).password_hash = hash_password(MEDIATOR_PASSWORD)
    db.commit()


def sign_in_checked(page: Page, live_url: str, email: str, password: str) -> None:
    """Sign in (the sign-in page checked first) and land on the checked start page."""
    page.goto(live_url + "/login")
    assert_accessible(page, "the sign-in page")
    sign_in(page, live_url, email, password)
    expect(page).to_have_url(live_url + "/")
    assert_accessible(page, f"the start page of {email}")


def sign_out(page: Page, live_url: str) -> None:
    page.get_by_role("button", name="Abmelden", exact=True).click()
    expect(page).to_have_url(live_url + "/login")


def nav(page: Page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name, exact=True).click()


def queue_row(page: Page, request_id: int):
    return page.get_by_role("row").filter(has_text=f"Nr. {request_id},")


def test_request_offer_accept_withdraw_and_cancel(app, db, demo, page: Page, live_url):
    mediators_who_can_sign_in(app, db)
    day = weekday_ahead()

    # --- 1. The caseworker asks for an Arabic interpreter on the form. ---
    sign_in_checked(page, live_url, CASEWORKER, demo.password)
    nav(page, "Einsatzanfragen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anfragen")
    assert_accessible(page, "the caseworker's empty list of requests")
    page.get_by_role("link", name="Neue Anfrage stellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprachmittlung anfragen")
    assert_accessible(page, "the request form")

    office = page.get_by_label("Dienststelle", exact=True)
    if office.count():  # only shown to someone who may ask for more than one office
        office.select_option(label="Jugendamt")
    page.get_by_label("Sprache", exact=True).select_option(label="Arabisch")
    page.get_by_label("Datum", exact=True).fill(day.isoformat())
    page.get_by_label("Beginn", exact=True).fill("10:00")
    page.get_by_label("Voraussichtliche Dauer").select_option(label="1 Stunde")
    page.get_by_role("group", name="Wie findet der Termin statt?").get_by_label(
        "vor Ort", exact=True
    ).check()
    page.get_by_label("Ort (Stadt oder Gemeinde)").fill("Neustadt")
    page.get_by_label("Adresse und Raum").fill(ADDRESS)
    page.get_by_label("Bereich", exact=True).select_option(label="Soziales")
    page.get_by_label("Art des Gesprächs").select_option(label="Beratung")
    page.get_by_label(
        "Eine Fachkraft unserer Dienststelle ist dabei und leitet das Gespräch"
    ).check()
    page.get_by_role("button", name="Anfrage senden").click()

    expect(page.get_by_role("status")).to_contain_text("Ihre Anfrage ist eingegangen.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Arabisch")
    match = re.search(r"/requests/(\d+)$", page.url)
    assert match, page.url
    request_id = int(match.group(1))
    state = page.get_by_role("region", name=re.compile("^Stand"))
    expect(state).to_contain_text("Die Koordination sucht eine passende Person.")
    facts = page.get_by_role("region", name="Die Anfrage")
    expect(facts.locator('[data-fact="when"]')).to_contain_text("10:00")
    expect(facts.locator('[data-fact="when"]')).to_contain_text("11:00 Uhr")
    expect(facts.locator('[data-fact="place"]')).to_contain_text(ADDRESS)
    assert_accessible(page, "the new request's page")
    fresh(db)
    item = db.get(InterpretingRequest, request_id)
    assert (item.language_code, item.mode, item.municipality, item.domain_code) == (
        "ar", "in_person", "Neustadt", "social_services"
    )  # fmt: skip
    assert item.setting == "counselling" and item.professional_present is True
    start = item.starts_at.astimezone(BERLIN)
    assert (start.date(), start.hour, start.minute, item.duration_minutes) == (day, 10, 0, 60)
    assert item.status == "open"

    page.get_by_role("link", name="Zurück zu den Anfragen").click()
    row = page.get_by_role("row").filter(has_text=f"Nr. {request_id}")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Arabisch")
    expect(row).to_contain_text("noch offen")
    assert_accessible(page, "the caseworker's list with the new request")
    sign_out(page, live_url)

    # --- 2. The coordinator opens the queue and offers the request to two people at once. ---
    sign_in_checked(page, live_url, COORDINATOR, demo.password)
    nav(page, "Anfragen prüfen")
    expect(page.get_by_role("heading", level=1)).to_have_text("Offene Anfragen")
    row = queue_row(page, request_id)
    expect(row).to_contain_text("Noch niemandem angeboten")
    assert_accessible(page, "the queue")
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Anfrage Nr. {request_id}")
    candidates = page.get_by_role("region", name="Passende Personen", exact=True)
    expect(candidates.get_by_label(AMIRA[1])).to_be_visible()
    expect(candidates.get_by_label(BILAL[1])).to_be_visible()
    assert_accessible(page, "the review page")
    candidates.get_by_label(AMIRA[1]).check()
    candidates.get_by_label(BILAL[1]).check()
    candidates.get_by_role("button", name="Ausgewählten Personen anbieten").click()

    expect(page.get_by_role("status")).to_be_visible()
    offers = page.get_by_role("region", name="Angebote", exact=True)
    for name in (AMIRA[1], BILAL[1]):
        expect(offers.get_by_role("row").filter(has_text=name)).to_contain_text(
            "wartet auf Antwort"
        )
    assert_accessible(page, "the review page after offering")
    fresh(db)
    assert db.get(InterpretingRequest, request_id).status == "offered"
    pending = db.scalars(select(Offer).where(Offer.request_id == request_id)).all()
    assert sorted(o.status for o in pending) == ["pending", "pending"]
    sign_out(page, live_url)

    # --- 3. Mediator A opens the offer and accepts it with the declaration. ---
    sign_in_checked(page, live_url, AMIRA[0], MEDIATOR_PASSWORD)
    nav(page, "Angebote und Einsätze")
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebote und Einsätze")
    new_offers = page.get_by_role("region", name="Neue Angebote")
    expect(new_offers.get_by_role("article")).to_have_count(1)
    expect(new_offers).not_to_contain_text(ADDRESS)  # the address only after accepting
    assert_accessible(page, "mediator A's offers")
    new_offers.get_by_role("link", name=re.compile("^Ansehen und antworten")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebot: Arabisch")
    assert_accessible(page, "the offer to mediator A")
    page.get_by_label("Ich habe keine persönliche Beziehung zu der Person").check()
    page.get_by_role("button", name="Angebot annehmen").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Einsatz Nr.")
    expect(page.get_by_role("status")).to_contain_text("Der Einsatz ist für Sie bestätigt.")
    expect(page.get_by_text(ADDRESS)).to_be_visible()
    assert_accessible(page, "mediator A's assignment")
    fresh(db)
    assignment = db.scalars(select(Assignment).where(Assignment.request_id == request_id)).one()
    assert assignment.status == "confirmed"
    assert assignment.mediator.email == AMIRA[0]
    assert db.get(InterpretingRequest, request_id).status == "assigned"
    sign_out(page, live_url)

    # --- 4. Mediator B follows the e-mail's link and finds the offer gone. ---
    sign_in_checked(page, live_url, BILAL[0], MEDIATOR_PASSWORD)
    nav(page, "Angebote und Einsätze")
    expect(page.get_by_role("region", name="Neue Angebote")).to_contain_text(
        "Zurzeit haben Sie keine neuen Angebote."
    )
    assert_accessible(page, "mediator B's offers after the offer was withdrawn")
    mails = [m for m in outbox_for(db, BILAL[0]) if OFFER_LINK_RE.search(m.body_text)]
    assert mails, [m.subject for m in outbox_for(db, BILAL[0])]
    page.goto(live_url + OFFER_LINK_RE.search(mails[0].body_text).group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebot: Arabisch")
    expect(page.locator("[data-state]")).to_contain_text("schon vergeben")
    expect(page.get_by_role("button", name="Angebot annehmen")).to_have_count(0)
    expect(page.get_by_text(ADDRESS)).to_have_count(0)
    assert_accessible(page, "the withdrawn offer to mediator B")
    fresh(db)
    bilal = db.scalars(select(Mediator).where(Mediator.email == BILAL[0])).one()
    theirs = db.scalars(
        select(Offer).where(Offer.request_id == request_id, Offer.mediator_id == bilal.id)
    ).one()
    assert theirs.status == "withdrawn"
    sign_out(page, live_url)

    # --- 5. The caseworker sees who is coming. ---
    sign_in_checked(page, live_url, CASEWORKER, demo.password)
    nav(page, "Einsatzanfragen")
    row = page.get_by_role("row").filter(has_text=f"Nr. {request_id}")
    expect(row).to_contain_text(AMIRA[1])
    expect(row).to_contain_text("Zugesagt")
    assert_accessible(page, "the caseworker's list with the assigned request")
    row.get_by_role("link").first.click()
    expect(page.locator('[data-fact="mediator"]')).to_have_text(AMIRA[1])
    expect(page.get_by_role("region", name=re.compile("^Stand"))).to_contain_text("Es kommt:")
    assert_accessible(page, "the assigned request's page")
    sign_out(page, live_url)

    # --- 6. Mediator A cancels the assignment with a reason. ---
    sign_in_checked(page, live_url, AMIRA[0], MEDIATOR_PASSWORD)
    nav(page, "Angebote und Einsätze")
    mine = page.get_by_role("region", name="Meine Einsätze")
    expect(mine.get_by_role("article")).to_have_count(1)
    assert_accessible(page, "mediator A's offers with the assignment")
    mine.get_by_role("link", name=re.compile("^Einsatz ansehen oder absagen")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Einsatz Nr. {assignment.id}")
    assert_accessible(page, "mediator A's assignment before cancelling")
    cancel = page.get_by_role("region", name="Einsatz absagen")
    cancel.get_by_label("Grund für die Absage").fill(CANCEL_REASON)
    cancel.get_by_role("button", name="Einsatz absagen").click()

    expect(page.get_by_role("status")).to_contain_text("Sie haben den Einsatz abgesagt.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Angebote und Einsätze")
    expect(page.get_by_role("region", name="Meine Einsätze").get_by_role("article")).to_have_count(
        0
    )
    earlier = page.get_by_role("region", name="Frühere Einsätze")
    expect(earlier.locator(f'[data-assignment="{assignment.id}"]')).to_contain_text("abgesagt")
    assert_accessible(page, "mediator A's offers after cancelling")
    earlier.get_by_role("link", name=str(assignment.id), exact=True).click()
    expect(page.locator('[data-state="cancelled"]')).to_contain_text(CANCEL_REASON)
    expect(page.get_by_role("button", name="Einsatz absagen")).to_have_count(0)
    assert_accessible(page, "the cancelled assignment")
    fresh(db)
    assert db.get(Assignment, assignment.id).status == "cancelled"
    assert db.get(InterpretingRequest, request_id).status == "open"
    sign_out(page, live_url)

    # --- 7. The request is back in the coordinator's queue as open. ---
    sign_in_checked(page, live_url, COORDINATOR, demo.password)
    nav(page, "Anfragen prüfen")
    row = queue_row(page, request_id)
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label='Status']")).to_have_text("offen")
    assert_accessible(page, "the queue with the request open again")
    row.get_by_role("link").first.click()
    assignment_section = page.get_by_role("region", name="Einsatz", exact=True)
    expect(assignment_section).to_contain_text(AMIRA[1])
    expect(assignment_section).to_contain_text(CANCEL_REASON)
    candidates = page.get_by_role("region", name="Passende Personen", exact=True)
    expect(candidates.get_by_label(BILAL[1])).to_be_visible()
    assert_accessible(page, "the review page of the reopened request")
