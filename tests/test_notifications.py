"""Notification preferences, the daily digest, quiet hours and the in-app list of messages
(pool/notifications/, pool/services/notices.py, pool/duties.py)."""

from __future__ import annotations

import email
from datetime import UTC, datetime, time, timedelta
from email import policy

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from pool.cli import run_tick
from pool.db import utcnow
from pool.i18n import BERLIN
from pool.models import AuditEvent, OutboxMessage, User
from pool.outbox import enqueue
from pool.security import hash_password
from pool.services import accounts, booking
from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, user
from tests.helpers import fresh, get_user, outbox_for, text
from tests.test_booking import make_request

MEDIATOR = "amira.aziz@example.org"
PASSWORD = "Tee mit Minze und Honig"
COORDINATOR = "koordination@demo.example"
CASEWORKER = "sachbearbeitung@demo.example"
INVITE_SUBJECT = "Einladung zum Dolmetscherpool"


def local(days: int, hour: int, minute: int = 0) -> datetime:
    """``hour`` o'clock (Europe/Berlin) ``days`` from today."""
    day = utcnow().astimezone(BERLIN).date() + timedelta(days=days)
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN).astimezone(UTC)


@pytest.fixture
def mediator(app, db, demo):
    """A deployable mediator who can sign in."""
    catalogue(app, db)
    person = deployable_mediator(app, db, pool=district(db), email=MEDIATOR, name="Amira Aziz")
    with app.test_request_context():
        user(db, MEDIATOR).password_hash = hash_password(PASSWORD)
    db.commit()
    return person


@pytest.fixture
def smtp_app(app, smtp_server):
    old = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    yield app
    app.config.update(old)


def sign_in_as(client, email: str, password: str = PASSWORD):
    response = login(client, email, password)
    assert response.status_code == 302, text(response)
    return client


def save_preferences(client, **fields):
    data = {"csrf_token": csrf_token(client, "/benachrichtigungen"), **fields}
    return client.post("/benachrichtigungen", data=data)


def assign(app, db, mediator, *, days: int, now: datetime):
    """The coordination books ``mediator`` directly for a request ``days`` ahead."""
    request = make_request(db, starts_at=local(days, 10), created_by=user(db, CASEWORKER))
    with app.test_request_context():
        booking.assign_directly(db, actor=user(db, COORDINATOR), request=request,
                                mediator=mediator, reason=None, now=now)  # fmt: skip
    db.commit()
    return request


def received(smtp_server, to: str) -> list:
    mails = [
        email.message_from_bytes(e.original_content, policy=policy.default)
        for e in smtp_server.handler.envelopes
    ]
    return [m for m in mails if m["To"] == to]


# --- preferences ----------------------------------------------------------------------------------


def test_preferences_offer_the_categories_of_the_users_roles_and_are_saved(
    app, db, client, mediator
):
    sign_in_as(client, MEDIATOR)
    page = text(client.get("/benachrichtigungen"))
    assert "Einsätze: Zusagen, Änderungen, Absagen" in page
    assert "Schulungen, Nachweise und Verfügbarkeit" in page
    assert "Hinweise für die Koordination" not in page  # not a coordinator
    # Offers and one-time links always come at once, with the reason.
    assert "Angebote haben eine Antwortfrist." in page
    assert 'name="category_offers"' not in page
    assert "Antwortfristen laufen dann nicht weiter." in page

    response = save_preferences(client, category_assignments="digest", category_registry="now",
                                category_reports="digest", quiet_from="21:00",
                                quiet_until="07:00")  # fmt: skip
    assert response.status_code == 302
    page = text(client.get("/benachrichtigungen"))
    assert "Ihre Einstellungen sind gespeichert." in page
    assert 'value="21:00"' in page and 'value="07:00"' in page
    saved = get_user(db, MEDIATOR)
    assert saved.digest_categories == ["assignments", "reports"]
    assert (saved.quiet_from, saved.quiet_until) == (21 * 60, 7 * 60)
    [event] = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.notifications_changed")
    ).all()
    assert event.actor_id == saved.id
    assert event.details == {"fields": ["digest_categories", "quiet_from", "quiet_until"]}

    # Back to "sofort" and no quiet hours.
    save_preferences(client, category_assignments="now", quiet_from="", quiet_until="")
    saved = get_user(db, MEDIATOR)
    assert saved.digest_categories == [] and saved.quiet_from is None


def test_a_coordinator_chooses_among_the_coordinations_categories(client, db, demo):
    sign_in_as(client, COORDINATOR, demo.password)
    page = text(client.get("/benachrichtigungen"))
    assert 'name="category_coordination"' in page
    assert 'name="category_assignments"' not in page
    # A category the page does not offer is ignored.
    save_preferences(client, category_coordination="digest", category_assignments="digest")
    assert get_user(db, COORDINATOR).digest_categories == ["coordination"]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"quiet_from": "25:00", "quiet_until": "07:00"}, "Bitte geben Sie eine Uhrzeit wie 09:30 ein."),
        ({"quiet_from": "21:00", "quiet_until": ""}, "Bitte geben Sie Beginn und Ende der Ruhezeit an"),
        ({"quiet_from": "", "quiet_until": "7:00"}, "Bitte geben Sie Beginn und Ende der Ruhezeit an"),
        ({"quiet_from": "21:00", "quiet_until": "21:00"}, "dürfen nicht gleich sein"),
        ({"category_assignments": "manchmal"}, "Bitte wählen Sie einen Eintrag aus der Liste."),
        ({"quiet_from": "21:00\x00"}, "Enthält unzulässige Steuerzeichen."),
        ({"quiet_from": "9" * 5000}, "Die Eingabe ist zu lang."),
    ],
)  # fmt: skip
def test_bad_preferences_are_refused_in_plain_german(db, client, mediator, fields, message):
    sign_in_as(client, MEDIATOR)
    response = save_preferences(client, **fields)
    assert response.status_code == 400
    page = text(response)
    assert "Bitte prüfen Sie Ihre Eingaben" in page and message in page
    fresh(db)
    assert not db.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.notifications_changed")
    ).all()


# --- digest and quiet hours -----------------------------------------------------------------------


def test_digest_categories_are_held_and_sent_as_one_mail_at_seven(
    smtp_app, db, client, mediator, smtp_server
):
    app = smtp_app
    sign_in_as(client, MEDIATOR)
    save_preferences(client, category_assignments="digest")
    fresh(db)
    run_tick(app, local(1, 7, 30))  # the day's digest: nothing held yet, so no mail
    evening = local(1, 18)
    first = assign(app, db, db.get(type(mediator), mediator.id), days=5, now=evening)
    second = assign(app, db, db.get(type(mediator), mediator.id), days=6, now=evening)
    held = [m for m in outbox_for(db, MEDIATOR) if m.kind == "assignment_confirmed"]
    assert [m.status for m in held] == ["held", "held"]
    # The caseworker did not choose the digest: their mail goes out at once.
    office = [m for m in outbox_for(db, CASEWORKER) if m.kind == "assignment_confirmed_office"]
    assert [m.status for m in office] == ["pending", "pending"]

    run_tick(app, evening)  # today's digest is done
    run_tick(app, local(2, 6, 59))  # before 07:00: no digest yet
    assert not [m for m in received(smtp_server, MEDIATOR) if "Zusammenfassung" in m["Subject"]]
    fresh(db)
    assert [db.get(OutboxMessage, m.id).status for m in held] == ["held", "held"]

    run_tick(app, local(2, 7, 0))
    run_tick(app, local(2, 9, 0))  # once a day
    [digest] = [m for m in received(smtp_server, MEDIATOR) if "Zusammenfassung" in m["Subject"]]
    body = digest.get_body(("plain",)).get_content()
    for row in held:
        assert row.subject in body
    assert f"Anfrage Nr.: {first.id}" in body and f"Anfrage Nr.: {second.id}" in body
    assert "http://localhost/benachrichtigungen" in body
    html = digest.get_body(("html",)).get_content()
    assert held[0].subject in html and held[1].subject in html
    # A digest cannot carry the calendar entries: it links to them.
    calendar_link = f"http://localhost/nachrichten/{held[0].id}/termin.ics"
    assert calendar_link in body
    # The simulated day and a half has ended the browser's session (idle limit, purged by the
    # tick), so she signs in again, as she would.
    sign_in_as(client, MEDIATOR)
    download = client.get(calendar_link.removeprefix("http://localhost"))
    assert download.mimetype == "text/calendar"
    assert download.get_data(as_text=True).startswith("BEGIN:VCALENDAR")
    # Nothing was sent singly.
    assert not [m for m in received(smtp_server, MEDIATOR) if m["Subject"] == held[0].subject]
    fresh(db)
    rows = [db.get(OutboxMessage, m.id) for m in held]
    assert [r.status for r in rows] == ["digested", "digested"]
    [digest_row] = [m for m in outbox_for(db, MEDIATOR) if m.kind == "digest"]
    assert digest_row.status == "sent" and digest_row.category == "digest"
    assert digest_row.key.startswith(f"digest:{mediator.user_id}:")

    # The in-app list says where the messages went.
    page = text(client.get("/nachrichten"))
    assert page.count("in der Zusammenfassung vom") == 2
    assert "Ihre Zusammenfassung vom" in page and "gesendet am" in page


def test_quiet_hours_hold_back_what_can_wait_but_not_urgent_mail(app, db, client, mediator):
    sign_in_as(client, MEDIATOR)
    save_preferences(client, quiet_from="21:00", quiet_until="07:00")
    fresh(db)
    late = local(1, 22, 30)
    assign(app, db, db.get(type(mediator), mediator.id), days=5, now=late)
    with app.test_request_context():
        accounts.request_password_reset(db, MEDIATOR, now=late)
    db.commit()
    messages = {m.kind: m for m in outbox_for(db, MEDIATOR)}
    confirmed, reset = messages["assignment_confirmed"], messages["password_reset"]
    assert confirmed.status == "pending" and confirmed.due_at == local(2, 7)
    assert reset.urgent and reset.due_at == late
    # The caseworker has no quiet hours.
    [office] = [m for m in outbox_for(db, CASEWORKER) if m.kind == "assignment_confirmed_office"]
    assert office.due_at == late


# --- the in-app list ------------------------------------------------------------------------------


def _message(app, db, owner: User, key: str, *, template="application_received", category="coordination",
             now=None):  # fmt: skip
    with app.test_request_context():
        context = {
            "coordinator": owner,
            "pool": district(db),
            "link": "http://localhost/mediators/1",
            "user": owner,
            "valid_minutes": 60,
        }
        row = enqueue(db, key=key, template=template, recipient=owner.email, context=context,
                      locale="de", now=now or utcnow(), user=owner, category=category)  # fmt: skip
    db.commit()
    return row


def test_the_list_shows_own_messages_newest_first_with_their_text(app, db, client, demo):
    coordinator, caseworker = user(db, COORDINATOR), user(db, CASEWORKER)
    start = utcnow() - timedelta(hours=40)
    for i in range(31):
        _message(app, db, coordinator, f"test:{i}", now=start + timedelta(hours=i))
    other = _message(app, db, caseworker, "test:other")
    sign_in_as(client, COORDINATOR, demo.password)

    first = text(client.get("/nachrichten"))
    assert first.count("Neue Bewerbung") == 30
    assert "Seite 1 von 2" in first
    assert "wird gerade gesendet" in first  # due, not yet sent
    second = text(client.get("/nachrichten?page=2"))
    assert second.count("Neue Bewerbung") == 1
    assert text(client.get("/nachrichten?page=abc")).count("Neue Bewerbung") == 30

    newest, older = (
        db.scalars(select(OutboxMessage).where(OutboxMessage.key == key)).one()
        for key in ("test:30", "test:29")
    )
    assert first.index(f"/nachrichten/{newest.id}") < first.index(f"/nachrichten/{older.id}")
    detail = text(client.get(f"/nachrichten/{newest.id}"))
    assert "Pool Landkreis eingegangen" in detail
    assert '<a class="token" href="http://localhost/mediators/1">' in detail

    # Someone else's message: refused (and recorded); a missing one: not found.
    assert client.get(f"/nachrichten/{other.id}").status_code == 403
    assert client.get("/nachrichten/999999").status_code == 404
    assert client.get("/nachrichten/99999999999").status_code == 404
    fresh(db)
    assert db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.object_id == other.id
        )
    ).all()


def test_one_time_links_are_not_shown_in_the_list(app, db, client, demo):
    with app.test_request_context():
        accounts.request_password_reset(db, CASEWORKER, now=utcnow())
    db.commit()
    [reset] = outbox_for(db, CASEWORKER)
    sign_in_as(client, CASEWORKER, demo.password)
    assert "Neues Passwort für den Dolmetscherpool" in text(client.get("/nachrichten"))
    detail = text(client.get(f"/nachrichten/{reset.id}"))
    assert "Neues Passwort für den Dolmetscherpool" in detail
    assert "Aus Sicherheitsgründen wird der Inhalt hier nicht angezeigt." in detail
    assert "/password/set/" not in detail


def test_signed_out_visitors_are_sent_to_the_sign_in_page(client, demo):
    for url in ("/nachrichten", "/benachrichtigungen", "/nachrichten/1"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_preferences_and_messages_in_the_browser(app, db, mediator, page: Page, live_url):
    sign_in(page, live_url, MEDIATOR, PASSWORD)
    page.get_by_role("navigation").get_by_role("link", name="Nachrichten", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nachrichten")
    assert_accessible(page, "the list of messages")
    page.get_by_role("link", name="Benachrichtigungen einstellen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Benachrichtigungen")
    assert_accessible(page, "the notification preferences")

    page.get_by_role("group", name="Einsätze: Zusagen, Änderungen, Absagen").get_by_label(
        "in der täglichen Zusammenfassung (um 7 Uhr)"
    ).check()
    page.get_by_label("Ruhezeit von").fill("21:00")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Bitte geben Sie Beginn und Ende der Ruhezeit an"
    )
    assert_accessible(page, "the preferences with an error")
    page.get_by_label("Ruhezeit bis").fill("07:00")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Ihre Einstellungen sind gespeichert.")
    fresh(db)
    saved = get_user(db, MEDIATOR)
    assert saved.digest_categories == ["assignments"] and saved.quiet_from == 21 * 60

    page.set_viewport_size(PHONE)
    assert_no_horizontal_scroll(page, "the preferences")
    page.goto(live_url + "/nachrichten")
    assert_no_horizontal_scroll(page, "the list of messages")
    # The invitation carries a one-time link: its text is not shown.
    page.get_by_role("link", name=INVITE_SUBJECT).click()
    expect(
        page.get_by_text("Aus Sicherheitsgründen wird der Inhalt hier nicht angezeigt.")
    ).to_be_visible()
    assert_accessible(page, "a message")
