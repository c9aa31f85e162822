"""Passwords, secret tokens and client addresses."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from collections.abc import Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, request
from zxcvbn import zxcvbn

from pool.i18n import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256

# A hash to verify against when the account does not exist, so timing does not tell.
_DUMMY_PASSWORD = "dummy-password-for-timing"  # noqa: S105


def password_hasher() -> PasswordHasher:
    cfg = current_app.config
    return _hasher(cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"])


@cache
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hash_password(password: str) -> str:
    return password_hasher().hash(password)


@cache
def _dummy_hash(time_cost: int, memory_cost: int, parallelism: int) -> str:
    return _hasher(time_cost, memory_cost, parallelism).hash(_DUMMY_PASSWORD)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; without a hash (no account, or no password chosen yet) the
    password is verified against a dummy hash of the same parameters, so it takes as long."""
    hasher = password_hasher()
    if not password_hash:
        cfg = current_app.config
        dummy = _dummy_hash(
            cfg["ARGON2_TIME_COST"], cfg["ARGON2_MEMORY_COST"], cfg["ARGON2_PARALLELISM"]
        )
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher.verify(dummy, password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return password_hasher().check_needs_rehash(password_hash)


PRODUCT_NAME = "Dolmetscherpool"


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def password_problems(
    password: str,
    *,
    email: str | None = None,
    name: str | None = None,
    taken_names: Iterable[str] = (),
) -> list:
    """Reasons why a new password is not good enough, in plain language (empty when fine).

    ``taken_names`` (the pools' names) and the product's name must not be part of it: they are
    the first words anyone would try against this installation."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(_l("Das Passwort muss mindestens 12 Zeichen lang sein."))
    if len(password) > MAX_PASSWORD_LENGTH:
        problems.append(_l("Das Passwort darf höchstens 256 Zeichen lang sein."))
    lowered = password.strip().lower()
    if email:
        email_l = email.strip().lower()
        if lowered in (email_l, email_l.split("@")[0]):
            problems.append(_l("Das Passwort darf nicht Ihre E-Mail-Adresse sein."))
    if name and lowered == name.strip().lower():
        problems.append(_l("Das Passwort darf nicht Ihr Name sein."))
    letters = _letters(password)
    if any(
        len(word) >= 4 and word in letters
        for word in (_letters(n) for n in (PRODUCT_NAME, *taken_names))
    ):
        problems.append(
            _l("Das Passwort darf nicht den Namen dieses Dienstes oder eines Pools enthalten.")
        )
    # zxcvbn knows the common passwords of leaked lists, names, words, keyboard rows, sequences
    # and dates; a score below 3 means fewer than about 10^8 guesses.
    strength = zxcvbn(
        password[:100], user_inputs=[v for v in (email, name, PRODUCT_NAME, *taken_names) if v]
    )
    if not problems and strength["score"] < 3:
        problems.append(
            _l(
                "Dieses Passwort ist zu leicht zu erraten. Nehmen Sie zum Beispiel mehrere Wörter, "
                "die nicht zusammengehören."
            )
        )
    return problems


def new_secret() -> str:
    """A random URL-safe secret of 32 bytes."""
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def client_address() -> str:
    """The client's address; ProxyFix already applied the configured number of trusted proxies."""
    return (request.remote_addr or "unknown")[:64]
