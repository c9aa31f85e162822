"""The users of the load test: every role of the app, through its real pages and forms.

benchmarks/load.py (``make load``) runs this against a fresh copy of the benchmark database. By
hand, against a server with fresh demo data (``make run``) and a token of the demo coordinator:

    .venv/bin/flask --app pool create-token koordination@demo.example  # the token: last line
    LOAD_API_TOKEN=<token> .venv/bin/locust -f benchmarks/locustfile.py --headless \\
        -u 50 -r 10 -t 60s --host http://127.0.0.1:5000

Every user signs in through /login with a demo login (several simulated users share one; their
sessions are independent). Every response must have the expected status: a page 200 (a redirect,
e.g. to the login, fails), a form a redirect to the page the app shows after it. Anything else
counts as a failure, with the page's error messages.

The users work together in the one locust process. Caseworkers create requests in one-hour slots
more than 60 days ahead, two hours apart, and hand most of them to the coordinators,
who offer them to the best candidates and to the demo mediator when she is one of them; she
accepts or declines. The rest the caseworker cancels later. So no two users act on one thing, and
no answer is a conflict (409) by design. A second run against the same data may find the demo
mediator booked in a slot: hence the fresh copy.
"""

from __future__ import annotations

import os
import random
import re
import sys
from collections import deque
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from locust import HttpUser, between, task
from locust.exception import StopUser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pool.demo import DEMO_PASSWORD, DEMO_STATE, DEMO_USERS  # noqa: E402
from pool.workdays import is_working_day  # noqa: E402

EMAIL = {role: email for email, _name, role in DEMO_USERS}
MEDIATOR_NAME = next(name for _email, name, role in DEMO_USERS if role == "mediator")
API_TOKEN = os.environ.get("LOAD_API_TOKEN", "")  # without it the API answers 401: failures

CSRF_RE = re.compile(r'name="([\w-]*csrf_token)" type="hidden" value="([^"]+)"')
# The error summary and warnings of a page, and the messages at the fields (a CSRF error, too).
ERROR_RE = re.compile(r'role="alert"[^>]*>(.*?)</div>|class="error-message"[^>]*>(.*?)</p>', re.S)
TAG_RE = re.compile(r"<[^>]+>")
CANDIDATE_RE = re.compile(r'<label for="offer-mediator-(\d+)">([^<]+)</label>')

# Appointments: one hour at 9, 11, 13 and 15 o'clock (inside the demo mediator's hours, with more
# than the pools' travel buffer of 30 minutes between two), on working days from 60 days ahead
# (beyond the lead time and the demo mediators' holidays, 40 to 54 days ahead) up to the two years
# the pool accepts: about 1,850 slots, more than half an hour of this load.
FIRST_DAY, LAST_DAY = 60, 720
HOURS = (9, 11, 13, 15)
# The demo mediator speaks Arabic and French and works in these domains; the others go to the
# bulk mediators (languages of benchmarks' bulk data).
MEDIATOR_LANGUAGES, OTHER_LANGUAGES = ("ar", "fr"), ("tr", "uk", "fa", "ru")
MEDIATOR_DOMAINS = ("education", "health", "social_services")
SETTINGS = ("counselling", "parents_meeting", "office_appointment")
TOWNS = ("Neustadt", "Altdorf")


def _slots():
    """Free appointment slots (day, hour), each handed out once."""
    day = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=FIRST_DAY)
    last = day + timedelta(days=LAST_DAY - FIRST_DAY)
    while day <= last:
        # Nor Christmas Eve or New Year's Eve, as in the demo data.
        if is_working_day(day, DEMO_STATE) and (day.month, day.day) not in ((12, 24), (12, 31)):
            for hour in HOURS:
                yield day, hour
        day += timedelta(days=1)
    raise RuntimeError("no appointment slots left: run the load test for a shorter time")


# Shared by the users of this process.
SLOTS = _slots()
TO_OFFER: deque[int] = deque()  # new requests for the coordinators to offer
ANSWERED_OFFERS: set[int] = set()  # offers a mediator session has taken on


def errors_of(html: str) -> str:
    """The error messages of a form page, as plain text."""
    found = ["".join(groups) for groups in ERROR_RE.findall(html)]
    messages = dict.fromkeys(" ".join(TAG_RE.sub(" ", m).split()) for m in found)
    return "; ".join(messages)[:300] or "no error message on the page"


class PoolUser(HttpUser):
    """A person signed in through the login form."""

    abstract = True
    role = ""
    wait_time = between(1, 4)  # reading and typing between two clicks

    def on_start(self) -> None:
        page = self.page("/login")
        token = page and self.csrf(page)
        if not token or not self.submit(
            "/login", {"email": EMAIL[self.role], "password": DEMO_PASSWORD, "csrf_token": token},
            expect=r"^/$",
        ):  # fmt: skip
            raise StopUser()

    # Helpers: every request checks its status; None means it failed (and is counted).

    def page(self, path: str, name: str | None = None) -> str | None:
        """GET a page that must answer 200 (no redirect); its HTML."""
        with self.client.get(path, name=name, allow_redirects=False, catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"status {r.status_code} (Location: {r.headers.get('Location')})")
                return None
            return r.text

    def submit(self, path: str, data: dict, *, expect: str, name: str | None = None) -> str | None:
        """POST a form that must redirect to a page whose path matches ``expect``; the path."""
        with self.client.post(path, data=data, name=name, allow_redirects=False,
                              catch_response=True) as r:  # fmt: skip
            location = urlsplit(r.headers.get("Location", "")).path
            if r.status_code == 302 and re.search(expect, location):
                return location
            if r.status_code == 302:
                r.failure(f"redirect to {location}, expected {expect}")
            else:
                r.failure(f"status {r.status_code}: {errors_of(r.text)}")
            return None

    def csrf(self, html: str, field: str = "csrf_token") -> str | None:
        tokens = dict(CSRF_RE.findall(html))
        if field not in tokens:
            self.environment.events.request.fire(
                request_type="CHECK", name=f"csrf token {field}", response_time=0,
                response_length=0, exception=AssertionError(f"no {field} on the page"),
            )  # fmt: skip
        return tokens.get(field)


class Coordinator(PoolUser):
    """Works through the queue: reviews requests with their candidates, sends offers, looks up
    mediators."""

    role = "coordinator"
    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.queue_ids: list[int] = []
        self.mediator_ids: list[int] = []

    @task(4)
    def queue(self) -> None:
        path = random.choice(["/requests/queue", "/requests/queue", "/requests/queue?page=2",
                              "/requests/queue?show=person"])  # fmt: skip
        html = self.page(path, name="/requests/queue")
        if html:
            self.queue_ids = [int(i) for i in re.findall(r'href="/requests/queue/(\d+)"', html)]

    @task(3)
    def review(self) -> None:
        if not self.queue_ids:
            return self.queue()
        request_id = random.choice(self.queue_ids)
        self.page(f"/requests/queue/{request_id}", name="/requests/queue/[id]")

    @task(3)
    def offer(self) -> None:
        """Offer a new request to its best candidates (and the demo mediator when she fits)."""
        if not TO_OFFER:
            return self.review()
        request_id = TO_OFFER.popleft()
        html = self.page(f"/requests/queue/{request_id}", name="/requests/queue/[id]")
        candidates = CANDIDATE_RE.findall(html or "")
        if not candidates:
            return  # nobody fits (or the page failed, which is counted)
        chosen = [i for i, name in candidates if name == MEDIATOR_NAME]
        chosen += [i for i, name in candidates if name != MEDIATOR_NAME][:2]
        token = self.csrf(html, "offer-csrf_token")
        if token:
            self.submit(
                f"/requests/queue/{request_id}/offer",
                {"offer-csrf_token": token, "offer-mediator_ids": chosen,
                 "offer-expires_in_minutes": ""},
                expect=rf"^/requests/queue/{request_id}$", name="/requests/queue/[id]/offer",
            )  # fmt: skip

    @task(2)
    def mediators(self) -> None:
        html = self.page("/mediators/")
        if html:
            self.mediator_ids = [int(i) for i in re.findall(r'href="/mediators/(\d+)"', html)]

    @task(1)
    def mediator(self) -> None:
        if not self.mediator_ids:
            return self.mediators()
        self.page(f"/mediators/{random.choice(self.mediator_ids)}", name="/mediators/[id]")

    @task(1)
    def start_page(self) -> None:
        self.page("/")


class Caseworker(PoolUser):
    """Office staff: asks for interpreters through the request form, follows and cancels their
    requests."""

    role = "caseworker"
    weight = 4

    def on_start(self) -> None:
        super().on_start()
        self.request_ids: list[int] = []
        self.to_cancel: list[int] = []

    @task(4)
    def requests(self) -> None:
        html = self.page("/requests/")
        if html:
            self.request_ids = [int(i) for i in re.findall(r'href="/requests/(\d+)"', html)]

    @task(2)
    def detail(self) -> None:
        if not self.request_ids:
            return self.requests()
        self.page(f"/requests/{random.choice(self.request_ids)}", name="/requests/[id]")

    @task(3)
    def create(self) -> None:
        html = self.page("/requests/new")
        token = html and self.csrf(html)
        if not token:
            return
        day, hour = next(SLOTS)
        location = self.submit("/requests/new", self.request_form(token, day, hour),
                               expect=r"^/requests/\d+$")  # fmt: skip
        if location is None:
            return
        request_id = int(location.rsplit("/", 1)[1])
        self.page(location, name="/requests/[id]")  # where the browser goes
        if random.random() < 0.2:
            self.to_cancel.append(request_id)  # plans change: cancelled later
        else:
            TO_OFFER.append(request_id)

    @task(1)
    def cancel(self) -> None:
        if not self.to_cancel:
            return self.requests()
        request_id = self.to_cancel.pop(0)
        html = self.page(f"/requests/{request_id}", name="/requests/[id]")
        token = html and self.csrf(html)
        if token:
            self.submit(
                f"/requests/{request_id}/cancel",
                {"csrf_token": token, "reason": "Der Termin hat sich erledigt."},
                expect=rf"^/requests/{request_id}$", name="/requests/[id]/cancel",
            )  # fmt: skip

    @task(1)
    def start_page(self) -> None:
        self.page("/")

    @staticmethod
    def request_form(token: str, day: date, hour: int) -> dict:
        """A valid request: mostly in a language of the demo mediator, in person or by phone."""
        ours = random.random() < 0.7
        in_person = random.random() < 0.7
        return {
            "csrf_token": token,
            "language": random.choice(MEDIATOR_LANGUAGES if ours else OTHER_LANGUAGES),
            "dialect": "",
            "day": day.isoformat(),
            "start": f"{hour:02d}:00",
            "duration_minutes": "60",
            "mode": "in_person" if in_person else "phone",
            "municipality": random.choice(TOWNS) if in_person else "",
            "address": "Rathausplatz 1, Raum 12" if in_person else "",
            "domain": random.choice(MEDIATOR_DOMAINS),
            "setting": random.choice(SETTINGS),
            "gender_preference": "",
            "professional_present": "y",
            "case_ref": f"LT-{random.randint(1000, 9999)}",
            "notes": "Bitte am Empfang melden.",
            "repeat": "",
            "count": "6",
        }


class Mediator(PoolUser):
    """The demo mediator: start page, offers and assignments; answers an offer when there is
    one."""

    role = "mediator"
    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.offer_ids: list[int] = []
        self.assignment_ids: list[int] = []

    @task(3)
    def start_page(self) -> None:
        self.page("/")

    @task(4)
    def offers(self) -> None:
        html = self.page("/requests/offers")
        if html:
            self.offer_ids = [int(i) for i in re.findall(r'href="/requests/offers/(\d+)"', html)]
            self.assignment_ids = [
                int(i) for i in re.findall(r'href="/requests/assignments/(\d+)"', html)
            ]

    @task(3)
    def answer(self) -> None:
        """Accept (two in three) or decline an offer no other session of hers has taken on."""
        self.offers()
        waiting = [i for i in self.offer_ids if i not in ANSWERED_OFFERS]
        if not waiting:
            return
        offer_id = waiting[0]
        ANSWERED_OFFERS.add(offer_id)
        html = self.page(f"/requests/offers/{offer_id}", name="/requests/offers/[id]")
        if not html or f"/requests/offers/{offer_id}/accept" not in html:
            return  # no longer open: nothing to answer
        token = self.csrf(html)
        if not token:
            return
        if random.random() < 2 / 3:
            self.submit(
                f"/requests/offers/{offer_id}/accept",
                {"csrf_token": token, "no_conflict_of_interest": "y"},
                expect=r"^/requests/assignments/\d+$", name="/requests/offers/[id]/accept",
            )  # fmt: skip
        else:
            self.submit(
                f"/requests/offers/{offer_id}/decline",
                {"csrf_token": token, "decline_reason": "Ich habe an dem Tag keine Zeit."},
                expect=r"^/requests/offers$", name="/requests/offers/[id]/decline",
            )  # fmt: skip

    @task(2)
    def assignment(self) -> None:
        if not self.assignment_ids:
            return self.offers()
        self.page(f"/requests/assignments/{random.choice(self.assignment_ids)}",
                  name="/requests/assignments/[id]")  # fmt: skip

    @task(1)
    def own_pages(self) -> None:
        self.page(random.choice(["/me/availability", "/me/guidelines", "/me/profile",
                                 "/nachrichten"]))  # fmt: skip


ADMIN_PAGES = ("/admin/", "/admin/users", "/admin/pools", "/admin/offices", "/admin/messages",
               "/admin/trainings", "/admin/guidelines", "/admin/domains", "/requests/",
               "/mediators/")  # fmt: skip


class Admin(PoolUser):
    """Looks through the admin pages."""

    role = "admin"
    weight = 1

    @task
    def admin_page(self) -> None:
        self.page(random.choice(ADMIN_PAGES))


class ApiClient(HttpUser):
    """A specialist system with the coordinator's API token: lists requests, reads one and its
    candidates."""

    weight = 1
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        self.client.headers["Authorization"] = f"Bearer {API_TOKEN}"
        self.request_ids: list[int] = []
        self.cursor: str | None = None

    def get_json(
        self, path: str, params: dict | None = None, name: str | None = None
    ) -> dict | None:
        with self.client.get(path, params=params, name=name, allow_redirects=False,
                             catch_response=True) as r:  # fmt: skip
            if r.status_code != 200:
                r.failure(f"status {r.status_code}: {r.text[:200]}")
                return None
            try:
                return r.json()
            except ValueError:
                r.failure("not JSON")
                return None

    @task(3)
    def list_requests(self) -> None:
        """Open requests, page by page (from the start again after the last page)."""
        params = {"status": "open", "limit": 50, **({"cursor": self.cursor} if self.cursor else {})}
        body = self.get_json("/api/v1/requests", params, name="/api/v1/requests?status=open")
        if body is not None:
            self.request_ids = [item["id"] for item in body["items"]] or self.request_ids
            self.cursor = body["next"]

    @task(2)
    def request(self) -> None:
        if not self.request_ids:
            return self.list_requests()
        self.get_json(f"/api/v1/requests/{random.choice(self.request_ids)}",
                      name="/api/v1/requests/[id]")  # fmt: skip

    @task(2)
    def candidates(self) -> None:
        if not self.request_ids:
            return self.list_requests()
        self.get_json(f"/api/v1/requests/{random.choice(self.request_ids)}/candidates",
                      name="/api/v1/requests/[id]/candidates")  # fmt: skip
