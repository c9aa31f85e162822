"""Pages kept in memory (pool/pagecache.py): served again only while nothing changed, only to
the session or token they were made for; the data version behind it (pool/db.py)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select, update

from pool import create_app
from pool.db import data_version, utcnow
from pool.models import ApiToken, InterpretingRequest, User
from pool.services import accounts
from tests.conftest import app_config, csrf_token, login
from tests.helpers import counting_statements, get_user, text
from tests.test_requests_coordination import create, world  # noqa: F401  (a fixture)

COORDINATOR = "koordination@demo.example"
MEDIATOR = "sprachmittlung@demo.example"
CASEWORKER = "sachbearbeitung@demo.example"
QUEUE_STATUSES = ("open", "offered")


def statements(app):
    """The SQL statements the app runs meanwhile (a kept page costs one: the data version)."""
    return counting_statements(app.extensions["pool_db"].engine)


@pytest.fixture
def item(app, db, world) -> InterpretingRequest:  # noqa: F811  (uses the fixture)
    """An open request of the district pool, with three deployable speakers."""
    return create(app, db)[0]


def signed_in(app, email: str):
    """A session as a browser has it after signing in: on the start page, with its CSRF secret."""
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    return client


@pytest.fixture
def other_app(app, database_url):
    """A second app on the same database: another gunicorn worker or another host."""
    other = create_app(app_config(database_url))
    yield other
    other.extensions["pool_db"].engine.dispose()


def kept_after_one_view(app, client, path: str) -> str:
    """View ``path`` twice; the second answer must come from memory. Returns the page."""
    first = client.get(path)
    assert first.status_code == 200
    with statements(app) as seen:
        second = client.get(path)
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert len(seen) == 1, seen  # only the data version was read
    return text(second)


def test_a_page_viewed_again_is_served_from_memory_with_the_security_headers(app, db, item):
    client = signed_in(app, COORDINATOR)
    kept_after_one_view(app, client, f"/requests/queue/{item.id}")
    again = client.get(f"/requests/queue/{item.id}")
    assert again.headers["Cache-Control"] == "no-store"
    assert "default-src 'self'" in again.headers["Content-Security-Policy"]


def test_a_change_in_another_process_shows_at_once(app, other_app, db, item):
    client = signed_in(app, COORDINATOR)
    page = kept_after_one_view(app, client, f"/requests/queue/{item.id}")
    assert "Hinterhof 7" not in page

    # A caseworker's change arrives through the other app (worker or host).
    with other_app.app_context():
        session = other_app.extensions["pool_db"].new_session()
        session.get(InterpretingRequest, item.id).address = "Hinterhof 7"
        session.commit()
        session.close()

    assert "Hinterhof 7" in text(client.get(f"/requests/queue/{item.id}"))


def test_a_change_written_without_the_orm_shows_at_once(app, db, item):
    client = signed_in(app, COORDINATOR)
    kept_after_one_view(app, client, "/requests/queue")
    with app.extensions["pool_db"].engine.begin() as conn:
        conn.execute(
            update(InterpretingRequest)
            .where(InterpretingRequest.status.in_(QUEUE_STATUSES))
            .values(dialect="Hassaniya")
        )
    assert "Hassaniya" in text(client.get("/requests/queue"))


def test_each_user_gets_only_their_own_page(app, demo, db):
    """The start page is kept for everyone: each sees their own."""
    pages = {}
    for email in (COORDINATOR, MEDIATOR, CASEWORKER):
        client = signed_in(app, email)
        pages[email] = kept_after_one_view(app, client, "/")
    for email, page in pages.items():
        assert get_user(db, email).name in page
        for other in pages.keys() - {email}:
            assert get_user(db, other).name not in page


def test_a_deactivated_user_no_longer_gets_the_kept_page(app, other_app, demo, db):
    client = signed_in(app, COORDINATOR)
    kept_after_one_view(app, client, "/requests/queue")
    with other_app.app_context():
        session = other_app.extensions["pool_db"].new_session()
        session.scalars(select(User).where(User.email == COORDINATOR)).one().active = False
        session.commit()
        session.close()
    response = client.get("/requests/queue")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_signing_out_everywhere_ends_the_kept_page_of_every_session(app, demo, db):
    phone = signed_in(app, COORDINATOR)
    kept_after_one_view(app, phone, "/requests/queue")
    laptop = signed_in(app, COORDINATOR)
    token = csrf_token(laptop, "/profile")
    assert laptop.post("/logout/everywhere", data={"csrf_token": token}).status_code == 302
    assert phone.get("/requests/queue").status_code == 302


def test_a_message_shown_once_is_shown_and_not_kept(app, demo, db):
    client = signed_in(app, COORDINATOR)
    kept_after_one_view(app, client, "/requests/queue")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Angebot verschickt.")]
    assert "Angebot verschickt." in text(client.get("/requests/queue"))
    assert "Angebot verschickt." not in text(client.get("/requests/queue"))


def test_a_new_language_shows_at_once(app, demo, db):
    client = signed_in(app, COORDINATOR)
    assert "Anfragen prüfen" in kept_after_one_view(app, client, "/requests/queue")
    db.execute(update(User).where(User.email == COORDINATOR).values(locale="en"))
    db.commit()
    assert "Review requests" in text(client.get("/requests/queue"))


def test_a_kept_page_is_made_anew_after_its_time(app, demo, db, monkeypatch):
    client = signed_in(app, COORDINATOR)
    kept_after_one_view(app, client, "/requests/queue")
    seconds = app.config["PAGE_CACHE_SECONDS"]
    later = time.time() + seconds
    monkeypatch.setattr("pool.pagecache.time.time", lambda: later)
    with statements(app) as seen:
        assert client.get("/requests/queue").status_code == 200
    assert len(seen) > 1


def test_a_revoked_token_is_refused_although_its_answer_was_kept(app, db, item):
    coordinator = get_user(db, COORDINATOR)
    secret = accounts.create_api_token(db, coordinator, "Fachverfahren", now=utcnow())
    db.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    client = app.test_client()
    path = f"/api/v1/requests/{item.id}/candidates"
    first = client.get(path, headers=headers)
    assert first.status_code == 200
    with statements(app) as seen:
        assert client.get(path, headers=headers).get_json() == first.get_json()
    assert len(seen) == 1
    token = db.scalars(select(ApiToken).where(ApiToken.user_id == coordinator.id)).one()
    accounts.revoke_api_token(db, token, actor=coordinator, now=utcnow())
    db.commit()
    assert client.get(path, headers=headers).status_code == 401


def test_without_the_page_cache_every_view_is_made(database_url, demo, db):
    app = create_app(app_config(database_url, PAGE_CACHE_SECONDS=0))
    client = signed_in(app, COORDINATOR)
    client.get("/requests/queue")
    with statements(app) as seen:
        assert client.get("/requests/queue").status_code == 200
    assert len(seen) > 1
    app.extensions["pool_db"].engine.dispose()


# --- the data version -----------------------------------------------------------------------------


def version(db) -> int:
    db.rollback()
    value = data_version(db)
    db.rollback()
    return value


def test_a_committed_change_bumps_the_version_once_a_rollback_not_at_all(app, db, item):
    before = version(db)
    item.address = "Hinterhof 7"
    item.dialect = "Hassaniya"
    db.flush()
    db.rollback()
    assert version(db) == before
    item.address = "Hinterhof 7"
    db.flush()
    item.dialect = "Hassaniya"
    db.commit()
    assert version(db) == before + 1


def test_reading_and_the_audit_trail_leave_the_version_alone(app, demo, db):
    client = signed_in(app, COORDINATOR)
    before = version(db)
    client.get("/requests/queue")
    client.get("/mediators/")
    token = csrf_token(client, "/profile")
    client.post("/logout", data={"csrf_token": token})  # writes only an audit event
    assert version(db) == before


def test_a_scheduler_tick_with_nothing_due_leaves_the_version_alone(app, db, item):
    """Otherwise every tick (each minute) would throw all kept pages away."""
    from pool.cli import run_tick

    run_tick(app, utcnow())  # the daily duties of today, and what the new request made due
    before = version(db)
    run_tick(app, utcnow())
    assert version(db) == before
