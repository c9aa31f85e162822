"""The admin's view of e-mails that could not be delivered (and sending them again), and the
pool settings for reminders and warnings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from pool.cli import run_tick
from pool.db import utcnow
from pool.models import AuditEvent, OutboxMessage, Pool
from tests.conftest import csrf_token, free_port, login
from tests.helpers import fresh, text
from tests.test_outbox_faults import Recorder, enqueue_messages, smtp, smtp_config  # noqa: F401


def fail(db, count: int, *, start=None) -> list[OutboxMessage]:
    """``count`` messages that failed, the last one most recently."""
    start = start or utcnow() - timedelta(hours=count)
    rows = []
    for n in range(count):
        row = OutboxMessage(
            key=f"failed:{n}",
            kind="password_reset",
            recipient=f"failed{n}@demo.example",
            subject=f"Betreff {n:03d}",
            body_text="Text",
            status="failed",
            attempts=8,
            last_error="SMTPRecipientsRefused: 550 mailbox unavailable",
            due_at=start,
            created_at=start,
            claimed_at=start + timedelta(hours=n),
        )
        db.add(row)
        rows.append(row)
    db.commit()
    return rows


def post(client, url: str, page: str = "/admin/messages"):
    return client.post(url, data={"csrf_token": csrf_token(client, page)})


def audit(db, action: str) -> list[tuple]:
    fresh(db)
    return list(
        db.execute(
            select(AuditEvent.actor_id, AuditEvent.object_id, AuditEvent.details).where(
                AuditEvent.action == action
            )
        )
    )


# --- failed e-mails -------------------------------------------------------------------------------


def test_start_page_links_to_the_failed_messages(login_as, db):
    fail(db, 2)
    client = login_as("admin")
    page = text(client.get("/admin/"))
    assert "2 E-Mails konnten nicht zugestellt werden." in page
    assert 'href="/admin/messages"' in page


def test_failed_messages_are_listed_newest_first_and_paginated(login_as, db):
    fail(db, 55)
    client = login_as("admin")
    first = text(client.get("/admin/messages"))
    assert "55 E-Mails nicht zugestellt" in first
    assert first.index("Betreff 054") < first.index("Betreff 053")
    assert "failed54@demo.example" in first and "550 mailbox unavailable" in first
    assert "Betreff 004" not in first and "Seite 1 von 2" in first
    second = text(client.get("/admin/messages?page=2"))
    assert "Betreff 004" in second and "Betreff 000" in second and "Betreff 054" not in second
    assert client.get("/admin/messages?page=abc").status_code == 200
    assert client.get("/admin/messages?page=99999999999999999999").status_code == 200


def test_retry_puts_one_message_back_and_the_next_tick_sends_it(login_as, db, smtp):  # noqa: F811
    [row, other] = fail(db, 2)
    client = login_as("admin")
    response = post(client, f"/admin/messages/{row.id}/retry")
    assert response.status_code == 302
    assert "1 E-Mail wird gleich erneut gesendet." in text(client.get("/admin/messages"))
    fresh(db)
    retried = db.get(OutboxMessage, row.id)
    assert (retried.status, retried.attempts) == ("pending", 0)
    assert retried.due_at <= utcnow()
    assert db.get(OutboxMessage, other.id).status == "failed"
    [(actor, object_id, _details)] = audit(db, "outbox.retried")
    assert object_id == row.id and actor is not None

    # Sent again: the same Message-ID as before.
    recorder = Recorder()
    port = free_port()
    smtp(recorder, port)
    with smtp_config(client.application, port) as app:
        assert run_tick(app, utcnow())["sent"] == 1
    assert list(recorder.counts()) == [f"<outbox-{row.id}@landkreis.example>"]

    # A second click on a message that is no longer failed changes nothing.
    post(client, f"/admin/messages/{row.id}/retry")
    assert "wartet schon" in text(client.get("/admin/messages"))
    fresh(db)
    assert db.get(OutboxMessage, row.id).status == "sent"


def test_retry_all_puts_every_failed_message_back(login_as, db):
    fail(db, 3)
    client = login_as("admin")
    assert post(client, "/admin/messages/retry-all").status_code == 302
    page = text(client.get("/admin/messages"))
    assert "3 E-Mails werden gleich erneut gesendet." in page
    assert "0 E-Mails nicht zugestellt" in page
    fresh(db)
    assert set(db.scalars(select(OutboxMessage.status))) == {"pending"}
    [(_actor, _object_id, details)] = audit(db, "outbox.retried_all")
    assert details == {"count": 3}


def test_retry_needs_csrf_an_admin_and_an_existing_message(app, login_as, demo, db):
    [row] = fail(db, 1)
    assert app.test_client().get("/admin/messages").status_code == 302  # to the sign-in
    coordinator = login_as("coordinator")
    assert coordinator.get("/admin/messages").status_code == 403
    token = csrf_token(coordinator, "/")
    url = f"/admin/messages/{row.id}/retry"
    assert coordinator.post(url, data={"csrf_token": token}).status_code == 403
    admin = app.test_client()
    login(admin, demo.admin)
    assert admin.post(url).status_code == 400  # no CSRF token
    assert post(admin, "/admin/messages/999999/retry").status_code == 404
    assert post(admin, "/admin/messages/99999999999999999999/retry").status_code == 404
    fresh(db)
    assert db.get(OutboxMessage, row.id).status == "failed"


# --- pool settings: reminders and warnings --------------------------------------------------------


def landkreis(db) -> Pool:
    fresh(db)
    return db.scalars(select(Pool).where(Pool.name == "Landkreis")).one()


def settings(db) -> tuple:
    pool = landkreis(db)
    return (pool.reminder_hours, pool.unconfirmed_alert_hours, pool.unassigned_alert_hours)


def edit(client, db, **changes):
    url = f"/admin/pools/{landkreis(db).id}/edit"
    data = {
        "name": "Landkreis",
        "kind": "district",
        "federal_state": "NW",
        "settings_shown": "1",
        "min_german_level": "B1",
        "requires_formal_obligation": "y",
        "rejected_retention_days": "90",
        "reminder_hours": "48, 2",
        "unconfirmed_alert_hours": "24",
        "unassigned_alert_hours": "48",
        **changes,
    }
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


def test_pool_form_shows_and_saves_reminder_settings(login_as, db):
    client = login_as("admin")
    page = text(client.get(f"/admin/pools/{landkreis(db).id}/edit"))
    assert "Erinnerungen und Warnungen" in page
    assert 'value="48, 2"' in page
    response = edit(
        client,
        db,
        reminder_hours="2; 72 24",
        unconfirmed_alert_hours="12",
        unassigned_alert_hours="96",
    )
    assert response.status_code == 302, text(response)
    assert settings(db) == ([72, 24, 2], 12, 96)
    assert 'value="72, 24, 2"' in text(client.get(f"/admin/pools/{landkreis(db).id}/edit"))
    fields = set(audit(db, "pool.updated")[-1][2]["fields"])
    assert fields >= {"reminder_hours", "unconfirmed_alert_hours", "unassigned_alert_hours"}


def test_new_pool_gets_default_reminder_settings(login_as, db):
    client = login_as("admin")
    assert 'value="48, 2"' in text(client.get("/admin/pools/new"))
    url = "/admin/pools/new"
    data = {"name": "Kreis Muster", "kind": "district", "federal_state": "BY"}
    response = client.post(url, data={**data, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    fresh(db)
    pool = db.scalars(select(Pool).where(Pool.name == "Kreis Muster")).one()
    assert (pool.reminder_hours, pool.unconfirmed_alert_hours, pool.unassigned_alert_hours) == (
        [48, 2],
        24,
        48,
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"reminder_hours": ""}, "Bitte geben Sie mindestens eine Erinnerung an"),
        ({"reminder_hours": "48, zwei"}, "Bitte geben Sie ganze Stunden ein"),
        ({"reminder_hours": "48.5"}, "Bitte geben Sie ganze Stunden ein"),
        ({"reminder_hours": "-2"}, "Bitte geben Sie ganze Stunden ein"),
        ({"reminder_hours": "٤٨"}, "Bitte geben Sie ganze Stunden ein"),
        ({"reminder_hours": "9" * 40}, "Bitte geben Sie ganze Stunden ein"),
        ({"reminder_hours": "48, 0"}, "Jede Erinnerung muss 1 bis 336 Stunden vorher liegen."),
        ({"reminder_hours": "337"}, "Jede Erinnerung muss 1 bis 336 Stunden vorher liegen."),
        ({"reminder_hours": "48, 48"}, "Bitte geben Sie jede Stundenzahl nur einmal an."),
        ({"reminder_hours": "96, 48, 24, 12, 2"}, "Bitte geben Sie höchstens 4 Erinnerungen an."),
        ({"reminder_hours": "48\x00"}, "Enthält unzulässige Steuerzeichen."),
        ({"reminder_hours": "2"}, "Die Warnung kommt sonst vor der ersten Erinnerung"),
        ({"unconfirmed_alert_hours": "0"}, "Bitte geben Sie eine Zahl von 1 bis 168 ein."),
        ({"unconfirmed_alert_hours": "169"}, "Bitte geben Sie eine Zahl von 1 bis 168 ein."),
        ({"unconfirmed_alert_hours": "zwölf"}, "Bitte geben Sie eine Zahl von 1 bis 168 ein."),
        ({"unconfirmed_alert_hours": ""}, "Bitte geben Sie eine Zahl von 1 bis 168 ein."),
        ({"unassigned_alert_hours": "337"}, "Bitte geben Sie eine Zahl von 1 bis 336 ein."),
        ({"unassigned_alert_hours": "1e3"}, "Bitte geben Sie eine Zahl von 1 bis 336 ein."),
    ],
)
def test_bad_reminder_settings_get_a_german_error_and_change_nothing(
    login_as, db, changes, message
):
    client = login_as("admin")
    response = edit(client, db, **changes)
    assert response.status_code == 400, text(response)[:300]
    page = text(response)
    assert message in page
    assert 'class="error-summary"' in page
    assert settings(db) == ([48, 2], 24, 48)
