"""A mediator's own pages: the start page with deployability, profile, guidelines, availability,
and the coordinator's version of the availability page."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from pool.db import utcnow
from pool.markdown import render_markdown
from pool.models import AuditEvent, Guideline, GuidelineAcknowledgement, Mediator, Training
from pool.services import mediators as registry
from pool.services.mediators import add_months
from pool.services.users import create_user
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, town, user
from tests.helpers import fresh, text

MEDIATOR = "sprachmittlung@demo.example"


@pytest.fixture
def ready(app, db, demo):
    return catalogue(app, db)


@pytest.fixture
def me(app, db, ready):
    """The demo mediator (who can sign in) with a record that passes every check."""
    return deployable_mediator(app, db, pool=district(db), email=MEDIATOR, name="Samira S.")


def _mediator(db, email=MEDIATOR) -> Mediator:
    fresh(db)
    return db.scalars(select(Mediator).where(Mediator.email == email)).one()


def _publish(app, db, code="confidentiality", body="Neue Fassung.", title=None):
    with app.test_request_context():
        guideline = registry.publish_guideline(
            db, actor=user(db, "admin@demo.example"), code=code,
            title=title or "Verschwiegenheitserklärung", body_markdown=body, mandatory=True,
            now=utcnow(),
        )  # fmt: skip
    db.commit()
    return guideline


# --- start page -----------------------------------------------------------------------------------


def test_a_mediator_without_a_record_gets_a_kind_note_everywhere(login_as):
    client = login_as("mediator")
    page = text(client.get("/"))
    assert "noch nicht eingetragen" in page
    assert "einsetzbar." not in page
    for url in ("/me/profile", "/me/guidelines", "/me/availability"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Ihre Angaben fehlen noch" in text(response)


def test_a_deployable_mediator_reads_so_on_the_start_page(app, db, me, login_as):
    page = text(login_as("mediator").get("/"))
    assert "Sie sind zurzeit einsetzbar." in page
    assert "nicht einsetzbar" not in page
    for link in ('href="/me/guidelines"', 'href="/me/availability"', 'href="/me/profile"'):
        assert link in page
    assert "Basisschulung" in page


def test_every_reason_and_what_to_do_is_on_the_start_page(app, db, me, login_as):
    _publish(app, db)
    mediator = _mediator(db)
    with app.test_request_context():
        registry.set_availability(db, actor=mediator.user, mediator=mediator, weekly=[],
                                  absences=[], paused_until=date.today() + timedelta(days=10),
                                  now=utcnow())  # fmt: skip
    db.commit()
    page = text(login_as("mediator").get("/"))
    assert "Sie sind zurzeit nicht einsetzbar." in page
    assert "Sie sind zurzeit einsetzbar." not in page
    assert "Die aktuelle Fassung von „Verschwiegenheitserklärung“ ist noch nicht bestätigt." in page
    assert "Bitte lesen und bestätigen Sie sie unter „Leitlinien“." in page
    assert 'data-reason="paused_until"' in page
    assert "Sie können die Pause auf der Seite „Verfügbarkeit“ beenden." in page
    assert "Was Sie tun können:" in page


def test_an_applicant_sees_that_the_coordination_will_call(app, db, ready, login_as):
    with app.test_request_context():
        registry.create_mediator(
            db, actor=user(db, "koordination@demo.example"), pool=district(db), now=utcnow(),
            invite=False, values={"name": "Samira", "email": MEDIATOR,
                                  "languages": [registry.LanguageSkill("ar", "native")]},
        )  # fmt: skip
    db.commit()
    page = text(login_as("mediator").get("/"))
    assert "Die Bewerbung ist noch nicht freigeschaltet." in page
    assert "Die Koordination meldet sich für ein Erstgespräch." in page
    assert "Das Erstgespräch fehlt noch." in page


def test_a_training_that_expires_soon_is_said_in_words(app, db, me, login_as):
    mediator = _mediator(db)
    health = db.scalars(select(Training).where(Training.code == "health")).one()
    completed = add_months(date.today(), -36) + timedelta(days=20)
    with app.test_request_context():
        registry.record_training(db, actor=user(db, "koordination@demo.example"),
                                 mediator=mediator, training=health, completed_on=completed,
                                 now=utcnow())  # fmt: skip
    db.commit()
    page = text(login_as("mediator").get("/"))
    assert 'data-training="health" data-state="soon"' in page
    assert "läuft bald ab" in page
    assert 'data-training="basic" data-state="valid"' in page


# --- profile --------------------------------------------------------------------------------------


def _profile_form(client, **overrides):
    data = {
        "csrf_token": csrf_token(client, "/me/profile"),
        "phone": "0171 234567",
        "languages-0-code": "ar",
        "languages-0-level": "native",
        "languages-0-dialects": "Levantinisch, Irakisch",
        "languages-1-code": "fr",
        "languages-1-level": "B2",
        "languages-1-dialects": "",
        "german_level": "C1",
        "modes": ["phone", "video"],
        "domains": ["health", "education"],
        "municipalities": "Neustadt\nAltdorf",
        "travel_km": "25",
        "monthly_cap": "4",
        "gender": "female",
        "submit": "Speichern",
    }
    data.update(overrides)
    return data


def test_the_profile_shows_the_record_with_checks_and_trainings(me, login_as):
    page = text(login_as("mediator").get("/me/profile"))
    assert "Samira S." in page and MEDIATOR in page
    assert 'data-status="active"' in page
    assert "Erstgespräch" in page and "Basisschulung" in page
    # Name and e-mail are shown but are no fields of the form.
    assert 'name="name"' not in page and 'name="email"' not in page


def test_a_mediator_changes_the_allowed_fields(app, db, me, login_as):
    client = login_as("mediator")
    response = client.post("/me/profile", data=_profile_form(client))
    assert response.status_code == 302, text(response)
    mediator = _mediator(db)
    assert mediator.phone == "0171 234567"
    assert [(r.language_code, r.level, r.dialects) for r in mediator.languages] == [
        ("ar", "native", ["Levantinisch", "Irakisch"]),
        ("fr", "B2", []),
    ]
    assert mediator.modes == ["phone", "video"]
    assert sorted(mediator.domain_codes) == ["education", "health"]
    assert mediator.municipalities == ["Altdorf", "Neustadt"]
    assert (mediator.travel_km, mediator.monthly_cap, mediator.gender) == (25, 4, "female")
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "mediator.updated").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.details["by_self"] is True


def test_a_forged_post_of_name_status_or_checks_changes_nothing_of_them(app, db, me, login_as):
    client = login_as("mediator")
    before = _mediator(db)
    interview = before.interview_on
    response = client.post(
        "/me/profile",
        data=_profile_form(client, name="Hacker", email="evil@example.com", status="left",
                           kind="staff", interview_on="2000-01-01", notes="x", pool_id="999"),
    )  # fmt: skip
    assert response.status_code == 302
    mediator = _mediator(db)
    assert (mediator.name, mediator.email, mediator.status, mediator.kind) == (
        "Samira S.", MEDIATOR, "active", "volunteer",
    )  # fmt: skip
    assert mediator.interview_on == interview and mediator.notes is None
    assert mediator.phone == "0171 234567"  # the allowed part was saved


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"travel_km": "viele"}, "ganze Zahl von 0 bis 1000"),
        ({"monthly_cap": "99999999999999999999"}, "ganze Zahl von 0 bis 1000"),
        ({"phone": "0171\x00"}, "Steuerzeichen"),
        ({"languages-0-level": ""}, "Bitte wählen Sie ein Niveau."),
        ({"languages-0-code": "xx"}, "Bitte wählen Sie einen Eintrag aus der Liste."),
        ({"languages-1-code": "ar"}, "Jede Sprache bitte nur einmal angeben."),
        ({"modes": []}, "mindestens eine Einsatzart"),
        ({"domains": ["space"]}, "nur Einträge aus der Liste"),
        ({"gender": "other"}, "Bitte wählen Sie einen Eintrag aus der Liste."),
        ({"municipalities": "x" * 3000}, "Höchstens 2000 Zeichen."),
    ],
)
def test_bad_profile_input_is_a_form_error_and_keeps_the_input(me, login_as, overrides, message):
    client = login_as("mediator")
    response = client.post("/me/profile", data=_profile_form(client, **overrides))
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert 'class="error-summary"' in page
    assert "0171" in page or "phone" in overrides


def test_the_add_language_button_adds_a_row_and_saves_nothing(app, db, me, login_as):
    client = login_as("mediator")
    data = _profile_form(client, add_language="Weitere Sprache hinzufügen")
    data.update({"languages-2-code": "", "languages-2-level": "", "languages-2-dialects": ""})
    del data["submit"]
    response = client.post("/me/profile", data=data)
    assert response.status_code == 200
    page = text(response)
    assert 'name="languages-2-code"' in page and 'name="languages-3-code"' in page
    assert _mediator(db).phone is None


# --- guidelines -----------------------------------------------------------------------------------


def _acknowledge(client, guideline_id):
    token = csrf_token(client, "/me/guidelines")
    return client.post(f"/me/guidelines/{guideline_id}/acknowledge", data={"csrf_token": token})


def test_guidelines_render_markdown_and_show_the_acknowledgement(me, login_as):
    page = text(login_as("mediator").get("/me/guidelines"))
    assert "Ich bewahre <strong>Stillschweigen</strong>." in page
    assert "Bestätigt am" in page
    assert "Gelesen und bestätigt" not in page  # all current versions are acknowledged


def test_a_new_version_needs_a_new_acknowledgement_and_the_history_stays(app, db, me, login_as):
    old = db.scalars(
        select(Guideline).where(Guideline.code == "confidentiality", Guideline.current)
    ).one()
    old_id = old.id
    new = _publish(app, db, body="Version **zwei**.")
    new_id = new.id
    assert _mediator(db).deployable is False
    client = login_as("mediator")
    page = text(client.get("/me/guidelines"))
    assert "Gelesen und bestätigt" in page
    assert f'action="/me/guidelines/{new_id}/acknowledge"' in page

    response = _acknowledge(client, new_id)
    assert response.status_code == 302
    mediator = _mediator(db)
    acknowledged = {a.guideline_id for a in mediator.acknowledgements}
    assert {old_id, new_id} <= acknowledged
    assert mediator.deployable is True
    page = text(client.get("/me/guidelines"))
    assert "Gelesen und bestätigt" not in page
    assert "ältere Fassung" in page  # the history keeps the first version
    assert "Sie sind zurzeit einsetzbar." in text(client.get("/"))


def test_acknowledging_twice_or_an_old_version_records_nothing_new(app, db, me, login_as):
    old_id = db.scalars(
        select(Guideline.id).where(Guideline.code == "confidentiality", Guideline.current)
    ).one()
    new_id = _publish(app, db).id
    client = login_as("mediator")
    count = len(_mediator(db).acknowledgements)
    response = _acknowledge(client, old_id)  # no longer current
    assert response.status_code == 302
    assert "neuere Fassung" in text(client.get("/me/guidelines"))
    assert len(_mediator(db).acknowledgements) == count
    assert _acknowledge(client, new_id).status_code == 302
    assert _acknowledge(client, new_id).status_code == 302
    assert len(_mediator(db).acknowledgements) == count + 1
    assert _acknowledge(client, 2**40).status_code == 404
    assert client.get(f"/me/guidelines/{new_id}/acknowledge").status_code == 405


def test_acknowledging_needs_the_csrf_token(app, db, me, login_as):
    new_id = _publish(app, db).id
    client = login_as("mediator")
    client.post(f"/me/guidelines/{new_id}/acknowledge", data={})
    fresh(db)
    assert (
        db.scalars(
            select(GuidelineAcknowledgement).where(GuidelineAcknowledgement.guideline_id == new_id)
        ).all()
        == []
    )


HOSTILE = """# Titel

<script>alert(1)</script>
<img src=x onerror="alert(2)">
<a href="javascript:alert(3)">roh</a>
[klick](javascript:alert(4)) [auch](JAVASCRIPT:alert(5)) [daten](data:text/html;base64,PHNjcmlwdD4=)
<javascript:alert(6)>
[gut](https://example.org/regeln)
"""


def _live_markup(html: str) -> list[str]:
    """Tags in ``html`` that a browser would run or follow: script, img, event handlers and links
    to javascript: or data: URLs (escaped text such as ``&lt;script&gt;`` is not a tag)."""
    lowered = html.lower()
    return re.findall(r"<script|<img|<iframe|<[a-z][^>]*\son\w+\s*=", lowered) + re.findall(
        r"<a\s[^>]*href\s*=\s*[\"']?\s*(?:javascript|data|vbscript):", lowered
    )


def test_markdown_renders_hostile_input_inert():
    html = str(render_markdown(HOSTILE))
    assert _live_markup(html) == []
    assert "&lt;script&gt;" in html  # shown as text, never run
    assert '<a href="https://example.org/regeln" rel="noopener noreferrer">gut</a>' in html
    assert "<h3>Titel</h3>" in html  # headings sit below the page's own
    assert str(render_markdown(None)) == ""
    # The check itself finds live markup.
    assert _live_markup('<a href="javascript:x">a</a><img src=x onerror=y>')


def test_a_hostile_guideline_is_inert_on_the_page(app, db, me, login_as):
    _publish(app, db, code="code_of_conduct", body=HOSTILE, title="Leitlinien")
    page = text(login_as("mediator").get("/me/guidelines"))
    assert "<script>alert" not in page
    assert _live_markup(page) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- availability ---------------------------------------------------------------------------------


def _availability_form(client, url="/me/availability", **overrides):
    data = {
        "csrf_token": csrf_token(client, url),
        "weekly-0-weekday": "0",
        "weekly-0-start": "09:00",
        "weekly-0-end": "12:30",
        "weekly-1-weekday": "3",
        "weekly-1-start": "14:00",
        "weekly-1-end": "18:00",
        "weekly-2-weekday": "",
        "weekly-2-start": "",
        "weekly-2-end": "",
        "absences-0-start_date": "2030-07-01",
        "absences-0-end_date": "2030-07-14",
        "absences-0-note": "Urlaub",
        "absences-1-start_date": "",
        "absences-1-end_date": "",
        "absences-1-note": "",
        "paused_until": "",
        "submit": "Speichern",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_availability_rows_are_saved_and_shown_again(app, db, me, login_as):
    client = login_as("mediator")
    response = client.post("/me/availability", data=_availability_form(client))
    assert response.status_code == 302, text(response)
    mediator = _mediator(db)
    assert [(w.weekday, w.start, w.end) for w in mediator.availability] == [
        (0, time(9), time(12, 30)),
        (3, time(14), time(18)),
    ]
    assert [(a.start_date, a.end_date, a.note) for a in mediator.absences] == [
        (date(2030, 7, 1), date(2030, 7, 14), "Urlaub")
    ]
    assert mediator.paused_until is None
    page = text(client.get("/me/availability"))
    assert 'value="12:30"' in page and 'value="2030-07-14"' in page
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "mediator.availability_changed")
        .order_by(AuditEvent.id)
    ).all()[-1]
    assert event.details == {"on_behalf": False}


def test_a_row_can_be_removed_and_a_pause_set_and_ended(app, db, me, login_as):
    client = login_as("mediator")
    pause = (date.today() + timedelta(days=20)).isoformat()
    data = _availability_form(client, **{"weekly-1-remove": "y", "paused_until": pause})
    assert client.post("/me/availability", data=data).status_code == 302
    mediator = _mediator(db)
    assert [w.weekday for w in mediator.availability] == [0]
    assert mediator.paused_until.isoformat() == pause
    assert mediator.deployable is False
    page = text(client.get("/me/availability"))
    assert "Pause beenden und speichern" in page

    data = _availability_form(client, paused_until=pause, end_pause="Pause beenden")
    del data["submit"]
    assert client.post("/me/availability", data=data).status_code == 302
    mediator = _mediator(db)
    assert mediator.paused_until is None and mediator.deployable is True


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"weekly-0-end": "08:00"}, "Das Ende muss nach dem Beginn liegen."),
        ({"weekly-0-start": "25:00"}, "Bitte geben Sie eine Uhrzeit wie 09:30 ein."),
        ({"weekly-0-start": "09:00\x00"}, "Steuerzeichen"),
        ({"weekly-0-weekday": "7"}, "Bitte wählen Sie einen Eintrag aus der Liste."),
        ({"weekly-0-weekday": "99999999999999999999999"}, "Eintrag aus der Liste"),
        ({"weekly-0-weekday": ""}, "Bitte wählen Sie einen Wochentag."),
        ({"weekly-0-end": ""}, "Bitte geben Sie das Ende ein."),
        ({"absences-0-end_date": "2030-06-01"}, "Das Ende darf nicht vor dem Beginn liegen."),
        ({"absences-0-start_date": "2030-02-30"}, "Bitte geben Sie ein Datum wie 31.12.2026 ein."),
        ({"absences-0-start_date": "99999-01-01"}, "Datum wie 31.12.2026"),
        ({"absences-0-note": "x" * 201}, "Höchstens 200 Zeichen."),
        ({"paused_until": "2001-01-01"}, "in der Vergangenheit"),
        ({"paused_until": "morgen"}, "Datum wie 31.12.2026"),
    ],
)
def test_invalid_availability_is_a_form_error_not_a_500(app, db, me, login_as, overrides, message):
    client = login_as("mediator")
    before = [(w.weekday, w.start) for w in _mediator(db).availability]
    response = client.post("/me/availability", data=_availability_form(client, **overrides))
    assert response.status_code == 400
    page = text(response)
    assert message in page and 'class="error-summary"' in page
    assert [(w.weekday, w.start) for w in _mediator(db).availability] == before


def test_forged_row_indices_and_too_many_rows_do_not_break_the_page(me, login_as):
    client = login_as("mediator")
    data = _availability_form(client)
    data["weekly-99999999999999999999-weekday"] = "1"
    data["weekly-99999999999999999999-start"] = "08:00"
    data["weekly-99999999999999999999-end"] = "09:00"
    for i in range(10, 80):
        data[f"absences-{i}-note"] = "x"
    response = client.post("/me/availability", data=data)
    assert response.status_code in (302, 400)


def test_the_add_row_buttons_add_rows_without_saving(app, db, me, login_as):
    client = login_as("mediator")
    data = _availability_form(client, add_window="Weitere Zeit hinzufügen")
    del data["submit"]
    response = client.post("/me/availability", data=data)
    assert response.status_code == 200
    assert 'name="weekly-3-weekday"' in text(response)
    assert [w.weekday for w in _mediator(db).availability] == [0, 1, 2, 3, 4]  # unchanged


def test_the_coordinator_edits_availability_on_behalf(app, db, me, login_as):
    mediator_id = _mediator(db).id
    client = login_as("coordinator")
    url = f"/mediators/{mediator_id}/availability"
    page = text(client.get(url))
    assert "Sie bearbeiten die Verfügbarkeit von Samira S." in page
    response = client.post(url, data=_availability_form(client, url))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(url)
    mediator = _mediator(db)
    assert [w.weekday for w in mediator.availability] == [0, 3]
    event = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "mediator.availability_changed")
        .order_by(AuditEvent.id)
    ).all()[-1]
    assert event.details == {"on_behalf": True}
    assert event.actor_id == user(db, "koordination@demo.example").id


def test_others_may_not_edit_a_mediators_availability(app, db, me, demo, client):
    mediator_id = _mediator(db).id
    url = f"/mediators/{mediator_id}/availability"
    assert client.get(url).status_code == 302  # not signed in: to the sign-in page
    with app.test_request_context():
        create_user(db, actor=None, email="stadt@demo.example", name="Stadt Koordination",
                    grants=[("coordinator", town(db).id, None)], password=demo.password,
                    invite=False, now=utcnow())  # fmt: skip
    db.commit()
    # A coordinator of a pool the district shares with (read access only), a caseworker and the
    # mediator themselves (who use their own page) may not.
    for email in ("stadt@demo.example", demo.caseworker, demo.mediator):
        other = app.test_client()
        assert login(other, email).status_code == 302
        assert other.get(url).status_code == 403, email
        token = csrf_token(other, "/")
        assert other.post(url, data={"csrf_token": token}).status_code == 403, email
    fresh(db)
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).all(), (
        "denied access is recorded"
    )
    admin = app.test_client()
    login(admin, demo.admin)
    assert admin.get(url).status_code == 200
    assert admin.get("/mediators/99999999999/availability").status_code == 404
    assert admin.get("/mediators/0/availability").status_code == 404


def test_the_own_pages_need_the_mediator_role(login_as):
    client = login_as("caseworker")
    for url in ("/me/profile", "/me/guidelines", "/me/availability"):
        assert client.get(url).status_code == 403


# --- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_the_pages_are_accessible_on_a_phone_and_availability_is_saved(app, db, me, demo, page,
                                                                        live_url):  # fmt: skip
    from playwright.sync_api import expect

    from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

    new_version = _publish(app, db, body="## Neu\n\nBitte **neu** bestätigen.").id
    page.set_viewport_size(PHONE)

    page.goto(live_url + "/mitmachen/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprachmittler:in werden")
    assert_accessible(page, "the public application page")
    assert_no_horizontal_scroll(page, "the public application page")
    page.get_by_role("button", name="Bewerbung absenden").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte geben Sie Ihren Namen ein.")
    assert_accessible(page, "the public application page with errors")
    assert_no_horizontal_scroll(page, "the public application page with errors")

    sign_in(page, live_url, demo.mediator, demo.password)
    section = page.locator('section[data-role="mediator"]')
    expect(section).to_contain_text("Sie sind zurzeit nicht einsetzbar.")
    expect(section).to_contain_text("Bitte lesen und bestätigen Sie sie unter „Leitlinien“.")
    assert_accessible(page, "the mediator's start page")
    assert_no_horizontal_scroll(page, "the mediator's start page")

    section.get_by_role("link", name="Leitlinien lesen und bestätigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Leitlinien")
    assert_accessible(page, "the guidelines page")
    assert_no_horizontal_scroll(page, "the guidelines page")
    button = page.get_by_role("button", name="Gelesen und bestätigt")
    expect(button).to_have_count(1)
    button.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Danke!")
    expect(page.get_by_role("button", name="Gelesen und bestätigt")).to_have_count(0)
    assert new_version in {a.guideline_id for a in _mediator(db).acknowledgements}

    page.goto(live_url + "/")
    expect(page.locator('[data-deployable="yes"]')).to_contain_text("Sie sind zurzeit einsetzbar.")

    page.goto(live_url + "/me/profile")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Angaben")
    assert_accessible(page, "the mediator's profile page")
    assert_no_horizontal_scroll(page, "the mediator's profile page")

    page.goto(live_url + "/me/availability")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Verfügbarkeit")
    assert_accessible(page, "the availability page")
    assert_no_horizontal_scroll(page, "the availability page")
    # The script adds a row in the page (no request), numbered after the existing ones.
    rows = page.locator('[data-rows="weekly"] [data-row]')
    count = rows.count()
    page.get_by_role("button", name="Weitere Zeit hinzufügen").click()
    expect(rows).to_have_count(count + 1)
    new_row = rows.nth(count)
    expect(new_row.get_by_label("Wochentag")).to_be_focused()
    new_row.get_by_label("Wochentag").select_option(label="Samstag")
    page.keyboard.press("Tab")
    expect(new_row.get_by_label("von")).to_be_focused()
    new_row.get_by_label("von").fill("10:00")
    new_row.get_by_label("bis").fill("12:30")
    # Remove Monday with the mouse, enter an absence with the keyboard.
    rows.nth(0).get_by_label("Diese Zeit löschen").check()
    absence = page.locator('[data-rows="absences"] [data-row]').first
    absence.get_by_label("vom").fill("2030-08-01")
    absence.get_by_label("bis einschließlich").fill("2030-08-10")
    absence.get_by_label("Notiz").fill("Reise")
    page.keyboard.press("Enter")  # saves (the first button of the form only adds a row)
    expect(page.get_by_role("status")).to_contain_text("Ihre Verfügbarkeit ist gespeichert.")
    assert_accessible(page, "the availability page after saving")

    mediator = _mediator(db)
    assert [(w.weekday, w.start, w.end) for w in mediator.availability] == [
        (1, time(8), time(18)),
        (2, time(8), time(18)),
        (3, time(8), time(18)),
        (4, time(8), time(18)),
        (5, time(10), time(12, 30)),
    ]
    assert [(a.start_date, a.note) for a in mediator.absences] == [(date(2030, 8, 1), "Reise")]

    # An invalid entry is shown in the error summary and the field is marked.
    rows.nth(0).get_by_label("bis").fill("07:00")
    page.get_by_role("button", name="Speichern", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Das Ende muss nach dem Beginn liegen.")
    assert_accessible(page, "the availability page with an error")
    assert_no_horizontal_scroll(page, "the availability page with an error")
