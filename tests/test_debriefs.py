"""Debrief requests after hard assignments: the mediator's button, the message to
the pool's coordinators (never the note), the coordinators' list and who may see it, marking done,
the count in the figures and the API, retention and erasure of the note, the data export."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from pool.db import utcnow
from pool.i18n import BERLIN, format_when
from pool.models import (
    Assignment,
    AuditEvent,
    DebriefRequest,
    Mediator,
    OutboxMessage,
    User,
    UserRole,
)
from pool.services import indicators, privacy
from tests.conftest import DemoAccounts, csrf_token, login
from tests.factories import district, town, user
from tests.helpers import fresh, text
from tests.test_reminders import (
    CASEWORKER,
    COORDINATOR,
    MEDIATOR,
    MEDIATOR_PASSWORD,
    world,  # noqa: F401  (the fixture)
)

NOTE = "Das Gespräch über die Trennung der Eltern war sehr schwer für mich."
OTHER_COORDINATOR = "koordination.stadt@demo.example"
ADMIN = DemoAccounts.admin


def started(w, hours_ago: float = 2) -> Assignment:
    """An assignment of the world's mediator that began ``hours_ago`` hours ago."""
    start = utcnow().replace(second=0, microsecond=0) - timedelta(hours=hours_ago)
    return w.assignment(start, booked_at=start - timedelta(days=5))


def as_mediator(app):
    client = app.test_client()
    assert login(client, MEDIATOR, MEDIATOR_PASSWORD).status_code == 302
    return client


def signed_in(app, email: str):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def ask(client, assignment_id: int, **data):
    page = f"/requests/assignments/{assignment_id}"
    return client.post(page + "/debrief", data={"csrf_token": csrf_token(client, page), **data})


def rows(db) -> list[DebriefRequest]:
    fresh(db)
    return list(db.scalars(select(DebriefRequest).order_by(DebriefRequest.id)))


@pytest.fixture
def other_coordinator(db, demo):
    """A coordinator of the town pool only."""
    other = User(email=OTHER_COORDINATOR, name="Otto Stadt",
                 password_hash=user(db, COORDINATOR).password_hash)  # fmt: skip
    db.add(other)
    db.flush()
    db.add(UserRole(user_id=other.id, role="coordinator", pool_id=town(db).id))
    db.commit()
    return other


# --- asking ---------------------------------------------------------------------------------------


def test_the_mediator_asks_and_the_coordinators_get_a_message_without_the_note(app, db, world):  # noqa: F811
    assignment = started(world)
    client = as_mediator(app)
    page = text(client.get(f"/requests/assignments/{assignment.id}"))
    assert "Ich möchte über diesen Einsatz sprechen" in page
    assert "Bitte keine Namen und keine Angaben zur Gesundheit" in page

    answer = ask(client, assignment.id, debrief_note=NOTE, debrief_urgent="y")
    assert answer.status_code == 302
    page = text(client.get(answer.headers["Location"]))
    assert "Die Koordination hat Ihren Gesprächswunsch bekommen" in page
    assert "Ihr Gesprächswunsch ist bei der Koordination" in page

    (debrief,) = rows(db)
    assert (debrief.note, debrief.urgent, debrief.pool_id) == (NOTE, True, district(db).id)
    (message,) = world.mails(COORDINATOR, "debrief_requested")
    assert (message.category, message.urgent, message.status) == ("coordination", True, "pending")
    assert "Mona Mittler" in message.subject and "Bitte bald melden" in message.subject
    assert "Mona Mittler" in message.body_text
    with app.test_request_context():
        assert format_when(assignment.starts_at, "de") in message.body_text  # which assignment
    assert "Bitte sehen Sie in der Liste nach" in message.body_text
    assert "http://localhost/requests/debriefs" in message.body_text
    for body in (message.body_text, message.body_html, message.subject):
        assert NOTE not in body and "Trennung" not in body
    # The caseworker of the office is not told.
    assert world.mails(CASEWORKER, "debrief_requested") == []

    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "debrief.requested")).all()
    assert len(events) == 1 and "Trennung" not in str(events[0].details)
    assert events[0].details["with_note"] is True


def test_a_request_without_note_is_not_urgent_and_a_second_tap_sends_nothing_more(app, db, world):  # noqa: F811
    assignment = started(world)
    client = as_mediator(app)
    assert ask(client, assignment.id).status_code == 302
    (debrief,) = rows(db)
    assert debrief.note is None and debrief.urgent is False
    (message,) = world.mails(COORDINATOR, "debrief_requested")
    assert message.urgent is False

    again = ask(client, assignment.id, debrief_note="Noch etwas")
    assert again.status_code == 302
    assert "schon bei der Koordination" in text(client.get(again.headers["Location"]))
    assert len(rows(db)) == 1
    assert len(world.mails(COORDINATOR, "debrief_requested")) == 1


def test_cancelled_or_not_yet_started_assignments_are_refused_with_a_clear_message(app, db, world):  # noqa: F811
    future = world.assignment(utcnow().replace(microsecond=0) + timedelta(days=3),
                              booked_at=utcnow() - timedelta(days=1))  # fmt: skip
    client = as_mediator(app)
    assert "Ich möchte über diesen Einsatz sprechen" not in text(
        client.get(f"/requests/assignments/{future.id}")
    )
    refused = ask(client, future.id)
    assert refused.status_code == 400
    assert "Der Termin hat noch nicht begonnen" in text(refused)

    cancelled = started(world)
    fresh(db)
    db.get(Assignment, cancelled.id).status = "cancelled"
    db.commit()
    refused = ask(client, cancelled.id)
    assert refused.status_code == 400
    assert "Dieser Einsatz wurde abgesagt" in text(refused)
    assert rows(db) == []


def test_an_overlong_note_is_refused_at_the_field(app, db, world):  # noqa: F811
    assignment = started(world)
    refused = ask(as_mediator(app), assignment.id, debrief_note="x" * 1001)
    assert refused.status_code == 400
    assert "Höchstens 1000 Zeichen." in text(refused)
    assert 'id="error-summary"' in text(refused)
    assert rows(db) == []


def test_only_the_mediator_of_the_assignment_may_ask(app, db, world):  # noqa: F811
    assignment = started(world)
    for email in (COORDINATOR, CASEWORKER):
        client = signed_in(app, email)
        page = text(client.get(f"/requests/assignments/{assignment.id}"))
        assert "Ich möchte über diesen Einsatz sprechen" not in page
        assert ask(client, assignment.id).status_code == 403
    assert rows(db) == []


# --- the coordinators' list -----------------------------------------------------------------------


def test_only_coordinators_of_the_pool_see_the_list_and_the_note(app, db, world, other_coordinator):  # noqa: F811
    assignment = started(world)
    assert ask(as_mediator(app), assignment.id, debrief_note=NOTE).status_code == 302
    (debrief,) = rows(db)

    page = text(signed_in(app, COORDINATOR).get("/requests/debriefs"))
    assert f'data-debrief="{debrief.id}"' in page
    assert NOTE in page and "Mona Mittler" in page and f"Einsatz Nr. {assignment.id}" in page
    assert "1 offener Wunsch" in page
    assert 'href="/requests/debriefs"' in page  # in the navigation

    other = signed_in(app, OTHER_COORDINATOR)
    page = text(other.get("/requests/debriefs"))
    assert NOTE not in page and f'data-debrief="{debrief.id}"' not in page
    assert "Zurzeit wartet niemand auf ein Gespräch." in page
    done = other.post(f"/requests/debriefs/{debrief.id}/done",
                      data={"csrf_token": csrf_token(other, "/requests/debriefs")})  # fmt: skip
    assert done.status_code == 403

    # Not the office, not an admin who does not coordinate the pool, not the mediator.
    for email, password in ((CASEWORKER, None), (ADMIN, None), (MEDIATOR, MEDIATOR_PASSWORD)):
        client = app.test_client()
        assert login(client, email, *(p for p in [password] if p)).status_code == 302
        response = client.get("/requests/debriefs")
        assert response.status_code == 403
        assert NOTE not in text(response)
        assert NOTE not in text(client.get(f"/requests/assignments/{assignment.id}"))
    assert app.test_client().get("/requests/debriefs").status_code == 302  # to the sign-in
    fresh(db)
    assert db.get(DebriefRequest, debrief.id).done_at is None


def test_a_coordinator_marks_a_request_done_and_the_mediator_may_ask_again(app, db, world):  # noqa: F811
    assignment = started(world)
    mediator = as_mediator(app)
    assert ask(mediator, assignment.id, debrief_note=NOTE).status_code == 302
    (debrief,) = rows(db)
    client = signed_in(app, COORDINATOR)
    token = csrf_token(client, "/requests/debriefs")
    assert client.get(f"/requests/debriefs/{debrief.id}/done").status_code == 405

    done = client.post(f"/requests/debriefs/{debrief.id}/done", data={"csrf_token": token})
    assert done.status_code == 302
    page = text(client.get(done.headers["Location"]))
    assert "Als erledigt markiert." in page
    assert "0 offene Wünsche" in page and "1 erledigter Wunsch anzeigen" in page
    fresh(db)
    saved = db.get(DebriefRequest, debrief.id)
    assert saved.done_at is not None and saved.done_by_id == user(db, COORDINATOR).id
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "debrief.done")).one()
    assert event.object_id == debrief.id and "Trennung" not in str(event.details)

    again = client.post(f"/requests/debriefs/{debrief.id}/done", data={"csrf_token": token})
    assert "Das war schon erledigt." in text(client.get(again.headers["Location"]))
    assert (
        client.post("/requests/debriefs/99999/done", data={"csrf_token": token}).status_code == 404
    )

    # Done: a new tap makes a new open request.
    assert ask(mediator, assignment.id).status_code == 302
    assert [d.done_at is None for d in rows(db)] == [False, True]


# --- figures, retention, erasure, export ----------------------------------------------------------


def test_the_number_appears_in_the_figures_and_the_api(app, db, world, other_coordinator):  # noqa: F811
    assignment = started(world)
    assert ask(as_mediator(app), assignment.id, debrief_note=NOTE).status_code == 302
    today = utcnow().astimezone(BERLIN).date()
    start, end = today - timedelta(days=3), today + timedelta(days=3)
    fresh(db)
    figures = indicators.compute(db, [district(db).id], start, end, utcnow())
    assert figures.current.debrief_requests == 1
    assert figures.previous.debrief_requests == 0
    assert indicators.compute(db, [town(db).id], start, end, utcnow()).current.debrief_requests == 0

    client = signed_in(app, COORDINATOR)
    query = {"from": start.isoformat(), "to": end.isoformat()}
    data = client.get("/api/v1/reports/indicators", query_string=query).get_json()
    assert data["debrief_requests"] == 1 and data["previous"]["debrief_requests"] == 0
    assert NOTE not in str(data)
    page = text(client.get("/berichte", query_string={
        "start": start.isoformat(), "end": end.isoformat()}))  # fmt: skip
    assert "Gesprächswünsche nach Einsätzen" in page and NOTE not in page


def test_retention_clears_old_notes_and_keeps_the_count(app, db, world):  # noqa: F811
    now = utcnow()
    mediator_id = world.mediator.id
    a, b, c = (started(world, hours) for hours in (2, 30, 60))
    for assignment, created, done in (
        (a, now - timedelta(days=100), now - timedelta(days=91)),  # done long ago: cleared
        (b, now - timedelta(days=20), now - timedelta(days=10)),  # done recently: kept
        (c, now - timedelta(days=400), None),  # never closed, older than a year: cleared
    ):
        db.add(DebriefRequest(assignment_id=assignment.id, mediator_id=mediator_id,
                              pool_id=district(db).id, note=NOTE, created_at=created,
                              done_at=done))  # fmt: skip
    db.commit()
    with app.test_request_context():
        privacy.apply_retention(db, now)
    db.commit()
    assert [d.note for d in rows(db)] == [None, NOTE, None]
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "privacy.retention_applied")
    ).one()
    assert event.details["debrief_notes"] == 2


def test_the_export_holds_own_requests_and_erasure_clears_the_notes(app, db, world):  # noqa: F811
    assignment = started(world)
    assert (
        ask(as_mediator(app), assignment.id, debrief_note=NOTE, debrief_urgent="y").status_code
        == 302
    )
    fresh(db)
    mediator = db.get(Mediator, world.mediator.id)
    (row,) = privacy.export_mediator(db, mediator)["debrief_requests"]
    assert (row["assignment_id"], row["urgent"], row["done"], row["note"]) == (
        assignment.id, True, False, NOTE)  # fmt: skip
    assert date.fromisoformat(row["created_at"][:10])
    page = text(as_mediator(app).get("/meine-daten"))
    assert "Gesprächswünsche" in page and NOTE in page

    fresh(db)  # a write needs a transaction that began after the requests' commits
    mediator = db.get(Mediator, world.mediator.id)
    db.get(Assignment, assignment.id).status = "completed"
    mediator.status = "left"
    db.commit()
    with app.test_request_context():
        privacy.erase_mediator(db, actor=user(db, COORDINATOR), mediator=mediator, now=utcnow())
    db.commit()
    (debrief,) = rows(db)
    assert debrief.note is None
    # The coordinators' message named the person; erasure blanked it.
    messages = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "debrief_requested"))
    assert all("Mona Mittler" not in m.body_text for m in messages)
