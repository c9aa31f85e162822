"""Every route of the app against a declared table of who may use it.

The test walks ``app.url_map``: a route without an entry in ``MATRIX`` fails. Each route is called
by anonymous users and by every role (admin, the district's coordinator, a caseworker of its youth
office, its mediator Samira): anonymous users are sent to the sign-in page (the API answers 401),
roles not allowed get 403 (404 where the route hides what exists), allowed roles anything but
401/403 and never a 500. Routes about one object are called once more with an object of another
pool (IDOR): the district's coordinator, caseworker and mediator get 403 or 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from pool.auth import sessions
from pool.db import utcnow
from pool.imports.parsing import ParsedFile
from pool.models import (
    ApiToken,
    DebriefRequest,
    Guideline,
    Office,
    OutboxMessage,
    Payout,
    Pool,
    Training,
    User,
    UserSession,
)
from pool.security import hash_secret
from pool.services import booking, imports
from pool.services.accounts import create_api_token
from pool.services.users import create_user
from tests.conftest import CSRF_RE, DemoAccounts, login
from tests.factories import catalogue, deployable_mediator, district
from tests.helpers import fresh
from tests.test_booking import at, make_request

ROLES = ("admin", "coordinator", "caseworker", "mediator")
ANONYMOUS = "anonymous"
PUBLIC = frozenset({ANONYMOUS, *ROLES})
SIGNED_IN = frozenset(ROLES)
A, C, W, M = "admin", "coordinator", "caseworker", "mediator"
STRANGER = "fremd@anderswo.example"
MISSING = 987654  # an id no object has: allowed roles get 404
CSRF_REFUSED = ("Das Formular ist abgelaufen", "CSRF check failed")


@dataclass(frozen=True)
class Access:
    """Who may use a route; ``hidden``: others get 404 instead of 403 (the route does not tell
    what exists)."""

    roles: frozenset[str]
    hidden: bool = False


def allow(*roles: str, hidden: bool = False) -> Access:
    return Access(frozenset(roles), hidden)


OPEN = Access(PUBLIC)
ANY_SIGNED_IN = Access(SIGNED_IN)
ADMIN = allow(A)
COORDINATION = allow(C, A)
OFFICE_AND_COORDINATION = allow(W, C, A)

# Endpoint -> who may use it. A new route needs an entry here.
MATRIX: dict[str, Access] = {
    # --- administration
    "admin.index": ADMIN,
    "admin.pools": ADMIN,
    "admin.pool_new": ADMIN,
    "admin.pool_edit": ADMIN,
    "admin.offices": ADMIN,
    "admin.office_new": ADMIN,
    "admin.office_edit": ADMIN,
    "admin.users": ADMIN,
    "admin.user_new": ADMIN,
    "admin.user_edit": ADMIN,
    "admin.user_invite": ADMIN,
    "admin.user_deactivate": ADMIN,
    "admin.user_reactivate": ADMIN,
    "admin.messages": ADMIN,
    "admin.message_retry": ADMIN,
    "admin.messages_retry_all": ADMIN,
    "admin.trainings": ADMIN,
    "admin.training_new": ADMIN,
    "admin.training_edit": ADMIN,
    "admin.guidelines": ADMIN,
    "admin.guideline_new": ADMIN,
    "admin.guideline_detail": ADMIN,
    "admin.domains": ADMIN,
    # --- allowances
    "allowances.index": COORDINATION,
    "allowances.finance_csv": COORDINATION,
    "allowances.rules": COORDINATION,
    "allowances.limit": COORDINATION,
    "allowances.statement": COORDINATION,
    "allowances.statement_csv": COORDINATION,
    "allowances.statement_pdf": COORDINATION,
    "allowances.create_payout": COORDINATION,
    "allowances.mark_paid": COORDINATION,
    # --- JSON API
    "api.openapi": OPEN,
    "api.list_languages": OPEN,
    "api.me": ANY_SIGNED_IN,
    "api.list_pools": ANY_SIGNED_IN,
    "api.list_offices": ANY_SIGNED_IN,
    "api.list_requests": OFFICE_AND_COORDINATION,
    "api.create_request": OFFICE_AND_COORDINATION,
    "api.get_request": allow(W, C, A, M),
    "api.update_request": OFFICE_AND_COORDINATION,
    "api.cancel_request": OFFICE_AND_COORDINATION,
    "api.get_candidates": COORDINATION,
    "api.make_offers": COORDINATION,
    "api.assign_directly": COORDINATION,
    "api.mark_unfillable": COORDINATION,
    "api.list_offers": allow(M, C, A),
    "api.accept_offer": allow(M),
    "api.decline_offer": allow(M),
    "api.withdraw_offer": COORDINATION,
    "api.cancel_assignment": allow(M, C, A),
    "api.complete_assignment": allow(M, W),
    "api.list_mediators": COORDINATION,
    "api.create_mediator": COORDINATION,
    "api.get_mediator": allow(M, C, A),
    "api.update_mediator": allow(M, C, A),
    "api.record_training": COORDINATION,
    "api.acknowledge_guideline": allow(M),
    "api.set_availability": allow(M, C, A),
    "api.get_deployability": allow(M, C, A),
    "api.hotline_list": allow(W, C),
    "api.set_reachable": allow(M),
    "api.record_call": allow(W),
    "api.report_indicators": COORDINATION,
    # --- applying to join
    "apply.index": OPEN,
    "apply.thanks": OPEN,
    # --- accounts
    "auth.login": OPEN,
    "auth.forgot_password": OPEN,
    "auth.set_password": OPEN,
    "auth.set_language": OPEN,
    "auth.logout": ANY_SIGNED_IN,
    "auth.logout_everywhere": ANY_SIGNED_IN,
    "auth.profile": ANY_SIGNED_IN,
    "auth.change_password": ANY_SIGNED_IN,
    "auth.create_token": ANY_SIGNED_IN,
    "auth.revoke_token": ANY_SIGNED_IN,
    "auth.end_session": ANY_SIGNED_IN,
    # --- calendar feeds
    "feeds.index": allow(M, W),
    "feeds.create": allow(M, W),
    "feeds.disable": allow(M, W),
    "feeds.feed": OPEN,
    # --- hotline
    "hotline.find": allow(W, C),
    "hotline.record_call": allow(W),
    "hotline.reachable": allow(M),
    "hotline.switch_off": allow(M),
    "hotline.phone_consent": allow(M),
    # --- import of mediators
    "imports.index": COORDINATION,
    "imports.job": COORDINATION,
    "imports.mapping": COORDINATION,
    "imports.confirm": COORDINATION,
    "imports.proceed": COORDINATION,
    "imports.discard": COORDINATION,
    # --- start
    "main.index": ANY_SIGNED_IN,
    "main.healthz": OPEN,
    # --- the mediator's own pages
    "me.profile": allow(M),
    "me.guidelines": allow(M),
    "me.acknowledge": allow(M),
    "me.availability": allow(M),
    "me.availability_for": COORDINATION,
    # --- registry
    "mediators.index": COORDINATION,
    "mediators.export": COORDINATION,
    "mediators.new": COORDINATION,
    "mediators.detail": COORDINATION,
    "mediators.edit": COORDINATION,
    "mediators.checks": COORDINATION,
    "mediators.status": COORDINATION,
    "mediators.training": COORDINATION,
    "mediators.release": COORDINATION,
    # --- messages (only one's own)
    "notifications.preferences": ANY_SIGNED_IN,
    "notifications.messages": ANY_SIGNED_IN,
    "notifications.message": ANY_SIGNED_IN,
    "notifications.calendar": ANY_SIGNED_IN,
    # --- privacy
    "privacy.audit_log": COORDINATION,
    "privacy.audit_csv": COORDINATION,
    "privacy.erase": COORDINATION,
    "privacy.my_data": allow(M),
    "privacy.my_data_download": allow(M),
    "privacy.record_of_processing": ADMIN,
    # --- reports
    "reports.indicators": COORDINATION,
    "reports.overview": COORDINATION,
    "reports.overview_csv": COORDINATION,
    "reports.overview_pdf": COORDINATION,
    "public_overview.public": OPEN,
    # --- requests
    "requests.index": OFFICE_AND_COORDINATION,
    "requests.new": OFFICE_AND_COORDINATION,
    "requests.detail": allow(W, C, A, M),
    "requests.edit": OFFICE_AND_COORDINATION,
    "requests.cancel": OFFICE_AND_COORDINATION,
    "requests.outcome": OFFICE_AND_COORDINATION,
    "requests.queue": COORDINATION,
    "requests.review": COORDINATION,
    "requests.review_offer": COORDINATION,
    "requests.review_assign": COORDINATION,
    "requests.review_unfillable": COORDINATION,
    "requests.withdraw_offer": COORDINATION,
    "requests.offers": allow(M),
    "requests.offer_detail": allow(M),
    "requests.offer_accept": allow(M),
    "requests.offer_decline": allow(M),
    "requests.assignment_detail": allow(M, W, C, A),
    "requests.assignment_cancel": allow(M),
    "requests.assignment_outcome": allow(M),
    "requests.assignment_attendance": allow(M),
    "requests.assignment_debrief": allow(M),
    "requests.attendance": OPEN,
    "requests.attendance_confirm": OPEN,
    "requests.debriefs": allow(C),
    "requests.debrief_done": allow(C),
}

# Routes a call with empty data would end the session of: each gets a client of its own.
ENDS_SESSION = {"auth.logout", "auth.logout_everywhere"}


@dataclass
class World:
    """Sample URL arguments: ``own`` of the district pool, ``foreign`` of another pool."""

    own: dict[str, object] = field(default_factory=dict)
    foreign: dict[str, object] = field(default_factory=dict)


@pytest.fixture
def world(app, db, demo) -> World:
    """Samira (the demo mediator) with an offer, an assignment, a debrief and a payout of the
    district's youth office (and an import job of the district), and the same for a stranger of a
    pool that shares nothing with the district."""
    now = utcnow()
    catalogue(app, db, now=now)
    home = district(db)
    other = Pool(name="Anderswo", kind="district", federal_state="BY", created_at=now)
    other.offices = [Office(name="Amt Anderswo", cost_centre="AW-1", created_at=now)]
    db.add(other)
    db.commit()
    with app.test_request_context():
        create_user(db, actor=None, email=STRANGER, name="Fremde Person", password=demo.password,
                    grants=[("mediator", other.id, None)], invite=False, now=now)  # fmt: skip
    db.commit()
    samira = deployable_mediator(app, db, pool=home, email=DemoAccounts.mediator, name="Samira S.")
    stranger = deployable_mediator(app, db, pool=other, email=STRANGER, name="Fremde Person")

    def objects_of(office: Office, mediator, day: int) -> dict[str, object]:
        """A request offered to ``mediator``, one booked, a debrief, a payout, an import job."""
        fresh(db)
        coordinator = db.scalars(select(User).where(User.email == DemoAccounts.coordinator)).one()
        offered = make_request(db, starts_at=at(days=day), office=office)
        booked = make_request(db, starts_at=at(days=day, hour=14), office=office)
        with app.test_request_context():
            (offer,) = booking.make_offers(
                db, actor=None, request=offered, mediators=[mediator], now=now
            )
            (pending,) = booking.make_offers(
                db, actor=None, request=booked, mediators=[mediator], now=now
            )
            assignment = booking.accept_offer(
                db, mediator=mediator, offer=pending, no_conflict_of_interest=True, now=now
            )
            job = imports.create_job(
                db, actor=coordinator, pool=office.pool, now=now,
                parsed=ParsedFile("csv", 1, ["Name"], [(2, ["Erika Muster"])]),
            )  # fmt: skip
        debrief = DebriefRequest(
            assignment_id=assignment.id, mediator_id=mediator.id, pool_id=office.pool_id,
            created_at=now,
        )  # fmt: skip
        payout = Payout(
            pool_id=office.pool_id, mediator_id=mediator.id, payee_reference=f"P-{mediator.id}",
            period=now.date().replace(day=1), amount_cents=1000, created_at=now,
        )  # fmt: skip
        db.add_all([debrief, payout])
        db.commit()
        return {
            "pool_id": office.pool_id,
            "office_id": office.id,
            "mediator_id": mediator.id,
            "request_id": offered.id,
            "offer_id": offer.id,
            "assignment_id": assignment.id,
            "debrief_id": debrief.id,
            "payout_id": payout.id,
            "job_id": job.id,
        }

    youth = db.scalars(select(Office).where(Office.name == "Jugendamt")).one()
    own = objects_of(youth, samira, 10)
    foreign = objects_of(other.offices[0], stranger, 11)
    with app.test_request_context():
        create_api_token(db, stranger.user, "fremd", now=now)
    db.commit()
    common = {
        "guideline_id": db.scalars(select(Guideline.id)).first(),
        "training_id": db.scalars(select(Training.id)).first(),
        "user_id": stranger.user_id,
        "token": "kein-gueltiges-token",
    }
    with app.test_request_context():
        strangers_session = sessions.start(db, stranger.user, device="", now=now)
    db.commit()
    return World(
        # Messages and API tokens are only ever the signed-in user's own: none is asked for.
        own={**common, **own, "message_id": MISSING, "token_id": MISSING, "session_id": MISSING},
        foreign={
            **common,
            **foreign,
            "message_id": db.scalars(
                select(OutboxMessage.id).where(OutboxMessage.user_id == stranger.user_id)
            ).first(),
            "token_id": db.scalars(
                select(ApiToken.id).where(ApiToken.user_id == stranger.user_id)
            ).one(),
            "session_id": db.scalars(
                select(UserSession.id).where(
                    UserSession.token_hash == hash_secret(strangers_session)
                )
            ).one(),
        },
    )


# --- calling a route ------------------------------------------------------------------------------


def _rules(app):
    """Every route but ``static``: pages first, then changes (which may remove their object, e.g.
    discarding an import), the routes that end the session last."""
    return sorted(
        (r for r in app.url_map.iter_rules() if r.endpoint != "static"),
        key=lambda r: (r.endpoint in ENDS_SESSION, _method(r) != "GET", r.rule),
    )


def _method(rule) -> str:
    methods = rule.methods - {"HEAD", "OPTIONS"}
    return "GET" if "GET" in methods else sorted(methods)[0]


def _url(rule, values: dict[str, object]) -> str:
    missing = [a for a in rule.arguments if a not in values]
    assert not missing, f"{rule.endpoint}: no sample value for {missing}"
    return rule.build({a: values[a] for a in rule.arguments}, append_unknown=False)[1]


class Caller:
    """One client per role; POSTs carry a valid CSRF token (form field, or header for the API)."""

    def __init__(self, app, role: str) -> None:
        self.app, self.role = app, role
        self.client = self._client()
        self.token = self._token(self.client)

    def _client(self):
        client = self.app.test_client()
        if self.role != ANONYMOUS:
            assert login(client, DemoAccounts.by_role[self.role]).status_code == 302
        return client

    @staticmethod
    def _token(client) -> str:
        page = client.get("/login")
        match = CSRF_RE.search(page.get_data(as_text=True))
        if match is None:  # signed in: the login page redirects; the profile has a form
            match = CSRF_RE.search(client.get("/profile").get_data(as_text=True))
        assert match, "no CSRF token"
        return match.group(1)

    def call(self, rule, url: str):
        method = _method(rule)
        client = self.client
        token = self.token
        if rule.endpoint in ENDS_SESSION:
            client = self._client()
            token = self._token(client)
        if method == "GET":
            return client.get(url)
        if url.startswith("/api/"):
            return client.open(url, method=method, json={}, headers={"X-CSRFToken": token})
        return client.open(url, method=method, data={"csrf_token": token})


def _verdict(role: str, rule, url: str, response) -> str | None:
    """What is wrong with the answer, or None."""
    access = MATRIX[rule.endpoint]
    status = response.status_code
    if status >= 500:
        return f"{status} (server error)"
    if status == 400 and any(t in response.get_data(as_text=True) for t in CSRF_REFUSED):
        return "the CSRF token was refused: the route's permissions were not reached"
    if role in access.roles:
        if status in (401, 403):
            return f"{status}, but {role} may use it"
        if status == 404 and access != OPEN and str(MISSING) not in url:
            return "404, but the object is there"
        signed_out = "/login" in response.headers.get("Location", "")
        if role != ANONYMOUS and signed_out and rule.endpoint not in ENDS_SESSION:
            return "sent to the sign-in page, but signed in"
        return None
    if role == ANONYMOUS:
        if url.startswith("/api/"):
            return None if status == 401 else f"{status}, expected 401"
        location = response.headers.get("Location", "")
        ok = status == 302 and location.startswith("/login")
        return None if ok else f"{status} {location}, expected a redirect to /login"
    expected = {403, 404} if access.hidden else {403}
    return None if status in expected else f"{status}, expected {sorted(expected)}"


def test_every_route_has_an_entry(app):
    missing = sorted({r.endpoint for r in _rules(app)} - MATRIX.keys())
    assert not missing, f"add these routes to the permission matrix: {missing}"
    stale = sorted(MATRIX.keys() - {r.endpoint for r in _rules(app)})
    assert not stale, f"the permission matrix names routes that no longer exist: {stale}"


@pytest.mark.parametrize("role", [ANONYMOUS, *ROLES])
def test_every_route_answers_each_role_as_declared(app, world, role):
    caller = Caller(app, role)
    problems = []
    for rule in _rules(app):
        if rule.endpoint not in MATRIX:
            problems.append(f"{rule.endpoint}: add it to the permission matrix")
            continue
        url = _url(rule, world.own)
        problem = _verdict(role, rule, url, caller.call(rule, url))
        if problem:
            problems.append(f"{_method(rule)} {url} ({rule.endpoint}): {problem}")
    assert not problems, "\n".join(problems)


IDOR_ARGUMENTS = {
    "pool_id",
    "office_id",
    "mediator_id",
    "request_id",
    "offer_id",
    "assignment_id",
    "message_id",
    "token_id",
    "debrief_id",
    "payout_id",
    "job_id",
}


@pytest.mark.parametrize("role", [C, W, M])
def test_objects_of_another_pool_are_refused(app, world, role):
    """IDOR: on the routes they may use, the district's people get 403 or 404 for requests,
    offers, assignments, mediators, debriefs, payouts, import jobs, messages and API tokens of a
    pool that shares nothing with theirs."""
    caller = Caller(app, role)
    problems = []
    checked = 0
    for rule in _rules(app):
        access = MATRIX.get(rule.endpoint)
        # Where the role is refused anyway, the matrix test has checked it already.
        if (
            access is None
            or access == OPEN
            or role not in access.roles
            or not IDOR_ARGUMENTS & set(rule.arguments)
        ):
            continue
        url = _url(rule, world.foreign)
        status = caller.call(rule, url).status_code
        checked += 1
        if status not in (403, 404):
            problems.append(f"{_method(rule)} {url} ({rule.endpoint}): {status}, expected 403/404")
    assert checked >= 10, "too few object routes: are the samples right?"
    assert not problems, "\n".join(problems)
