"""In real Chromium on a phone-wide screen: the mediator asks for a debrief on the assignment
page, a coordinator sees it in the list and marks it done. axe-core runs on both pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.conftest import DemoAccounts
from tests.test_debriefs import NOTE, started
from tests.test_reminders import (
    COORDINATOR,
    MEDIATOR,
    MEDIATOR_PASSWORD,
    world,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.browser


def test_mediator_asks_and_coordinator_marks_done(world, page: Page, live_url):  # noqa: F811
    assignment = started(world)
    page.set_viewport_size(PHONE)
    sign_in(page, live_url, MEDIATOR, MEDIATOR_PASSWORD)
    page.goto(f"{live_url}/requests/assignments/{assignment.id}")
    region = page.get_by_role("region", name="Über den Einsatz sprechen")
    expect(region).to_be_visible()
    assert_accessible(page, "the assignment page with the debrief button")
    assert_no_horizontal_scroll(page, "the assignment page with the debrief button")

    region.get_by_label("Kurze Notiz (freiwillig)").fill(NOTE)
    region.get_by_label("Bitte bald melden").check()
    region.get_by_role("button", name="Ich möchte über diesen Einsatz sprechen").click()
    expect(page.get_by_role("region", name="Über den Einsatz sprechen")).to_contain_text(
        "Ihr Gesprächswunsch ist bei der Koordination."
    )
    assert_accessible(page, "the assignment page after asking")

    page.context.clear_cookies()
    sign_in(page, live_url, COORDINATOR, DemoAccounts.password)
    page.get_by_role("link", name="Gesprächswünsche").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gesprächswünsche")
    expect(page.locator("[data-note]")).to_have_text(NOTE)
    assert_accessible(page, "the list of debrief requests")
    assert_no_horizontal_scroll(page, "the list of debrief requests")

    page.get_by_role("button", name="Erledigt: Wir haben gesprochen").click()
    expect(page.get_by_text("Zurzeit wartet niemand auf ein Gespräch.")).to_be_visible()
    page.get_by_text("1 erledigter Wunsch anzeigen").click()
    assert_accessible(page, "the list with a done request")
