"""Quiet hours, deadlines that pause at night, and how enqueue follows a user's preferences."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy

from pool.i18n import BERLIN
from pool.mail import build_email
from pool.notify import after_quiet_hours, deadline, quiet_period_at
from pool.outbox import enqueue
from tests import factories

NIGHT = (22 * 60, 7 * 60)  # 22:00–07:00
LUNCH = (12 * 60, 13 * 60)  # 12:00–13:00, within one day


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


def local(moment: datetime) -> str:
    return moment.astimezone(BERLIN).strftime("%Y-%m-%d %H:%M")


def test_quiet_period_spanning_midnight_is_found_from_both_sides():
    before_midnight = quiet_period_at(berlin(2027, 5, 3, 23, 30), *NIGHT)
    after_midnight = quiet_period_at(berlin(2027, 5, 4, 6, 59), *NIGHT)
    assert before_midnight == after_midnight
    start, end = before_midnight
    assert (local(start), local(end)) == ("2027-05-03 22:00", "2027-05-04 07:00")
    assert quiet_period_at(berlin(2027, 5, 4, 7, 0), *NIGHT) is None
    assert quiet_period_at(berlin(2027, 5, 4, 21, 59), *NIGHT) is None


def test_quiet_period_within_one_day():
    assert quiet_period_at(berlin(2027, 5, 3, 12, 30), *LUNCH) is not None
    assert quiet_period_at(berlin(2027, 5, 3, 13, 0), *LUNCH) is None
    assert quiet_period_at(berlin(2027, 5, 3, 23, 0), *LUNCH) is None


def test_no_quiet_hours_leave_every_moment_alone():
    moment = berlin(2027, 5, 3, 3, 0)
    assert after_quiet_hours(moment, None, None) == moment
    assert after_quiet_hours(moment, 600, 600) == moment
    assert deadline(moment, 90, None, None) == moment + timedelta(minutes=90)


def test_a_message_at_night_waits_until_the_morning_even_across_the_clock_change():
    # The night the clocks go forward (28 March 2027): the quiet hours are one hour shorter.
    assert local(after_quiet_hours(berlin(2027, 3, 27, 23, 0), *NIGHT)) == "2027-03-28 07:00"
    assert local(after_quiet_hours(berlin(2027, 10, 30, 23, 0), *NIGHT)) == "2027-10-31 07:00"


def test_deadline_does_not_run_during_quiet_hours():
    # Offered at 21:00 with 24 hours to answer: one hour runs before the night, 23 after it.
    expires = deadline(berlin(2027, 5, 3, 21, 0), 24 * 60, *NIGHT)
    # Waking hours are 15 a day: 1 h on the 3rd, 15 h on the 4th, 8 h on the 5th.
    assert local(expires) == "2027-05-05 15:00"
    waking = timedelta()
    moment = berlin(2027, 5, 3, 21, 0)
    while moment < expires:
        if quiet_period_at(moment, *NIGHT) is None:
            waking += timedelta(minutes=1)
        moment += timedelta(minutes=1)
    assert waking == timedelta(hours=24)


def test_deadline_of_an_offer_made_during_quiet_hours_starts_in_the_morning():
    assert local(deadline(berlin(2027, 5, 3, 2, 0), 60, *NIGHT)) == "2027-05-03 08:00"


def _message(app, db, user, *, category="requests", urgent=False, now=None, key="t:1"):
    with app.test_request_context():
        message = enqueue(
            db,
            key=key,
            template="password_reset",
            recipient=user.email,
            context={"user": user, "link": "http://localhost/x", "valid_minutes": 60},
            locale="de",
            now=now or berlin(2027, 5, 3, 23, 0),
            user=user,
            category=category,
            urgent=urgent,
        )
    db.flush()
    return message


def test_a_message_that_can_wait_is_due_after_the_recipients_quiet_hours(app, db, demo):
    person = factories.user(db, "sprachmittlung@demo.example")
    person.quiet_from, person.quiet_until = NIGHT
    message = _message(app, db, person)
    assert message.status == "pending"
    assert message.user_id == person.id
    assert local(message.due_at) == "2027-05-04 07:00"


def test_an_urgent_message_is_due_at_once_even_at_night(app, db, demo):
    person = factories.user(db, "sprachmittlung@demo.example")
    person.quiet_from, person.quiet_until = NIGHT
    message = _message(app, db, person, category="alerts", urgent=True)
    assert local(message.due_at) == "2027-05-03 23:00"


def test_a_category_chosen_for_the_digest_is_held(app, db, demo):
    person = factories.user(db, "sprachmittlung@demo.example")
    person.digest_categories = ["requests"]
    assert _message(app, db, person, category="requests").status == "held"
    # Offers have deadlines: they are never held, whatever the stored choice says.
    person.digest_categories = ["requests", "offers"]
    assert _message(app, db, person, category="offers", key="t:2").status == "pending"


def test_the_calendar_attachment_travels_as_text_calendar_with_its_method(app, db, demo):
    person = factories.user(db, "sprachmittlung@demo.example")
    message = _message(app, db, person)
    message.calendar = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nEND:VCALENDAR\r\n"
    parsed = email.message_from_bytes(
        build_email(message, "Pool <pool@demo.example>").as_bytes(), policy=policy.default
    )
    parts = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "CANCEL"
    assert "METHOD:CANCEL" in parts[0].get_content()
