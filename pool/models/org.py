"""Organisation: pools and the offices that belong to them."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy import true as sa_true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pool.db import Base, UTCDateTime, utcnow
from pool.enums import LEGAL_SETTINGS, Level, PoolKind, check_in

# ISO 3166-2:DE subdivision codes, as the ``holidays`` package uses them.
FEDERAL_STATES = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}

# The codes as tuples, for membership tests ("x in Enum" needs a member on Python 3.11).
POOL_KINDS = tuple(PoolKind)
# Settings a new pool does not serve until its coordination allows them.
DEFAULT_EXCLUDED = LEGAL_SETTINGS
DEFAULT_EXCLUDED_JSON = json.dumps([setting.value for setting in DEFAULT_EXCLUDED])

# A row (pool, partner) means: ``pool`` shares its mediators with ``partner``.
pool_sharing = Table(
    "pool_sharing",
    Base.metadata,
    Column("pool_id", ForeignKey("pools.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_pool_id", ForeignKey("pools.id", ondelete="CASCADE"), primary_key=True),
    CheckConstraint("pool_id <> partner_pool_id", name="not_self"),
)


class Pool(Base):
    __tablename__ = "pools"
    __table_args__ = (check_in("kind", PoolKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default=PoolKind.DISTRICT)
    federal_state: Mapped[str] = mapped_column(String(2))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    # Rules for becoming a mediator, per pool.
    min_german_level: Mapped[str] = mapped_column(
        String(6), default=Level.B1, server_default=Level.B1
    )
    requires_formal_obligation: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    rejected_retention_days: Mapped[int] = mapped_column(default=90, server_default="90")
    # Intake and matching rules (docs/architecture.md, "Matching").
    lead_time_working_days: Mapped[int] = mapped_column(default=3, server_default="3")
    excluded_settings: Mapped[list[str]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_EXCLUDED), server_default=DEFAULT_EXCLUDED_JSON
    )
    allow_medical_appointments: Mapped[bool] = mapped_column(default=True, server_default=sa_true())
    serve_sign_languages: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    short_notice_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    travel_buffer_minutes: Mapped[int] = mapped_column(default=30, server_default="30")
    # Automatic mode: new requests are offered to the top N candidates at once (0 = off).
    auto_offer_top_n: Mapped[int] = mapped_column(default=0, server_default="0")
    offer_expiry_minutes: Mapped[int] = mapped_column(default=24 * 60, server_default="1440")
    # Weights of the soft scores (pool/matching.py DEFAULT_WEIGHTS); missing keys use defaults.
    matching_weights: Mapped[dict] = mapped_column(JSON, default=dict, server_default="{}")
    # Notifications (sent through the outbox): reminders this many hours before each assignment (the
    # first asks the mediator to confirm), the coordinator alerted when a mediator has not
    # confirmed this many hours before, or a request is still unassigned this many hours before.
    reminder_hours: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: [48, 2], server_default="[48, 2]"
    )
    unconfirmed_alert_hours: Mapped[int] = mapped_column(default=24, server_default="24")
    unassigned_alert_hours: Mapped[int] = mapped_column(default=48, server_default="48")
    # The hotline: the coordination's number for volunteers who did not consent to show theirs,
    # and what a caseworker can do when nobody is reachable (e.g. a telephone interpreting service).
    hotline_phone: Mapped[str | None] = mapped_column(String(40))
    phone_alternatives: Mapped[str | None] = mapped_column(Text)
    # Allowances: the yearly tax-free limit for volunteer work, counted by payment date.
    tax_free_limit_cents: Mapped[int] = mapped_column(default=84000, server_default="84000")
    # Finished requests are anonymised this many months after they ended (pool/services/privacy.py).
    retention_months: Mapped[int] = mapped_column(default=24, server_default="24")
    # The public language overview without names (/sprachen/<id>), switched on per pool.
    public_overview: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    offices: Mapped[list[Office]] = relationship(
        back_populates="pool", order_by="Office.name", cascade="all, delete-orphan"
    )
    shares_with: Mapped[list[Pool]] = relationship(
        secondary=pool_sharing,
        primaryjoin=lambda: Pool.id == pool_sharing.c.pool_id,
        secondaryjoin=lambda: Pool.id == pool_sharing.c.partner_pool_id,
        order_by=lambda: Pool.name,
    )

    @property
    def federal_state_name(self) -> str:
        return FEDERAL_STATES.get(self.federal_state, self.federal_state)


class Office(Base):
    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("pool_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool_id: Mapped[int] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(40))
    cost_centre: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    pool: Mapped[Pool] = relationship(back_populates="offices")
