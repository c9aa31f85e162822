"""Importing mediators from CSV and XLSX: mapping, preview with every row's problems, nothing
written before the confirmation, chunks with progress, permissions."""

from __future__ import annotations

import codecs
import io
import random
import re
from datetime import datetime, timedelta

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from pool.db import utcnow
from pool.imports import parsing
from pool.models import AuditEvent, ImportJob, Mediator, OutboxMessage, User
from pool.services import imports as import_service
from pool.services import mediators as registry
from pool.services.mediators import LanguageSkill
from tests.conftest import csrf_token
from tests.factories import district, town, user
from tests.helpers import fresh, text

URL = "/mediators/import/"
LONG_NOTE = "Sehr lange Bemerkung. " * 150  # > 2000 characters
HEADER = ["Vorname", "Nachname", "E-Mail", "Telefon", "Sprachen", "Ort/Gemeinde", "Schulung am",
          "Bemerkungen"]  # fmt: skip
GOOD_EMAILS = {
    "juergen.mueller@beispiel.de",
    "aylin.oeztuerk@beispiel.de",
    "kawa@beispiel.de",
    "paula@beispiel.de",
}


def messy_rows(nul: bool = True) -> list[list]:
    """The rows after the title line and the header (line 3 onwards), as a coordinator's list
    looks: umlauts, dates, an empty line, unknown languages, duplicates, a long cell."""
    return [
        # line 3
        ["Jürgen", "Müller", "Juergen.Mueller@beispiel.de", "0521 111", "Arabisch (Muttersprache), Englisch B2", "Neustadt, Bielefeld", "01.03.2021", ""],
        # line 4: empty
        ["", "", "", "", "", "", "", ""],
        # line 5
        ["Aylin", "Öztürk", "aylin.oeztuerk@beispiel.de", "", "Türkisch (Muttersprache); Kurdisch (Kurmanci) B2", "Neustadt", "15.06.2022", "spricht auch Zazaki"],
        # line 6
        ["Max", "Mustermann", "max@beispiel.de", "", "Klingonisch C1", "", "", ""],
        # line 7
        ["Ohne", "Adresse", "", "", "Farsi (Muttersprache)", "", "", ""],
        # line 8: the same address as line 3
        ["Doppelt", "Person", "JUERGEN.MUELLER@beispiel.de", "", "Dari C1", "", "", ""],
        # line 9
        ["Lang", "Text", "lang@beispiel.de", "", "ar:native", "", "", LONG_NOTE],
        # line 10
        ["Nul", "Byte", "nul@beispiel.de", "", "Russisch\x00 C1" if nul else "Russisch (A1)", "", "", ""],
        # line 11: a mediator of the pool has this address
        ["Schon", "Da", "vorhanden@beispiel.de", "", "Polnisch C1", "", "", ""],
        # line 12: the caseworker's account
        ["Sven", "Sachbearbeitung", "sachbearbeitung@demo.example", "", "Englisch C1", "", "", ""],
        # line 13
        ["Kawa", "Ahmadi", "kawa@beispiel.de", "0171 2345", "Sorani (Muttersprache), Farsi C1", "Altdorf", "", ""],
        # line 14
        ["Paula", "Nowak", "paula@beispiel.de", "", "pl:native; uk:B2", "", "", ""],
    ]  # fmt: skip


EXPECTED_PROBLEMS = [
    "Zeile 6: Unbekannte Sprache „Klingonisch“",
    "Zeile 7: E-Mail-Adresse fehlt",
    "Zeile 8: E-Mail-Adresse gibt es schon (Zeile 3)",
    "Zeile 9: Spalte „Bemerkungen“ ist zu lang (höchstens 2000 Zeichen)",
    "Zeile 11: E-Mail-Adresse gibt es schon (im Pool)",
    "Zeile 12: Zu dieser E-Mail-Adresse gibt es schon einen Zugang",
]


def messy_csv() -> bytes:
    lines = ["Sprachmittlerliste Landkreis (Stand März 2024)", ";".join(HEADER)]
    for row in messy_rows():
        lines.append(";".join(f'"{c}"' if ";" in c else c for c in row))
    return codecs.BOM_UTF8 + "\r\n".join(lines).encode("utf-8") + b"\r\n\r\n"


def messy_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sprachmittler"
    sheet.append(["Sprachmittlerliste Landkreis (Stand März 2024)"])
    sheet.append(HEADER)
    for row in messy_rows(nul=False):
        cells = list(row)
        if cells[6]:  # Excel keeps dates as dates
            cells[6] = datetime.strptime(cells[6], "%d.%m.%Y")
        if cells[3]:  # and phone numbers as numbers
            cells[3] = int(re.sub(r"\D", "", cells[3]))
        if not any(cells):
            cells = [None] * len(cells)
        sheet.append(cells)
    workbook.create_sheet("Notizen").append(["nicht importieren"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def coordinator(login_as, app, db):
    with app.test_request_context():
        registry.create_mediator(
            db, actor=None, pool=district(db), now=utcnow(), invite=False,
            values={"name": "Schon Da", "email": "vorhanden@beispiel.de",
                    "languages": [LanguageSkill("pl", "C1")]},
        )  # fmt: skip
    db.commit()
    return login_as("coordinator")


def upload(client, data: bytes, filename: str, pool_id: int):
    # The body is built in memory: the test client would spool a large one to a temporary file
    # that it never closes.
    boundary, body = encode_multipart(
        {"csrf_token": csrf_token(client, URL), "pool": str(pool_id),
         "file": FileStorage(io.BytesIO(data), filename)}
    )  # fmt: skip
    return client.post(URL, data=body, content_type=f"multipart/form-data; boundary={boundary}")


SELECT_RE = re.compile(r'<select[^>]*name="(column_\d+)"[^>]*>(.*?)</select>', re.S)


def guessed_mapping(html: str) -> dict[str, str]:
    mapping = {}
    for name, options in SELECT_RE.findall(html):
        selected = re.search(r'<option selected value="([^"]*)"', options)
        mapping[name] = selected.group(1) if selected else "ignore"
    return mapping


def job_id_of(response) -> int:
    return int(re.search(r"/mediators/import/(\d+)", response.headers["Location"]).group(1))


def counts(db) -> tuple[int, int]:
    fresh(db)
    return (db.scalar(select(func.count(Mediator.id))), db.scalar(select(func.count(User.id))))


def map_and_preview(client, job_id: int, extra: dict | None = None):
    page = client.get(f"{URL}{job_id}/mapping")
    assert page.status_code == 200
    mapping = guessed_mapping(text(page))
    data = {"csrf_token": csrf_token(client, f"{URL}{job_id}/mapping"), **mapping,
            "default_level": "", **(extra or {})}  # fmt: skip
    response = client.post(f"{URL}{job_id}/mapping", data=data)
    assert response.status_code == 302, text(response)
    return mapping, client.get(f"{URL}{job_id}")


@pytest.mark.parametrize(
    ("filename", "build"), [("Liste.csv", messy_csv), ("Liste.xlsx", messy_xlsx)]
)
def test_a_messy_file_is_previewed_with_every_problem_and_imported_only_when_confirmed(
    app, db, coordinator, filename, build
):
    client = coordinator
    before = counts(db)
    response = upload(client, build(), filename, district(db).id)
    assert response.status_code == 302, text(response)
    job_id = job_id_of(response)

    mapping, preview = map_and_preview(client, job_id)
    # German headers guessed; "Vorname" + "Nachname" make the name; the date column is ignored.
    assert mapping == {
        "column_0": "first_name", "column_1": "last_name", "column_2": "email",
        "column_3": "phone", "column_4": "languages", "column_5": "municipalities",
        "column_6": "ignore", "column_7": "notes",
    }  # fmt: skip
    page = text(preview)
    assert preview.status_code == 200
    for problem in EXPECTED_PROBLEMS:
        assert problem in page, problem
    if filename.endswith(".csv"):
        assert "Zeile 10: Spalte „Sprachen“ enthält unzulässige Steuerzeichen" in page
    else:  # openpyxl cannot even write a NUL byte
        assert "Zeile 10: Unbekanntes Niveau „A1“" in page
    assert "Zeile 3:" not in page and "Zeile 13:" not in page  # good rows have no problems
    assert "Jürgen Müller" in page and "Arabisch (Muttersprache)" in page
    assert "Noch ist nichts gespeichert." in page
    assert "4 Personen jetzt importieren" in page
    assert "Einladung" in page  # the page says the invitation follows at activation
    assert counts(db) == before  # nothing written before the confirmation

    token = csrf_token(client, f"{URL}{job_id}")
    done = client.post(f"{URL}{job_id}/confirm", data={"csrf_token": token})
    assert done.status_code == 302
    page = text(client.get(done.headers["Location"]))
    assert "Import abgeschlossen" in page

    fresh(db)
    new = set(db.scalars(select(Mediator.email).where(Mediator.email != "vorhanden@beispiel.de")))
    assert new == GOOD_EMAILS
    juergen = db.scalars(
        select(Mediator).where(Mediator.email == "juergen.mueller@beispiel.de")
    ).one()
    assert juergen.name == "Jürgen Müller" and juergen.status == "applied"
    assert juergen.phone == ("0521 111" if filename.endswith(".csv") else "521111")
    assert juergen.municipalities == ["Bielefeld", "Neustadt"]
    assert {(lang.language_code, lang.level) for lang in juergen.languages} == {
        ("ar", "native"), ("en", "B2")}  # fmt: skip
    aylin = db.scalars(select(Mediator).where(Mediator.email == "aylin.oeztuerk@beispiel.de")).one()
    assert {lang.language_code for lang in aylin.languages} == {"tr", "kmr"}
    assert aylin.notes == "spricht auch Zazaki"
    paula = db.scalars(select(Mediator).where(Mediator.email == "paula@beispiel.de")).one()
    assert {(x.language_code, x.level) for x in paula.languages} == {("pl", "native"), ("uk", "B2")}
    assert db.scalar(select(func.count(OutboxMessage.id))) == 0  # nobody is invited yet
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "mediator.imported"))
    assert event.details["count"] == 4
    job = db.get(ImportJob, job_id)
    assert job.status == "done" and job.cells is None and job.rows is None  # no data lingers

    # A second confirmation (double click, back button) writes nothing more.
    again = client.post(f"{URL}{job_id}/confirm", data={"csrf_token": token})
    assert again.status_code == 302
    assert "schon gestartet oder ist abgeschlossen" in text(client.get(again.headers["Location"]))
    assert counts(db)[0] == before[0] + 4


def test_windows_1252_with_commas_and_a_default_level(app, db, coordinator):
    content = (
        "Name,E-Mail,Sprachen,Deutsch,Art\n"
        'Zoë Çelik,zoe@beispiel.de,"Arabisch, Französisch",B2,ehrenamtlich\n'
        'Ivan Petrenko,ivan@beispiel.de,"Ukrainisch (Muttersprache), Russisch C1",C1,Mitarbeiter:in\n'
    ).encode("cp1252")
    response = upload(coordinator, content, "export.csv", district(db).id)
    assert response.status_code == 302, text(response)
    job_id = job_id_of(response)
    _mapping, preview = map_and_preview(coordinator, job_id)
    assert "Zeile 2: Niveau für „Arabisch“ fehlt" in text(preview)
    # With a default level for cells without one, the row is fine.
    _mapping, preview = map_and_preview(coordinator, job_id, {"default_level": "C1"})
    page = text(preview)
    assert "Niveau für" not in page and "2 Personen jetzt importieren" in page
    assert "Zoë Çelik" in page
    token = csrf_token(coordinator, f"{URL}{job_id}")
    coordinator.post(f"{URL}{job_id}/confirm", data={"csrf_token": token})
    fresh(db)
    ivan = db.scalars(select(Mediator).where(Mediator.email == "ivan@beispiel.de")).one()
    assert ivan.kind == "staff" and ivan.german_level == "C1"
    assert {(x.language_code, x.level) for x in ivan.languages} == {("uk", "native"), ("ru", "C1")}


def test_a_mapping_without_email_or_with_a_field_twice_is_refused(app, db, coordinator):
    response = upload(coordinator, messy_csv(), "Liste.csv", district(db).id)
    job_id = job_id_of(response)
    mapping = guessed_mapping(text(coordinator.get(f"{URL}{job_id}/mapping")))
    token = csrf_token(coordinator, f"{URL}{job_id}/mapping")
    broken = {**mapping, "column_2": "ignore", "column_3": "first_name", "csrf_token": token,
              "default_level": ""}  # fmt: skip
    page = coordinator.post(f"{URL}{job_id}/mapping", data=broken)
    assert page.status_code == 400
    body = text(page)
    assert "Bitte ordnen Sie eine Spalte der E-Mail-Adresse zu." in body
    assert "„Vorname“ ist mehreren Spalten zugeordnet" in body
    bogus = {**mapping, "column_0": "password_hash", "csrf_token": token, "default_level": ""}
    assert coordinator.post(f"{URL}{job_id}/mapping", data=bogus).status_code == 400


def test_thousands_of_rows_are_imported_in_chunks_with_progress(app, db, coordinator, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_SIZE", 1000)
    lines = ["Name;E-Mail;Sprachen"]
    lines += [f"Person {i};person{i}@beispiel.de;Arabisch (Muttersprache)" for i in range(3000)]
    response = upload(coordinator, "\n".join(lines).encode(), "gross.csv", district(db).id)
    assert response.status_code == 302, text(response)
    job_id = job_id_of(response)
    _mapping, preview = map_and_preview(coordinator, job_id)
    assert "3000 Personen jetzt importieren" in text(preview)
    token = csrf_token(coordinator, f"{URL}{job_id}")

    first = coordinator.post(f"{URL}{job_id}/confirm", data={"csrf_token": token})
    progress = text(coordinator.get(first.headers["Location"]))
    assert "Import läuft" in progress
    assert "1000 von 3000 Zeilen importiert" in progress
    assert 'value="1000"' in progress and "js/import.js" in progress
    assert counts(db)[0] == 1 + 1000  # the first chunk is saved

    # A stale request for a chunk that is done already changes nothing (double submit).
    fresh(db)
    job = db.get(ImportJob, job_id)
    set_committed_value(job, "done_count", 0)
    with app.test_request_context():
        handled = import_service.process_chunk(db, actor=user(db, "koordination@demo.example"),
                                               job=job, now=utcnow(), size=1000)  # fmt: skip
    assert handled == 0
    db.rollback()
    assert counts(db)[0] == 1 + 1000

    # import.js asks for the next chunks with the CSRF header and gets the progress as JSON.
    states = []
    for _ in range(5):
        reply = coordinator.post(
            f"{URL}{job_id}/continue",
            data={"csrf_token": token},
            headers={"Accept": "application/json", "X-CSRFToken": token},
        )
        assert reply.status_code == 200
        states.append(reply.get_json())
        if reply.get_json()["finished"]:
            break
    assert [(s["done"], s["finished"]) for s in states] == [(2000, False), (3000, True)]
    assert counts(db)[0] == 1 + 3000
    page = text(coordinator.get(f"{URL}{job_id}"))
    assert "Import abgeschlossen" in page and "3000" in page
    # Another "continue" does nothing.
    late = coordinator.post(f"{URL}{job_id}/continue", data={"csrf_token": token})
    assert late.status_code == 302 and counts(db)[0] == 1 + 3000


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("Liste.pdf", b"%PDF-1.4 binary", "Bitte laden Sie eine CSV-Datei (.csv) oder eine Excel-Datei (.xlsx) hoch."),
        ("Liste.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "Alte Excel-Dateien (.xls) können wir nicht lesen."),
        ("Liste.xlsx", b"PK\x03\x04 not really a zip", "Diese Datei können wir nicht lesen."),
        ("Liste.csv", b"", "Die Datei ist leer."),
        ("Liste.csv", b"Name;E-Mail;Sprachen\n", "nur Überschriften"),
        ("Foto.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "Diese Datei können wir nicht lesen."),
        ("Liste.csv", random.Random(7).randbytes(200_000), "enthält aber keinen Text, sondern Binärdaten"),
        ("Liste.csv", b"\x89PNG\r\n\x1a\n" + b"\0" * 50, "enthält aber keinen Text"),
    ],
)  # fmt: skip
def test_files_we_cannot_read_get_a_plain_message(app, db, coordinator, filename, data, message):
    response = upload(coordinator, data, filename, district(db).id)
    assert response.status_code == 400
    assert message in text(response)
    fresh(db)
    assert db.scalar(select(func.count(ImportJob.id))) == 0


def test_a_word_document_is_not_a_spreadsheet(app, db, coordinator):
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    response = upload(coordinator, buffer.getvalue(), "Liste.docx", district(db).id)
    assert response.status_code == 400
    assert "Diese Datei können wir nicht lesen." in text(response)


def test_a_file_above_five_megabytes_is_refused_plainly(app, db, coordinator):
    data = b"Name;E-Mail;Sprachen\n" + b"x" * (5 * 1024 * 1024)
    response = upload(coordinator, data, "Liste.csv", district(db).id)
    assert response.status_code == 400
    assert "größer als 5 MB" in text(response)


def test_upload_without_a_file_shows_the_form_again(app, db, coordinator):
    response = coordinator.post(URL, data={"csrf_token": csrf_token(coordinator, URL),
                                           "pool": str(district(db).id)})  # fmt: skip
    assert response.status_code == 400
    assert "Bitte wählen Sie eine Datei aus." in text(response)


@pytest.mark.parametrize("role", ["caseworker", "mediator"])
def test_caseworkers_and_mediators_may_not_import(app, db, login_as, role):
    client = login_as(role)
    assert client.get(URL).status_code == 403
    token = csrf_token(client, "/")
    response = client.post(
        URL,
        data={"csrf_token": token, "pool": str(district(db).id),
              "file": (io.BytesIO(messy_csv()), "Liste.csv")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 403
    fresh(db)
    assert db.scalar(select(func.count(ImportJob.id))) == 0


def test_a_coordinator_cannot_import_into_another_pool(app, db, coordinator):
    response = upload(coordinator, messy_csv(), "Liste.csv", town(db).id)
    assert response.status_code == 403
    fresh(db)
    # Nor open, map or confirm a job of another pool.
    with app.test_request_context():
        parsed = parsing.read_file("Liste.csv", messy_csv())
        job = import_service.create_job(db, actor=user(db, "admin@demo.example"), pool=town(db),
                                        parsed=parsed, now=utcnow())  # fmt: skip
    db.commit()
    token = csrf_token(coordinator, URL)
    assert coordinator.get(f"{URL}{job.id}").status_code == 403
    assert coordinator.get(f"{URL}{job.id}/mapping").status_code == 403
    assert coordinator.post(f"{URL}{job.id}/confirm", data={"csrf_token": token}).status_code == 403
    assert coordinator.post(f"{URL}{job.id}/discard", data={"csrf_token": token}).status_code == 403
    assert coordinator.get(f"{URL}{2**40}").status_code == 404
    fresh(db)
    assert db.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "access.denied"))


def test_discarding_a_job_deletes_the_rows(app, db, coordinator):
    job_id = job_id_of(upload(coordinator, messy_csv(), "Liste.csv", district(db).id))
    token = csrf_token(coordinator, URL)
    response = coordinator.post(f"{URL}{job_id}/discard", data={"csrf_token": token})
    assert response.status_code == 302
    assert "Es wurde nichts gespeichert." in text(coordinator.get(response.headers["Location"]))
    fresh(db)
    assert db.get(ImportJob, job_id) is None


def test_old_jobs_are_purged_with_their_personal_data(app, db, demo):
    now = utcnow()
    with app.test_request_context():
        parsed = parsing.read_file("Liste.csv", messy_csv())
        admin = user(db, "admin@demo.example")
        old = import_service.create_job(db, actor=admin, pool=district(db), parsed=parsed,
                                        now=now - timedelta(days=2))  # fmt: skip
        recent = import_service.create_job(db, actor=admin, pool=district(db), parsed=parsed,
                                           now=now - timedelta(hours=2))  # fmt: skip
        db.commit()
        old_id, recent_id = old.id, recent.id
        assert import_service.purge_import_jobs(db, now) == 1
    db.commit()
    fresh(db)
    assert db.get(ImportJob, old_id) is None and db.get(ImportJob, recent_id) is not None


# --- parsing without the web ----------------------------------------------------------------------


def test_header_guessing_knows_german_lists():
    assert parsing.guess_mapping(
        ["Name", "E-Mail-Adresse", "Tel.", "Sprachen", "Dialekte", "Ort/Gemeinde",
         "Deutschkenntnisse", "Geschlecht", "Max. Einsätze pro Monat", "Geburtsdatum"]
    ) == ["name", "email", "phone", "languages", "dialects", "municipalities", "german_level",
          "gender", "monthly_cap", "ignore"]  # fmt: skip
    # "Vorname" + "Name": the "Name" column is the last name.
    assert parsing.guess_mapping(["Vorname", "Name", "Mail"]) == [
        "first_name",
        "last_name",
        "email",
    ]


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("Arabisch (Muttersprache)", ("ar", "native", [])),
        ("Englisch B2", ("en", "B2", [])),
        ("ar:native", ("ar", "native", [])),
        ("Kurdisch (Kurmanci) C1", ("kmr", "C1", [])),
        ("Arabisch (Levantinisch, C2)", ("ar", "C2", ["Levantinisch"])),
        ("Farsi - C1", ("fa", "C1", [])),
        ("Dari (Muttersprache)", ("prs", "native", [])),
        ("Tigrinya C1", ("ti", "C1", [])),
        ("Ukrainian native", ("uk", "native", [])),
    ],
)
def test_language_cells_in_the_usual_spellings(app, cell, expected):
    with app.test_request_context():
        parsed = parsing.parse_language(cell)
    assert (parsed.code, parsed.level, parsed.dialects) == expected


def test_delimiters_and_encodings_are_detected():
    assert parsing.detect_delimiter("a;b;c\n1;2,5;3\n") == ";"
    assert parsing.detect_delimiter("a,b,c\n1,2,3\n") == ","
    assert parsing.detect_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"
    assert parsing.decode(codecs.BOM_UTF8 + "Müller".encode()) == "Müller"
    assert parsing.decode("Müller".encode("cp1252")) == "Müller"
    assert parsing.decode(codecs.BOM_UTF16_LE + "Müller".encode("utf-16-le")) == "Müller"


# --- in the browser -------------------------------------------------------------------------------


def test_the_import_pages_are_accessible_and_the_progress_continues_by_itself(
    app, db, coordinator, page, live_url, monkeypatch, tmp_path
):
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_SIZE", 40)
    from tests.browser import PHONE, assert_accessible, assert_no_horizontal_scroll, sign_in

    rows = messy_rows()
    lines = ["Sprachmittlerliste", ";".join(HEADER)]
    lines += [";".join(c.replace("\x00", "") for c in row) for row in rows]
    lines += [
        f"Person {i};Test;person{i}@beispiel.de;;Arabisch (Muttersprache);;;" for i in range(100)
    ]
    path = tmp_path / "Sprachmittler Liste.csv"
    path.write_bytes(codecs.BOM_UTF8 + "\n".join(lines).encode())

    page.set_viewport_size(PHONE)
    sign_in(page, live_url, "koordination@demo.example", "demo-pool-2026")
    page.goto(live_url + URL)
    assert_accessible(page, "the upload page")
    assert_no_horizontal_scroll(page, "the upload page")
    page.get_by_label("Datei", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Datei hochladen").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Spalten zuordnen"
    assert_accessible(page, "the mapping page")
    assert_no_horizontal_scroll(page, "the mapping page")

    page.get_by_role("button", name="Weiter zur Vorschau").click()
    page.wait_for_load_state()
    assert "Zeile 6: Unbekannte Sprache „Klingonisch“" in page.content()
    assert_accessible(page, "the preview")
    assert_no_horizontal_scroll(page, "the preview")

    page.get_by_role("button", name=re.compile(r"Personen jetzt importieren")).click()
    # The first chunk is done; import.js fetches the others until the import is complete.
    page.get_by_role("heading", name="Import abgeschlossen").wait_for(timeout=30_000)
    assert_accessible(page, "the result page")
    assert_no_horizontal_scroll(page, "the result page")
    fresh(db)
    assert db.scalar(select(func.count(Mediator.id))) == 1 + 5 + 100  # row 10 lost its NUL byte
