"""Pages that are read again and again, kept in memory while what they show is unchanged.

The coordinator's queue, a request with its candidates, the start pages, the caseworker's list and
the API's candidates are opened far more often than the data behind them changes. A view marked
with :func:`kept` is answered from this process's memory when the same signed-in session (or the
same bearer token) asks for the same address again, and

- no transaction has changed data since: the key carries the data version (pool/db.py), which
  every committing writer bumps, in any process on any host; it is read before the view reads
  anything, so a kept page is never older than its version;
- the page is younger than ``PAGE_CACHE_SECONDS`` (pages say "soon" and "still open" by the
  clock; changes made past the app, e.g. with psql or a restored backup, are seen after that);
- the language inputs (the language cookie, ``Accept-Language``) are the same; the user's own
  language is in the database.

Who may see what is decided by the view when the page is made, through pool.permissions: a kept
page goes only to the session (its secret and CSRF secret) or the token it was made for, and to a
session only while it has not ended (checked in the same statement that reads the data version).
Only complete 200 answers are kept, and only when the view left the session unchanged (a message
shown once, a new CSRF secret and the like are never kept). ``PAGE_CACHE_SECONDS = 0`` turns it
off.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from cachetools import LRUCache
from flask import Flask, Response, current_app, g, request, session

from pool.auth import sessions
from pool.db import data_version, db_session
from pool.i18n import LOCALE_COOKIE

_KEPT = "_pool_kept"


def kept(view: Callable) -> Callable:
    """Mark a GET view whose answers may be kept (place it below the route decorator)."""
    setattr(view, _KEPT, True)
    return view


class _Page(NamedTuple):
    version: int
    slice: int
    content_type: str
    body: bytes


def _size(page: _Page) -> int:
    """Bytes of memory a kept page takes, about: its body and the key and tuple around it."""
    return len(page.body) + 500


class PageCache:
    def __init__(self, seconds: int, max_bytes: int) -> None:
        self.seconds = seconds
        self._pages: LRUCache = LRUCache(max_bytes, getsizeof=_size)
        self._lock = threading.Lock()

    def get(self, key: tuple) -> _Page | None:
        with self._lock:
            return self._pages.get(key)

    def put(self, key: tuple, page: _Page) -> None:
        if _size(page) > self._pages.maxsize:  # LRUCache would refuse it with an error
            return
        with self._lock:
            self._pages[key] = page


def _key() -> tuple | None:
    """Everything but the data that shapes the answer; None when it must not be kept."""
    view = current_app.view_functions.get(request.endpoint or "")
    if request.method != "GET" or not getattr(view, _KEPT, False):
        return None
    authorization = request.headers.get("Authorization")
    if authorization is not None:  # the API: a bearer token takes precedence over a session
        who: tuple = ("token", hashlib.sha256(authorization.encode()).hexdigest())
    else:
        secret = session.get(sessions.COOKIE_KEY)
        if not secret or "_flashes" in session:
            return None
        who = ("session", secret, session.get("csrf_token"))
    return (
        request.host,
        request.path,
        request.query_string,
        who,
        request.cookies.get(LOCALE_COOKIE),
        request.headers.get("Accept-Language"),
    )


def init_app(app: Flask) -> None:
    seconds = app.config["PAGE_CACHE_SECONDS"]
    if seconds <= 0:
        return
    cache = PageCache(seconds, app.config["PAGE_CACHE_MB"] * 1024 * 1024)
    app.extensions["pool_pagecache"] = cache

    @app.before_request
    def _serve_kept() -> Any:
        key = _key()
        if key is None:
            return None
        kind, who = key[3][0], key[3][1]
        if kind == "session":
            # The session may have ended since the page was kept (signed out, timed out): one
            # statement checks it and reads the data version.
            version = sessions.check_with_version(db_session(), who)
        else:
            version = data_version(db_session())
        if version is None:
            return None
        now_slice = int(time.time() // cache.seconds)
        page = cache.get(key)
        if page is None or page.version != version or page.slice != now_slice:
            g.pool_page = (key, version, now_slice)  # made by the view, kept after it
            return None
        return app.response_class(page.body, content_type=page.content_type)

    @app.after_request
    def _keep(response: Response) -> Response:
        pending = g.pop("pool_page", None)
        if (
            pending is None
            or response.status_code != 200
            or response.is_streamed
            or session.modified
        ):
            return response
        key, version, now_slice = pending
        page = _Page(version, now_slice, response.content_type, response.get_data())
        cache.put(key, page)
        return response
