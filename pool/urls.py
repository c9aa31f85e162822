"""Absolute links for e-mails, built without a request (the scheduler and commands send mail)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from werkzeug.routing import BuildError


def external_url(endpoint: str, **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost", url_scheme="http")
    return current_app.config["BASE_URL"] + adapter.build(endpoint, values)


def page_url(endpoint: str, **values: Any) -> str | None:
    """The absolute link to a page, or None when the app has no such page."""
    try:
        return external_url(endpoint, **values)
    except BuildError:
        return None
