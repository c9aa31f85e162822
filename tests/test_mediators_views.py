"""The coordinators' registry pages: list with search, filters, sorting and CSV export; detail with
checks, status, trainings and history; creating and editing; who may see and change what."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert, select

from pool.db import utcnow
from pool.i18n import format_day
from pool.models import AuditEvent, Mediator, MediatorLanguage, Pool, Training
from pool.services import mediators as registry
from pool.services.mediators import LanguageSkill, add_months
from tests.conftest import csrf_token, login
from tests.factories import catalogue, deployable_mediator, district, town, user
from tests.helpers import fresh, outbox_for, text

COORDINATOR = "koordination@demo.example"


@pytest.fixture
def ready(app, db, demo):
    return catalogue(app, db)


def third_pool(db) -> Pool:
    pool = Pool(name="Anderswo", kind="district", federal_state="BY")
    db.add(pool)
    db.commit()
    return pool


def applicant(app, db, *, pool: Pool, email: str, name: str, languages=(("fa", "C1"),), **values):
    """An ``applied`` mediator without any checks."""
    with app.test_request_context():
        mediator = registry.create_mediator(
            db, actor=user(db, COORDINATOR), pool=pool, now=utcnow(), invite=False,
            values={"name": name, "email": email,
                    "languages": [LanguageSkill(c, lvl) for c, lvl in languages], **values},
        )  # fmt: skip
    db.commit()
    return mediator


def as_coordinator(client):
    response = login(client, COORDINATOR)
    assert response.status_code == 302
    return client


def post(client, url: str, data: dict, *, token_from: str):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, token_from)})


# --- who sees what ----------------------------------------------------------------------------------


def test_coordinator_sees_own_and_shared_pools_but_not_an_unrelated_one(app, db, ready, client):
    own = deployable_mediator(app, db, pool=district(db), email="own@demo.example", name="Olga Own")
    shared = deployable_mediator(
        app, db, pool=town(db), email="sh@demo.example", name="Sami Shared"
    )
    other = applicant(app, db, pool=third_pool(db), email="x@else.example", name="Xaver Fremd")
    as_coordinator(client)

    page = text(client.get("/mediators/"))
    assert "Olga Own" in page and "Sami Shared" in page
    assert "Xaver Fremd" not in page
    row = page[page.index("Sami Shared") : page.index("Sami Shared") + 300]
    assert "nur lesen" in row
    assert "2 Personen gefunden" in page

    own_page = text(client.get(f"/mediators/{own.id}"))
    assert "Angaben bearbeiten" in own_page and "Prüfungen speichern" in own_page

    shared_page = client.get(f"/mediators/{shared.id}")
    assert shared_page.status_code == 200
    body = text(shared_page)
    assert "nur ansehen" in body
    for action in ("Angaben bearbeiten", "Prüfungen speichern", "Schulung eintragen", "Pausieren"):
        assert action not in body
    token = csrf_token(client, "/mediators/")
    for url in ("checks", "status", "trainings", "release", "edit"):
        response = client.post(
            f"/mediators/{shared.id}/{url}", data={"csrf_token": token, "to_status": "paused"}
        )
        assert response.status_code == 403, url
    assert client.get(f"/mediators/{shared.id}/edit").status_code == 403

    assert client.get(f"/mediators/{other.id}").status_code == 403
    assert client.get(f"/mediators/{other.id}/edit").status_code == 403
    fresh(db)
    denied = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "access.denied", AuditEvent.object_id == other.id
        )
    ).all()
    assert denied


@pytest.mark.parametrize("role", ["caseworker", "mediator"])
def test_caseworkers_and_mediators_get_403_everywhere(app, db, ready, client, login_as, role):
    mediator = deployable_mediator(app, db, pool=district(db), email="m@demo.example")
    login_as(role)
    for url in ("/mediators/", "/mediators/new", f"/mediators/{mediator.id}",
                f"/mediators/{mediator.id}/edit"):  # fmt: skip
        assert client.get(url).status_code == 403, url
    token = csrf_token(client, "/profile")
    for url in ("/mediators/", "/mediators/export", "/mediators/new",
                f"/mediators/{mediator.id}/checks", f"/mediators/{mediator.id}/status",
                f"/mediators/{mediator.id}/trainings", f"/mediators/{mediator.id}/release"):  # fmt: skip
        assert client.post(url, data={"csrf_token": token}).status_code == 403, url


def test_signed_out_visitors_are_sent_to_the_sign_in_page(client, demo):
    response = client.get("/mediators/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_admin_manages_every_pool(app, db, ready, client):
    other = applicant(app, db, pool=third_pool(db), email="x@else.example", name="Xaver Fremd")
    login(client, "admin@demo.example")
    assert "Xaver Fremd" in text(client.get("/mediators/"))
    assert "Prüfungen speichern" in text(client.get(f"/mediators/{other.id}"))


# --- the list -----------------------------------------------------------------------------------------


def test_search_is_sent_by_post_and_no_name_appears_in_a_url(app, db, ready, client):
    applicant(app, db, pool=district(db), email="amal@demo.example", name="Amal Haddad")
    applicant(app, db, pool=district(db), email="bashir@demo.example", name="Bashir Noori")
    as_coordinator(client)

    response = post(
        client, "/mediators/", {"q": "haddad", "language": "fa"}, token_from="/mediators/"
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "haddad" not in location.lower() and "q=" not in location
    assert "language=fa" in location

    page = text(client.get(location))
    assert "Amal Haddad" in page and "Bashir Noori" not in page
    assert "haddad" not in "".join(re.findall(r'href="([^"]*)"', page)).lower()
    # The search stays in the session, not in a URL: the plain list still shows it applied.
    assert "Bashir Noori" not in text(client.get("/mediators/"))
    # By e-mail address, too.
    post(client, "/mediators/", {"q": "bashir@"}, token_from="/mediators/")
    page = text(client.get("/mediators/"))
    assert "Bashir Noori" in page and "Amal Haddad" not in page
    # Reset.
    post(client, "/mediators/", {"reset": "1"}, token_from="/mediators/")
    page = text(client.get("/mediators/"))
    assert "Bashir Noori" in page and "Amal Haddad" in page


def test_filters_by_language_dialect_status_kind_place_domain_and_deployable(
    app, db, ready, client
):
    deployable_mediator(app, db, pool=district(db), email="ar@demo.example", name="Arabisch Bereit")
    applicant(app, db, pool=district(db), email="fa@demo.example", name="Farsi Neu",
              municipalities=["Altdorf"], domains=["health"])  # fmt: skip
    staff = applicant(app, db, pool=district(db), email="st@demo.example", name="Staff Person",
                      languages=(("ar", "C2"),), kind="staff")  # fmt: skip
    with app.test_request_context():
        registry.update_mediator(
            db, actor=user(db, COORDINATOR), mediator=staff, now=utcnow(),
            values={"languages": [LanguageSkill("ar", "C2", ("Ägyptisch", "Levantinisch"))]},
        )  # fmt: skip
    db.commit()
    as_coordinator(client)

    def names(url):
        response = client.get(url)
        assert response.status_code == 200, url
        page = text(response)
        return {n for n in ("Arabisch Bereit", "Farsi Neu", "Staff Person") if n in page}

    assert names("/mediators/?language=ar") == {"Arabisch Bereit", "Staff Person"}
    assert names("/mediators/?language=fa") == {"Farsi Neu"}
    assert names("/mediators/?deployable=yes") == {"Arabisch Bereit"}
    assert names("/mediators/?deployable=no") == {"Farsi Neu", "Staff Person"}
    assert names("/mediators/?status=applied") == {"Farsi Neu", "Staff Person"}
    assert names("/mediators/?status=active") == {"Arabisch Bereit"}
    assert names("/mediators/?kind=staff") == {"Staff Person"}
    assert names("/mediators/?domain=health") == {"Farsi Neu"}
    assert names("/mediators/?language=ar&deployable=no") == {"Staff Person"}

    for dialect in ("levantin", "ägyptisch", "Ägypt"):
        post(client, "/mediators/", {"dialect": dialect}, token_from="/mediators/")
        assert names("/mediators/") == {"Staff Person"}, dialect
    post(
        client, "/mediators/", {"dialect": "", "municipality": "altdorf"}, token_from="/mediators/"
    )
    assert names("/mediators/") == {"Farsi Neu"}

    # Reasons for the non-deployable rows are shown in plain language.
    post(client, "/mediators/", {"reset": "1"}, token_from="/mediators/")
    page = text(client.get("/mediators/?deployable=no&language=ar"))
    assert "Die Freigabe der Vorgesetzten fehlt." in page
    assert "Das Erstgespräch fehlt noch." in page


def test_sorting_and_pagination(app, db, ready, client):
    pool_id = district(db).id
    now = utcnow()
    db.execute(
        insert(Mediator),
        [_row(pool_id, i, now - timedelta(minutes=i)) for i in range(60)],
    )
    db.commit()
    as_coordinator(client)
    first = text(client.get("/mediators/"))
    assert "Person 0000" in first and "Person 0059" not in first
    assert "Seite 1 von 2" in first
    second = text(client.get("/mediators/?page=2"))
    assert "Person 0059" in second and "Person 0000" not in second
    newest = text(client.get("/mediators/?sort=newest"))
    assert newest.index("Person 0000") < newest.index("Person 0001")
    assert client.get("/mediators/?page=999999999999").status_code == 200


def _row(pool_id: int, i: int, now) -> dict:
    return {
        "pool_id": pool_id, "kind": "volunteer", "status": "active" if i % 2 else "applied",
        "name": f"Person {i:04d}", "email": f"p{i}@bulk.example", "municipalities": ["Neustadt"],
        "deployable": False, "deployability_codes": ["interview_missing"],
        "created_at": now, "updated_at": now, "status_changed_at": now,
    }  # fmt: skip


def _bulk(db, pool_id: int, start: int, count: int) -> None:
    now = utcnow()
    db.execute(insert(Mediator), [_row(pool_id, i, now) for i in range(start, start + count)])
    ids = db.scalars(
        select(Mediator.id).where(Mediator.email.like("%@bulk.example")).order_by(Mediator.id)
    ).all()
    have = set(db.scalars(select(MediatorLanguage.mediator_id)))
    db.execute(
        insert(MediatorLanguage),
        [
            {"mediator_id": mid, "language_code": "ar", "level": "native", "dialects": ["Irakisch"]}
            for mid in ids
            if mid not in have
        ],
    )
    db.commit()


def test_the_list_issues_the_same_number_of_statements_for_10_and_210_mediators(
    app, db, ready, client
):
    deployable_mediator(app, db, pool=town(db), email="shared@demo.example")
    pool_id = district(db).id
    _bulk(db, pool_id, 0, 10)
    as_coordinator(client)
    engine = app.extensions["pool_db"].engine
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    def measure(url: str) -> list[str]:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200
        return list(statements)

    measure("/mediators/")  # warm up
    small = measure("/mediators/")
    small_filtered = measure("/mediators/?language=ar&status=active&sort=status")
    _bulk(db, pool_id, 10, 200)
    large = measure("/mediators/")
    large_filtered = measure("/mediators/?language=ar&status=active&sort=status")
    assert "211 Personen gefunden" in text(client.get("/mediators/"))
    assert len(small) == len(large), "\n".join(large)
    assert len(small_filtered) == len(large_filtered)
    assert len(large) < 25


# --- creating -------------------------------------------------------------------------------------------


def _mediator_form(**overrides) -> dict:
    data = {
        "name": "Layla Nasser",
        "email": "layla@demo.example",
        "phone": "+49 170 1234567",
        "kind": "volunteer",
        "gender": "female",
        "german_level": "C1",
        "languages-0-code": "ar",
        "languages-0-level": "native",
        "languages-0-dialects": "Levantinisch, Irakisch",
        "languages-1-code": "fr",
        "languages-1-level": "B2",
        "modes": ["in_person", "video"],
        "domains": ["education", "health"],
        "municipalities": "Neustadt, Altdorf",
        "travel_km": "15",
        "monthly_cap": "4",
        "notes": "",
        "employing_office_id": "",
        "supervisor_release_by": "",
        "supervisor_release_until": "",
    }
    data.update(overrides)
    return data


def test_creating_a_mediator_invites_them_and_shows_the_record(app, db, ready, client):
    as_coordinator(client)
    form_page = text(client.get("/mediators/new"))
    for row in range(5):
        assert f'name="languages-{row}-code"' in form_page
    assert ">Arabisch</option>" in form_page
    pool_id = district(db).id
    response = post(client, "/mediators/new", _mediator_form(pool_id=str(pool_id)),
                    token_from="/mediators/new")  # fmt: skip
    assert response.status_code == 302, text(response)
    fresh(db)
    mediator = db.scalars(select(Mediator).where(Mediator.email == "layla@demo.example")).one()
    assert response.headers["Location"].endswith(f"/mediators/{mediator.id}")
    assert mediator.status == "applied" and mediator.pool_id == pool_id
    assert [(r.language_code, r.level, r.dialects) for r in mediator.languages] == [
        ("ar", "native", ["Levantinisch", "Irakisch"]),
        ("fr", "B2", []),
    ]
    assert mediator.modes == ["in_person", "video"]
    assert sorted(mediator.domain_codes) == ["education", "health"]
    assert mediator.municipalities == ["Altdorf", "Neustadt"]
    assert mediator.user is not None and mediator.user.has_role("mediator")
    assert [m.kind for m in outbox_for(db, "layla@demo.example")] == ["invite"]

    page = text(client.get(response.headers["Location"]))
    assert "Layla Nasser" in page and "Levantinisch, Irakisch" in page
    assert "Angelegt" in page and "Karin Koordination" in page  # the change history
    assert "Die Bewerbung ist noch nicht freigeschaltet." in page


def test_creating_with_mistakes_keeps_the_input_and_explains(app, db, ready, client):
    as_coordinator(client)
    pool_id = str(district(db).id)
    response = post(
        client, "/mediators/new",
        _mediator_form(pool_id=pool_id, **{"languages-0-level": "", "languages-1-code": ""},
                       modes=[], travel_km="viele"),
        token_from="/mediators/new",
    )  # fmt: skip
    assert response.status_code == 400
    page = text(response)
    assert "Sprache 1: Bitte wählen Sie das Niveau." in page
    assert "Sprache 2: Bitte wählen Sie die Sprache." in page
    assert "Bitte geben Sie eine ganze Zahl von 0 bis 1000 ein." in page
    assert 'value="Layla Nasser"' in page
    # No language at all, no mode: the service's messages.
    response = post(
        client, "/mediators/new",
        _mediator_form(pool_id=pool_id, **{"languages-0-code": "", "languages-0-level": "",
                                           "languages-0-dialects": "", "languages-1-code": "",
                                           "languages-1-level": ""}),
        token_from="/mediators/new",
    )  # fmt: skip
    assert response.status_code == 400
    assert "Bitte geben Sie mindestens eine Sprache an." in text(response)
    # The same e-mail address twice.
    deployable_mediator(app, db, pool=district(db), email="taken@demo.example")
    response = post(client, "/mediators/new",
                    _mediator_form(pool_id=pool_id, email="taken@demo.example"),
                    token_from="/mediators/new")  # fmt: skip
    assert response.status_code == 400
    assert "Es gibt schon eine Person mit dieser E-Mail-Adresse." in text(response)
    # A pool the coordinator does not manage.
    response = post(client, "/mediators/new", _mediator_form(pool_id=str(town(db).id)),
                    token_from="/mediators/new")  # fmt: skip
    assert response.status_code == 400
    fresh(db)
    assert (
        db.scalars(select(Mediator).where(Mediator.email == "layla@demo.example")).first() is None
    )


def test_editing_changes_the_profile_and_the_history_names_the_fields(app, db, ready, client):
    mediator = deployable_mediator(app, db, pool=district(db), email="ed@demo.example", name="Edda")
    as_coordinator(client)
    url = f"/mediators/{mediator.id}/edit"
    page = text(client.get(url))
    assert 'value="ed@demo.example"' in page
    data = _mediator_form(name="Edda", email="ed@demo.example", phone="0151 000",
                          **{"languages-0-dialects": "Maghrebinisch"})  # fmt: skip
    response = post(client, url, data, token_from=url)
    assert response.status_code == 302, text(response)
    detail = text(client.get(f"/mediators/{mediator.id}"))
    assert "0151 000" in detail and "Maghrebinisch" in detail
    assert "Angaben geändert" in detail
    history = detail[detail.index("Änderungsverlauf") :]
    assert "Telefon" in history and "Sprachen" in history
    assert "0151 000" not in history  # field names only, never values


# --- checks, status, trainings ------------------------------------------------------------------------


def test_activation_without_checks_shows_the_reason_then_checks_allow_it(app, db, ready, client):
    person = applicant(app, db, pool=district(db), email="neu@demo.example", name="Nora Neu")
    as_coordinator(client)
    detail = f"/mediators/{person.id}"
    assert "Freischalten" in text(client.get(detail))
    assert ">Pausieren</button>" not in text(
        client.get(detail)
    )  # only allowed changes have a button

    refused = post(client, f"{detail}/status", {"to_status": "active"}, token_from=detail)
    assert refused.status_code == 400
    page = text(refused)
    assert "Freischalten geht noch nicht" in page
    assert "Das Erstgespräch ist nicht eingetragen." in page
    fresh(db)
    assert db.get(Mediator, person.id).status == "applied"

    today = date.today()
    checks = {
        "interview_on": today.isoformat(),
        "confidentiality_signed_on": today.strftime("%d.%m.%Y"),
        "obligation_on": today.isoformat(),
        "police_certificate_seen_on": (today - timedelta(days=10)).isoformat(),
        "police_certificate_no_entry": "y",
    }
    response = post(client, f"{detail}/checks", checks, token_from=detail)
    assert response.status_code == 302, text(response)
    fresh(db)
    saved = db.get(Mediator, person.id)
    assert saved.interview_on == today and saved.police_certificate_no_entry is True
    page = text(client.get(detail))
    assert "Prüfungen eingetragen" in page
    assert "Das Dokument selbst wird nie gespeichert" in page

    response = post(client, f"{detail}/status", {"to_status": "active"}, token_from=detail)
    assert response.status_code == 302
    fresh(db)
    assert db.get(Mediator, person.id).status == "active"
    assert "invite" in [m.kind for m in outbox_for(db, "neu@demo.example")]


def test_checks_refuse_future_dates_and_no_entry_without_date(app, db, ready, client):
    person = applicant(app, db, pool=district(db), email="neu@demo.example", name="Nora Neu")
    as_coordinator(client)
    detail = f"/mediators/{person.id}"
    future = (date.today() + timedelta(days=3)).isoformat()
    response = post(client, f"{detail}/checks", {"interview_on": future}, token_from=detail)
    assert response.status_code == 400
    assert "Das Datum darf nicht in der Zukunft liegen." in text(response)
    response = post(client, f"{detail}/checks", {"police_certificate_no_entry": "y"},
                    token_from=detail)  # fmt: skip
    assert response.status_code == 400
    assert "Bitte geben Sie an, wann das Führungszeugnis eingesehen wurde." in text(response)


def test_a_status_change_with_its_reason_appears_in_the_history(app, db, ready, client):
    mediator = deployable_mediator(app, db, pool=district(db), email="p@demo.example", name="Paula")
    as_coordinator(client)
    detail = f"/mediators/{mediator.id}"
    response = post(client, f"{detail}/status", {"to_status": "paused", "reason": ""},
                    token_from=detail)  # fmt: skip
    assert response.status_code == 400
    assert "Bitte geben Sie einen Grund an." in text(response)

    response = post(client, f"{detail}/status", {"to_status": "paused", "reason": "Elternzeit"},
                    token_from=detail)  # fmt: skip
    assert response.status_code == 302
    page = text(client.get(detail))
    status_section = page[page.index('id="status"') : page.index('id="checks"')]
    assert "aktiv → pausiert" in status_section
    assert "Elternzeit" in status_section and "Karin Koordination" in status_section
    assert "Die Mitarbeit ruht" in page
    # Not allowed from "paused": rejected.
    response = post(client, f"{detail}/status", {"to_status": "rejected", "reason": "x"},
                    token_from=detail)  # fmt: skip
    assert response.status_code == 400
    assert "Dieser Statuswechsel ist nicht möglich." in text(response)


def test_a_recorded_training_shows_its_expiry(app, db, ready, client):
    person = applicant(app, db, pool=district(db), email="t@demo.example", name="Tarek")
    health = db.scalars(select(Training).where(Training.code == "health")).one()
    as_coordinator(client)
    detail = f"/mediators/{person.id}"
    completed = date.today() - timedelta(days=20)
    response = post(client, f"{detail}/trainings",
                    {"training_id": str(health.id), "completed_on": completed.isoformat()},
                    token_from=detail)  # fmt: skip
    assert response.status_code == 302, text(response)
    page = text(client.get(detail))
    trainings = page[page.index('id="trainings"') : page.index('id="guidelines"')]
    assert "Modul Gesundheit" in trainings
    with app.test_request_context():
        expiry = format_day(add_months(completed, 36), "de")
    assert expiry in trainings
    assert "Schulung eingetragen" in page  # the change history


def test_staff_release_and_consent_make_a_staff_member_deployable(app, db, ready, client):
    mediator = deployable_mediator(app, db, pool=district(db), email="s@demo.example", kind="staff")
    with app.test_request_context():
        registry.record_staff_consent(db, actor=user(db, COORDINATOR), mediator=mediator,
                                      given=False, now=utcnow())  # fmt: skip
        registry.update_mediator(db, actor=user(db, COORDINATOR), mediator=mediator, now=utcnow(),
                                 values={"supervisor_release_by": None})  # fmt: skip
    db.commit()
    as_coordinator(client)
    detail = f"/mediators/{mediator.id}"
    page = text(client.get(detail))
    assert "Die Freigabe der Vorgesetzten fehlt." in page
    until = (date.today() + timedelta(days=200)).isoformat()
    response = post(client, f"{detail}/release",
                    {"supervisor_release_by": "Herr Leiter, Amtsleitung",
                     "supervisor_release_until": until, "staff_consent": "y"},
                    token_from=detail)  # fmt: skip
    assert response.status_code == 302, text(response)
    fresh(db)
    saved = db.get(Mediator, mediator.id)
    assert saved.deployable is True and saved.staff_consent_at is not None
    assert "Die Person kann heute eingesetzt werden." in text(client.get(detail))


# --- export ---------------------------------------------------------------------------------------------


def test_csv_export_of_the_filtered_list_without_checks(app, db, ready, client):
    deployable_mediator(app, db, pool=district(db), email="ar@demo.example", name="Amal Özdemir")
    fa = applicant(app, db, pool=district(db), email="fa@demo.example", name="=HYPERLINK(1)")
    with app.test_request_context():
        registry.record_checks(
            db, actor=user(db, COORDINATOR), mediator=fa, now=utcnow(),
            checks={"police_certificate_seen_on": date(2025, 3, 14),
                    "police_certificate_no_entry": True},
        )  # fmt: skip
    db.commit()
    as_coordinator(client)
    response = post(client, "/mediators/export", {"sort": "name"}, token_from="/mediators/")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    header = rows[0]
    assert header[:3] == ["Name", "E-Mail-Adresse", "Telefon"]
    assert "Sprachen" in header and "Jetzt einsetzbar" in header
    names = [r[0] for r in rows[1:]]
    assert "Amal Özdemir" in names
    assert "'=HYPERLINK(1)" in names  # never a formula in Excel
    whole = raw.decode("utf-8-sig")
    for forbidden in ("Führungszeugnis", "2025-03-14", "14.03.2025", "14. März 2025", "Eintrag"):
        assert forbidden not in whole
    assert "Arabisch (Muttersprache)" in whole

    # The same filters as the list.
    response = post(client, "/mediators/export", {"language": "fa", "sort": "name"},
                    token_from="/mediators/")  # fmt: skip
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(1)"]
    fresh(db)
    assert db.scalars(select(AuditEvent).where(AuditEvent.action == "mediator.exported")).all()


# --- hostile input ----------------------------------------------------------------------------------------


def test_hostile_input_never_gives_a_server_error(app, db, ready, client):
    mediator = applicant(app, db, pool=district(db), email="h@demo.example", name="Hanna")
    as_coordinator(client)
    detail = f"/mediators/{mediator.id}"
    for url in ("/mediators/99999999999999999999999", "/mediators/2147483648",
                "/mediators/0", "/mediators/99999999999999999999/edit"):  # fmt: skip
        assert client.get(url).status_code == 404, url
    for query in ("language=xx", "status=%00", "page=-1", "page=abc", "sort=evil", "pool=1e999",
                  "pool=99999999999999999999", "deployable=maybe", "domain=%00x"):  # fmt: skip
        assert client.get("/mediators/?" + query).status_code in (200, 400), query

    token = csrf_token(client, detail)
    attempts = [
        ("/mediators/", {"q": "a\x00b"}),
        ("/mediators/", {"q": "x" * 50_000}),
        ("/mediators/", {"dialect": "\x00", "language": "zz"}),
        ("/mediators/export", {"municipality": "a\x00"}),
        ("/mediators/new", _mediator_form(pool_id="99999999999999999999")),
        ("/mediators/new", _mediator_form(pool_id=str(district(db).id), name="a\x00b")),
        (
            "/mediators/new",
            _mediator_form(pool_id=str(district(db).id), **{"languages-0-code": "xx"}),
        ),
        (
            "/mediators/new",
            _mediator_form(pool_id=str(district(db).id), **{"languages-0-dialects": "\x00"}),
        ),
        (
            "/mediators/new",
            _mediator_form(
                pool_id=str(district(db).id),
                travel_km="1e9999",
                monthly_cap="-3",
                supervisor_release_until="2027-02-30",
            ),
        ),
        (
            "/mediators/new",
            _mediator_form(
                pool_id=str(district(db).id),
                supervisor_release_until="99999-01-01",
                employing_office_id="99999999999999999999",
            ),
        ),
        (
            "/mediators/new",
            _mediator_form(
                pool_id=str(district(db).id), modes=["teleport"], domains=["\x00"], notes="x" * 5000
            ),
        ),
        (
            "/mediators/new",
            {**_mediator_form(pool_id=str(district(db).id)), "languages-99999-code": "ar"},
        ),
        (f"{detail}/checks", {"interview_on": "2027-13-45"}),
        (f"{detail}/checks", {"interview_on": "0001-01-01"}),
        (f"{detail}/checks", {"obligation_on": "\x00"}),
        (f"{detail}/status", {"to_status": "bogus"}),
        (f"{detail}/status", {"to_status": "active", "reason": "x" * 600}),
        (f"{detail}/trainings", {"training_id": "99999999999999999999", "completed_on": "x"}),
        (f"{detail}/trainings", {"training_id": "-1", "completed_on": "2020-01-01"}),
        (f"{detail}/release", {"supervisor_release_until": "morgen"}),
        (f"{detail}/edit", _mediator_form(email="not-an-address")),
    ]
    for url, data in attempts:
        response = client.post(url, data={**data, "csrf_token": token})
        assert response.status_code == 400, (url, data, response.status_code)
    fresh(db)
    assert db.get(Mediator, mediator.id).status == "applied"


# --- in the browser ---------------------------------------------------------------------------------------


@pytest.mark.browser
def test_list_detail_and_new_form_are_accessible_on_a_phone(app, db, ready, page, live_url):
    from playwright.sync_api import expect

    from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

    mediator = deployable_mediator(app, db, pool=district(db), email="a.very.long.address.for.testing@demo.example",
                                   name="Amal Haddad", kind="staff")  # fmt: skip
    applicant(app, db, pool=town(db), email="t@demo.example", name="Tamar Town")
    page.set_viewport_size(PHONE)
    sign_in(page, live_url, COORDINATOR, "demo-pool-2026")

    page.goto(live_url + "/mediators/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sprachmittler:innen")
    assert_accessible(page, "the mediator list")
    assert_no_horizontal_scroll(page, "the mediator list")

    page.get_by_label("Name oder E-Mail-Adresse").fill("Haddad")
    page.get_by_role("button", name="Suchen", exact=True).click()
    expect(page.get_by_role("link", name="Amal Haddad")).to_be_visible()
    assert "Haddad" not in page.url
    page.get_by_role("link", name="Amal Haddad").click()
    expect(page).to_have_url(f"{live_url}/mediators/{mediator.id}")
    assert_accessible(page, "the mediator detail page")
    assert_no_horizontal_scroll(page, "the mediator detail page")

    # An error on the detail page: the summary is accessible, too.
    page.get_by_role("button", name="Pausieren").click()
    expect(page.get_by_role("alert")).to_contain_text("Bitte geben Sie einen Grund an.")
    assert_accessible(page, "the detail page with an error")

    page.goto(live_url + "/mediators/new")
    expect(page.get_by_role("heading", level=1)).to_have_text("Person anlegen")
    assert_accessible(page, "the new-mediator form")
    assert_no_horizontal_scroll(page, "the new-mediator form")
    page.get_by_role("button", name="Anlegen und einladen").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "the new-mediator form with errors")
    assert_no_horizontal_scroll(page, "the new-mediator form with errors")
