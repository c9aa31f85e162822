"""API v1 endpoints of the catalogue, the signed-in user and the organisation; the other areas
register theirs below. Every route carries an ``@operation`` for the OpenAPI document."""

from __future__ import annotations

from flask import current_app, jsonify
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from pool.api import bp
from pool.api.docs import Answer, operation
from pool.api.helpers import list_response, page_of, paginate, parse_query, request_locale
from pool.api.openapi import openapi_document
from pool.db import db_session
from pool.languages import languages
from pool.models import Office, Pool
from pool.permissions import own_mediator
from pool.schemas import common, org
from pool.schemas.common import ListQuery


@bp.get("/openapi.json")
@operation(
    operation_id="getOpenApi",
    summary="This description (OpenAPI 3.1)",
    tag="meta",
    public=True,
    answers={"200": Answer("The OpenAPI document.")},
    errors=("401",),
)
def openapi():
    return jsonify(openapi_document(current_app.config["SESSION_COOKIE_NAME"]))


@bp.get("/me")
@operation(
    operation_id="getMe",
    summary="The signed-in user",
    tag="accounts",
    answers={"200": Answer("The user the token or session acts as.", org.Me)},
    errors=("401",),
)
@login_required
def me():
    mediator = own_mediator(db_session(), current_user)
    return org.Me.of(current_user, mediator.id if mediator is not None else None).dump()


@bp.get("/languages")
@operation(
    operation_id="listLanguages",
    summary="The language catalogue",
    description="Names are in `lang` if given, else in the best match of `Accept-Language`, "
    "else in German. The response's `Content-Language` header names the locale used.",
    tag="catalogues",
    public=True,
    query=common.LocaleQuery,
    answers={
        "200": Answer(
            "Every language of the catalogue.", common.LanguageList, headers=("Content-Language",)
        )
    },
    errors=("400", "401"),
)
def list_languages():
    locale = request_locale(parse_query(common.LocaleQuery).lang)
    items = [common.Language(code=e.code, name=e.name) for e in languages(locale)]
    response = jsonify(common.LanguageList(items=items, next=None).dump())
    response.headers["Content-Language"] = locale
    response.vary.add("Accept-Language")
    return response


@bp.get("/pools")
@operation(
    operation_id="listPools",
    summary="All pools",
    tag="organisation",
    query=ListQuery,
    answers={"200": Answer("One page of pools.", org.Pool, page=True)},
    errors=("400", "401"),
)
@login_required
def list_pools():
    query = parse_query(ListQuery, kind="pools")
    stmt = select(Pool).options(selectinload(Pool.shares_with))
    rows, next_cursor = paginate(db_session(), stmt, Pool.id, page_of(query, "pools"))
    return list_response(rows, lambda pool: org.Pool.of(pool).dump(), next_cursor)


@bp.get("/offices")
@operation(
    operation_id="listOffices",
    summary="All offices, or those of one pool",
    tag="organisation",
    query=common.OfficeQuery,
    answers={"200": Answer("One page of offices.", org.Office, page=True)},
    errors=("400", "401"),
)
@login_required
def list_offices():
    query = parse_query(common.OfficeQuery, kind="offices")
    stmt = select(Office)
    if query.pool_id is not None:
        stmt = stmt.where(Office.pool_id == query.pool_id)
    rows, next_cursor = paginate(db_session(), stmt, Office.id, page_of(query, "offices"))
    return list_response(rows, lambda office: org.Office.of(office).dump(), next_cursor)


# Register the routes of the other areas.
from pool.api import (  # noqa: E402,F401
    hotline,
    mediators,
    reports,
    requests,
)
