"""The language overview: counts of deployable mediators by language and pool, as a page,
CSV and PDF, and the public version without names."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import Page
from pypdf import PdfReader
from sqlalchemy import select

from pool.db import utcnow
from pool.models import AuditEvent, Mediator, Pool
from pool.services import mediators as registry
from pool.services.mediators import LanguageSkill
from tests import factories
from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in
from tests.conftest import csrf_token
from tests.helpers import fresh, text

NAMES = [
    "Amira Beispiel",
    "Bahram Muster",
    "Cem Probe",
    "Dana Entwurf",
    "Emre Pause",
    "Fedir Stadt",
]


@pytest.fixture
def world(app, db, demo):
    """Landkreis: Arabic ×3 (in person 2, phone 2, video 1), Persian ×1 (video), Turkish and
    Hungarian ×1 (in person, phone); an applicant (Ukrainian) and a paused mediator (Turkish) do not count.
    Stadt Neustadt: Ukrainian ×1, Turkish ×1."""
    now = utcnow()
    factories.catalogue(app, db, now=now)
    district, town = factories.district(db), factories.town(db)
    coordinator = factories.user(db, demo.coordinator)

    def deployable(name, pool, languages):
        email = name.split()[0].lower() + "@example.org"
        return factories.deployable_mediator(
            app, db, pool=pool, email=email, name=name, languages=languages, now=now
        )

    deployable(NAMES[0], district, (("ar", "native"), ("tr", "C1")))
    video = deployable(NAMES[1], district, (("ar", "C1"), ("fa", "native")))
    deployable(NAMES[2], district, (("ar", "B2"), ("hu", "native")))
    paused = deployable(NAMES[4], district, (("tr", "native"),))
    deployable(NAMES[5], town, (("uk", "native"), ("tr", "B2")))
    with app.test_request_context():
        registry.update_mediator(db, actor=coordinator, mediator=video, now=now,
                                 values={"modes": ["video"]})  # fmt: skip
        registry.change_status(db, actor=coordinator, mediator=paused, to_status="paused",
                               reason="Elternzeit", now=now)  # fmt: skip
        registry.create_mediator(
            db, actor=coordinator, pool=district, now=now, invite=False,
            values={"name": NAMES[3], "email": "dana@example.org",
                    "languages": [LanguageSkill("uk", "native")], "modes": ["in_person"],
                    "municipalities": ["Musterdorf"]},
        )  # fmt: skip
    db.commit()
    deployable_names = set(db.scalars(select(Mediator.name).where(Mediator.deployable)))
    assert deployable_names == {NAMES[0], NAMES[1], NAMES[2], NAMES[5]}
    return {"district": district.id, "town": town.id}


def _switch_public(db, pool_id: int, on: bool = True) -> None:
    fresh(db)
    db.get(Pool, pool_id).public_overview = on
    db.commit()


def _rows(page: str) -> list[str]:
    """The table rows of a page as plain text, one string per row."""
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>")[:-1]]


# --- the internal page and the downloads ----------------------------------------------------------


def test_admin_sees_counts_and_modes_per_language_and_pool(login_as, world):
    page = text(login_as("admin").get("/berichte/sprachen"))
    assert "<h1>Sprachen im Pool</h1>" in page
    assert '<th scope="col">Landkreis</th><th scope="col">Stadt Neustadt</th>' in page
    assert _rows(page) == [
        "Arabisch 3 vor Ort, Telefon, Video 0",
        "Persisch 1 Video 0",
        "Türkisch 1 vor Ort, Telefon 1 vor Ort, Telefon",
        "Ukrainisch 0 1 vor Ort, Telefon",
        "Ungarisch 1 vor Ort, Telefon 0",
    ]
    for name in NAMES:
        assert name not in page


def test_language_names_are_in_the_readers_language_and_sorted(client, db, world):
    _switch_public(db, world["district"])
    page = text(client.get(f"/sprachen/{world['district']}", headers={"Accept-Language": "en"}))
    assert [row.split()[0] for row in _rows(page)] == ["Arabic", "Hungarian", "Persian", "Turkish"]


def test_coordinator_sees_only_their_pool(login_as, world):
    client = login_as("coordinator")
    page = text(client.get("/berichte/sprachen"))
    assert '<th scope="col">Landkreis</th>' in page
    assert "Stadt Neustadt" not in page
    assert _rows(page) == [
        "Arabisch 3 vor Ort, Telefon, Video",
        "Persisch 1 Video",
        "Türkisch 1 vor Ort, Telefon",
        "Ungarisch 1 vor Ort, Telefon",
    ]
    # Filtering for the own pool works, another pool is refused everywhere.
    assert client.get(f"/berichte/sprachen?pool={world['district']}").status_code == 200
    for url in ("/berichte/sprachen", "/berichte/sprachen.csv", "/berichte/sprachen.pdf"):
        assert client.get(f"{url}?pool={world['town']}").status_code == 403, url
        assert client.get(f"{url}?pool=abc").status_code == 404, url
        assert client.get(f"{url}?pool=99999999").status_code == 404, url
        assert client.get(f"{url}?pool=99999999999999").status_code == 404, url


@pytest.mark.parametrize("role", ["caseworker", "mediator"])
def test_other_roles_get_403(login_as, world, role):
    client = login_as(role)
    for url in ("/berichte/sprachen", "/berichte/sprachen.csv", "/berichte/sprachen.pdf"):
        assert client.get(url).status_code == 403, url


def test_signed_out_goes_to_login(client, world):
    for url in ("/berichte/sprachen", "/berichte/sprachen.csv", "/berichte/sprachen.pdf"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.location, url


def test_csv_is_semicolon_separated_utf8_with_bom(login_as, world):
    response = login_as("admin").get("/berichte/sprachen.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows == [
        ["Sprache", "Pool", "Einsetzbare Sprachmittler:innen", "davon vor Ort", "davon Telefon",
         "davon Video"],
        ["Arabisch", "Landkreis", "3", "2", "2", "1"],
        ["Persisch", "Landkreis", "1", "0", "0", "1"],
        ["Türkisch", "Landkreis", "1", "1", "1", "0"],
        ["Türkisch", "Stadt Neustadt", "1", "1", "1", "0"],
        ["Ukrainisch", "Stadt Neustadt", "1", "1", "1", "0"],
        ["Ungarisch", "Landkreis", "1", "1", "1", "0"],
    ]  # fmt: skip


def test_pdf_holds_the_table(login_as, world):
    response = login_as("coordinator").get("/berichte/sprachen.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    content = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)
    assert "Sprachen im Pool" in content
    assert "Landkreis · Stand:" in content
    assert "Arabisch Landkreis 3 2 2 1" in content
    assert "Türkisch Landkreis 1 1 1 0" in content
    assert "Stadt Neustadt" not in content
    assert "Seite 1 von 1" in content
    for name in NAMES:
        assert name not in content


# --- the public page --------------------------------------------------------------------------


def test_public_page_is_404_until_the_pool_switches_it_on(client, db, world):
    assert client.get(f"/sprachen/{world['district']}").status_code == 404
    assert client.get("/sprachen/99999999").status_code == 404
    _switch_public(db, world["district"])
    assert client.get(f"/sprachen/{world['district']}").status_code == 200
    assert client.get(f"/sprachen/{world['town']}").status_code == 404


def test_public_page_shows_no_names_and_hides_small_counts(client, db, world):
    _switch_public(db, world["district"])
    response = client.get(f"/sprachen/{world['district']}")
    page = text(response)
    assert _rows(page) == [
        "Arabisch 3 vor Ort, Telefon, Video",
        "Persisch weniger als 3 Video",
        "Türkisch weniger als 3 vor Ort, Telefon",
        "Ungarisch weniger als 3 vor Ort, Telefon",
    ]
    for secret in [*NAMES, "@example.org", "Neustadt", "Musterdorf"]:
        assert secret not in page, secret
    assert "Abmelden" not in page  # served without sign-in


def test_internal_page_links_the_public_one_when_it_is_on(login_as, db, world):
    client = login_as("coordinator")
    assert "Öffentliche Übersicht ansehen" not in text(client.get("/berichte/sprachen"))
    _switch_public(db, world["district"])
    page = text(client.get("/berichte/sprachen"))
    assert "Öffentliche Übersicht ansehen" in page
    assert f'href="/sprachen/{world["district"]}"' in page


def test_admin_switches_the_public_overview_in_the_pool_form(login_as, db, world):
    client = login_as("admin")
    url = f"/admin/pools/{world['district']}/edit"
    assert "Öffentliche Sprachenübersicht zeigen" in text(client.get(url))
    values = {
        "csrf_token": csrf_token(client, url),
        "name": "Landkreis",
        "kind": "district",
        "federal_state": db.get(Pool, world["district"]).federal_state,
        "contact_email": "dolmetscherpool@demo.example",
        "contact_phone": "0521 123-4567",
        "shares_with": str(world["town"]),
        "settings_shown": "1",
        "min_german_level": "B1",
        "requires_formal_obligation": "y",
        "rejected_retention_days": "90",
        "reminder_hours": "48, 2",
        "unconfirmed_alert_hours": "24",
        "unassigned_alert_hours": "48",
        "public_overview": "y",
    }
    assert client.post(url, data=values).status_code == 302
    fresh(db)
    assert db.get(Pool, world["district"]).public_overview is True
    event = db.scalars(
        select(AuditEvent).where(AuditEvent.action == "pool.updated").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.details["fields"] == ["public_overview"]
    assert client.get(f"/sprachen/{world['district']}").status_code == 200

    del values["public_overview"]
    assert client.post(url, data=values).status_code == 302
    fresh(db)
    assert db.get(Pool, world["district"]).public_overview is False


# --- browser ----------------------------------------------------------------------------------


def test_pages_are_accessible(world, db, demo, page: Page, live_url):
    _switch_public(db, world["district"])
    page.goto(f"{live_url}/sprachen/{world['district']}")
    assert page.get_by_role("cell", name="weniger als 3").first.is_visible()
    assert_accessible(page, "the public language overview")
    page.set_viewport_size(PHONE)
    assert_no_horizontal_scroll(page, "the public language overview")

    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_url, demo.admin, demo.password)
    page.goto(f"{live_url}/berichte/sprachen")
    assert page.get_by_role("heading", name="Sprachen im Pool").is_visible()
    assert_accessible(page, "the language overview")
    page.set_viewport_size(PHONE)
    assert_no_horizontal_scroll(page, "the language overview")
