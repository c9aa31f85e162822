"""iCalendar invitations on the booking e-mails, and the subscribable calendar feed
(pool/calendar.py, pool/feeds/)."""

from __future__ import annotations

import email
import hashlib
from datetime import datetime, time, timedelta
from email import policy

import pytest
from icalendar import Calendar
from sqlalchemy import select

from pool.db import utcnow
from pool.i18n import BERLIN
from pool.mail import SMTPMailer
from pool.models import Assignment, AuditEvent, InterpretingRequest, Office, OutboxMessage, User
from pool.outbox import deliver_due
from pool.services import booking
from pool.services import requests as intake
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, user
from tests.helpers import fresh, outbox_for, text

COORDINATOR = "koordination@demo.example"
CASEWORKER = "sachbearbeitung@demo.example"
SAMIRA = "sprachmittlung@demo.example"  # a demo account: signs in with the demo password
OTHER = "m2@demo.example"
CASE_REF = "JA-2027-0815"
NOTES = "Familie wohnt im Hinterhaus"


def in_weeks(weeks: int = 2, hour: int = 10) -> datetime:
    """A Tuesday ``weeks`` weeks ahead, ``hour`` o'clock in Berlin: past any lead time."""
    today = utcnow().astimezone(BERLIN).date()
    day = today + timedelta(days=((1 - today.weekday()) % 7 or 7) + 7 * weeks)
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


class Scene:
    """Two deployable mediators (Samira can sign in), the Jugendamt and its caseworker."""

    def __init__(self, app, db) -> None:
        self.app, self.db = app, db
        self.coordinator = user(db, COORDINATOR)
        self.caseworker = user(db, CASEWORKER)
        self.samira = deployable_mediator(app, db, pool=district(db), email=SAMIRA,
                                          name="Samira S.")  # fmt: skip
        self.other = deployable_mediator(app, db, pool=district(db), email=OTHER,
                                         name="Omar O.")  # fmt: skip
        self.office = db.scalars(select(Office).where(Office.name == "Jugendamt")).one()

    def request(self, *, starts_at: datetime | None = None, office: Office | None = None,
                actor: str = CASEWORKER, **changes) -> InterpretingRequest:  # fmt: skip
        values = {
            "language": "ar", "starts_at": starts_at or in_weeks(), "duration_minutes": 60,
            "mode": "in_person", "municipality": "Neustadt", "address": "Rathausplatz 1, Raum 12",
            "domain": "social_services", "setting": "counselling", "professional_present": True,
            "case_ref": CASE_REF, "notes": NOTES, **changes,
        }  # fmt: skip
        with self.app.test_request_context():
            [created] = intake.create_request(self.db, actor=user(self.db, actor),
                                              office=office or self.office, values=values,
                                              now=utcnow())  # fmt: skip
        self.db.commit()
        return created

    def assign(self, request: InterpretingRequest, mediator=None, now=None) -> Assignment:
        fresh(self.db)
        with self.app.test_request_context():
            assignment = booking.assign_directly(
                self.db, actor=user(self.db, COORDINATOR), request=self.db.merge(request),
                mediator=self.db.merge(mediator or self.samira), reason=None,
                now=now or utcnow(),
            )  # fmt: skip
        self.db.commit()
        return assignment

    def messages(self, email_address: str, kind: str) -> list[OutboxMessage]:
        return [m for m in outbox_for(self.db, email_address) if m.kind == kind]


@pytest.fixture
def scene(app, db, demo):
    catalogue(app, db)
    return Scene(app, db)


def parsed(message: OutboxMessage):
    """The calendar of a message and its one event."""
    assert message.calendar, message.kind
    calendar = Calendar.from_ical(message.calendar)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def whole(message: OutboxMessage) -> str:
    return "\n".join([message.subject, message.body_text, message.body_html or "",
                      message.calendar or ""])  # fmt: skip


# --- invitations ----------------------------------------------------------------------------------


def test_the_confirmation_carries_an_invitation_without_client_data(scene, db):
    request = scene.request()
    assignment = scene.assign(request)
    [message] = scene.messages(SAMIRA, "assignment_confirmed")
    calendar, event = parsed(message)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == f"assignment-{assignment.id}@localhost"  # domain of MAIL_FROM
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == request.starts_at
    assert event.decoded("DTEND") == request.starts_at + timedelta(minutes=60)
    assert str(event["SUMMARY"]) == "Sprachmittlung Arabisch – Jugendamt"
    assert str(event["LOCATION"]) == "Rathausplatz 1, Raum 12"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:dolmetscherpool@demo.example"
    assert str(event["ATTENDEE"]) == f"mailto:{SAMIRA}"
    assert f"/requests/assignments/{assignment.id}" in str(event["DESCRIPTION"])
    assert "Im Anhang ist der Termin für Ihren Kalender." in message.body_text
    for text_of_mail in (whole(message), *(whole(m) for m in outbox_for(db, CASEWORKER))):
        assert CASE_REF not in text_of_mail and "Hinterhaus" not in text_of_mail


def test_phone_appointments_name_the_mode_as_their_place(scene):
    scene.assign(scene.request(mode="phone", municipality=None, address=None))
    _calendar, event = parsed(scene.messages(SAMIRA, "assignment_confirmed")[0])
    assert str(event["LOCATION"]) == "Telefon"


def test_a_change_sends_the_same_event_with_a_higher_sequence_and_tells_the_office(scene, db):
    request = scene.request()
    assignment = scene.assign(request)
    [confirmed] = scene.messages(SAMIRA, "assignment_confirmed")
    uid = str(parsed(confirmed)[1]["UID"])
    fresh(db)
    with scene.app.test_request_context():
        intake.change_request(db, actor=user(db, COORDINATOR), request=db.merge(request),
                              values={"address": "Schulweg 3, Neustadt"}, now=utcnow())  # fmt: skip
        db.commit()
        intake.change_request(db, actor=user(db, COORDINATOR), request=db.merge(request),
                              values={"duration_minutes": 45},
                              now=utcnow() + timedelta(seconds=1))  # fmt: skip
        db.commit()
    first, second = scene.messages(SAMIRA, "request_changed")
    for message, sequence in ((first, 1), (second, 2)):
        calendar, event = parsed(message)
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == uid and event["SEQUENCE"] == sequence
        assert "Die Koordination hat Angaben zu Ihrem Einsatz geändert" in message.body_text
        assert CASE_REF not in whole(message) and "Hinterhaus" not in whole(message)
    assert str(parsed(first)[1]["LOCATION"]) == "Schulweg 3, Neustadt"
    assert parsed(second)[1].decoded("DTEND") == request.starts_at + timedelta(minutes=45)
    fresh(db)
    stored = db.get(Assignment, assignment.id)
    assert stored.status == "confirmed" and stored.ics_sequence == 2
    assert stored.ends_at == request.starts_at + timedelta(minutes=45)
    # The caseworker did not change it: they are told, each time.
    told = scene.messages(CASEWORKER, "request_changed_office")
    assert len(told) == 2
    assert "Die Sprachmittlung bleibt bestätigt." in told[0].body_text
    assert "Adresse" in told[0].body_text and "Dauer" in told[1].body_text


def test_the_office_changing_its_own_request_is_not_told_about_it(scene, db):
    request = scene.request()
    scene.assign(request)
    fresh(db)
    with scene.app.test_request_context():
        intake.change_request(db, actor=user(db, CASEWORKER), request=db.merge(request),
                              values={"address": "Schulweg 3, Neustadt"}, now=utcnow())  # fmt: skip
    db.commit()
    [message] = scene.messages(SAMIRA, "request_changed")
    assert "Jugendamt hat Angaben zu Ihrem Einsatz geändert" in message.body_text
    assert scene.messages(CASEWORKER, "request_changed_office") == []


def test_a_cancellation_sends_method_cancel_with_a_higher_sequence(scene, db):
    request = scene.request()
    assignment = scene.assign(request)
    fresh(db)
    with scene.app.test_request_context():
        intake.change_request(db, actor=user(db, CASEWORKER), request=db.merge(request),
                              values={"notes": "Neue Hinweise"}, now=utcnow())  # fmt: skip
        db.commit()
        booking.cancel_assignment(db, actor=user(db, CASEWORKER),
                                  assignment=db.get(Assignment, assignment.id), side="office",
                                  reason="Familie ist umgezogen", now=utcnow())  # fmt: skip
        db.commit()
    [changed] = scene.messages(SAMIRA, "request_changed")
    [cancelled] = scene.messages(SAMIRA, "assignment_cancelled")
    calendar, event = parsed(cancelled)
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == str(parsed(changed)[1]["UID"])
    assert event["SEQUENCE"] > parsed(changed)[1]["SEQUENCE"]
    assert "aus Ihrem Kalender entfernen" in cancelled.body_text


def test_cancelling_the_request_cancels_the_event_and_tells_the_office(scene, db):
    request = scene.request()
    assignment = scene.assign(request)
    fresh(db)
    with scene.app.test_request_context():
        booking.cancel_request(db, actor=user(db, COORDINATOR), request=db.merge(request),
                               reason="Termin fällt aus", now=utcnow())  # fmt: skip
    db.commit()
    [cancelled] = scene.messages(SAMIRA, "assignment_cancelled")
    calendar, event = parsed(cancelled)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == f"assignment-{assignment.id}@localhost"
    assert event["SEQUENCE"] == 1
    [told] = scene.messages(CASEWORKER, "request_cancelled_office")
    assert "Die Koordination hat Ihre Anfrage abgesagt" in told.body_text or (
        "die Koordination hat Ihre Anfrage abgesagt" in told.body_text
    )
    assert "Termin fällt aus" in told.body_text and told.calendar is None


@pytest.fixture
def smtp_app(app, smtp_server):
    old = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port,
                      MAIL_FROM="Dolmetscherpool <pool@landkreis.example>")  # fmt: skip
    yield app
    app.config.update(old)


def test_the_mail_as_received_has_a_calendar_part(smtp_app, scene, db, smtp_server):
    assignment = scene.assign(scene.request())
    mailer = SMTPMailer("127.0.0.1", smtp_server.port, user=None, password=None,
                        starttls=False, mail_from=smtp_app.config["MAIL_FROM"])  # fmt: skip
    with smtp_app.app_context():
        deliver_due(db, mailer, utcnow() + timedelta(minutes=1))
    received = [email.message_from_bytes(e.original_content, policy=policy.default)
                for e in smtp_server.handler.envelopes]  # fmt: skip
    [mail] = [m for m in received if m["To"] == SAMIRA and "bestätigt" in m["Subject"]]
    [part] = [p for p in mail.walk() if p.get_content_type() == "text/calendar"]
    assert part.get_param("method") == "REQUEST"
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == f"assignment-{assignment.id}@landkreis.example"
    assert event.decoded("DTSTART") == assignment.starts_at
    raw = mail.as_string()
    assert CASE_REF not in raw and "Hinterhaus" not in raw


# --- the feed -------------------------------------------------------------------------------------


def signed_in(app, email_address: str):
    client = app.test_client()
    assert login(client, email_address).status_code == 302
    return client


def create_address(client, renew: bool = False) -> str:
    page = client.post("/kalender/adresse",
                       data={"csrf_token": csrf_token(client, "/kalender")})  # fmt: skip
    assert page.status_code == 200
    html = text(page)
    assert "Wir zeigen die Adresse nur jetzt" in html
    start = html.index('id="feed-url" value="') + len('id="feed-url" value="')
    url = html[start : html.index('"', start)]
    assert url.startswith("http://localhost/kalender/") and url.endswith(".ics")
    return url.removeprefix("http://localhost")


def events(response) -> dict[int, object]:
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response.headers["Cache-Control"]
    calendar = Calendar.from_ical(response.get_data())
    return {int(str(e["UID"]).split("@")[0].removeprefix("assignment-")): e
            for e in calendar.walk("VEVENT")}  # fmt: skip


def test_a_mediator_subscribes_to_their_own_assignments(scene, app, db):
    now = utcnow()
    mine = scene.assign(scene.request())
    later = scene.assign(scene.request(starts_at=in_weeks(3)))
    theirs = scene.assign(scene.request(starts_at=in_weeks(4)), mediator=scene.other)
    fresh(db)
    with app.test_request_context():
        booking.cancel_assignment(db, actor=user(db, COORDINATOR),
                                  assignment=db.get(Assignment, later.id), side="coordination",
                                  reason="doppelt", now=now)  # fmt: skip
    db.commit()

    client = signed_in(app, SAMIRA)
    page = text(client.get("/kalender"))
    assert "Kalender-Adresse erstellen" in page and "Outlook" in page and "Google" in page
    path = create_address(client)
    token = path.removeprefix("/kalender/").removesuffix(".ics")
    assert len(token) >= 43
    fresh(db)
    stored = user(db, SAMIRA)
    assert stored.calendar_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in text(client.get("/kalender"))  # shown once only

    found = events(app.test_client().get(path))  # no sign-in
    assert set(found) == {mine.id, later.id}  # never someone else's
    assert theirs.id not in found
    assert str(found[mine.id]["STATUS"]) == "CONFIRMED"
    assert str(found[later.id]["STATUS"]) == "CANCELLED"
    assert found[later.id]["SEQUENCE"] == 1
    body = app.test_client().get(path).get_data(as_text=True)
    assert CASE_REF not in body and "Hinterhaus" not in body

    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "user",
                                                         AuditEvent.object_id == stored.id))  # fmt: skip
    assert "calendar_feed.created" in list(actions)


def test_renewing_or_switching_off_ends_the_old_address(scene, app, db):
    scene.assign(scene.request())
    client = signed_in(app, SAMIRA)
    old = create_address(client)
    assert "Neue Adresse erstellen – die alte hört sofort auf zu funktionieren" in text(
        client.get("/kalender")
    )
    new = create_address(client)
    anonymous = app.test_client()
    assert new != old
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200
    response = client.post("/kalender/aus", data={"csrf_token": csrf_token(client, "/kalender")})
    assert response.status_code == 302
    assert anonymous.get(new).status_code == 404
    assert "Sie haben noch keine Kalender-Adresse." in text(client.get("/kalender"))
    assert anonymous.get("/kalender/unknown-token-that-nobody-has.ics").status_code == 404
    fresh(db)
    assert user(db, SAMIRA).calendar_token_hash is None
    actions = list(db.scalars(select(AuditEvent.action).where(
        AuditEvent.action.like("calendar_feed.%")).order_by(AuditEvent.id)))  # fmt: skip
    assert actions == ["calendar_feed.created", "calendar_feed.renewed", "calendar_feed.disabled"]


def test_a_caseworker_sees_only_their_offices_assignments_and_who_comes(scene, app, db):
    ours = scene.assign(scene.request())
    school = db.scalars(select(Office).where(Office.name != "Jugendamt",
                                             Office.pool_id == scene.office.pool_id)).first()  # fmt: skip
    other_office = scene.assign(scene.request(office=school, actor=COORDINATOR,
                                              starts_at=in_weeks(3)))  # fmt: skip
    client = signed_in(app, CASEWORKER)
    path = create_address(client)
    found = events(app.test_client().get(path))
    assert set(found) == {ours.id} and other_office.id not in found
    event = found[ours.id]
    assert str(event["SUMMARY"]) == "Sprachmittlung Arabisch – Samira S."
    assert "Es kommt: Samira S." in str(event["DESCRIPTION"])
    assert "ATTENDEE" not in event  # the mediator's e-mail stays with the pool
    body = app.test_client().get(path).get_data(as_text=True)
    assert CASE_REF not in body and "Hinterhaus" not in body


def test_the_feed_page_is_for_mediators_and_caseworkers_and_needs_csrf(scene, app, db):
    coordinator = signed_in(app, COORDINATOR)
    assert coordinator.get("/kalender").status_code == 403
    assert app.test_client().get("/kalender").status_code == 302  # to the sign-in
    client = signed_in(app, SAMIRA)
    assert client.post("/kalender/adresse").status_code in (302, 400)
    fresh(db)
    assert db.scalars(select(User.calendar_token_hash).where(User.email == SAMIRA)).one() is None
    # Old assignments (ended more than 60 days ago) are left out.
    old_request = scene.request()
    assignment = scene.assign(old_request)
    fresh(db)
    stored = db.get(Assignment, assignment.id)
    stored.starts_at -= timedelta(days=120)
    stored.ends_at -= timedelta(days=120)
    db.commit()
    path = create_address(client)
    assert events(app.test_client().get(path)) == {}


@pytest.mark.browser
def test_a_mediator_sets_up_the_feed_on_a_phone(scene, demo, page, live_url):
    from playwright.sync_api import expect

    from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

    scene.assign(scene.request())
    page.set_viewport_size(PHONE)
    sign_in(page, live_url, SAMIRA, demo.password)
    page.goto(live_url + "/requests/offers")
    page.get_by_role("link", name="Ihre Einsätze im eigenen Kalender sehen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Einsätze im eigenen Kalender")
    assert_accessible(page, "the calendar page")
    assert_no_horizontal_scroll(page, "the calendar page")
    page.get_by_role("button", name="Kalender-Adresse erstellen").click()
    field = page.get_by_role("textbox", name="Kalender-Adresse")
    expect(field).to_have_attribute("readonly", "")
    assert_accessible(page, "the new calendar address")
    assert_no_horizontal_scroll(page, "the new calendar address")
    path = field.input_value().removeprefix("http://localhost")
    response = page.request.get(live_url + path)
    assert response.ok and "BEGIN:VEVENT" in response.text()
