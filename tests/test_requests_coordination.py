"""The coordination's queue and review page, the automatic mode and the tick."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import event, select

from pool.cli import run_tick
from pool.db import utcnow
from pool.i18n import BERLIN
from pool.models import Assignment, InterpretingRequest, Mediator, Offer, Office
from pool.services import booking
from pool.services import mediators as registry
from pool.services import requests as intake
from pool.services.booking import BookingConflict
from pool.services.candidates import candidates_for
from pool.services.mediators import LanguageSkill, Window
from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, town, user
from tests.helpers import fresh, outbox_for, text

COORDINATOR = "koordination@demo.example"
CASEWORKER = "sachbearbeitung@demo.example"
ADMIN = "admin@demo.example"
MEDIATOR_USER = "sprachmittlung@demo.example"


def tuesday(weeks: int = 2, hour: int = 10) -> datetime:
    """Next Tuesday plus ``weeks`` weeks, ``hour`` o'clock in Berlin: past any lead time."""
    today = utcnow().astimezone(BERLIN).date()
    ahead = (1 - today.weekday()) % 7 or 7
    day = today + timedelta(days=ahead + 7 * weeks)
    return datetime.combine(day, time(hour), tzinfo=BERLIN)


def values(**changes) -> dict:
    result = {
        "language": "ar",
        "starts_at": tuesday(),
        "duration_minutes": 60,
        "mode": "in_person",
        "municipality": "Neustadt",
        "address": "Rathausplatz 1, Raum 12",
        "domain": "social_services",
        "setting": "counselling",
        "professional_present": True,
        "case_ref": "SO-2027-7",
        "notes": "Bitte am Empfang melden.",
    }
    result.update(changes)
    return result


def office_named(db, name: str) -> Office:
    return db.scalars(select(Office).where(Office.name == name)).one()


def youth_office(db) -> Office:
    return next(o for o in district(db).offices if o.name == "Jugendamt")


def create(app, db, *, office=None, actor=CASEWORKER, repeat=None, **changes):
    with app.test_request_context():
        created = intake.create_request(
            db,
            actor=user(db, actor),
            office=office or youth_office(db),
            values=values(**changes),
            now=utcnow(),
            repeat=repeat,
        )
    db.commit()
    return created


@pytest.fixture
def world(app, db, demo):
    """Three deployable Arabic speakers of the district pool."""
    catalogue(app, db)
    pool = district(db)
    return [
        deployable_mediator(app, db, pool=pool, email=f"m{i}@demo.example", name=f"Person {i}")
        for i in range(3)
    ]


def signed_in(client, email: str = COORDINATOR):
    response = login(client, email)
    assert response.status_code == 302
    return client


def offer_data(client, request_id: int, ids, minutes: str = "") -> dict:
    token = csrf_token(client, f"/requests/queue/{request_id}")
    return {
        "offer-csrf_token": token,
        "offer-mediator_ids": [str(i) for i in ids],
        "offer-expires_in_minutes": minutes,
    }


def kinds(db, email: str) -> list[str]:
    return [m.kind for m in outbox_for(db, email)]


# --- the queue ------------------------------------------------------------------------------------


def test_queue_lists_urgent_first_then_the_soonest(app, db, client, world):
    later = create(app, db, starts_at=tuesday(4))[0]
    sooner = create(app, db, starts_at=tuesday(2))[0]
    urgent = create(app, db, starts_at=tuesday(6), urgent=True, urgent_reason="Frist läuft ab")[0]
    signed_in(client)
    response = client.get("/requests/queue")
    assert response.status_code == 200
    page = text(response)
    positions = [page.index(f'/requests/queue/{r.id}"') for r in (urgent, sooner, later)]
    assert positions == sorted(positions)
    assert "dringend" in page and "Noch niemandem angeboten" in page
    assert "3 Anfragen" in page
    # The candidate count stored at intake is shown (three speakers fit).
    assert sooner.candidates_at_intake == 3
    row = page[page.index(f'/requests/queue/{sooner.id}"') :].split("</tr>")[0]
    assert ">3</td>" in row


def test_queue_filters_by_status_office_and_language(app, db, client, world):
    arabic = create(app, db)[0]
    farsi = create(app, db, language="fa", starts_at=tuesday(3))[0]
    other_office = create(app, db, office=office_named(db, "Gesundheitsamt"), actor=COORDINATOR)[0]
    with app.test_request_context():
        booking.make_offers(db, actor=user(db, COORDINATOR), request=arabic,
                            mediators=[world[0]], now=utcnow())  # fmt: skip
    db.commit()
    signed_in(client)

    def ids(query: str) -> set[int]:
        response = client.get("/requests/queue" + query)
        assert response.status_code == 200
        return {int(n) for n in re.findall(r"/requests/queue/(\d+)\"", text(response))}

    assert ids("") == {arabic.id, farsi.id, other_office.id}
    assert ids("?status=offered") == {arabic.id}
    assert ids("?status=open") == {farsi.id, other_office.id}
    assert ids(f"?office={other_office.office_id}") == {other_office.id}
    assert ids("?language=fa") == {farsi.id}


def test_queue_costs_the_same_statements_for_5_and_50_requests(app, db, client, world):
    create(app, db, repeat=(7, 5))
    first = db.scalars(select(InterpretingRequest).order_by(InterpretingRequest.id)).first()
    with app.test_request_context():
        booking.make_offers(db, actor=user(db, COORDINATOR), request=first,
                            mediators=world[:2], now=utcnow())  # fmt: skip
    db.commit()
    signed_in(client)
    engine = app.extensions["pool_db"].engine

    def statements() -> tuple[int, int]:
        seen = []

        def count(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT")):
                seen.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get("/requests/queue")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return len(seen), text(response).count("/requests/queue/")

    client.get("/requests/queue")  # warm up
    few, shown = statements()
    assert shown >= 5
    create(app, db, repeat=(7, 26), starts_at=tuesday(2, hour=14))
    create(app, db, repeat=(7, 19), starts_at=tuesday(3, hour=16))
    many, shown = statements()
    assert shown >= 50
    assert many == few


# --- the review page ------------------------------------------------------------------------------


def test_review_shows_the_request_candidates_with_reasons_and_the_excluded_with_counts(
    app, db, client, world
):
    # One more speaker who is only free at weekends: excluded with the reason.
    weekend = deployable_mediator(app, db, pool=district(db), email="we@demo.example",
                                  name="Wochenend Person")  # fmt: skip
    with app.test_request_context():
        registry.set_availability(db, actor=weekend.user, mediator=weekend, now=utcnow(),
                                  weekly=[Window(5, time(8), time(18))], absences=[],
                                  paused_until=None)  # fmt: skip
    db.commit()
    item = create(app, db)[0]
    with app.test_request_context():
        result = candidates_for(db, item, utcnow())
    assert [c.name for c in result.candidates] and result.excluded_total == 1

    signed_in(client)
    response = client.get(f"/requests/queue/{item.id}")
    assert response.status_code == 200
    page = text(response)
    for expected in ("SO-2027-7", "Bitte am Empfang melden.", "Rathausplatz 1, Raum 12",
                     "Person 0", "Person 1", "Person 2", "<details>", "Wochenend Person",
                     "zu dieser Zeit nicht verfügbar: 1", "Zu dieser Zeit nicht verfügbar"):  # fmt: skip
        assert expected in page, expected
    for candidate in result.candidates:
        for reason in candidate.reasons:
            assert str(text_escape(reason)) in page
    # Candidates come before the excluded part, in the ranked order.
    names = [c.name for c in result.candidates]
    assert [page.index(f">{n}</label>") for n in names] == sorted(
        page.index(f">{n}</label>") for n in names
    )
    assert page.index("Wochenend Person") > page.index("<details>")


def text_escape(value: str) -> str:
    from markupsafe import escape

    return escape(value)


def test_offer_to_two_then_the_first_to_accept_gets_it_and_the_other_is_withdrawn(
    app, db, client, world
):
    item = create(app, db)[0]
    a, b, _c = world
    signed_in(client)
    response = client.post(
        f"/requests/queue/{item.id}/offer", data=offer_data(client, item.id, [a.id, b.id], "90")
    )
    assert response.status_code == 302
    assert "offer_new" in kinds(db, a.email) and "offer_new" in kinds(db, b.email)
    offers = db.scalars(select(Offer).where(Offer.request_id == item.id)).all()
    assert {o.mediator_id for o in offers} == {a.id, b.id}
    assert all(o.expires_at - o.created_at == timedelta(minutes=90) for o in offers)
    page = text(client.get(f"/requests/queue/{item.id}"))
    assert "Das Angebot ist an 2 Personen gegangen." in page
    assert page.count("wartet auf Antwort") == 2 and "Angebot offen" in page

    offer_a = next(o for o in offers if o.mediator_id == a.id)
    with app.test_request_context():
        booking.accept_offer(db, mediator=db.get(Mediator, a.id), offer=offer_a,
                             no_conflict_of_interest=True, now=utcnow())  # fmt: skip
    db.commit()
    fresh(db)
    statuses = {o.mediator_id: o.status for o in db.scalars(select(Offer))}
    assert statuses == {a.id: "accepted", b.id: "withdrawn"}
    assert "offer_withdrawn" in kinds(db, b.email)
    page = text(client.get(f"/requests/queue/{item.id}"))
    assert "zurückgezogen" in page and "angenommen" in page and "Person 0</strong>" in page
    # A page opened before: the offer is refused with a plain message.
    response = client.post(
        f"/requests/queue/{item.id}/offer", data=offer_data(client, item.id, [b.id])
    )
    assert response.status_code == 409
    assert "inzwischen vergeben oder nicht mehr offen" in text(response)


def test_withdraw_an_offer(app, db, client, world):
    item = create(app, db)[0]
    with app.test_request_context():
        [offer] = booking.make_offers(db, actor=user(db, COORDINATOR), request=item,
                                      mediators=[world[1]], now=utcnow())  # fmt: skip
    db.commit()
    signed_in(client)
    token = csrf_token(client, f"/requests/queue/{item.id}")
    response = client.post(
        f"/requests/queue/offers/{offer.id}/withdraw", data={"csrf_token": token}
    )
    assert response.status_code == 302
    fresh(db)
    assert db.get(Offer, offer.id).status == "withdrawn"
    assert db.get(InterpretingRequest, item.id).status == "open"
    assert "offer_withdrawn" in kinds(db, world[1].email)
    # Twice: a clear message, no 500.
    response = client.post(
        f"/requests/queue/offers/{offer.id}/withdraw", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "Dieses Angebot gilt nicht mehr." in text(response)


def test_assign_directly_with_a_reason(app, db, client, world):
    item = create(app, db)[0]
    target = world[2]
    signed_in(client)
    token = csrf_token(client, f"/requests/queue/{item.id}")
    missing = client.post(
        f"/requests/queue/{item.id}/assign",
        data={
            "assign-csrf_token": token,
            "assign-mediator_id": str(target.id),
            "assign-reason": "",
        },
    )
    assert missing.status_code == 400
    assert "Bitte geben Sie einen Grund an." in text(missing)
    option = re.search(rf'<option[^>]*value="{target.id}"[^>]*>', text(missing)).group(0)
    assert "selected" in option  # the choice is kept
    response = client.post(
        f"/requests/queue/{item.id}/assign",
        data={"assign-csrf_token": token, "assign-mediator_id": str(target.id),
              "assign-reason": "telefonisch vereinbart"},
    )  # fmt: skip
    assert response.status_code == 302
    fresh(db)
    assignment = db.scalars(select(Assignment).where(Assignment.request_id == item.id)).one()
    assert (assignment.mediator_id, assignment.assign_reason) == (
        target.id,
        "telefonisch vereinbart",
    )
    assert db.get(InterpretingRequest, item.id).status == "assigned"
    assert "assignment_confirmed" in kinds(db, target.email)
    page = text(client.get(f"/requests/queue/{item.id}"))
    assert "Direkt eingeteilt: telefonisch vereinbart" in page


def test_mark_unfillable_with_a_reason(app, db, client, world):
    item = create(app, db)[0]
    signed_in(client)
    token = csrf_token(client, f"/requests/queue/{item.id}")
    empty = client.post(
        f"/requests/queue/{item.id}/unfillable",
        data={"unfillable-csrf_token": token, "unfillable-reason": "   "},
    )
    assert empty.status_code == 400
    response = client.post(
        f"/requests/queue/{item.id}/unfillable",
        data={"unfillable-csrf_token": token, "unfillable-reason": "Alle im Urlaub"},
    )
    assert response.status_code == 302
    fresh(db)
    stored = db.get(InterpretingRequest, item.id)
    assert (stored.status, stored.unfillable_reason) == ("unfilled", "Alle im Urlaub")
    assert "assignment_unfillable" in kinds(db, CASEWORKER)
    assert f'/requests/queue/{item.id}"' not in text(client.get("/requests/queue"))


def test_a_booking_conflict_shows_a_plain_message(app, db, client, world, monkeypatch):
    item = create(app, db)[0]
    signed_in(client)

    def taken(*_args, **_kwargs):
        raise BookingConflict("Diese Anfrage ist schon vergeben oder nicht mehr offen.")

    monkeypatch.setattr(booking, "make_offers", taken)
    response = client.post(
        f"/requests/queue/{item.id}/offer", data=offer_data(client, item.id, [world[0].id])
    )
    assert response.status_code == 409
    assert "Diese Anfrage ist schon vergeben oder nicht mehr offen." in text(response)


# --- automatic mode and the tick ------------------------------------------------------------------


def test_automatic_mode_offers_to_the_top_n_at_creation(app, db, client, world):
    pool = district(db)
    pool.auto_offer_top_n = 2
    db.commit()
    item = create(app, db)[0]
    fresh(db)
    stored = db.get(InterpretingRequest, item.id)
    offers = db.scalars(select(Offer).where(Offer.request_id == item.id)).all()
    assert stored.status == "offered" and len(offers) == 2
    assert all(o.status == "pending" and o.created_by_id is None for o in offers)
    emails = {db.get(Mediator, o.mediator_id).email for o in offers}
    assert all("offer_new" in kinds(db, email) for email in emails)
    # The queue shows by default only what needs a person: this one waits for answers.
    signed_in(client)
    page = text(client.get("/requests/queue"))
    assert f'/requests/queue/{item.id}"' not in page
    assert "1 weitere Anfrage wartet auf Antworten" in page
    assert f'/requests/queue/{item.id}"' in text(client.get("/requests/queue?show=all"))


def test_the_tick_expires_offers_and_the_automatic_mode_asks_the_next(app, db, world):
    pool = district(db)
    pool.auto_offer_top_n = 1
    db.commit()
    item = create(app, db)[0]
    fresh(db)
    [first] = db.scalars(select(Offer).where(Offer.request_id == item.id)).all()
    later = first.expires_at + timedelta(minutes=1)
    counts = run_tick(app, later)
    assert counts["expired_offers"] == 1 and counts["offers_after_expiry"] == 1
    fresh(db)
    offers = db.scalars(select(Offer).where(Offer.request_id == item.id).order_by(Offer.id)).all()
    assert [o.status for o in offers] == ["expired", "pending"]
    assert offers[1].mediator_id != offers[0].mediator_id
    assert db.get(InterpretingRequest, item.id).status == "offered"


def test_the_tick_expires_offers_of_a_manual_pool_and_reopens_the_request(app, db, world):
    item = create(app, db)[0]
    with app.test_request_context():
        booking.make_offers(db, actor=user(db, COORDINATOR), request=item, mediators=[world[0]],
                            now=utcnow(), expires_in_minutes=5)  # fmt: skip
    db.commit()
    assert run_tick(app, utcnow())["expired_offers"] == 0
    counts = run_tick(app, utcnow() + timedelta(minutes=6))
    assert counts["expired_offers"] == 1 and counts["offers_after_expiry"] == 0
    fresh(db)
    assert db.scalars(select(Offer.status)).all() == ["expired"]
    assert db.get(InterpretingRequest, item.id).status == "open"
    assert "offer_none_pending" in kinds(db, COORDINATOR)


# --- permissions and hostile input ----------------------------------------------------------------


def test_a_request_of_another_pool_is_forbidden(app, db, client, world):
    item = create(app, db, office=town(db).offices[0], actor=ADMIN)[0]
    signed_in(client)
    assert client.get(f"/requests/queue/{item.id}").status_code == 403
    assert f'/requests/queue/{item.id}"' not in text(client.get("/requests/queue"))
    token = csrf_token(client, "/requests/queue")
    response = client.post(
        f"/requests/queue/{item.id}/unfillable",
        data={"unfillable-csrf_token": token, "unfillable-reason": "x"},
    )
    assert response.status_code == 403
    fresh(db)
    assert db.get(InterpretingRequest, item.id).status == "open"
    # The admin sees every pool.
    admin = app.test_client()
    signed_in(admin, ADMIN)
    assert admin.get(f"/requests/queue/{item.id}").status_code == 200
    assert f'/requests/queue/{item.id}"' in text(admin.get("/requests/queue"))


@pytest.mark.parametrize("email", [CASEWORKER, MEDIATOR_USER])
def test_caseworkers_and_mediators_may_not_use_the_queue(app, db, client, world, email):
    item = create(app, db)[0]
    with app.test_request_context():
        [offer] = booking.make_offers(db, actor=user(db, COORDINATOR), request=item,
                                      mediators=[world[0]], now=utcnow())  # fmt: skip
    db.commit()
    signed_in(client, email)
    assert client.get("/requests/queue").status_code == 403
    assert client.get(f"/requests/queue/{item.id}").status_code == 403
    token = csrf_token(client, "/")
    for url in (f"/requests/queue/{item.id}/offer", f"/requests/queue/{item.id}/assign",
                f"/requests/queue/{item.id}/unfillable", f"/requests/queue/offers/{offer.id}/withdraw"):  # fmt: skip
        assert client.post(url, data={"csrf_token": token}).status_code == 403


def test_hostile_input_never_gives_a_500(app, db, client, world):
    item = create(app, db)[0]
    signed_in(client)
    for query in ("?status=nonsense", "?office=abc", "?office=99999999999999999999",
                  "?language=%00", "?page=999999999999", "?page=-1", "?show=%00x",
                  "?status=open&status=offered"):  # fmt: skip
        assert client.get("/requests/queue" + query).status_code in (200, 400), query
    assert client.get("/requests/queue/99999999999").status_code == 404
    assert client.get("/requests/queue/0").status_code == 404
    assert client.post("/requests/queue/offers/99999999999/withdraw").status_code in (400, 404)
    url = f"/requests/queue/{item.id}"
    bad_offers = [
        offer_data(client, item.id, ["abc"]),
        offer_data(client, item.id, ["99999999999999999999"]),
        offer_data(client, item.id, []),
        offer_data(client, item.id, [world[0].id], "-5"),
        offer_data(client, item.id, [world[0].id], "1e9"),
        offer_data(client, item.id, [world[0].id], "999999"),
        offer_data(client, item.id, [world[0].id], "\x00"),
    ]
    for data in bad_offers:
        response = client.post(url + "/offer", data=data)
        assert response.status_code == 400, (data, response.status_code)
    token = csrf_token(client, url)
    for reason in ("\x00", "a" * 5000, "ok\x07"):
        response = client.post(url + "/assign", data={"assign-csrf_token": token,
                               "assign-mediator_id": str(world[0].id), "assign-reason": reason})  # fmt: skip
        assert response.status_code == 400
        response = client.post(url + "/unfillable", data={"unfillable-csrf_token": token,
                               "unfillable-reason": reason})  # fmt: skip
        assert response.status_code == 400
    for mediator_id in ("x", "", "-1", "2147483648", "99999999999999999999"):
        response = client.post(url + "/assign", data={"assign-csrf_token": token,
                               "assign-mediator_id": mediator_id, "assign-reason": "ok"})  # fmt: skip
        assert response.status_code == 400, mediator_id
    fresh(db)
    assert db.get(InterpretingRequest, item.id).status == "open"
    assert db.scalars(select(Offer)).all() == []


# --- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_queue_and_review_in_chromium(app, db, demo, world, page: Page, live_url):
    with app.test_request_context():  # an applicant who speaks Arabic: excluded, with reasons
        registry.create_mediator(
            db, actor=user(db, COORDINATOR), pool=district(db), now=utcnow(), invite=False,
            values={"name": "Neu Beworben", "email": "neu@demo.example", "kind": "volunteer",
                    "german_level": "C1", "languages": [LanguageSkill("ar", "native")],
                    "modes": ["in_person"], "municipalities": ["Neustadt"]},
        )  # fmt: skip
    db.commit()
    item = create(app, db)[0]
    create(app, db, starts_at=tuesday(3), urgent=True, urgent_reason="Frist")
    page.set_viewport_size(PHONE)
    sign_in(page, live_url, demo.coordinator, demo.password)
    page.goto(live_url + "/requests/queue")
    expect(page.get_by_role("heading", name="Offene Anfragen", level=1)).to_be_visible()
    assert_accessible(page, "the queue")
    assert_no_horizontal_scroll(page, "the queue")

    page.goto(live_url + f"/requests/queue/{item.id}")
    page.get_by_text("1 Person mit dieser Sprache passt nicht").click()
    expect(page.get_by_text("Neu Beworben")).to_be_visible()
    assert_accessible(page, "the review page")
    assert_no_horizontal_scroll(page, "the review page")
    page.get_by_label("Person 0", exact=True).check()
    page.get_by_label("Person 1", exact=True).check()
    page.get_by_role("button", name="Ausgewählten Personen anbieten").click()
    expect(page.get_by_text("Das Angebot ist an 2 Personen gegangen.")).to_be_visible()
    assert_accessible(page, "the review page with offers")
    assert_no_horizontal_scroll(page, "the review page with offers")
    page.get_by_role("button", name="Angebot an Person 1 zurückziehen").click()
    expect(page.get_by_text("Das Angebot an Person 1 ist zurückgezogen.")).to_be_visible()
    fresh(db)
    statuses = sorted(db.scalars(select(Offer.status).where(Offer.request_id == item.id)))
    assert statuses == ["pending", "withdrawn"]


def test_review_shows_where_office_and_mediator_reported_differently(app, db, client, world):
    item = create(app, db)[0]
    mediator = world[0]
    with app.test_request_context():
        assignment = booking.assign_directly(db, actor=user(db, COORDINATOR), request=item,
                                             mediator=mediator, reason="telefonisch", now=utcnow())  # fmt: skip
        db.flush()
        # The appointment is over (moved into the past for the test).
        past = utcnow() - timedelta(days=1)
        for row in (assignment, item):
            row.starts_at, row.ends_at = past, past + timedelta(hours=1)
        db.flush()
        booking.report_outcome(db, actor=mediator.user, assignment=assignment, side="mediator",
                               outcome="client_no_show", duration_minutes=15, now=utcnow())  # fmt: skip
        booking.report_outcome(db, actor=user(db, CASEWORKER), assignment=assignment,
                               side="office", outcome="took_place", duration_minutes=60,
                               now=utcnow())  # fmt: skip
    db.commit()
    signed_in(client)
    page = text(client.get(f"/requests/queue/{item.id}"))
    assert "Die Meldungen weichen voneinander ab" in page
    assert "Klient:in nicht erschienen" in page and "hat stattgefunden" in page
    assert "die Dauer (mehr als 15 Minuten Unterschied)" in page
