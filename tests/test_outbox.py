"""The outbox and the mailer, against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest
from sqlalchemy import select

from pool.cli import run_tick
from pool.db import utcnow
from pool.models import OutboxMessage
from pool.outbox import enqueue
from tests.conftest import csrf_token, free_port, login
from tests.helpers import fresh, outbox_for


def _enqueue(app, db, key="test:1", recipient="empfang@demo.example"):
    with app.test_request_context():
        message = enqueue(
            db,
            key=key,
            template="password_reset",
            recipient=recipient,
            context={
                "user": type("U", (), {"name": "Erika"})(),
                "link": "http://localhost/x",
                "valid_minutes": 60,
            },
            locale="de",
            now=utcnow(),
        )
    db.commit()
    return message


@pytest.fixture
def smtp_app(app, smtp_server):
    """The app pointed at the test SMTP server."""
    old = {k: app.config[k] for k in ("SMTP_HOST", "SMTP_PORT", "MAIL_FROM")}
    app.config.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_server.port,
        MAIL_FROM="Dolmetscherpool <pool@landkreis.example>",
    )
    yield app
    app.config.update(old)


def _received(smtp_server):
    return [
        email.message_from_bytes(e.original_content, policy=policy.default)
        for e in smtp_server.handler.envelopes
    ]


def test_enqueue_is_idempotent_by_key(app, db):
    first = _enqueue(app, db)
    second = _enqueue(app, db)
    assert first.id == second.id
    assert len(db.scalars(select(OutboxMessage)).all()) == 1


def test_due_message_is_sent_over_smtp_with_text_html_and_stable_message_id(
    smtp_app, db, smtp_server
):
    message = _enqueue(smtp_app, db)
    counts = run_tick(smtp_app, utcnow())
    assert counts["sent"] == 1
    [mail] = _received(smtp_server)
    assert mail["To"] == "empfang@demo.example"
    assert mail["Subject"] == "Neues Passwort für den Dolmetscherpool"
    assert mail["Message-ID"] == f"<outbox-{message.id}@landkreis.example>"
    assert "Guten Tag Erika" in mail.get_body(("plain",)).get_content()
    assert '<a href="http://localhost/x">' in mail.get_body(("html",)).get_content()
    fresh(db)
    row = db.get(OutboxMessage, message.id)
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None
    assert run_tick(smtp_app, utcnow())["sent"] == 0  # nothing sent twice


def test_refused_message_is_retried_later_with_the_same_message_id(smtp_app, db, smtp_server):
    message = _enqueue(smtp_app, db)
    smtp_server.handler.fail_with = "451 4.3.0 try again later"
    now = utcnow()
    assert run_tick(smtp_app, now)["retry"] == 1
    fresh(db)
    row = db.get(OutboxMessage, message.id)
    assert row.status == "pending" and row.attempts == 1 and row.due_at > now
    assert "451" in row.last_error
    assert run_tick(smtp_app, now)["sent"] == 0  # not due yet
    smtp_server.handler.fail_with = None
    assert run_tick(smtp_app, row.due_at + timedelta(seconds=1))["sent"] == 1
    [mail] = _received(smtp_server)
    assert mail["Message-ID"] == f"<outbox-{message.id}@landkreis.example>"


def test_unreachable_server_keeps_the_message_until_it_fails_visibly(app, db):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), OUTBOX_MAX_ATTEMPTS=3)
    try:
        message = _enqueue(app, db)
        moment = utcnow()
        for _ in range(3):
            run_tick(app, moment)
            moment += timedelta(hours=7)
        fresh(db)
        row = db.get(OutboxMessage, message.id)
        assert row.status == "failed" and row.attempts == 3
        assert "ConnectionRefusedError" in row.last_error
    finally:
        app.config.update(SMTP_HOST=None, SMTP_PORT=25, OUTBOX_MAX_ATTEMPTS=8)


def test_a_row_claimed_by_another_sender_is_not_sent_again(smtp_app, db, smtp_server):
    message = _enqueue(smtp_app, db)
    row = db.get(OutboxMessage, message.id)
    row.status, row.claimed_at = "sending", utcnow()
    db.commit()
    assert run_tick(smtp_app, utcnow())["sent"] == 0
    # A sender that died while sending: after a while the row is sent again (at least once).
    assert run_tick(smtp_app, utcnow() + timedelta(minutes=11))["sent"] == 1
    assert len(smtp_server.handler.envelopes) == 1


def test_without_smtp_host_development_prints_the_mail(app, db, capsys):
    _enqueue(app, db)
    result = app.test_cli_runner().invoke(args=["reminders", "tick"])
    assert result.exit_code == 0, result.output
    assert "sent=1" in result.output
    assert "Betreff: Neues Passwort für den Dolmetscherpool" in result.output


def test_reminders_tick_accepts_a_moment_and_refuses_one_without_offset(app, db):
    message = _enqueue(app, db)
    row = db.get(OutboxMessage, message.id)
    row.due_at = utcnow() + timedelta(days=400)
    db.commit()
    runner = app.test_cli_runner()
    assert "sent=0" in runner.invoke(args=["reminders", "tick"]).output
    later = (utcnow() + timedelta(days=401)).isoformat()
    assert "sent=1" in runner.invoke(args=["reminders", "tick", "--now", later]).output
    refused = runner.invoke(args=["reminders", "tick", "--now", "2027-03-01T09:00:00"])
    assert refused.exit_code != 0 and "offset" in refused.output


def test_password_reset_mail_reaches_the_smtp_server_and_its_link_works(
    smtp_app, client, demo, db, smtp_server
):
    client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client, "/password/forgot"), "email": demo.mediator},
    )
    run_tick(smtp_app, utcnow())
    [mail] = _received(smtp_server)
    body = mail.get_body(("plain",)).get_content()
    link = body[body.index("http://localhost/password/set/") :].split()[0]
    path = link.removeprefix("http://localhost")
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "password": "Kaffee mit Milch und Zucker",
            "confirm": "Kaffee mit Milch und Zucker",
        },
    )
    assert response.status_code == 302
    assert (
        login(smtp_app.test_client(), demo.mediator, "Kaffee mit Milch und Zucker").status_code
        == 302
    )


def test_message_is_written_in_the_recipients_language(app, db, demo, client):
    from tests.helpers import get_user

    user = get_user(db, demo.caseworker)
    user.locale = "en"
    db.commit()
    client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client, "/password/forgot"), "email": demo.caseworker},
    )
    [message] = outbox_for(db, demo.caseworker)
    assert message.subject == "New password for the interpreter pool"
