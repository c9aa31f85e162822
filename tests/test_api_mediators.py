"""JSON API v1: the mediator endpoints, their permissions, validation and OpenAPI description."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from pool.db import utcnow
from pool.models import AuditEvent, Mediator, Pool, User
from pool.services import mediators as registry
from pool.services.accounts import create_api_token
from pool.services.mediators import LanguageSkill
from tests.conftest import csrf_token
from tests.factories import catalogue, deployable_mediator, district, town, user
from tests.helpers import fresh, outbox_for

API = "/api/v1"


# --- helpers --------------------------------------------------------------------------------------


def token_for(app, db, email: str) -> dict[str, str]:
    with app.test_request_context():
        secret = create_api_token(db, user(db, email), "test", now=utcnow())
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def other_pool(db) -> Pool:
    """A pool that shares with nobody."""
    pool = Pool(name="Anderswo", kind="municipal", federal_state="BY")
    db.add(pool)
    db.commit()
    return pool


def new_applicant(app, db, *, pool: Pool, email: str, kind: str = "volunteer") -> Mediator:
    with app.test_request_context():
        mediator = registry.create_mediator(
            db, actor=user(db, "admin@demo.example"), pool=pool, now=utcnow(), invite=False,
            values={"name": "Neue Person", "email": email, "kind": kind,
                    "languages": [LanguageSkill("fa", "C1")]},
        )  # fmt: skip
    db.commit()
    return mediator


def anonymous_write_refused(response) -> None:
    """An anonymous write meets the blueprint's CSRF guard (400) before the sign-in check
    (401); either way nothing happens."""
    assert response.status_code in (400, 401), response.get_data(as_text=True)
    assert response.mimetype == "application/json"


def error_of(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["message"]
    return body["error"]


VALID_CREATE = {
    "name": "Samira Haddad",
    "email": "Samira.Haddad@Example.org",
    "phone": "+49 151 000000",
    "kind": "volunteer",
    "gender": "female",
    "german_level": "C1",
    "languages": [{"code": "ar", "level": "native", "dialects": ["Levantinisch", "Irakisch"]}],
    "domains": ["health", "education"],
    "modes": ["in_person", "video"],
    "municipalities": ["Neustadt", "Altdorf"],
    "monthly_cap": 6,
}


@pytest.fixture
def world(app, db, demo):
    """Catalogue; a deployable mediator in the district, one in the town (shared with the
    district), one in an unrelated pool; tokens per role."""
    catalogue(app, db)
    own = deployable_mediator(app, db, pool=district(db), email="amal@demo.example", name="Amal")
    shared = deployable_mediator(
        app, db, pool=town(db), email="boris@demo.example", name="Boris",
        languages=(("ru", "native"), ("uk", "C1")), kind="staff",
    )  # fmt: skip
    elsewhere = deployable_mediator(
        app, db, pool=other_pool(db), email="chloe@demo.example", name="Chloé"
    )
    tokens = {
        role: token_for(app, db, email)
        for role, email in (
            ("admin", demo.admin),
            ("coordinator", demo.coordinator),
            ("caseworker", demo.caseworker),
            ("mediator", "amal@demo.example"),
            ("other_mediator", "boris@demo.example"),
        )
    }

    class World:
        pass

    w = World()
    w.own, w.shared, w.elsewhere, w.tokens = own.id, shared.id, elsewhere.id, tokens
    return w


# --- a small JSON Schema check for the keywords the mediator schemas use --------------------------

_FORMATS = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "date-time": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}"),
    "email": re.compile(r"[^@\s]+@[^@\s]+"),
}
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _resolve(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def conforms(document: dict, schema: Any, value: Any, path: str = "$") -> None:
    schema = _resolve(document, schema)
    known = {"type", "properties", "required", "items", "enum", "additionalProperties",
             "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "format",
             "pattern", "description", "default"}  # fmt: skip
    assert set(schema) <= known, f"{path}: keyword(s) {set(schema) - known} not checked here"
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]

        def ok(t: str) -> bool:
            if t == "integer":
                return isinstance(value, int) and not isinstance(value, bool)
            return isinstance(value, _TYPES[t])

        assert any(ok(t) for t in types), f"{path}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, int) and not isinstance(value, bool):
        assert schema.get("minimum", value) <= value <= schema.get("maximum", value), path
    if isinstance(value, str):
        assert schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", len(value))
        if "format" in schema:
            assert _FORMATS[schema["format"]].fullmatch(value), f"{path}: {value!r} format"
        if "pattern" in schema:
            assert re.search(schema["pattern"], value), f"{path}: {value!r} pattern"
    if isinstance(value, list):
        assert schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value))
        for index, item in enumerate(value):
            if "items" in schema:
                conforms(document, schema["items"], item, f"{path}[{index}]")
    if isinstance(value, dict):
        for name in schema.get("required", []):
            assert name in value, f"{path}: {name} missing"
        for name, item in value.items():
            if name in schema.get("properties", {}):
                conforms(document, schema["properties"][name], item, f"{path}.{name}")
            else:
                assert schema.get("additionalProperties", True) is not False, f"{path}.{name}"


@pytest.fixture
def openapi(client):
    document = client.get(f"{API}/openapi.json").get_json()

    def check(path: str, method: str, response, *, request_body: Any = None) -> None:
        responses = document["paths"][path][method]["responses"]
        status = str(response.status_code)
        assert status in responses, f"{method} {path} answers {status}, not described"
        described = _resolve(document, responses[status])
        conforms(document, described["content"]["application/json"]["schema"], response.get_json())
        if request_body is not None:
            schema = document["paths"][path][method]["requestBody"]["content"]
            conforms(document, schema["application/json"]["schema"], request_body)

    return check


# --- list -----------------------------------------------------------------------------------------


def ids(response) -> set[int]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return {item["id"] for item in response.get_json()["items"]}


def test_coordinator_lists_own_and_shared_admin_lists_all(client, world, openapi):
    response = client.get(f"{API}/mediators", headers=world.tokens["coordinator"])
    assert ids(response) == {world.own, world.shared}
    openapi("/mediators", "get", response)
    admin = client.get(f"{API}/mediators", headers=world.tokens["admin"])
    assert ids(admin) == {world.own, world.shared, world.elsewhere}
    openapi("/mediators", "get", admin)


def test_list_filters_by_language_status_kind_and_pool(app, client, db, world):
    headers = world.tokens["coordinator"]
    new_applicant(app, db, pool=district(db), email="dana@demo.example", kind="staff")

    def listed(**params) -> set[int]:
        return ids(client.get(f"{API}/mediators", query_string=params, headers=headers))

    assert listed(language="ar") == {world.own}
    assert listed(language="uk") == {world.shared}
    assert listed(language="ti") == set()
    applicant = db.scalars(select(Mediator.id).where(Mediator.name == "Neue Person")).one()
    assert listed(status="applied") == {applicant}
    assert listed(status="active") == {world.own, world.shared}
    assert listed(kind="staff") == {world.shared, applicant}
    assert listed(kind="staff", status="active") == {world.shared}
    assert listed(pool_id=district(db).id) == {world.own, applicant}
    # A pool outside the caller's scope yields nothing, not its mediators.
    assert listed(pool_id=db.scalars(select(Pool.id).where(Pool.name == "Anderswo")).one()) == set()


def test_list_pagination_walks_every_mediator_once(client, world):
    seen, cursor = [], None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        body = client.get(
            f"{API}/mediators", query_string=params, headers=world.tokens["admin"]
        ).get_json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == sorted({world.own, world.shared, world.elsewhere})


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"language": "xx"}, "language"),
        ({"language": "\x00"}, "language"),
        ({"status": "happy"}, "status"),
        ({"kind": "robot"}, "kind"),
        ({"pool_id": str(2**40)}, "pool_id"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "nonsense"}, "cursor"),
    ],
)
def test_list_refuses_bad_parameters(client, world, params, field):
    response = client.get(f"{API}/mediators", query_string=params, headers=world.tokens["admin"])
    assert field in error_of(response, 400)["fields"]


@pytest.mark.parametrize("role", ["caseworker", "mediator"])
def test_caseworkers_and_mediators_get_no_list(client, world, role):
    error_of(client.get(f"{API}/mediators", headers=world.tokens[role]), 403)


def test_list_needs_a_signed_in_user(client, world):
    assert error_of(client.get(f"{API}/mediators"), 401)["code"] == "unauthorized"


def test_list_costs_the_same_statements_for_few_and_many(app, client, db, world):
    def statements() -> int:
        count = 0

        def _count(*_args):
            nonlocal count
            count += 1

        engine = app.extensions["pool_db"].engine
        event.listen(engine, "before_cursor_execute", _count)
        try:
            response = client.get(f"{API}/mediators", headers=world.tokens["admin"])
        finally:
            event.remove(engine, "before_cursor_execute", _count)
        assert response.status_code == 200
        return count

    few = statements()
    for index in range(6):
        new_applicant(app, db, pool=district(db), email=f"more{index}@demo.example")
    assert statements() == few


# --- create ---------------------------------------------------------------------------------------


def test_coordinator_creates_a_mediator_who_is_invited(client, db, world, openapi):
    body = {**VALID_CREATE, "pool_id": district(db).id}
    response = client.post(f"{API}/mediators", json=body, headers=world.tokens["coordinator"])
    assert response.status_code == 201, response.get_data(as_text=True)
    openapi("/mediators", "post", response, request_body=body)
    created = response.get_json()
    assert response.headers["Location"].endswith(f"/api/v1/mediators/{created['id']}")
    assert created["status"] == "applied"
    assert created["email"] == "samira.haddad@example.org"
    assert created["languages"] == [
        {"code": "ar", "level": "native", "dialects": ["Levantinisch", "Irakisch"]}
    ]
    assert created["domains"] == ["education", "health"]
    assert created["modes"] == ["in_person", "video"]
    assert created["municipalities"] == ["Altdorf", "Neustadt"]
    assert created["monthly_cap"] == 6
    assert created["checks"]["interview_on"] is None
    assert created["trainings"] == [] and created["acknowledgements"] == []
    assert created["availability"] == {"weekly": [], "absences": [], "paused_until": None}
    [invitation] = outbox_for(db, "samira.haddad@example.org")
    assert invitation.kind == "invite"
    account = db.scalars(select(User).where(User.email == "samira.haddad@example.org")).one()
    assert account.role_names == ["mediator"]
    mediator = db.get(Mediator, created["id"])
    assert mediator.user_id == account.id and mediator.pool_id == district(db).id


def test_admin_creates_in_any_pool(client, db, world):
    pool_id = db.scalars(select(Pool.id).where(Pool.name == "Anderswo")).one()
    body = {**VALID_CREATE, "pool_id": pool_id}
    response = client.post(f"{API}/mediators", json=body, headers=world.tokens["admin"])
    assert response.status_code == 201
    assert response.get_json()["pool_id"] == pool_id


def test_coordinator_cannot_create_in_another_pool(client, db, world):
    for pool in (town(db), db.scalars(select(Pool).where(Pool.name == "Anderswo")).one()):
        body = {**VALID_CREATE, "pool_id": pool.id}
        error_of(
            client.post(f"{API}/mediators", json=body, headers=world.tokens["coordinator"]), 403
        )
    fresh(db)
    assert db.scalars(select(Mediator).where(Mediator.email.like("samira%"))).first() is None
    denied = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.object_type == "pool"
        )
    ).all()
    assert len(denied) == 2


@pytest.mark.parametrize(("role", "status"), [("caseworker", 403), ("mediator", 403), (None, 401)])
def test_others_cannot_create(client, db, world, role, status):
    body = {**VALID_CREATE, "pool_id": district(db).id}
    response = client.post(f"{API}/mediators", json=body, headers=world.tokens.get(role, {}))
    if role is None:
        anonymous_write_refused(response)
    else:
        error_of(response, status)


def test_create_with_a_taken_email_is_a_conflict(client, db, world):
    body = {**VALID_CREATE, "email": "AMAL@demo.example", "pool_id": district(db).id}
    error = error_of(client.post(f"{API}/mediators", json=body, headers=world.tokens["admin"]), 409)
    assert error["code"] == "conflict" and "email" in error["fields"]


def test_create_adds_the_role_to_an_existing_account(client, db, world, demo):
    body = {**VALID_CREATE, "email": demo.caseworker, "pool_id": district(db).id}
    response = client.post(f"{API}/mediators", json=body, headers=world.tokens["coordinator"])
    assert response.status_code == 201, response.get_data(as_text=True)
    fresh(db)
    assert set(user(db, demo.caseworker).role_names) == {"caseworker", "mediator"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "  "}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"email": "not-an-address"}, "email"),
        ({"kind": "boss"}, "kind"),
        ({"pool_id": "1"}, "pool_id"),
        ({"pool_id": 2**31}, "pool_id"),
        ({"pool_id": 999999}, "pool_id"),
        ({"gender": "robot"}, "gender"),
        ({"german_level": "D1"}, "german_level"),
        ({"languages": []}, "languages"),
        ({"languages": "ar"}, "languages"),
        ({"languages": [{"code": "xx", "level": "B1"}]}, "languages[0].code"),
        ({"languages": [{"code": "ar", "level": "B3"}]}, "languages[0].level"),
        ({"languages": [{"code": "ar"}]}, "languages[0].level"),
        ({"languages": [{"code": "ar", "level": "B1", "x": 1}]}, "languages[0].x"),
        ({"languages": [{"code": "ar", "level": "B1", "dialects": [1]}]}, "languages[0].dialects[0]"),
        ({"languages": [{"code": "ar", "level": "B1"}, {"code": "ar", "level": "C1"}]},
         "languages[1].code"),
        ({"languages": ["ar"]}, "languages[0]"),
        ({"domains": ["astrology"]}, "domains"),
        ({"domains": "health"}, "domains"),
        ({"modes": []}, "modes"),
        ({"modes": ["telepathy"]}, "modes"),
        ({"monthly_cap": -1}, "monthly_cap"),
        ({"monthly_cap": 2.5}, "monthly_cap"),
        ({"monthly_cap": True}, "monthly_cap"),
        ({"monthly_cap": "5"}, "monthly_cap"),
        ({"employing_office_id": 999999}, "employing_office_id"),
        ({"supervisor_release_until": "31.12.2027"}, "supervisor_release_until"),
        ({"supervisor_release_until": "2027-02-30"}, "supervisor_release_until"),
        ({"status": "active"}, "status"),
        ({"nickname": "Sami"}, "nickname"),
    ],
)  # fmt: skip
def test_create_refuses_invalid_fields_with_422(client, db, world, change, field):
    body = {**VALID_CREATE, "pool_id": district(db).id, **change}
    response = client.post(f"{API}/mediators", json=body, headers=world.tokens["admin"])
    error = error_of(response, 422)
    assert error["code"] == "validation_failed"
    assert field in error["fields"], error
    fresh(db)
    assert db.scalars(select(User).where(User.email == "samira.haddad@example.org")).first() is None


def test_create_reports_every_missing_field(client, world):
    error = error_of(client.post(f"{API}/mediators", json={}, headers=world.tokens["admin"]), 422)
    assert set(error["fields"]) == {"name", "email", "kind", "pool_id", "languages"}


# --- read -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [
        ("coordinator", "own", 200),
        ("coordinator", "shared", 200),
        ("coordinator", "elsewhere", 403),
        ("admin", "elsewhere", 200),
        ("mediator", "own", 200),
        ("mediator", "shared", 403),
        ("caseworker", "own", 403),
        (None, "own", 401),
    ],
)
def test_who_reads_a_mediator(client, world, openapi, role, target, status):
    mediator_id = getattr(world, target)
    headers = world.tokens[role] if role else {}
    response = client.get(f"{API}/mediators/{mediator_id}", headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)
    openapi("/mediators/{mediator_id}", "get", response)
    if status == 200:
        assert response.get_json()["id"] == mediator_id


def test_read_shows_the_whole_record(client, db, world):
    body = client.get(f"{API}/mediators/{world.own}", headers=world.tokens["mediator"]).get_json()
    today = date.today().isoformat()
    assert body["checks"]["interview_on"] == today
    assert body["checks"]["confidentiality_signed_on"] == today
    assert body["checks"]["police_certificate_seen_on"] is None
    [training] = body["trainings"]
    assert training["training_code"] == "basic"
    completed = date.fromisoformat(training["completed_on"])
    assert training["expires_on"] == registry.add_months(completed, 24).isoformat()
    assert {(a["guideline_code"], a["version"]) for a in body["acknowledgements"]} == {
        ("confidentiality", 1),
        ("code_of_conduct", 1),
    }
    assert all(a["acknowledged_at"].endswith("+00:00") for a in body["acknowledgements"])
    assert body["availability"]["weekly"][0] == {"weekday": 0, "start": "08:00", "end": "18:00"}
    assert len(body["availability"]["weekly"]) == 5


def test_denied_reads_are_audited(client, db, world):
    client.get(f"{API}/mediators/{world.elsewhere}", headers=world.tokens["coordinator"])
    fresh(db)
    event_ = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.object_id == world.elsewhere
        )
    ).one()
    assert event_.object_type == "mediator"


@pytest.mark.parametrize("mediator_id", ["999999", str(2**31), str(2**63), "-1", "abc"])
def test_unknown_mediators_are_404(client, world, mediator_id):
    error_of(client.get(f"{API}/mediators/{mediator_id}", headers=world.tokens["admin"]), 404)


def test_me_names_the_mediator_record(client, world):
    me = client.get(f"{API}/me", headers=world.tokens["mediator"]).get_json()
    assert me["mediator_id"] == world.own


# --- update ---------------------------------------------------------------------------------------


def test_coordinator_updates_profile_and_checks(client, db, world, openapi):
    body = {
        "phone": "0151 1234",
        "languages": [
            {"code": "ar", "level": "native", "dialects": ["Maghrebinisch"]},
            {"code": "fr", "level": "B2"},
        ],
        "municipalities": ["Neustadt", "Altdorf"],
        "monthly_cap": None,
        "checks": {"police_certificate_seen_on": "2025-01-15", "police_certificate_no_entry": True},
    }
    response = client.patch(
        f"{API}/mediators/{world.own}", json=body, headers=world.tokens["coordinator"]
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    openapi("/mediators/{mediator_id}", "patch", response, request_body=body)
    changed = response.get_json()
    assert changed["phone"] == "0151 1234"
    assert [(lang["code"], lang["dialects"]) for lang in changed["languages"]] == [
        ("ar", ["Maghrebinisch"]),
        ("fr", []),
    ]
    assert changed["checks"]["police_certificate_seen_on"] == "2025-01-15"
    assert changed["checks"]["police_certificate_no_entry"] is True
    assert changed["monthly_cap"] is None
    fresh(db)
    assert db.get(Mediator, world.own).phone == "0151 1234"


def test_shared_and_unrelated_coordinators_cannot_update(client, db, world):
    for target in (world.shared, world.elsewhere):
        response = client.patch(
            f"{API}/mediators/{target}", json={"phone": "1"}, headers=world.tokens["coordinator"]
        )
        error_of(response, 403)
    fresh(db)
    assert db.get(Mediator, world.shared).phone is None


def test_admin_updates_any_mediator(client, db, world):
    response = client.patch(
        f"{API}/mediators/{world.elsewhere}",
        json={"name": "Chloé B."},
        headers=world.tokens["admin"],
    )
    assert response.status_code == 200 and response.get_json()["name"] == "Chloé B."
    fresh(db)
    assert db.get(Mediator, world.elsewhere).user.name == "Chloé B."


def test_mediator_updates_own_contact_and_profile(client, db, world):
    body = {
        "phone": "0170 555",
        "languages": [{"code": "ar", "level": "native", "dialects": ["Irakisch"]}],
        "domains": ["health"],
        "modes": ["phone"],
        "municipalities": ["Neustadt"],
        "monthly_cap": 3,
    }
    response = client.patch(
        f"{API}/mediators/{world.own}", json=body, headers=world.tokens["mediator"]
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    changed = response.get_json()
    assert (changed["phone"], changed["modes"], changed["monthly_cap"]) == (
        "0170 555",
        ["phone"],
        3,
    )
    fresh(db)
    event_ = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "mediator.updated", AuditEvent.object_id == world.own)
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event_.details["by_self"] is True
    assert "0170" not in json.dumps(event_.details)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"status": "paused", "reason": "Urlaub"}, "status"),
        ({"checks": {"interview_on": "2025-01-01"}}, "checks"),
        ({"email": "neu@demo.example"}, "email"),
        ({"name": "Amal X", "phone": "1"}, "name"),
        ({"kind": "staff"}, "kind"),
    ],
)
def test_mediator_cannot_change_status_checks_or_identity(client, db, world, body, named):
    response = client.patch(
        f"{API}/mediators/{world.own}", json=body, headers=world.tokens["mediator"]
    )
    error = error_of(response, 403)
    assert named in error["message"]
    fresh(db)
    mediator = db.get(Mediator, world.own)
    assert mediator.status == "active" and mediator.email == "amal@demo.example"
    assert mediator.name == "Amal" and mediator.phone is None


@pytest.mark.parametrize(
    ("role", "status"), [("other_mediator", 403), ("caseworker", 403), (None, 401)]
)
def test_others_cannot_update(client, world, role, status):
    headers = world.tokens.get(role, {})
    response = client.patch(f"{API}/mediators/{world.own}", json={"phone": "1"}, headers=headers)
    if role is None:
        anonymous_write_refused(response)
    else:
        error_of(response, status)


def test_activation_without_checks_is_refused_with_the_reasons(app, client, db, world):
    applicant = new_applicant(app, db, pool=district(db), email="eda@demo.example")
    url = f"{API}/mediators/{applicant.id}"
    headers = world.tokens["coordinator"]
    error = error_of(client.patch(url, json={"status": "active"}, headers=headers), 422)
    assert error["fields"]["status"] == [
        "Das Erstgespräch ist nicht eingetragen.",
        "Die Verschwiegenheitserklärung ist nicht eingetragen.",
        "Die förmliche Verpflichtung ist nicht eingetragen.",
    ]
    assert error["message"].startswith("Freischalten geht noch nicht")
    # Checks and activation in one call: all or nothing, then the invitation goes out.
    today = date.today().isoformat()
    partial = {"checks": {"interview_on": today}, "status": "active"}
    error = error_of(client.patch(url, json=partial, headers=headers), 422)
    assert len(error["fields"]["status"]) == 2
    fresh(db)
    assert db.get(Mediator, applicant.id).interview_on is None
    full = {
        "checks": {
            "interview_on": today,
            "confidentiality_signed_on": today,
            "obligation_on": today,
        },
        "status": "active",
    }
    response = client.patch(url, json=full, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["status"] == "active"
    assert [m.kind for m in outbox_for(db, "eda@demo.example")] == ["invite"]
    fresh(db)
    change = db.get(Mediator, applicant.id).status_changes[-1]
    assert (change.from_status, change.to_status) == ("applied", "active")


def test_status_changes_need_a_reason_where_the_rules_say_so(client, db, world):
    url = f"{API}/mediators/{world.own}"
    headers = world.tokens["coordinator"]
    error = error_of(client.patch(url, json={"status": "left"}, headers=headers), 422)
    assert "reason" in error["fields"]
    error = error_of(
        client.patch(url, json={"status": "rejected", "reason": "x"}, headers=headers), 422
    )
    assert "status" in error["fields"]
    error = error_of(client.patch(url, json={"reason": "nur so"}, headers=headers), 422)
    assert "reason" in error["fields"]
    # The current status is no change.
    assert client.patch(url, json={"status": "active"}, headers=headers).status_code == 200
    response = client.patch(url, json={"status": "paused", "reason": "Elternzeit"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["status"] == "paused"
    fresh(db)
    change = db.get(Mediator, world.own).status_changes[-1]
    assert (change.to_status, change.reason) == ("paused", "Elternzeit")
    assert change.actor_id == user(db, "koordination@demo.example").id


def test_future_check_dates_are_refused(client, world):
    future = (date.today() + timedelta(days=3)).isoformat()
    response = client.patch(
        f"{API}/mediators/{world.own}",
        json={"checks": {"interview_on": future}},
        headers=world.tokens["coordinator"],
    )
    assert "interview_on" in error_of(response, 422)["fields"]


def test_changing_to_a_taken_email_is_a_conflict(client, db, world, demo):
    for taken in ("boris@demo.example", demo.caseworker):
        response = client.patch(
            f"{API}/mediators/{world.own}", json={"email": taken}, headers=world.tokens["admin"]
        )
        assert "email" in error_of(response, 409)["fields"]


# --- trainings ------------------------------------------------------------------------------------


def test_coordinator_records_a_training(client, db, world, openapi):
    url = f"{API}/mediators/{world.own}/trainings"
    body = {"training_code": "health", "completed_on": "2025-03-31"}
    response = client.post(url, json=body, headers=world.tokens["coordinator"])
    assert response.status_code == 201, response.get_data(as_text=True)
    openapi("/mediators/{mediator_id}/trainings", "post", response, request_body=body)
    assert response.get_json() == {
        "training_code": "health",
        "completed_on": "2025-03-31",
        "expires_on": "2028-03-31",
    }
    again = client.post(url, json=body, headers=world.tokens["coordinator"])
    assert again.status_code == 200
    fresh(db)
    assert len(db.get(Mediator, world.own).training_records) == 2


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("mediator", "own"),
        ("coordinator", "shared"),
        ("coordinator", "elsewhere"),
        ("caseworker", "own"),
    ],
)
def test_only_managers_record_trainings(client, world, role, target):
    body = {"training_code": "health", "completed_on": "2025-03-31"}
    response = client.post(
        f"{API}/mediators/{getattr(world, target)}/trainings", json=body, headers=world.tokens[role]
    )
    error_of(response, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"training_code": "astrology", "completed_on": "2025-01-01"}, "training_code"),
        ({"training_code": "health", "completed_on": "2025-13-01"}, "completed_on"),
        ({"training_code": "health", "completed_on": "2099-01-01"}, "completed_on"),
        ({"training_code": "health", "completed_on": 20250101}, "completed_on"),
        ({"training_code": "health"}, "completed_on"),
        ({"training_code": ["health"], "completed_on": "2025-01-01"}, "training_code"),
        ({"training_code": "health", "completed_on": "2025-01-01", "by": "x"}, "by"),
    ],
)
def test_training_bodies_are_validated(client, world, body, field):
    response = client.post(
        f"{API}/mediators/{world.own}/trainings", json=body, headers=world.tokens["coordinator"]
    )
    assert field in error_of(response, 422)["fields"]


# --- acknowledgements -----------------------------------------------------------------------------


def test_mediator_acknowledges_the_current_version(app, client, db, world, openapi):
    with app.test_request_context():
        registry.publish_guideline(
            db, actor=user(db, "admin@demo.example"), code="confidentiality",
            title="Verschwiegenheitserklärung", body_markdown="Neu.", mandatory=True, now=utcnow(),
        )  # fmt: skip
    db.commit()
    url = f"{API}/mediators/{world.own}/acknowledgements"
    before = client.get(
        f"{API}/mediators/{world.own}/deployability", headers=world.tokens["mediator"]
    )
    assert before.get_json()["deployable"] is False
    body = {"guideline_code": "confidentiality"}
    response = client.post(url, json=body, headers=world.tokens["mediator"])
    assert response.status_code == 201, response.get_data(as_text=True)
    openapi("/mediators/{mediator_id}/acknowledgements", "post", response, request_body=body)
    assert response.get_json()["version"] == 2
    assert client.post(url, json=body, headers=world.tokens["mediator"]).status_code == 200
    record = client.get(f"{API}/mediators/{world.own}", headers=world.tokens["mediator"]).get_json()
    assert sorted((a["guideline_code"], a["version"]) for a in record["acknowledgements"]) == [
        ("code_of_conduct", 1),
        ("confidentiality", 1),
        ("confidentiality", 2),
    ]
    after = client.get(
        f"{API}/mediators/{world.own}/deployability", headers=world.tokens["mediator"]
    )
    assert after.get_json() == {
        "deployable": True,
        "on": after.get_json()["on"],
        "reasons": [],
        "reason_codes": [],
    }


@pytest.mark.parametrize(("role", "target"), [("coordinator", "own"), ("admin", "own"),
                                              ("other_mediator", "own"), ("mediator", "shared"),
                                              ("caseworker", "own")])  # fmt: skip
def test_only_the_mediator_acknowledges(client, world, role, target):
    response = client.post(
        f"{API}/mediators/{getattr(world, target)}/acknowledgements",
        json={"guideline_code": "confidentiality"},
        headers=world.tokens[role],
    )
    error_of(response, 403)


@pytest.mark.parametrize("code", ["nope", "", None, 7, "x" * 41])
def test_acknowledging_an_unknown_guideline_is_422(client, world, code):
    response = client.post(
        f"{API}/mediators/{world.own}/acknowledgements",
        json={"guideline_code": code},
        headers=world.tokens["mediator"],
    )
    assert "guideline_code" in error_of(response, 422)["fields"]


# --- availability ---------------------------------------------------------------------------------

AVAILABILITY = {
    "weekly": [
        {"weekday": 4, "start": "14:00", "end": "18:30"},
        {"weekday": 0, "start": "08:00", "end": "12:00"},
    ],
    "absences": [{"start_date": "2030-07-01", "end_date": "2030-07-21", "note": "Sommerurlaub"}],
    "paused_until": "2030-01-31",
}


def test_availability_round_trips(client, db, world, openapi):
    url = f"{API}/mediators/{world.own}/availability"
    response = client.put(url, json=AVAILABILITY, headers=world.tokens["mediator"])
    assert response.status_code == 200, response.get_data(as_text=True)
    openapi("/mediators/{mediator_id}/availability", "put", response, request_body=AVAILABILITY)
    expected = {
        "weekly": sorted(AVAILABILITY["weekly"], key=lambda w: w["weekday"]),
        "absences": AVAILABILITY["absences"],
        "paused_until": "2030-01-31",
    }
    assert response.get_json() == expected
    record = client.get(f"{API}/mediators/{world.own}", headers=world.tokens["mediator"]).get_json()
    assert record["availability"] == expected
    # PUT replaces everything; an absent pause ends it.
    cleared = client.put(url, json={"weekly": [], "absences": []}, headers=world.tokens["mediator"])
    assert cleared.get_json() == {"weekly": [], "absences": [], "paused_until": None}


def test_coordinator_sets_availability_on_behalf_and_it_is_noted(client, db, world):
    url = f"{API}/mediators/{world.own}/availability"
    assert (
        client.put(url, json=AVAILABILITY, headers=world.tokens["coordinator"]).status_code == 200
    )
    fresh(db)
    event_ = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "mediator.availability_changed")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event_.details == {"on_behalf": True}


@pytest.mark.parametrize(("role", "target"), [("coordinator", "shared"), ("coordinator", "elsewhere"),
                                              ("other_mediator", "own"), ("caseworker", "own")])  # fmt: skip
def test_others_cannot_set_availability(client, world, role, target):
    response = client.put(
        f"{API}/mediators/{getattr(world, target)}/availability",
        json=AVAILABILITY,
        headers=world.tokens[role],
    )
    error_of(response, 403)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weekly": [{"weekday": 7, "start": "08:00", "end": "09:00"}], "absences": []},
         "weekly[0].weekday"),
        ({"weekly": [{"weekday": 1, "start": "8:00", "end": "09:00"}], "absences": []},
         "weekly[0].start"),
        ({"weekly": [{"weekday": 1, "start": "08:00", "end": "24:00"}], "absences": []},
         "weekly[0].end"),
        ({"weekly": [{"weekday": 1, "start": "10:00", "end": "09:00"}], "absences": []},
         "weekly[0].end"),
        ({"weekly": [{"weekday": 1, "start": "08:00"}], "absences": []}, "weekly[0].end"),
        ({"weekly": [{"weekday": "1", "start": "08:00", "end": "09:00"}], "absences": []},
         "weekly[0].weekday"),
        ({"weekly": [[1, "08:00", "09:00"]], "absences": []}, "weekly[0]"),
        ({"weekly": {"weekday": 1}, "absences": []}, "weekly"),
        ({"weekly": [{"weekday": 1, "start": "08:00", "end": "09:00"}] * 51, "absences": []},
         "weekly"),
        ({"weekly": [], "absences": [{"start_date": "2030-02-30", "end_date": "2030-03-01"}]},
         "absences[0].start_date"),
        ({"weekly": [], "absences": [{"start_date": "2030-03-02", "end_date": "2030-03-01"}]},
         "absences[0].end_date"),
        ({"weekly": [], "absences": [{"start_date": "2030-03-01", "end_date": "2030-03-02",
                                      "note": "x" * 201}]}, "absences[0].note"),
        ({"weekly": [], "absences": [], "paused_until": "morgen"}, "paused_until"),
        ({"weekly": []}, "absences"),
        ({"weekly": [], "absences": [], "reachable": True}, "reachable"),
    ],
)  # fmt: skip
def test_availability_bodies_are_validated(client, db, world, body, field):
    response = client.put(
        f"{API}/mediators/{world.own}/availability", json=body, headers=world.tokens["mediator"]
    )
    assert field in error_of(response, 422)["fields"]
    fresh(db)
    assert len(db.get(Mediator, world.own).availability) == 5


# --- deployability --------------------------------------------------------------------------------


def test_deployability_with_reasons(app, client, db, world, openapi):
    url = f"{API}/mediators/{world.own}/deployability"
    now = client.get(url, headers=world.tokens["coordinator"])
    openapi("/mediators/{mediator_id}/deployability", "get", now)
    assert now.get_json()["deployable"] is True and now.get_json()["reasons"] == []
    later = (date.today() + timedelta(days=800)).isoformat()
    response = client.get(url, query_string={"on": later}, headers=world.tokens["mediator"])
    body = response.get_json()
    assert body["deployable"] is False and body["on"] == later
    assert "training_expired:basic" in body["reason_codes"]
    assert any(text.startswith("Basisschulung abgelaufen am ") for text in body["reasons"])
    applicant = new_applicant(app, db, pool=district(db), email="fu@demo.example", kind="staff")
    response = client.get(
        f"{API}/mediators/{applicant.id}/deployability", headers=world.tokens["coordinator"]
    )
    body = response.get_json()
    assert "Die Freigabe der Vorgesetzten fehlt." in body["reasons"]
    assert len(body["reasons"]) == len(body["reason_codes"]) >= 5


@pytest.mark.parametrize(
    ("role", "target", "status"),
    [("coordinator", "shared", 200), ("admin", "elsewhere", 200), ("coordinator", "elsewhere", 403),
     ("other_mediator", "own", 403), ("caseworker", "own", 403), (None, "own", 401)],
)  # fmt: skip
def test_who_sees_deployability(client, world, role, target, status):
    headers = world.tokens[role] if role else {}
    response = client.get(
        f"{API}/mediators/{getattr(world, target)}/deployability", headers=headers
    )
    assert response.status_code == status


@pytest.mark.parametrize("on", ["tomorrow", "2026-02-30", "20260101", "0001-01-01", ""])
def test_deployability_refuses_a_bad_date(client, world, on):
    response = client.get(
        f"{API}/mediators/{world.own}/deployability",
        query_string={"on": on},
        headers=world.tokens["admin"],
    )
    assert "on" in error_of(response, 400)["fields"]


# --- hostile bodies -------------------------------------------------------------------------------

HOSTILE = [
    ("application/json", b"{not json"),
    ("application/json", b""),
    ("application/json", b"\xff\xfe{}"),
    ("application/json", b"[]"),
    ("application/json", b'[{"name": "x"}]'),
    ("application/json", b'"a string"'),
    ("application/json", b"null"),
    ("application/json", b"[" * 100_000 + b"]" * 100_000),
    ("application/json", b'{"monthly_cap": ' + b"9" * 5000 + b"}"),
    ("application/json", b'{"monthly_cap": NaN}'),
    ("application/json", b'{"monthly_cap": 1e400}'),
    ("application/json", b'{"name": "a\\u0000b"}'),
    ("application/json", b'{"name": "\\ud800"}'),
    ("application/json", b'{"phone": "' + b"1" * 100_000 + b'"}'),
    ("application/json", b'{"' + b"k" * 100_000 + b'": 1}'),
    ("application/json", b'{"languages": [' + b'{"code": "ar", "level": "B1"},' * 5000 + b"1]}"),
    ("application/json", b'{"municipalities": ["a\\u0007b"]}'),
    ("application/json", b'{"checks": [1, 2]}'),
    ("application/json", b'{"checks": {"interview_on": {"$gt": ""}}}'),
    ("application/json", b'{"weekly": "x", "absences": null}'),
    ("application/json", b'{"training_code": {}, "guideline_code": []}'),
    ("text/plain", b'{"name": "x"}'),
    ("application/x-www-form-urlencoded", b"name=x"),
    (None, b""),
]


@pytest.mark.parametrize(("content_type", "payload"), HOSTILE)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("post", ""), ("patch", "/{id}"), ("put", "/{id}/availability"),
     ("post", "/{id}/trainings"), ("post", "/{id}/acknowledgements")],
)  # fmt: skip
def test_hostile_bodies_are_4xx_never_500(client, db, world, content_type, payload, method, suffix):
    role = "mediator" if suffix.endswith("acknowledgements") else "admin"
    url = f"{API}/mediators" + suffix.format(id=world.own)
    headers = dict(world.tokens[role])
    if content_type:
        headers["Content-Type"] = content_type
    response = getattr(client, method)(url, data=payload, headers=headers)
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)[:500]
    error = error_of(response, response.status_code)
    assert len(json.dumps(error)) < 20_000
    fresh(db)
    assert db.get(Mediator, world.own).name == "Amal"


def test_a_body_over_the_size_limit_is_413(client, world):
    payload = b'{"phone": "' + b"1" * (3 * 1024 * 1024) + b'"}'
    response = client.patch(
        f"{API}/mediators/{world.own}",
        data=payload,
        headers={**world.tokens["admin"], "Content-Type": "application/json"},
    )
    error_of(response, 413)


def test_control_characters_and_lengths_are_checked_per_field(client, world):
    url = f"{API}/mediators/{world.own}"
    headers = world.tokens["coordinator"]
    cases = {
        "phone": "01\x0051",
        "supervisor_release_by": "Frau\nChefin",
        "municipalities": ["Neu\x1bstadt"],
        "reason": "x" * 501,
    }
    for name, value in cases.items():
        body = {name: value, **({"status": "paused"} if name == "reason" else {})}
        response = client.patch(url, json=body, headers=headers)
        fields = error_of(response, 422)["fields"]
        assert any(key.startswith(name) for key in fields), fields


# --- browser sessions -----------------------------------------------------------------------------


def test_a_browser_session_needs_the_csrf_header(client, db, world, demo, login_as):
    login_as("coordinator")
    url = f"{API}/mediators/{world.own}"
    error_of(client.patch(url, json={"phone": "1"}), 400)
    token = csrf_token(client, "/")
    response = client.patch(url, json={"phone": "1"}, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)


# --- OpenAPI --------------------------------------------------------------------------------------


def test_error_responses_conform(client, db, world, openapi):
    headers = world.tokens["coordinator"]
    openapi("/mediators", "get", client.get(f"{API}/mediators?kind=x", headers=headers))
    openapi("/mediators", "get", client.get(f"{API}/mediators", headers=world.tokens["caseworker"]))
    openapi("/mediators", "post", client.post(f"{API}/mediators", json=[], headers=headers))
    openapi("/mediators", "post", client.post(f"{API}/mediators", data="x", headers=headers))
    openapi(
        "/mediators",
        "post",
        client.post(
            f"{API}/mediators",
            data="{",
            headers={**headers, "Content-Type": "application/json"},
        ),
    )
    path = "/mediators/{mediator_id}"
    openapi(path, "get", client.get(f"{API}/mediators/999999", headers=headers))
    openapi(
        path, "patch", client.patch(f"{API}/mediators/{world.shared}", json={}, headers=headers)
    )
    response = client.patch(
        f"{API}/mediators/{world.own}", json={"email": "boris@demo.example"}, headers=headers
    )
    openapi(path, "patch", response)
    openapi(
        "/mediators/{mediator_id}/deployability",
        "get",
        client.get(f"{API}/mediators/{world.own}/deployability?on=x", headers=headers),
    )


def test_every_mediator_operation_is_described(client):
    document = client.get(f"{API}/openapi.json").get_json()
    operations = {(path, method) for path, item in document["paths"].items() for method in item}
    assert {
        ("/mediators", "get"),
        ("/mediators", "post"),
        ("/mediators/{mediator_id}", "get"),
        ("/mediators/{mediator_id}", "patch"),
        ("/mediators/{mediator_id}/trainings", "post"),
        ("/mediators/{mediator_id}/acknowledgements", "post"),
        ("/mediators/{mediator_id}/availability", "put"),
        ("/mediators/{mediator_id}/deployability", "get"),
    } <= operations


def test_a_unique_key_hit_at_write_time_is_a_conflict_not_a_500(
    client, db, world, demo, monkeypatch
):
    """If another request takes the address between the check and the write, the database's
    unique key answers; the route turns that into a 409."""
    from pool.api import mediators as routes

    monkeypatch.setattr(routes, "_email_conflict", lambda *args: None)
    response = client.patch(
        f"{API}/mediators/{world.own}",
        json={"email": demo.caseworker},
        headers=world.tokens["admin"],
    )
    assert error_of(response, 409)["code"] == "conflict"
    fresh(db)
    assert db.get(Mediator, world.own).email == "amal@demo.example"
