"""API: the indicators of a period and pool (``GET /reports/indicators``)."""

from __future__ import annotations

from flask_login import current_user, login_required

from pool.api import bp
from pool.api.helpers import ApiError, QueryArgs, query_date
from pool.db import db_session, utcnow
from pool.i18n import BERLIN
from pool.permissions import deny, has_any_role
from pool.reports.routes import pool_scope
from pool.services import indicators as service


@bp.get("/reports/indicators")
@login_required
def report_indicators():
    if not has_any_role(current_user, "coordinator", "admin"):
        deny()
    query = QueryArgs()
    start = query_date(query, "from")
    end = query_date(query, "to")
    pool_id = query.integer("pool_id")
    query.check()
    default_start, default_end = service.last_full_month(utcnow().astimezone(BERLIN).date())
    start, end = start or default_start, end or default_end
    if start > end:
        raise ApiError(
            400, "Invalid query parameters.", fields={"to": ["Must not be before 'from'."]}
        )
    if service.period_too_long(start, end):
        raise ApiError(
            400, "Invalid query parameters.", fields={"to": ["The period may be at most 3 years."]}
        )
    session = db_session()
    pool_ids = pool_scope(session, current_user, pool_id)
    return service.as_json(service.compute(session, pool_ids, start, end, utcnow()))
