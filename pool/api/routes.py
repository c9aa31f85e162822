"""API v1 endpoints. Describe every endpoint in pool/api/openapi.py as well."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pool.api import bp
from pool.api.helpers import QueryArgs, list_response, page_request, paginate, request_locale
from pool.api.openapi import openapi_document
from pool.api.serializers import me_json, office_json, pool_json
from pool.db import db_session
from pool.languages import languages
from pool.models import Office, Pool


@bp.get("/openapi.json")
def openapi():
    return jsonify(openapi_document(current_app.config["SESSION_COOKIE_NAME"]))


@bp.get("/me")
@login_required
def me():
    return me_json(current_user)


@bp.get("/languages")
def list_languages():
    query = QueryArgs()
    locale = request_locale(query)
    query.check()
    response = jsonify(
        {"items": [{"code": e.code, "name": e.name} for e in languages(locale)], "next": None}
    )
    response.headers["Content-Language"] = locale
    response.vary.add("Accept-Language")
    return response


@bp.get("/pools")
@login_required
def list_pools():
    query = QueryArgs()
    page = page_request(query, "pools")
    query.check()
    stmt = select(Pool).options(selectinload(Pool.shares_with))
    rows, next_cursor = paginate(db_session(), stmt, Pool.id, page)
    return list_response(rows, pool_json, next_cursor)


@bp.get("/offices")
@login_required
def list_offices():
    query = QueryArgs()
    page = page_request(query, "offices")
    pool_id = query.integer("pool_id")
    query.check()
    stmt = select(Office)
    if pool_id is not None:
        stmt = stmt.where(Office.pool_id == pool_id)
    rows, next_cursor = paginate(db_session(), stmt, Office.id, page)
    return list_response(rows, office_json, next_cursor)


# Register the routes of the mediator registry and of requests, offers and assignments.
from pool.api import (  # noqa: E402,F401
    hotline,  # noqa: E402,F401
    mediators,
    reports,  # noqa: E402,F401
    requests,
)
