"""Faults: the database drops every connection of the running app, and a request is cancelled
while an offer is being accepted. (That the production guide names every environment variable is
checked in ``tests/test_config_docs.py``.)

A mail server that is away is covered by
``tests/test_outbox_faults.py`` (refused connections, a sender killed mid-send: nothing lost,
nothing sent twice).
"""

from __future__ import annotations

import re
import threading
import time
from datetime import timedelta

import pytest
import requests as http
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.pool import NullPool

from pool.db import utcnow
from pool.models import (
    Assignment,
    InterpretingRequest,
    Mediator,
    Offer,
    Office,
    OutboxMessage,
    User,
)
from pool.services import booking
from tests.conftest import CSRF_RE, login
from tests.helpers import fresh
from tests.test_booking_concurrency import make_mediators, make_request, run_burst

SIGNED_IN_PAGES = ("/", "/requests/queue", "/")
ROUNDS = 5


# --- PostgreSQL drops every connection --------------------------------------------------------------


def requires_postgresql(app) -> None:
    if app.extensions["pool_db"].is_sqlite:
        pytest.skip(
            "SQLite has no server that could drop connections; "
            "run with TEST_DATABASE_URL=postgresql://… to test pool_pre_ping"
        )


def drop_all_connections(app) -> int:
    """From a connection of its own, terminate every other backend of the app's database (as an
    administrator or a restarting server would) and wait until they are gone; returns how many."""
    url = app.extensions["pool_db"].engine.url
    admin = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    others = "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    try:
        with admin.connect() as conn:
            killed = conn.exec_driver_sql(f"SELECT pg_terminate_backend(pid) {others}").all()
            deadline = time.monotonic() + 10
            while conn.exec_driver_sql(f"SELECT count(*) {others}").scalar_one():
                assert time.monotonic() < deadline, "terminated backends did not go away"
                time.sleep(0.05)
    finally:
        admin.dispose()
    return sum(1 for (done,) in killed if done)


def test_test_client_requests_succeed_after_postgresql_dropped_every_connection(
    app, db, client, login_as
):
    requires_postgresql(app)
    login_as("coordinator")
    for url in SIGNED_IN_PAGES:
        assert client.get(url).status_code == 200
    db.close()  # the test's own session holds no connection either

    assert drop_all_connections(app) >= 1  # the app's pooled connections were alive

    # Several signed-in requests in a row, without restarting anything: all served.
    for url in SIGNED_IN_PAGES:
        assert client.get(url).status_code == 200, url
    # A write request too (a sign-in records the session) on a new client.
    other = app.test_client()
    assert login(other, "sachbearbeitung@demo.example").status_code == 302
    assert other.get("/").status_code == 200


def live_login(base: str, email: str, password: str) -> http.Session:
    browser = http.Session()
    page = browser.get(f"{base}/login", timeout=30)
    token = CSRF_RE.search(page.text)
    assert token, "no CSRF token on /login"
    response = browser.post(
        f"{base}/login",
        data={"email": email, "password": password, "csrf_token": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text
    return browser


def test_live_server_requests_succeed_after_postgresql_dropped_every_connection(
    app, demo, live_url
):
    requires_postgresql(app)
    browser = live_login(live_url, demo.coordinator, demo.password)
    for url in SIGNED_IN_PAGES:
        assert browser.get(live_url + url, timeout=30).status_code == 200

    for _round in range(3):
        assert drop_all_connections(app) >= 1
        for url in SIGNED_IN_PAGES:
            response = browser.get(live_url + url, timeout=30, allow_redirects=False)
            assert response.status_code == 200, (url, response.status_code)
            assert re.search(r"Abmelden|Sign out", response.text), "no longer signed in"
    # And a new sign-in (a write) after the last drop.
    drop_all_connections(app)
    live_login(live_url, demo.caseworker, demo.password)


def terminate_connections(app) -> int:
    """Terminate every other backend of the app's database once, without waiting."""
    url = app.extensions["pool_db"].engine.url
    admin = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            done = conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            ).all()
    finally:
        admin.dispose()
    return sum(1 for (ok,) in done if ok)


def test_connections_terminated_under_load_never_give_an_empty_500(app, demo, live_url):
    """Four signed-in browsers read and write while the database's connections are terminated
    again and again: every answer is the page, or a German 503 asking to try again at once;
    none is an empty 500 (the teardown rolls back and closes without raising)."""
    requires_postgresql(app)
    browsers = [live_login(live_url, demo.coordinator, demo.password) for _ in range(3)]
    browsers.append(live_login(live_url, demo.caseworker, demo.password))
    stop = threading.Event()
    answers: list[tuple[str, int, str]] = []

    def load(browser: http.Session) -> None:
        token = CSRF_RE.search(browser.get(f"{live_url}/profile", timeout=30).text).group(1)
        while not stop.is_set():
            for method, url, data in (
                ("GET", "/", None),
                ("GET", "/profile", None),
                ("POST", "/language", {"csrf_token": token, "locale": "de"}),
            ):
                response = browser.request(
                    method, live_url + url, data=data, timeout=30, allow_redirects=False
                )
                answers.append((url, response.status_code, response.text))

    threads = [threading.Thread(target=load, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    terminated = 0
    try:
        for _round in range(20):
            time.sleep(0.15)
            terminated += terminate_connections(app)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert terminated >= 20
    assert len(answers) >= 50
    for url, status, body in answers:
        assert status in (200, 302, 503), (url, status, body[:300])
        if status == 503:
            assert "Bitte gleich noch einmal versuchen" in body, body[:300]
    print(
        f"{len(answers)} answers, {terminated} connections terminated, "
        f"{sum(1 for a in answers if a[1] == 503)} answered 503"
    )


# --- a request is cancelled while an offer is being accepted --------------------------------------


@pytest.fixture
def people(app, db, demo):
    caseworker = db.scalars(select(User).where(User.email == demo.caseworker)).one()
    coordinator = db.scalars(select(User).where(User.email == demo.coordinator)).one()
    return caseworker, coordinator


def offered_request(app, db, caseworker: User, coordinator: User, now) -> tuple[int, int, int]:
    """An open request of the caseworker's office offered to one mediator: (request, offer,
    mediator) ids."""
    office = db.get(Office, caseworker.caseworker_office_ids[0])
    request = make_request(db, office, now + timedelta(days=5))
    (person,) = make_mediators(db, office.pool, 1)
    person.email = f"race-{time.monotonic_ns()}@demo.example"
    db.flush()
    with app.test_request_context():
        (offer,) = booking.make_offers(
            db, actor=coordinator, request=request, mediators=[person], now=now
        )
    db.commit()
    return request.id, offer.id, person.id


@pytest.mark.parametrize("cancel_first", [False, True], ids=["accept-listed-first", "cancel-first"])
def test_cancel_racing_accept_ends_in_one_consistent_outcome(app, db, people, cancel_first):
    caseworker, coordinator = people
    caseworker_id = caseworker.id
    now = utcnow()
    outcomes = set()
    for _round in range(ROUNDS):
        request_id, offer_id, mediator_id = offered_request(app, db, caseworker, coordinator, now)

        def accept(session, offer_id=offer_id, mediator_id=mediator_id):
            booking.accept_offer(
                session, mediator=session.get(Mediator, mediator_id),
                offer=session.get(Offer, offer_id), no_conflict_of_interest=True, now=now,
            )  # fmt: skip

        def cancel(session, request_id=request_id):
            booking.cancel_request(
                session, actor=session.get(User, caseworker_id),
                request=session.get(InterpretingRequest, request_id),
                reason="Termin entfällt", now=now,
            )  # fmt: skip

        jobs = [cancel, accept] if cancel_first else [accept, cancel]
        results = dict(zip(("cancel", "accept") if cancel_first else ("accept", "cancel"),
                           run_burst(app, jobs), strict=True))  # fmt: skip
        # Cancelling an open, offered or assigned request always succeeds; the acceptance
        # succeeds only when it came first.
        assert results["cancel"] == "ok", results
        assert results["accept"] in {"ok", "conflict"}, results
        outcomes.add(results["accept"])

        fresh(db)
        request = db.get(InterpretingRequest, request_id)
        assert request.status == "cancelled"
        assert request.cancelled_by == "office"
        assignments = db.scalars(select(Assignment).where(Assignment.request_id == request_id))
        assignments = list(assignments)
        offer = db.get(Offer, offer_id)
        mail_keys = set(
            db.scalars(
                select(OutboxMessage.key).where(
                    OutboxMessage.recipient == db.get(Mediator, mediator_id).email
                )
            )
        )
        if results["accept"] == "ok":
            # Booked first, then cancelled with the request: the assignment is cancelled too,
            # and the mediator hears of both.
            (assignment,) = assignments
            assert assignment.status == "cancelled" and assignment.cancelled_by == "office"
            assert offer.status == "accepted" and assignment.offer_id == offer_id
            assert f"assignment:{assignment.id}:confirmed" in mail_keys
            assert f"assignment:{assignment.id}:cancelled" in mail_keys
        else:
            # Cancelled first: no assignment was ever made, the offer is withdrawn.
            assert assignments == []
            assert offer.status == "withdrawn"
            assert f"offer:{offer_id}:withdrawn" in mail_keys
        assert db.get(Mediator, mediator_id).booking_version == (
            1 if results["accept"] == "ok" else 0
        )
    assert outcomes  # at least one round ran
