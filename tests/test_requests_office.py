"""The office's request pages: list, request form (and series), intake refusals on the form,
permissions, change, cancel, the outcome afterwards, hostile input, and a browser journey."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import func, select, update

from pool.db import utcnow
from pool.demo import DEMO_PASSWORD
from pool.i18n import BERLIN
from pool.models import Assignment, InterpretingRequest, Office, OutboxMessage, User
from pool.security import hash_password
from pool.services import booking
from pool.services import requests as intake
from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, user
from tests.helpers import fresh, text

CASEWORKER = "sachbearbeitung@demo.example"
COORDINATOR = "koordination@demo.example"
MEDIATOR = "amal@example.org"


def appointment_day() -> date:
    """Next Tuesday plus two weeks: well beyond the lead time, on a weekday morning."""
    today = datetime.now(BERLIN).date()
    return today + timedelta(days=(1 - today.weekday()) % 7 or 7) + timedelta(days=14)


def starts_at(day: date | None = None, hour: int = 10) -> datetime:
    return datetime.combine(day or appointment_day(), time(hour), tzinfo=BERLIN)


def office(db, name: str) -> Office:
    return next(o for o in district(db).offices if o.name == name)


def values(**changes) -> dict:
    base = {
        "language": "ar",
        "starts_at": starts_at(),
        "duration_minutes": 60,
        "mode": "in_person",
        "municipality": "Neustadt",
        "address": "Rathausplatz 1, Raum 12",
        "domain": "social_services",
        "setting": "counselling",
        "professional_present": True,
        "case_ref": "JA-2027-0042",
        "notes": "Bitte am Empfang melden.",
    }
    base.update(changes)
    return base


def create(app, db, *, office_name="Jugendamt", actor=CASEWORKER, **changes):
    with app.test_request_context():
        (item,) = intake.create_request(
            db, actor=user(db, actor), office=office(db, office_name), values=values(**changes),
            now=utcnow(),
        )  # fmt: skip
    db.commit()
    return item


def form_data(token: str, **changes) -> dict:
    data = {
        "csrf_token": token,
        "language": "ar",
        "dialect": "",
        "day": appointment_day().isoformat(),
        "start": "10:00",
        "duration_minutes": "60",
        "mode": "in_person",
        "municipality": "Neustadt",
        "address": "Rathausplatz 1, Raum 12",
        "domain": "social_services",
        "setting": "counselling",
        "gender_preference": "",
        "professional_present": "y",
        "case_ref": "JA-77",
        "notes": "Bitte am Empfang melden.",
        "repeat": "",
        "count": "6",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def requests_of(db) -> list[InterpretingRequest]:
    fresh(db)
    return list(db.scalars(select(InterpretingRequest).order_by(InterpretingRequest.id)))


def kinds(db, email: str) -> list[str]:
    fresh(db)
    return list(
        db.scalars(
            select(OutboxMessage.kind)
            .where(OutboxMessage.recipient == email)
            .order_by(OutboxMessage.id)
        )
    )


@pytest.fixture
def world(app, db, demo):
    catalogue(app, db)
    mediator = deployable_mediator(app, db, pool=district(db), email=MEDIATOR, name="Amal Haddad")
    return mediator


def assign(app, db, item: InterpretingRequest, mediator) -> Assignment:
    with app.test_request_context():
        assignment = booking.assign_directly(
            db, actor=user(db, COORDINATOR), request=item, mediator=mediator,
            reason="telefonisch", now=utcnow(),
        )  # fmt: skip
    db.commit()
    return assignment


# --- creating ---------------------------------------------------------------------------------


def test_a_caseworker_requests_an_interpreter_and_sees_it_listed(client, db, world):
    login(client, CASEWORKER)
    page = text(client.get("/requests/new"))
    assert "Eine Fachkraft unserer Dienststelle ist dabei und leitet das Gespräch" in page
    assert "Jugendamt" in page and 'name="office_id"' not in page  # one office: fixed
    assert "keine Angaben zur Gesundheit" in page
    assert "Gericht" in page  # excluded settings are listed, so the refusal can explain
    token = csrf_token(client, "/requests/new")
    response = client.post("/requests/new", data=form_data(token))
    assert response.status_code == 302, text(response)
    (item,) = requests_of(db)
    assert response.headers["Location"].endswith(f"/requests/{item.id}")
    assert (item.office.name, item.language_code, item.case_ref) == ("Jugendamt", "ar", "JA-77")
    assert item.starts_at == starts_at().astimezone(UTC)
    assert item.status == "open" and item.candidates_at_intake == 1
    detail = text(client.get(f"/requests/{item.id}"))
    assert "Wir suchen eine Person" in detail and "Rathausplatz 1, Raum 12" in detail
    assert "Anfrage absagen" in detail and "Anfrage ändern" in detail
    listing = text(client.get("/requests/"))
    assert f"/requests/{item.id}" in listing and "Arabisch" in listing
    assert "Kommende Termine" in listing and "noch offen" in listing
    assert "request_received" in kinds(db, CASEWORKER)


def test_a_weekly_series_makes_one_request_per_date(client, db, world):
    login(client, CASEWORKER)
    token = csrf_token(client, "/requests/new")
    response = client.post("/requests/new", data=form_data(token, repeat="7", count="3"))
    assert response.status_code == 302, text(response)
    items = requests_of(db)
    assert len(items) == 3 and len({r.series_id for r in items}) == 1
    days = [r.starts_at.astimezone(BERLIN).date() for r in items]
    assert days == [appointment_day() + timedelta(days=7 * k) for k in range(3)]
    assert all(r.starts_at.astimezone(BERLIN).time() == time(10) for r in items)
    detail = text(client.get(f"/requests/{items[0].id}"))
    assert "Terminreihe" in detail and "Reihe mit 3 Terminen" in detail
    for other in items[1:]:
        assert f"/requests/{other.id}" in detail
    listing = text(client.get("/requests/"))
    assert all(f"/requests/{r.id}" in listing for r in items)


def test_intake_refusals_are_shown_with_every_reason_and_the_input_is_kept(client, db, world):
    login(client, CASEWORKER)
    token = csrf_token(client, "/requests/new")
    response = client.post(
        "/requests/new",
        data=form_data(token, setting="court", professional_present=None, case_ref="AZ-4711",
                       notes="Zweiter Stock", urgent="y", urgent_reason=""),
    )  # fmt: skip
    assert response.status_code == 400
    page = text(response)
    assert "Bitte prüfen Sie Ihre Eingaben" in page
    assert "vereidigte Dolmetscher:innen" in page and "justiz-dolmetscher.de" in page
    assert "Eine Fachkraft Ihrer Stelle muss beim Gespräch dabei sein" in page
    assert "warum die Anfrage dringend ist" in page
    assert 'value="AZ-4711"' in page and "Zweiter Stock" in page
    assert re.search(r'<option selected value="court">|<option value="court" selected>', page)
    assert requests_of(db) == []


def test_a_broken_field_does_not_hide_the_other_reasons(client, db, world):
    login(client, CASEWORKER)
    token = csrf_token(client, "/requests/new")
    response = client.post(
        "/requests/new", data=form_data(token, day="31.02.2027", language="", setting="police")
    )
    assert response.status_code == 400
    page = text(response)
    assert "Bitte geben Sie ein Datum wie 31.12.2026 ein." in page
    assert "Bitte geben Sie „Sprache“ an." in page
    assert "vereidigte Dolmetscher:innen" in page
    assert "Bitte geben Sie „Datum und Uhrzeit“ an." not in page  # the date error says enough


def test_the_lead_time_is_explained_and_urgent_lets_it_through(client, db, world):
    login(client, CASEWORKER)
    tomorrow = (datetime.now(BERLIN) + timedelta(days=1)).date().isoformat()
    token = csrf_token(client, "/requests/new")
    response = client.post("/requests/new", data=form_data(token, day=tomorrow))
    assert response.status_code == 400
    assert "Arbeitstage Vorlauf" in text(response)
    response = client.post(
        "/requests/new",
        data=form_data(token, day=tomorrow, urgent="y", urgent_reason="Hilfeplan morgen"),
    )
    assert response.status_code == 302, text(response)
    (item,) = requests_of(db)
    assert item.urgent and item.urgent_reason == "Hilfeplan morgen"


def test_a_coordinator_asks_on_behalf_of_an_office_of_the_pool(client, db, world):
    login(client, COORDINATOR)
    page = text(client.get("/requests/new"))
    assert 'name="office_id"' in page and "Sozialamt" in page
    assert "Bürgerbüro Neustadt" not in page  # another pool's office
    token = csrf_token(client, "/requests/new")
    response = client.post("/requests/new", data=form_data(token))
    assert response.status_code == 400 and "Bitte wählen Sie die Dienststelle." in text(response)
    sozialamt = office(db, "Sozialamt")
    response = client.post("/requests/new", data=form_data(token, office_id=str(sozialamt.id)))
    assert response.status_code == 302, text(response)
    (item,) = requests_of(db)
    assert item.office_id == sozialamt.id
    fresh(db)
    town_office = db.scalars(select(Office).where(Office.name == "Bürgerbüro Neustadt")).one()
    response = client.post("/requests/new", data=form_data(token, office_id=str(town_office.id)))
    assert response.status_code == 400  # not a choice of theirs
    assert len(requests_of(db)) == 1
    # The list has an office filter.
    create(db=db, app=client.application, office_name="Jugendamt")
    listing = text(client.get("/requests/"))
    assert 'name="office"' in listing and listing.count('href="/requests/') >= 3
    filtered = text(client.get(f"/requests/?office={sozialamt.id}"))
    assert f"/requests/{item.id}" in filtered
    assert filtered.count("Nr. ") == 1


# --- permissions ------------------------------------------------------------------------------


def test_a_request_of_another_office_is_forbidden(app, client, db, world):
    other = create(app, db, office_name="Sozialamt", actor=COORDINATOR)
    login(client, CASEWORKER)
    assert client.get(f"/requests/{other.id}").status_code == 403
    assert client.get(f"/requests/{other.id}/edit").status_code == 403
    token = csrf_token(client, "/requests/new")
    for action in ("cancel", "outcome", "edit"):
        response = client.post(f"/requests/{other.id}/{action}", data={"csrf_token": token,
                                                                        "reason": "x"})  # fmt: skip
        assert response.status_code == 403
    assert f"/requests/{other.id}" not in text(client.get("/requests/"))
    assert requests_of(db)[0].status == "open"


def test_a_mediator_following_a_link_gets_their_own_page(app, client, db, world):
    item = create(app, db)
    assignment = assign(app, db, item, world)
    fresh(db)
    with app.app_context():
        password_hash = hash_password(DEMO_PASSWORD)
    db.execute(update(User).where(User.id == world.user_id).values(password_hash=password_hash))
    db.commit()
    login(client, MEDIATOR)
    response = client.get(f"/requests/{item.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/requests/assignments/{assignment.id}")
    assert client.get(f"/requests/{item.id}/edit").status_code == 403
    stranger = app.test_client()
    login(stranger, "sprachmittlung@demo.example")  # a mediator with nothing to do with it
    assert stranger.get(f"/requests/{item.id}").status_code == 403


# --- change and cancel ------------------------------------------------------------------------


def test_changing_the_address_tells_the_assigned_mediator(app, client, db, world):
    item = create(app, db)
    assign(app, db, item, world)
    login(client, CASEWORKER)
    page = text(client.get(f"/requests/{item.id}"))
    assert "Es kommt:" in page and "Amal Haddad" in page
    assert "Amal Haddad" in text(client.get("/requests/"))
    edit = text(client.get(f"/requests/{item.id}/edit"))
    assert "Rathausplatz 1, Raum 12" in edit and "Welche Termine" not in edit
    token = csrf_token(client, f"/requests/{item.id}/edit")
    data = {"csrf_token": token, "day": appointment_day().isoformat(), "start": "10:00",
            "duration_minutes": "60", "mode": "in_person", "municipality": "Neustadt",
            "address": "Rathausplatz 2, Raum 3", "notes": "Bitte am Empfang melden."}  # fmt: skip
    response = client.post(f"/requests/{item.id}/edit", data=data)
    assert response.status_code == 302, text(response)
    (item,) = requests_of(db)
    assert item.address == "Rathausplatz 2, Raum 3" and item.status == "assigned"
    assert kinds(db, MEDIATOR)[-1] == "request_changed"
    # Nothing changed: nothing sent.
    before = kinds(db, MEDIATOR)
    response = client.post(f"/requests/{item.id}/edit", data={**data, "address": item.address})
    assert response.status_code == 302 and kinds(db, MEDIATOR) == before


def test_a_new_time_releases_the_mediator_and_asks_again(app, client, db, world):
    item = create(app, db)
    assign(app, db, item, world)
    login(client, CASEWORKER)
    token = csrf_token(client, f"/requests/{item.id}/edit")
    data = {"csrf_token": token, "day": appointment_day().isoformat(), "start": "14:00",
            "duration_minutes": "90", "mode": "in_person", "municipality": "Neustadt",
            "address": "Rathausplatz 1, Raum 12", "notes": ""}  # fmt: skip
    response = client.post(f"/requests/{item.id}/edit", data=data)
    assert response.status_code == 302, text(response)
    (item,) = requests_of(db)
    assert item.starts_at == starts_at(hour=14).astimezone(UTC)
    assert item.duration_minutes == 90 and item.notes is None
    assert item.status == "offered"
    assert kinds(db, MEDIATOR)[-2:] == ["assignment_cancelled", "offer_new"]
    assert "Angefragt" in text(client.get(f"/requests/{item.id}"))


def test_a_change_that_breaks_a_rule_is_shown_with_the_input_kept(app, client, db, world):
    item = create(app, db)
    login(client, CASEWORKER)
    token = csrf_token(client, f"/requests/{item.id}/edit")
    data = {"csrf_token": token, "day": appointment_day().isoformat(), "start": "10:00",
            "duration_minutes": "60", "mode": "in_person", "municipality": "",
            "address": "", "notes": "Neuer Hinweis"}  # fmt: skip
    response = client.post(f"/requests/{item.id}/edit", data=data)
    assert response.status_code == 400
    page = text(response)
    assert "Für einen Termin vor Ort brauchen wir" in page and "Neuer Hinweis" in page
    assert requests_of(db)[0].municipality == "Neustadt"


def test_a_series_can_be_changed_together(client, db, world):
    login(client, CASEWORKER)
    token = csrf_token(client, "/requests/new")
    client.post("/requests/new", data=form_data(token, repeat="14", count="3"))
    first, *rest = requests_of(db)
    edit = text(client.get(f"/requests/{first.id}/edit"))
    assert "Welche Termine wollen Sie ändern?" in edit
    data = {"csrf_token": token, "scope": "series", "day": appointment_day().isoformat(),
            "start": "11:30", "duration_minutes": "60", "mode": "phone", "municipality": "",
            "address": "", "notes": "Bitte am Empfang melden."}  # fmt: skip
    response = client.post(f"/requests/{first.id}/edit", data=data)
    assert response.status_code == 302, text(response)
    items = requests_of(db)
    assert [r.mode for r in items] == ["phone"] * 3
    assert [r.starts_at.astimezone(BERLIN).time() for r in items] == [time(11, 30)] * 3
    response = client.post(f"/requests/{items[1].id}/edit", data={**data, "scope": "one",
                                                                   "start": "09:00"})  # fmt: skip
    assert response.status_code == 302
    times = [r.starts_at.astimezone(BERLIN).time() for r in requests_of(db)]
    assert times == [time(11, 30), time(9), time(11, 30)]


def test_cancelling_needs_a_reason_and_tells_the_mediator(app, client, db, world):
    item = create(app, db)
    assign(app, db, item, world)
    login(client, CASEWORKER)
    token = csrf_token(client, f"/requests/{item.id}")
    response = client.post(f"/requests/{item.id}/cancel", data={"csrf_token": token, "reason": ""})
    assert response.status_code == 400 and "Bitte geben Sie einen Grund an." in text(response)
    response = client.post(
        f"/requests/{item.id}/cancel",
        data={"csrf_token": token, "reason": "Familie ist umgezogen"},
    )
    assert response.status_code == 302
    (item,) = requests_of(db)
    assert (item.status, item.cancelled_by, item.cancel_reason) == (
        "cancelled", "office", "Familie ist umgezogen"
    )  # fmt: skip
    assert kinds(db, MEDIATOR)[-1] == "assignment_cancelled"
    page = text(client.get(f"/requests/{item.id}"))
    assert "Abgesagt von Ihrer Dienststelle" in page and "Familie ist umgezogen" in page
    assert "Anfrage ändern" not in page and 'action="/requests/' not in page
    response = client.post(f"/requests/{item.id}/cancel",
                           data={"csrf_token": token, "reason": "noch mal"})  # fmt: skip
    assert response.status_code == 409


def test_cancelling_a_series_from_one_date_on(client, db, world):
    login(client, CASEWORKER)
    token = csrf_token(client, "/requests/new")
    client.post("/requests/new", data=form_data(token, repeat="7", count="4"))
    items = requests_of(db)
    response = client.post(
        f"/requests/{items[1].id}/cancel",
        data={"csrf_token": token, "reason": "Maßnahme beendet", "whole_series": "y"},
    )
    assert response.status_code == 302
    assert [r.status for r in requests_of(db)] == ["open", "cancelled", "cancelled", "cancelled"]


# --- outcome ----------------------------------------------------------------------------------


def move_into_past(db, item: InterpretingRequest) -> None:
    start = utcnow() - timedelta(days=1)
    end = start + timedelta(minutes=item.duration_minutes)
    fresh(db)
    db.execute(
        update(InterpretingRequest)
        .where(InterpretingRequest.id == item.id)
        .values(starts_at=start, ends_at=end)
    )
    db.execute(
        update(Assignment).where(Assignment.request_id == item.id).values(starts_at=start,
                                                                          ends_at=end)
    )  # fmt: skip
    db.commit()


def test_after_the_appointment_the_office_reports_the_outcome(app, client, db, world):
    item = create(app, db)
    assign(app, db, item, world)
    login(client, CASEWORKER)
    assert "Wie ist der Termin gelaufen?" not in text(client.get(f"/requests/{item.id}"))
    move_into_past(db, item)
    page = text(client.get(f"/requests/{item.id}"))
    assert "Wie ist der Termin gelaufen?" in page and "Anfrage absagen" not in page
    listing = text(client.get("/requests/"))
    assert "Vergangene Termine" in listing and "Bitte melden Sie" in listing
    token = csrf_token(client, f"/requests/{item.id}")
    response = client.post(f"/requests/{item.id}/outcome",
                           data={"csrf_token": token, "outcome": "took_place"})  # fmt: skip
    assert response.status_code == 400
    assert "wie lange der Termin gedauert hat" in text(response)
    response = client.post(
        f"/requests/{item.id}/outcome",
        data={"csrf_token": token, "outcome": "took_place", "duration_minutes": "75",
              "rating": "5", "feedback": "Sehr hilfreich"},
    )  # fmt: skip
    assert response.status_code == 302, text(response)
    fresh(db)
    assignment = db.scalars(select(Assignment).where(Assignment.request_id == item.id)).one()
    assert (assignment.office_outcome, assignment.office_duration_minutes) == ("took_place", 75)
    assert (assignment.feedback_rating, assignment.feedback_text) == (5, "Sehr hilfreich")
    assert requests_of(db)[0].status == "completed"
    page = text(client.get(f"/requests/{item.id}"))
    assert "Erledigt" in page and "Der Termin hat stattgefunden." in page
    assert "5 von 5" in page and 'action="/requests/' not in page
    response = client.post(f"/requests/{item.id}/outcome",
                           data={"csrf_token": token, "outcome": "client_no_show"})  # fmt: skip
    assert response.status_code in (400, 409)


# --- hostile input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"language": "x\x00y"},
        {"notes": "a\x00b"},
        {"notes": "x" * 100_000},
        {"case_ref": "Max Mustermann"},
        {"day": "9999-99-99"},
        {"day": "0001-01-01"},
        {"start": "25:99"},
        {"duration_minutes": "999999999999999999999"},
        {"duration_minutes": "abc"},
        {"mode": "teleport"},
        {"setting": ["court", "police"]},
        {"repeat": "3", "count": "999"},
        {"repeat": "7", "count": "-1"},
        {"gender_preference": "robot", "gender_required": "y"},
        {"language": "tlh"},
        {"language": "ase"},
    ],
)
def test_hostile_input_on_the_form_never_gives_a_500(client, db, world, changes):
    login(client, CASEWORKER)
    token = csrf_token(client, "/requests/new")
    response = client.post("/requests/new", data=form_data(token, **changes))
    assert response.status_code == 400, text(response)[:2000]
    assert requests_of(db) == []


@pytest.mark.parametrize("office_id", ["99999999999999999999999", "\x00", "-1", "1e3", ""])
def test_a_hostile_office_choice_never_gives_a_500(client, db, world, office_id):
    login(client, COORDINATOR)
    token = csrf_token(client, "/requests/new")
    response = client.post("/requests/new", data=form_data(token, office_id=office_id))
    assert response.status_code == 400, text(response)[:2000]
    assert requests_of(db) == []


def test_hostile_ids_and_parameters_never_give_a_500(app, client, db, world):
    item = create(app, db)
    login(client, CASEWORKER)
    for url in ("/requests/0", "/requests/99999999999999999999", f"/requests/{2**31}",
                "/requests/99999999999999999999/edit"):  # fmt: skip
        assert client.get(url).status_code == 404
    for query in ("office=abc", "office=99999999999999999", "page=-1", "page=99999999999",
                  "page=%00", "office=%00"):  # fmt: skip
        assert client.get(f"/requests/?{query}").status_code == 200
    token = csrf_token(client, f"/requests/{item.id}")
    bad = [
        ("cancel", {"reason": "x" * 10_000}),
        ("cancel", {"reason": "a\x00b"}),
        ("outcome", {"outcome": "exploded"}),
        ("outcome", {"outcome": "took_place", "duration_minutes": "9" * 30}),
        ("outcome", {"outcome": "took_place", "duration_minutes": "60", "rating": "7"}),
        ("edit", {"day": "2027-02-30", "start": "10:00", "duration_minutes": "60"}),
        ("edit", {"scope": "everything", "mode": "in_person"}),
        ("edit", {"notes": "\x00", "duration_minutes": "1"}),
    ]
    for action, data in bad:
        response = client.post(f"/requests/{item.id}/{action}", data={"csrf_token": token, **data})
        assert response.status_code in (400, 409), (action, data, response.status_code)
    assert requests_of(db)[0].status == "open"
    assert db.scalar(select(func.count(Assignment.id))) == 0


# --- browser ----------------------------------------------------------------------------------


@pytest.mark.browser
def test_browser_request_form_list_and_detail(page, live_url, db, world):
    page.set_viewport_size(PHONE)
    sign_in(page, live_url, CASEWORKER, DEMO_PASSWORD)
    page.goto(live_url + "/requests/new")
    assert_accessible(page, "request form")
    assert_no_horizontal_scroll(page, "request form")
    page.get_by_label("Sprache", exact=True).select_option("ar")
    page.get_by_label("Datum").fill(appointment_day().isoformat())
    page.get_by_label("Beginn").fill("10:00")
    page.get_by_label("Voraussichtliche Dauer").select_option("90")
    page.get_by_label("vor Ort").check()
    page.get_by_label("Ort (Stadt oder Gemeinde)").fill("Neustadt")
    page.get_by_label("Adresse und Raum").fill("Rathausplatz 1")
    page.get_by_label("Bereich").select_option("social_services")
    page.get_by_label("Art des Gesprächs").select_option("court")
    page.get_by_role("button", name="Anfrage senden").click()
    page.wait_for_load_state()
    summary = page.locator("#error-summary")
    assert "vereidigte Dolmetscher:innen" in summary.inner_text()
    assert "Fachkraft" in summary.inner_text()
    assert_accessible(page, "request form with errors")
    assert_no_horizontal_scroll(page, "request form with errors")
    page.get_by_label("Art des Gesprächs").select_option("parents_meeting")
    page.get_by_label("Eine Fachkraft unserer Dienststelle ist dabei").check()
    page.get_by_role("button", name="Anfrage senden").click()
    page.wait_for_load_state()
    assert "Anfrage Nr." in page.locator("h1").inner_text()
    assert "Wir suchen eine Person" in page.content()
    assert_accessible(page, "request detail")
    assert_no_horizontal_scroll(page, "request detail")
    page.get_by_role("link", name="Anfrage ändern").click()
    page.wait_for_load_state()
    assert_accessible(page, "request change form")
    assert_no_horizontal_scroll(page, "request change form")
    page.goto(live_url + "/requests/")
    assert "Arabisch" in page.content()
    assert_accessible(page, "request list")
    assert_no_horizontal_scroll(page, "request list")
