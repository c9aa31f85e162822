"""Absolute links for e-mails, built without a request (the scheduler and commands send mail)."""

from __future__ import annotations

from typing import Any

from flask import current_app


def external_url(endpoint: str, **values: Any) -> str:
    adapter = current_app.url_map.bind("localhost", url_scheme="http")
    return current_app.config["BASE_URL"] + adapter.build(endpoint, values)
