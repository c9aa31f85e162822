"""Fixtures: app, database (SQLite file or a PostgreSQL database of its own), client, demo users,
a real SMTP server, a live server and the browser."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command as alembic_command
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import make_url
from werkzeug.serving import make_server

from pool import create_app
from pool.cli import alembic_config
from pool.db import Base, utcnow
from pool.demo import DEMO_PASSWORD, load_demo_data
from pool.models import Domain
from pool.models.mediators import BASE_DOMAIN_NAMES

# Property-based tests (hypothesis): a small profile for CI, a somewhat larger one by default.
settings.register_profile(
    "ci",
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "dev",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

CHROMIUM = "/usr/bin/chromium"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


# --- database -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """``TEST_DATABASE_URL`` names a PostgreSQL server: each run gets a database of its own."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith("postgresql"):
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    url = make_url(base).set(drivername="postgresql+psycopg")
    name = f"pool_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def app_config(database_url: str, **overrides) -> dict:
    return {
        "ENV_NAME": "testing",
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-for-tests",
        "DATABASE_URL": database_url,
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "ARGON2_PARALLELISM": 1,
        "SMTP_HOST": None,
        "BASE_URL": "http://localhost",
        **overrides,
    }


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app(app_config(database_url))
    alembic_command.upgrade(alembic_config(database_url), "head")
    yield app
    app.extensions["pool_db"].engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(request):
    """Every test starts with empty tables."""
    yield
    if "app" not in request.fixturenames:
        return
    app = request.getfixturevalue("app")
    engine = app.extensions["pool_db"].engine
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name != "data_version":  # its one row, as the migration made it
                conn.execute(table.delete())
        # Reference data the migrations load.
        conn.execute(
            Domain.__table__.insert(),
            [
                {"code": c, "name_de": de, "name_en": en}
                for c, (de, en) in BASE_DOMAIN_NAMES.items()
            ],
        )


@pytest.fixture
def db(app):
    """A session of its own for arranging and checking data; commit what requests should see.

    It begins deferred transactions, so it never holds SQLite's write lock while a request runs.
    Before reading what a request wrote, end the transaction (``db.rollback()`` or ``commit()``):
    on SQLite a transaction keeps seeing the snapshot it started with.
    """
    # No app context stays pushed: requests of the test client must each get their own ``g``.
    session = app.extensions["pool_db"].new_session(write=False)
    yield session
    session.close()


@pytest.fixture
def demo(app, db):
    """The demo pools, offices and one account per role (password ``demo-pool-2026``)."""
    with app.test_request_context():
        load_demo_data(db, now=utcnow())
    db.commit()
    return DemoAccounts()


class DemoAccounts:
    password = DEMO_PASSWORD
    admin = "admin@demo.example"
    coordinator = "koordination@demo.example"
    caseworker = "sachbearbeitung@demo.example"
    mediator = "sprachmittlung@demo.example"
    by_role = {
        "admin": admin,
        "coordinator": coordinator,
        "caseworker": caseworker,
        "mediator": mediator,
    }


# --- HTTP helpers ---------------------------------------------------------------------------------


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(client, url: str = "/login") -> str:
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(client, email: str, password: str = DEMO_PASSWORD, **environ):
    token = csrf_token(client, "/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": token},
        environ_base=environ,
    )


@pytest.fixture
def login_as(client, demo):
    def _login(role: str):
        response = login(client, demo.by_role[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return _login


# --- e-mail ---------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    def __init__(self) -> None:
        self.envelopes: list = []
        self.fail_with: str | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.fail_with:
            return self.fail_with
        self.envelopes.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a free port; ``.handler.envelopes`` holds what arrived."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    controller.handler = handler
    yield controller
    controller.stop()


# --- live server and browser ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def live_url(app) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _browser_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not _browser_available():
        message = f"Chromium is not installed ({CHROMIUM}); run: apt-get install chromium"
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail(message + " (REQUIRE_BROWSER is set, so this is a failure)")
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def base_url(live_url):
    """Playwright's base URL is the live server.

    This replaces pytest-playwright's own ``base_url`` fixture, which pytest 9 warns about (a
    session-scoped fixture defined as an instance method).
    """
    return live_url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A German browser: the app follows Accept-Language, and these tests read German texts."""
    return {**browser_context_args, "locale": "de-DE", "timezone_id": "Europe/Berlin"}
