"""Hostile input: every form and every JSON API endpoint gets random, oversized, wrongly typed and
unicode-laden values (HTML and SQL fragments, NUL bytes, emoji, RTL marks) — never a 500, and a
script that was saved never appears unescaped in a page.

The forms are found the way a user finds them: for each role the test follows the links of the
app from the start page and collects every POST form on the pages it reaches, with its field
names and prefilled values. Each example keeps the prefilled value of some fields (so that the
form may pass validation and the hostile values of the others get stored) and fills the others
with hostile values. The hypothesis profile (tests/conftest.py) sets the number of examples.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.routing import Rule

from pool.db import utcnow
from pool.demo import load_demo_data
from pool.models import Assignment, InterpretingRequest, Mediator, Offer, Pool, User
from pool.services.accounts import create_api_token
from tests.conftest import login

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
# Forms that end the session of the test user (it must stay signed in to reach the other forms).
SKIPPED_ACTIONS = re.compile(r"^/(logout|admin/users/\d+/deactivate|profile/password)")
SKIPPED_LINKS = re.compile(r"\.(csv|pdf|ics)$|/download$|^/(logout|kalender/)|^/static/")
MAX_PAGES = 200
PAGES_PER_ROUTE = 3
# Pages not linked from the start page of every role.
STARTS = ("/", "/jetzt-dolmetschen", "/requests/debriefs", "/me/guidelines", "/allowances/")


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
        elif tag == "option" and self._select:
            self._form.fields[self._select].append(a.get("value", ""))
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


def assert_escaped(url: str, response) -> None:
    assert response.status_code < 500, f"{url}: {response.status_code}"
    if response.mimetype == "text/html":
        text = response.get_data(as_text=True)
        for marker in UNESCAPED:
            assert marker not in text, f"unescaped {marker!r} on {url}"


def crawl(client, *starts: str) -> tuple[list[str], list[Form]]:
    """The pages reachable from ``starts`` (a few per route: objects in other states show other
    forms) and their POST forms (one per route)."""
    pages: list[str] = []
    forms: dict[str, Form] = {}
    queue, seen = list(starts), Counter(pattern(start) for start in starts)
    while queue and len(pages) < MAX_PAGES:
        url = queue.pop(0)
        response = client.get(url)
        assert_escaped(url, response)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages.append(url)
        parser = PageParser(f"http://localhost{url}")
        parser.feed(response.get_data(as_text=True))
        for form in parser.forms:
            action = path_of(form.action)
            if not SKIPPED_ACTIONS.match(action):
                forms.setdefault(pattern(action), form)
        for link in parser.links:
            parts = urlsplit(link)
            path = path_of(link)
            if parts.netloc != "localhost" or SKIPPED_LINKS.search(parts.path):
                continue
            if seen[pattern(path)] < PAGES_PER_ROUTE and path not in queue + pages:
                seen[pattern(path)] += 1
                queue.append(path)
    return pages, list(forms.values())


# --- arranging ---------------------------------------------------------------------------------------


@pytest.fixture
def full_demo(app, db, demo):
    """The demo with mediators, requests, offers and bookings, so that every page has content."""
    with app.test_request_context():
        load_demo_data(db, now=utcnow(), registry=True)
    db.commit()
    return demo


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

    submit()


@pytest.mark.parametrize("role", ["admin", "coordinator", "caseworker", "mediator"])
def test_every_form_refuses_hostile_input_cleanly(app, full_demo, role):
    client = app.test_client()
    assert login(client, full_demo.by_role[role]).status_code == 302
    pages, forms = crawl(client, *STARTS)
    assert len(forms) >= 3, [f.action for f in forms]
    for form in forms:
        fuzz_form(form, client)
    # What was stored is shown escaped wherever it appears (a new session: forms may sign out).
    client = app.test_client()
    assert login(client, full_demo.by_role[role]).status_code == 302
    for url in pages:
        assert_escaped(url, client.get(url))


def test_public_forms_refuse_hostile_input_cleanly(app, full_demo):
    client = app.test_client()
    forms = crawl(client, "/login", "/password/forgot", "/mitmachen/")[1]
    assert {pattern(path_of(f.action)) for f in forms} >= {"/login", "/mitmachen/"}
    for form in forms:
        fuzz_form(form, client)


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


def existing_ids(db) -> dict[str, list[int]]:
    models = {
        "mediator_id": Mediator,
        "request_id": InterpretingRequest,
        "offer_id": Offer,
        "assignment_id": Assignment,
        "pool_id": Pool,
    }
    return {name: list(db.scalars(select(model.id))) for name, model in models.items()}


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
