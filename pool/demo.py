"""Demo data for trying the app: `flask --app pool seed-demo` (also run by `make run`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from pool.models import Office, Pool
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


def load_demo_data(session: Session, *, now: datetime) -> bool:
    """Create the demo pools, offices and accounts; False if they are there already."""
    if session.scalars(select(Pool.id).where(Pool.name == DISTRICT_POOL)).first() is not None:
        return False
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
    return True
