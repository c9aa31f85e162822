"""The public page "Sprachmittler:in werden": no sign-in, a short form, kind refusals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from pool.models import AuditEvent, Mediator, OutboxMessage, User
from tests.conftest import csrf_token
from tests.factories import district, town
from tests.helpers import fresh, outbox_for, text

URL = "/mitmachen/"


def _form(client, db, **overrides):
    data = {
        "csrf_token": csrf_token(client, URL),
        "pool_id": str(district(db).id),
        "name": "Layla Haddad",
        "email": "layla@example.org",
        "phone": "0171 999888",
        "birth_year": "1990",
        "languages-0-code": "ar",
        "languages-0-level": "native",
        "languages-0-dialects": "Levantinisch",
        "languages-1-code": "",
        "languages-1-level": "",
        "languages-1-dialects": "",
        "german_level": "B2",
        "municipalities": "Neustadt, Altdorf",
        "modes": ["in_person", "phone"],
        "times": "Dienstag und Donnerstag ab 14 Uhr",
        "consent": "y",
        "submit": "Bewerbung absenden",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _mediators(db) -> list[Mediator]:
    fresh(db)
    return list(db.scalars(select(Mediator).order_by(Mediator.id)))


def test_the_page_needs_no_sign_in_and_explains_who_can_join(demo, client):
    response = client.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "Sprachmittler:in werden" in page
    assert "mindestens 18 Jahre alt" in page
    assert "B1" in page  # the pools' minimum German level
    assert "Wann haben Sie meistens Zeit?" in page
    assert "Landkreis" in page and "Stadt Neustadt" in page


def test_the_sign_in_page_links_to_it(demo, client):
    assert 'href="/mitmachen/"' in text(client.get("/login"))


def test_an_application_creates_an_applicant_and_tells_the_coordination(app, db, demo, client):
    response = client.post(URL, data=_form(client, db))
    assert response.status_code == 302, text(response)
    assert response.headers["Location"].endswith("/mitmachen/danke")
    assert "die Koordination meldet sich" in text(client.get("/mitmachen/danke")).replace(
        "Die Koordination", "die Koordination"
    )
    [mediator] = _mediators(db)
    assert (mediator.name, mediator.email, mediator.status) == (
        "Layla Haddad", "layla@example.org", "applied",
    )  # fmt: skip
    assert mediator.pool_id == district(db).id
    assert [(r.language_code, r.level, r.dialects) for r in mediator.languages] == [
        ("ar", "native", ["Levantinisch"])
    ]
    assert (mediator.german_level, mediator.birth_year, mediator.phone) == (
        "B2", 1990, "0171 999888",
    )  # fmt: skip
    assert mediator.modes == ["in_person", "phone"]
    assert mediator.municipalities == ["Altdorf", "Neustadt"]
    assert mediator.notes == "Dienstag und Donnerstag ab 14 Uhr"
    assert mediator.data_consent_at is not None
    assert mediator.kind == "volunteer"
    [mail] = outbox_for(db, demo.coordinator)
    assert mail.kind == "application_received"
    assert "Landkreis" in mail.body_text and "Layla" not in mail.subject
    # The applicant gets no invitation before the coordination activates them.
    assert outbox_for(db, "layla@example.org") == []
    # No personal data in the URL of the thank-you page.
    assert "layla" not in response.headers["Location"]


def test_the_adult_checkbox_is_enough_without_a_birth_year(db, demo, client):
    response = client.post(URL, data=_form(client, db, birth_year="", adult_confirmed="y"))
    assert response.status_code == 302
    [mediator] = _mediators(db)
    assert mediator.adult_confirmed is True and mediator.birth_year is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"birth_year": str(date.today().year - 15)}, "ab 18 Jahren"),
        ({"birth_year": str(date.today().year - 15), "adult_confirmed": "y"}, "ab 18 Jahren"),
        ({"birth_year": ""}, "ab 18 Jahren"),
        ({"german_level": "A2"}, "mindestens auf Niveau B1"),
        ({"consent": None}, "Bitte stimmen Sie der Verarbeitung Ihrer Daten zu."),
        ({"languages-0-code": ""}, "Bitte wählen Sie die Sprache."),
        (
            {"languages-0-code": "", "languages-0-level": "", "languages-0-dialects": ""},
            "mindestens eine Sprache",
        ),
        ({"email": "keine-adresse"}, "gültige E-Mail-Adresse"),
        ({"name": ""}, "Bitte geben Sie Ihren Namen ein."),
        ({"name": "Layla\x00"}, "Steuerzeichen"),
        ({"pool_id": "999999999999999"}, "Bitte wählen Sie einen Eintrag aus der Liste."),
        ({"pool_id": "99999999999999999999"}, "Bitte wählen Sie einen Pool."),
        ({"pool_id": "abc"}, "Bitte wählen Sie einen Pool."),
        ({"birth_year": "neunzehnhundert"}, "ganze Zahl"),
        ({"modes": "teleport"}, "nur Einträge aus der Liste"),
        ({"times": "x" * 5000}, "Höchstens 1000 Zeichen."),
    ],
)
def test_refusals_are_kind_keep_the_input_and_create_nothing(db, demo, client, overrides, message):
    response = client.post(URL, data=_form(client, db, **overrides))
    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert 'class="error-summary"' in page
    if "name" not in overrides:
        assert 'value="Layla Haddad"' in page
    assert _mediators(db) == []
    assert db.scalar(select(func.count(OutboxMessage.id))) == 0


def test_the_towns_own_minimum_level_counts(db, demo, client):
    response = client.post(URL, data=_form(client, db, pool_id=str(town(db).id), german_level="B1"))
    assert response.status_code == 302
    assert _mediators(db)[0].pool_id == town(db).id


def test_the_same_address_twice_gets_the_same_kind_answer_and_nothing_more(db, demo, client):
    first = client.post(URL, data=_form(client, db))
    second = client.post(
        URL, data=_form(client, db, name="Someone Else", email="LAYLA@example.org")
    )
    assert second.status_code == first.status_code == 302
    assert second.headers["Location"] == first.headers["Location"]
    [mediator] = _mediators(db)
    assert mediator.name == "Layla Haddad"
    assert len(outbox_for(db, demo.coordinator)) == 1
    assert db.scalars(
        select(AuditEvent).where(AuditEvent.action == "mediator.application_repeated")
    ).one()


def test_an_existing_mediator_account_is_not_revealed(db, demo, client):
    """The demo mediator has an account; applying with it answers like any application."""
    response = client.post(URL, data=_form(client, db, email=demo.mediator))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/mitmachen/danke")


def test_the_add_language_button_keeps_the_input(db, demo, client):
    data = _form(client, db, add_language="Weitere Sprache hinzufügen")
    del data["submit"]
    response = client.post(URL, data=data)
    assert response.status_code == 200
    page = text(response)
    assert 'name="languages-2-code"' in page and 'value="Layla Haddad"' in page
    assert _mediators(db) == []


def test_no_csrf_token_no_application(db, demo, client):
    data = _form(client, db)
    del data["csrf_token"]
    assert client.post(URL, data=data).status_code == 400
    assert _mediators(db) == []
    fresh(db)
    assert db.scalars(select(User).where(User.email == "layla@example.org")).first() is None
