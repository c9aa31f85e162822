"""Configuration from the environment, and the commands of the command line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import ConfigurationError
from pool import create_app
from pool.models import OutboxMessage, Pool, User
from tests.conftest import app_config
from tests.helpers import fresh, get_user

ROOT = Path(__file__).resolve().parent.parent


def _config_in_subprocess(expression: str, **env: str) -> str:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "POOL_ENV", "SECRET_KEY", "SMTP_HOST")
    }
    environment.update(env)
    result = subprocess.run(
        [sys.executable, "-c", f"import config; print({expression})"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_development_defaults_to_the_instance_sqlite_file():
    url = _config_in_subprocess("config.config_from_environment()['DATABASE_URL']")
    assert url == f"sqlite:///{ROOT / 'instance' / 'pool.sqlite3'}"
    assert _config_in_subprocess("config.config_from_environment()['ENV_NAME']") == "development"


def test_database_url_and_mail_settings_come_from_the_environment():
    expression = (
        "tuple(map(config.config_from_environment().get, ('DATABASE_URL', 'SMTP_HOST',"
        " 'SMTP_PORT', 'SMTP_STARTTLS', 'MAIL_FROM')))"
    )
    printed = _config_in_subprocess(
        expression,
        DATABASE_URL="postgresql+psycopg://u@h/db",
        SMTP_HOST="mail.example",
        SMTP_PORT="587",
        SMTP_STARTTLS="true",
        MAIL_FROM="Pool <pool@example.de>",
    )
    assert (
        printed
        == "('postgresql+psycopg://u@h/db', 'mail.example', 587, True, 'Pool <pool@example.de>')"
    )


def test_production_mode_refuses_to_start_without_secret_key():
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment["POOL_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-c", "from pool import create_app; create_app()"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


WRONG_VALUES = {
    "SMTP_PORT": "abc",
    "TRUSTED_PROXIES": "-1",
    "SMTP_STARTTLS": "maybe",
    "BASE_URL": "www.example.de",
}


@pytest.mark.parametrize(("name", "value"), WRONG_VALUES.items())
def test_a_wrong_value_stops_create_app_naming_the_variable(monkeypatch, database_url, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        create_app(app_config(database_url))
    message = str(raised.value)
    assert f"{name}={value!r}" in message
    assert len(message.splitlines()) == 2  # a heading and the one variable


def test_every_wrong_value_is_named_at_once_and_the_secret_never_shown(monkeypatch, database_url):
    for name, value in WRONG_VALUES.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    with pytest.raises(ConfigurationError) as raised:
        create_app(app_config(database_url))
    named = [line.split("=")[0].strip() for line in str(raised.value).splitlines()[1:]]
    assert sorted(named) == sorted(WRONG_VALUES)
    assert "x" * 40 not in str(raised.value)


def test_the_flask_command_stops_with_a_short_message_and_no_traceback(tmp_path):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("POOL_ENV", "SECRET_KEY", "SMTP_HOST")
    }
    environment.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'pool.sqlite3'}", SMTP_PORT="abc", TRUSTED_PROXIES="-1"
    )
    for command in (["routes"], ["seed-demo"]):
        result = subprocess.run(
            [str(Path(sys.executable).parent / "flask"), "--app", "pool", *command],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert lines[0] == "Error: invalid environment variables:"
        assert [line.split("=")[0].strip() for line in lines[1:]] == [
            "SMTP_PORT",
            "TRUSTED_PROXIES",
        ]
    assert not (tmp_path / "pool.sqlite3").exists()


def test_good_values_are_read_with_their_types(monkeypatch, database_url):
    monkeypatch.setenv("TRUSTED_PROXIES", " 2 ")
    monkeypatch.setenv("SCHEDULER_ADVISORY_LOCK", "off")
    monkeypatch.setenv("SESSION_COOKIE_SECURE", "Yes")
    monkeypatch.setenv("SMTP_PORT", "587")
    app = create_app(app_config(database_url))
    try:
        assert app.config["TRUSTED_PROXIES"] == 2
        assert app.config["SCHEDULER_ADVISORY_LOCK"] is False
        assert app.config["SESSION_COOKIE_SECURE"] is True
        assert app.config["SMTP_PORT"] == 587
    finally:
        app.extensions["pool_db"].engine.dispose()


def test_seed_demo_loads_once_and_prints_the_logins(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0 and "Demo data loaded." in first.output
    for email in (
        "admin@demo.example",
        "koordination@demo.example",
        "sachbearbeitung@demo.example",
        "sprachmittlung@demo.example",
    ):
        assert email in first.output
    second = runner.invoke(args=["seed-demo"])
    assert "already present" in second.output
    fresh(db)
    assert db.scalar(select(func.count(Pool.id))) == 2
    assert db.scalar(select(func.count(User.id))) == 4
    district = db.scalars(select(Pool).where(Pool.name == "Landkreis")).one()
    assert len(district.offices) >= 4
    assert [p.name for p in district.shares_with] == ["Stadt Neustadt"]


def test_create_user_invites_through_the_outbox(app, db, demo):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "Neue.Koordination@demo.example",
            "--name",
            "Nele Neu",
            "--role",
            "coordinator",
            "--pool",
            "Landkreis",
        ]
    )
    assert result.exit_code == 0, result.output
    user = get_user(db, "neue.koordination@demo.example")
    assert user.role_names == ["coordinator"] and user.password_hash is None
    assert (
        db.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.recipient == user.email, OutboxMessage.kind == "invite"
            )
        )
        == 1
    )


def test_create_user_with_password_from_stdin_can_sign_in(app, db, demo):
    from tests.conftest import login

    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "chef@demo.example",
            "--name",
            "Chef",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="Kaffee mit Milch und Zucker\n",
    )
    assert result.exit_code == 0, result.output
    assert (
        login(app.test_client(), "chef@demo.example", "Kaffee mit Milch und Zucker").status_code
        == 302
    )


def test_create_user_explains_mistakes(app, demo):
    runner = app.test_cli_runner()
    duplicate = runner.invoke(
        args=["create-user", "admin@demo.example", "--name", "X", "--role", "admin"]
    )
    assert duplicate.exit_code != 0 and "schon einen Zugang" in duplicate.output
    no_pool = runner.invoke(
        args=["create-user", "x@demo.example", "--name", "X", "--role", "coordinator"]
    )
    assert no_pool.exit_code != 0 and "--pool" in no_pool.output
    weak = runner.invoke(
        args=[
            "create-user",
            "y@demo.example",
            "--name",
            "Y",
            "--role",
            "admin",
            "--password-stdin",
        ],
        input="password1234\n",
    )
    assert weak.exit_code != 0 and "zu leicht zu erraten" in weak.output


def test_seed_demo_refuses_in_production(app, db, database_url):
    """``flask seed-demo`` with POOL_ENV=production creates no account with the public demo
    password."""
    environment = {
        **os.environ,
        "POOL_ENV": "production",
        "SECRET_KEY": "a-real-production-secret-key-0123456789abcdef",
        "SMTP_HOST": "127.0.0.1",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [str(Path(sys.executable).with_name("flask")), "--app", "pool", "seed-demo"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "refuses to run with POOL_ENV=production" in result.stderr
    fresh(db)
    assert db.scalar(select(func.count(User.id))) == 0
