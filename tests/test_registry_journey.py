"""The registry's journey in real Chromium: someone applies on the public page,
the coordinator records the checks, activates the person and records the basic training, the new
mediator sets a password from the invitation, acknowledges the guidelines, enters availability and
sees on the start page that they can be deployed. axe-core runs on every page on the way."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pool.db import utcnow
from pool.i18n import BERLIN
from pool.models import Mediator
from tests import factories
from tests.browser import assert_accessible, sign_in
from tests.helpers import fresh, link_in, outbox_for

pytestmark = pytest.mark.browser

NAME = "Layla Haddad-Müller"
EMAIL = "layla.haddad@example.org"
PASSWORD = "Kaffee mit Milch und Zucker"


def _iso(day) -> str:
    return day.isoformat()


def test_an_applicant_becomes_a_deployable_mediator(app, db, demo, page: Page, live_url):
    factories.catalogue(app, db)
    today = utcnow().astimezone(BERLIN).date()

    # --- 1. An anonymous visitor applies on the public page, reached from the sign-in page. ---
    page.goto(live_url + "/login")
    page.get_by_role("link", name="Sprachmittler:in werden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprachmittler:in werden")
    assert_accessible(page, "the public application page")

    page.get_by_label("Wo möchten Sie mitmachen?").select_option(label="Landkreis")
    page.get_by_label("Ihr Name").fill(NAME)
    page.get_by_label("Ihre E-Mail-Adresse").fill(EMAIL)
    page.get_by_label("Ich bin mindestens 18 Jahre alt.").check()
    first_language = page.get_by_role("group", name="Sprache 1", exact=True)
    first_language.get_by_label("Sprache", exact=True).select_option(label="Arabisch")
    first_language.get_by_label("Niveau", exact=True).select_option(label="Muttersprache")
    first_language.get_by_label("Dialekte oder Varianten").fill("Levantinisch, Irakisch")
    page.get_by_label("Wie gut sprechen Sie Deutsch?").select_option(label="C1 – fließend")
    page.get_by_label("Wo können Sie dolmetschen?").fill("Neustadt")
    page.get_by_label(
        "Ich bin einverstanden, dass der Pool meine Angaben speichert und nutzt."
    ).check()
    page.get_by_role("button", name="Bewerbung absenden").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Vielen Dank für Ihre Bewerbung!")
    assert_accessible(page, "the thank-you page")
    fresh(db)
    applicant = db.scalars(select(Mediator).where(Mediator.email == EMAIL)).one()
    assert applicant.status == "applied"
    assert applicant.data_consent_at is not None

    # --- 2. The coordinator finds the applicant, records the checks and activates them. ---
    sign_in(page, live_url, demo.coordinator, demo.password)
    expect(page).to_have_url(live_url + "/")
    assert_accessible(page, "the coordinator's start page")
    page.get_by_role("navigation").get_by_role(
        "link", name="Sprachmittler:innen", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprachmittler:innen")
    assert_accessible(page, "the list of mediators")

    search = page.get_by_role("search")
    search.get_by_text("Weitere Filter und Sortierung").click()
    search.get_by_label("Status", exact=True).select_option(label="beworben")
    search.get_by_label("Name oder E-Mail-Adresse").fill("Haddad")
    search.get_by_role("button", name="Suchen", exact=True).click()
    expect(page.get_by_role("heading", name="1 Person gefunden")).to_be_visible()
    assert "Haddad" not in page.url  # the typed search stays out of the address
    assert_accessible(page, "the filtered list of mediators")
    page.get_by_role("link", name=NAME).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(NAME)
    assert_accessible(page, "the applicant's detail page")
    # Activation without interview and confidentiality declaration is refused with reasons.
    page.get_by_role("button", name="Freischalten", exact=True).click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Freischalten geht noch nicht")
    expect(refusal).to_contain_text("Das Erstgespräch ist nicht eingetragen.")
    expect(refusal).to_contain_text("Die Verschwiegenheitserklärung ist nicht eingetragen.")
    assert_accessible(page, "the detail page with the refused activation")
    fresh(db)
    assert db.get(Mediator, applicant.id).status == "applied"

    page.get_by_label("Erstgespräch am").fill(_iso(today - timedelta(days=7)))
    page.get_by_label("Verschwiegenheitserklärung unterschrieben am").fill(_iso(today))
    page.get_by_label("Förmlich verpflichtet am").fill(_iso(today))
    page.get_by_role("button", name="Prüfungen speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Die Prüfungen sind gespeichert.")
    checks = page.get_by_role("region", name="Prüfungen", exact=True)
    expect(checks).not_to_contain_text("fehlt")
    assert_accessible(page, "the detail page after recording the checks")

    page.get_by_role("button", name="Freischalten", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Der Status ist jetzt: aktiv.")
    status = page.get_by_role("region", name="Status und Verlauf")
    expect(status).to_contain_text("Aktueller Status: aktiv")
    assert_accessible(page, "the detail page after the activation")

    trainings = page.get_by_role("region", name="Schulungen", exact=True)
    trainings.get_by_label("Schulung", exact=True).select_option(label="Basisschulung")
    trainings.get_by_label("Abgeschlossen am").fill(_iso(today - timedelta(days=3)))
    trainings.get_by_role("button", name="Schulung eintragen").click()
    expect(page.get_by_role("status")).to_contain_text("Basisschulung ist eingetragen.")
    trainings = page.get_by_role("region", name="Schulungen", exact=True)
    expect(trainings.get_by_role("rowheader", name="Basisschulung")).to_be_visible()
    assert_accessible(page, "the detail page after recording the training")
    page.get_by_role("button", name="Abmelden", exact=True).click()
    expect(page).to_have_url(live_url + "/login")

    # --- 3. The invitation is in the outbox; the new mediator sets a password. ---
    invitations = [m for m in outbox_for(db, EMAIL) if "/password/set/" in m.body_text]
    assert len(invitations) == 1, [m.subject for m in outbox_for(db, EMAIL)]
    page.goto(live_url + link_in(invitations[0]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Willkommen beim Dolmetscherpool")
    assert_accessible(page, "the page to set the first password")
    page.get_by_label("Neues Passwort", exact=True).fill(PASSWORD)
    page.get_by_label("Neues Passwort wiederholen").fill(PASSWORD)
    page.get_by_role("button", name="Passwort speichern").click()

    expect(page).to_have_url(live_url + "/")
    expect(page.get_by_role("status")).to_contain_text("Sie sind jetzt angemeldet.")
    section = page.locator('section[data-role="mediator"]')
    not_yet = section.locator('[data-deployable="no"]')
    expect(not_yet).to_contain_text("Sie sind zurzeit nicht einsetzbar.")
    expect(not_yet.locator("li")).to_have_count(2)  # the two mandatory guidelines
    expect(not_yet).to_contain_text("Verschwiegenheitserklärung")
    expect(not_yet).to_contain_text("Leitlinien für die Sprachmittlung")
    expect(not_yet).to_contain_text("Bitte lesen und bestätigen Sie sie unter „Leitlinien“.")
    expect(section.locator('[data-training="basic"]')).to_contain_text("Basisschulung")
    assert_accessible(page, "the new mediator's start page")

    # --- 4. Every mandatory guideline is acknowledged. ---
    section.get_by_role("link", name="Leitlinien lesen und bestätigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leitlinien")
    assert_accessible(page, "the guidelines page")
    for title in ("Verschwiegenheitserklärung", "Leitlinien für die Sprachmittlung"):
        article = page.get_by_role("article", name=title, exact=True)
        article.get_by_role("button", name="Gelesen und bestätigt").click()
        expect(page.get_by_role("status")).to_contain_text(f"Danke! Sie haben „{title}“ bestätigt.")
        assert_accessible(page, f"the guidelines page after acknowledging {title}")
    expect(page.get_by_role("button", name=re.compile("Gelesen und bestätigt"))).to_have_count(0)
    expect(page.locator("[data-acknowledged]")).to_have_count(2)

    # --- 5. A weekly window is entered on the availability page. ---
    page.get_by_role("navigation").get_by_role("link", name="Verfügbarkeit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Verfügbarkeit")
    assert_accessible(page, "the availability page")
    first_time = page.get_by_role("group", name="Zeit 1", exact=True)
    first_time.get_by_label("Wochentag").select_option(label="Dienstag")
    first_time.get_by_label("von", exact=True).fill("09:00")
    first_time.get_by_label("bis", exact=True).fill("13:00")
    page.get_by_role("button", name="Speichern", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Ihre Verfügbarkeit ist gespeichert.")
    expect(page.get_by_role("alert")).to_have_count(0)
    assert_accessible(page, "the availability page after saving")
    fresh(db)
    windows = db.get(Mediator, applicant.id).availability
    assert [(w.weekday, w.start.strftime("%H:%M"), w.end.strftime("%H:%M")) for w in windows] == [
        (1, "09:00", "13:00")
    ]

    # --- 6. The start page now says: deployable. ---
    page.get_by_role("navigation").get_by_role("link", name="Start", exact=True).click()
    section = page.locator('section[data-role="mediator"]')
    expect(section.locator('[data-deployable="yes"]')).to_contain_text(
        "Sie sind zurzeit einsetzbar."
    )
    expect(section.locator('[data-deployable="no"]')).to_have_count(0)
    assert_accessible(page, "the deployable mediator's start page")
    fresh(db)
    mediator = db.get(Mediator, applicant.id)
    assert mediator.status == "active"
    assert mediator.deployable is True
