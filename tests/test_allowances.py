"""Allowances: the rules of the booking pool in force on the day, statements that show
where every amount comes from, payouts paid once, the tax-free limit by date of payment, the
finance office's CSV, the PDF, and who may see them."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from pool.db import utcnow
from pool.models import (
    AllowanceRule,
    Assignment,
    AuditEvent,
    InterpretingRequest,
    Mediator,
    Office,
    Payout,
    PayoutItem,
)
from pool.services import ServiceError
from pool.services import allowances as service
from pool.services.users import create_user
from tests.conftest import csrf_token, login
from tests.factories import district, town, user
from tests.helpers import fresh

MARCH = date(2026, 3, 1)
COORDINATOR = "koordination@demo.example"


# --- building data --------------------------------------------------------------------------------


def office(db, name: str = "Jugendamt") -> Office:
    return db.scalars(select(Office).where(Office.name == name)).one()


def mediator(db, *, pool=None, kind: str = "volunteer", name: str = "Amal Haddad") -> Mediator:
    pool = pool or district(db)
    person = Mediator(
        pool_id=pool.id,
        kind=kind,
        status="active",
        name=name,
        email=f"{name.split()[0].lower()}.{kind}.{pool.id}@example.org",
    )
    db.add(person)
    db.commit()
    return person


def rule(db, pool=None, valid_from: date = date(2026, 1, 1), **amounts) -> AllowanceRule:
    item = AllowanceRule(pool_id=(pool or district(db)).id, valid_from=valid_from, **amounts)
    db.add(item)
    db.commit()
    return item


def assignment(
    db,
    person: Mediator,
    starts_at: datetime,
    *,
    at_office: Office | None = None,
    planned: int = 60,
    outcome: str | None = "took_place",
    mediator_minutes: int | None = None,
    office_minutes: int | None = None,
    km: int | None = None,
    in_person: bool = True,
    cancelled_by: str | None = None,
    short_notice: bool = False,
) -> Assignment:
    """A request with its assignment as plain rows: completed with ``outcome``, or cancelled by
    ``cancelled_by``."""
    where = at_office or office(db)
    request = InterpretingRequest(
        pool_id=where.pool_id, office_id=where.id, language_code="ar", starts_at=starts_at,
        duration_minutes=planned, ends_at=starts_at + timedelta(minutes=planned),
        mode="in_person" if in_person else "phone", domain_code="social_services",
        setting="counselling", status="cancelled" if cancelled_by else "completed",
    )  # fmt: skip
    db.add(request)
    db.flush()
    item = Assignment(
        request_id=request.id, mediator_id=person.id, starts_at=starts_at,
        ends_at=request.ends_at, in_person=in_person,
        status="cancelled" if cancelled_by else "completed",
        office_outcome=None if cancelled_by else outcome,
        office_duration_minutes=office_minutes, mediator_duration_minutes=mediator_minutes,
        mediator_outcome=None if cancelled_by else outcome, travel_km=km,
        cancelled_by=cancelled_by, short_notice=short_notice,
    )  # fmt: skip
    db.add(item)
    db.commit()
    return item


def march(day: int, hour: int = 9) -> datetime:
    """A time in March 2026 (Berlin is UTC+1 then)."""
    return datetime(2026, 3, day, hour - 1, tzinfo=UTC)


def amounts(db, pool=None, period: date = MARCH, person: Mediator | None = None) -> list[int]:
    lines = service.statement_lines(db, pool or district(db), period, person.id if person else None)
    return [line.amount_cents for line in lines]


# --- each rule type -------------------------------------------------------------------------------


def test_per_assignment(app, db, demo):
    rule(db, per_assignment_cents=1000)
    person = mediator(db)
    assignment(db, person, march(2))
    assert amounts(db) == [1000]


@pytest.mark.parametrize(
    ("unit", "minutes", "expected"),
    [("hour", 60, 800), ("hour", 61, 1600), ("hour", 150, 2400),
     ("half_hour", 30, 400), ("half_hour", 31, 800), ("half_hour", 95, 1600)],
)  # fmt: skip
def test_per_started_hour_and_half_hour(app, db, demo, unit, minutes, expected):
    rule(db, per_unit_cents=800 if unit == "hour" else 400, unit=unit)
    person = mediator(db)
    assignment(db, person, march(2), mediator_minutes=minutes)
    assert amounts(db) == [expected]


def test_duration_is_the_mediators_report_else_the_offices_else_the_planned(app, db, demo):
    rule(db, per_unit_cents=100, unit="half_hour")
    person = mediator(db)
    assignment(db, person, march(2), planned=60, mediator_minutes=90, office_minutes=30)
    assignment(db, person, march(3), planned=60, office_minutes=120)
    assignment(db, person, march(4), planned=60)
    assert amounts(db) == [300, 400, 200]


def test_per_km_and_flat_travel(app, db, demo):
    rule(db, per_km_cents=30, flat_travel_cents=500)
    person = mediator(db)
    assignment(db, person, march(2), km=17)
    assignment(db, person, march(3), in_person=False)  # by phone: no travel
    assert amounts(db) == [17 * 30 + 500, 0]


def test_short_notice_cancellation_by_office_or_coordination_pays(app, db, demo):
    rule(db, per_assignment_cents=1000, short_notice_cancellation_cents=700)
    person = mediator(db)
    assignment(db, person, march(2), cancelled_by="office", short_notice=True)
    assignment(db, person, march(3), cancelled_by="coordination", short_notice=True)
    assignment(db, person, march(4), cancelled_by="mediator", short_notice=True)
    assignment(db, person, march(5), cancelled_by="office", short_notice=False)
    lines = service.statement_lines(db, district(db), MARCH)
    assert [(line.kind, line.amount_cents) for line in lines] == [("short_notice", 700)] * 2


def test_client_no_show(app, db, demo):
    rule(db, per_assignment_cents=1000, client_no_show_cents=500)
    person = mediator(db)
    assignment(db, person, march(2), outcome="client_no_show", km=20)
    assignment(db, person, march(3), outcome="mediator_no_show")
    assignment(db, person, march(4), outcome="cancelled_on_site")
    assert amounts(db) == [500]


def test_staff_members_get_nothing(app, db, demo):
    rule(db, per_assignment_cents=1000)
    staff = mediator(db, kind="staff", name="Sami Staff")
    assignment(db, staff, march(2))
    assert amounts(db) == []
    with app.test_request_context(), pytest.raises(ServiceError):
        service.create_payout(db, actor=user(db, COORDINATOR), pool=district(db), mediator=staff,
                              period=MARCH, now=utcnow())  # fmt: skip


def test_a_rate_change_in_mid_month(app, db, demo):
    rule(db, valid_from=date(2026, 1, 1), per_assignment_cents=1000)
    rule(db, valid_from=date(2026, 3, 15), per_assignment_cents=1500)
    person = mediator(db)
    assignment(db, person, march(14, hour=23))  # 23:00 in Berlin: still the 14th
    assignment(db, person, march(15, hour=8))
    lines = service.statement_lines(db, district(db), MARCH)
    assert [(line.day, line.amount_cents) for line in lines] == [
        (date(2026, 3, 14), 1000),
        (date(2026, 3, 15), 1500),
    ]
    assert [line.rule.valid_from for line in lines] == [date(2026, 1, 1), date(2026, 3, 15)]


def test_the_month_is_the_month_in_berlin(app, db, demo):
    rule(db, per_assignment_cents=1000)
    person = mediator(db)
    # 31 March 23:30 UTC is 1 April in Berlin (summer time).
    assignment(db, person, datetime(2026, 3, 31, 21, 30, tzinfo=UTC))
    assignment(db, person, datetime(2026, 3, 31, 22, 30, tzinfo=UTC))
    assert len(amounts(db)) == 1
    assert len(amounts(db, period=date(2026, 4, 1))) == 1


def test_the_booking_pools_rules_apply(app, db, demo):
    """A mediator of the town pool interprets for the district: the district's rates."""
    rule(db, district(db), per_assignment_cents=1000)
    rule(db, town(db), per_assignment_cents=2500)
    partner = mediator(db, pool=town(db), name="Tarek Town")
    assignment(db, partner, march(2), at_office=office(db, "Jugendamt"))
    assignment(db, partner, march(3), at_office=office(db, "Bürgerbüro Neustadt"))
    assert amounts(db, district(db)) == [1000]
    assert amounts(db, town(db)) == [2500]


def test_no_rule_in_force_pays_nothing_and_says_so(app, db, demo):
    rule(db, valid_from=date(2026, 4, 1), per_assignment_cents=1000)
    person = mediator(db)
    assignment(db, person, march(2))
    (line,) = service.statement_lines(db, district(db), MARCH)
    assert line.rule is None and line.amount_cents == 0


# --- payouts and the tax-free limit ---------------------------------------------------------------


def test_a_payout_pays_each_assignment_once(app, db, demo):
    rule(db, per_assignment_cents=1000)
    person = mediator(db)
    first = assignment(db, person, march(2))
    coordinator = user(db, COORDINATOR)
    with app.test_request_context():
        payout = service.create_payout(db, actor=coordinator, pool=district(db), mediator=person,
                                       period=MARCH, now=utcnow())  # fmt: skip
        db.commit()
        assert payout.amount_cents == 1000
        assert [i.assignment_id for i in payout.items] == [first.id]
        with pytest.raises(ServiceError):
            service.create_payout(db, actor=coordinator, pool=district(db), mediator=person,
                                  period=MARCH, now=utcnow())  # fmt: skip
        db.rollback()
        # A later assignment of the same month goes into a second payout, alone.
        later = assignment(db, person, march(20))
        second = service.create_payout(db, actor=coordinator, pool=district(db), mediator=person,
                                       period=MARCH, now=utcnow())  # fmt: skip
        db.commit()
        assert [i.assignment_id for i in second.items] == [later.id]
    # The database refuses an assignment in two payouts whatever the code does.
    db.add(PayoutItem(payout_id=second.id, assignment_id=first.id, amount_cents=1000))
    with pytest.raises(IntegrityError):
        db.commit()
    db.rollback()


def _paid(db, person, amount: int, period: date, paid_on: date | None) -> Payout:
    payout = Payout(pool_id=person.pool_id, mediator_id=person.id, payee_reference="x",
                    period=period, amount_cents=amount, paid_on=paid_on)  # fmt: skip
    db.add(payout)
    db.commit()
    return payout


def test_the_tax_free_limit_counts_by_date_of_payment(app, db, demo):
    person = mediator(db)
    _paid(db, person, 60000, date(2025, 11, 1), date(2025, 11, 30))
    # December's allowance paid in January counts for the new year.
    _paid(db, person, 20000, date(2025, 12, 1), date(2026, 1, 10))
    status_2025 = service.tax_status(db, person, 2025)
    status_2026 = service.tax_status(db, person, 2026)
    assert (status_2025.paid_cents, status_2025.level) == (60000, "ok")
    assert (status_2026.paid_cents, status_2026.level) == (20000, "ok")

    _paid(db, person, 56000, date(2026, 6, 1), date(2026, 7, 1))  # 760 € = 90.5 %
    assert service.tax_status(db, person, 2026).level == "approaching"
    _paid(db, person, 10000, date(2026, 7, 1), None)  # created, not paid yet
    status = service.tax_status(db, person, 2026)
    assert (status.level, status.level_with_unpaid) == ("approaching", "exceeded")
    _paid(db, person, 10000, date(2026, 8, 1), date(2026, 9, 1))
    assert service.tax_status(db, person, 2026).level == "exceeded"


# --- pages, CSV, PDF ------------------------------------------------------------------------------


@pytest.fixture
def march_world(app, db, demo):
    rule(db, per_assignment_cents=1000, per_km_cents=30)
    person = mediator(db)
    assignment(db, person, march(2), km=10)
    assignment(db, person, march(3), at_office=office(db, "Gesundheitsamt"))
    return person


def _statement_url(person, suffix: str = "") -> str:
    pool_id = person.pool_id
    return f"/allowances/mediators/{person.id}{suffix}?pool={pool_id}&month=2026-03"


def test_statement_page_shows_each_line(march_world, login_as):
    client = login_as("coordinator")
    page = client.get(_statement_url(march_world)).get_data(as_text=True)
    assert "Abrechnung März 2026" in page
    assert f"SM-{march_world.id}" in page
    assert "buchenden Pools Landkreis" in page
    for text in ("Mo, 2. März 2026", "Jugendamt", "Gesundheitsamt", "Arabisch", "13,00\xa0€",
                 "10,00\xa0€", "23,00\xa0€"):  # fmt: skip
        assert text in page, text


def test_payout_and_marking_it_paid_through_the_pages(march_world, login_as, db):
    client = login_as("coordinator")
    url = _statement_url(march_world)
    token = csrf_token(client, url)
    response = client.post(_statement_url(march_world, "/payouts"), data={"csrf_token": token})
    assert response.status_code == 302
    fresh(db)
    payout = db.scalars(select(Payout)).one()
    assert payout.amount_cents == 2300 and payout.payee_reference == f"SM-{march_world.id}"
    again = client.post(_statement_url(march_world, "/payouts"), data={"csrf_token": token})
    assert again.status_code == 400
    assert "nichts mehr auszuzahlen" in again.get_data(as_text=True)

    bad = client.post(f"/allowances/payouts/{payout.id}/paid",
                      data={"csrf_token": token, "paid_on": "gestern"})  # fmt: skip
    assert bad.status_code == 400 and "gültiges Datum" in bad.get_data(as_text=True)
    ok = client.post(f"/allowances/payouts/{payout.id}/paid",
                     data={"csrf_token": token, "paid_on": "2026-04-05"})  # fmt: skip
    assert ok.status_code == 302
    fresh(db)
    assert db.get(Payout, payout.id).paid_on == date(2026, 4, 5)
    actions = set(db.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "payout")))
    assert actions == {"payout.created", "payout.paid"}
    page = client.get(url).get_data(as_text=True)
    assert "bezahlt am So, 5. April 2026" in page


def test_tax_warning_on_the_statement(march_world, login_as, db):
    _paid(db, march_world, 80000, date(2026, 1, 1), service.local_day(utcnow()))
    page = login_as("coordinator").get(_statement_url(march_world)).get_data(as_text=True)
    assert "bald erreicht" in page


def test_statement_csv_and_pdf(march_world, login_as):
    client = login_as("coordinator")
    response = client.get(_statement_url(march_world, "/statement.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))  # fmt: skip
    assert rows[0][:2] == ["Datum", "Anfrage-Nr."]
    assert rows[1][0] == "02.03.2026" and rows[1][3] == "Jugendamt" and rows[1][-1] == "13,00"
    assert rows[-1][-1] == "23,00"

    pdf = client.get(_statement_url(march_world, "/statement.pdf"))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    # Narrow table cells wrap words: compare without line breaks.
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.data)).pages)
    text = text.replace("\n", "")
    for expected in ("Abrechnung Aufwandsentschädigung März 2026", "Amal Haddad",
                     f"SM-{march_world.id}", "Landkreis", "Gesundheitsamt", "23,00"):  # fmt: skip
        assert expected in text, expected


def test_payout_list_for_the_finance_office(march_world, login_as, db):
    rule_town = town(db)
    other = mediator(db, pool=rule_town, name="Tarek Town")
    assignment(db, other, march(4))
    client = login_as("coordinator")
    response = client.get(f"/allowances/payouts.csv?pool={march_world.pool_id}&month=2026-03")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))  # fmt: skip
    assert rows[0][0] == "Zahlungsempfänger-Referenz"
    assert sorted(rows[1:]) == sorted([
        [f"SM-{march_world.id}", "Amal Haddad", "13,00", "2026-03", "JA-5100", "Landkreis"],
        [f"SM-{march_world.id}", "Amal Haddad", "10,00", "2026-03", "GA-5300", "Landkreis"],
        [f"SM-{other.id}", "Tarek Town", "10,00", "2026-03", "JA-5100", "Landkreis"],
    ])  # fmt: skip


def test_overview_lists_the_months_volunteers(march_world, login_as):
    client = login_as("coordinator")
    page = client.get(f"/allowances/?pool={march_world.pool_id}&month=2026-03")
    assert "Amal Haddad" in page.get_data(as_text=True)
    assert "23,00\xa0€" in page.get_data(as_text=True)
    bad = client.get("/allowances/?month=März")
    assert bad.status_code == 400 and "z. B. 2027-03" in bad.get_data(as_text=True)


def test_rules_page_adds_a_rule_with_german_errors(app, db, demo, login_as):
    client = login_as("coordinator")
    url = f"/allowances/rules?pool={district(db).id}"
    token = csrf_token(client, url)
    bad = client.post(url, data={"csrf_token": token, "valid_from": "", "per_km_cents": "-1"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400
    assert "ab wann die Regel gilt" in text and "nicht negativ" in text
    ok = client.post(url, data={"csrf_token": token, "valid_from": "2026-03-15",
                                "per_assignment_cents": "10", "per_unit_cents": "7,50",
                                "unit": "half_hour", "per_km_cents": "0,30"})  # fmt: skip
    assert ok.status_code == 302
    fresh(db)
    saved = db.scalars(select(AllowanceRule)).one()
    assert (saved.per_assignment_cents, saved.per_unit_cents, saved.unit, saved.per_km_cents) == (
        1000, 750, "half_hour", 30)  # fmt: skip
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "allowance_rule.created")).one()
    twice = client.post(url, data={"csrf_token": token, "valid_from": "15.03.2026"})
    assert twice.status_code == 400 and "schon eine Regel" in twice.get_data(as_text=True)
    limit = client.post(f"/allowances/limit?pool={district(db).id}",
                        data={"csrf_token": token, "limit": "960"})  # fmt: skip
    assert limit.status_code == 302
    fresh(db)
    assert district(db).tax_free_limit_cents == 96000


def test_blank_amount_and_date_are_missing_input_not_an_error(app, db, demo, login_as):
    """Only spaces in a required amount or date: the form says what is missing (found by the
    fuzzer: the blank limit reached the service as ``None`` and answered 500)."""
    client = login_as("coordinator")
    pool_id = district(db).id
    token = csrf_token(client, f"/allowances/rules?pool={pool_id}")
    limit = client.post(
        f"/allowances/limit?pool={pool_id}", data={"csrf_token": token, "limit": "  "}
    )
    assert limit.status_code == 400
    assert "Bitte geben Sie einen Betrag ein." in limit.get_data(as_text=True)
    rule = client.post(f"/allowances/rules?pool={pool_id}",
                       data={"csrf_token": token, "valid_from": " \t"})  # fmt: skip
    assert rule.status_code == 400
    assert "ab wann die Regel gilt" in rule.get_data(as_text=True)
    fresh(db)
    assert district(db).tax_free_limit_cents != 0 and not db.scalars(select(AllowanceRule)).all()


# --- permissions ----------------------------------------------------------------------------------


def test_other_pools_coordinator_is_refused(march_world, app, db, client):
    with app.test_request_context():
        create_user(db, actor=None, email="stadt@demo.example", name="Stadt Koordination",
                    grants=[("coordinator", town(db).id, None)], password="demo-pool-2026",
                    invite=False, now=utcnow())  # fmt: skip
    db.commit()
    login(client, "stadt@demo.example")
    pool_id = march_world.pool_id
    for url in (
        f"/allowances/?pool={pool_id}",
        f"/allowances/rules?pool={pool_id}",
        f"/allowances/payouts.csv?pool={pool_id}&month=2026-03",
        _statement_url(march_world),
        _statement_url(march_world, "/statement.pdf"),
    ):
        assert client.get(url).status_code == 403, url
    # Their own pool works, and shows nothing of the district.
    own = client.get(f"/allowances/?pool={town(db).id}&month=2026-03")
    assert own.status_code == 200 and "Amal Haddad" not in own.get_data(as_text=True)


@pytest.mark.parametrize("role", ["caseworker", "mediator"])
def test_caseworker_and_mediator_are_refused(march_world, login_as, role):
    client = login_as(role)
    assert client.get("/allowances/").status_code == 403
    assert client.get(_statement_url(march_world)).status_code == 403
    token = csrf_token(client, "/")
    posted = client.post(_statement_url(march_world, "/payouts"), data={"csrf_token": token})
    assert posted.status_code == 403


@pytest.mark.parametrize("value", ["abc\x00def", "x" * 5000, "-1", "99999999999", "2026-13", "🙂"])
def test_hostile_pool_and_month_never_answer_500(march_world, login_as, value):
    client = login_as("coordinator")
    for path in ("/allowances/", "/allowances/payouts.csv", "/allowances/rules",
                 f"/allowances/mediators/{march_world.id}/statement.pdf"):  # fmt: skip
        for args in ({"pool": value}, {"month": value}):
            response = client.get(path, query_string=args)
            assert response.status_code in (200, 400, 404), (path, args)


def test_signed_out_goes_to_login(march_world, client):
    response = client.get(_statement_url(march_world))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- in a real browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_statement_and_rules_pages_are_accessible(march_world, db, demo, page, live_url):
    from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

    _paid(db, march_world, 80000, date(2026, 1, 1), None)
    sign_in(page, live_url, demo.coordinator, demo.password)
    for url, what in (
        (_statement_url(march_world), "the statement"),
        (f"/allowances/?pool={march_world.pool_id}&month=2026-03", "the overview"),
        (f"/allowances/rules?pool={march_world.pool_id}", "the rules"),
    ):
        page.goto(live_url + url)
        assert_accessible(page, what)
        page.set_viewport_size(PHONE)
        assert_no_horizontal_scroll(page, what)
        page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_url + _statement_url(march_world))
    page.get_by_role("button", name="Auszahlung anlegen").click()
    page.wait_for_load_state()
    assert "wurde angelegt" in page.content()
    assert_accessible(page, "the statement with a payout")
