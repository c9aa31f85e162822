"""Limits and equal answers on the public forms: reset links and applications are limited per
target address and per client address, sign-in and reset take as long for unknown addresses as
for known ones, and a browser that signed in before is never held by the per-address limit."""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import func, select

from pool import create_app
from pool.models import Mediator, ThrottleEvent
from pool.security import hash_password
from tests.conftest import app_config, csrf_token, login
from tests.helpers import fresh, get_user, outbox_for, text
from tests.test_apply import URL as APPLY_URL
from tests.test_apply import _form as application

FORGOT = "/password/forgot"


def ask_reset(client, email: str, **environ):
    return client.post(
        FORGOT,
        data={"csrf_token": csrf_token(client, FORGOT), "email": email},
        environ_base=environ,
    )


# --- password reset ---------------------------------------------------------------------------------


def test_reset_links_are_limited_per_target_address(app, demo, db):
    for i in range(3):  # from three different addresses: the target's limit holds
        assert (
            ask_reset(app.test_client(), demo.caseworker, REMOTE_ADDR=f"192.0.2.{i}").status_code
            == 302
        )
    refused = ask_reset(app.test_client(), demo.caseworker, REMOTE_ADDR="192.0.2.99")
    assert refused.status_code == 429
    assert "zu viele Links angefordert" in text(refused)
    assert len(outbox_for(db, demo.caseworker)) == 3  # not a fourth urgent mail
    # Another person is not affected.
    assert ask_reset(app.test_client(), demo.mediator, REMOTE_ADDR="192.0.2.99").status_code == 302


def test_reset_links_are_limited_per_client_address(app, demo, db):
    client = app.test_client()
    for i in range(20):
        assert (
            ask_reset(client, f"person{i}@demo.example", REMOTE_ADDR="198.51.100.3").status_code
            == 302
        )
    assert ask_reset(client, demo.caseworker, REMOTE_ADDR="198.51.100.3").status_code == 429
    assert outbox_for(db, demo.caseworker) == []
    assert (
        ask_reset(app.test_client(), demo.caseworker, REMOTE_ADDR="198.51.100.4").status_code == 302
    )


def test_the_reset_limit_counts_unknown_addresses_alike_and_stores_no_typed_address(app, demo, db):
    """The limit answers the same for addresses with and without an account, so it tells
    nothing; only a hash of what was typed is kept."""
    for email in ("fremd@demo.example", demo.caseworker):
        answers = [ask_reset(app.test_client(), email).status_code for _ in range(4)]
        assert answers == [302, 302, 302, 429]
    fresh(db)
    keys = db.scalars(select(ThrottleEvent.target_key)).all()
    assert len(keys) == 6 and not any("@" in key for key in keys)


# --- applications -----------------------------------------------------------------------------------


def test_applications_are_limited_per_email_address(app, demo, db):
    client = app.test_client()
    answers = [client.post(APPLY_URL, data=application(client, db)).status_code for _ in range(4)]
    # The first applies, the repeats look alike (the page does not tell who applied), the fourth
    # is refused.
    assert answers == [302, 302, 302, 429]
    fresh(db)
    assert db.scalar(select(func.count(Mediator.id))) == 1


def test_applications_are_limited_per_client_address(app, demo, db):
    client = app.test_client()
    for i in range(10):
        response = client.post(
            APPLY_URL,
            data=application(client, db, email=f"bewerbung{i}@example.org"),
            environ_base={"REMOTE_ADDR": "203.0.113.50"},
        )
        assert response.status_code == 302
    refused = client.post(
        APPLY_URL,
        data=application(client, db, email="noch-eine@example.org"),
        environ_base={"REMOTE_ADDR": "203.0.113.50"},
    )
    assert refused.status_code == 429
    assert "zu viele Bewerbungen" in text(refused)
    assert "noch-eine@example.org" in text(refused)  # the form keeps what was typed
    other = app.test_client()
    assert (
        other.post(
            APPLY_URL,
            data=application(other, db, email="noch-eine@example.org"),
            environ_base={"REMOTE_ADDR": "203.0.113.51"},
        ).status_code
        == 302
    )


def test_an_invalid_application_is_not_counted(app, demo, db):
    client = app.test_client()
    for _ in range(5):
        assert client.post(APPLY_URL, data=application(client, db, name="")).status_code == 400
    assert client.post(APPLY_URL, data=application(client, db)).status_code == 302


# --- the same time for known and unknown addresses ----------------------------------------------------


@pytest.fixture
def timing_app(app, database_url):
    """The test database with real argon2id work (OWASP's minimum) and no limits in the way."""
    unlimited = 10**6
    timed = create_app(
        app_config(
            database_url,
            ARGON2_TIME_COST=2,
            ARGON2_MEMORY_COST=19456,
            ARGON2_PARALLELISM=1,
            LOGIN_MAX_FAILURES_ACCOUNT=unlimited,
            LOGIN_MAX_FAILURES_ADDRESS=unlimited,
            RESET_MAX_PER_TARGET=unlimited,
            RESET_MAX_PER_ADDRESS=unlimited,
        )
    )
    yield timed
    timed.extensions["pool_db"].engine.dispose()


def median_times(send, known: str, unknown: str, rounds: int = 15) -> tuple[float, float]:
    """Medians of alternating calls, after one warm-up call each."""
    times: dict[str, list[float]] = {known: [], unknown: []}
    send(known), send(unknown)
    for _ in range(rounds):
        for email in (known, unknown):
            started = time.perf_counter()
            send(email)
            times[email].append(time.perf_counter() - started)
    return statistics.median(times[known]), statistics.median(times[unknown])


def assert_alike(known: float, unknown: float) -> None:
    ratio = max(known, unknown) / min(known, unknown)
    measured = f"known {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms, ratio {ratio:.2f}"
    print(measured)  # shown with pytest -s
    assert ratio <= 1.5, measured


def test_sign_in_takes_as_long_for_an_unknown_address(timing_app, demo, db):
    with timing_app.app_context():
        stored = hash_password(demo.password)  # with the parameters in force
    user = get_user(db, demo.caseworker)
    user.password_hash = stored
    db.commit()
    client = timing_app.test_client()
    token = csrf_token(client, "/login")

    def send(email):
        response = client.post(
            "/login", data={"email": email, "password": "falsch-geraten-1", "csrf_token": token}
        )
        assert response.status_code == 401

    assert_alike(*median_times(send, demo.caseworker, "niemand@demo.example"))


def test_reset_takes_as_long_for_an_unknown_address(timing_app, demo, db):
    client = timing_app.test_client()
    token = csrf_token(client, FORGOT)

    def send(email):
        assert client.post(FORGOT, data={"email": email, "csrf_token": token}).status_code == 302

    assert_alike(*median_times(send, demo.caseworker, "niemand@demo.example"))
    assert len(outbox_for(db, demo.caseworker)) == 16
    assert outbox_for(db, "niemand@demo.example") == []


# --- trusted devices ----------------------------------------------------------------------------------


def test_a_browser_that_signed_in_before_is_not_held_by_the_per_address_limit(app, demo):
    """A town hall behind one address: someone there fails 50 times; a colleague whose browser
    signed in before still gets in, one whose browser never did is held."""
    town_hall = {"REMOTE_ADDR": "198.51.100.77"}
    colleague = app.test_client()
    assert login(colleague, demo.caseworker, **town_hall).status_code == 302
    colleague.post("/logout", data={"csrf_token": csrf_token(colleague, "/")})
    assert "pool_device" in {c.key for c in colleague._cookies.values()}

    someone = app.test_client()
    for i in range(50):
        login(someone, f"person{i}@demo.example", "falsch-falsch-falsch", **town_hall)
    new_browser = app.test_client()
    assert login(new_browser, demo.caseworker, **town_hall).status_code == 429
    assert login(colleague, demo.caseworker, **town_hall).status_code == 302
    # The cookie vouches for its own account only.
    other = app.test_client()
    other._cookies = colleague._cookies.copy()
    other.post("/logout", data={"csrf_token": csrf_token(other, "/")})
    assert login(other, demo.mediator, **town_hall).status_code == 429
