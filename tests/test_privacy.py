"""Audit log page, a mediator's data export, erasure and the retention job (pool/privacy,
pool/services/privacy.py). Erasure and retention are checked against a dump of every table."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from pool import audit
from pool.db import utcnow
from pool.duties import _daily_duties
from pool.models import (
    Assignment,
    AuditEvent,
    InterpretingRequest,
    Mediator,
    OutboxMessage,
    User,
)
from pool.models.allowances import Payout
from pool.services import mediators as registry
from pool.services import privacy
from pool.services.users import create_user
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, town, user
from tests.helpers import fresh, text
from tests.test_booking import make_request

PASSWORD = "ein-langes-test-passwort-2026"
NAME, EMAIL, PHONE = "Erika Einzigartig", "erika.einzigartig@example.org", "0151 99887766"
LEAVE_REASON = "Umzug nach Flensburg-Weiche"
FEEDBACK = "Sehr hilfreich, danke an Frau Einzigartig"


def dump_text(engine) -> str:
    """Every value of every table (SQLite and PostgreSQL alike), as one text."""
    parts = []
    with engine.connect() as conn:
        for name in sa.inspect(conn).get_table_names():
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            for row in conn.execute(sa.select(table)):
                parts.extend(str(value) for value in row if value is not None)
    return "\n".join(parts).lower()


def counts(db) -> tuple[int, int, int]:
    fresh(db)
    return (
        db.scalar(select(func.count()).select_from(InterpretingRequest)),
        db.scalar(select(func.count()).select_from(Assignment)),
        db.scalar(select(func.count()).select_from(Mediator)),
    )


def finished_assignment(db, mediator: Mediator, *, days_ago: int, **request_values):
    """A request that took place ``days_ago`` days ago, with its completed assignment."""
    starts = utcnow().replace(microsecond=0) - timedelta(days=days_ago)
    request = make_request(db, starts_at=starts, status="completed", **request_values)
    assignment = Assignment(
        request_id=request.id, mediator_id=mediator.id, status="completed",
        starts_at=request.starts_at, ends_at=request.ends_at, feedback_text=FEEDBACK,
        assign_reason="telefonisch mit Frau Einzigartig vereinbart", feedback_rating=5,
        office_outcome="took_place", completed_at=request.ends_at,
    )  # fmt: skip
    db.add(assignment)
    db.commit()
    return request, assignment


def other_coordinator(app, db) -> str:
    """A coordinator of the town pool only."""
    email = "stadt.koordination@demo.example"
    with app.test_request_context():
        create_user(db, actor=None, email=email, name="Tom Town", password=PASSWORD,
                    grants=[("coordinator", town(db).id, None)], now=utcnow(), invite=False)  # fmt: skip
    db.commit()
    return email


@pytest.fixture
def erika(app, db, demo):
    """A district mediator with a phone number, a leaving reason, an absence and messages."""
    catalogue(app, db)
    mediator = deployable_mediator(app, db, pool=district(db), email=EMAIL, name=NAME)
    coordinator = user(db, demo.coordinator)
    now = utcnow()
    with app.test_request_context():
        registry.update_mediator(db, actor=coordinator, mediator=mediator, now=now,
                                 values={"phone": PHONE})  # fmt: skip
        registry.change_status(db, actor=coordinator, mediator=mediator, to_status="left",
                               reason=LEAVE_REASON, now=now)  # fmt: skip
    db.add(OutboxMessage(key="t-1", kind="test", recipient=demo.coordinator,
                         subject=f"{NAME} ist ausgeschieden",
                         body_text=f"Bitte {EMAIL} austragen."))  # fmt: skip
    db.add(OutboxMessage(key="t-2", kind="test", recipient=EMAIL, user_id=mediator.user_id,
                         subject="Danke", body_text="Danke für alles!"))  # fmt: skip
    db.commit()
    finished_assignment(db, mediator, days_ago=30, case_ref="AZ-2026-17")
    return mediator


# --- erasure --------------------------------------------------------------------------------------


def test_erasure_leaves_no_personal_data_behind_and_keeps_the_counts(app, db, client, erika):
    engine = app.extensions["pool_db"].engine
    before = dump_text(engine)
    for needle in (NAME, EMAIL, PHONE, LEAVE_REASON, FEEDBACK):
        assert needle.lower() in before  # the test data are really there
    numbers = counts(db)
    mediator_id, user_id = erika.id, erika.user_id

    login(client, "koordination@demo.example")
    url = f"/mediators/{mediator_id}/daten-loeschen"
    page = client.get(url)
    assert page.status_code == 200 and "Was bleibt" in text(page)
    refused = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert refused.status_code == 400 and "Bitte bestätigen Sie die Löschung." in text(refused)
    response = client.post(url, data={"csrf_token": csrf_token(client, url), "confirm": "y"})
    assert response.status_code == 302

    after = dump_text(engine)
    for needle in (NAME, EMAIL, PHONE, LEAVE_REASON, FEEDBACK, "Einzigartig"):
        assert needle.lower() not in after, needle
    assert counts(db) == numbers
    mediator = db.get(Mediator, mediator_id)
    assert mediator.name == f"Gelöschte Person #{mediator_id}"
    assert mediator.erased_at is not None and mediator.languages  # languages kept for figures
    account = db.get(User, user_id)
    assert not account.active and account.password_hash is None and not account.roles
    assert (
        "mediator.erased"
        in db.scalars(select(AuditEvent.action).where(AuditEvent.object_id == mediator_id)).all()
    )
    # The page now says the data are gone instead of offering the form again.
    assert "Gelöschte Person" in text(client.get(url))


def test_erasure_needs_the_status_left_and_no_confirmed_assignments(app, db, demo):
    catalogue(app, db)
    mediator = deployable_mediator(app, db, pool=district(db), email=EMAIL, name=NAME)
    coordinator = user(db, demo.coordinator)
    with app.test_request_context(), pytest.raises(privacy.PrivacyError):
        privacy.erase_mediator(db, actor=coordinator, mediator=mediator, now=utcnow())
    db.rollback()
    assert db.get(Mediator, mediator.id).name == NAME


@pytest.mark.parametrize("who", ["other", "caseworker", "mediator", "anonymous"])
def test_only_the_pools_coordinators_may_erase(app, db, client, demo, erika, who):
    url = f"/mediators/{erika.id}/daten-loeschen"
    if who == "other":
        login(client, other_coordinator(app, db), PASSWORD)
    elif who != "anonymous":
        login(client, demo.by_role[who])
    response = client.get(url)
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    fresh(db)
    assert db.get(Mediator, erika.id).name == NAME


# --- retention ------------------------------------------------------------------------------------


def test_retention_anonymises_old_data_and_keeps_recent_data_and_counts(app, db, demo, erika):
    now = utcnow()
    old_request, _ = finished_assignment(db, erika, days_ago=800, case_ref="AZ-ALT-0815")
    cancelled = make_request(db, starts_at=now - timedelta(days=760), status="cancelled",
                             case_ref="AZ-ALT-0816")  # fmt: skip
    cancelled.cancel_reason = "Familie Altmann verzogen"
    db.add_all([
        OutboxMessage(key="old", kind="test", recipient="a@demo.example", subject="Betreff Altbrief",
                      body_text="Inhalt Altbrief", status="sent", due_at=now - timedelta(days=100),
                      sent_at=now - timedelta(days=100)),
        OutboxMessage(key="new", kind="test", recipient="a@demo.example", subject="Betreff Neubrief",
                      body_text="Inhalt Neubrief", status="sent", due_at=now - timedelta(days=10),
                      sent_at=now - timedelta(days=10)),
        AuditEvent(at=now - timedelta(days=800), action="test.old", address="198.51.100.77",
                   details={"field": "altwert"}),
        AuditEvent(at=now - timedelta(days=10), action="test.new", address="198.51.100.88",
                   details={"field": "neuwert"}),
        Payout(pool_id=district(db).id, mediator_id=erika.id, payee_reference="ALT-PAYEE-1",
               period=date(now.year - 12, 1, 1), amount_cents=1000,
               paid_on=date(now.year - 12, 2, 1)),
        Payout(pool_id=district(db).id, mediator_id=erika.id, payee_reference="NEU-PAYEE-2",
               period=date(now.year - 1, 1, 1), amount_cents=1000,
               paid_on=date(now.year - 1, 2, 1)),
    ])  # fmt: skip
    # Erika left more than 3 months ago; her police-certificate record goes.
    db.execute(
        sa.update(privacy.MediatorStatusChange)
        .where(privacy.MediatorStatusChange.mediator_id == erika.id)
        .values(at=now - timedelta(days=120))
    )
    db.execute(
        sa.update(Mediator)
        .where(Mediator.id == erika.id)
        .values(police_certificate_seen_on=date(2026, 1, 5), police_certificate_no_entry=True)
    )
    db.commit()
    numbers = counts(db)

    with app.app_context():
        assert "retention" in _daily_duties()
        assert privacy.apply_retention(db, now) > 0
        db.commit()
        assert privacy.apply_retention(db, now) == 0  # nothing left to do the next day
        db.commit()

    after = dump_text(app.extensions["pool_db"].engine)
    for gone in ("AZ-ALT-0815", "AZ-ALT-0816", "Familie Altmann", "Inhalt Altbrief",
                 "Betreff Altbrief", "198.51.100.77", "altwert", "ALT-PAYEE-1"):  # fmt: skip
        assert gone.lower() not in after, gone
    for kept in ("AZ-2026-17", "Inhalt Neubrief", "198.51.100.88", "neuwert", "NEU-PAYEE-2",
                 FEEDBACK):  # fmt: skip
        assert kept.lower() in after, kept
    assert counts(db) == numbers
    fresh(db)
    old = db.get(InterpretingRequest, old_request.id)
    assert (old.case_ref, old.notes, old.address, old.status) == (None, None, None, "completed")
    assert db.get(Mediator, erika.id).police_certificate_seen_on is None


def test_police_certificate_record_stays_for_three_months_after_leaving(app, db, erika):
    db.execute(
        sa.update(Mediator)
        .where(Mediator.id == erika.id)
        .values(police_certificate_seen_on=date(2026, 1, 5))
    )
    db.commit()
    with app.app_context():
        privacy.apply_retention(db, utcnow())
        db.commit()
    fresh(db)
    assert db.get(Mediator, erika.id).police_certificate_seen_on == date(2026, 1, 5)


# --- the mediator's own data ----------------------------------------------------------------------


def test_mediator_sees_and_downloads_their_data_and_nobody_elses(app, db, client, demo, erika):
    own = deployable_mediator(app, db, pool=district(db), email=demo.mediator,
                              name="Samira Sprachmittlung")  # fmt: skip
    finished_assignment(db, own, days_ago=5, case_ref="AZ-GEHEIM-9")
    login(client, demo.mediator)

    page = client.get("/meine-daten")
    assert page.status_code == 200
    body = text(page)
    assert "Samira Sprachmittlung" in body and "Meine Daten herunterladen" in body
    assert "Einsätze" in body and "Basisschulung" in body

    download = client.get("/meine-daten/download")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    data = json.loads(download.get_data(as_text=True))
    assert data["profile"]["email"] == demo.mediator
    assert data["languages"][0]["language_code"] == "ar"
    assert len(data["assignments"]) == 1 and data["availability"] and data["trainings"]
    assert [c["to_status"] for c in data["status_history"]] == ["applied", "active"]
    raw = download.get_data(as_text=True)
    for foreign in (NAME, EMAIL, "AZ-GEHEIM-9", FEEDBACK):
        assert foreign not in raw and foreign not in body
    fresh(db)
    assert (
        db.scalars(select(AuditEvent).where(AuditEvent.action == "mediator.data_exported"))
        .one()
        .object_id
        == own.id
    )


@pytest.mark.parametrize("role", ["coordinator", "caseworker", "admin"])
def test_my_data_is_for_mediators_only(login_as, role):
    client = login_as(role)
    assert client.get("/meine-daten").status_code == 403
    assert client.get("/meine-daten/download").status_code == 403


def test_my_data_needs_sign_in(client):
    response = client.get("/meine-daten")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- the audit log --------------------------------------------------------------------------------


def _event(db, action: str, object_type: str, object_id: int, actor=None) -> None:
    audit.record(db, actor.id if actor else None, action, object_type, object_id, {"k": "v"})


@pytest.fixture
def events(app, db, demo, erika):
    """Events about a district and a town mediator."""
    stranger = deployable_mediator(app, db, pool=town(db), email="t@demo.example", name="Tamar")
    admin = user(db, demo.admin)
    with app.test_request_context():
        _event(db, "zz.district", "mediator", erika.id, admin)
        _event(db, "zz.town", "mediator", stranger.id, admin)
        _event(db, "yy.other", "mediator", erika.id)
    db.commit()
    return erika, stranger


def _filter(client, **values):
    data = {"csrf_token": csrf_token(client, "/audit"), **values}
    response = client.post("/audit", data=data)
    assert response.status_code == 302 and response.headers["Location"].endswith("/audit")
    return client.get("/audit")


def test_admin_filters_the_audit_log_and_exports_it(login_as, events, demo):
    erika, _stranger = events
    client = login_as("admin")
    page = text(client.get("/audit"))
    assert "zz.district" in page and "zz.town" in page

    page = text(_filter(client, action="zz.", who="admin@demo"))
    assert "zz.district" in page and "zz.town" in page and "yy.other" not in page
    assert "2 Ereignisse gefunden" in page

    page = text(_filter(client, object_type="mediator", object_id=str(erika.id), action="zz"))
    assert "zz.district" in page and "zz.town" not in page

    response = client.get("/audit.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))  # fmt: skip
    assert rows[0][0] == "Zeitpunkt"
    assert [r[4] for r in rows[1:]] == ["zz.district"]
    assert rows[1][3] == demo.admin

    data = {"csrf_token": csrf_token(client, "/audit"), "object_id": "abc"}
    bad = client.post("/audit", data=data)
    assert bad.status_code == 400 and "Bitte geben Sie eine Nummer ein" in text(bad)

    page = text(_filter(client, reset="1"))
    assert "yy.other" in page


def test_coordinator_sees_only_events_of_their_pool(login_as, events):
    client = login_as("coordinator")
    page = text(client.get("/audit"))
    assert "zz.district" in page and "yy.other" in page and "zz.town" not in page
    body = client.get("/audit.csv").get_data(as_text=True)
    assert "zz.district" in body and "zz.town" not in body


def test_other_pools_coordinator_does_not_see_the_district_events(app, client, db, events):
    login(client, other_coordinator(app, db), PASSWORD)
    page = text(client.get("/audit"))
    assert "zz.town" in page and "zz.district" not in page


@pytest.mark.parametrize("role", ["caseworker", "mediator"])
def test_audit_log_is_not_for_caseworkers_and_mediators(login_as, role):
    client = login_as(role)
    assert client.get("/audit").status_code == 403
    assert client.get("/audit.csv").status_code == 403


@pytest.mark.parametrize("url", ["/audit", "/audit.csv", "/datenschutz"])
def test_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- record of processing -------------------------------------------------------------------------


def test_record_of_processing_shows_the_settings(app, db, login_as):
    pool = district(db)
    pool.retention_months = 18
    db.commit()
    app.config["OUTBOX_BODY_RETENTION_DAYS"] = 45
    try:
        page = text(login_as("admin").get("/datenschutz"))
    finally:
        app.config["OUTBOX_BODY_RETENTION_DAYS"] = 90
    assert "18 Monate" in page and "45 Tage nach dem Versand" in page
    assert "10 Jahre nach Ende des Jahres der Zahlung" in page and "24 Monate" in page


@pytest.mark.parametrize("role", ["coordinator", "caseworker", "mediator"])
def test_record_of_processing_is_for_admins(login_as, role):
    assert login_as(role).get("/datenschutz").status_code == 403


# --- accessibility --------------------------------------------------------------------------------


@pytest.mark.browser
def test_new_pages_are_accessible_and_fit_a_phone(app, db, demo, events, page, live_url):
    from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

    erika, _stranger = events
    deployable_mediator(app, db, pool=district(db), email=demo.mediator, name="Samira S.")
    pages = {
        "admin": ["/audit", "/datenschutz", "/admin/"],
        "coordinator": [f"/mediators/{erika.id}/daten-loeschen"],
        "mediator": ["/meine-daten"],
    }
    for role, urls in pages.items():
        page.context.clear_cookies()
        sign_in(page, live_url, demo.by_role[role], demo.password)
        for url in urls:
            for size in (None, PHONE):
                if size:
                    page.set_viewport_size(size)
                page.goto(live_url + url)
                assert_accessible(page, url)
                if size:
                    assert_no_horizontal_scroll(page, url)
                    page.set_viewport_size({"width": 1280, "height": 800})
    # The error summary of the audit filter is accessible, too.
    page.context.clear_cookies()
    sign_in(page, live_url, demo.admin, demo.password)
    page.goto(live_url + "/audit")
    page.get_by_label("Nummer des Objekts").fill("abc")
    page.get_by_role("button", name="Filtern").click()
    assert_accessible(page, "audit filter with an error")
