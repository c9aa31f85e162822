"""JSON API v1: catalogue, accounts, organisation lists, errors and the OpenAPI description."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from sqlalchemy import select

from pool.api.helpers import encode_cursor
from pool.db import utcnow
from pool.languages import (
    LANGUAGES,
    RELATED_GROUPS,
    SIGN_LANGUAGES,
    is_known,
    language_name,
    languages,
    related_languages,
    sort_key,
)
from pool.models import ApiToken, Office, Pool, User
from pool.services.accounts import revoke_api_token

API = "/api/v1"
REQUIRED_LANGUAGES = [
    "ar",
    "fa",
    "prs",
    "ps",
    "ckb",
    "kmr",
    "ku",
    "ti",
    "am",
    "so",
    "tr",
    "uk",
    "ru",
    "ro",
    "bg",
    "sq",
    "sr",
    "hr",
    "bs",
    "pl",
    "ur",
    "bn",
    "ta",
    "vi",
    "zh",
    "fr",
    "en",
    "es",
    "it",
    "pt",
    "el",
    "hu",
    "ka",
    "hy",
    "az",
    "ha",
    "ig",
    "yo",
    "ln",
    "wo",
    "rom",
    "dgs",
]
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{43,}")


# --- helpers --------------------------------------------------------------------------------------


def create_token(app, email: str) -> str:
    """Run the real CLI command and take the token from its last line.

    The commands of pool/cli.py are plain click commands: ``flask`` (FlaskGroup) pushes the app
    context for them, the test runner does not, so the test pushes it as ``flask`` would.
    """
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["create-token", email])
    assert result.exit_code == 0, result.output
    last_line = result.output.rstrip("\n").split("\n")[-1]
    assert TOKEN_RE.fullmatch(last_line), f"the token is not alone on the last line: {last_line!r}"
    return last_line


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]


def walk(client, url: str, headers: dict[str, str], limit: int, **filters: Any) -> list[dict]:
    """Every item of a list, page by page."""
    items: list[dict] = []
    cursor = None
    for _ in range(100):
        params: dict[str, Any] = {**filters, "limit": limit}
        if cursor:
            params["cursor"] = cursor
        response = client.get(url, query_string=params, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        assert set(body) == {"items", "next"}
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next"]
        if cursor is None:
            return items
        assert isinstance(cursor, str)
    raise AssertionError("pagination does not end")


@pytest.fixture
def admin_token(app, demo) -> str:
    return create_token(app, demo.admin)


# --- the language catalogue -----------------------------------------------------------------------


def test_catalogue_covers_the_required_languages():
    assert isinstance(LANGUAGES, tuple)
    assert len(set(LANGUAGES)) == len(LANGUAGES)
    assert set(REQUIRED_LANGUAGES) <= set(LANGUAGES)
    for code in LANGUAGES:
        assert re.fullmatch(r"[a-z]{2,3}", code), code
        assert is_known(code)
        for locale in ("de", "en"):
            name = language_name(code, locale)
            assert name and name != code, (code, locale)
    assert not is_known("xx") and not is_known("AR") and not is_known(None)


def test_catalogue_names_sign_languages_and_related_groups():
    assert language_name("prs", "de") == language_name("prs", "en") == "Dari"
    assert language_name("kmr", "de") == "Kurmandschi"
    assert language_name("kmr", "en") == "Kurmanji (Northern Kurdish)"
    assert language_name("dgs", "de") == "Deutsche Gebärdensprache"
    assert language_name("dgs", "en") == "German Sign Language"
    assert language_name("ar", "de") == "Arabisch" and language_name("ar", "en") == "Arabic"
    assert set(SIGN_LANGUAGES) == {"dgs"}
    assert [e for e in languages("de") if e.code == "dgs"][0].sign_language
    assert not [e for e in languages("de") if e.code == "ar"][0].sign_language
    assert related_languages("prs") == {"fa"}
    assert related_languages("kmr") == {"ku", "ckb"}
    assert related_languages("tr") == frozenset()
    for group in RELATED_GROUPS:
        assert all(is_known(code) for code in group)


def test_catalogue_sorts_umlauts_like_a_german_dictionary():
    names = [e.name for e in languages("de")]
    assert names == sorted(names, key=sort_key)
    # "Türkisch" sorts with "Tu…", before "Ukrainisch", not after "Z…".
    assert names.index("Tschechisch") < names.index("Türkisch") < names.index("Ukrainisch")
    assert sort_key("Ägyptisch") < sort_key("Albanisch") < sort_key("Öl") < sort_key("Pali")


@pytest.mark.parametrize("locale", ["de", "en"])
def test_languages_endpoint_names_every_language(client, locale):
    response = client.get(f"{API}/languages", query_string={"lang": locale})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Language"] == locale
    body = response.get_json()
    assert body["next"] is None
    items = body["items"]
    assert [item["code"] for item in items] == [e.code for e in languages(locale)]
    assert set(REQUIRED_LANGUAGES) <= {item["code"] for item in items}
    assert all(set(item) == {"code", "name"} and item["name"].strip() for item in items)
    names = {item["code"]: item["name"] for item in items}
    expected = {
        "de": {
            "prs": "Dari",
            "dgs": "Deutsche Gebärdensprache",
            "ar": "Arabisch",
            "kmr": "Kurmandschi",
            "tr": "Türkisch",
        },
        "en": {
            "prs": "Dari",
            "dgs": "German Sign Language",
            "ar": "Arabic",
            "kmr": "Kurmanji (Northern Kurdish)",
            "tr": "Turkish",
        },
    }[locale]
    assert {code: names[code] for code in expected} == expected


def test_languages_locale_comes_from_lang_then_accept_language_then_german(client):
    def first_arabic(**kwargs) -> str:
        items = client.get(f"{API}/languages", **kwargs).get_json()["items"]
        return next(item["name"] for item in items if item["code"] == "ar")

    assert first_arabic() == "Arabisch"
    assert first_arabic(headers={"Accept-Language": "en-GB,en;q=0.8"}) == "Arabic"
    assert first_arabic(headers={"Accept-Language": "fr-FR, fr;q=0.9"}) == "Arabisch"
    assert (
        first_arabic(query_string={"lang": "de"}, headers={"Accept-Language": "en"}) == "Arabisch"
    )
    response = client.get(f"{API}/languages", headers={"Accept-Language": "en"})
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize("value", ["fr", "", "EN", "de\x00"])
def test_languages_refuses_an_unknown_lang(client, value):
    error = assert_error(
        client.get(f"{API}/languages", query_string={"lang": value}), 400, "bad_request"
    )
    assert list(error["fields"]) == ["lang"]


# --- tokens and /me -------------------------------------------------------------------------------


def test_create_token_prints_the_token_alone_and_stores_only_its_hash(app, db, demo):
    token = create_token(app, demo.caseworker)
    rows = db.scalars(select(ApiToken)).all()
    assert len(rows) == 1
    assert rows[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert all(token not in str(value) for value in vars(rows[0]).values())
    assert rows[0].user.email == demo.caseworker


@pytest.mark.parametrize("role", ["admin", "coordinator", "caseworker", "mediator"])
def test_me_for_each_role_with_a_token(app, db, client, demo, role):
    token = create_token(app, demo.by_role[role])
    response = client.get(f"{API}/me", headers=bearer(token))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers
    me = response.get_json()

    user = db.scalars(select(User).where(User.email == demo.by_role[role])).one()
    district = db.scalars(select(Pool).where(Pool.name == "Landkreis")).one()
    youth_office = db.scalars(
        select(Office).where(Office.pool_id == district.id, Office.name == "Jugendamt")
    ).one()
    expected_scope = {
        "admin": ([], None),
        "coordinator": ([district.id], None),
        "caseworker": ([district.id], youth_office.id),
        "mediator": ([district.id], None),
    }[role]
    assert me == {
        "id": user.id,
        "email": demo.by_role[role],
        "name": user.name,
        "roles": [role],
        "pool_ids": expected_scope[0],
        "office_id": expected_scope[1],
        "mediator_id": None,
    }


def test_me_with_a_browser_session(login_as, demo):
    client = login_as("coordinator")
    response = client.get(f"{API}/me")
    assert response.status_code == 200
    assert response.get_json()["email"] == demo.coordinator


def test_a_bearer_token_takes_precedence_over_a_session(app, login_as, demo):
    client = login_as("caseworker")
    token = create_token(app, demo.admin)
    assert client.get(f"{API}/me", headers=bearer(token)).get_json()["email"] == demo.admin
    assert client.get(f"{API}/me").get_json()["email"] == demo.caseworker
    # A bad token is refused even though the session is valid.
    assert_error(client.get(f"{API}/me", headers=bearer("nope")), 401, "unauthorized")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-valid-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic YWRtaW46ZGVtbw=="},
        {"Authorization": "Bearer\x00"},
    ],
)
def test_me_without_a_valid_token_is_401(client, demo, headers):
    response = client.get(f"{API}/me", headers=headers)
    error = assert_error(response, 401, "unauthorized")
    assert "fields" not in error
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(app, db, client, demo):
    token = create_token(app, demo.coordinator)
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    row = db.scalars(select(ApiToken)).one()
    revoke_api_token(db, row, actor=row.user, now=utcnow())
    db.commit()
    for url in ("/me", "/pools", "/languages"):
        assert_error(client.get(API + url, headers=bearer(token)), 401, "unauthorized")


def test_a_deactivated_users_token_is_401(app, db, client, demo):
    token = create_token(app, demo.mediator)
    assert client.get(f"{API}/me", headers=bearer(token)).status_code == 200
    user = db.scalars(select(User).where(User.email == demo.mediator)).one()
    user.active = False
    db.commit()
    assert_error(client.get(f"{API}/me", headers=bearer(token)), 401, "unauthorized")
    assert_error(client.get(f"{API}/offices", headers=bearer(token)), 401, "unauthorized")


def test_lists_need_a_signed_in_user(client, demo):
    for url in ("/pools", "/offices"):
        assert_error(client.get(API + url), 401, "unauthorized")


# --- pools and offices ----------------------------------------------------------------------------


def test_pools_list_shows_kind_state_and_sharing(client, db, admin_token):
    body = client.get(f"{API}/pools", headers=bearer(admin_token)).get_json()
    assert body["next"] is None
    by_name = {pool["name"]: pool for pool in body["items"]}
    district, town = by_name["Landkreis"], by_name["Stadt Neustadt"]
    assert district["kind"] == "district" and town["kind"] == "municipal"
    assert district["federal_state"] == town["federal_state"] == "NW"
    assert district["shares_with"] == [town["id"]]
    assert town["shares_with"] == [district["id"]]
    assert all(
        set(pool) == {"id", "name", "kind", "federal_state", "shares_with"}
        for pool in body["items"]
    )


@pytest.fixture
def more_offices(db, demo):
    """Enough offices for several pages, one of them inactive."""
    district = db.scalars(select(Pool).where(Pool.name == "Landkreis")).one()
    db.add_all([Office(pool_id=district.id, name=f"Außenstelle {n}") for n in range(1, 9)])
    db.add(Office(pool_id=district.id, name="Altes Standesamt", active=False))
    db.commit()
    return district.id


@pytest.mark.parametrize("limit", [1, 2, 3, 200])
def test_offices_pagination_walks_every_office_once(client, db, admin_token, more_offices, limit):
    items = walk(client, f"{API}/offices", bearer(admin_token), limit)
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(db.scalars(select(Office.id)))
    assert all(set(item) == {"id", "name", "pool_id", "active"} for item in items)
    assert any(item["active"] is False for item in items)


@pytest.mark.parametrize("limit", [1, 2])
def test_pools_pagination_walks_every_pool_once(client, db, admin_token, limit):
    db.add_all([Pool(name=f"Pool {n}", kind="municipal", federal_state="BY") for n in range(3)])
    db.commit()
    ids = [item["id"] for item in walk(client, f"{API}/pools", bearer(admin_token), limit)]
    assert len(ids) == len(set(ids)) == 5
    assert sorted(ids) == sorted(db.scalars(select(Pool.id)))


def test_offices_filtered_by_pool(client, db, admin_token, more_offices):
    from tests.helpers import fresh

    fresh(db)  # the pools' office lists were loaded before the extra offices were added
    for pool in db.scalars(select(Pool)):
        items = walk(client, f"{API}/offices", bearer(admin_token), 2, pool_id=pool.id)
        assert sorted(item["id"] for item in items) == sorted(o.id for o in pool.offices)
        assert {item["pool_id"] for item in items} == {pool.id}
    # A pool that does not exist has no offices; the largest id still reaches the database safely.
    for pool_id in (999999, 2**31 - 1):
        body = client.get(
            f"{API}/offices", query_string={"pool_id": pool_id}, headers=bearer(admin_token)
        ).get_json()
        assert body == {"items": [], "next": None}
    last = encode_cursor("offices", 2**31 - 1)
    body = client.get(
        f"{API}/offices", query_string={"cursor": last}, headers=bearer(admin_token)
    ).get_json()
    assert body == {"items": [], "next": None}


def test_every_role_may_list_pools_and_offices(app, client, demo):
    for email in demo.by_role.values():
        token = create_token(app, email)
        assert client.get(f"{API}/pools", headers=bearer(token)).status_code == 200
        assert client.get(f"{API}/offices", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/pools", {"limit": "0"}, "limit"),
        ("/pools", {"limit": "201"}, "limit"),
        ("/pools", {"limit": "abc"}, "limit"),
        ("/pools", {"limit": "-1"}, "limit"),
        ("/pools", {"limit": "1.5"}, "limit"),
        ("/pools", {"limit": ""}, "limit"),
        ("/pools", {"limit": " 5"}, "limit"),
        ("/pools", {"limit": "9" * 40}, "limit"),
        ("/offices", {"limit": "5\x00"}, "limit"),
        ("/pools", {"cursor": "garbage!"}, "cursor"),
        ("/pools", {"cursor": ""}, "cursor"),
        ("/pools", {"cursor": "eyJrIjoicG9vbHMiLCJhIjotMX0"}, "cursor"),  # {"k":"pools","a":-1}
        ("/pools", {"cursor": "x" * 1000}, "cursor"),
        ("/pools", {"cursor": "\x00"}, "cursor"),
        ("/offices", {"cursor": encode_cursor("pools", 1)}, "cursor"),  # a cursor of another list
        ("/offices", {"cursor": encode_cursor("offices", 2**31)}, "cursor"),
        ("/offices", {"pool_id": "x"}, "pool_id"),
        ("/offices", {"pool_id": "0"}, "pool_id"),
        ("/offices", {"pool_id": str(2**31)}, "pool_id"),
        ("/offices", {"pool_id": "1e3"}, "pool_id"),
    ],
)
def test_bad_query_parameters_are_400_with_fields(client, admin_token, url, params, field):
    error = assert_error(
        client.get(API + url, query_string=params, headers=bearer(admin_token)), 400, "bad_request"
    )
    assert list(error["fields"]) == [field]
    assert all(isinstance(m, str) and m for m in error["fields"][field])


def test_several_bad_parameters_are_reported_together(client, admin_token):
    response = client.get(
        f"{API}/offices", query_string={"limit": "0", "pool_id": "x"}, headers=bearer(admin_token)
    )
    assert set(assert_error(response, 400, "bad_request")["fields"]) == {"limit", "pool_id"}


# --- errors ---------------------------------------------------------------------------------------


def test_unknown_api_path_is_json_404(client, admin_token):
    for headers in ({}, bearer(admin_token)):
        for url in ("/nope", "/pools/1/nope", "/pools/"):
            assert_error(client.get(API + url, headers=headers), 404, "not_found")
    assert_error(client.get("/api/v2/me"), 404, "not_found")


def test_wrong_method_is_json_405(client, admin_token):
    for method in ("post", "delete", "put", "patch"):
        response = getattr(client, method)(f"{API}/pools", headers=bearer(admin_token))
        assert_error(response, 405, "method_not_allowed")
        assert "GET" in response.headers["Allow"]
    assert_error(client.post(f"{API}/languages"), 405, "method_not_allowed")


def test_html_pages_still_get_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_browser_session_post_to_the_api_needs_the_csrf_header(login_as, db):
    from tests.conftest import csrf_token
    from tests.factories import catalogue, deployable_mediator, district

    client = login_as("coordinator")
    app = client.application
    catalogue(app, db)
    mediator = deployable_mediator(app, db, pool=district(db), email="csrf@demo.example")
    url = f"{API}/mediators/{mediator.id}/trainings"
    body = {"training_code": "health", "completed_on": "2026-01-05"}
    refused = client.post(url, json=body)
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["error"]["message"]
    forged = client.post(url, json=body, headers={"X-CSRFToken": "forged"})
    assert forged.status_code == 400
    accepted = client.post(url, json=body, headers={"X-CSRFToken": csrf_token(client, "/")})
    assert accepted.status_code == 201


# --- the OpenAPI description ----------------------------------------------------------------------


def _resolve(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        assert node["$ref"].startswith("#/"), node
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _all_refs(node: Any):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _all_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _all_refs(value)


JSON_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, JSON_TYPES[name])


def conforms(document: dict, schema: Any, value: Any, path: str = "$") -> None:
    """A small JSON Schema check for the keywords the document uses (no jsonschema installed)."""
    schema = _resolve(document, schema)
    known = {
        "type",
        "properties",
        "required",
        "items",
        "enum",
        "additionalProperties",
        "minimum",
        "maximum",
        "minLength",
        "description",
        "default",
    }
    assert set(schema) <= known, f"{path}: keyword(s) {set(schema) - known} not checked here"
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_type_ok(value, t) for t in types), f"{path}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, int) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value), f"{path}: {value} < minimum"
        assert value <= schema.get("maximum", value), f"{path}: {value} > maximum"
    if isinstance(value, str):
        assert len(value) >= schema.get("minLength", 0), path
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{path}: {name} missing"
        for name, item in value.items():
            if name in schema.get("properties", {}):
                conforms(document, schema["properties"][name], item, f"{path}.{name}")
            elif isinstance(schema.get("additionalProperties"), dict):
                conforms(document, schema["additionalProperties"], item, f"{path}.{name}")
            else:
                assert schema.get("additionalProperties", True) is not False, f"{path}.{name}"
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            conforms(document, schema["items"], item, f"{path}[{index}]")


def openapi_path(rule: str) -> str:
    """``/api/v1/mediators/<int:id>`` → ``/mediators/{id}``."""
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.removeprefix(API))


def test_openapi_is_served_publicly(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    document = response.get_json()
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"])
    assert document["servers"] == [{"url": API}]
    bearer_scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (bearer_scheme["type"], bearer_scheme["scheme"]) == ("http", "bearer")
    for name in ("Me", "Language", "Pool", "Office", "Error", "PoolList", "OfficeList"):
        assert name in document["components"]["schemas"]


def test_openapi_describes_every_api_route_and_nothing_else(app, client):
    document = client.get(f"{API}/openapi.json").get_json()
    routes: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                routes.add((openapi_path(rule.rule), method.lower()))
    described = {
        (path, method)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "patch", "delete"}
    }
    assert routes, "no API routes found"
    assert routes - described == set(), "routes without a description in pool/api/openapi.py"
    assert described - routes == set(), "described operations that do not exist"


def test_openapi_is_well_formed(client):
    document = client.get(f"{API}/openapi.json").get_json()
    for ref in _all_refs(document):
        _resolve(document, {"$ref": ref})  # raises KeyError if dangling
    operation_ids = []
    schemes = set(document["components"]["securitySchemes"])
    for path, item in document["paths"].items():
        assert path.startswith("/")
        for operation in item.values():
            operation_ids.append(operation["operationId"])
            assert any(s in operation["responses"] for s in ("200", "201"))
            assert "default" in operation["responses"]
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d|default", status)
                assert _resolve(document, response)["description"]
            for requirement in operation.get("security", document["security"]):
                assert set(requirement) <= schemes
            for parameter in operation.get("parameters", []):
                parameter = _resolve(document, parameter)
                assert parameter["in"] in {"query", "header", "path", "cookie"}
                assert "schema" in parameter
    assert len(operation_ids) == len(set(operation_ids))


def test_responses_conform_to_the_openapi_schemas(client, admin_token, more_offices):
    document = client.get(f"{API}/openapi.json").get_json()
    headers = bearer(admin_token)

    def check(path: str, method: str, status: int, response) -> None:
        assert response.status_code == status, response.get_data(as_text=True)
        described = _resolve(document, document["paths"][path][method]["responses"][str(status)])
        schema = described["content"]["application/json"]["schema"]
        assert response.mimetype == "application/json"
        conforms(document, schema, response.get_json())

    check("/openapi.json", "get", 200, client.get(f"{API}/openapi.json"))
    check("/openapi.json", "get", 401, client.get(f"{API}/openapi.json", headers=bearer("x")))
    check("/me", "get", 200, client.get(f"{API}/me", headers=headers))
    check("/me", "get", 401, client.get(f"{API}/me"))
    for lang in ("de", "en"):
        check("/languages", "get", 200, client.get(f"{API}/languages?lang={lang}"))
    check("/languages", "get", 400, client.get(f"{API}/languages?lang=xx"))
    check("/languages", "get", 401, client.get(f"{API}/languages", headers=bearer("x")))
    check("/pools", "get", 200, client.get(f"{API}/pools?limit=1", headers=headers))
    check("/pools", "get", 400, client.get(f"{API}/pools?limit=0", headers=headers))
    check("/pools", "get", 401, client.get(f"{API}/pools"))
    check("/offices", "get", 200, client.get(f"{API}/offices?limit=3", headers=headers))
    check(
        "/offices", "get", 200, client.get(f"{API}/offices?pool_id={more_offices}", headers=headers)
    )
    check("/offices", "get", 400, client.get(f"{API}/offices?cursor=x", headers=headers))
    check("/offices", "get", 401, client.get(f"{API}/offices"))
    error_schema = {"$ref": "#/components/schemas/Error"}
    for response in (client.get(f"{API}/nope"), client.post(f"{API}/pools", headers=headers)):
        conforms(document, error_schema, response.get_json())
