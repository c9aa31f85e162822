"""In real Chromium at 360 px: a staff mediator switches "telefonisch erreichbar" on, a caseworker
finds them for the language and records the call. axe-core runs on the new pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pool.models import InterpretingRequest, Mediator
from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.helpers import fresh
from tests.test_hotline import CASEWORKER, NOW, PASSWORD, w  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_staff_switches_on_and_caseworker_records_the_call(w, db, page: Page, live_url):  # noqa: F811
    for m in (w["volunteer"], w["staff"]):
        m = db.get(Mediator, m.id)
        m.reachable_from = m.reachable_until = None
    db.commit()
    page.set_viewport_size(PHONE)
    sign_in(page, live_url, "stefan@example.org", PASSWORD)
    page.goto(live_url + "/erreichbar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Telefonisch erreichbar")
    assert_accessible(page, "the reachable page")
    assert_no_horizontal_scroll(page, "the reachable page")
    page.get_by_label("für 2 Stunden").check()
    page.get_by_role("button", name="Erreichbar einschalten").click()
    expect(page.get_by_text("Sie sind jetzt telefonisch erreichbar.")).to_be_visible()
    assert_accessible(page, "the reachable page, switched on")
    page.context.clear_cookies()

    sign_in(page, live_url, CASEWORKER, "demo-pool-2026")
    page.goto(live_url + "/jetzt-dolmetschen")
    page.get_by_label("Sprache").select_option("ar")
    page.get_by_role("button", name="Erreichbare Personen zeigen").click()
    expect(page.get_by_text("0521 555-0100")).to_be_visible()
    assert_accessible(page, "the hotline list")
    assert_no_horizontal_scroll(page, "the hotline list")
    page.get_by_role("button", name="Ich habe Stefan Amt angerufen").click()
    expect(page.get_by_text("Der Anruf bei Stefan Amt ist als Einsatz eingetragen")).to_be_visible()
    fresh(db)
    request = db.scalars(select(InterpretingRequest).where(InterpretingRequest.via_hotline)).one()
    assert request.starts_at == NOW

    page.goto(live_url + "/jetzt-dolmetschen?language=sw")
    expect(
        page.get_by_text("Gerade ist niemand für diese Sprache telefonisch erreichbar.")
    ).to_be_visible()
    assert_accessible(page, "nobody reachable")
