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


def test_every_text_of_the_interface_has_an_english_translation(tmp_path):
    """Extract the texts from the code and templates as `make extract-messages` does and check
    that the English catalogue translates every one of them."""
    import subprocess
    import sys
    from pathlib import Path

    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--no-location", "-o", str(pot), "."],
        cwd=root, check=True, capture_output=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    with (root / "pool/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f)
    translated = {
        m.id
        for m in catalogue
        if m.id and not m.fuzzy and (all(m.string) if isinstance(m.string, tuple) else m.string)
    }
    missing = sorted(str(i) for i in wanted - translated)
    assert not missing, f"run `make extract-messages` and translate: {missing[:10]}"
