"""Configuration read from the environment.

Without ``POOL_ENV=production`` the app runs in development mode on ``instance/pool.sqlite3``, the
same file ``make run`` uses, so every ``flask --app pool …`` command run in the checkout acts on it.
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SQLITE_PATH = BASE_DIR / "instance" / "pool.sqlite3"
DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class Config:
    ENV_NAME = "development"
    TESTING = False
    SECRET_KEY = os.environ.get("SECRET_KEY") or DEV_SECRET_KEY
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    SQLITE_BUSY_TIMEOUT_MS = _int("SQLITE_BUSY_TIMEOUT_MS", 15000)

    # Mail
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_USER = os.environ.get("SMTP_USER") or None
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD") or None
    SMTP_STARTTLS = _bool("SMTP_STARTTLS", False)
    SMTP_TIMEOUT = _int("SMTP_TIMEOUT", 30)
    MAIL_FROM = os.environ.get("MAIL_FROM") or "Dolmetscherpool <noreply@localhost>"
    # Links in e-mails are built against this address.
    BASE_URL = (os.environ.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")

    # Sessions and cookies
    SESSION_COOKIE_NAME = "pool_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", False)
    PERMANENT_SESSION_LIFETIME = _int("SESSION_LIFETIME_SECONDS", 8 * 3600)
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 500_000

    # Pages read again and again (queue, request with candidates, start pages) are kept in each
    # process's memory while no data changed, for at most this many seconds (0: off), in at most
    # this many MiB per process (pool/pagecache.py).
    PAGE_CACHE_SECONDS = _int("PAGE_CACHE_SECONDS", 30)
    PAGE_CACHE_MB = _int("PAGE_CACHE_MB", 64)

    # Number of reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)

    # Sign-in throttling: failures within the window per account and per client address.
    LOGIN_WINDOW_SECONDS = _int("LOGIN_WINDOW_SECONDS", 15 * 60)
    LOGIN_MAX_FAILURES_ACCOUNT = _int("LOGIN_MAX_FAILURES_ACCOUNT", 5)
    LOGIN_MAX_FAILURES_ADDRESS = _int("LOGIN_MAX_FAILURES_ADDRESS", 50)

    # argon2id parameters (argon2-cffi defaults: 64 MiB, t=3, p=4)
    ARGON2_TIME_COST = _int("ARGON2_TIME_COST", 3)
    ARGON2_MEMORY_COST = _int("ARGON2_MEMORY_COST", 65536)
    ARGON2_PARALLELISM = _int("ARGON2_PARALLELISM", 4)

    INVITATION_VALID_HOURS = _int("INVITATION_VALID_HOURS", 7 * 24)
    PASSWORD_RESET_VALID_MINUTES = _int("PASSWORD_RESET_VALID_MINUTES", 60)

    # Outbox delivery
    OUTBOX_MAX_ATTEMPTS = _int("OUTBOX_MAX_ATTEMPTS", 8)
    OUTBOX_BATCH_SIZE = _int("OUTBOX_BATCH_SIZE", 50)

    # Scheduler process (``flask --app pool scheduler``): seconds between ticks. On PostgreSQL a
    # session-level advisory lock lets one tick run at a time; tests turn it off to show that the
    # row claims alone prevent duplicates.
    SCHEDULER_TICK_SECONDS = _int("SCHEDULER_TICK_SECONDS", 60)
    SCHEDULER_ADVISORY_LOCK = _bool("SCHEDULER_ADVISORY_LOCK", True)

    # Data protection (pool/services/privacy.py): outbox bodies are deleted this many days after
    # sending, audit details pseudonymised after these months, payout records kept these years.
    OUTBOX_BODY_RETENTION_DAYS = _int("OUTBOX_BODY_RETENTION_DAYS", 90)
    AUDIT_RETENTION_MONTHS = _int("AUDIT_RETENTION_MONTHS", 24)
    PAYOUT_RETENTION_YEARS = _int("PAYOUT_RETENTION_YEARS", 10)

    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = _bool("SESSION_COOKIE_SECURE", True)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key"  # noqa: S105
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or "sqlite://"
    # Cheap hashes keep the suite fast; production parameters are tested explicitly.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    SMTP_HOST = None
    BASE_URL = "http://localhost"


def config_from_environment() -> type[Config]:
    name = (os.environ.get("POOL_ENV") or "development").strip().lower()
    return {"production": ProductionConfig, "testing": TestingConfig}.get(name, Config)
