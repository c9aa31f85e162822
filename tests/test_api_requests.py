"""JSON API v1: requests, candidates, offers and assignments — permissions per role, the intake's
reasons, booking conflicts, hostile bodies, and the OpenAPI description of every answer."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from pool.db import utcnow
from pool.i18n import BERLIN
from pool.models import AuditEvent, Office, Pool
from pool.models.requests import Assignment, CaseExclusion, InterpretingRequest
from pool.services import requests as intake
from pool.services.accounts import create_api_token
from pool.services.users import create_user
from tests.factories import catalogue, deployable_mediator, district, town, user
from tests.helpers import fresh

API = "/api/v1"


# --- a small JSON Schema check for the keywords the documents use ---------------------------------

_FORMATS = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "date-time": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}:\d{2}|Z)"),
    "email": re.compile(r"[^@\s]+@[^@\s]+"),
}
_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
_KNOWN = {"type", "properties", "required", "items", "enum", "additionalProperties", "minimum",
          "maximum", "minLength", "maxLength", "minItems", "maxItems", "format", "description",
          "default", "anyOf", "$ref"}  # fmt: skip


def _resolve(document: dict, node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = document
        for part in node["$ref"][2:].split("/"):
            target = target[part]
        node = target
    return node


def _type_ok(value: Any, name: str) -> bool:
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, _TYPES[name])


def conforms(document: dict, schema: Any, value: Any, path: str = "$") -> None:
    schema = _resolve(document, schema)
    assert set(schema) <= _KNOWN, f"{path}: keyword(s) {set(schema) - _KNOWN} not checked here"
    if "anyOf" in schema:
        problems = []
        for option in schema["anyOf"]:
            try:
                conforms(document, option, value, path)
                break
            except AssertionError as exc:
                problems.append(str(exc))
        else:
            raise AssertionError(f"{path}: matches no option: {problems}")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        assert any(_type_ok(value, t) for t in types), f"{path}: {value!r} is not {types}"
    if "enum" in schema:
        assert value in schema["enum"], f"{path}: {value!r} not in {schema['enum']}"
    if isinstance(value, int | float) and not isinstance(value, bool):
        assert value >= schema.get("minimum", value), f"{path}: below minimum"
        assert value <= schema.get("maximum", value), f"{path}: above maximum"
    if isinstance(value, str):
        assert schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**9), path
        if "format" in schema:
            assert _FORMATS[schema["format"]].fullmatch(value), f"{path}: {value!r} format"
    if isinstance(value, list):
        assert schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 10**9), path
        if "items" in schema:
            for index, item in enumerate(value):
                conforms(document, schema["items"], item, f"{path}[{index}]")
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


def _template(document: dict, url: str) -> str:
    """The OpenAPI path of a concrete URL, e.g. ``/requests/7/offers`` → the template."""
    path = url.removeprefix(API).split("?")[0]
    for template in document["paths"]:
        pattern = re.sub(r"\{[^}]+\}", r"[0-9]+", template)
        if re.fullmatch(pattern, path):
            return template
    raise AssertionError(f"{path} is not described")


class Api:
    """Calls the API as one of the test's users and checks every answer against the OpenAPI
    description of its path, method and status (and every sent body against its schema)."""

    def __init__(self, client, document: dict, tokens: dict[str, dict[str, str]]) -> None:
        self.client, self.document, self.tokens = client, document, tokens

    def call(self, method: str, url: str, who: str | None, body: Any = None, **kwargs):
        headers = dict(self.tokens[who]) if who else {}
        if body is not None:
            kwargs["json"] = body
        response = self.client.open(f"{API}{url}", method=method, headers=headers, **kwargs)
        assert response.status_code != 500, response.get_data(as_text=True)
        assert response.mimetype == "application/json", response.get_data(as_text=True)
        operation = self.document["paths"][_template(self.document, url)][method.lower()]
        status = str(response.status_code)
        if response.status_code < 400 or response.status_code in (401, 403, 404, 409, 422):
            assert status in operation["responses"], f"{method} {url} answers {status}"
        else:  # e.g. 413: described as any other error
            status = status if status in operation["responses"] else "default"
        described = _resolve(self.document, operation["responses"][status])
        conforms(self.document, described["content"]["application/json"]["schema"],
                 response.get_json())  # fmt: skip
        if isinstance(body, dict) and response.status_code < 300 and "requestBody" in operation:
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            conforms(self.document, schema, body)
        return response

    def get(self, url: str, who: str | None, **kwargs):
        return self.call("GET", url, who, **kwargs)

    def post(self, url: str, who: str | None, body: Any = None, **kwargs):
        return self.call("POST", url, who, body, **kwargs)

    def patch(self, url: str, who: str | None, body: Any = None, **kwargs):
        return self.call("PATCH", url, who, body, **kwargs)


def ok(response, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def error(response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


# --- the world ------------------------------------------------------------------------------------


def next_slot(days: int = 14, hour: int = 10) -> datetime:
    """A Tuesday morning in Europe/Berlin, well beyond the lead time."""
    today = utcnow().astimezone(BERLIN).date()
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7) + timedelta(days=days)
    return datetime.combine(tuesday, time(hour), tzinfo=BERLIN)


def values(**changes) -> dict[str, Any]:
    body = {
        "language": "ar",
        "starts_at": next_slot().isoformat(),
        "duration_minutes": 60,
        "mode": "in_person",
        "municipality": "Neustadt",
        "address": "Rathausplatz 1, Raum 12",
        "domain": "social_services",
        "setting": "counselling",
        "professional_present": True,
        "case_ref": "JA-2031-0042",
        "notes": "Bitte am Empfang melden.",
    }
    body.update(changes)
    return body


def office_named(db, name: str) -> Office:
    return db.scalars(select(Office).where(Office.name == name)).one()


class World:
    pass


@pytest.fixture
def w(app, db, demo, client):
    """Two Arabic-speaking mediators in the district (Amal, Bela), one in a pool that shares
    with nobody (Chloé); a caseworker of another district office and of a town office, and a
    coordinator of the town; a token for each."""
    catalogue(app, db)
    pool = district(db)
    amal = deployable_mediator(app, db, pool=pool, email="amal@demo.example", name="Amal")
    bela = deployable_mediator(app, db, pool=pool, email="bela@demo.example", name="Bela")
    lonely = Pool(name="Anderswo", kind="municipal", federal_state="BY")
    db.add(lonely)
    db.commit()
    chloe = deployable_mediator(app, db, pool=lonely, email="chloe@demo.example", name="Chloé")
    health = office_named(db, "Gesundheitsamt")
    town_office = office_named(db, "Bürgerbüro Neustadt")
    now = utcnow()
    with app.test_request_context():
        for email, grants in (
            ("gesundheit@demo.example", [("caseworker", None, health.id)]),
            ("buergerbuero@demo.example", [("caseworker", None, town_office.id)]),
            ("stadt@demo.example", [("coordinator", town(db).id, None)]),
        ):
            create_user(db, actor=None, email=email, name=email.split("@")[0], grants=grants,
                        now=now, invite=False)  # fmt: skip
        db.commit()
        tokens = {}
        for who, email in (
            ("admin", demo.admin),
            ("coordinator", demo.coordinator),
            ("caseworker", demo.caseworker),
            ("amal", "amal@demo.example"),
            ("bela", "bela@demo.example"),
            ("chloe", "chloe@demo.example"),
            ("health_caseworker", "gesundheit@demo.example"),
            ("town_caseworker", "buergerbuero@demo.example"),
            ("town_coordinator", "stadt@demo.example"),
        ):
            secret = create_api_token(db, user(db, email), "test", now=now)
            tokens[who] = {"Authorization": f"Bearer {secret}"}
        db.commit()
    world = World()
    world.app, world.db = app, db
    world.amal, world.bela, world.chloe = amal.id, bela.id, chloe.id
    world.youth = office_named(db, "Jugendamt").id
    world.health, world.town_office = health.id, town_office.id
    document = client.get(f"{API}/openapi.json").get_json()
    world.api = Api(client, document, tokens)
    return world


def new_request(w, *, start: datetime | None = None, **changes) -> int:
    """A request of the youth office, made through the intake service by its caseworker."""
    db = w.db
    body = values(**changes)
    body["starts_at"] = start or next_slot()
    with w.app.test_request_context():
        created = intake.create_request(
            db, actor=user(db, "sachbearbeitung@demo.example"),
            office=db.get(Office, w.youth), values=body, now=utcnow(),
        )  # fmt: skip
    db.commit()
    return created[0].id


def offer(w, request_id: int, *mediators: int) -> list[int]:
    body = ok(w.api.post(f"/requests/{request_id}/offers", "coordinator",
                         {"mediator_ids": list(mediators)}), 201)  # fmt: skip
    return [item["id"] for item in body["items"]]


def assign(w, request_id: int, mediator_id: int) -> int:
    body = ok(w.api.post(f"/requests/{request_id}/assignment", "coordinator",
                         {"mediator_id": mediator_id, "reason": "am Telefon vereinbart"}), 201)  # fmt: skip
    return body["id"]


def move_into_past(w, request_id: int) -> None:
    """Let the appointment have happened (yesterday), so it can be reported."""
    db = w.db
    fresh(db)
    start = utcnow() - timedelta(days=1)
    end = start + timedelta(minutes=60)
    db.execute(update(InterpretingRequest).where(InterpretingRequest.id == request_id)
               .values(starts_at=start, ends_at=end))  # fmt: skip
    db.execute(update(Assignment).where(Assignment.request_id == request_id)
               .values(starts_at=start, ends_at=end))  # fmt: skip
    db.commit()


def denied_events(db) -> int:
    fresh(db)
    return len(db.scalars(select(AuditEvent.id).where(AuditEvent.action == "access.denied")).all())


# --- create ---------------------------------------------------------------------------------------


def test_caseworker_creates_a_request_for_their_office(w):
    response = w.api.post("/requests", "caseworker", {"office_id": w.youth, **values()})
    body = ok(response, 201)
    assert response.headers["Location"].endswith(f"/api/v1/requests/{body['id']}")
    assert body["status"] == "open" and body["office_id"] == w.youth
    assert body["office"]["name"] == "Jugendamt"
    assert body["language"] == "ar" and body["setting"] == "counselling"
    assert body["case_ref"] == "JA-2031-0042" and body["assignment"] is None
    assert body["candidates_at_intake"] == 2  # Amal and Bela
    assert datetime.fromisoformat(body["starts_at"]) == next_slot()
    fresh(w.db)
    stored = w.db.get(InterpretingRequest, body["id"])
    assert stored.created_by.email == "sachbearbeitung@demo.example"


def test_coordinator_creates_a_request_for_any_office_of_their_pool(w):
    body = ok(w.api.post("/requests", "coordinator", {"office_id": w.health, **values()}), 201)
    assert body["office_id"] == w.health


@pytest.mark.parametrize(
    "who, office",
    [("caseworker", "health"), ("health_caseworker", "youth"), ("town_coordinator", "youth"),
     ("town_caseworker", "youth"), ("amal", "youth")],
)  # fmt: skip
def test_creating_for_an_office_one_does_not_belong_to_is_403(w, who, office):
    before = denied_events(w.db)
    office_id = {"health": w.health, "youth": w.youth}[office]
    error(w.api.post("/requests", who, {"office_id": office_id, **values()}), 403)
    assert denied_events(w.db) == before + 1
    fresh(w.db)
    assert w.db.scalars(select(InterpretingRequest.id)).first() is None


def test_anonymous_calls_are_401(w):
    for method, url in (
        ("POST", "/requests"), ("GET", "/requests"), ("GET", "/requests/1"),
        ("PATCH", "/requests/1"), ("GET", "/requests/1/candidates"),
        ("POST", "/requests/1/offers"), ("POST", "/requests/1/unfillable"),
        ("POST", "/requests/1/assignment"), ("POST", "/requests/1/cancel"), ("GET", "/offers"),
        ("POST", "/offers/1/accept"), ("POST", "/offers/1/decline"),
        ("POST", "/offers/1/withdraw"), ("POST", "/assignments/1/cancel"),
        ("POST", "/assignments/1/complete"),
    ):  # fmt: skip
        error(w.api.call(method, url, None, {"reason": "x"}), 401)


def test_unknown_office_and_missing_office_are_422(w):
    err = error(w.api.post("/requests", "coordinator", {"office_id": 2**31 - 1, **values()}), 422)
    assert list(err["fields"]) == ["office_id"]
    err = error(w.api.post("/requests", "coordinator", values()), 422)
    assert "office_id" in err["fields"]


def test_intake_refusal_is_422_with_every_reason(w):
    tomorrow = (utcnow() + timedelta(days=1)).astimezone(BERLIN).replace(hour=10, minute=0)
    body = values(setting="court", professional_present=False, starts_at=tomorrow.isoformat(),
                  case_ref="Max Mustermann")  # fmt: skip
    err = error(w.api.post("/requests", "caseworker", {"office_id": w.youth, **body}), 422)
    assert err["code"] == "validation_failed"
    codes = {reason["code"] for reason in err["reasons"]}
    assert {"setting_excluded", "professional_required", "case_ref_name"} <= codes
    assert codes & {"lead_time", "start_in_past"}
    assert {"setting", "professional_present", "starts_at", "case_ref"} <= set(err["fields"])
    assert "vereidigte Dolmetscher:innen" in err["fields"]["setting"][0]
    for reason in err["reasons"]:
        assert reason["message"] in err["message"]
    fresh(w.db)
    assert w.db.scalars(select(InterpretingRequest.id)).first() is None


def test_sign_language_and_missing_fields_are_reasons(w):
    body = {"office_id": w.youth, "language": "dgs", "professional_present": True}
    err = error(w.api.post("/requests", "caseworker", body), 422)
    codes = {reason["code"] for reason in err["reasons"]}
    assert "sign_language" in codes and "missing" in codes
    assert {"language", "starts_at", "duration_minutes", "mode", "domain", "setting"} <= set(
        err["fields"]
    )


@pytest.mark.parametrize(
    "starts_at",
    ["2031-11-11T10:00:00", "2031-11-11T10:00", "2031-11-11", "11.11.2031 10:00", "", 1234567890,
     "2031-11-11T10:00:00+99:00", "2031-02-30T10:00:00+01:00", "20311-11-11T10:00:00+01:00"],
)  # fmt: skip
def test_timestamps_without_an_offset_are_422(w, starts_at):
    err = error(
        w.api.post(
            "/requests", "caseworker", {"office_id": w.youth, **values(starts_at=starts_at)}
        ),
        422,
    )
    assert "starts_at" in err["fields"]


def test_timestamps_in_utc_are_accepted(w):
    start = next_slot().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = ok(w.api.post("/requests", "caseworker", {"office_id": w.youth,
                                                      **values(starts_at=start)}), 201)  # fmt: skip
    assert datetime.fromisoformat(body["starts_at"]) == next_slot()


# --- list and read --------------------------------------------------------------------------------


def test_list_requests_is_scoped_by_office_and_pool(w):
    youth = new_request(w)
    db = w.db
    with w.app.test_request_context():
        health = intake.create_request(
            db, actor=user(db, "koordination@demo.example"), office=db.get(Office, w.health),
            values={**values(), "starts_at": next_slot(days=15)}, now=utcnow(),
        )[0].id  # fmt: skip
    db.commit()

    def ids(who: str, **params) -> list[int]:
        return [
            item["id"] for item in ok(w.api.get("/requests", who, query_string=params))["items"]
        ]

    assert ids("caseworker") == [youth]
    assert ids("health_caseworker") == [health]
    assert ids("coordinator") == [youth, health]
    assert ids("admin") == [youth, health]
    assert ids("town_coordinator") == [] and ids("town_caseworker") == []
    error(w.api.get("/requests", "amal"), 403)
    # filters
    assert ids("coordinator", status="open") == [youth, health]
    assert ids("coordinator", status="assigned") == []
    day = next_slot().date().isoformat()
    assert ids("coordinator", **{"from": day, "to": day}) == [youth]
    assert ids("coordinator", **{"from": next_slot(days=15).isoformat()}) == [health]
    assert ids("coordinator", to=next_slot(days=15).isoformat()) == [youth]  # excluded end
    assert ids("coordinator", office_id=w.health) == [health]
    # pagination
    first = ok(w.api.get("/requests", "coordinator", query_string={"limit": 1}))
    assert [i["id"] for i in first["items"]] == [youth] and first["next"]
    second = ok(w.api.get("/requests", "coordinator",
                          query_string={"limit": 1, "cursor": first["next"]}))  # fmt: skip
    assert [i["id"] for i in second["items"]] == [health] and second["next"] is None


@pytest.mark.parametrize(
    "params, field",
    [({"status": "nope"}, "status"), ({"from": "2031-11-11T10:00:00"}, "from"),
     ({"to": "morgen"}, "to"), ({"limit": 201}, "limit"), ({"cursor": "x"}, "cursor"),
     ({"office_id": 2**31}, "office_id")],
)  # fmt: skip
def test_bad_list_parameters_are_400(w, params, field):
    err = error(w.api.get("/requests", "coordinator", query_string=params), 400)
    assert list(err["fields"]) == [field]


def test_reading_a_request_per_role(w):
    request_id = new_request(w)
    url = f"/requests/{request_id}"
    for who in ("caseworker", "coordinator", "admin"):
        body = ok(w.api.get(url, who))
        assert body["case_ref"] == "JA-2031-0042" and body["notes"]
    for who in ("health_caseworker", "town_coordinator", "town_caseworker", "amal"):
        error(w.api.get(url, who), 403)
    offer(w, request_id, w.amal)
    body = ok(w.api.get(url, "amal"))
    assert "case_ref" not in body and "notes" not in body
    assert body["status"] == "offered" and body["address"]
    error(w.api.get(url, "bela"), 403)
    error(w.api.get("/requests/999999", "coordinator"), 404)
    error(w.api.get(f"/requests/{2**40}", "coordinator"), 404)


def test_a_mediator_sees_only_their_own_assignment(w):
    request_id = new_request(w)
    offer(w, request_id, w.amal, w.bela)
    offers = ok(w.api.get("/offers", "amal"))["items"]
    ok(w.api.post(f"/offers/{offers[0]['id']}/accept", "amal", {"no_conflict_of_interest": True}))
    mine = ok(w.api.get(f"/requests/{request_id}", "amal"))
    assert mine["assignment"]["mediator_id"] == w.amal and "feedback" not in mine["assignment"]
    theirs = ok(w.api.get(f"/requests/{request_id}", "bela"))
    assert theirs["assignment"] is None and "case_ref" not in theirs
    office = ok(w.api.get(f"/requests/{request_id}", "caseworker"))
    assert office["assignment"]["mediator_name"] == "Amal" and office["status"] == "assigned"


# --- change ---------------------------------------------------------------------------------------


def test_caseworker_changes_notes_and_address_keeping_the_assignment(w):
    request_id = new_request(w)
    assignment_id = assign(w, request_id, w.amal)
    body = ok(w.api.patch(f"/requests/{request_id}", "caseworker",
                          {"notes": "Raum 14", "address": "Rathausplatz 2"}))  # fmt: skip
    assert body["notes"] == "Raum 14" and body["address"] == "Rathausplatz 2"
    assert body["assignment"]["id"] == assignment_id and body["status"] == "assigned"


def test_moving_the_time_releases_the_mediator_and_asks_again(w):
    request_id = new_request(w)
    assign(w, request_id, w.amal)
    later = next_slot(hour=14).isoformat()
    body = ok(w.api.patch(f"/requests/{request_id}", "coordinator", {"starts_at": later}))
    assert datetime.fromisoformat(body["starts_at"]) == next_slot(hour=14)
    assert body["assignment"] is None and body["status"] == "offered"
    offers = ok(w.api.get("/offers", "amal", query_string={"status": "pending"}))["items"]
    assert [o["request_id"] for o in offers] == [request_id]


def test_change_refusals(w):
    request_id = new_request(w)
    url = f"/requests/{request_id}"
    err = error(w.api.patch(url, "caseworker", {"language": "fa"}), 422)
    assert err["reasons"][0]["code"] == "not_changeable" and "language" in err["fields"]
    err = error(w.api.patch(url, "caseworker", {"starts_at": "2031-11-11T10:00:00"}), 422)
    assert "starts_at" in err["fields"]
    err = error(w.api.patch(url, "caseworker", {"duration_minutes": 5000}), 422)
    assert err["reasons"][0]["code"] == "duration"
    err = error(w.api.patch(url, "caseworker", {"bogus": 1}), 422)
    assert "bogus" in err["fields"]
    for who in ("health_caseworker", "town_coordinator", "amal"):
        error(w.api.patch(url, who, {"notes": "x"}), 403)
    error(w.api.patch("/requests/999999", "caseworker", {"notes": "x"}), 404)


# --- candidates -----------------------------------------------------------------------------------


def test_candidates_for_the_coordinator(w):
    request_id = new_request(w)
    db = w.db
    fresh(db)
    # Bela cannot come: an assignment at the same time elsewhere.
    other = new_request(w, case_ref="JA-2031-0099")
    assign(w, other, w.bela)
    body = ok(w.api.get(f"/requests/{request_id}/candidates", "coordinator"))
    assert set(body) == {"candidates", "excluded", "excluded_counts", "excluded_total"}
    assert [c["mediator_id"] for c in body["candidates"]] == [w.amal]
    amal = body["candidates"][0]
    assert amal["name"] == "Amal" and amal["reasons"] and isinstance(amal["score"], float)
    assert [e["mediator_id"] for e in body["excluded"]] == [w.bela]
    assert body["excluded"][0]["reasons"] and body["excluded_total"] == 1
    assert sum(body["excluded_counts"].values()) >= 1
    assert len(body["excluded"]) <= 50
    assert w.chloe not in {c["mediator_id"] for c in body["candidates"] + body["excluded"]}
    for who in ("caseworker", "amal", "town_coordinator"):
        error(w.api.get(f"/requests/{request_id}/candidates", who), 403)


# --- offers ---------------------------------------------------------------------------------------


def test_offer_to_two_first_accept_wins_the_other_gets_409(w):
    request_id = new_request(w)
    created = ok(w.api.post(f"/requests/{request_id}/offers", "coordinator",
                            {"mediator_ids": [w.amal, w.bela], "expires_in_minutes": 120}), 201)  # fmt: skip
    assert {o["mediator_id"] for o in created["items"]} == {w.amal, w.bela}
    assert all(o["status"] == "pending" for o in created["items"])

    amal_offers = ok(w.api.get("/offers", "amal"))["items"]
    assert [o["mediator_id"] for o in amal_offers] == [w.amal]
    summary = amal_offers[0]["request"]
    assert summary["language"] == "ar" and summary["office"]["name"] == "Jugendamt"
    assert summary["address"] == "Rathausplatz 1, Raum 12"
    assert "case_ref" not in summary and "notes" not in summary
    assert len(ok(w.api.get("/offers", "coordinator"))["items"]) == 2
    assert ok(w.api.get("/offers", "town_coordinator"))["items"] == []
    error(w.api.get("/offers", "caseworker"), 403)
    bela_offer = ok(w.api.get("/offers", "bela"))["items"][0]["id"]

    won = ok(w.api.post(f"/offers/{amal_offers[0]['id']}/accept", "amal",
                        {"no_conflict_of_interest": True}))  # fmt: skip
    assert won["mediator_id"] == w.amal and won["status"] == "confirmed"
    lost = error(w.api.post(f"/offers/{bela_offer}/accept", "bela",
                            {"no_conflict_of_interest": True}), 409)  # fmt: skip
    assert lost["code"] == "conflict"
    assert ok(w.api.get("/offers", "bela"))["items"][0]["status"] == "withdrawn"
    request = ok(w.api.get(f"/requests/{request_id}", "coordinator"))
    assert request["status"] == "assigned" and request["assignment"]["id"] == won["id"]
    # Offering a taken request is a conflict too.
    error(w.api.post(f"/requests/{request_id}/offers", "coordinator",
                     {"mediator_ids": [w.bela]}), 409)  # fmt: skip


def test_offer_permissions_and_refusals(w):
    request_id = new_request(w)
    url = f"/requests/{request_id}/offers"
    for who in ("caseworker", "amal", "town_coordinator"):
        error(w.api.post(url, who, {"mediator_ids": [w.amal]}), 403)
    err = error(w.api.post(url, "coordinator", {"mediator_ids": [w.chloe]}), 422)
    assert "mediator_ids[0]" in err["fields"]
    err = error(w.api.post(url, "coordinator", {"mediator_ids": [999999]}), 422)
    assert "mediator_ids[0]" in err["fields"]
    err = error(w.api.post(url, "coordinator", {"mediator_ids": []}), 422)
    assert "mediator_ids" in err["fields"]
    err = error(w.api.post(url, "coordinator",
                           {"mediator_ids": [w.amal], "expires_in_minutes": 0}), 422)  # fmt: skip
    assert "expires_in_minutes" in err["fields"]
    error(w.api.post("/requests/999999/offers", "coordinator", {"mediator_ids": [w.amal]}), 404)


def test_accept_needs_the_declaration_and_the_own_offer(w):
    request_id = new_request(w)
    amal_offer, bela_offer = offer(w, request_id, w.amal, w.bela)
    url = f"/offers/{amal_offer}/accept"
    for body in ({}, {"no_conflict_of_interest": False}, {"no_conflict_of_interest": "yes"}):
        err = error(w.api.post(url, "amal", body), 422)
        assert "no_conflict_of_interest" in err["fields"]
    for who in ("bela", "coordinator", "caseworker"):
        error(w.api.post(url, who, {"no_conflict_of_interest": True}), 403)
    error(w.api.post("/offers/999999/accept", "amal", {"no_conflict_of_interest": True}), 404)
    assert bela_offer


def test_decline_and_withdraw(w):
    request_id = new_request(w)
    amal_offer, bela_offer = offer(w, request_id, w.amal, w.bela)
    declined = ok(w.api.post(f"/offers/{amal_offer}/decline", "amal", {"reason": "krank"}))
    assert declined["status"] == "declined" and declined["decline_reason"] == "krank"
    error(w.api.post(f"/offers/{amal_offer}/decline", "amal"), 409)
    error(w.api.post(f"/offers/{bela_offer}/decline", "amal"), 403)
    for who in ("bela", "caseworker", "town_coordinator"):
        error(w.api.post(f"/offers/{bela_offer}/withdraw", who), 403)
    withdrawn = ok(w.api.post(f"/offers/{bela_offer}/withdraw", "coordinator"))
    assert withdrawn["status"] == "withdrawn"
    error(w.api.post(f"/offers/{bela_offer}/withdraw", "coordinator", {}), 409)
    assert ok(w.api.get(f"/requests/{request_id}", "coordinator"))["status"] == "open"
    # A decline without a body and without a reason.
    again = offer(w, request_id, w.bela)[0]
    response = w.api.client.post(f"{API}/offers/{again}/decline", headers=w.api.tokens["bela"])
    assert ok(response)["decline_reason"] is None


# --- direct assignment, unfillable, cancellations -------------------------------------------------


def test_direct_assignment_and_its_conflicts(w):
    first = new_request(w)
    second = new_request(w, case_ref="JA-2031-0100")  # the same time
    url = f"/requests/{first}/assignment"
    for who in ("caseworker", "amal", "town_coordinator"):
        error(w.api.post(url, who, {"mediator_id": w.amal}), 403)
    err = error(w.api.post(url, "coordinator", {"mediator_id": w.chloe}), 422)
    assert "mediator_id" in err["fields"]
    assignment_id = assign(w, first, w.amal)
    error(w.api.post(url, "coordinator", {"mediator_id": w.bela}), 409)  # request taken
    err = error(w.api.post(f"/requests/{second}/assignment", "coordinator",
                           {"mediator_id": w.amal}), 409)  # fmt: skip
    assert "Amal" in err["message"]  # booked then
    fresh(w.db)
    assert w.db.get(Assignment, assignment_id).assign_reason == "am Telefon vereinbart"
    assert w.db.get(InterpretingRequest, second).status == "open"


def test_unfillable(w):
    request_id = new_request(w)
    url = f"/requests/{request_id}/unfillable"
    for who in ("caseworker", "amal", "town_coordinator"):
        error(w.api.post(url, who, {"reason": "niemand frei"}), 403)
    error(w.api.post(url, "coordinator", {}), 422)
    error(w.api.post(url, "coordinator", {"reason": "   "}), 422)
    body = ok(w.api.post(url, "coordinator", {"reason": "niemand frei"}))
    assert body["status"] == "unfilled" and body["unfillable_reason"] == "niemand frei"
    error(w.api.post(url, "coordinator", {"reason": "noch einmal"}), 409)


def test_cancel_request(w):
    request_id = new_request(w)
    assign(w, request_id, w.amal)
    url = f"/requests/{request_id}/cancel"
    for who in ("health_caseworker", "amal", "town_coordinator"):
        error(w.api.post(url, who, {"reason": "nicht mehr nötig"}), 403)
    err = error(w.api.post(url, "caseworker", {}), 422)
    assert "reason" in err["fields"]
    body = ok(w.api.post(url, "caseworker", {"reason": "nicht mehr nötig"}))
    assert body["status"] == "cancelled" and body["cancelled_by"] == "office"
    assert body["assignment"] is None
    error(w.api.post(url, "coordinator", {"reason": "doppelt"}), 409)


def test_cancel_assignment_by_the_mediator_with_a_conflict_of_interest(w):
    request_id = new_request(w)
    assignment_id = assign(w, request_id, w.amal)
    url = f"/assignments/{assignment_id}/cancel"
    for who in ("bela", "caseworker", "health_caseworker", "town_coordinator"):
        error(w.api.post(url, who, {"reason": "x"}), 403)
    error(w.api.post(url, "amal", {"reason": "x", "conflict_of_interest": "ja"}), 422)
    body = ok(w.api.post(url, "amal", {"reason": "Ich kenne die Familie",
                                       "conflict_of_interest": True}))  # fmt: skip
    assert body["status"] == "cancelled" and body["cancelled_by"] == "mediator"
    assert body["conflict_of_interest"] and not body["short_notice"]
    assert ok(w.api.get(f"/requests/{request_id}", "coordinator"))["status"] == "open"
    fresh(w.db)
    assert w.db.scalars(select(CaseExclusion.mediator_id)).all() == [w.amal]
    error(w.api.post(url, "coordinator", {"reason": "noch einmal"}), 409)
    error(w.api.post("/assignments/999999/cancel", "coordinator", {"reason": "x"}), 404)


def test_cancel_assignment_by_the_coordinator(w):
    request_id = new_request(w)
    assignment_id = assign(w, request_id, w.amal)
    body = ok(w.api.post(f"/assignments/{assignment_id}/cancel", "coordinator",
                         {"reason": "Person erkrankt"}))  # fmt: skip
    assert body["cancelled_by"] == "coordination"


def test_both_sides_report_the_outcome(w):
    request_id = new_request(w)
    assignment_id = assign(w, request_id, w.amal)
    url = f"/assignments/{assignment_id}/complete"
    error(w.api.post(url, "caseworker", {"outcome": "took_place", "duration_minutes": 60}), 422)
    move_into_past(w, request_id)
    for who in ("bela", "coordinator", "health_caseworker", "town_coordinator"):
        error(w.api.post(url, who, {"outcome": "took_place", "duration_minutes": 60}), 403)
    err = error(w.api.post(url, "amal", {"outcome": "took_place", "duration_minutes": 60,
                                         "feedback": {"rating": 5}}), 422)  # fmt: skip
    assert "feedback" in err["fields"]
    err = error(w.api.post(url, "caseworker", {"outcome": "took_place", "duration_minutes": 60,
                                               "travel_km": 3}), 422)  # fmt: skip
    assert "travel_km" in err["fields"]
    err = error(w.api.post(url, "caseworker", {"outcome": "took_place"}), 422)
    assert "duration_minutes" in err["fields"]
    err = error(w.api.post(url, "caseworker", {"outcome": "took_place", "duration_minutes": 60,
                                               "feedback": {"rating": 6}}), 422)  # fmt: skip
    assert "feedback.rating" in err["fields"]
    office = ok(w.api.post(url, "caseworker", {
        "outcome": "took_place", "duration_minutes": 60,
        "feedback": {"rating": 5, "text": "Sehr hilfreich"}}))  # fmt: skip
    assert office["status"] == "completed"
    assert office["office_report"] == {"outcome": "took_place", "duration_minutes": 60}
    assert office["feedback"] == {"rating": 5, "text": "Sehr hilfreich"}
    error(w.api.post(url, "caseworker", {"outcome": "took_place", "duration_minutes": 60}), 409)
    mediator = ok(w.api.post(url, "amal", {"outcome": "took_place", "duration_minutes": 120,
                                           "travel_km": 12}))  # fmt: skip
    assert mediator["mediator_report"] == {"outcome": "took_place", "duration_minutes": 120,
                                           "travel_km": 12}  # fmt: skip
    assert mediator["outcome_differences"] == ["duration"] and "feedback" not in mediator
    assert ok(w.api.get(f"/requests/{request_id}", "coordinator"))["status"] == "completed"


# --- hostile input --------------------------------------------------------------------------------

HOSTILE_BODIES: list[Any] = [
    [],
    "text",
    123,
    {"office_id": 2**70},
    {"office_id": "1"},
    {"office_id": True},
    {"mediator_ids": [2**70, -1, "x", None, 1.5]},
    {"mediator_ids": list(range(1, 500))},
    {"mediator_id": 2**64, "reason": 7},
    {"reason": "\x00"},
    {"reason": "x" * 100_000},
    {"reason": ["a"]},
    {"no_conflict_of_interest": None},
    {"outcome": {"$gt": ""}, "duration_minutes": -1, "feedback": "great"},
    {"feedback": {"rating": True, "text": "\ud800"}, "outcome": "took_place"},
    {"starts_at": "9999-99-99T99:99:99+99:99", "duration_minutes": 1e308, "notes": "\x00"},
    {"language": {"a": 1}, "mode": ["in_person"], "urgent": "yes", "whole_series": "no"},
    {"\x00": 1, "x" * 5000: 2},
    {str(i): i for i in range(500)},
]


def test_hostile_bodies_never_give_a_500(w):
    request_id = new_request(w)
    offer_id = offer(w, request_id, w.amal)[0]
    assignment_id = assign(w, new_request(w, start=next_slot(days=21), case_ref=None), w.bela)
    targets = [
        ("POST", "/requests", "coordinator"),
        ("PATCH", f"/requests/{request_id}", "coordinator"),
        ("POST", f"/requests/{request_id}/offers", "coordinator"),
        ("POST", f"/requests/{request_id}/assignment", "coordinator"),
        ("POST", f"/requests/{request_id}/unfillable", "coordinator"),
        ("POST", f"/requests/{request_id}/cancel", "caseworker"),
        ("POST", f"/offers/{offer_id}/accept", "amal"),
        ("POST", f"/offers/{offer_id}/decline", "amal"),
        ("POST", f"/offers/{offer_id}/withdraw", "coordinator"),
        ("POST", f"/assignments/{assignment_id}/cancel", "bela"),
        ("POST", f"/assignments/{assignment_id}/complete", "caseworker"),
    ]
    for method, url, who in targets:
        for body in HOSTILE_BODIES:
            response = w.api.call(method, url, who, json=body)
            assert response.status_code in (400, 409, 415, 422), (url, body, response.get_json())
        for raw in (b"null", b"{", b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000):
            response = w.api.call(method, url, who, data=raw, content_type="application/json")
            assert response.status_code in (400, 413, 422), (url, raw[:10], response.get_json())
        response = w.api.call(method, url, who, data=b"reason=x",
                              content_type="application/x-www-form-urlencoded")  # fmt: skip
        assert response.status_code in (400, 415), (url, response.get_json())
    # Nothing of it changed anything.
    fresh(w.db)
    assert w.db.get(InterpretingRequest, request_id).status == "offered"
    assert w.db.get(Assignment, assignment_id).status == "confirmed"


@pytest.mark.parametrize("suffix", ["", "/candidates"])
def test_huge_ids_in_paths_are_404(w, suffix):
    error(w.api.get(f"/requests/{2**63}{suffix}", "coordinator"), 404)
