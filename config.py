"""Configuration read from the environment through one typed settings class.

Every environment variable the app reads is a field of :class:`Settings`, named exactly like the
variable, with its type, limits, default and meaning; ``docs/production.md`` lists the same
variables (``tests/test_config_docs.py`` compares them). A value that does not fit (``SMTP_PORT=abc``,
``TRUSTED_PROXIES=-1``, ``SMTP_STARTTLS=maybe``) stops the start with :class:`ConfigurationError`,
one line per variable. :func:`config_from_environment` turns the settings into the keys of
``app.config``.

Without ``POOL_ENV=production`` the app runs in development mode on ``instance/pool.sqlite3``, the
same file ``make run`` uses, so every ``flask --app pool …`` command run in the checkout acts on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SQLITE_PATH = BASE_DIR / "instance" / "pool.sqlite3"
DEV_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production
MIN_SECRET_KEY_LENGTH = 32

# Fields whose values never appear in an error message.
_SECRET_FIELDS = frozenset({"SECRET_KEY", "SMTP_PASSWORD"})


class ConfigurationError(click.ClickException, RuntimeError):
    """A setting that stops the start.

    A RuntimeError for whoever calls ``create_app``; a ClickException so that ``flask --app pool …``
    prints the message alone (``Error: …``, exit code 1) instead of a traceback.
    """


class Settings(BaseSettings):
    """Every environment variable the app reads. An unset or empty variable takes the default."""

    model_config = SettingsConfigDict(
        case_sensitive=True, env_ignore_empty=True, extra="ignore", frozen=True
    )

    POOL_ENV: str = Field(
        "development",
        description="`production` (production checks, Secure cookies), `testing` or anything "
        "else for development",
    )
    SECRET_KEY: SecretStr = Field(
        SecretStr(DEV_SECRET_KEY),
        description="Signs sessions, CSRF tokens and links; production needs 32+ characters.",
    )
    DATABASE_URL: str = Field(
        f"sqlite:///{DEFAULT_SQLITE_PATH}", description="SQLAlchemy URL of the database."
    )
    TEST_DATABASE_URL: str | None = Field(
        None,
        description="Testing mode only: database of the test suite (default in-memory SQLite).",
    )
    SQLITE_BUSY_TIMEOUT_MS: int = Field(
        15000, ge=0, description="SQLite only: milliseconds a writer waits for the lock."
    )

    # Mail
    SMTP_HOST: str | None = Field(
        None, description="Mail server; without it mail is printed (development only)."
    )
    SMTP_PORT: int = Field(25, ge=1, le=65535, description="Mail server port.")
    SMTP_USER: str | None = Field(None, description="Mail server login (optional).")
    SMTP_PASSWORD: SecretStr | None = Field(None, description="Mail server password (optional).")
    SMTP_STARTTLS: bool = Field(False, description="Upgrade the connection with STARTTLS.")
    SMTP_TIMEOUT: int = Field(30, ge=1, description="Seconds before a mail connection gives up.")
    MAIL_FROM: str = Field(
        "Dolmetscherpool <noreply@localhost>",
        description="Sender; its domain also forms the Message-ID.",
    )
    BASE_URL: str = Field(
        "http://127.0.0.1:5000",
        pattern=r"^https?://\S+$",
        description="Public address that links in e-mails and calendar files are built against.",
    )

    # Sessions and cookies
    SESSION_COOKIE_SECURE: bool | None = Field(
        None, description="Session cookie over HTTPS only; unset: true in production, else false."
    )
    SESSION_LIFETIME_SECONDS: int = Field(
        8 * 3600, ge=1, description="How long a session stays valid after it was last written."
    )

    # Server-side sessions (pool/auth/sessions.py): coordinators and admins see the data of many
    # people, so their sessions end sooner when idle.
    SESSION_IDLE_MINUTES_STAFF: int = Field(
        60, ge=1, description="A coordinator's or admin's session ends after this idle time."
    )
    SESSION_IDLE_MINUTES: int = Field(
        8 * 60, ge=1, description="Anyone else's session ends after this many idle minutes."
    )
    SESSION_ABSOLUTE_HOURS: int = Field(
        12, ge=1, description="Every session ends this many hours after sign-in."
    )
    SESSION_TOUCH_SECONDS: int = Field(
        60, ge=1, description="A session's last use is written at most this often."
    )

    # Pages read again and again (queue, request with candidates, start pages) are kept in each
    # process's memory while no data changed (pool/pagecache.py).
    PAGE_CACHE_SECONDS: int = Field(
        30, ge=0, description="Seconds a kept page may be served; 0 turns keeping pages off."
    )
    PAGE_CACHE_MB: int = Field(64, ge=0, description="Memory for kept pages per process, MiB.")

    TRUSTED_PROXIES: int = Field(
        0, ge=0, description="Reverse proxies in front whose X-Forwarded-* headers are trusted."
    )

    # Sign-in throttling: failures within the window per account and per client address.
    LOGIN_WINDOW_SECONDS: int = Field(15 * 60, ge=1, description="Window for failed sign-ins.")
    LOGIN_MAX_FAILURES_ACCOUNT: int = Field(
        5, ge=1, description="Failed sign-ins per account within the window."
    )
    LOGIN_MAX_FAILURES_ADDRESS: int = Field(
        50, ge=1, description="Failed sign-ins per client address within the window."
    )

    # argon2id parameters (argon2-cffi defaults: 64 MiB, t=3, p=4); argon2 needs at least 8 KiB
    # of memory per lane.
    ARGON2_TIME_COST: int = Field(3, ge=1, description="argon2id iterations.")
    ARGON2_MEMORY_COST: int = Field(65536, ge=8, description="argon2id memory in KiB.")
    ARGON2_PARALLELISM: int = Field(4, ge=1, description="argon2id lanes.")

    # Reset links asked for and applications sent (/mitmachen): uses within the window per
    # e-mail address typed and per client address (pool/services/throttle.py).
    RESET_WINDOW_SECONDS: int = Field(
        60 * 60, ge=1, description="Window for counting requested password reset links."
    )
    RESET_MAX_PER_TARGET: int = Field(
        3, ge=1, description="Reset links per e-mail address typed within the window."
    )
    RESET_MAX_PER_ADDRESS: int = Field(
        20, ge=1, description="Reset links per client address within the window."
    )
    APPLY_WINDOW_SECONDS: int = Field(
        60 * 60, ge=1, description="Window for counting applications sent through /mitmachen."
    )
    APPLY_MAX_PER_TARGET: int = Field(
        3, ge=1, description="Applications per e-mail address within the window."
    )
    APPLY_MAX_PER_ADDRESS: int = Field(
        10, ge=1, description="Applications per client address within the window."
    )

    INVITATION_VALID_HOURS: int = Field(7 * 24, ge=1, description="Validity of an invitation.")
    PASSWORD_RESET_VALID_MINUTES: int = Field(
        60, ge=1, description="Validity of a password reset link."
    )

    # Outbox delivery
    OUTBOX_MAX_ATTEMPTS: int = Field(8, ge=1, description="Attempts before a message fails.")
    OUTBOX_BATCH_SIZE: int = Field(50, ge=1, description="Messages sent per tick at most.")

    # Scheduler process (``flask --app pool scheduler``). On PostgreSQL a session-level advisory
    # lock lets one tick run at a time; tests turn it off to show that the row claims alone
    # prevent duplicates.
    SCHEDULER_TICK_SECONDS: int = Field(60, ge=1, description="Seconds between two ticks.")
    SCHEDULER_ADVISORY_LOCK: bool = Field(
        True, description="PostgreSQL: one tick at a time across schedulers."
    )

    # Data protection (pool/services/privacy.py).
    OUTBOX_BODY_RETENTION_DAYS: int = Field(
        90, ge=0, description="Days after sending until a message's text is deleted."
    )
    AUDIT_RETENTION_MONTHS: int = Field(
        24, ge=0, description="Months until audit details are pseudonymised."
    )
    PAYOUT_RETENTION_YEARS: int = Field(10, ge=0, description="Years payout records are kept.")

    @field_validator("POOL_ENV")
    @classmethod
    def _mode(cls, value: str) -> str:
        return value.strip().lower()

    @field_validator(
        "SMTP_STARTTLS", "SESSION_COOKIE_SECURE", "SCHEDULER_ADVISORY_LOCK", mode="before"
    )
    @classmethod
    def _strip(cls, value: Any) -> Any:
        # " true " from a hand-written unit file is read as true, as before.
        return value.strip() if isinstance(value, str) else value

    @property
    def mode(self) -> str:
        return self.POOL_ENV if self.POOL_ENV in ("production", "testing") else "development"

    def flask_config(self) -> dict[str, Any]:
        """The keys of ``app.config`` for this environment."""
        mode = self.mode
        cookie_secure = self.SESSION_COOKIE_SECURE
        if cookie_secure is None:
            cookie_secure = mode == "production"
        config: dict[str, Any] = {
            "ENV_NAME": mode,
            "TESTING": False,
            "SECRET_KEY": self.SECRET_KEY.get_secret_value(),
            "DATABASE_URL": self.DATABASE_URL,
            "SQLITE_BUSY_TIMEOUT_MS": self.SQLITE_BUSY_TIMEOUT_MS,
            "SMTP_HOST": self.SMTP_HOST,
            "SMTP_PORT": self.SMTP_PORT,
            "SMTP_USER": self.SMTP_USER,
            "SMTP_PASSWORD": self.SMTP_PASSWORD.get_secret_value() if self.SMTP_PASSWORD else None,
            "SMTP_STARTTLS": self.SMTP_STARTTLS,
            "SMTP_TIMEOUT": self.SMTP_TIMEOUT,
            "MAIL_FROM": self.MAIL_FROM,
            "BASE_URL": self.BASE_URL.rstrip("/"),
            "SESSION_COOKIE_NAME": "pool_session",
            "SESSION_COOKIE_HTTPONLY": True,
            "SESSION_COOKIE_SAMESITE": "Lax",
            "SESSION_COOKIE_SECURE": cookie_secure,
            "PERMANENT_SESSION_LIFETIME": self.SESSION_LIFETIME_SECONDS,
            "SESSION_IDLE_MINUTES_STAFF": self.SESSION_IDLE_MINUTES_STAFF,
            "SESSION_IDLE_MINUTES": self.SESSION_IDLE_MINUTES,
            "SESSION_ABSOLUTE_HOURS": self.SESSION_ABSOLUTE_HOURS,
            "SESSION_TOUCH_SECONDS": self.SESSION_TOUCH_SECONDS,
            "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
            "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
            "MAX_FORM_MEMORY_SIZE": 500_000,
            "PAGE_CACHE_SECONDS": self.PAGE_CACHE_SECONDS,
            "PAGE_CACHE_MB": self.PAGE_CACHE_MB,
            "TRUSTED_PROXIES": self.TRUSTED_PROXIES,
            "LOGIN_WINDOW_SECONDS": self.LOGIN_WINDOW_SECONDS,
            "LOGIN_MAX_FAILURES_ACCOUNT": self.LOGIN_MAX_FAILURES_ACCOUNT,
            "LOGIN_MAX_FAILURES_ADDRESS": self.LOGIN_MAX_FAILURES_ADDRESS,
            "RESET_WINDOW_SECONDS": self.RESET_WINDOW_SECONDS,
            "RESET_MAX_PER_TARGET": self.RESET_MAX_PER_TARGET,
            "RESET_MAX_PER_ADDRESS": self.RESET_MAX_PER_ADDRESS,
            "APPLY_WINDOW_SECONDS": self.APPLY_WINDOW_SECONDS,
            "APPLY_MAX_PER_TARGET": self.APPLY_MAX_PER_TARGET,
            "APPLY_MAX_PER_ADDRESS": self.APPLY_MAX_PER_ADDRESS,
            "ARGON2_TIME_COST": self.ARGON2_TIME_COST,
            "ARGON2_MEMORY_COST": self.ARGON2_MEMORY_COST,
            "ARGON2_PARALLELISM": self.ARGON2_PARALLELISM,
            "INVITATION_VALID_HOURS": self.INVITATION_VALID_HOURS,
            "PASSWORD_RESET_VALID_MINUTES": self.PASSWORD_RESET_VALID_MINUTES,
            "OUTBOX_MAX_ATTEMPTS": self.OUTBOX_MAX_ATTEMPTS,
            "OUTBOX_BATCH_SIZE": self.OUTBOX_BATCH_SIZE,
            "SCHEDULER_TICK_SECONDS": self.SCHEDULER_TICK_SECONDS,
            "SCHEDULER_ADVISORY_LOCK": self.SCHEDULER_ADVISORY_LOCK,
            "OUTBOX_BODY_RETENTION_DAYS": self.OUTBOX_BODY_RETENTION_DAYS,
            "AUDIT_RETENTION_MONTHS": self.AUDIT_RETENTION_MONTHS,
            "PAYOUT_RETENTION_YEARS": self.PAYOUT_RETENTION_YEARS,
            "BABEL_DEFAULT_LOCALE": "de",
            "BABEL_DEFAULT_TIMEZONE": "Europe/Berlin",
            "LANGUAGES": ("de", "en"),
        }
        if mode == "testing":
            config.update(
                TESTING=True,
                SECRET_KEY="test-secret-key",  # noqa: S106
                DATABASE_URL=self.TEST_DATABASE_URL or "sqlite://",
                # Cheap hashes keep the suite fast; production parameters are tested explicitly.
                ARGON2_TIME_COST=1,
                ARGON2_MEMORY_COST=1024,
                ARGON2_PARALLELISM=1,
                SMTP_HOST=None,
                BASE_URL="http://localhost",
            )
        return config


def _describe(error: Mapping[str, Any]) -> str:
    name = str(error["loc"][0]) if error["loc"] else "configuration"
    shown = "" if name in _SECRET_FIELDS else f"={error['input']!r}"
    return f"{name}{shown}: {error['msg']}"


def load_settings() -> Settings:
    """The settings of the environment; every variable that does not fit is named at once."""
    try:
        return Settings()
    except ValidationError as error:
        lines = "\n".join(f"  {_describe(e)}" for e in error.errors(include_url=False))
        raise ConfigurationError(f"invalid environment variables:\n{lines}") from None


def config_from_environment() -> dict[str, Any]:
    """The keys of ``app.config`` read from the environment."""
    return load_settings().flask_config()


def check_production(config: Mapping[str, Any]) -> None:
    """Production refuses to start without a real secret key and a mail server."""
    if config["ENV_NAME"] != "production":
        return
    if config["SECRET_KEY"] in (None, "", DEV_SECRET_KEY):
        raise ConfigurationError(
            "SECRET_KEY is not set: production mode refuses to start without a real secret key."
        )
    if len(config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        raise ConfigurationError(
            f"SECRET_KEY is too short: use at least {MIN_SECRET_KEY_LENGTH} random characters."
        )
    if not config.get("SMTP_HOST"):
        raise ConfigurationError("SMTP_HOST is not set: production mode needs a mail server.")
