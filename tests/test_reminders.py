"""Reminders before assignments, "Ich komme", the coordinator's escalations and the request to
report afterwards (pool/services/reminders.py, pool/requests/attendance.py). Time is given as
``now``; the tick is ``run_reminders`` followed by a commit, as in ``pool/cli.py``."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from sqlalchemy import select

from pool.db import utcnow
from pool.i18n import BERLIN
from pool.mail import mailer_from_config
from pool.models import Assignment, AuditEvent, InterpretingRequest, Office, OutboxMessage
from pool.outbox import deliver_due
from pool.security import hash_password
from pool.services import booking
from pool.services.reminders import attendance_token, run_reminders
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, user
from tests.helpers import fresh, text

COORDINATOR = "koordination@demo.example"
CASEWORKER = "sachbearbeitung@demo.example"
MEDIATOR = "mona.mittler@example.org"
MEDIATOR_PASSWORD = "Tee mit Minze und Honig"
ADDRESS = "Schulstraße 1, 12345 Neustadt"
CONFIRM_RE = re.compile(r"http://localhost(/requests/attendance/[A-Za-z0-9_\-.]+)")


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


# A Wednesday well in the future, 10:00 in Berlin (09:00 UTC).
START = berlin(2027, 3, 10, 10, 0)


@pytest.fixture
def world(app, db, demo):
    """A deployable mediator (with a password) of the district pool."""
    catalogue(app, db)
    mediator = deployable_mediator(app, db, pool=district(db), email=MEDIATOR, name="Mona Mittler")
    with app.test_request_context():
        mediator.user.password_hash = hash_password(MEDIATOR_PASSWORD)
    db.commit()
    return World(app, db, mediator)


class World:
    """Services run inside a short app context (``ctx``), never one that stays pushed: requests
    of the test client must each get their own ``g``."""

    def __init__(self, app, db, mediator) -> None:
        self.app = app
        self.db = db
        self.mediator = mediator
        self.coordinator = user(db, COORDINATOR)
        self.caseworker = user(db, CASEWORKER)

    def request(self, starts_at: datetime, *, created_at: datetime | None = None):
        db = self.db
        office = db.scalars(select(Office).where(Office.name == "Jugendamt")).one()
        created = created_at or starts_at - timedelta(days=7)
        request = InterpretingRequest(
            pool_id=office.pool_id, office_id=office.id, created_by_id=self.caseworker.id,
            language_code="ar", starts_at=starts_at, duration_minutes=60,
            ends_at=starts_at + timedelta(minutes=60), mode="in_person", municipality="Neustadt",
            address=ADDRESS, domain_code="youth_welfare", setting="counselling",
            professional_present=True, case_ref="FALL-4711", notes="Bitte am Empfang melden",
            status="open", created_at=created, updated_at=created,
        )  # fmt: skip
        db.add(request)
        db.commit()
        return request

    def assignment(self, starts_at: datetime, *, booked_at: datetime | None = None) -> Assignment:
        request = self.request(starts_at)
        with self.ctx():
            assignment = booking.assign_directly(
                self.db, actor=self.coordinator, request=request, mediator=self.mediator,
                reason=None, now=booked_at or starts_at - timedelta(days=5),
            )  # fmt: skip
        self.db.commit()
        return assignment

    def ctx(self):
        return self.app.test_request_context()

    def tick(self, now: datetime) -> dict:
        fresh(self.db)  # a new transaction, as the scheduler's
        with self.ctx():
            counts = run_reminders(self.db, now)
        self.db.commit()
        return counts

    def mails(self, email_address: str, *kinds: str) -> list[OutboxMessage]:
        fresh(self.db)
        return list(
            self.db.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.recipient == email_address, OutboxMessage.kind.in_(kinds))
                .order_by(OutboxMessage.id)
            )
        )


def confirm_path(message: OutboxMessage) -> str | None:
    match = CONFIRM_RE.search(message.body_text)
    return match.group(1) if match else None


def assert_no_client_data(message: OutboxMessage) -> None:
    both = message.subject + message.body_text + message.body_html
    assert "FALL-4711" not in both and "Empfang" not in both


# --- reminders ------------------------------------------------------------------------------------


def test_reminders_48_and_2_hours_before_to_mediator_and_caseworker(world, client):
    w = world
    assignment = w.assignment(START)

    w.tick(START - timedelta(hours=48, seconds=1))
    assert w.mails(MEDIATOR, "reminder_mediator") == []

    w.tick(START - timedelta(hours=48))
    (first,) = w.mails(MEDIATOR, "reminder_mediator")
    assert first.category == "reminders" and not first.urgent
    assert first.subject == "Erinnerung: Ihr Einsatz am Mi, 10. März 2027, 10:00"
    assert ADDRESS in first.body_text and "Arabisch" in first.body_text
    assert "Ich komme" in first.body_text and confirm_path(first)
    assert f"/requests/assignments/{assignment.id}" in first.body_text
    assert_no_client_data(first)
    (office,) = w.mails(CASEWORKER, "reminder_office")
    assert office.category == "reminders" and not office.urgent
    assert "Es kommt: Mona Mittler." in office.body_text
    assert f"/requests/{assignment.request_id}" in office.body_text
    assert confirm_path(office) is None
    assert_no_client_data(office)

    # The tick runs again (and again a little later): nothing twice.
    w.tick(START - timedelta(hours=48))
    w.tick(START - timedelta(hours=3))
    assert len(w.mails(MEDIATOR, "reminder_mediator")) == 1
    assert len(w.mails(CASEWORKER, "reminder_office")) == 1

    # The mediator confirms on the page of the link; the 2 h reminder has no link any more.
    path = confirm_path(first)
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 200, text(done)
    w.tick(START - timedelta(hours=2))
    _first, second = w.mails(MEDIATOR, "reminder_mediator")
    assert second.urgent and second.category == "reminders"
    assert confirm_path(second) is None and "Ich komme" not in second.body_text
    assert len(w.mails(CASEWORKER, "reminder_office")) == 2
    assert w.mails(CASEWORKER, "reminder_office")[1].urgent
    fresh(w.db)
    assert w.db.get(Assignment, assignment.id).reminded_hours == 2


def test_a_reminder_carries_the_confirm_link_while_the_mediator_has_not_confirmed(world):
    w = world
    w.assignment(START)
    w.tick(START - timedelta(hours=48))
    w.tick(START - timedelta(hours=2))
    first, second = w.mails(MEDIATOR, "reminder_mediator")
    assert confirm_path(first) and confirm_path(second)


def test_reminders_are_delivered_by_smtp_in_the_recipients_language(app, world, smtp_server):
    w = world
    w.caseworker.locale = "en"
    w.db.commit()
    w.assignment(START)
    now = START - timedelta(hours=48)
    w.tick(now)
    old = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT")}
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    try:
        with w.ctx():
            deliver_due(w.db, mailer_from_config(), now)
    finally:
        app.config.update(old)
    received = {
        tuple(e.rcpt_tos): email.message_from_bytes(e.original_content, policy=policy.default)
        for e in smtp_server.handler.envelopes
    }
    to_mediator = received[(MEDIATOR,)]
    assert to_mediator["Subject"].startswith("Erinnerung: Ihr Einsatz am")
    body = to_mediator.get_body(("plain",)).get_content()
    assert CONFIRM_RE.search(body)
    to_office = received[(CASEWORKER,)]
    assert "Wed, 10 March 2027, 10:00" in to_office["Subject"]


def test_a_late_tick_sends_only_what_is_still_useful(world):
    w = world
    assignment = w.assignment(START)
    # The machine was off from four days before until 90 minutes before the start.
    w.tick(START - timedelta(minutes=90))
    (reminder,) = w.mails(MEDIATOR, "reminder_mediator")
    assert reminder.urgent and confirm_path(reminder)  # the 2 h one, not the 48 h one as well
    assert len(w.mails(CASEWORKER, "reminder_office")) == 1
    (alert,) = w.mails(COORDINATOR, "alert_unconfirmed")  # the escalation still happens
    assert alert.urgent
    fresh(w.db)
    assert w.db.get(Assignment, assignment.id).reminded_hours == 2
    w.tick(START - timedelta(minutes=30))
    w.tick(START + timedelta(minutes=5))
    assert len(w.mails(MEDIATOR, "reminder_mediator")) == 1


def test_a_tick_after_the_start_sends_no_reminder_and_no_alert(world):
    w = world
    w.assignment(START)
    w.tick(START + timedelta(minutes=1))
    assert w.mails(MEDIATOR, "reminder_mediator") == []
    assert w.mails(CASEWORKER, "reminder_office") == []
    assert w.mails(COORDINATOR, "alert_unconfirmed") == []


def test_a_cancelled_assignment_gets_no_reminder(world):
    w = world
    assignment = w.assignment(START)
    with w.ctx():
        booking.cancel_assignment(w.db, actor=w.coordinator, assignment=assignment,
                                  side="coordination", reason="Termin entfällt",
                                  now=START - timedelta(days=3))  # fmt: skip
    w.db.commit()
    for hours in (48, 24, 2):
        w.tick(START - timedelta(hours=hours))
    assert w.mails(MEDIATOR, "reminder_mediator") == []
    assert w.mails(CASEWORKER, "reminder_office") == []
    assert w.mails(COORDINATOR, "alert_unconfirmed") == []


@pytest.mark.parametrize(
    ("start", "saturday_nine", "monday_seven"),
    [
        # Monday after the March change: 48 wall-clock hours are 47 hours of elapsed time.
        (berlin(2027, 3, 29, 9), datetime(2027, 3, 27, 8, tzinfo=UTC),
         datetime(2027, 3, 29, 5, tzinfo=UTC)),
        # Monday after the October change: 49 hours.
        (berlin(2027, 11, 1, 9), datetime(2027, 10, 30, 7, tzinfo=UTC),
         datetime(2027, 11, 1, 6, tzinfo=UTC)),
    ],
    ids=["march", "october"],
)  # fmt: skip
def test_reminders_keep_the_local_time_across_daylight_saving_changes(
    world, start, saturday_nine, monday_seven
):
    w = world
    w.assignment(start)
    assert saturday_nine.astimezone(BERLIN).strftime("%a %H:%M") == "Sat 09:00"
    assert monday_seven.astimezone(BERLIN).strftime("%a %H:%M") == "Mon 07:00"

    w.tick(saturday_nine - timedelta(seconds=1))
    assert w.mails(MEDIATOR, "reminder_mediator") == []
    w.tick(saturday_nine)
    (first,) = w.mails(MEDIATOR, "reminder_mediator")
    assert first.due_at == saturday_nine
    assert "09:00" in first.subject

    w.tick(monday_seven - timedelta(seconds=1))
    assert len(w.mails(MEDIATOR, "reminder_mediator")) == 1
    w.tick(monday_seven)
    _first, second = w.mails(MEDIATOR, "reminder_mediator")
    assert second.due_at == monday_seven
    assert [m.due_at for m in w.mails(CASEWORKER, "reminder_office")] == [
        saturday_nine,
        monday_seven,
    ]


def test_a_reminder_outside_the_last_hours_waits_for_the_end_of_quiet_hours(world):
    w = world
    w.mediator.user.quiet_from, w.mediator.user.quiet_until = 22 * 60, 7 * 60
    w.db.commit()
    start = berlin(2027, 3, 12, 6, 30)  # Friday 06:30: 48 h before is Wednesday 06:30
    w.assignment(start)
    w.tick(start - timedelta(hours=48))
    (first,) = w.mails(MEDIATOR, "reminder_mediator")
    assert first.due_at == berlin(2027, 3, 10, 7, 0)
    w.tick(start - timedelta(hours=2))  # 04:30, inside quiet hours: urgent, at once
    _first, second = w.mails(MEDIATOR, "reminder_mediator")
    assert second.urgent and second.due_at == start - timedelta(hours=2)


# --- escalations ----------------------------------------------------------------------------------


def test_coordinators_are_alerted_once_when_the_mediator_has_not_confirmed(world):
    w = world
    assignment = w.assignment(START)
    w.tick(START - timedelta(hours=24, seconds=1))
    assert w.mails(COORDINATOR, "alert_unconfirmed") == []
    w.tick(START - timedelta(hours=24))
    (alert,) = w.mails(COORDINATOR, "alert_unconfirmed")
    assert alert.urgent and alert.category == "alerts"
    assert "Mona Mittler hat noch nicht bestätigt" in alert.body_text
    assert f"/requests/{assignment.request_id}" in alert.body_text
    assert_no_client_data(alert)
    w.tick(START - timedelta(hours=23))
    w.tick(START - timedelta(hours=2))
    assert len(w.mails(COORDINATOR, "alert_unconfirmed")) == 1
    fresh(w.db)
    assert w.db.get(Assignment, assignment.id).unconfirmed_alerted_at is not None


def test_no_alert_when_the_mediator_confirmed_or_was_booked_within_the_last_day(world, client):
    w = world
    confirmed = w.assignment(START)
    with w.ctx():
        token = attendance_token(confirmed)
    path = f"/requests/attendance/{token}"
    client.post(path, data={"csrf_token": csrf_token(client, path)})
    late = w.assignment(START + timedelta(hours=3), booked_at=START - timedelta(hours=10))
    w.tick(START - timedelta(hours=8))
    assert w.mails(COORDINATOR, "alert_unconfirmed") == []
    fresh(w.db)
    assert w.db.get(Assignment, late.id).unconfirmed_alerted_at is not None  # handled


def test_coordinators_are_alerted_once_about_a_request_still_unassigned(world):
    w = world
    request = w.request(START)
    w.assignment(START + timedelta(hours=1))  # assigned: no alert
    w.tick(START - timedelta(hours=48, seconds=1))
    assert w.mails(COORDINATOR, "alert_unassigned") == []
    w.tick(START - timedelta(hours=48))
    (alert,) = w.mails(COORDINATOR, "alert_unassigned")
    assert alert.urgent and alert.category == "alerts"
    assert f"Anfrage Nr. {request.id}" in alert.subject
    assert f"/requests/{request.id}" in alert.body_text
    assert_no_client_data(alert)
    w.tick(START - timedelta(hours=10))
    assert len(w.mails(COORDINATOR, "alert_unassigned")) == 1
    fresh(w.db)
    assert w.db.get(InterpretingRequest, request.id).unassigned_alerted_at is not None


def test_a_late_tick_still_alerts_about_an_unassigned_request_but_not_after_its_start(world):
    w = world
    soon = w.request(START)
    begun = w.request(START - timedelta(hours=2))
    w.tick(START - timedelta(hours=1))
    (alert,) = w.mails(COORDINATOR, "alert_unassigned")
    assert f"Nr. {soon.id}" in alert.subject
    fresh(w.db)
    assert w.db.get(InterpretingRequest, begun.id).unassigned_alerted_at is None


# --- after the appointment ------------------------------------------------------------------------


def test_both_sides_are_asked_to_report_after_the_appointment(world):
    w = world
    assignment = w.assignment(START)
    end = assignment.ends_at
    w.tick(end - timedelta(minutes=1))
    assert w.mails(CASEWORKER, "report_request_office") == []
    w.tick(end)
    (office,) = w.mails(CASEWORKER, "report_request_office")
    assert office.category == "reports" and not office.urgent
    assert "Mona Mittler" in office.body_text
    assert f"/requests/{assignment.request_id}" in office.body_text
    assert_no_client_data(office)
    (mediator,) = w.mails(MEDIATOR, "report_request_mediator")
    assert mediator.category == "reports" and not mediator.urgent
    assert "Kilometer" in mediator.body_text
    assert f"/requests/assignments/{assignment.id}" in mediator.body_text
    assert_no_client_data(mediator)
    w.tick(end + timedelta(hours=1))
    assert len(w.mails(CASEWORKER, "report_request_office")) == 1
    assert len(w.mails(MEDIATOR, "report_request_mediator")) == 1


def test_a_side_that_already_reported_is_not_asked_and_old_appointments_are_left_alone(world):
    w = world
    reported = w.assignment(START)
    with w.ctx():
        booking.report_outcome(w.db, actor=w.caseworker, assignment=reported, side="office",
                               outcome="took_place", duration_minutes=60,
                               now=reported.ends_at - timedelta(minutes=5))  # fmt: skip
    w.db.commit()
    old = w.assignment(START - timedelta(days=20))
    w.tick(START + timedelta(hours=2))
    assert w.mails(CASEWORKER, "report_request_office") == []
    (mediator,) = w.mails(MEDIATOR, "report_request_mediator")
    assert f"/requests/assignments/{reported.id}" in mediator.body_text
    fresh(w.db)
    assert w.db.get(Assignment, reported.id).report_requested_at is not None
    assert w.db.get(Assignment, old.id).report_requested_at is None  # never selected


# --- the "Ich komme" page -------------------------------------------------------------------------


def test_the_confirm_page_changes_nothing_on_get_and_confirms_on_post(world, client):
    w = world
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    assignment = w.assignment(start, booked_at=utcnow() - timedelta(days=1))
    w.tick(start - timedelta(hours=48))
    (reminder,) = w.mails(MEDIATOR, "reminder_mediator")
    path = confirm_path(reminder)

    page = client.get(path)
    assert page.status_code == 200
    assert "Kommen Sie zu diesem Termin?" in text(page) and ADDRESS in text(page)
    assert "Ich komme" in text(page) and "FALL-4711" not in text(page)
    assert page.headers["Cache-Control"] == "no-store"
    client.get(path)
    fresh(w.db)
    assert w.db.get(Assignment, assignment.id).attendance_confirmed_at is None

    assert client.post(path, data={}).status_code == 400  # no CSRF token
    done = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert done.status_code == 200
    assert "Danke! Sie haben bestätigt, dass Sie kommen." in text(done)
    fresh(w.db)
    assert w.db.get(Assignment, assignment.id).attendance_confirmed_at is not None
    events = w.db.scalars(
        select(AuditEvent).where(AuditEvent.action == "assignment.attendance_confirmed")
    ).all()
    assert [(e.object_id, e.actor_id) for e in events] == [(assignment.id, w.mediator.user_id)]

    again = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert "Sie haben schon bestätigt" in text(again)
    assert "Sie haben schon bestätigt" in text(client.get(path))
    fresh(w.db)
    assert len(w.db.scalars(
        select(AuditEvent).where(AuditEvent.action == "assignment.attendance_confirmed")
    ).all()) == 1  # fmt: skip


def test_a_bad_old_or_moved_link_gets_a_clear_page(world, client):
    w = world
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    assignment = w.assignment(start, booked_at=utcnow() - timedelta(days=1))
    with w.ctx():
        token = attendance_token(assignment)

    for bad in ("nonsense", token[:-3] + "abc", token + "x"):
        page = client.get(f"/requests/attendance/{bad}")
        assert page.status_code == 404
        assert "Dieser Link ist ungültig" in text(page)
        page = client.post(f"/requests/attendance/{bad}", data={"csrf_token": csrf_token(client)})
        assert page.status_code == 404

    fresh(w.db)
    moved = w.db.get(Assignment, assignment.id)
    moved.starts_at = start + timedelta(hours=1)
    w.db.commit()
    page = client.get(f"/requests/attendance/{token}")
    assert page.status_code == 410 and "verschoben" in text(page)

    begun = w.assignment(utcnow() - timedelta(minutes=10), booked_at=utcnow() - timedelta(days=3))
    with w.ctx():
        begun_token = attendance_token(begun)
    page = client.get(f"/requests/attendance/{begun_token}")
    assert page.status_code == 410 and "Der Termin hat schon begonnen" in text(page)

    cancelled = w.assignment(start + timedelta(days=1), booked_at=utcnow() - timedelta(days=1))
    with w.ctx():
        cancelled_token = attendance_token(cancelled)
    with w.ctx():
        booking.cancel_assignment(w.db, actor=w.coordinator, assignment=cancelled,
                                  side="coordination", reason="entfällt", now=utcnow())  # fmt: skip
    w.db.commit()
    path = f"/requests/attendance/{cancelled_token}"
    page = client.post(path, data={"csrf_token": csrf_token(client)})
    assert page.status_code == 410 and "abgesagt" in text(page)
    fresh(w.db)
    assert w.db.get(Assignment, cancelled.id).attendance_confirmed_at is None


def test_a_signed_in_mediator_confirms_on_the_assignment_page(world, client):
    w = world
    start = utcnow().replace(microsecond=0) + timedelta(days=2)
    assignment = w.assignment(start, booked_at=utcnow() - timedelta(days=1))
    assert login(client, MEDIATOR, MEDIATOR_PASSWORD).status_code == 302
    url = f"/requests/assignments/{assignment.id}"
    page = client.get(url)
    assert "Ich komme" in text(page)
    done = client.post(f"{url}/attendance", data={"csrf_token": csrf_token(client, url)},
                       follow_redirects=True)  # fmt: skip
    assert "Danke! Sie haben bestätigt, dass Sie kommen." in text(done)
    assert "Sie haben zugesagt: Ich komme." in text(done)
    fresh(w.db)
    assert w.db.get(Assignment, assignment.id).attendance_confirmed_at is not None
