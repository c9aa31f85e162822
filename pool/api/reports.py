"""API: the indicators of a period and pool (``GET /reports/indicators``)."""

from __future__ import annotations

from flask_login import current_user, login_required

from pool.api import bp
from pool.api.docs import Answer, operation
from pool.api.helpers import ApiError, parse_query
from pool.db import db_session, utcnow
from pool.enums import Role
from pool.i18n import BERLIN
from pool.permissions import deny, has_any_role
from pool.reports.routes import pool_scope
from pool.schemas import reports as schemas
from pool.services import indicators as service


def _bad_period(message: str) -> ApiError:
    return ApiError(400, "Invalid query parameters.", fields={"to": [message]})


@bp.get("/reports/indicators")
@operation(
    operation_id="getIndicators",
    summary="Indicators of a period and pool, with the previous period",
    description="Requests count in the period by their start (local days, Europe/Berlin). "
    "Coordinators see their pools, admins all; without `pool_id` all visible pools are counted. "
    "Without `from`/`to` the last full calendar month; at most 3 years.",
    tag="reports",
    query=schemas.IndicatorQuery,
    answers={"200": Answer("The indicators.", schemas.Indicators)},
    errors=("400", "401", "403", "404"),
)
@login_required
def report_indicators():
    if not has_any_role(current_user, Role.COORDINATOR, Role.ADMIN):
        deny()
    query = parse_query(schemas.IndicatorQuery)
    default_start, default_end = service.last_full_month(utcnow().astimezone(BERLIN).date())
    start, end = query.start or default_start, query.end or default_end
    if start > end:
        raise _bad_period("Must not be before 'from'.")
    if service.period_too_long(start, end):
        raise _bad_period("The period may be at most 3 years.")
    session = db_session()
    pool_ids = pool_scope(session, current_user, query.pool_id)
    result = service.as_json(service.compute(session, pool_ids, start, end, utcnow()))
    return schemas.Indicators.model_validate(result).dump()
