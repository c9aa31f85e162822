"""CSRF, headers, cookies, error pages, hostile input and the production guard."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from flask import abort
from sqlalchemy import select
from sqlalchemy.engine import make_url

from config import DEV_SECRET_KEY
from pool import create_app
from pool.models import AuditEvent
from tests.conftest import app_config, csrf_token, login
from tests.helpers import text

HOSTILE_VALUES = [
    "\x00",
    "abc\x00def",
    "x" * 100_000,
    "<script>alert(1)</script>",
    "' OR 1=1; DROP TABLE users; --",
    "🙂" * 300,
    "-1",
    "99999999999999999999999",
    "abc",
    "",
]
FIELD_NAMES = [
    "email",
    "password",
    "confirm",
    "current",
    "name",
    "locale",
    "submit",
    "remember",
    "pool_id",
    "office_id",
    "kind",
    "federal_state",
    "contact_email",
    "contact_phone",
    "phone",
    "cost_centre",
    "active",
    "roles",
    "admin",
    "shares_with",
    "query",
    "role",
    "coordinator_pools",
    "caseworker_office",
    "mediator_pool",
]


def test_post_without_csrf_token_is_refused_with_a_plain_message(client, demo):
    response = client.post("/login", data={"email": demo.admin, "password": demo.password})
    assert response.status_code == 400
    assert "Das Formular ist abgelaufen oder unvollständig" in text(response)
    assert client.get("/").status_code == 302  # not signed in


def test_signed_in_form_without_csrf_token_changes_nothing(login_as, db):
    client = login_as("caseworker")
    response = client.post("/profile", data={"name": "Gekapert", "locale": "de"})
    assert response.status_code == 400
    assert "Gekapert" not in text(client.get("/profile"))


def test_security_headers_on_every_page(client, demo):
    response = client.get("/login")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP


def test_hsts_only_over_https(client, demo):
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_signed_in_pages_are_not_cached(login_as):
    client = login_as("coordinator")
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/profile").headers["Cache-Control"] == "no-store"


def test_session_cookie_flags(client, demo):
    response = login(client, demo.admin)
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("pool_session=")
    )
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over plain HTTP


def test_production_cookies_are_secure(database_url, demo):
    app = create_app(
        app_config(
            database_url,
            ENV_NAME="production",
            SESSION_COOKIE_SECURE=True,
            SECRET_KEY="a" * 48,
            SMTP_HOST="127.0.0.1",
        )
    )
    try:
        response = login(app.test_client(), demo.admin)
        assert all("Secure" in c for c in response.headers.getlist("Set-Cookie"))
    finally:
        app.extensions["pool_db"].engine.dispose()


@pytest.mark.parametrize("secret", [None, "", DEV_SECRET_KEY, "short"])
def test_production_refuses_to_start_without_a_real_secret_key(database_url, secret):
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(
            app_config(database_url, ENV_NAME="production", SECRET_KEY=secret, SMTP_HOST="mail")
        )


def test_production_refuses_to_start_without_a_mail_server(database_url):
    with pytest.raises(RuntimeError, match="SMTP_HOST"):
        create_app(app_config(database_url, ENV_NAME="production", SECRET_KEY="a" * 48))


def test_error_pages_are_german(database_url, demo):
    app = create_app(app_config(database_url))

    @app.get("/test-only/boom")
    def boom():
        raise RuntimeError("unexpected")

    @app.get("/test-only/forbidden")
    def forbidden():
        abort(403)

    client = app.test_client()
    try:
        missing = client.get("/gibt-es-nicht")
        assert missing.status_code == 404 and "Seite nicht gefunden" in text(missing)
        denied = client.get("/test-only/forbidden")
        assert denied.status_code == 403 and "Kein Zugriff" in text(denied)
        broken = client.get("/test-only/boom")
        assert broken.status_code == 500 and "Das ist unser Fehler, nicht Ihrer" in text(broken)
        assert "RuntimeError" not in text(broken)
    finally:
        app.extensions["pool_db"].engine.dispose()


def test_denied_access_is_audited(login_as, db):
    client = login_as("mediator")
    assert client.get("/admin/").status_code == 403
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "access.denied")).one()
    assert event.details["endpoint"] == "admin.index"


def test_nul_bytes_and_huge_input_in_sign_in_get_form_errors(client, demo):
    token = csrf_token(client)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "a\x00b@demo.example", "password": "x"}
    )
    assert response.status_code == 400
    assert "unzulässige Steuerzeichen" in text(response)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "a" * 5000, "password": "x"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("role", [None, "admin", "coordinator", "caseworker", "mediator"])
def test_no_form_answers_500_to_hostile_input(app, client, demo, role):
    if role:
        login(client, demo.by_role[role])
    token = csrf_token(client, "/password/forgot")
    adapter = app.url_map.bind("localhost")
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods or rule.rule.startswith("/api/"):
            continue
        values = {}
        for arg, converter in rule._converters.items():
            values[arg] = 1 if type(converter).__name__ == "IntegerConverter" else "abc"
        url = adapter.build(rule.endpoint, values)
        if url in ("/logout", "/logout/everywhere"):
            continue  # would end the session the remaining checks use
        for value in HOSTILE_VALUES:
            data = {name: value for name in FIELD_NAMES}
            data["csrf_token"] = token
            response = client.post(url, data=data)
            assert response.status_code < 500, (url, repr(value[:20]), response.status_code)
            checked += 1
    assert checked >= 5 * len(HOSTILE_VALUES)


def test_no_page_answers_500_to_hostile_query_strings(app, client, demo):
    login(client, demo.admin)
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments - {"token"} or rule.endpoint == "static":
            continue
        url = adapter.build(rule.endpoint, {"token": "abc"} if "token" in rule.arguments else {})
        for value in HOSTILE_VALUES[:6]:
            response = client.get(
                url,
                query_string={
                    "q": value,
                    "page": value,
                    "next": value,
                    "limit": value,
                    "cursor": value,
                },
            )
            assert response.status_code < 500, (url, repr(value[:20]))


def test_sqlite_writer_waits_for_another_writer_instead_of_failing(app, demo, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL locks rows instead")
    path = make_url(database_url).database
    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=15)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.5, blocker.execute, args=("COMMIT",))
    release.start()
    try:
        response = login(app.test_client(), demo.admin)
        assert response.status_code == 302  # waited for the lock, then signed in
    finally:
        release.join()
        blocker.close()


def test_sqlite_still_locked_after_the_timeout_answers_503(database_url, demo):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL locks rows instead")
    app = create_app(app_config(database_url, SQLITE_BUSY_TIMEOUT_MS=100))
    client = app.test_client()
    token = csrf_token(client)
    blocker = sqlite3.connect(make_url(database_url).database, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        response = client.post(
            "/login", data={"csrf_token": token, "email": demo.admin, "password": demo.password}
        )
        assert response.status_code == 503
        assert "Das System ist gerade ausgelastet" in text(response)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
        app.extensions["pool_db"].engine.dispose()


@pytest.mark.parametrize("role", ["admin", "coordinator"])
def test_every_page_and_download_names_one_charset(app, login_as, role):
    """Every GET route without parameters (pages, CSV and PDF downloads, feeds, the API)."""
    client = login_as(role)
    urls = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "static"
    )
    assert "/berichte/sprachen.csv" in urls
    for url in urls:
        response = client.get(url)
        content_type = response.headers.get("Content-Type", "")
        assert content_type.lower().count("charset") <= 1, (url, content_type)
    csv = client.get("/berichte/sprachen.csv")
    assert csv.headers["Content-Type"] == "text/csv; charset=utf-8"
