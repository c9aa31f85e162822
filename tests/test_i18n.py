"""German by default, English selectable; dates in Europe/Berlin."""

from __future__ import annotations

from datetime import UTC, date, datetime

from pool.i18n import format_day, format_when
from tests.conftest import csrf_token
from tests.helpers import text


def test_dates_are_shown_in_berlin_time_in_german_format():
    winter = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)
    summer = datetime(2027, 7, 5, 8, 30, tzinfo=UTC)
    assert format_when(winter, "de") == "Mi, 3. März 2027, 10:00"
    assert format_when(summer, "de") == "Mo, 5. Juli 2027, 10:30"
    assert format_when(winter, "en") == "Wed, 3 March 2027, 10:00"
    assert format_day(date(2027, 3, 1), "de") == "Mo, 1. März 2027"


def test_german_is_the_default(client, demo):
    page = text(client.get("/login"))
    assert '<html lang="de">' in page and "Anmelden" in page


def test_the_browser_language_is_used_when_nobody_chose(client, demo):
    page = text(client.get("/login", headers={"Accept-Language": "en-GB,en;q=0.9"}))
    assert '<html lang="en">' in page and "Sign in" in page


def test_anyone_can_switch_the_language_and_it_is_remembered(client, demo):
    token = csrf_token(client)
    response = client.post("/language?next=/login", data={"csrf_token": token, "locale": "en"})
    assert response.headers["Location"] == "/login"
    assert "Sign in" in text(client.get("/login"))


def test_a_signed_in_users_choice_is_stored_with_the_account(login_as, db):
    from tests.helpers import get_user

    client = login_as("mediator")
    client.post("/language", data={"csrf_token": csrf_token(client, "/"), "locale": "en"})
    assert get_user(db, "sprachmittlung@demo.example").locale == "en"
    assert "Sign out" in text(client.get("/"))
