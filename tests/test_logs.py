"""No secret of an address reaches a log: a real gunicorn with the example configuration
(docs/gunicorn.conf.py) serves password links, calendar feeds and sign-in answers, and its access
log holds none of their secrets; the app's own log (here the development server's request lines)
neither."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests as http
from werkzeug.routing import Rule

from pool.calendar import create_feed_token
from pool.db import utcnow
from pool.redact import redact
from tests.conftest import csrf_token, free_port
from tests.helpers import get_user, link_in, outbox_for

ROOT = Path(__file__).resolve().parent.parent


def reset_link(app, demo, db) -> str:
    client = app.test_client()
    client.post(
        "/password/forgot",
        data={"csrf_token": csrf_token(client, "/password/forgot"), "email": demo.caseworker},
    )
    return link_in(outbox_for(db, demo.caseworker)[-1])


def feed_token(app, demo, db) -> str:
    user = get_user(db, demo.mediator)
    with app.app_context():
        token = create_feed_token(db, user=user, now=utcnow())
    db.commit()
    return token


def start_gunicorn(database_url: str, log) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "POOL_ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "a-secret-key-for-the-gunicorn-log-test-0123456789",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen(
        [str(gunicorn), "-c", "docs/gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            http.get(f"{base}/healthz", timeout=30)
            return process, base
        except http.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                process.wait()
                raise AssertionError("gunicorn did not start") from None
            time.sleep(0.2)


def test_gunicorn_access_log_holds_no_token(app, demo, db, database_url, tmp_path):
    link = reset_link(app, demo, db)
    reset_secret = link.rsplit("/", 1)[1]
    calendar_secret = feed_token(app, demo, db)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        process, base = start_gunicorn(database_url, out)
        try:
            page = http.get(base + link, timeout=30)
            assert page.status_code == 200 and "Passwort" in page.text
            # The browser then loads the style sheet, naming the page as Referer.
            http.get(f"{base}/static/css/app.css", headers={"Referer": base + link}, timeout=30)
            feed = http.get(f"{base}/kalender/{calendar_secret}.ics", timeout=30)
            assert feed.status_code == 200 and "BEGIN:VCALENDAR" in feed.text
            http.get(
                f"{base}/login?code=Geheimer-Code-0815&state=Geheimer-Zustand-4711", timeout=30
            )
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=60)
    written = log.read_text()
    assert "GET /password/set/[…] HTTP/1.1" in written, written
    assert "GET /kalender/[…] HTTP/1.1" in written, written
    assert "code=[…]&state=[…]" in written
    for secret in (reset_secret, calendar_secret, "Geheimer-Code-0815", "Geheimer-Zustand-4711"):
        assert secret not in written


def test_the_development_servers_request_lines_hold_no_token(app, demo, db, live_url, caplog):
    link = reset_link(app, demo, db)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        assert http.get(live_url + link, timeout=30).status_code == 200
        time.sleep(0.2)  # the request line is written after the answer
    assert "/password/set/[…]" in caplog.text
    assert link.rsplit("/", 1)[1] not in caplog.text


def test_every_route_with_a_secret_in_its_path_is_redacted(app):
    """A new route with a ``<token>`` in its path must be known to pool/redact.py."""
    secret = "x" * 43
    rules: list[Rule] = [r for r in app.url_map.iter_rules() if "token" in r.arguments]
    assert len(rules) >= 3
    for rule in rules:
        with app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, token=secret)
        assert secret not in redact(f"GET {path} HTTP/1.1"), rule.rule
