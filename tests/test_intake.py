"""Intake of requests: the pool's rules with their German reasons, working days, series, changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from pool.i18n import BERLIN
from pool.models import AuditEvent, OutboxMessage
from pool.models.requests import (
    Assignment,
    InterpretingRequest,
    Offer,
    PoolClosure,
    RequestSeries,
)
from pool.services import ServiceError
from pool.services import requests as intake
from pool.services.requests import IntakeRefused
from pool.workdays import add_working_days, earliest_start, is_working_day
from tests.factories import catalogue, deployable_mediator, district, town, user
from tests.helpers import fresh

CASEWORKER = "sachbearbeitung@demo.example"
COORDINATOR = "koordination@demo.example"
SWORN_HINT = "vereidigte Dolmetscher:innen, z. B. über die Datenbank der Landesjustizverwaltungen"
SIGN_HINT = (
    "Gebärdensprachdolmetscher:innen, z. B. über den Landesverband der Gehörlosen; die Kosten "
    "trägt oft ein Kostenträger"
)
# Monday, 25 October 2027, 9:00 in Berlin.
NOW = datetime(2027, 10, 25, 9, 0, tzinfo=BERLIN).astimezone(UTC)


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def base_values(**changes) -> dict:
    values = {
        "language": "ar",
        "starts_at": berlin(2027, 11, 10, 10, 0),  # a Wednesday, well ahead
        "duration_minutes": 60,
        "mode": "in_person",
        "municipality": "Neustadt",
        "address": "Rathausplatz 1, Raum 12",
        "domain": "youth_welfare",
        "setting": "counselling",
        "professional_present": True,
        "case_ref": "JA-2027-0042",
        "notes": "Bitte am Empfang melden.",
    }
    values.update(changes)
    return values


def youth_office(db):
    return next(o for o in district(db).offices if o.name == "Jugendamt")


def check(app, db, pool, values, now=NOW):
    with app.test_request_context():
        return intake.check_intake(db, pool=pool, values=values, now=now)


def codes(reasons) -> set[str]:
    return {r.code for r in reasons}


def create(app, db, values, *, now=NOW, repeat=None, office=None, actor=CASEWORKER):
    with app.test_request_context():
        created = intake.create_request(
            db,
            actor=user(db, actor),
            office=office or youth_office(db),
            values=values,
            now=now,
            repeat=repeat,
        )
    db.commit()
    return created


def refused(app, db, values, **kwargs) -> IntakeRefused:
    with pytest.raises(IntakeRefused) as info:
        create(app, db, values, **kwargs)
    db.rollback()
    return info.value


# --- working days ---------------------------------------------------------------------------------


def _pool(state: str, lead: int = 3):
    return SimpleNamespace(federal_state=state, lead_time_working_days=lead)


def test_lead_time_counts_working_days_after_the_day_of_the_request():
    monday = berlin(2027, 10, 18, 15, 0)
    assert earliest_start(_pool("NW"), monday, []) == berlin(2027, 10, 21, 0, 0)  # Thursday
    friday = berlin(2027, 10, 22, 8, 0)
    assert earliest_start(_pool("NW"), friday, []) == berlin(2027, 10, 27, 0, 0)  # Wednesday
    assert earliest_start(_pool("NW", 0), friday, []) == friday


def test_all_saints_is_a_holiday_in_nrw_but_not_in_berlin():
    friday = berlin(2027, 10, 29, 10, 0)
    assert not is_working_day(date(2027, 11, 1), "NW")
    assert is_working_day(date(2027, 11, 1), "BE")
    assert earliest_start(_pool("NW"), friday, []).date() == date(2027, 11, 4)
    assert earliest_start(_pool("BE"), friday, []).date() == date(2027, 11, 3)


def test_german_unity_day_and_closures_are_no_working_days():
    assert not is_working_day(date(2027, 10, 3), "NW")
    # 3 October 2028 is a Tuesday.
    assert earliest_start(_pool("NW"), berlin(2028, 9, 29, 12, 0), []).date() == date(2028, 10, 5)
    closures = [(date(2027, 11, 2), date(2027, 11, 3))]
    friday = berlin(2027, 10, 29, 10, 0)
    assert earliest_start(_pool("BE"), friday, closures).date() == date(2027, 11, 5)
    # A pool closed "forever" does not hang the computation.
    endless = [(date(2027, 1, 1), date(2099, 12, 31))]
    assert add_working_days(date(2027, 10, 29), 3, "NW", endless) > date(2028, 1, 1)


def test_lead_time_of_the_pool_with_holidays_and_closures(app, db, demo):
    friday = berlin(2027, 10, 29, 10, 0)
    wednesday = base_values(starts_at=berlin(2027, 11, 3, 10, 0))
    pool = district(db)
    [reason] = check(app, db, pool, wednesday, friday)
    assert reason.code == "lead_time" and reason.field == "starts_at"
    assert "mindestens 3 Arbeitstage Vorlauf" in reason.text
    assert "Do, 4. November 2027" in reason.text
    assert "dringend" in reason.text

    pool.federal_state = "BE"
    db.flush()
    assert check(app, db, pool, wednesday, friday) == []
    db.add(PoolClosure(pool_id=pool.id, start_date=date(2027, 11, 2), end_date=date(2027, 11, 2)))
    db.flush()
    assert codes(check(app, db, pool, wednesday, friday)) == {"lead_time"}
    db.rollback()


def test_urgent_passes_the_lead_time_but_needs_a_reason(app, db, demo):
    tomorrow = base_values(starts_at=berlin(2027, 10, 26, 14, 0))
    assert codes(check(app, db, district(db), tomorrow)) == {"lead_time"}
    [reason] = check(app, db, district(db), {**tomorrow, "urgent": True})
    assert reason.code == "urgent_reason_missing" and reason.field == "urgent_reason"
    values = {**tomorrow, "urgent": True, "urgent_reason": "Kinderschutzfall, Gespräch morgen"}
    [request] = create(app, db, values)
    assert request.urgent and request.urgent_reason.startswith("Kinderschutzfall")
    alerts = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "request_urgent")).all()
    assert [m.recipient for m in alerts] == [COORDINATOR]
    assert "Dringende Anfrage" in alerts[0].subject
    assert "Kinderschutzfall" in alerts[0].body_text


# --- the rules and their reasons ------------------------------------------------------------------


def test_a_good_request_passes(app, db, demo):
    assert check(app, db, district(db), base_values()) == []


@pytest.mark.parametrize("setting", ["court", "police", "asylum_hearing", "legally_binding",
                                     "medical_report"])  # fmt: skip
def test_excluded_settings_point_to_sworn_interpreters(app, db, demo, setting):
    [reason] = check(app, db, district(db), base_values(setting=setting))
    assert reason.code == "setting_excluded" and reason.field == "setting"
    assert SWORN_HINT in reason.text


def test_a_pool_can_exclude_other_settings_and_allow_legal_ones(app, db, demo):
    pool = district(db)
    pool.excluded_settings = ["home_visit"]
    db.flush()
    [reason] = check(app, db, pool, base_values(setting="home_visit"))
    assert reason.code == "setting_excluded"
    assert "Hausbesuch" in reason.text and "0521 123-4567" in reason.text
    assert check(app, db, pool, base_values(setting="court")) == []
    db.rollback()


def test_sign_languages_are_refused_with_where_to_turn_unless_the_pool_serves_them(app, db, demo):
    [reason] = check(app, db, district(db), base_values(language="dgs"))
    assert reason.code == "sign_language" and reason.field == "language"
    assert SIGN_HINT in reason.text
    pool = district(db)
    pool.serve_sign_languages = True
    db.flush()
    assert check(app, db, pool, base_values(language="dgs")) == []
    db.rollback()


def test_medical_appointments_per_pool(app, db, demo):
    values = base_values(setting="medical_appointment", domain="health")
    assert check(app, db, district(db), values) == []
    pool = town(db)
    pool.allow_medical_appointments = False
    db.flush()
    [reason] = check(app, db, pool, values)
    assert reason.code == "medical_not_served"
    assert "Arzttermine" in reason.text and "Dolmetscher:innen für das Gesundheitswesen" in (
        reason.text
    )
    db.rollback()


@pytest.mark.parametrize(
    ("changes", "code", "field", "words"),
    [
        ({"professional_present": False}, "professional_required", "professional_present",
         "Fachkraft"),
        ({"professional_present": None}, "professional_required", "professional_present",
         "Fachkraft"),
        ({"starts_at": berlin(2027, 10, 25, 8, 0)}, "start_in_past", "starts_at",
         "Vergangenheit"),
        ({"duration_minutes": 10}, "duration", "duration_minutes", "15 Minuten"),
        ({"duration_minutes": 481}, "duration", "duration_minutes", "8 Stunden"),
        ({"address": None}, "address_missing", "address", "vor Ort"),
        ({"municipality": "  "}, "municipality_missing", "municipality", "vor Ort"),
        ({"language": "xx"}, "language_unknown", "language", "Sprache"),
        ({"language": None}, "missing", "language", "Sprache"),
        ({"domain": "astrology"}, "domain_unknown", "domain", "Bereich"),
        ({"setting": "party"}, "setting_unknown", "setting", "Art des Gesprächs"),
        ({"mode": "telepathy"}, "mode_unknown", "mode", "Telefon"),
        ({"gender_required": True}, "gender_preference_missing", "gender_preference",
         "Geschlecht"),
        ({"gender_preference": "robot"}, "invalid", "gender_preference", "Geschlecht"),
        ({"case_ref": "max.muster@example.org"}, "case_ref_contact", "case_ref", "E-Mail"),
        ({"case_ref": "0171 2345678"}, "case_ref_contact", "case_ref", "Telefonnummer"),
        ({"case_ref": "+49 521 123456"}, "case_ref_contact", "case_ref", "Telefonnummer"),
        ({"case_ref": "Ayşe Yılmaz"}, "case_ref_name", "case_ref", "Name"),
        ({"case_ref": "Müller, Hans"}, "case_ref_name", "case_ref", "Name"),
        ({"notes": "x" * 2001}, "too_long", "notes", "2000"),
    ],
)  # fmt: skip
def test_every_rule_has_a_german_reason(app, db, demo, changes, code, field, words):
    reasons = check(app, db, district(db), base_values(**changes))
    assert [(r.code, r.field) for r in reasons] == [(code, field)]
    assert words in reasons[0].text


@pytest.mark.parametrize("case_ref", ["JA-2027-0042", "Fam. A", "2027/00123", "K7", None, ""])
def test_pseudonymous_case_references_pass(app, db, demo, case_ref):
    assert check(app, db, district(db), base_values(case_ref=case_ref)) == []


def test_phone_and_video_need_no_address(app, db, demo):
    values = base_values(mode="phone", municipality=None, address=None, gender_preference="female",
                         gender_required=True)  # fmt: skip
    assert check(app, db, district(db), values) == []
    [request] = create(app, db, {**values, "address": "Wird nicht gespeichert"})
    assert request.address is None and request.gender_preference == "female"


def test_several_reasons_at_once(app, db, demo):
    values = base_values(
        language="dgs", setting="court", professional_present=False, duration_minutes=5,
        address="", case_ref="hans@example.org", starts_at=berlin(2027, 10, 26, 10, 0),
    )  # fmt: skip
    error = refused(app, db, values)
    assert codes(error.reasons) == {
        "sign_language", "setting_excluded", "professional_required", "duration",
        "address_missing", "case_ref_contact", "lead_time",
    }  # fmt: skip
    assert SWORN_HINT in error.message and SIGN_HINT in error.message
    assert db.scalar(select(func.count()).select_from(InterpretingRequest)) == 0
    assert db.scalar(select(func.count()).select_from(OutboxMessage)) == 0


# --- hostile values -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "code", "field"),
    [
        ({"notes": "Hallo\x00Welt"}, "invalid_characters", "notes"),
        ({"address": "Weg 1\x1b[31m"}, "invalid_characters", "address"),
        ({"notes": "x" * 5_000_000}, "too_long", "notes"),
        ({"case_ref": "A" * 61}, "too_long", "case_ref"),
        ({"language": 5}, "invalid", "language"),
        ({"language": ["ar"]}, "invalid", "language"),
        ({"starts_at": []}, "invalid", "starts_at"),
        ({"starts_at": "morgen früh"}, "invalid", "starts_at"),
        ({"starts_at": "2027-11-10T10:00\x00"}, "invalid", "starts_at"),
        ({"starts_at": "9" * 10_000}, "invalid", "starts_at"),
        ({"duration_minutes": "abc"}, "invalid", "duration_minutes"),
        ({"duration_minutes": 1e9}, "invalid", "duration_minutes"),
        ({"duration_minutes": True}, "invalid", "duration_minutes"),
        ({"duration_minutes": 10**30}, "duration", "duration_minutes"),
        ({"starts_at": datetime.max}, "too_far_ahead", "starts_at"),
        ({"starts_at": datetime.min}, "start_in_past", "starts_at"),
        ({"starts_at": "9999-12-31T23:59:59+14:00"}, "too_far_ahead", "starts_at"),
        ({"urgent": "yes"}, "invalid", "urgent"),
        ({"professional_present": "true"}, "invalid", "professional_present"),
        ({"gender_required": {"a": 1}}, "invalid", "gender_required"),
        ({"setting": object()}, "invalid", "setting"),
        ({"salary": 1}, "unknown_field", None),
        ({("tuple",): 1}, "unknown_field", None),
    ],
)
def test_hostile_values_are_refused_with_reasons(app, db, demo, changes, code, field):
    values = base_values()
    values.update(changes)
    error = refused(app, db, values)
    assert (code, field) in [(r.code, r.field) for r in error.reasons]
    assert isinstance(error, ServiceError)


def test_a_series_far_ahead_is_refused_without_overflow(app, db, demo):
    error = refused(app, db, base_values(starts_at=datetime(9999, 12, 1, 10, 0)), repeat=(7, 26))
    assert codes(error.reasons) == {"too_far_ahead"}


@pytest.mark.parametrize("values", [None, [], "language=ar", 42])
def test_values_that_are_not_a_dict_are_a_service_error(app, db, demo, values):
    with pytest.raises(ServiceError):
        create(app, db, values)
    db.rollback()


def test_string_values_from_a_form_are_accepted(app, db, demo):
    values = base_values(starts_at="2027-11-10T10:00", duration_minutes="45", language=" AR ")
    [request] = create(app, db, values)
    assert request.starts_at == berlin(2027, 11, 10, 10, 0)
    assert request.duration_minutes == 45 and request.language_code == "ar"
    assert request.ends_at - request.starts_at == timedelta(minutes=45)


# --- creating -------------------------------------------------------------------------------------


def test_creating_stores_the_request_writes_audit_and_tells_the_caseworker(app, db, demo):
    [request] = create(app, db, base_values(dialect="Syrisch"))
    fresh(db)
    stored = db.get(InterpretingRequest, request.id)
    assert stored.status == "open" and stored.pool_id == district(db).id
    assert stored.created_by_id == user(db, CASEWORKER).id
    assert stored.starts_at == berlin(2027, 11, 10, 10, 0) and stored.starts_at.tzinfo == UTC
    assert stored.ends_at == berlin(2027, 11, 10, 11, 0)
    assert stored.case_ref == "JA-2027-0042" and stored.dialect == "Syrisch"
    assert stored.series_id is None and stored.urgent is False
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "request.created")).all()
    assert event.object_id == request.id and event.actor_id == user(db, CASEWORKER).id
    [message] = db.scalars(select(OutboxMessage)).all()
    assert message.kind == "request_received" and message.recipient == CASEWORKER
    assert "Ihre Anfrage ist eingegangen" in message.subject
    assert "Arabisch" in message.body_text and "Jugendamt" in message.body_text
    assert "Mi, 10. November 2027, 10:00" in message.body_text
    assert "Bitte am Empfang" not in message.body_text  # notes stay out of e-mails


def test_candidates_at_intake_are_stored(app, db, demo):
    catalogue(app, db)
    deployable_mediator(app, db, pool=district(db), email="amal@demo.example")
    deployable_mediator(app, db, pool=district(db), email="omar@demo.example")
    [request] = create(app, db, base_values(domain="social_services"))
    [nobody] = create(app, db, base_values(language="ti"))
    fresh(db)
    assert db.get(InterpretingRequest, request.id).candidates_at_intake == 2
    assert db.get(InterpretingRequest, nobody.id).candidates_at_intake == 0


def test_a_coordinator_can_create_for_an_office_of_the_pool(app, db, demo):
    office = next(o for o in district(db).offices if o.name == "Gesundheitsamt")
    [request] = create(app, db, base_values(), office=office, actor=COORDINATOR)
    assert request.office_id == office.id
    assert [m.recipient for m in db.scalars(select(OutboxMessage))] == [COORDINATOR]


def test_an_inactive_office_cannot_request(app, db, demo):
    office = youth_office(db)
    office.active = False
    db.commit()
    assert "office_inactive" in codes(refused(app, db, base_values()).reasons)


# --- series ---------------------------------------------------------------------------------------


def test_a_weekly_series_keeps_the_local_time_across_the_clock_change(app, db, demo):
    now = berlin(2027, 10, 11, 9, 0)
    # Monday 18 October 2027, weekly for six weeks; 1 November (a holiday in NRW) is allowed.
    created = create(app, db, base_values(starts_at=berlin(2027, 10, 18, 10, 0)), now=now,
                     repeat=(7, 6))  # fmt: skip
    assert len(created) == 6
    locals_ = [r.starts_at.astimezone(BERLIN) for r in created]
    assert [d.date() for d in locals_] == [
        date(2027, 10, 18) + timedelta(weeks=k) for k in range(6)
    ]
    assert {d.time() for d in locals_} == {time(10, 0)}
    assert created[0].starts_at.hour == 8 and created[-1].starts_at.hour == 9  # UTC: CEST, CET
    series = db.get(RequestSeries, created[0].series_id)
    assert series.count == 6 and series.interval_days == 7
    assert {r.series_id for r in created} == {series.id}
    assert intake.series_requests(db, created[3]) == created
    assert db.scalar(select(func.count()).select_from(AuditEvent)
                     .where(AuditEvent.action == "request.created")) == 6  # fmt: skip
    [message] = db.scalars(select(OutboxMessage)).all()
    assert "6 Termine" in message.subject and message.body_text.count("Nr. ") == 6


def test_a_series_names_the_date_that_fails(app, db, demo):
    now = berlin(2027, 10, 11, 9, 0)
    error = refused(app, db, base_values(starts_at=berlin(2027, 10, 12, 10, 0)), now=now,
                    repeat=(7, 3))  # fmt: skip
    [reason] = error.reasons
    assert reason.code == "lead_time"
    assert reason.text.startswith("Termin am Di, 12. Oktober 2027:")


@pytest.mark.parametrize("repeat", [(7, 27), (0, 3), (400, 2), ("7", 3), (7,), "weekly", (True, 3)])
def test_series_limits(app, db, demo, repeat):
    assert "repeat" in codes(refused(app, db, base_values(), repeat=repeat).reasons)


def test_a_series_of_one_is_a_single_request(app, db, demo):
    [request] = create(app, db, base_values(), repeat=(7, 1))
    assert request.series_id is None


# --- changing -------------------------------------------------------------------------------------


def change(app, db, request, values, *, now=NOW, whole_series=False, actor=CASEWORKER):
    with app.test_request_context():
        changed = intake.change_request(
            db, actor=user(db, actor), request=request, values=values, now=now,
            whole_series=whole_series,
        )  # fmt: skip
    db.commit()
    return changed


def _series(app, db):
    now = berlin(2027, 10, 11, 9, 0)
    return create(app, db, base_values(starts_at=berlin(2027, 10, 18, 10, 0)), now=now,
                  repeat=(7, 4))  # fmt: skip


def test_change_one_request_of_a_series(app, db, demo):
    created = _series(app, db)
    now = berlin(2027, 10, 12, 9, 0)
    [changed] = change(app, db, created[2], {"notes": "Neuer Raum", "address": "Schulweg 2"},
                       now=now)  # fmt: skip
    fresh(db)
    rows = intake.series_requests(db, db.get(InterpretingRequest, created[0].id))
    assert [r.address for r in rows] == ["Rathausplatz 1, Raum 12"] * 2 + ["Schulweg 2"] + [
        "Rathausplatz 1, Raum 12"
    ]
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.action == "request.changed")).all()
    assert event.object_id == created[2].id
    assert event.details == {"fields": ["address", "notes"]}


def test_change_the_whole_series_moves_every_future_date_to_the_new_time(app, db, demo):
    created = _series(app, db)
    # The first appointment (18 Oct) is over; the change applies to the three that are ahead.
    now = berlin(2027, 10, 19, 9, 0)
    changed = change(app, db, created[1], {"starts_at": berlin(2027, 10, 29, 13, 30)}, now=now,
                     whole_series=True)  # fmt: skip
    assert [r.id for r in changed] == [r.id for r in created[1:]]
    fresh(db)
    rows = intake.series_requests(db, db.get(InterpretingRequest, created[0].id))
    assert [r.starts_at.astimezone(BERLIN).replace(tzinfo=None) for r in rows] == [
        datetime(2027, 10, 18, 10, 0), datetime(2027, 10, 29, 13, 30),
        datetime(2027, 11, 5, 13, 30), datetime(2027, 11, 12, 13, 30),
    ]  # fmt: skip
    assert all(r.ends_at - r.starts_at == timedelta(minutes=60) for r in rows)


def test_a_change_to_the_whole_series_is_refused_as_a_whole_with_dates(app, db, demo):
    created = _series(app, db)
    now = berlin(2027, 10, 14, 9, 0)  # Thursday: 18 Oct is within the lead time
    error = None
    with pytest.raises(IntakeRefused) as info:
        change(app, db, created[0], {"starts_at": berlin(2027, 10, 18, 8, 0)}, now=now,
               whole_series=True)  # fmt: skip
    error = info.value
    db.rollback()
    [reason] = error.reasons
    assert reason.code == "lead_time" and reason.text.startswith("Termin am Mo, 18. Oktober 2027")
    fresh(db)
    assert db.get(InterpretingRequest, created[1].id).starts_at == berlin(2027, 10, 25, 10, 0)


def test_changes_recheck_only_what_changed(app, db, demo):
    [request] = create(app, db, base_values(setting="medical_appointment", domain="health"))
    # The pool stops serving medical appointments and the appointment is now close: a corrected
    # address still goes through, a new time must respect the lead time.
    district(db).allow_medical_appointments = False
    db.commit()
    later = berlin(2027, 11, 8, 9, 0)
    [changed] = change(app, db, request, {"address": "Schulweg 2"}, now=later)
    assert changed.address == "Schulweg 2"
    with pytest.raises(IntakeRefused) as info:
        change(app, db, request, {"starts_at": berlin(2027, 11, 10, 12, 0)}, now=later)
    db.rollback()
    assert codes(info.value.reasons) == {"lead_time"}
    [changed] = change(app, db, request, {"starts_at": berlin(2027, 11, 10, 12, 0), "urgent": True,
                                          "urgent_reason": "Termin verschoben"}, now=later)  # fmt: skip
    assert changed.urgent and changed.starts_at == berlin(2027, 11, 10, 12, 0)
    kinds = [m.kind for m in db.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert kinds == ["request_received", "request_urgent"]


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"language": "fa"}, "not_changeable"),
        ({"setting": "court"}, "not_changeable"),
        ({"case_ref": "neu"}, "not_changeable"),
        ({"evil": 1}, "unknown_field"),
        ({"notes": "\x00"}, "invalid_characters"),
        ({"duration_minutes": 900}, "duration"),
        ({"mode": "phone"}, None),
        ({"starts_at": None}, "missing"),
        ({"starts_at": "gestern"}, "invalid"),
        ({"duration_minutes": None}, "missing"),
        ({"address": None}, "address_missing"),
        ({"address": "x" * 301}, "too_long"),
    ],
)
def test_changes_are_checked(app, db, demo, values, code):
    [request] = create(app, db, base_values())
    if code is None:  # a valid change, for contrast
        [changed] = change(app, db, request, values)
        assert changed.mode == "phone" and changed.address is None
        return
    with pytest.raises(IntakeRefused) as info:
        change(app, db, request, values)
    db.rollback()
    assert code in codes(info.value.reasons)


def test_a_finished_or_past_request_cannot_be_changed(app, db, demo):
    [request] = create(app, db, base_values())
    with pytest.raises(ServiceError):
        change(app, db, request, {"notes": "zu spät"}, now=berlin(2027, 11, 10, 10, 30))
    db.rollback()
    request = db.get(InterpretingRequest, request.id)
    request.status = "cancelled"
    db.commit()
    with pytest.raises(ServiceError):
        change(app, db, request, {"notes": "storniert"})
    db.rollback()


def _assigned(app, db):
    catalogue(app, db)
    mediator = deployable_mediator(app, db, pool=district(db), email="amal@demo.example",
                                   name="Amal Haddad")  # fmt: skip
    [request] = create(app, db, base_values())
    request.status = "assigned"
    request.assigned_at = NOW
    db.add(Assignment(request_id=request.id, mediator_id=mediator.id, starts_at=request.starts_at,
                      ends_at=request.ends_at, in_person=True, created_at=NOW))  # fmt: skip
    db.commit()
    return request, mediator


def test_a_new_time_cancels_the_assignment_and_asks_the_mediator_again(app, db, demo):
    request, mediator = _assigned(app, db)
    later = NOW + timedelta(hours=1)
    change(app, db, request, {"starts_at": berlin(2027, 11, 10, 14, 0)}, now=later)
    fresh(db)
    request = db.get(InterpretingRequest, request.id)
    [assignment] = request.assignments
    assert assignment.status == "cancelled" and assignment.cancel_reason == "Zeit geändert"
    assert assignment.cancelled_by == "office" and assignment.short_notice is False
    [offer] = request.offers
    assert offer.mediator_id == mediator.id and offer.status == "pending"
    assert request.status == "offered" and request.assigned_at is None
    to_mediator = db.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == "amal@demo.example", OutboxMessage.kind != "invite")
        .order_by(OutboxMessage.id)
    ).all()
    assert [m.kind for m in to_mediator] == ["assignment_cancelled", "offer_new"]
    cancelled, offered = to_mediator
    assert "Zeit geändert" in cancelled.body_text and "10:00" in cancelled.body_text
    assert "14:00" in offered.body_text
    for message in to_mediator:  # never client data
        assert "Bitte am Empfang" not in message.body_text and "JA-2027" not in message.body_text
    to_coordination = db.scalars(
        select(OutboxMessage.kind).where(OutboxMessage.recipient == COORDINATOR)
    ).all()
    assert "assignment_cancelled_notice" in to_coordination
    actions = set(db.scalars(select(AuditEvent.action)))
    assert {"request.changed", "assignment.cancelled", "offer.created"} <= actions


def test_a_late_change_of_time_is_flagged_as_short_notice(app, db, demo):
    request, _mediator = _assigned(app, db)
    day_before = berlin(2027, 11, 9, 15, 0)
    change(app, db, request, {"starts_at": berlin(2027, 11, 10, 16, 0), "urgent": True,
                              "urgent_reason": "Raum belegt"}, now=day_before)  # fmt: skip
    fresh(db)
    [assignment] = db.get(InterpretingRequest, request.id).assignments
    assert assignment.status == "cancelled" and assignment.short_notice is True


def test_a_coordinator_changing_the_place_tells_the_office(app, db, demo):
    request, _mediator = _assigned(app, db)
    change(app, db, request, {"mode": "video"}, now=NOW + timedelta(hours=1), actor=COORDINATOR)
    fresh(db)
    request = db.get(InterpretingRequest, request.id)
    [assignment] = request.assignments
    assert assignment.cancel_reason == "Ort geändert" and assignment.cancelled_by == "coordination"
    assert request.mode == "video" and request.address is None
    kinds = db.scalars(select(OutboxMessage.kind).where(OutboxMessage.recipient == CASEWORKER))
    assert "assignment_cancelled_notice" in set(kinds)


def test_a_new_address_keeps_the_assignment_and_tells_the_mediator(app, db, demo):
    request, _mediator = _assigned(app, db)
    change(app, db, request, {"address": "Schulweg 2", "duration_minutes": 45},
           now=NOW + timedelta(hours=1))  # fmt: skip
    fresh(db)
    request = db.get(InterpretingRequest, request.id)
    [assignment] = request.assignments
    assert assignment.status == "confirmed" and request.status == "assigned"
    assert assignment.ends_at == berlin(2027, 11, 10, 10, 45)
    [message] = db.scalars(select(OutboxMessage).where(OutboxMessage.kind == "request_changed"))
    assert message.recipient == "amal@demo.example" and "wurde geändert" in message.subject
    assert "Schulweg 2" in message.body_text and "Adresse" in message.body_text
    assert "Bitte am Empfang" not in message.body_text


def test_pending_offers_are_withdrawn_and_made_again_when_the_time_changes(app, db, demo):
    catalogue(app, db)
    mediator = deployable_mediator(app, db, pool=district(db), email="amal@demo.example")
    [request] = create(app, db, base_values())
    request.status = "offered"
    db.add(Offer(request_id=request.id, mediator_id=mediator.id, status="pending",
                 expires_at=NOW + timedelta(days=1), created_at=NOW))  # fmt: skip
    db.commit()
    change(app, db, request, {"starts_at": berlin(2027, 11, 11, 10, 0)},
           now=NOW + timedelta(minutes=5))  # fmt: skip
    fresh(db)
    request = db.get(InterpretingRequest, request.id)
    assert [o.status for o in request.offers] == ["withdrawn", "pending"]
    assert request.offers[1].expires_at <= berlin(2027, 11, 11, 10, 0)
    assert request.status == "offered"
    kinds = db.scalars(
        select(OutboxMessage.kind)
        .where(OutboxMessage.recipient == "amal@demo.example", OutboxMessage.kind != "invite")
        .order_by(OutboxMessage.id)
    ).all()
    assert kinds == ["offer_withdrawn", "offer_new"]


def test_a_mediator_who_may_no_longer_serve_is_not_asked_again(app, db, demo):
    request, mediator = _assigned(app, db)
    mediator = db.get(type(mediator), mediator.id)
    mediator.status = "paused"
    db.commit()
    change(app, db, request, {"starts_at": berlin(2027, 11, 10, 14, 0)},
           now=NOW + timedelta(hours=1))  # fmt: skip
    fresh(db)
    request = db.get(InterpretingRequest, request.id)
    assert request.offers == [] and request.status == "open"
    assert request.assignments[0].status == "cancelled"


HOSTILE = [None, "", " ", "\x00", "ä" * 3000, 0, -1, 2**70, 1.5, float("nan"), True, [], {}, (1, 2),
           b"bytes", object(), datetime(2027, 11, 10, 10, 0), date(2027, 11, 10), "2027-13-45"]  # fmt: skip


@pytest.mark.parametrize("field", sorted(intake.ALL_FIELDS))
def test_any_hostile_value_in_any_field_gives_a_service_error_or_a_request(app, db, demo, field):
    for value in HOSTILE:
        try:
            create(app, db, base_values(**{field: value}))
        except ServiceError as exc:
            assert exc.message
            db.rollback()
        if field in intake.CHANGEABLE_FIELDS:
            [request] = create(app, db, base_values())
            try:
                change(app, db, request, {field: value})
            except ServiceError as exc:
                assert exc.message
                db.rollback()
