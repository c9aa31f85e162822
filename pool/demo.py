"""Demo data for trying the app: `flask --app pool seed-demo` (also run by `make run`).

Two parts: the pools, offices and the four demo logins, and the registry (trainings, guidelines and
about forty mediators in many languages, most of them deployable, a few not — each for another
reason). The registry part is built through the services, so the stored deployability is right.

A third part comes with the registry: requests of the district pool's offices in every state
(open, offered, assigned, completed, cancelled, unfilled, a weekly series), booked through the
request and booking services with the clock set to when each step would have happened, so offers,
assignments, outcomes and the audit trail fit together. The e-mails those services queue are
deleted again: nobody is to be mailed about demo data.

Test apps (``TESTING``) get only the first part unless ``DEMO_REGISTRY`` is set or ``registry=True``
is passed: most tests build the registry data they need themselves.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app, has_app_context
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from pool.enums import (
    AssignmentStatus,
    Gender,
    Level,
    MediatorKind,
    MediatorStatus,
    Mode,
    Outcome,
    PoolKind,
    RequestStatus,
    Role,
    Setting,
    Side,
)
from pool.i18n import BERLIN
from pool.models import (
    Assignment,
    AvailabilityWindow,
    Guideline,
    GuidelineAcknowledgement,
    InterpretingRequest,
    Mediator,
    MediatorDomain,
    MediatorLanguage,
    MediatorStatusChange,
    Office,
    OutboxMessage,
    Pool,
    Training,
    TrainingRecord,
    User,
)
from pool.services import booking
from pool.services import mediators as registry
from pool.services.mediators import AbsenceValue, LanguageSkill, Window, today_in_berlin
from pool.services.requests import create_request
from pool.services.users import create_user
from pool.workdays import is_working_day

DEMO_PASSWORD = "demo-pool-2026"  # noqa: S105 - published demo password
DISTRICT_POOL = "Landkreis"
DEMO_STATE = "NW"
TOWN_POOL = "Stadt Neustadt"
DISTRICT_OFFICES = (
    ("Jugendamt", "JA-5100"),
    ("Gesundheitsamt", "GA-5300"),
    ("Sozialamt", "SA-5000"),
    ("Grundschule am Park", "SCH-4010"),
    ("Ausländerbehörde", "AB-3200"),
)
TOWN_OFFICES = (("Bürgerbüro Neustadt", "BB-1000"), ("Kita Sonnenblume", "KITA-4500"))

# (e-mail, name, role)
DEMO_USERS = (
    ("admin@demo.example", "Anna Admin", Role.ADMIN),
    ("koordination@demo.example", "Karin Koordination", Role.COORDINATOR),
    ("sachbearbeitung@demo.example", "Sven Sachbearbeitung", Role.CASEWORKER),
    ("sprachmittlung@demo.example", "Samira Sprachmittlung", Role.MEDIATOR),
)
DEMO_MEDIATOR_EMAIL = "sprachmittlung@demo.example"


def load_demo_data(session: Session, *, now: datetime, registry: bool | None = None) -> bool:
    """Create the demo data; False if it is there already.

    ``registry``: also the trainings, guidelines and mediators, and the demo requests (default:
    yes, except in test apps without ``DEMO_REGISTRY``). A database seeded before the requests
    existed gets them on the next run.
    """
    if registry is None:
        registry = _registry_wanted()
    created = False
    district = session.scalars(select(Pool).where(Pool.name == DISTRICT_POOL)).first()
    if district is None:
        _load_pools_and_users(session, now=now)
        created = True
    if registry and not _registry_present(session):
        load_demo_registry(session, now=now)
        created = True
    if registry and not _requests_present(session):
        load_demo_requests(session, now=now)
        created = True
    return created


def _registry_wanted() -> bool:
    if not has_app_context():
        return True
    config = current_app.config
    return bool(config.get("DEMO_REGISTRY", not config.get("TESTING", False)))


def _registry_present(session: Session) -> bool:
    return (
        session.scalars(select(Mediator.id).where(Mediator.email == DEMO_MEDIATOR_EMAIL)).first()
        is not None
    )


def _load_pools_and_users(session: Session, *, now: datetime) -> None:
    district = Pool(
        name=DISTRICT_POOL,
        kind=PoolKind.DISTRICT,
        federal_state=DEMO_STATE,
        contact_email="dolmetscherpool@demo.example",
        contact_phone="0521 123-4567",
        created_at=now,
    )
    town = Pool(
        name=TOWN_POOL,
        kind=PoolKind.MUNICIPAL,
        federal_state=DEMO_STATE,
        contact_email="integration@neustadt.demo.example",
        contact_phone="0521 987-6543",
        created_at=now,
    )
    district.offices = [Office(name=n, cost_centre=c, created_at=now) for n, c in DISTRICT_OFFICES]
    town.offices = [Office(name=n, cost_centre=c, created_at=now) for n, c in TOWN_OFFICES]
    town.shares_with = [district]
    district.shares_with = [town]
    session.add_all([district, town])
    session.flush()
    youth_office = next(o for o in district.offices if o.name == "Jugendamt")
    grants: dict[Role, list[tuple[Role, int | None, int | None]]] = {
        Role.ADMIN: [(Role.ADMIN, None, None)],
        Role.COORDINATOR: [(Role.COORDINATOR, district.id, None)],
        Role.CASEWORKER: [(Role.CASEWORKER, None, youth_office.id)],
        Role.MEDIATOR: [(Role.MEDIATOR, district.id, None)],
    }
    for email, name, role in DEMO_USERS:
        create_user(
            session,
            actor=None,
            email=email,
            name=name,
            grants=grants[role],
            password=DEMO_PASSWORD,
            invite=False,
            now=now,
        )


# --- the registry ---------------------------------------------------------------------------------

# (code, name, validity in months, mandatory, domains it unlocks)
TRAININGS: tuple[tuple[str, str, int, bool, list[str]], ...] = (
    ("basic", "Basisschulung", 24, True, []),
    ("health", "Modul Gesundheit", 36, False, ["health"]),
    ("youth_welfare", "Modul Kinder- und Jugendhilfe", 36, False, ["youth_welfare"]),
)

CONFIDENTIALITY_TEXT = """\
## Worum geht es?

Bei Ihren Einsätzen hören Sie viel Persönliches: über Familien, Gesundheit, Geld oder Sorgen.
Diese Dinge bleiben geheim.

## Das verspreche ich

- Ich erzähle **niemandem**, was ich bei einem Einsatz höre oder sehe. Auch nicht meiner Familie
  oder meinen Freunden.
- Das gilt auch, wenn der Einsatz vorbei ist, und auch, wenn ich nicht mehr im Pool mitmache.
- Ich mache keine Fotos und keine Aufnahmen. Ich schreibe keine Namen auf.
- Notizen, die ich im Gespräch brauche, gebe ich am Ende der Fachkraft oder vernichte sie.
- Ich spreche über einen Einsatz nur mit der Koordination – zum Beispiel, wenn mich etwas
  belastet.

## Wenn ich die Person kenne

Kenne ich die Person, für die ich übersetzen soll? Dann sage ich das **vor** dem Gespräch. Die
Fachkraft entscheidet dann, ob ich bleibe.
"""

CODE_OF_CONDUCT_TEXT = """\
## Meine Rolle

Ich übersetze das Gespräch zwischen der Fachkraft und der Person. Die Fachkraft leitet das
Gespräch. Ich bin **neutral**: Ich ergreife keine Partei und gebe keine Ratschläge.

## So übersetze ich

- Ich übersetze **alles**, was gesagt wird – vollständig und ohne etwas hinzuzufügen.
- Ich spreche in der Ich-Form: „Ich habe Schmerzen“, nicht „Sie sagt, sie hat Schmerzen“.
- Wenn ich etwas nicht verstehe, frage ich nach.
- Ich übersetze nur mündlich. Formulare fülle ich nicht für andere aus.

## In schwierigen Situationen

- Wird das Gespräch zu belastend, darf ich eine Pause erbitten.
- Werde ich bedroht oder beleidigt, darf ich den Einsatz beenden. Ich sage der Fachkraft Bescheid.
- Danach melde ich mich bei der Koordination. Sie hilft mir weiter.

## Was ich nicht übernehme

Gerichte, Polizei, Asylanhörungen und ärztliche Gutachten brauchen vereidigte Dolmetscher:innen.
Solche Einsätze nehme ich nicht an.
"""

GUIDELINES = (
    ("confidentiality", "Verschwiegenheitserklärung", CONFIDENTIALITY_TEXT),
    ("code_of_conduct", "Leitlinien für die Sprachmittlung", CODE_OF_CONDUCT_TEXT),
)

WEEKDAYS = (0, 1, 2, 3, 4)
MORNINGS = [Window(d, time(8), time(13)) for d in WEEKDAYS]
DAYTIME = [Window(d, time(9), time(17)) for d in WEEKDAYS]
AFTERNOONS = [Window(d, time(13), time(19)) for d in WEEKDAYS] + [Window(5, time(10), time(14))]
PART_TIME = [Window(d, time(8, 30), time(12, 30)) for d in (1, 3)] + [Window(4, time(14), time(18))]


@dataclass
class DemoMediator:
    name: str
    email: str
    languages: list[tuple[str, str, tuple[str, ...]]]
    pool: str = "district"
    kind: str = MediatorKind.VOLUNTEER
    gender: str | None = None
    german_level: str = Level.C1
    municipalities: tuple[str, ...] = ("Neustadt",)
    modes: tuple[str, ...] = (Mode.IN_PERSON, Mode.PHONE)
    domains: tuple[str, ...] = ("education", "social_services", "authorities")
    trainings: tuple[str, ...] = ("basic",)
    weekly: list[Window] = field(default_factory=lambda: DAYTIME)
    monthly_cap: int | None = None
    # How far from deployable: "" (deployable), "expired_training", "missing_ack", "absent",
    # "paused", "paused_until", "applied", "release_missing"
    state: str = ""
    office: str | None = None  # staff: the employing office
    # Extended police certificate seen (needed for education and youth welfare); always for
    # mediators trained or working in youth welfare.
    police_certificate: bool = False


def _m(name, email, languages, **kwargs) -> DemoMediator:
    return DemoMediator(name, email + "@demo.example", languages, **kwargs)


AR_LEVANTINE = ("ar", Level.NATIVE, ("Levantinisch",))

DEMO_MEDIATORS = (
    # The deployable Arabic speakers of the district pool.
    _m("Amal Haddad", "amal.haddad", [("ar", Level.NATIVE, ("Levantinisch", "Syrisch")), ("en", Level.B2, ())],
       gender=Gender.FEMALE, municipalities=("Neustadt", "Altdorf"), trainings=("basic", "health"),
       domains=("education", "health", "social_services"), police_certificate=True),
    _m("Yusuf Al-Masri", "yusuf.almasri", [("ar", Level.NATIVE, ("Ägyptisch",)), ("en", Level.C1, ())],
       kind=MediatorKind.STAFF, office="Sozialamt", gender=Gender.MALE, weekly=MORNINGS,
       domains=("social_services", "authorities")),
    _m("Leila Benali", "leila.benali", [("ar", Level.NATIVE, ("Maghrebinisch", "Marokkanisch")),
                                        ("fr", Level.NATIVE, ())],
       gender=Gender.FEMALE, municipalities=("Neustadt", "Bergheim"), weekly=AFTERNOONS),
    _m("Omar Khalil", "omar.khalil", [("ar", Level.NATIVE, ("Irakisch",)), ("kmr", Level.B2, ())],
       gender=Gender.MALE, trainings=("basic", "youth_welfare"),
       domains=("education", "youth_welfare", "social_services")),
    _m("Rania Saleh", "rania.saleh", [AR_LEVANTINE, ("en", Level.B1, ())], gender=Gender.FEMALE,
       modes=(Mode.PHONE, Mode.VIDEO), municipalities=("Altdorf",), monthly_cap=4),
    _m("Hassan Darwish", "hassan.darwish", [("ar", Level.NATIVE, ("Sudanesisch",))], gender=Gender.MALE,
       german_level=Level.B2, municipalities=("Bergheim", "Neustadt"), weekly=AFTERNOONS),
    # Not deployable, each for another reason.
    _m("Mahmoud Aziz", "mahmoud.aziz", [("ar", Level.NATIVE, ("Syrisch",))], gender=Gender.MALE,
       state="expired_training"),
    _m("Nour El-Amin", "nour.elamin", [("ar", Level.C1, ()), ("fr", Level.B2, ())], gender=Gender.FEMALE,
       state="applied"),
    # Persian, Dari, Pashto
    _m("Parisa Ahmadi", "parisa.ahmadi", [("fa", Level.NATIVE, ()), ("prs", Level.C1, ())],
       gender=Gender.FEMALE, trainings=("basic", "health"), domains=("health", "education"),
       police_certificate=True),
    _m("Reza Karimi", "reza.karimi", [("fa", Level.NATIVE, ())], gender=Gender.MALE, state="missing_ack"),
    _m("Fatima Rahimi", "fatima.rahimi", [("prs", Level.NATIVE, ("Kabuli",)), ("ps", Level.B2, ())],
       gender=Gender.FEMALE, weekly=MORNINGS),
    _m("Ahmad Noori", "ahmad.noori", [("ps", Level.NATIVE, ()), ("prs", Level.C1, ())], pool="town",
       gender=Gender.MALE, municipalities=("Neustadt",)),
    # Kurdish
    _m("Dilan Yıldız", "dilan.yildiz", [("kmr", Level.NATIVE, ()), ("tr", Level.NATIVE, ())],
       gender=Gender.FEMALE, trainings=("basic", "youth_welfare"),
       domains=("youth_welfare", "education")),
    _m("Karwan Aziz", "karwan.aziz", [("ckb", Level.NATIVE, ("Soranî (Sulaimaniya)",)),
                                      ("ar", Level.B2, ())],
       gender=Gender.MALE, municipalities=("Altdorf", "Neustadt")),
    _m("Rojda Demir", "rojda.demir", [("kmr", Level.NATIVE, ()), ("tr", Level.C1, ())], gender=Gender.FEMALE,
       state="absent"),
    # Horn of Africa
    _m("Semhar Tesfay", "semhar.tesfay", [("ti", Level.NATIVE, ()), ("am", Level.B2, ())],
       gender=Gender.FEMALE, weekly=AFTERNOONS),
    _m("Yonas Gebremedhin", "yonas.gebremedhin", [("ti", Level.NATIVE, ())], gender=Gender.MALE,
       state="paused"),
    _m("Hodan Abdi", "hodan.abdi", [("so", Level.NATIVE, ()), ("en", Level.B2, ())], gender=Gender.FEMALE,
       trainings=("basic", "health"), domains=("health",)),
    _m("Abdirahman Warsame", "abdirahman.warsame", [("so", Level.NATIVE, ()), ("ar", Level.B1, ())],
       gender=Gender.MALE, state="paused_until"),
    # Turkish
    _m("Ayşe Kaya", "ayse.kaya", [("tr", Level.NATIVE, ())], kind=MediatorKind.STAFF, office="Jugendamt",
       gender=Gender.FEMALE, weekly=MORNINGS, trainings=("basic", "youth_welfare"),
       domains=("youth_welfare", "education")),
    _m("Mehmet Öztürk", "mehmet.oeztuerk", [("tr", Level.NATIVE, ())], kind=MediatorKind.STAFF,
       office="Ausländerbehörde", gender=Gender.MALE, state="release_missing"),
    _m("Elif Şahin", "elif.sahin", [("tr", Level.NATIVE, ()), ("en", Level.C1, ())], pool="town",
       gender=Gender.FEMALE),
    # Ukrainian, Russian
    _m("Olena Kovalenko", "olena.kovalenko", [("uk", Level.NATIVE, ()), ("ru", Level.NATIVE, ())],
       gender=Gender.FEMALE, trainings=("basic", "health"), domains=("health", "education"),
       police_certificate=True),
    _m("Iryna Shevchenko", "iryna.shevchenko", [("uk", Level.NATIVE, ()), ("pl", Level.B2, ())],
       pool="town", gender=Gender.FEMALE, weekly=AFTERNOONS),
    _m("Dmytro Bondarenko", "dmytro.bondarenko", [("uk", Level.NATIVE, ()), ("ru", Level.C2, ())],
       gender=Gender.MALE, state="applied"),
    _m("Natalia Ivanova", "natalia.ivanova", [("ru", Level.NATIVE, ())], gender=Gender.FEMALE,
       municipalities=("Bergheim",)),
    _m("Sergej Popov", "sergej.popov", [("ru", Level.NATIVE, ()), ("uk", Level.C1, ())], pool="town",
       kind=MediatorKind.STAFF, office="Bürgerbüro Neustadt", gender=Gender.MALE, weekly=MORNINGS),
    # Romanian, Bulgarian, Albanian, Polish
    _m("Ioana Popescu", "ioana.popescu", [("ro", Level.NATIVE, ())], gender=Gender.FEMALE),
    _m("Andrei Munteanu", "andrei.munteanu", [("ro", Level.NATIVE, ()), ("ru", Level.B2, ())],
       pool="town", gender=Gender.MALE),
    _m("Desislava Petrova", "desislava.petrova", [("bg", Level.NATIVE, ()), ("tr", Level.B2, ())],
       gender=Gender.FEMALE, weekly=PART_TIME),
    _m("Georgi Dimitrov", "georgi.dimitrov", [("bg", Level.NATIVE, ()), ("rom", Level.C1, ())],
       gender=Gender.MALE, state="expired_training"),
    _m("Arben Krasniqi", "arben.krasniqi", [("sq", Level.NATIVE, ()), ("sr", Level.C1, ())],
       gender=Gender.MALE),
    _m("Blerta Hoxha", "blerta.hoxha", [("sq", Level.NATIVE, ()), ("it", Level.B2, ())], pool="town",
       gender=Gender.FEMALE),
    _m("Katarzyna Nowak", "katarzyna.nowak", [("pl", Level.NATIVE, ())], gender=Gender.FEMALE,
       weekly=PART_TIME, police_certificate=True),
    _m("Piotr Wiśniewski", "piotr.wisniewski", [("pl", Level.NATIVE, ()), ("ru", Level.B1, ())],
       pool="town", gender=Gender.MALE),
    # French, English and more
    _m("Aminata Diallo", "aminata.diallo", [("fr", Level.NATIVE, ()), ("wo", Level.NATIVE, ())],
       gender=Gender.FEMALE),
    _m("Jean-Pierre Mbeki", "jeanpierre.mbeki", [("fr", Level.NATIVE, ()), ("ln", Level.NATIVE, ())],
       gender=Gender.MALE, modes=(Mode.IN_PERSON, Mode.PHONE, Mode.VIDEO), police_certificate=True),
    _m("Grace Okafor", "grace.okafor", [("en", Level.NATIVE, ()), ("ig", Level.NATIVE, ())],
       gender=Gender.FEMALE, trainings=("basic", "health"), domains=("health",)),
    _m("Imran Qureshi", "imran.qureshi", [("ur", Level.NATIVE, ()), ("en", Level.C2, ())], pool="town",
       gender=Gender.MALE),
    _m("Tran Thi Mai", "mai.tran", [("vi", Level.NATIVE, ())], gender=Gender.FEMALE, german_level=Level.B2),
    _m("Lucía García", "lucia.garcia", [("es", Level.NATIVE, ()), ("pt", Level.C1, ())], pool="town",
       gender=Gender.FEMALE, modes=(Mode.PHONE, Mode.VIDEO)),
)  # fmt: skip


def load_demo_registry(session: Session, *, now: datetime) -> None:
    """Trainings, guidelines and the demo mediators (pools and logins must exist)."""
    admin = _user(session, "admin@demo.example")
    coordinator = _user(session, "koordination@demo.example")
    pools = {
        "district": session.scalars(select(Pool).where(Pool.name == DISTRICT_POOL)).one(),
        "town": session.scalars(select(Pool).where(Pool.name == TOWN_POOL)).one(),
    }
    offices = {o.name: o for p in pools.values() for o in p.offices}
    trainings = _trainings(session)
    guidelines = _guidelines(session, admin, now)
    today = today_in_berlin(now)

    # The demo login of the role "mediator" becomes a deployable mediator (Arabic and French).
    samira = _user(session, DEMO_MEDIATOR_EMAIL)
    samira.roles = [r for r in samira.roles if r.role != Role.MEDIATOR]  # create_mediator adds it
    session.flush()
    spec = _m("Samira Sprachmittlung", "sprachmittlung", [AR_LEVANTINE, ("fr", Level.C1, ())],
              gender=Gender.FEMALE, municipalities=("Neustadt", "Altdorf"),
              trainings=("basic", "health"), police_certificate=True,
              domains=("education", "health", "social_services"))  # fmt: skip
    _create(session, spec, pools, offices, trainings, guidelines, coordinator, now, today,
            activate_with_service=True)  # fmt: skip
    for spec in DEMO_MEDIATORS:
        _create(session, spec, pools, offices, trainings, guidelines, coordinator, now, today)
    session.flush()


def _user(session: Session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


def _trainings(session: Session) -> dict[str, Training]:
    existing = {t.code: t for t in session.scalars(select(Training))}
    for code, name, months, mandatory, domains in TRAININGS:
        if code not in existing:
            existing[code] = Training(code=code, name=name, validity_months=months,
                                      mandatory=mandatory, unlocks_domains=domains)  # fmt: skip
            session.add(existing[code])
    session.flush()
    return existing


def _guidelines(session: Session, admin: User, now: datetime) -> list[Guideline]:
    current = {g.code: g for g in session.scalars(select(Guideline).where(Guideline.current))}
    for code, title, body in GUIDELINES:
        if code not in current:
            current[code] = registry.publish_guideline(
                session, actor=admin, code=code, title=title, body_markdown=body,
                mandatory=True, now=now - timedelta(days=400),
            )  # fmt: skip
    return [g for g in current.values() if g.mandatory]


def _create(
    session, spec: DemoMediator, pools, offices, trainings, guidelines, coordinator, now, today,
    activate_with_service=False,
) -> Mediator:  # fmt: skip
    # Spread the dates a little, so lists do not look machine-made.
    seed = sum(map(ord, spec.email))
    joined = today - timedelta(days=120 + seed % 400)
    values = {
        "name": spec.name,
        "email": spec.email,
        "kind": spec.kind,
        "gender": spec.gender,
        "german_level": spec.german_level,
        "languages": [LanguageSkill(c, lvl, d) for c, lvl, d in spec.languages],
        "municipalities": list(spec.municipalities),
        "modes": list(spec.modes),
        "domains": list(spec.domains),
        "monthly_cap": spec.monthly_cap,
        "phone": f"0521 {300000 + seed * 37 % 600000}",
        "adult_confirmed": True,
        "data_consent_at": now - timedelta(days=(today - joined).days + 7),
    }
    if spec.kind == MediatorKind.STAFF:
        values["employing_office_id"] = offices[spec.office].id
        if spec.state != "release_missing":
            values["supervisor_release_by"] = "Dr. Petra Lehmann (Amtsleitung)"
            values["supervisor_release_until"] = today + timedelta(days=300)
    mediator = registry.create_mediator(session, actor=coordinator, pool=pools[spec.pool],
                                        values=values, now=now, invite=False)  # fmt: skip
    if spec.kind == MediatorKind.STAFF:
        mediator.staff_consent_at = now - timedelta(days=(today - joined).days)
    if spec.state == "applied":
        return mediator
    checks = {"interview_on": joined, "confidentiality_signed_on": joined, "obligation_on": joined}
    if (
        spec.police_certificate
        or "youth_welfare" in spec.trainings
        or "youth_welfare" in spec.domains
    ):
        checks |= {"police_certificate_seen_on": joined, "police_certificate_no_entry": True}
    registry.record_checks(session, actor=coordinator, mediator=mediator, checks=checks, now=now)
    if activate_with_service:
        registry.change_status(session, actor=coordinator, mediator=mediator, to_status=MediatorStatus.ACTIVE,
                               reason=None, now=now)  # fmt: skip
    else:
        _activate(mediator, coordinator, now - timedelta(days=(today - joined).days - 7))
    for code in spec.trainings:
        completed = joined + timedelta(days=14)
        if spec.state == "expired_training" and code == "basic":
            completed = today - timedelta(days=800)  # 24 months ago and more: expired
        registry.record_training(session, actor=coordinator, mediator=mediator,
                                 training=trainings[code], completed_on=min(completed, today),
                                 now=now)  # fmt: skip
    for guideline in guidelines:
        if spec.state == "missing_ack" and guideline.code == "code_of_conduct":
            continue
        registry.acknowledge_guideline(session, mediator=mediator, guideline=guideline, now=now)
    absences = []
    if spec.state == "absent":
        absences = [AbsenceValue(today - timedelta(days=3), today + timedelta(days=11), "Urlaub")]
    else:
        absences = [AbsenceValue(today + timedelta(days=40), today + timedelta(days=54), None)]
    paused_until = today + timedelta(days=21) if spec.state == "paused_until" else None
    assert mediator.user is not None  # create_mediator gives every mediator an account
    registry.set_availability(session, actor=mediator.user, mediator=mediator, weekly=spec.weekly,
                              absences=absences, paused_until=paused_until, now=now)  # fmt: skip
    if spec.state == "paused":
        registry.change_status(session, actor=coordinator, mediator=mediator, to_status=MediatorStatus.PAUSED,
                               reason="Elternzeit bis zum Frühjahr", now=now)  # fmt: skip
    return mediator


def _activate(mediator: Mediator, coordinator: User, at: datetime) -> None:
    """Activation as it happened long ago: the demo people have no password, and the service
    would send each of them an invitation e-mail now. Deployability is recomputed by the next
    service call."""
    mediator.status_changes.append(
        MediatorStatusChange(
            from_status=MediatorStatus.APPLIED,
            to_status=MediatorStatus.ACTIVE,
            actor_id=coordinator.id,
            reason=None,
            at=at,
        )  # fmt: skip
    )
    mediator.status = MediatorStatus.ACTIVE
    mediator.status_changed_at = at


# --- requests -------------------------------------------------------------------------------------

CASEWORKER_EMAIL = "sachbearbeitung@demo.example"
COORDINATOR_EMAIL = "koordination@demo.example"
# Demo offers stay open for a week (the pool's default is a day): the demo should still show
# pending offers the day after ``make run``.
DEMO_OFFER_MINUTES = 7 * 24 * 60

RATHAUS = "Rathausplatz 2, 2. OG, Zimmer 214"
GESUNDHEITSAMT = "Gesundheitsamt, Am Markt 7, Raum 12"
SOZIALAMT = "Bahnhofstraße 11, Wartebereich B"
SCHULE = "Grundschule am Park, Parkweg 3, Sekretariat"


def _requests_present(session: Session) -> bool:
    district = session.scalars(select(Pool.id).where(Pool.name == DISTRICT_POOL)).first()
    return (
        session.scalars(
            select(InterpretingRequest.id).where(InterpretingRequest.pool_id == district)
        ).first()
        is not None
    )


class _DemoRequests:
    """Creates and books demo requests through the services, each step at its own clock."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.today = today_in_berlin(now)
        district = session.scalars(select(Pool).where(Pool.name == DISTRICT_POOL)).one()
        self.offices = {o.name: o for o in district.offices}
        self.caseworker = _user(session, CASEWORKER_EMAIL)
        self.coordinator = _user(session, COORDINATOR_EMAIL)
        self.mediators = {
            m.email.split("@")[0]: m
            for m in session.scalars(select(Mediator).where(Mediator.pool_id == district.id))
        }

    # Dates in Europe/Berlin.

    def ahead(self, week: int, weekday: int, hour: int, minute: int = 0) -> datetime:
        """A weekday ``week`` (0 to 3) weeks after the Monday after next (8 to 14 days ahead):
        beyond the lead time, and before the demo mediators' holidays (40 days ahead). A public
        holiday moves it to the nearest working day in that range."""
        monday = self.today + timedelta(days=7 - self.today.weekday() + 7 + 7 * week)
        day = _working_day(monday + timedelta(days=weekday), self.today + timedelta(days=8),
                           self.today + timedelta(days=39))  # fmt: skip
        return _local(day, hour, minute)

    def ago(self, week: int, weekday: int, hour: int, minute: int = 0) -> datetime:
        """A weekday ``week`` (1 to 4) weeks before this week: always before today."""
        monday = self.today - timedelta(days=self.today.weekday() + 7 * week)
        day = _working_day(monday + timedelta(days=weekday), self.today - timedelta(days=40),
                           self.today - timedelta(days=1))  # fmt: skip
        return _local(day, hour, minute)

    def soon(self, hour: int) -> datetime:
        """A working day two to six days ahead (an urgent request, inside the lead time)."""
        day = _working_day(self.today + timedelta(days=2), self.today + timedelta(days=2),
                           self.today + timedelta(days=6))  # fmt: skip
        return _local(day, hour)

    def series_start(self, count: int, hour: int) -> datetime:
        """The start of a weekly series in the coming weeks whose every date is a working day."""
        monday = self.today + timedelta(days=7 - self.today.weekday() + 7)
        for offset in (4, 3, 2, 1, 0, 11, 10, 9, 8, 7):
            first = monday + timedelta(days=offset)
            if all(_is_working_day(first + timedelta(days=7 * k)) for k in range(count)):
                return _local(first, hour)
        return _local(monday + timedelta(days=4), hour)

    # Steps.

    def create(
        self, office: str, starts_at: datetime, *, language: str, domain: str, setting: str,
        mode: str = Mode.IN_PERSON, duration: int = 60, address: str | None = None,
        municipality: str = "Neustadt", clock: datetime | None = None, repeat=None,
        **values,
    ) -> InterpretingRequest:  # fmt: skip
        """A request of ``office`` (the caseworker asks for the Jugendamt, the coordination
        takes the other offices' requests by phone), made two weeks before a past start."""
        actor = self.caseworker if office == "Jugendamt" else self.coordinator
        values = {
            "language": language,
            "starts_at": starts_at,
            "duration_minutes": duration,
            "mode": mode,
            "municipality": municipality,
            "address": address if mode == Mode.IN_PERSON else None,
            "domain": domain,
            "setting": setting,
            "professional_present": True,
            **values,
        }
        created = create_request(self.session, actor=actor, office=self.offices[office],
                                 values=values, now=clock or self._before(starts_at, 14),
                                 repeat=repeat)  # fmt: skip
        return created[0]

    def offer(self, request: InterpretingRequest, *names: str, clock: datetime | None = None):
        return booking.make_offers(
            self.session, actor=self.coordinator, request=request,
            mediators=[self.mediators[n] for n in names],
            now=clock or self._step(request, 12), expires_in_minutes=DEMO_OFFER_MINUTES,
        )  # fmt: skip

    def accept(self, request: InterpretingRequest, name: str, *also_offered: str) -> Assignment:
        """Offered to ``name`` (and others), accepted by ``name``."""
        offers = self.offer(request, name, *also_offered)
        return booking.accept_offer(self.session, mediator=self.mediators[name], offer=offers[0],
                                    no_conflict_of_interest=True,
                                    now=self._step(request, 11))  # fmt: skip

    def assign(self, request: InterpretingRequest, name: str, reason: str) -> Assignment:
        return booking.assign_directly(self.session, actor=self.coordinator, request=request,
                                       mediator=self.mediators[name], reason=reason,
                                       now=self._step(request, 11))  # fmt: skip

    def report(
        self, assignment: Assignment, side: str, outcome: str, duration: int | None, **values
    ) -> None:
        request = assignment.request
        actor: User | None
        if side == Side.OFFICE:
            actor = self.caseworker if request.office.name == "Jugendamt" else self.coordinator
        else:
            actor = assignment.mediator.user
        # The office reports the same afternoon, the mediator the next day.
        delay = timedelta(hours=3) if side == Side.OFFICE else timedelta(days=1, hours=2)
        booking.report_outcome(self.session, actor=actor, assignment=assignment, side=side,
                               outcome=outcome, duration_minutes=duration,
                               now=min(assignment.ends_at + delay, self.now), **values)  # fmt: skip

    def _before(self, starts_at: datetime, days: int) -> datetime:
        """``days`` before a past start, or now for a future one."""
        return min(starts_at.astimezone(UTC) - timedelta(days=days), self.now)

    def _step(self, request: InterpretingRequest, days: int) -> datetime:
        """The clock of a booking step: ``days`` before a past start, and never before the
        request was made; now for a future request."""
        return max(self._before(request.starts_at, days), request.created_at)


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


def _is_working_day(day: date) -> bool:
    """A working day in the demo pools' state, and not Christmas Eve or New Year's Eve."""
    return is_working_day(day, DEMO_STATE) and (day.month, day.day) not in ((12, 24), (12, 31))


def _working_day(day: date, earliest: date, latest: date) -> date:
    """``day`` if it is a working day, else the nearest one within ``earliest``..``latest``."""
    for distance in range(0, 14):
        for candidate in (day - timedelta(days=distance), day + timedelta(days=distance)):
            if earliest <= candidate <= latest and _is_working_day(candidate):
                return candidate
    return day


def load_demo_requests(session: Session, *, now: datetime) -> None:
    """Requests of the district pool's offices in every state (registry and logins must exist).

    Future requests are made now, at least a week ahead, on weekdays inside the mediators'
    availability; past ones were "made" two weeks before their start, booked ten days before it
    and reported after it: every step runs through the services with its own clock. The
    e-mails the services queue are deleted at the end.
    """
    last_message = session.scalar(select(func.max(OutboxMessage.id))) or 0
    d = _DemoRequests(session, now)

    # Open: waiting for the coordination.
    d.create(
        "Jugendamt",
        d.ahead(0, 1, 10),
        language="ar",
        domain="youth_welfare",
        setting=Setting.PARENTS_MEETING,
        address=RATHAUS,
        case_ref="JA-23-117",
        dialect="Irakisch",
        notes="Gespräch zur Hilfeplanung. Bitte am Empfang melden.",
    )
    d.create(
        "Jugendamt",
        d.ahead(1, 2, 14),
        language="fa",
        domain="education",
        setting=Setting.COUNSELLING,
        mode=Mode.PHONE,
        duration=45,
        case_ref="JA-24-031",
    )
    d.create(
        "Grundschule am Park",
        d.ahead(2, 2, 11),
        language="uk",
        domain="education",
        setting=Setting.PARENTS_MEETING,
        address=SCHULE,
        gender_preference=Gender.FEMALE,
        notes="Gespräch über den Wechsel auf die weiterführende Schule.",
    )
    d.create("Sozialamt", d.soon(10), language="ar", domain="social_services",
             setting=Setting.OFFICE_APPOINTMENT, address=SOZIALAMT, duration=45, urgent=True,
             urgent_reason="Die Leistungen laufen Ende der Woche aus; der Antrag muss vorher "
                           "besprochen werden.")  # fmt: skip
    # A language nobody in the pools speaks: no candidates.
    d.create(
        "Gesundheitsamt",
        d.ahead(1, 0, 10),
        language="hy",
        domain="health",
        setting=Setting.COUNSELLING,
        address=GESUNDHEITSAMT,
        notes="Impfberatung für eine Familie mit drei Kindern.",
    )

    # Offered: offers are out and waiting for an answer.
    health = d.create(
        "Gesundheitsamt",
        d.ahead(1, 3, 10),
        language="ar",
        domain="health",
        setting=Setting.COUNSELLING,
        address=GESUNDHEITSAMT,
        duration=45,
        notes="Beratung zur Schuleingangsuntersuchung.",
    )
    d.offer(health, "sprachmittlung", "amal.haddad")
    social = d.create(
        "Sozialamt",
        d.ahead(2, 1, 11),
        language="ru",
        domain="social_services",
        setting=Setting.OFFICE_APPOINTMENT,
        mode=Mode.PHONE,
        duration=30,
    )
    offers = d.offer(social, "natalia.ivanova", "olena.kovalenko")
    booking.decline_offer(session, mediator=d.mediators["natalia.ivanova"], offer=offers[0],
                          reason="An dem Tag bin ich verreist.", now=now)  # fmt: skip
    youth = d.create(
        "Jugendamt",
        d.ahead(2, 3, 9),
        language="tr",
        domain="youth_welfare",
        setting=Setting.HOME_VISIT,
        address="Lindenstraße 14",
        duration=90,
        case_ref="JA-24-058",
        gender_preference=Gender.FEMALE,
    )
    d.offer(youth, "dilan.yildiz", "ayse.kaya")

    # Assigned and still ahead (two for the demo mediator's login).
    d.accept(d.create("Sozialamt", d.ahead(0, 3, 9, 30), language="ar",
                      domain="social_services", setting=Setting.OFFICE_APPOINTMENT,
                      address=SOZIALAMT, notes="Erstgespräch zum Wohngeld."),
             "sprachmittlung", "leila.benali")  # fmt: skip
    d.assign(d.create("Grundschule am Park", d.ahead(2, 0, 15), language="fr", domain="education",
                      setting=Setting.PARENTS_MEETING, address=SCHULE, duration=45),
             "sprachmittlung", "Telefonisch abgesprochen.")  # fmt: skip
    d.accept(d.create("Jugendamt", d.ahead(1, 1, 9), language="kmr", domain="youth_welfare",
                      setting=Setting.COUNSELLING, address=RATHAUS, case_ref="JA-24-012"),
             "dilan.yildiz", "omar.khalil")  # fmt: skip
    # A weekly series: the first two dates are booked, the others still open.
    first = d.create(
        "Jugendamt",
        d.series_start(4, 10),
        language="ar",
        domain="youth_welfare",
        setting=Setting.COUNSELLING,
        address=RATHAUS,
        case_ref="JA-23-117",
        repeat=(7, 4),
        notes="Wöchentliche Beratung, immer im selben Raum.",
    )
    series = session.scalars(
        select(InterpretingRequest)
        .where(InterpretingRequest.series_id == first.series_id)
        .order_by(InterpretingRequest.starts_at)
    ).all()
    for request in series[:2]:
        d.accept(request, "omar.khalil")

    # Past and done: both sides reported (once differently).
    done = d.accept(d.create("Jugendamt", d.ago(3, 1, 10), language="ar", domain="youth_welfare",
                             setting=Setting.PARENTS_MEETING, address=RATHAUS, case_ref="JA-23-117"),
                    "omar.khalil")  # fmt: skip
    d.report(
        done,
        Side.OFFICE,
        Outcome.TOOK_PLACE,
        60,
        rating=5,
        feedback="Sehr ruhig und genau übersetzt.",
    )
    d.report(done, Side.MEDIATOR, Outcome.TOOK_PLACE, 60, travel_km=12)
    done = d.accept(d.create("Gesundheitsamt", d.ago(2, 2, 10), language="ar", domain="health",
                             setting=Setting.COUNSELLING, address=GESUNDHEITSAMT, duration=45),
                    "sprachmittlung", "amal.haddad")  # fmt: skip
    d.report(done, Side.OFFICE, Outcome.TOOK_PLACE, 45, rating=4)
    d.report(done, Side.MEDIATOR, Outcome.TOOK_PLACE, 50, travel_km=8)
    done = d.assign(d.create("Sozialamt", d.ago(2, 3, 11), language="ru",
                             domain="social_services", setting=Setting.OFFICE_APPOINTMENT,
                             address=SOZIALAMT, duration=45),
                    "natalia.ivanova", "Kurzfristig telefonisch zugesagt.")  # fmt: skip
    d.report(
        done, Side.OFFICE, Outcome.CLIENT_NO_SHOW, None, feedback="Die Klientin ist nicht gekommen."
    )
    d.report(
        done, Side.MEDIATOR, Outcome.TOOK_PLACE, 40, travel_km=20
    )  # differs: for the coordination
    done = d.accept(d.create("Grundschule am Park", d.ago(1, 0, 14), language="uk",
                             domain="education", setting=Setting.PARENTS_MEETING, address=SCHULE,
                             duration=90),
                    "olena.kovalenko")  # fmt: skip
    d.report(done, Side.OFFICE, Outcome.TOOK_PLACE, 90, rating=5)
    d.report(done, Side.MEDIATOR, Outcome.TOOK_PLACE, 90, travel_km=6)
    # Past, waiting for reports: the office has not reported yet; the demo mediator has not.
    d.accept(d.create("Jugendamt", d.ago(1, 2, 9), language="tr", domain="youth_welfare",
                      setting=Setting.COUNSELLING, address=RATHAUS, case_ref="JA-24-058"),
             "dilan.yildiz")  # fmt: skip
    waiting = d.accept(d.create("Sozialamt", d.ago(1, 1, 10), language="ar",
                                domain="social_services", setting=Setting.OFFICE_APPOINTMENT,
                                address=SOZIALAMT, duration=30),
                       "sprachmittlung")  # fmt: skip
    d.report(waiting, Side.OFFICE, Outcome.TOOK_PLACE, 30, rating=5)

    # Cancelled by the caseworker a few hours before the start (short notice).
    late = d.create(
        "Jugendamt",
        d.ago(2, 4, 10),
        language="fa",
        domain="education",
        setting=Setting.PARENTS_MEETING,
        address=RATHAUS,
        case_ref="JA-24-031",
    )
    d.accept(late, "parisa.ahmadi")
    booking.cancel_request(session, actor=d.caseworker, request=late,
                           reason="Die Familie hat den Termin kurzfristig abgesagt.",
                           now=late.starts_at - timedelta(hours=5))  # fmt: skip
    # Cancelled in good time.
    early = d.create(
        "Jugendamt",
        d.ahead(3, 2, 10),
        language="ar",
        domain="youth_welfare",
        setting=Setting.OFFICE_APPOINTMENT,
        address=RATHAUS,
    )
    booking.cancel_request(session, actor=d.caseworker, request=early,
                           reason="Der Termin hat sich erledigt.", now=now)  # fmt: skip

    # Unfilled: the only candidate declined.
    rare = d.create(
        "Gesundheitsamt",
        d.ahead(1, 2, 14),
        language="ti",
        domain="health",
        setting=Setting.COUNSELLING,
        address=GESUNDHEITSAMT,
    )
    offers = d.offer(rare, "semhar.tesfay")
    booking.decline_offer(session, mediator=d.mediators["semhar.tesfay"], offer=offers[0],
                          reason="Da habe ich einen anderen Termin.", now=now)  # fmt: skip
    booking.mark_unfillable(session, actor=d.coordinator, request=rare,
                            reason="Niemand aus dem Pool kann an dem Tag.", now=now)  # fmt: skip

    # No e-mails about demo data.
    session.execute(delete(OutboxMessage).where(OutboxMessage.id > last_message))
    session.flush()


# --- large data sets (benchmarks) -----------------------------------------------------------------

BULK_EMAIL = "bulk-{}@demo.example"  # bulk mediators: counted by this pattern
BULK_CASE_REF = "BULK-"  # bulk requests: counted by this case reference prefix
BULK_CHUNK = 5000
BULK_LANGUAGES = ("ar", "tr", "ru", "uk", "fa", "prs", "kmr", "ti", "so", "pl", "ro", "bg", "fr")
BULK_DOMAINS = ("social_services", "education", "authorities")
BULK_SETTINGS = (Setting.COUNSELLING, Setting.OFFICE_APPOINTMENT, Setting.PARENTS_MEETING)
BULK_TOWNS = ("Neustadt", "Altdorf", "Bergheim")


def load_bulk_data(
    session: Session, *, now: datetime, mediators: int, requests: int, open_every: int = 1000
) -> tuple[int, int]:
    """Top the demo data up to ``mediators`` bulk mediators and ``requests`` bulk requests (for
    benchmarks), written with bulk inserts in chunks, not through the services: a second run with
    the same numbers adds nothing. Returns how many mediators and requests were added.

    Mediators: active and deployable (checks, basic training, guidelines, weekday windows), one or
    two languages, four in five in the district pool. Requests: one in ``open_every`` (at least
    one) open and ahead, the others past and completed, each with the completed assignment of a bulk
    mediator of the same pool who speaks the language. Needs the ordinary demo data.
    """
    load_demo_data(session, now=now, registry=True)
    conn = session.connection()
    rng = random.Random(mediators * 7919 + requests)
    bulk_mediators = Mediator.email.like(BULK_EMAIL.format("%"))
    have = session.scalar(select(func.count(Mediator.id)).where(bulk_mediators)) or 0
    added_mediators = max(mediators - have, 0)
    if added_mediators:
        _bulk_mediators(session, conn, rng, now, first=have + 1, count=added_mediators)
    have = session.scalar(
        select(func.count(InterpretingRequest.id)).where(
            InterpretingRequest.case_ref.like(BULK_CASE_REF + "%")
        )
    ) or 0  # fmt: skip
    added_requests = max(requests - have, 0)
    if added_requests:
        _bulk_requests(session, conn, rng, now, first=have + 1, count=added_requests,
                       open_every=open_every)  # fmt: skip
    session.flush()
    return added_mediators, added_requests


def _insert(conn, model, rows: list[dict], *, ids: bool = False) -> list[int]:
    """Insert ``rows`` in chunks; with ``ids`` the new primary keys, in the order of ``rows``."""
    table = model.__table__
    statement = insert(table)
    if ids:
        statement = statement.returning(table.c.id, sort_by_parameter_order=True)
    new_ids: list[int] = []
    for start in range(0, len(rows), BULK_CHUNK):
        result = conn.execute(statement, rows[start : start + BULK_CHUNK])
        if ids:
            new_ids.extend(result.scalars())
    return new_ids


def _bulk_pools(session: Session) -> list[Pool]:
    district = session.scalars(select(Pool).where(Pool.name == DISTRICT_POOL)).one()
    town = session.scalars(select(Pool).where(Pool.name == TOWN_POOL)).one()
    return [district, district, district, district, town]  # four in five: the district


def _bulk_mediators(session, conn, rng, now: datetime, *, first: int, count: int) -> None:
    today = today_in_berlin(now)
    pools = _bulk_pools(session)
    basic = session.scalars(select(Training).where(Training.code == "basic")).one()
    guidelines = session.scalars(select(Guideline.id).where(Guideline.current,
                                                            Guideline.mandatory)).all()  # fmt: skip
    joined = today - timedelta(days=300)
    for start in range(first, first + count, BULK_CHUNK):
        numbers = range(start, min(start + BULK_CHUNK, first + count))
        people = [{
            "pool_id": rng.choice(pools).id, "kind": MediatorKind.VOLUNTEER, "status": MediatorStatus.ACTIVE,
            "name": f"Sprachmittler:in {n}", "email": BULK_EMAIL.format(n),
            "gender": (Gender.FEMALE, Gender.MALE)[n % 2], "german_level": "C1", "adult_confirmed": True,
            "municipalities": rng.sample(BULK_TOWNS, rng.randint(1, 2)),
            "mode_in_person": True, "mode_phone": rng.random() < 0.7, "mode_video": False,
            "data_consent_at": now - timedelta(days=310), "interview_on": joined,
            "confidentiality_signed_on": joined, "obligation_on": joined,
            "police_certificate_seen_on": joined, "police_certificate_no_entry": True,
            "deployable": True, "deployability_codes": [], "deployability_checked_on": today,
            "booking_version": 0, "created_at": now, "updated_at": now, "status_changed_at": now,
        } for n in numbers]  # fmt: skip
        mediator_ids = _insert(conn, Mediator, people, ids=True)
        languages, domains, windows, trainings, acks = [], [], [], [], []
        for mediator_id in mediator_ids:
            for code in {rng.choice(BULK_LANGUAGES) for _n in range(rng.randint(1, 2))}:
                languages.append({"mediator_id": mediator_id, "language_code": code,
                                  "level": rng.choice((Level.NATIVE, Level.C2, Level.C1)), "dialects": []})  # fmt: skip
            domains += [{"mediator_id": mediator_id, "domain_code": c} for c in BULK_DOMAINS]
            for weekday in sorted(rng.sample(WEEKDAYS, rng.randint(2, 5))):
                windows.append({"mediator_id": mediator_id, "weekday": weekday,
                                "start": time(8), "end": time(17)})  # fmt: skip
            trainings.append({"mediator_id": mediator_id, "training_id": basic.id,
                              "completed_on": joined, "recorded_at": now,
                              "expires_on": joined + timedelta(days=730)})  # fmt: skip
            acks += [{"mediator_id": mediator_id, "guideline_id": g, "acknowledged_at": now}
                     for g in guidelines]  # fmt: skip
        _insert(conn, MediatorLanguage, languages)
        _insert(conn, MediatorDomain, domains)
        _insert(conn, AvailabilityWindow, windows)
        _insert(conn, TrainingRecord, trainings)
        _insert(conn, GuidelineAcknowledgement, acks)


def _bulk_requests(
    session, conn, rng, now: datetime, *, first: int, count: int, open_every: int
) -> None:
    """Past completed requests with their assignments, and a few open ones ahead."""
    speakers: dict[tuple[int, str], list[int]] = {}
    rows = session.execute(
        select(Mediator.pool_id, MediatorLanguage.language_code, Mediator.id)
        .join(MediatorLanguage, MediatorLanguage.mediator_id == Mediator.id)
        .where(Mediator.email.like(BULK_EMAIL.format("%")))
    )
    for pool_id, code, mediator_id in rows:
        speakers.setdefault((pool_id, code), []).append(mediator_id)
    if not speakers:
        raise ValueError("bulk requests need bulk mediators")
    keys = sorted(speakers)
    offices = {p.id: [o.id for o in p.offices] for p in _bulk_pools(session)}
    for start in range(first, first + count, BULK_CHUNK):
        numbers = range(start, min(start + BULK_CHUNK, first + count))
        requests, mediator_ids = [], []
        for n in numbers:
            pool_id, code = rng.choice(keys)
            ahead = n % open_every == 1 % open_every
            day = now + timedelta(days=rng.randint(8, 40)) if ahead else (
                now - timedelta(days=rng.randint(1, 3 * 365)))  # fmt: skip
            starts = _local(day.astimezone(BERLIN).date(), rng.choice((8, 9, 10, 11, 13, 14)))
            minutes = rng.choice((30, 45, 60, 90))
            requests.append({
                "pool_id": pool_id, "office_id": rng.choice(offices[pool_id]),
                "language_code": code, "starts_at": starts, "duration_minutes": minutes,
                "ends_at": starts + timedelta(minutes=minutes), "mode": Mode.IN_PERSON,
                "municipality": rng.choice(BULK_TOWNS), "domain_code": rng.choice(BULK_DOMAINS),
                "setting": rng.choice(BULK_SETTINGS), "status": RequestStatus.OPEN if ahead else RequestStatus.COMPLETED,
                "case_ref": f"{BULK_CASE_REF}{n % 5000}", "created_at": starts - timedelta(days=14),
                "updated_at": min(starts + timedelta(days=1), now),
                "assigned_at": None if ahead else starts - timedelta(days=10),
            })  # fmt: skip
            mediator_ids.append(None if ahead else rng.choice(speakers[(pool_id, code)]))
        request_ids = _insert(conn, InterpretingRequest, requests, ids=True)
        assignments = [{
            "request_id": request_id, "mediator_id": mediator_id, "status": AssignmentStatus.COMPLETED,
            "starts_at": request["starts_at"], "ends_at": request["ends_at"], "in_person": True,
            "created_at": request["assigned_at"], "conflict_of_interest": False,
            "short_notice": False, "office_outcome": Outcome.TOOK_PLACE,
            "office_duration_minutes": request["duration_minutes"],
            "mediator_outcome": Outcome.TOOK_PLACE,
            "mediator_duration_minutes": request["duration_minutes"],
            "travel_km": rng.choice((0, 4, 8, 15)), "completed_at": request["ends_at"],
        } for request_id, mediator_id, request in zip(request_ids, mediator_ids, requests, strict=True)
          if mediator_id is not None]  # fmt: skip
        _insert(conn, Assignment, assignments)


__all__ = [
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "load_bulk_data",
    "load_demo_data",
    "load_demo_registry",
    "load_demo_requests",
]
