"""Data protection: the audit log, a mediator's own data, erasure and the record of processing."""

from flask import Blueprint

bp = Blueprint("privacy", __name__)

from pool.privacy import routes  # noqa: E402,F401  (routes)
