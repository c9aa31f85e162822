"""Browser tests: real Chromium through Playwright against the live server, with axe-core.

They check what a person using the app notices: signing in and out per role, accessibility
(axe-core, WCAG 2.1 AA), a phone-sized screen, keyboard use, the error summary and that no asset
comes from another origin.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

pytestmark = pytest.mark.browser

ROLES = ("admin", "coordinator", "caseworker", "mediator")
NAMES = {
    "admin": "Anna Admin",
    "coordinator": "Karin Koordination",
    "caseworker": "Sven Sachbearbeitung",
    "mediator": "Samira Sprachmittlung",
}
HEADINGS = {
    "admin": "Administration",
    "coordinator": "Koordination",
    "caseworker": "Sachbearbeitung",
    "mediator": "Sprachmittlung",
}


def expect_start_page(page: Page, live_url: str, role: str) -> None:
    expect(page).to_have_url(live_url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Guten Tag, {NAMES[role]}")
    section = page.locator(f'section[data-role="{role}"]')
    expect(section).to_be_visible()
    expect(section.get_by_role("heading", level=2)).to_have_text(HEADINGS[role])


# --- 1. and 2.: every role signs in, sees its start page (accessible) and signs out ---


@pytest.mark.parametrize("role", ROLES)
def test_role_signs_in_sees_accessible_start_page_and_signs_out(demo, page: Page, live_url, role):
    sign_in(page, live_url, demo.by_role[role], demo.password)
    expect_start_page(page, live_url, role)
    assert_accessible(page, f"the start page ({role})")

    page.get_by_role("button", name="Abmelden", exact=True).click()
    expect(page).to_have_url(live_url + "/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    expect(page.get_by_role("button", name="Abmelden")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("abgemeldet")
    # Signed out for real: the start page sends us back to the sign-in page.
    page.goto(live_url + "/")
    expect(page).to_have_url(re.compile(re.escape(live_url + "/login")))


def test_sign_in_and_forgot_password_pages_are_accessible(demo, page: Page, live_url):
    page.goto(live_url + "/login")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert_accessible(page, "the sign-in page")

    page.get_by_role("link", name="Passwort vergessen?").click()
    expect(page).to_have_url(live_url + "/password/forgot")
    expect(page.get_by_role("heading", level=1)).to_have_text("Passwort vergessen")
    assert_accessible(page, "the forgot-password page")


def test_profile_page_is_accessible_with_keys_errors_and_on_a_phone(demo, page: Page, live_url):
    sign_in(page, live_url, demo.mediator, demo.password)
    expect_start_page(page, live_url, "mediator")
    page.get_by_role("link", name="Meine Angaben und mein Passwort").click()
    expect(page).to_have_url(live_url + "/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Profil")
    assert_accessible(page, "the profile page")

    # A key without a name: the summary links to the key's field, not to the profile's "Name".
    page.get_by_role("button", name="Schlüssel erstellen").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Bitte geben Sie einen Namen für den Schlüssel ein.")
    summary.get_by_role("link").click()
    key_name = page.get_by_label("Wofür ist der Schlüssel?")
    expect(key_name).to_be_focused()
    expect(key_name).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name", exact=True)).to_have_value("Samira Sprachmittlung")
    assert_accessible(page, "the profile page with an error")

    key_name.fill("Fachverfahren Jugendamt")
    page.get_by_role("button", name="Schlüssel erstellen").click()
    expect(page.get_by_role("cell", name="Fachverfahren Jugendamt")).to_be_visible()
    assert_accessible(page, "the profile page with a key")
    page.set_viewport_size(PHONE)
    assert_no_horizontal_scroll(page, "the profile page with a key")


# --- 5.: wrong password ---


def test_wrong_password_shows_error_summary_at_top_and_keeps_email(demo, page: Page, live_url):
    sign_in(page, live_url, demo.coordinator, "not-the-password")

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Bitte prüfen Sie Ihre Eingaben")
    expect(summary).to_contain_text("E-Mail-Adresse oder Passwort stimmen nicht")
    email = page.get_by_label("E-Mail-Adresse", exact=True)
    expect(email).to_have_value(demo.coordinator)
    expect(page.get_by_label("Passwort", exact=True)).to_have_value("")
    # "At the top": inside main, above the form and its first field.
    assert page.locator("main").get_by_role("alert").count() == 1
    assert summary.bounding_box()["y"] < email.bounding_box()["y"]
    assert_accessible(page, "the sign-in page with a wrong-password error")


def test_empty_sign_in_names_each_missing_field(demo, page: Page, live_url):
    page.goto(live_url + "/login")
    page.get_by_role("button", name="Anmelden", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("link")).to_have_count(2)
    email = page.get_by_label("E-Mail-Adresse", exact=True)
    expect(email).to_have_attribute("aria-invalid", "true")
    # The field's description is its error message, which exists on the page.
    described_by = email.get_attribute("aria-describedby")
    expect(page.locator(f"#{described_by}")).to_contain_text("Fehler:")
    summary.get_by_role("link").first.click()
    expect(email).to_be_focused()
    assert_accessible(page, "the sign-in page with empty fields")


# --- 3.: a phone-sized screen ---


@pytest.mark.parametrize("role", ROLES)
def test_phone_width_has_no_sideways_scrolling(demo, page: Page, live_url, role):
    page.set_viewport_size(PHONE)
    page.goto(live_url + "/login")
    assert_no_horizontal_scroll(page, "the sign-in page")

    sign_in(page, live_url, demo.by_role[role], demo.password)
    expect_start_page(page, live_url, role)
    assert_no_horizontal_scroll(page, f"the start page ({role})")


# --- 4.: keyboard ---


def test_keyboard_skip_link_moves_focus_to_main_with_visible_focus(demo, page: Page, live_url):
    page.goto(live_url + "/login")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    assert skip.evaluate("el => getComputedStyle(el).outlineStyle") != "none"
    assert float(skip.evaluate("el => parseFloat(getComputedStyle(el).outlineWidth)")) >= 2

    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    # The next Tab continues inside main, at the e-mail field, which shows its focus, too.
    page.keyboard.press("Tab")
    email = page.get_by_label("E-Mail-Adresse", exact=True)
    expect(email).to_be_focused()
    assert email.evaluate("el => getComputedStyle(el).outlineStyle") != "none"


# --- 6.: no other origin, no CSP violations ---


def test_pages_load_nothing_from_other_origins_and_break_no_csp(demo, page: Page, live_url):
    requests: list[str] = []
    console_errors: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))

    page.goto(live_url + "/password/forgot")
    sign_in(page, live_url, demo.admin, demo.password)
    expect_start_page(page, live_url, "admin")
    page.goto(live_url + "/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Profil")

    assert any(url.endswith("/static/css/app.css") for url in requests), requests
    foreign = [url for url in requests if not url.startswith(live_url + "/")]
    assert not foreign, f"requests to other origins: {foreign}"
    csp = [text for text in console_errors if "Content Security Policy" in text]
    assert not csp, f"CSP violations in the console: {csp}"
    # The stylesheet applied (a CSP or MIME problem would leave the page unstyled).
    header_bg = page.locator(".site-header").evaluate("el => getComputedStyle(el).backgroundColor")
    assert header_bg == "rgb(11, 79, 138)"
