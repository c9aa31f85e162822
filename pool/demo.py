"""Demo data for trying the app: `flask --app pool seed-demo` (also run by `make run`).

Two parts: the pools, offices and the four demo logins, and the registry (trainings, guidelines and
about forty mediators in many languages, most of them deployable, a few not — each for another
reason). The registry part is built through the services, so the stored deployability is right.

Test apps (``TESTING``) get only the first part unless ``DEMO_REGISTRY`` is set or ``registry=True``
is passed: most tests build the registry data they need themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.orm import Session

from pool.models import Guideline, Mediator, MediatorStatusChange, Office, Pool, Training, User
from pool.services import mediators as registry
from pool.services.mediators import AbsenceValue, LanguageSkill, Window, today_in_berlin
from pool.services.users import create_user

DEMO_PASSWORD = "demo-pool-2026"  # noqa: S105 - published demo password
DISTRICT_POOL = "Landkreis"
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
    ("admin@demo.example", "Anna Admin", "admin"),
    ("koordination@demo.example", "Karin Koordination", "coordinator"),
    ("sachbearbeitung@demo.example", "Sven Sachbearbeitung", "caseworker"),
    ("sprachmittlung@demo.example", "Samira Sprachmittlung", "mediator"),
)
DEMO_MEDIATOR_EMAIL = "sprachmittlung@demo.example"


def load_demo_data(session: Session, *, now: datetime, registry: bool | None = None) -> bool:
    """Create the demo data; False if it is there already.

    ``registry``: also the trainings, guidelines and mediators (default: yes, except in test apps
    without ``DEMO_REGISTRY``).
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
        kind="district",
        federal_state="NW",
        contact_email="dolmetscherpool@demo.example",
        contact_phone="0521 123-4567",
        created_at=now,
    )
    town = Pool(
        name=TOWN_POOL,
        kind="municipal",
        federal_state="NW",
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
    grants = {
        "admin": [("admin", None, None)],
        "coordinator": [("coordinator", district.id, None)],
        "caseworker": [("caseworker", None, youth_office.id)],
        "mediator": [("mediator", district.id, None)],
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
TRAININGS = (
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
    kind: str = "volunteer"
    gender: str | None = None
    german_level: str = "C1"
    municipalities: tuple[str, ...] = ("Neustadt",)
    modes: tuple[str, ...] = ("in_person", "phone")
    domains: tuple[str, ...] = ("education", "social_services", "authorities")
    trainings: tuple[str, ...] = ("basic",)
    weekly: list[Window] = field(default_factory=lambda: DAYTIME)
    monthly_cap: int | None = None
    # How far from deployable: "" (deployable), "expired_training", "missing_ack", "absent",
    # "paused", "paused_until", "applied", "release_missing"
    state: str = ""
    office: str | None = None  # staff: the employing office


def _m(name, email, languages, **kwargs) -> DemoMediator:
    return DemoMediator(name, email + "@demo.example", languages, **kwargs)


AR_LEVANTINE = ("ar", "native", ("Levantinisch",))

DEMO_MEDIATORS = (
    # The deployable Arabic speakers of the district pool.
    _m("Amal Haddad", "amal.haddad", [("ar", "native", ("Levantinisch", "Syrisch")), ("en", "B2", ())],
       gender="female", municipalities=("Neustadt", "Altdorf"), trainings=("basic", "health"),
       domains=("education", "health", "social_services")),
    _m("Yusuf Al-Masri", "yusuf.almasri", [("ar", "native", ("Ägyptisch",)), ("en", "C1", ())],
       kind="staff", office="Sozialamt", gender="male", weekly=MORNINGS,
       domains=("social_services", "authorities")),
    _m("Leila Benali", "leila.benali", [("ar", "native", ("Maghrebinisch", "Marokkanisch")),
                                        ("fr", "native", ())],
       gender="female", municipalities=("Neustadt", "Bergheim"), weekly=AFTERNOONS),
    _m("Omar Khalil", "omar.khalil", [("ar", "native", ("Irakisch",)), ("kmr", "B2", ())],
       gender="male", trainings=("basic", "youth_welfare"),
       domains=("education", "youth_welfare", "social_services")),
    _m("Rania Saleh", "rania.saleh", [AR_LEVANTINE, ("en", "B1", ())], gender="female",
       modes=("phone", "video"), municipalities=("Altdorf",), monthly_cap=4),
    _m("Hassan Darwish", "hassan.darwish", [("ar", "native", ("Sudanesisch",))], gender="male",
       german_level="B2", municipalities=("Bergheim", "Neustadt"), weekly=AFTERNOONS),
    # Not deployable, each for another reason.
    _m("Mahmoud Aziz", "mahmoud.aziz", [("ar", "native", ("Syrisch",))], gender="male",
       state="expired_training"),
    _m("Nour El-Amin", "nour.elamin", [("ar", "C1", ()), ("fr", "B2", ())], gender="female",
       state="applied"),
    # Persian, Dari, Pashto
    _m("Parisa Ahmadi", "parisa.ahmadi", [("fa", "native", ()), ("prs", "C1", ())],
       gender="female", trainings=("basic", "health"), domains=("health", "education")),
    _m("Reza Karimi", "reza.karimi", [("fa", "native", ())], gender="male", state="missing_ack"),
    _m("Fatima Rahimi", "fatima.rahimi", [("prs", "native", ("Kabuli",)), ("ps", "B2", ())],
       gender="female", weekly=MORNINGS),
    _m("Ahmad Noori", "ahmad.noori", [("ps", "native", ()), ("prs", "C1", ())], pool="town",
       gender="male", municipalities=("Neustadt",)),
    # Kurdish
    _m("Dilan Yıldız", "dilan.yildiz", [("kmr", "native", ()), ("tr", "native", ())],
       gender="female", trainings=("basic", "youth_welfare"),
       domains=("youth_welfare", "education")),
    _m("Karwan Aziz", "karwan.aziz", [("ckb", "native", ("Soranî (Sulaimaniya)",)),
                                      ("ar", "B2", ())],
       gender="male", municipalities=("Altdorf", "Neustadt")),
    _m("Rojda Demir", "rojda.demir", [("kmr", "native", ()), ("tr", "C1", ())], gender="female",
       state="absent"),
    # Horn of Africa
    _m("Semhar Tesfay", "semhar.tesfay", [("ti", "native", ()), ("am", "B2", ())],
       gender="female", weekly=AFTERNOONS),
    _m("Yonas Gebremedhin", "yonas.gebremedhin", [("ti", "native", ())], gender="male",
       state="paused"),
    _m("Hodan Abdi", "hodan.abdi", [("so", "native", ()), ("en", "B2", ())], gender="female",
       trainings=("basic", "health"), domains=("health",)),
    _m("Abdirahman Warsame", "abdirahman.warsame", [("so", "native", ()), ("ar", "B1", ())],
       gender="male", state="paused_until"),
    # Turkish
    _m("Ayşe Kaya", "ayse.kaya", [("tr", "native", ())], kind="staff", office="Jugendamt",
       gender="female", weekly=MORNINGS, trainings=("basic", "youth_welfare"),
       domains=("youth_welfare", "education")),
    _m("Mehmet Öztürk", "mehmet.oeztuerk", [("tr", "native", ())], kind="staff",
       office="Ausländerbehörde", gender="male", state="release_missing"),
    _m("Elif Şahin", "elif.sahin", [("tr", "native", ()), ("en", "C1", ())], pool="town",
       gender="female"),
    # Ukrainian, Russian
    _m("Olena Kovalenko", "olena.kovalenko", [("uk", "native", ()), ("ru", "native", ())],
       gender="female", trainings=("basic", "health"), domains=("health", "education")),
    _m("Iryna Shevchenko", "iryna.shevchenko", [("uk", "native", ()), ("pl", "B2", ())],
       pool="town", gender="female", weekly=AFTERNOONS),
    _m("Dmytro Bondarenko", "dmytro.bondarenko", [("uk", "native", ()), ("ru", "C2", ())],
       gender="male", state="applied"),
    _m("Natalia Ivanova", "natalia.ivanova", [("ru", "native", ())], gender="female",
       municipalities=("Bergheim",)),
    _m("Sergej Popov", "sergej.popov", [("ru", "native", ()), ("uk", "C1", ())], pool="town",
       kind="staff", office="Bürgerbüro Neustadt", gender="male", weekly=MORNINGS),
    # Romanian, Bulgarian, Albanian, Polish
    _m("Ioana Popescu", "ioana.popescu", [("ro", "native", ())], gender="female"),
    _m("Andrei Munteanu", "andrei.munteanu", [("ro", "native", ()), ("ru", "B2", ())],
       pool="town", gender="male"),
    _m("Desislava Petrova", "desislava.petrova", [("bg", "native", ()), ("tr", "B2", ())],
       gender="female", weekly=PART_TIME),
    _m("Georgi Dimitrov", "georgi.dimitrov", [("bg", "native", ()), ("rom", "C1", ())],
       gender="male", state="expired_training"),
    _m("Arben Krasniqi", "arben.krasniqi", [("sq", "native", ()), ("sr", "C1", ())],
       gender="male"),
    _m("Blerta Hoxha", "blerta.hoxha", [("sq", "native", ()), ("it", "B2", ())], pool="town",
       gender="female"),
    _m("Katarzyna Nowak", "katarzyna.nowak", [("pl", "native", ())], gender="female",
       weekly=PART_TIME),
    _m("Piotr Wiśniewski", "piotr.wisniewski", [("pl", "native", ()), ("ru", "B1", ())],
       pool="town", gender="male"),
    # French, English and more
    _m("Aminata Diallo", "aminata.diallo", [("fr", "native", ()), ("wo", "native", ())],
       gender="female"),
    _m("Jean-Pierre Mbeki", "jeanpierre.mbeki", [("fr", "native", ()), ("ln", "native", ())],
       gender="male", modes=("in_person", "phone", "video")),
    _m("Grace Okafor", "grace.okafor", [("en", "native", ()), ("ig", "native", ())],
       gender="female", trainings=("basic", "health"), domains=("health",)),
    _m("Imran Qureshi", "imran.qureshi", [("ur", "native", ()), ("en", "C2", ())], pool="town",
       gender="male"),
    _m("Tran Thi Mai", "mai.tran", [("vi", "native", ())], gender="female", german_level="B2"),
    _m("Lucía García", "lucia.garcia", [("es", "native", ()), ("pt", "C1", ())], pool="town",
       gender="female", modes=("phone", "video")),
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
    samira.roles = [r for r in samira.roles if r.role != "mediator"]  # create_mediator adds it
    session.flush()
    spec = _m("Samira Sprachmittlung", "sprachmittlung", [AR_LEVANTINE, ("fr", "C1", ())],
              gender="female", municipalities=("Neustadt", "Altdorf"),
              trainings=("basic", "health"),
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
    if spec.kind == "staff":
        values["employing_office_id"] = offices[spec.office].id
        if spec.state != "release_missing":
            values["supervisor_release_by"] = "Dr. Petra Lehmann (Amtsleitung)"
            values["supervisor_release_until"] = today + timedelta(days=300)
    mediator = registry.create_mediator(session, actor=coordinator, pool=pools[spec.pool],
                                        values=values, now=now, invite=False)  # fmt: skip
    if spec.kind == "staff":
        mediator.staff_consent_at = now - timedelta(days=(today - joined).days)
    if spec.state == "applied":
        return mediator
    checks = {"interview_on": joined, "confidentiality_signed_on": joined, "obligation_on": joined}
    if "youth_welfare" in spec.trainings or "youth_welfare" in spec.domains:
        checks |= {"police_certificate_seen_on": joined, "police_certificate_no_entry": True}
    registry.record_checks(session, actor=coordinator, mediator=mediator, checks=checks, now=now)
    if activate_with_service:
        registry.change_status(session, actor=coordinator, mediator=mediator, to_status="active",
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
    registry.set_availability(session, actor=mediator.user, mediator=mediator, weekly=spec.weekly,
                              absences=absences, paused_until=paused_until, now=now)  # fmt: skip
    if spec.state == "paused":
        registry.change_status(session, actor=coordinator, mediator=mediator, to_status="paused",
                               reason="Elternzeit bis zum Frühjahr", now=now)  # fmt: skip
    return mediator


def _activate(mediator: Mediator, coordinator: User, at: datetime) -> None:
    """Activation as it happened long ago: the demo people have no password, and the service
    would send each of them an invitation e-mail now. Deployability is recomputed by the next
    service call."""
    mediator.status_changes.append(
        MediatorStatusChange(
            from_status="applied", to_status="active", actor_id=coordinator.id, reason=None, at=at
        )  # fmt: skip
    )
    mediator.status = "active"
    mediator.status_changed_at = at


__all__ = ["DEMO_PASSWORD", "DEMO_USERS", "load_demo_data", "load_demo_registry"]
