"""Indicators: figures checked against hand-counted fixtures, the page, the API and who
may see them.

The world: a pool "Prüfkreis" of its own (so the demo data does not count) with two offices,
three mediators, eight requests starting in March 2024 (local time), two in the previous period of
the same length (30 January to 29 February 2024), one starting in April and one of another pool.
Every count below is counted by hand from the table in ``world``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from pool.i18n import BERLIN
from pool.models import Mediator, Office, Pool, User, UserRole
from pool.models.mediators import MediatorLanguage
from pool.models.requests import Assignment, InterpretingRequest
from pool.services import indicators
from tests.conftest import DemoAccounts, login
from tests.factories import district, user
from tests.helpers import text

API = "/api/v1/reports/indicators"
COORDINATOR = "pruefkreis@demo.example"
MARCH = {"from": "2024-03-01", "to": "2024-03-31"}
# After the period: an open request of March has ended without a mediator.
NOW = datetime(2024, 4, 10, 12, 0, tzinfo=UTC)


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A local (Europe/Berlin) time, in UTC."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN).astimezone(UTC)


@dataclass
class World:
    pool: Pool
    north: Office
    south: Office
    requests: dict[str, InterpretingRequest]


@pytest.fixture
def world(db, demo) -> World:
    pool = Pool(name="Prüfkreis", federal_state="NI")
    north, south = Office(name="Amt Nord"), Office(name="Schule Süd")
    pool.offices = [north, south]
    # Signs in with the demo password (its hash is copied from a demo account).
    password_hash = user(db, DemoAccounts.coordinator).password_hash
    coordinator = User(email=COORDINATOR, name="Paula Prüf", password_hash=password_hash)
    db.add_all([pool, coordinator])
    db.flush()
    db.add(UserRole(user=coordinator, role="coordinator", pool_id=pool.id))

    def mediator(name: str, kind: str, status: str, deployable: bool, codes: tuple[str, ...]):
        person = Mediator(pool_id=pool.id, name=name, email=f"{name}@pruef.example", kind=kind,
                          status=status, deployable=deployable)  # fmt: skip
        person.languages = [MediatorLanguage(language_code=c, level="native") for c in codes]
        db.add(person)
        return person

    # Active: V and S (2), deployable: V (1). By language: ar 2 active / 1 deployable (V, S),
    # fa 1 / 0 (S). L has left and does not count.
    volunteer = mediator("v", "volunteer", "active", True, ("ar",))
    staff = mediator("s", "staff", "active", False, ("fa", "ar"))
    mediator("l", "volunteer", "left", False, ("ar", "tr"))
    db.flush()

    def request(office, language, domain, starts, created, status="open", candidates=1, **kw):
        item = InterpretingRequest(
            pool_id=office.pool_id, office_id=office.id, language_code=language,
            starts_at=starts, duration_minutes=60, ends_at=starts + timedelta(minutes=60),
            mode="in_person", domain_code=domain, setting="other", status=status,
            candidates_at_intake=candidates, created_at=created, **kw,
        )  # fmt: skip
        db.add(item)
        db.flush()
        return item

    def assign(item, person, created, status="confirmed", **kw):
        db.add(Assignment(request_id=item.id, mediator_id=person.id, status=status,
                          starts_at=item.starts_at, ends_at=item.ends_at, created_at=created,
                          **kw))  # fmt: skip
        db.flush()

    r = {}
    # R1 ar, north: lead 4 days (5760 min), assigned after 120 min; took place, the mediator
    # reports 60 min (the office 90): 60 volunteer minutes; rating 4.
    r["r1"] = request(north, "ar", "education", local(2024, 3, 5), local(2024, 3, 1),
                      "completed", 2, assigned_at=local(2024, 3, 1, 12))  # fmt: skip
    assign(
        r["r1"],
        volunteer,
        local(2024, 3, 1, 12),
        "completed",
        office_outcome="took_place",
        office_duration_minutes=90,
        mediator_duration_minutes=60,
        feedback_rating=4,
    )
    # R2 ar, north: starts 31 March 23:30 local and ends in April: counts in March. Lead 11 days
    # (15840), assigned after 240 min; took place, office reports 60: 60 staff minutes; rating 2.
    r["r2"] = request(north, "ar", "education", local(2024, 3, 31, 23, 30),
                      local(2024, 3, 20, 23, 30), "completed",
                      assigned_at=local(2024, 3, 21, 3, 30))  # fmt: skip
    assign(
        r["r2"],
        staff,
        local(2024, 3, 21, 3, 30),
        "completed",
        office_outcome="took_place",
        office_duration_minutes=60,
        feedback_rating=2,
    )
    # R3 fa, south, health: starts 1 March 00:30 local = 29 February 23:30 UTC: March, not the
    # previous period. Lead 5 days (7200); no candidate at intake; marked unfillable.
    r["r3"] = request(south, "fa", "health", local(2024, 3, 1, 0, 30), local(2024, 2, 25, 0, 30),
                      "unfilled", 0)  # fmt: skip
    # R4 fa, south, health: lead 2 days (2880); no candidate; assigned, then the office cancels
    # at short notice (the assignment is cancelled with it).
    r["r4"] = request(south, "fa", "health", local(2024, 3, 12, 9), local(2024, 3, 10, 9),
                      "cancelled", 0, cancelled_by="office",
                      short_notice_cancellation=True)  # fmt: skip
    assign(
        r["r4"],
        volunteer,
        local(2024, 3, 10, 10),
        "cancelled",
        cancelled_by="office",
        short_notice=True,
    )
    # R5 ar, north: lead 2 days (2880); V cancels at short notice, S is assigned after 1440 min;
    # the client does not come, S reports 30 min: 30 staff minutes.
    r["r5"] = request(north, "ar", "education", local(2024, 3, 20, 14), local(2024, 3, 18, 14),
                      "completed", assigned_at=local(2024, 3, 19, 14))  # fmt: skip
    assign(
        r["r5"],
        volunteer,
        local(2024, 3, 18, 15),
        "cancelled",
        cancelled_by="mediator",
        short_notice=True,
    )
    assign(
        r["r5"],
        staff,
        local(2024, 3, 19, 14),
        "completed",
        office_outcome="client_no_show",
        mediator_duration_minutes=30,
    )
    # R6 tr, north, social services: lead 1 day (1440); cancelled by the coordination.
    r["r6"] = request(north, "tr", "social_services", local(2024, 3, 25), local(2024, 3, 24),
                      "cancelled", cancelled_by="coordination")  # fmt: skip
    # R7 tr, south: lead 6 days (8640); no candidate; still open when it ended: unfilled.
    r["r7"] = request(south, "tr", "education", local(2024, 3, 26), local(2024, 3, 20),
                      "open", 0)  # fmt: skip
    # R8 ar, south: lead 2 days (2880), assigned after 1440 min; the mediator does not come:
    # neither fulfilled nor time served.
    r["r8"] = request(south, "ar", "education", local(2024, 3, 27), local(2024, 3, 25),
                      "completed", assigned_at=local(2024, 3, 26))  # fmt: skip
    assign(r["r8"], volunteer, local(2024, 3, 26), "completed", office_outcome="mediator_no_show")
    # Previous period (30 January to 29 February): P1 fulfilled (120 volunteer minutes, assigned
    # after 60 min), P2 cancelled by the office.
    r["p1"] = request(north, "ar", "education", local(2024, 2, 10), local(2024, 2, 1),
                      "completed", assigned_at=local(2024, 2, 1, 11))  # fmt: skip
    assign(
        r["p1"],
        volunteer,
        local(2024, 2, 1, 11),
        "completed",
        office_outcome="took_place",
        office_duration_minutes=120,
    )
    r["p2"] = request(north, "ar", "education", local(2024, 2, 20), local(2024, 2, 15),
                      "cancelled", cancelled_by="office")  # fmt: skip
    # Not counted in March: R9 starts 1 April 00:30 local (31 March 22:30 UTC); O1 is of another
    # pool.
    r["r9"] = request(south, "ar", "education", local(2024, 4, 1, 0, 30), local(2024, 3, 20))
    other_office = district(db).offices[0]
    r["o1"] = request(other_office, "ar", "education", local(2024, 3, 15), local(2024, 3, 1),
                      candidates=0)  # fmt: skip
    db.commit()
    return World(pool, north, south, r)


def march(db, world) -> indicators.Indicators:
    return indicators.compute(db, [world.pool.id], date(2024, 3, 1), date(2024, 3, 31), NOW)


# --- the service ----------------------------------------------------------------------------------


def test_headline_figures_match_the_hand_count(db, world):
    figures = march(db, world)
    c = figures.current
    assert (c.counts.requests, c.counts.fulfilled, c.counts.unfilled, c.counts.cancelled) == (
        8, 3, 2, 2,
    )  # fmt: skip
    assert c.counts.cancelled_by_office == 1
    assert c.cancelled_by_coordination == 1
    assert c.cancelled_short_notice == 1
    assert (c.mediator_cancellations, c.mediator_cancellations_short_notice) == (1, 1)
    assert c.counts.fulfilment_rate == round(3 / 7, 4)  # 3 / (8 - 1 cancelled by the office)
    assert c.counts.without_candidates == 3  # R3, R4, R7
    # To assignment: 120, 240, 1440, 1440 -> (240 + 1440) / 2.
    assert c.median_minutes_to_assignment == 840
    # Lead: 1440, 2880, 2880, 2880, 5760, 7200, 8640, 15840 -> (2880 + 5760) / 2.
    assert c.median_lead_time_minutes == 4320
    assert (c.minutes_volunteers, c.minutes_staff) == (60, 90)
    assert (c.client_no_shows, c.mediator_no_shows) == (1, 1)
    assert (c.feedback_average, c.feedback_count) == (3.0, 2)


def test_previous_period_has_the_same_length_and_its_own_figures(db, world):
    figures = march(db, world)
    # March has 31 days: the 31 days before are 30 January to 29 February.
    assert (figures.previous_start, figures.previous_end) == (date(2024, 1, 30), date(2024, 2, 29))
    p = figures.previous
    # P1 and P2 only: R3 (29 February 23:30 UTC, 1 March local) belongs to March.
    assert (p.counts.requests, p.counts.fulfilled, p.counts.cancelled) == (2, 1, 1)
    assert p.counts.fulfilment_rate == 1.0  # 1 / (2 - 1)
    assert p.median_minutes_to_assignment == 60
    assert p.minutes_volunteers == 120


def test_breakdowns_by_language_office_and_domain(db, world):
    figures = march(db, world)
    by_language = {r.key: r.counts for r in figures.by_language}
    assert set(by_language) == {"ar", "fa", "tr"}
    ar, fa, tr = by_language["ar"], by_language["fa"], by_language["tr"]
    assert (ar.requests, ar.fulfilled, ar.unfilled, ar.cancelled, ar.without_candidates) == (
        4, 3, 0, 0, 0,
    )  # fmt: skip
    # Unmet demand: Farsi twice (R3, R4), Turkish once (R7).
    assert (fa.requests, fa.fulfilled, fa.unfilled, fa.cancelled, fa.without_candidates) == (
        2, 0, 1, 1, 2,
    )  # fmt: skip
    assert (tr.requests, tr.unfilled, tr.cancelled, tr.without_candidates) == (2, 1, 1, 1)
    by_office = {int(r.key): r.counts for r in figures.by_office}
    assert (by_office[world.north.id].requests, by_office[world.north.id].fulfilled) == (4, 3)
    assert (by_office[world.south.id].requests, by_office[world.south.id].unfilled) == (4, 2)
    by_domain = {r.key: r.counts.requests for r in figures.by_domain}
    assert by_domain == {"education": 5, "health": 2, "social_services": 1}
    assert [r.key for r in figures.by_month] == ["2024-03"]


def test_months_follow_local_time(db, world):
    figures = indicators.compute(db, [world.pool.id], date(2024, 2, 1), date(2024, 4, 30), NOW)
    # February: P1, P2; March: R1-R8 (R2 on the 31st at 23:30, R3 on the 1st at 00:30 local);
    # April: R9 (1 April 00:30 local, still March in UTC).
    assert [(r.key, r.counts.requests) for r in figures.by_month] == [
        ("2024-02", 2),
        ("2024-03", 8),
        ("2024-04", 1),
    ]


def test_mediators_active_and_deployable_by_language(db, world):
    figures = march(db, world)
    assert (figures.mediators_active, figures.mediators_deployable) == (2, 1)
    rows = {r.code: (r.active, r.deployable) for r in figures.mediators_by_language}
    assert rows == {"ar": (2, 1), "fa": (1, 0)}


def test_all_pools_count_the_other_pool_too(db, world):
    one = march(db, world).current.counts.requests
    everything = indicators.compute(db, None, date(2024, 3, 1), date(2024, 3, 31), NOW)
    assert everything.current.counts.requests == one + 1  # O1 of the other pool


def test_default_period_is_the_last_full_month():
    assert indicators.last_full_month(date(2024, 3, 1)) == (date(2024, 2, 1), date(2024, 2, 29))
    assert indicators.last_full_month(date(2025, 1, 15)) == (date(2024, 12, 1), date(2024, 12, 31))
    assert not indicators.period_too_long(date(2024, 1, 1), date(2026, 12, 31))
    assert indicators.period_too_long(date(2024, 1, 1), date(2027, 1, 1))


# --- the page ----------------------------------------------------------------------------------


def test_coordinator_sees_figures_charts_and_tables(client, world):
    login(client, COORDINATOR)
    response = client.get("/berichte", query_string=_page(MARCH))
    assert response.status_code == 200, text(response)
    page = text(response)
    assert "Kennzahlen" in page and "Berichte" in page  # heading and navigation
    # Headline: requests 8 now, 2 before, +6; fulfilment rate 42,9 % (3 of 7).
    assert '<th scope="row">Anfragen</th>' in page
    assert "+6" in page
    assert "42,9" in page
    assert page.count('role="img"') >= 4
    assert '<title id="unmet-chart-title">' in page
    assert "Ungedeckter Bedarf nach Sprache" in page
    assert "Persisch" in page or "Farsi" in page
    assert "Amt Nord" in page and "Schule Süd" in page


def test_page_rejects_bad_periods_with_german_messages(client, world):
    login(client, COORDINATOR)
    reversed_period = client.get(
        "/berichte", query_string={"start": "2024-03-31", "end": "2024-03-01"}
    )
    assert reversed_period.status_code == 400
    assert "„Bis“ darf nicht vor „Von“ liegen." in text(reversed_period)
    too_long = client.get("/berichte", query_string={"start": "2020-01-01", "end": "2024-03-01"})
    assert too_long.status_code == 400
    assert "höchstens 3 Jahre" in text(too_long)
    garbage = client.get("/berichte", query_string={"start": "gestern", "pool": "x"})
    assert garbage.status_code == 400
    assert "gültiges Datum" in text(garbage)
    assert "Bitte wählen Sie einen Pool aus der Liste." in text(garbage)


def test_page_defaults_to_the_last_full_month(client, world):
    login(client, COORDINATOR)
    response = client.get("/berichte")
    assert response.status_code == 200
    today = datetime.now(BERLIN).date()
    start, _end = indicators.last_full_month(today)
    assert f'value="{start.isoformat()}"' in text(response)


def test_who_may_see_the_page(client, db, world, demo):
    login(client, DemoAccounts.coordinator)  # coordinates "Landkreis", not the Prüfkreis
    assert client.get("/berichte", query_string={"pool": world.pool.id}).status_code == 403
    assert client.get("/berichte").status_code == 200  # their own pool
    for role in ("caseworker", "mediator"):
        other = client.application.test_client()
        login(other, DemoAccounts.by_role[role])
        assert other.get("/berichte").status_code == 403
    anonymous = client.application.test_client().get("/berichte")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    admin = client.application.test_client()
    login(admin, DemoAccounts.admin)
    response = admin.get("/berichte", query_string={**_page(MARCH), "pool": world.pool.id})
    assert response.status_code == 200
    assert "Prüfkreis" in text(response)


def _page(period: dict) -> dict:
    return {"start": period["from"], "end": period["to"]}


# --- the API --------------------------------------------------------------------------------------


def test_api_answers_the_hand_counted_figures(client, world):
    login(client, COORDINATOR)
    response = client.get(API, query_string=MARCH)
    assert response.status_code == 200, text(response)
    data = response.get_json()
    assert (data["requests"], data["fulfilled"], data["unfilled"], data["cancelled"]) == (
        8,
        3,
        2,
        2,
    )
    assert data["fulfilment_rate"] == round(3 / 7, 4)
    assert data["median_minutes_to_assignment"] == 840
    fa = next(item for item in data["by_language"] if item["code"] == "fa")
    assert (fa["requests"], fa["fulfilled"], fa["unfilled"], fa["without_candidates"]) == (
        2,
        0,
        1,
        2,
    )
    assert data["previous"]["requests"] == 2
    assert data["previous"]["from"] == "2024-01-30"
    assert data["mediators"]["by_language"][0] == {"code": "ar", "active": 2, "deployable": 1}


def test_api_conforms_to_its_openapi_description(client, world):
    from tests.test_api import _resolve, conforms

    document = client.get("/api/v1/openapi.json").get_json()
    login(client, COORDINATOR)
    for query, status in ((MARCH, 200), ({"from": "2024-13-01"}, 400)):
        response = client.get(API, query_string=query)
        assert response.status_code == status
        described = document["paths"]["/reports/indicators"]["get"]["responses"][str(status)]
        schema = _resolve(document, described)["content"]["application/json"]["schema"]
        conforms(document, schema, response.get_json())


def test_api_rejects_bad_dates_with_400(client, world):
    login(client, COORDINATOR)
    for query in (
        {"from": "2024-02-30"},
        {"from": "2024-03-31", "to": "2024-03-01"},
        {"from": "2020-01-01", "to": "2024-01-01"},
        {"pool_id": "abc"},
    ):
        response = client.get(API, query_string=query)
        assert response.status_code == 400, query
        assert "error" in response.get_json()


def test_api_permissions(client, db, world, demo):
    login(client, DemoAccounts.coordinator)
    assert client.get(API, query_string={"pool_id": world.pool.id}).status_code == 403
    assert client.get(API, query_string={"pool_id": 999999}).status_code == 404
    own = client.get(API, query_string=MARCH)
    assert own.status_code == 200
    assert own.get_json()["requests"] == 1  # O1 of the Landkreis only
    for role in ("caseworker", "mediator"):
        other = client.application.test_client()
        login(other, DemoAccounts.by_role[role])
        assert other.get(API).status_code == 403
    assert client.application.test_client().get(API).status_code == 401
    admin = client.application.test_client()
    login(admin, DemoAccounts.admin)
    response = admin.get(API, query_string={**MARCH, "pool_id": world.pool.id})
    assert response.get_json()["requests"] == 8


# --- in the browser -------------------------------------------------------------------------------


@pytest.mark.browser
def test_page_is_accessible_and_fits_a_phone(world, page, live_url):
    from playwright.sync_api import expect

    from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

    sign_in(page, live_url, COORDINATOR, DemoAccounts.password)
    page.goto(f"{live_url}/berichte?start=2024-03-01&end=2024-03-31")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kennzahlen")
    expect(page.get_by_role("img", name="Anfragen nach Sprache")).to_be_visible()
    row = page.get_by_role("table", name="Ungedeckter Bedarf nach Sprache").get_by_role("row")
    expect(row.nth(1)).to_contain_text("2")  # Farsi: two requests without a candidate
    assert_accessible(page, "the indicators")
    page.set_viewport_size(PHONE)
    page.screenshot(path="/tmp/h6/E_phone.png", full_page=True)
    assert_no_horizontal_scroll(page, "the indicators on a phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path="/tmp/h6/E_wide.png", full_page=True)
    page.goto(f"{live_url}/berichte?start=2024-03-31&end=2024-03-01")
    expect(page.get_by_role("alert")).to_contain_text("„Bis“ darf nicht vor „Von“ liegen.")
    assert_accessible(page, "the indicators with an error")
