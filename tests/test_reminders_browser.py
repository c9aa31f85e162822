"""In real Chromium: the mediator opens the "Ich komme" link of the reminder mail (on a phone,
not signed in), sees the appointment, presses the button and sees the thanks; signed in, the
assignment page then says so. axe-core runs on every page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pool.db import utcnow
from pool.models import Assignment, OutboxMessage
from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.helpers import fresh
from tests.test_reminders import (
    ADDRESS,
    CONFIRM_RE,
    MEDIATOR,
    MEDIATOR_PASSWORD,
    world,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.browser


def test_mediator_confirms_from_the_reminder_link(world, db, page: Page, live_url):  # noqa: F811
    w = world
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=2)
    assignment = w.assignment(start, booked_at=utcnow() - timedelta(days=1))
    w.tick(start - timedelta(hours=48))
    fresh(db)
    reminder = db.scalars(
        select(OutboxMessage).where(
            OutboxMessage.recipient == MEDIATOR, OutboxMessage.kind == "reminder_mediator"
        )
    ).one()
    match = CONFIRM_RE.search(reminder.body_text)
    assert match, reminder.body_text

    # On the phone, without signing in.
    page.set_viewport_size(PHONE)
    page.goto(live_url + match.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Kommen Sie zu diesem Termin?")
    facts = page.get_by_role("region", name="Der Termin")
    expect(facts).to_contain_text(ADDRESS)
    expect(facts).to_contain_text("Arabisch")
    expect(facts).to_contain_text("Jugendamt")
    assert_accessible(page, "the confirm page")
    assert_no_horizontal_scroll(page, "the confirm page")
    fresh(db)
    assert db.get(Assignment, assignment.id).attendance_confirmed_at is None  # opening is not yes

    page.get_by_role("button", name="Ich komme", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Danke! Sie haben bestätigt, dass Sie kommen.")
    expect(page.get_by_role("button", name="Ich komme")).to_have_count(0)
    assert_accessible(page, "the thanks")
    fresh(db)
    assert db.get(Assignment, assignment.id).attendance_confirmed_at is not None

    # Signed in, the assignment page says so.
    sign_in(page, live_url, MEDIATOR, MEDIATOR_PASSWORD)
    page.goto(f"{live_url}/requests/assignments/{assignment.id}")
    expect(page.get_by_role("region", name="Kommen Sie?")).to_contain_text(
        "Sie haben zugesagt: Ich komme."
    )
    assert_accessible(page, "the assignment page after confirming")


def test_the_assignment_page_offers_the_same_button(world, page: Page, live_url):  # noqa: F811
    w = world
    start = utcnow().replace(second=0, microsecond=0) + timedelta(days=3)
    assignment = w.assignment(start, booked_at=utcnow() - timedelta(days=1))
    sign_in(page, live_url, MEDIATOR, MEDIATOR_PASSWORD)
    page.goto(f"{live_url}/requests/assignments/{assignment.id}")
    region = page.get_by_role("region", name="Kommen Sie?")
    assert_accessible(page, "the assignment page before confirming")
    region.get_by_role("button", name="Ich komme", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        re.compile("Danke! Sie haben bestätigt, dass Sie kommen.")
    )
    expect(page.get_by_role("region", name="Kommen Sie?")).to_contain_text(
        "Sie haben zugesagt: Ich komme."
    )
