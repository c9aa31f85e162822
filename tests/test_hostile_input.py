"""Hostile input: every form and every JSON API endpoint gets random, oversized, wrongly typed and
unicode-laden values (HTML and SQL fragments, NUL bytes, emoji, RTL marks) — never a 500, and a
script that was saved never appears unescaped in a page.

The forms are found the way a user finds them: for each role the test follows the links of the
app from the start page and collects every POST form on the pages it reaches, with its field
names and prefilled values. Each example keeps the prefilled value of some fields (so that the
form may pass validation and the hostile values of the others get stored) and fills the others
with hostile values. The hypothesis profile (tests/conftest.py) sets the number of examples.

The data (``arranged``) puts every object into a state in which its forms are shown, and
``test_every_post_route_is_reached`` checks that the crawls reach every POST route of the app.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import Rule

from pool import calendar
from pool.auth import sessions
from pool.db import utcnow
from pool.demo import load_demo_data
from pool.i18n import BERLIN
from pool.imports import parsing
from pool.models import (
    Assignment,
    Mediator,
    Offer,
    Office,
    OutboxMessage,
    User,
)
from pool.services import allowances, debriefs, hotline, imports, reminders, users
from pool.services import mediators as registry
from pool.services.accounts import create_api_token
from pool.services.mediators import today_in_berlin
from pool.services.users import create_user
from tests.conftest import DemoAccounts, login
from tests.factories import district, user
from tests.helpers import existing_ids, link_in

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = [
    SCRIPT,
    IMG,
    f'"><{SCRIPT[1:]}',
    "' OR 1=1; --",
    "'; DROP TABLE users; --",
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\u200f\u05e9\u05dc\u05d5\u05dd",
    "😀👩🏽‍⚕️🇩🇪",
    "Ä" * 5000,
    "x" * 100_000,
    "-1",
    "0",
    "99999999999999999999999",
    "1e309",
    "NaN",
    "2026-02-30",
    "31.12.1899",
    "true",
    "[]",
    "{}",
    " ",
    "",
]
HOSTILE_TEXT = st.sampled_from(HOSTILE) | st.text(max_size=300) | st.integers().map(str)
# Escaped output never contains these literally; the app has no inline scripts at all.
UNESCAPED = ("<script>alert(", "<img src=x onerror")
# POST routes no test fuzzes: they end the session of the test user, who must stay signed in to
# reach the other forms (``/login``, ``/mitmachen/`` and ``/password/...`` are the public test's).
EXEMPT = {
    "/logout": "signs the test user out",
    "/logout/everywhere": "signs the test user out on every device",
    "/admin/users/<id>/deactivate": "ends every session of the account it deactivates",
    "/profile/password": "a new password starts a new session and breaks the final sign-in",
}
SKIPPED_LINKS = re.compile(r"\.(csv|pdf|ics)$|/download$|^/(logout|kalender/)|^/static/")
MAX_PAGES = 200
PAGES_PER_ROUTE = 3
ROLES = ("admin", "coordinator", "caseworker", "mediator")
# Pages not linked from the start page of every role (``arranged`` adds the pages of its objects).
STARTS = (
    "/",
    "/jetzt-dolmetschen",
    "/requests/debriefs",
    "/me/guidelines",
    "/allowances/",
    "/admin/messages",
    "/kalender",
)
PUBLIC_STARTS = ("/login", "/password/forgot", "/mitmachen/")


# --- reading pages ---------------------------------------------------------------------------------


@dataclass
class Form:
    page: str
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name -> prefilled or choices
    files: list[str] = field(default_factory=list)


class PageParser(HTMLParser):
    """Collects the links and the POST forms of a page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form" and a.get("method", "get").lower() == "post":
            self._form = Form(self.page, urljoin(self.page, a.get("action") or self.page))
            self.forms.append(self._form)
        elif self._form is not None and a.get("formaction"):
            # A button that posts the same fields elsewhere (the CSV export of the mediator list).
            action = urljoin(self.page, a["formaction"])
            self.forms.append(Form(self.page, action, self._form.fields, self._form.files))
        elif tag == "option" and self._form is not None and self._select:
            # Options have no name of their own; the selected one is the prefilled value.
            choices = self._form.fields[self._select]
            choices.insert(0 if "selected" in a else len(choices), a.get("value", ""))
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type") == "file":
            self._form.files.append(a["name"])
        elif tag == "input" and a.get("type") not in ("submit", "button"):
            values = self._form.fields.setdefault(a["name"], [])
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                values.insert(0, a.get("value", ""))
            else:
                values.append(a.get("value", "on"))
        elif tag == "select":
            self._select = a["name"]
            self._form.fields.setdefault(a["name"], [])
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields.setdefault(a["name"], [""])

    def handle_data(self, data):
        if self._form is not None and self._textarea:
            self._form.fields[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def pattern(url: str) -> str:
    """The route of a URL, ids replaced: one page and one form per route is enough."""
    return re.sub(r"/\d+", "/<id>", urlsplit(url).path)


def route(rule: str) -> str:
    """A rule of the app written the way ``pattern`` writes a URL: every argument as ``<id>``."""
    return re.sub(r"<[^>]+>", "<id>", rule)


def post_route(app, url: str) -> str:
    """The route of the rule that answers a POST to ``url``. ``pattern`` alone would miss the
    rules with string arguments (the tokens of ``/password/set/<token>``). A form whose action
    no rule answers fails here."""
    adapter = app.url_map.bind("localhost")
    rule, _values = adapter.match(urlsplit(url).path, method="POST", return_rule=True)
    return route(rule.rule)


def assert_escaped(url: str, response) -> None:
    assert response.status_code < 500, f"{url}: {response.status_code}"
    if response.mimetype == "text/html":
        text = response.get_data(as_text=True)
        for marker in UNESCAPED:
            assert marker not in text, f"unescaped {marker!r} on {url}"


def read_page(client, url: str) -> PageParser | None:
    """The links and POST forms of the page at ``url``; None if it is not an HTML page."""
    response = client.get(url)
    assert_escaped(url, response)
    if response.status_code != 200 or response.mimetype != "text/html":
        return None
    parser = PageParser(f"http://localhost{url}")
    parser.feed(response.get_data(as_text=True))
    return parser


def crawl(client, starts, later=()) -> tuple[list[str], dict[str, Form]]:
    """The pages reachable from ``starts`` (a few per route: objects in other states show other
    forms), then from ``later`` (the arranged objects: they add the routes the others lack), and
    their POST forms (the first one of each route, by route)."""
    pages: list[str] = []
    forms: dict[str, Form] = {}
    queue, later, seen = list(starts), list(later), Counter(pattern(start) for start in starts)
    while (queue or later) and len(pages) < MAX_PAGES:
        url = queue.pop(0) if queue else later.pop(0)
        parser = None if url in pages else read_page(client, url)
        if parser is None:
            continue
        pages.append(url)
        for form in parser.forms:
            action = post_route(client.application, form.action)
            if action not in EXEMPT:
                forms.setdefault(action, form)
        for link in parser.links:
            parts = urlsplit(link)
            path = path_of(link)
            if parts.netloc != "localhost" or SKIPPED_LINKS.search(parts.path):
                continue
            if seen[pattern(path)] < PAGES_PER_ROUTE and path not in queue + pages:
                seen[pattern(path)] += 1
                queue.append(path)
    return pages, forms


def form_on(client, form: Form) -> Form:
    """``form`` as ``client`` sees its page now (with the CSRF token of its own session)."""
    parser = read_page(client, path_of(form.page))
    return next(f for f in parser.forms if f.action == form.action)


def is_button(form: Form) -> bool:
    """A form of nothing but a button (and the CSRF token)."""
    return not form.files and set(form.fields) <= {"csrf_token"}


# --- arranging ---------------------------------------------------------------------------------------


@pytest.fixture
def full_demo(app, db, demo):
    """The demo with mediators, requests, offers and bookings, so that every page has content."""
    with app.test_request_context():
        load_demo_data(db, now=utcnow(), registry=True)
    db.commit()
    return demo


@pytest.fixture
def arranged(app, db, full_demo, monkeypatch) -> dict[str, list[str]]:
    """The full demo and what it lacks for the remaining forms to be shown, made through the
    services; the pages of these objects for each role and for "public" (no sign-in), to crawl
    after ``STARTS`` and ``PUBLIC_STARTS``."""
    now = utcnow()
    # The hotline pages run on the next weekday at 10:00, inside the demo mediators' hours.
    day = today_in_berlin(now) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    hotline_now = datetime.combine(day, time(10), tzinfo=BERLIN).astimezone(UTC)
    monkeypatch.setattr("pool.hotline.routes.utcnow", lambda: hotline_now)

    starts: dict[str, list[str]] = {role: [] for role in (*ROLES, "public")}
    with app.test_request_context():
        arrange_accounts(db, starts, now)
        arrange_registry(db, starts, now)
        arrange_allowances(db, starts, now)
        arrange_requests(db, starts, now)
    db.commit()
    return starts


COORDINATION = ("coordinator", "admin")
IMPORT_CSV = "Vorname;Nachname;E-Mail;Sprachen\r\nJana;Neu;jana.neu@beispiel.de;Arabisch C1\r\n"


def mediator(db, email: str) -> Mediator:
    return db.scalars(select(Mediator).where(Mediator.email == email)).one()


def office(db, name: str) -> Office:
    return db.scalars(select(Office).where(Office.name == name)).one()


def arrange_accounts(db, starts: dict[str, list[str]], now: datetime) -> None:
    """An invitation that could not be delivered (its link is a public page), an account to
    reactivate, an API token for every demo login and a calendar feed for those who may."""
    admin = user(db, DemoAccounts.admin)
    grants = [("caseworker", None, office(db, "Jugendamt").id)]
    invited = create_user(
        db, actor=admin, email="eingeladen@demo.example", name="Ines Eingeladen", grants=grants,
        now=now,
    )  # fmt: skip
    invitation = db.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == invited.email)
    ).one()
    starts["public"].append(link_in(invitation))
    invitation.status, invitation.attempts = "failed", 8
    invitation.last_error = "SMTPRecipientsRefused: 550 mailbox unavailable"
    gone = create_user(
        db, actor=admin, email="ausgeschieden@demo.example", name="Otto Ausgeschieden",
        grants=grants, now=now, invite=False,
    )  # fmt: skip
    users.deactivate(db, actor=admin, user=gone)
    starts["admin"].append(f"/admin/users/{gone.id}/edit")
    for email in DemoAccounts.by_role.values():
        create_api_token(db, user(db, email), "Auswertung", now=now)
        # A second device, which the profile offers to sign out.
        sessions.start(db, user(db, email), device="Mozilla/5.0 (Windows NT 10.0) Firefox/128.0",
                       now=now)  # fmt: skip
    for email in (DemoAccounts.mediator, DemoAccounts.caseworker):
        calendar.create_feed_token(db, user=user(db, email), now=now)


def arrange_registry(db, starts: dict[str, list[str]], now: datetime) -> None:
    """A new version of a mandatory guideline that everyone but the demo mediator confirmed, the
    hotline switched on by her and by another Arabic speaker (whom the search lists: she herself
    cannot be deployed before she confirms), a mediator who left (erasure), a staff member
    (release), and two import jobs: one waiting for the confirmation, one half done."""
    admin, coordinator = user(db, DemoAccounts.admin), user(db, DemoAccounts.coordinator)
    samira = mediator(db, DemoAccounts.mediator)
    guideline = registry.publish_guideline(
        db, actor=admin, code="confidentiality", title="Verschwiegenheitserklärung",
        body_markdown="Neue Fassung: Ich bewahre **Stillschweigen**.", mandatory=True, now=now,
    )  # fmt: skip
    for other in db.scalars(select(Mediator).where(Mediator.id != samira.id)).all():
        registry.acknowledge_guideline(db, mediator=other, guideline=guideline, now=now)

    for person in (samira, mediator(db, "amal.haddad@demo.example")):
        hotline.switch_on(db, actor=None, mediator=person, until=None, now=now)
    starts["caseworker"].append("/jetzt-dolmetschen?language=ar")

    left = mediator(db, "ioana.popescu@demo.example")
    registry.change_status(
        db, actor=coordinator, mediator=left, to_status="left", reason="Umzug", now=now
    )
    staff = mediator(db, "yusuf.almasri@demo.example")
    for role in COORDINATION:
        starts[role] += [f"/mediators/{left.id}", f"/mediators/{staff.id}"]

    for started in (False, True):
        parsed = parsing.read_file("Liste.csv", IMPORT_CSV.encode())
        job = imports.create_job(db, actor=coordinator, pool=district(db), parsed=parsed, now=now)
        imports.set_mapping(
            db, actor=coordinator, job=job, mapping=job.mapping, default_level=None, now=now
        )
        if started:
            assert imports.confirm(db, actor=coordinator, job=job, now=now)
        for role in COORDINATION:
            starts[role].append(f"/mediators/import/{job.id}")


def arrange_allowances(db, starts: dict[str, list[str]], now: datetime) -> None:
    """A rule, and the statements of two volunteers for the month of a completed assignment: one
    with a payout to mark paid, one with a payout still to make."""
    coordinator, pool = user(db, DemoAccounts.coordinator), district(db)
    rule = {"valid_from": date(2020, 1, 1), "per_assignment_cents": 1500}
    allowances.add_rule(db, actor=coordinator, pool=pool, values=rule, now=now)
    done = db.scalars(
        select(Assignment)
        .join(Mediator, Mediator.id == Assignment.mediator_id)
        .where(
            Assignment.status == "completed",
            Assignment.office_outcome == "took_place",
            Mediator.kind == "volunteer",
            Mediator.pool_id == pool.id,
        )
        .order_by(Assignment.starts_at)
    ).all()
    paid = done[0]
    unpaid = next(a for a in done if a.mediator_id != paid.mediator_id)
    for item in (paid, unpaid):
        month = allowances.month_start(allowances.local_day(item.starts_at))
        if item is paid:
            allowances.create_payout(
                db, actor=coordinator, pool=pool, mediator=item.mediator, period=month, now=now
            )
        for role in COORDINATION:
            starts[role].append(
                f"/allowances/mediators/{item.mediator_id}?pool={pool.id}&month={month:%Y-%m}"
            )


def arrange_requests(db, starts: dict[str, list[str]], now: datetime) -> None:
    """A past assignment the office has not reported on, a debrief the demo mediator asked for,
    a pending offer, and the "Ich komme" link (a public page) of her next assignment."""
    samira = mediator(db, DemoAccounts.mediator)
    unreported = db.scalars(
        select(Assignment)
        .where(
            Assignment.status == "confirmed",
            Assignment.office_outcome.is_(None),
            Assignment.starts_at < now,
        )
        .order_by(Assignment.id)
    ).first()
    for role in ("caseworker", *COORDINATION):
        starts[role].append(f"/requests/{unreported.request_id}")

    hers = select(Assignment).where(Assignment.mediator_id == samira.id).order_by(Assignment.id)
    past = db.scalars(
        hers.where(Assignment.status.in_(("confirmed", "completed")), Assignment.starts_at < now)
    ).first()
    ahead = db.scalars(
        hers.where(Assignment.status == "confirmed", Assignment.starts_at > now)
    ).first()
    debriefs.request_debrief(
        db, actor=samira.user, mediator=samira, assignment=past, note="Bitte rufen Sie mich an.",
        urgent=False, now=now,
    )  # fmt: skip
    starts["public"].append(f"/requests/attendance/{reminders.attendance_token(ahead)}")

    offer = db.scalars(select(Offer).where(Offer.status == "pending").order_by(Offer.id)).first()
    for role in COORDINATION:
        starts[role].append(f"/requests/queue/{offer.request_id}")


def fuzz_form(form: Form, client) -> None:
    names = sorted(form.fields)

    @given(data=st.data())
    def submit(data):
        values: dict = {}
        for name in names:
            known = form.fields[name]
            if name == "csrf_token":
                values[name] = known[0]
                continue
            keep = st.sampled_from(known) if known else st.just("")
            values[name] = data.draw(keep | HOSTILE_TEXT, label=name)
        for name in form.files:
            content = data.draw(st.binary(max_size=2000) | st.just(SCRIPT.encode()), label=name)
            values[name] = (io.BytesIO(content), "hostile.csv")
        action = path_of(form.action)
        response = client.post(action, data=values, follow_redirects=True)
        assert_escaped(action, response)

    # First one submission that stores markup wherever a person types free text (fields offered
    # empty), the others keep their prefilled value so that the form may pass validation: a
    # stored script then surely exists for the pages read afterwards, whatever hypothesis draws.
    markup = {name: f"{SCRIPT} {IMG}" if known in ([], [""]) else known[0]
              for name, known in form.fields.items()}  # fmt: skip
    action = path_of(form.action)
    assert_escaped(action, client.post(action, data=markup, follow_redirects=True))
    submit()


def signed_in(app, role: str):
    client = app.test_client()
    assert login(client, DemoAccounts.by_role[role]).status_code == 302
    return client


# Who else sees what a role stores, e.g. a mediator's debrief note or a caseworker's request notes
# on the coordinator's pages (the fuzzed role cannot change these readers' accounts; the admin can
# change every account, so nobody reads after the admin).
READERS = {
    "mediator": ("coordinator", "admin"),
    "caseworker": ("coordinator", "admin"),
    "coordinator": ("admin",),
    "admin": (),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_form_refuses_hostile_input_cleanly(app, arranged, role):
    client = signed_in(app, role)
    pages, forms = crawl(client, STARTS, arranged[role])
    assert len(forms) >= 3, list(forms)
    # The bare buttons last: one may close the object of another form (discarding an import job
    # ends its mapping form).
    for form in sorted(forms.values(), key=is_button):
        fuzz_form(form, client)
    # What was stored is shown escaped wherever it appears (a new session: forms may sign out),
    # on this role's pages and on those of the roles who see what it stores.
    client = signed_in(app, role)
    for url in pages:
        assert_escaped(url, client.get(url))
    for reader in READERS[role]:
        crawl(signed_in(app, reader), STARTS, arranged[reader])  # asserts on every page it reads


def test_public_forms_refuse_hostile_input_cleanly(app, arranged):
    forms = crawl(app.test_client(), PUBLIC_STARTS, arranged["public"])[1]
    assert set(forms) >= {"/login", "/mitmachen/"}
    for form in forms.values():
        # A client of its own for each form: a new password signs the invited user in, and the
        # forms after it would fail the CSRF check of the changed session.
        client = app.test_client()
        fuzz_form(form_on(client, form), client)


def test_every_post_route_is_reached(app, arranged):
    """The crawls above reach a form of every POST route outside the API, except the exempt
    ones: a new route without a form in reach of the arranged data fails here. (Crawling only;
    the crawls of the tests above see the same data, so they fuzz what this one finds.)"""
    reached = set(crawl(app.test_client(), PUBLIC_STARTS, arranged["public"])[1])
    for role in ROLES:
        reached |= set(crawl(signed_in(app, role), STARTS, arranged[role])[1])
    routes = {
        route(rule.rule)
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.rule.startswith("/api/")
    }
    assert set(EXEMPT) <= routes, (
        f"EXEMPT names routes the app does not have: {set(EXEMPT) - routes}"
    )
    missing = sorted(routes - reached - set(EXEMPT))
    assert not missing, f"POST routes without a fuzzed form: {', '.join(missing)}"


# --- JSON API ----------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | HOSTILE_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner),
    max_leaves=12,
)


def api_rules(app) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]


@pytest.mark.parametrize("role", ["admin", "coordinator", "caseworker", "mediator"])
def test_api_answers_hostile_input_with_json_errors(app, db, full_demo, role):
    user = db.scalars(select(User).where(User.email == full_demo.by_role[role])).one()
    with app.app_context():
        secret = create_api_token(db, user, "hostile", now=utcnow())
    db.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    ids = existing_ids(db)
    client = app.test_client()

    for rule, method in api_rules(app):
        fuzz_endpoint(client, rule, method, headers, ids)


def fuzz_endpoint(client, rule: Rule, method: str, headers: dict, ids: dict[str, list[int]]):
    @given(data=st.data())
    def call(data):
        url = rule.rule
        for name in rule.arguments:
            value = data.draw(st.sampled_from(ids.get(name) or [1]) | st.integers(0, 2**40))
            url = re.sub(rf"<(?:int:)?{name}>", str(value), url)
        query = data.draw(st.dictionaries(st.sampled_from(QUERY_NAMES), HOSTILE_TEXT))
        body = data.draw(JSON_VALUES | st.dictionaries(st.sampled_from(BODY_NAMES), JSON_VALUES))
        response = client.open(url, method=method, query_string=query, json=body, headers=headers)
        assert response.status_code < 500, f"{method} {url}: {response.status_code}"
        assert response.is_json, f"{method} {url}: {response.mimetype}"
        if response.status_code >= 400:
            assert "error" in response.get_json()

    call()


QUERY_NAMES = [
    "limit",
    "cursor",
    "lang",
    "status",
    "from",
    "to",
    "since",
    "language",
    "pool_id",
    "office_id",
    "q",
    "date",
    "at",
]
BODY_NAMES = [
    "absences",
    "active",
    "address",
    "case_ref",
    "completed_on",
    "conflict_of_interest",
    "dialect",
    "dialects",
    "domain",
    "domains",
    "duration_minutes",
    "email",
    "employing_office_id",
    "end",
    "end_date",
    "expires_in_minutes",
    "feedback",
    "gender",
    "gender_preference",
    "gender_required",
    "german_level",
    "guideline_code",
    "kind",
    "language",
    "languages",
    "level",
    "mediator_id",
    "mediator_ids",
    "mode",
    "modes",
    "monthly_cap",
    "municipalities",
    "municipality",
    "name",
    "no_conflict_of_interest",
    "note",
    "notes",
    "office_id",
    "outcome",
    "paused_until",
    "phone",
    "police_certificate_no_entry",
    "pool_id",
    "professional_present",
    "rating",
    "reachable_from",
    "reachable_until",
    "reason",
    "reasons",
    "setting",
    "start",
    "start_date",
    "starts_at",
    "status",
    "supervisor_release_by",
    "supervisor_release_until",
    "text",
    "training_code",
    "travel_km",
    "until",
    "urgent",
    "urgent_reason",
    "weekday",
    "weekly",
    "whole_series",
]
