"""The hotline: reachable now, finding someone, recording a call, the API."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from pool.cli import run_tick
from pool.models import Absence, Assignment, AuditEvent, InterpretingRequest, Mediator, Office, Pool
from pool.security import hash_password
from pool.services import booking, hotline, indicators
from pool.services.accounts import create_api_token
from tests.conftest import login
from tests.factories import catalogue, deployable_mediator, district, user
from tests.helpers import fresh, text

# Wednesday, 25 November 2026, 10:00 in Berlin (the factory's windows: Mon–Fri 08:00–18:00).
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
CASEWORKER = "sachbearbeitung@demo.example"
COORDINATOR = "koordination@demo.example"
VOLUNTEER = "vera@example.org"
PASSWORD = "Tee mit Minze und Honig"


@pytest.fixture
def w(app, db, demo, monkeypatch):
    """Two Arabic speakers of the district (a volunteer and a staff member) switched on, the
    pool's hotline number and alternatives, the office's number; the pages run at ``NOW``."""
    monkeypatch.setattr("pool.hotline.routes.utcnow", lambda: NOW)
    monkeypatch.setattr("pool.api.hotline.utcnow", lambda: NOW)
    catalogue(app, db, now=NOW - timedelta(days=40))
    pool = district(db)
    pool.hotline_phone = "0521 111-2222"
    pool.phone_alternatives = "Telefondolmetschdienst Beispiel: 0800 123456"
    office = db.scalars(select(Office).where(Office.name == "Jugendamt")).one()
    office.phone = "0521 555-0100"
    db.commit()
    volunteer = deployable_mediator(app, db, pool=pool, email="vera@example.org",
                                    name="Vera Ehrenamt", now=NOW - timedelta(days=1))  # fmt: skip
    volunteer.phone = "0170 1234567"
    staff = deployable_mediator(app, db, pool=pool, email="stefan@example.org",
                                name="Stefan Amt", kind="staff", now=NOW - timedelta(days=1))  # fmt: skip
    staff.employing_office_id = office.id
    with app.test_request_context():
        for m in (volunteer, staff):
            m.user.password_hash = hash_password(PASSWORD)
    db.commit()
    for m in (volunteer, staff):
        hotline.switch_on(db, actor=None, mediator=m, until=None, now=NOW - timedelta(hours=3))
    db.commit()
    return {"pool": pool, "office": office, "volunteer": volunteer, "staff": staff}


def names(db, at: datetime = NOW, language: str = "ar") -> list[str]:
    fresh(db)
    return [r.mediator.name for r in hotline.reachable_now(db, [district(db).id], language, at)]


def record(app, db, w, mediator: Mediator, at: datetime = NOW) -> Assignment:
    with app.test_request_context():
        assignment = hotline.record_call(db, actor=user(db, CASEWORKER), office=w["office"],
                                         mediator=mediator, language="ar", now=at)  # fmt: skip
    db.commit()
    return assignment


# --- reachable now --------------------------------------------------------------------------------


def test_switch_turns_off_by_itself_at_the_right_moment(app, db, w):
    v = w["volunteer"]
    hotline.switch_on(db, actor=None, mediator=v, until=NOW + timedelta(hours=2), now=NOW)
    db.commit()
    assert "Vera Ehrenamt" in names(db, NOW + timedelta(hours=2) - timedelta(seconds=1))
    assert "Vera Ehrenamt" not in names(db, NOW + timedelta(hours=2))
    run_tick(app, NOW + timedelta(hours=1))
    fresh(db)
    assert db.get(Mediator, v.id).reachable_from is not None  # not yet
    run_tick(app, NOW + timedelta(hours=2))
    fresh(db)
    assert db.get(Mediator, v.id).reachable_from is None
    assert db.get(Mediator, v.id).reachable_until is None
    # The staff member switched on "until I switch off" stays on.
    assert db.get(Mediator, w["staff"].id).reachable_from is not None


def test_not_reachable_outside_availability_or_when_absent(db, w):
    assert names(db) == ["Stefan Amt", "Vera Ehrenamt"]
    # Wednesday 19:00 in Berlin: after the window; Saturday 10:00: no window.
    assert names(db, datetime(2026, 11, 25, 18, 0, tzinfo=UTC)) == []
    assert names(db, datetime(2026, 11, 28, 9, 0, tzinfo=UTC)) == []
    v = db.get(Mediator, w["volunteer"].id)
    v.absences.append(Absence(start_date=NOW.date(), end_date=NOW.date()))
    db.commit()
    assert names(db) == ["Stefan Amt"]
    assert "absent" in hotline.state(db, db.get(Mediator, v.id), NOW)
    # Without the phone mode nobody counts, whatever the switch says.
    s = db.get(Mediator, w["staff"].id)
    s.mode_phone = False
    db.commit()
    assert names(db) == []


def test_staff_only_with_a_valid_release(db, w):
    s = db.get(Mediator, w["staff"].id)
    s.supervisor_release_until = NOW.date() - timedelta(days=1)
    db.commit()
    assert names(db) == ["Vera Ehrenamt"]
    assert "no_release" in hotline.state(db, db.get(Mediator, s.id), NOW)
    s = db.get(Mediator, w["staff"].id)
    s.supervisor_release_until = NOW.date()
    db.commit()
    assert names(db) == ["Stefan Amt", "Vera Ehrenamt"]


def test_list_order_staff_first_then_fair_share(app, db, w):
    pool = district(db)
    other = deployable_mediator(app, db, pool=pool, email="olga@example.org", name="Anna Viel",
                                now=NOW - timedelta(days=1))  # fmt: skip
    hotline.switch_on(db, actor=None, mediator=other, until=None, now=NOW - timedelta(days=8))
    db.commit()
    # Alphabetically "Anna" comes first; after a call last week she comes after Vera.
    assert names(db) == ["Stefan Amt", "Anna Viel", "Vera Ehrenamt"]
    record(app, db, w, db.get(Mediator, other.id), at=NOW - timedelta(days=7))
    assert names(db) == ["Stefan Amt", "Vera Ehrenamt", "Anna Viel"]


def test_who_sees_which_number(db, w):
    fresh(db)
    rows = {r.mediator.name: r for r in hotline.reachable_now(db, [district(db).id], "ar", NOW)}
    assert (rows["Stefan Amt"].phone, rows["Stefan Amt"].via_coordination) == (
        "0521 555-0100",
        False,
    )
    assert (rows["Vera Ehrenamt"].phone, rows["Vera Ehrenamt"].via_coordination) == (
        "0521 111-2222",
        True,
    )
    v = db.get(Mediator, w["volunteer"].id)
    hotline.set_phone_consent(db, actor=None, mediator=v, consent=True, now=NOW)
    db.commit()
    fresh(db)
    rows = {r.mediator.name: r for r in hotline.reachable_now(db, [district(db).id], "ar", NOW)}
    assert rows["Vera Ehrenamt"].phone == "0170 1234567"


def test_recording_a_call_books_for_15_minutes_and_counts(app, db, w):
    staff = db.get(Mediator, w["staff"].id)
    assignment = record(app, db, w, staff)
    fresh(db)
    request = db.get(InterpretingRequest, assignment.request_id)
    assert request.via_hotline and request.mode == "phone" and request.status == "assigned"
    assert request.starts_at == NOW and request.duration_minutes == 15
    assert db.get(Assignment, assignment.id).status == "confirmed"
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.object_id.in_(
        [assignment.id, request.id]))))  # fmt: skip
    assert {"request.created", "assignment.created"} <= actions
    # Booked for the length of the call, then back.
    assert names(db, NOW + timedelta(minutes=14)) == ["Vera Ehrenamt"]
    assert "booked" in hotline.state(db, db.get(Mediator, staff.id), NOW + timedelta(minutes=1))
    assert names(db, NOW + timedelta(minutes=15)) == ["Stefan Amt", "Vera Ehrenamt"]
    # A second call while booked is refused.
    with app.test_request_context(), pytest.raises(booking.BookingConflict):
        hotline.record_call(db, actor=user(db, CASEWORKER), office=w["office"],
                            mediator=db.get(Mediator, staff.id), language="ar",
                            now=NOW + timedelta(minutes=5))  # fmt: skip
    db.rollback()
    # Either side reports the real duration through the usual outcome report.
    with app.test_request_context():
        booking.report_outcome(db, actor=user(db, CASEWORKER), side="office",
                               assignment=db.get(Assignment, assignment.id), outcome="took_place",
                               duration_minutes=25, now=NOW + timedelta(minutes=30))  # fmt: skip
    db.commit()
    fresh(db)
    assert db.get(Assignment, assignment.id).office_duration_minutes == 25
    day = NOW.date()
    result = indicators.as_json(indicators.compute(db, [district(db).id], day, day, NOW))
    assert result["requests"] >= 1 and result["fulfilled"] >= 1


def test_record_refuses_someone_not_reachable(app, db, w):
    v = db.get(Mediator, w["volunteer"].id)
    hotline.switch_off(db, actor=None, mediator=v, now=NOW)
    db.commit()
    with app.test_request_context(), pytest.raises(booking.BookingConflict):
        record(app, db, w, db.get(Mediator, v.id))


# --- pages ----------------------------------------------------------------------------------------


def test_caseworker_finds_and_records(client, login_as, db, w):
    login_as("caseworker")
    page = client.get("/jetzt-dolmetschen?language=ar")
    assert page.status_code == 200
    body = text(page)
    assert body.index("Stefan Amt") < body.index("Vera Ehrenamt")
    assert "0521 555-0100" in body and "0521 111-2222" in body
    assert "über die Koordination" in body
    assert "0170 1234567" not in body
    token = csrf_token_in(page)
    response = client.post("/jetzt-dolmetschen/anruf", data={
        "csrf_token": token, "mediator_id": w["staff"].id, "language": "ar",
        "office_id": w["office"].id})  # fmt: skip
    assert response.status_code == 302
    assert "/requests/" in response.headers["Location"]
    fresh(db)
    assert db.scalars(select(InterpretingRequest).where(InterpretingRequest.via_hotline)).one()
    # The staff member is now busy: only Vera is listed.
    assert "Ich habe Stefan Amt angerufen" not in text(client.get("/jetzt-dolmetschen?language=ar"))


def test_nobody_reachable_shows_alternatives(client, login_as, w):
    login_as("caseworker")
    body = text(client.get("/jetzt-dolmetschen?language=sw"))
    assert "Gerade ist niemand für diese Sprache telefonisch erreichbar." in body
    assert "Telefondolmetschdienst Beispiel: 0800 123456" in body
    assert "Einen Termin mit Sprachmittlung anfragen" in body
    assert "Bitte wählen Sie eine Sprache" in text(client.get("/jetzt-dolmetschen?language=xx"))


def test_mediator_switches_on_and_off(client, db, w):
    assert login(client, VOLUNTEER, PASSWORD).status_code == 302
    own = db.get(Mediator, w["volunteer"].id)
    hotline.switch_off(db, actor=None, mediator=own, now=NOW)
    own.availability.clear()
    db.commit()
    page = client.get("/erreichbar")
    assert page.status_code == 200
    assert "Sie sind gerade nicht als telefonisch erreichbar eingetragen." in text(page)
    token = csrf_token_in(page)
    response = client.post("/erreichbar", data={"csrf_token": token, "duration": "2"})
    assert response.status_code == 302
    fresh(db)
    own = db.get(Mediator, own.id)
    assert own.reachable_from == NOW and own.reachable_until == NOW + timedelta(hours=2)
    body = text(client.get("/erreichbar"))
    assert "Eingeschaltet" in body
    assert "Sie sind gerade außerhalb Ihrer Verfügbarkeit." in body
    # "Until a time" without a time asks for one (it answered 500: found by the fuzzer).
    for blank in ("", "  "):
        response = client.post("/erreichbar", data={"csrf_token": token, "duration": "time",
                                                    "until_time": blank})  # fmt: skip
        assert response.status_code == 400
        assert "Bitte geben Sie eine Uhrzeit wie 12:00 ein." in text(response)
    # A time today that has passed is refused in plain words.
    response = client.post("/erreichbar", data={"csrf_token": token, "duration": "time",
                                                "until_time": "09:00"})  # fmt: skip
    assert response.status_code == 400
    assert "Diese Uhrzeit ist heute schon vorbei." in text(response)
    response = client.post("/erreichbar", data={"csrf_token": token, "duration": "time",
                                                "until_time": "12:30"})  # fmt: skip
    assert response.status_code == 302
    fresh(db)
    assert db.get(Mediator, own.id).reachable_until == datetime(2026, 11, 25, 11, 30, tzinfo=UTC)
    assert client.post("/erreichbar/aus", data={"csrf_token": token}).status_code == 302
    fresh(db)
    assert db.get(Mediator, own.id).reachable_from is None
    # The consent to show the own number, revocable.
    client.post("/erreichbar/telefonnummer", data={"csrf_token": token, "consent": "y"})
    fresh(db)
    assert db.get(Mediator, own.id).hotline_phone_consent_at == NOW
    client.post("/erreichbar/telefonnummer", data={"csrf_token": token})
    fresh(db)
    assert db.get(Mediator, own.id).hotline_phone_consent_at is None
    actions = list(db.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "mediator", AuditEvent.object_id == own.id)))  # fmt: skip
    assert actions.count("mediator.reachable_on") == 3  # the fixture's and two here
    assert actions.count("mediator.reachable_off") == 2
    assert actions.count("mediator.hotline_phone_consent") == 2


def csrf_token_in(response) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_mediator_cannot_search(client, w):
    assert login(client, VOLUNTEER, PASSWORD).status_code == 302
    assert client.get("/jetzt-dolmetschen?language=ar").status_code == 403
    assert client.post("/jetzt-dolmetschen/anruf", data={}).status_code in (400, 403)


def test_permissions(client, login_as, db, w):
    login_as("caseworker")
    assert client.get("/erreichbar").status_code == 403
    # A mediator of a pool that does not share with the district is never listed.
    fresh(db)
    assert all(r.mediator.pool_id in hotline.scope_pool_ids(db, [district(db).id])
               for r in hotline.reachable_now(db, [district(db).id], "ar", NOW))  # fmt: skip


def test_signed_out_goes_to_login(client):
    for url in ("/jetzt-dolmetschen", "/erreichbar"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- API ------------------------------------------------------------------------------------------


def bearer(db, email: str) -> dict[str, str]:
    secret = create_api_token(db, user(db, email), "test", now=NOW)
    db.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_api_list_and_call(client, db, w):
    headers = bearer(db, CASEWORKER)
    response = client.get("/api/v1/hotline?language=ar", headers=headers)
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(i["name"], i["kind"], i["phone"]) for i in items] == [
        ("Stefan Amt", "staff", "0521 555-0100"),
        ("Vera Ehrenamt", "volunteer", "0521 111-2222"),
    ]
    assert client.get("/api/v1/hotline", headers=headers).status_code == 400
    response = client.post("/api/v1/hotline/calls", headers=headers,
                           json={"mediator_id": w["volunteer"].id, "language": "ar"})  # fmt: skip
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["mediator_id"] == w["volunteer"].id and body["status"] == "confirmed"
    again = client.post("/api/v1/hotline/calls", headers=headers,
                        json={"mediator_id": w["volunteer"].id, "language": "ar"})  # fmt: skip
    assert again.status_code == 409
    missing = client.post("/api/v1/hotline/calls", headers=headers,
                          json={"mediator_id": 999999, "language": "ar"})  # fmt: skip
    assert missing.status_code == 404


def test_api_permissions(client, db, w):
    mediator_headers = bearer(db, "sprachmittlung@demo.example")
    assert client.get("/api/v1/hotline?language=ar", headers=mediator_headers).status_code == 403
    assert client.post("/api/v1/hotline/calls", headers=mediator_headers,
                       json={"mediator_id": w["staff"].id, "language": "ar"}).status_code == 403  # fmt: skip
    # A caseworker cannot switch someone else; neither can a coordinator.
    for email in (CASEWORKER, COORDINATOR):
        response = client.put(f"/api/v1/mediators/{w['staff'].id}/reachable",
                              headers=bearer(db, email), json={"until": None})  # fmt: skip
        assert response.status_code == 403
    # A coordinator may look, not record.
    coordinator = bearer(db, COORDINATOR)
    assert client.get("/api/v1/hotline?language=ar", headers=coordinator).status_code == 200


def test_api_switch_own(client, db, w):
    own = db.get(Mediator, w["volunteer"].id)
    headers = bearer(db, VOLUNTEER)
    url = f"/api/v1/mediators/{own.id}/reachable"
    until = (NOW + timedelta(hours=2)).isoformat()
    response = client.put(url, headers=headers, json={"until": until})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["reachable_until"] == until
    for bad in ((NOW - timedelta(minutes=1)).isoformat(), (NOW + timedelta(hours=25)).isoformat()):
        assert client.put(url, headers=headers, json={"until": bad}).status_code == 400
    assert client.put(url, headers=headers, json={"until": None}).status_code == 200
    fresh(db)
    assert db.get(Mediator, own.id).reachable_from is None
    assert client.put("/api/v1/mediators/999999/reachable", headers=headers,
                      json={"until": None}).status_code == 404  # fmt: skip


def test_other_pool_is_not_listed(app, db, w, client):
    other = Pool(name="Anderer Kreis", federal_state="NW")
    db.add(other)
    db.commit()
    stranger = deployable_mediator(app, db, pool=other, email="fremd@example.org",
                                   name="Fremde Person", now=NOW - timedelta(days=1))  # fmt: skip
    hotline.switch_on(db, actor=None, mediator=stranger, until=None, now=NOW - timedelta(hours=1))
    db.commit()
    assert "Fremde Person" not in names(db)
    headers = bearer(db, CASEWORKER)
    response = client.post("/api/v1/hotline/calls", headers=headers,
                           json={"mediator_id": stranger.id, "language": "ar"})  # fmt: skip
    assert response.status_code == 404


def test_windows_are_local_time(db, w):
    """08:00 in Berlin is 07:00 UTC in winter."""
    assert names(db, datetime(2026, 11, 25, 7, 0, tzinfo=UTC)) == ["Stefan Amt", "Vera Ehrenamt"]
    assert names(db, datetime(2026, 11, 25, 6, 59, tzinfo=UTC)) == []
