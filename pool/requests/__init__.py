"""Pages for requests, offers and assignments: one blueprint, a module per side."""

from flask import Blueprint

bp = Blueprint("requests", __name__)

from pool.requests import attendance, coordination, debriefs, mediator, office  # noqa: E402,F401  (routes)
