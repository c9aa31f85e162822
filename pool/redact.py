"""Secrets that travel in addresses (password links, calendar feeds, attendance links, the
sign-in service's answers) are cut out of everything written to a log: the app's own log and
gunicorn's access log (docs/gunicorn.conf.py). This module imports nothing of the app, so the
gunicorn master can use it without loading the app."""

from __future__ import annotations

import logging
import re

REDACTED = "[…]"

# A path segment after one of these prefixes is a secret (shorter segments are fixed words such
# as /kalender/adresse; the secrets are 40 characters and more).
_SECRET_PATH = re.compile(r"(/password/set/|/kalender/|/attendance/)[^/?#\s\"']{16,}")
# Query parameters that carry secrets (the OpenID Connect answer carries code and state).
_SECRET_QUERY = re.compile(
    r"([?&;](?:token|code|state|session_state|id_token_hint|id_token)=)[^&#\s\"']+",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` with every secret of an address replaced by ``[…]``."""
    return _SECRET_QUERY.sub(rf"\g<1>{REDACTED}", _SECRET_PATH.sub(rf"\g<1>{REDACTED}", text))


class RedactingFilter(logging.Filter):
    """Rewrites a record's message without the secrets (the arguments are merged in first)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(*loggers: logging.Logger, handlers: tuple[logging.Handler, ...] = ()) -> None:
    """Put the filter on ``loggers`` (records logged on them directly) and ``handlers`` (records
    passed up from other loggers), once each."""
    for target in (*loggers, *handlers):
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
