"""Allowances for volunteer mediators: rules, monthly statements, payouts."""

from flask import Blueprint

bp = Blueprint("allowances", __name__)

from pool.allowances import routes  # noqa: E402,F401  (routes)
